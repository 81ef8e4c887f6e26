/**
 * A class debrief as a report page (`parley debrief --html`): the paths the students took, their
 * outcomes against default play with intervals, and, for an exercise, each student's score —
 * drawn by the same report as a batch's figures, so it opens on a projector with no network.
 */
import type { Exercise } from '../scenario/exercise.ts';
import { judgeExercise } from '../scenario/exercise.ts';
import { currentNode, entriesTo } from '../play/session.ts';
import { defaultPlay, type readClass } from './debrief.ts';
import { indexBars, outcomeShares, pathsChart, type Figure, type PathStep } from './figures.ts';
import type { ReportPage } from './html.ts';

type Klass = ReturnType<typeof readClass>;

/** Each student's own decisions, as points of the paths chart (labels, as the screen showed them). */
function pathSteps(klass: Klass): PathStep[] {
  const { def, students } = klass;
  return students.flatMap((st) =>
    entriesTo(st.session)
      .filter((e) => e.by === 'player')
      .map((e): PathStep => {
        if (e.action.type !== 'pull') return { path: st.name, step: e.step + 1, move: e.action.type === 'pass' ? 'pass' : 'reroll', result: '' };
        const lever = def.leverById.get(e.action.lever);
        const pulled = e.happenings.find((h) => h.type === 'lever');
        const branch = pulled && pulled.type === 'lever' ? (lever?.branches.find((b) => b.id === pulled.branch)?.label ?? pulled.branch) : '';
        return { path: st.name, step: e.step + 1, move: lever?.label ?? e.action.lever, result: `${branch}${e.action.force ? ' (forced)' : ''}` };
      }),
  );
}

export function debriefPage(klass: Klass, runs: number, files: readonly string[]): ReportPage {
  const { def, students } = klass;
  const ex = klass.exercise as Exercise | null;
  const labels = def.outcomes.map((o) => o.label);
  const ended = students.map((st) => currentNode(st.session).state).filter((s) => s.ended);
  const mine = Object.fromEntries(def.outcomes.map((o, i) => [o.label, ended.filter((s) => s.outcome === i).length]));
  const { counts, policy } = defaultPlay(klass, runs);
  const figures: Figure[] = [
    pathsChart('paths', 'The paths the class took', "Each student's own decisions, step by step (the policy's turns are left out); points share a colour where the move was the same. Hover a point for the branch it drew.", pathSteps(klass)),
    outcomeShares('outcomes', 'The class against default play', labels, [
      { when: `class (${ended.length} finished)`, counts: mine, runs: ended.length },
      { when: `default play (${runs.toLocaleString('en-US')} runs)`, counts: Object.fromEntries(def.outcomes.map((o, i) => [o.label, counts[i]!])), runs },
    ], 'who played', `Share of each outcome in the class's finished sessions and in ${runs.toLocaleString('en-US')} seeded runs under the \`${policy}\` policy. With a class of ${ended.length}, the class's intervals are wide: read them before reading a difference.`),
  ];
  if (ex) {
    const scores = students.map((st) => ({ name: st.name, judged: judgeExercise(ex, currentNode(st.session).state) }));
    figures.push(indexBars('scores', 'Scores', `Each student's score out of ${scores[0]?.judged.maxScore ?? 0}, and whether the objective was met.`,
      scores.map((s) => ({ param: `${s.name} (${s.judged.met ? 'met' : 'not met'})`, index: 'score', value: s.judged.score, lo: s.judged.score, hi: s.judged.score })), 'score'));
  }
  return {
    title: `Debrief: ${ex ? ex.config.title : def.title}`,
    subtitle: `Scenario ${def.id}${ex ? `, exercise ${ex.id} (role ${ex.config.role})` : ''}; ${students.length} session${students.length === 1 ? '' : 's'}.`,
    sections: [{ heading: 'The class', ...(ex ? { intro: `Objective: ${ex.config.objective.description}` } : {}), figures }],
    provenance: students.map((st, i) => ({
      file: files[i]!, kind: 'play session', scenario: def.id, hash: def.hash, engine: '—', runs: 1,
      design: `seed ${st.session.seed}, role ${st.session.role}, policy ${st.session.policy}`, command: `parley play --load ${files[i]!}`,
    })),
    notes: ex && ex.config.debrief.length ? ex.config.debrief.map((q, i) => `Question ${i + 1}: ${q}`) : [],
  };
}
