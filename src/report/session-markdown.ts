/**
 * The current branch of a play session as a Markdown transcript, with its branch code and the
 * command that reopens it. Rendering only: `src/play/files.ts` names and writes the file.
 */
import { scenarioRef } from '../scenario/load.ts';
import { briefingLines, exerciseRef, injectKeys, judgeExercise, type Exercise } from '../scenario/exercise.ts';
import { describeState } from '../engine/describe.ts';
import { roundMoment } from '../scenario/dates.ts';
import { ENGINE_VERSION } from '../version.ts';
import { safeText } from '../scenario/safe-text.ts';
import { branchCode, currentNode, entriesTo, FACILITATOR, nodeBranchCode, type Session } from '../play/session.ts';
import { formatEntry, formatHappening, num } from './transcript.ts';

/**
 * The branch that ends at node `id` (default: the current one) as Markdown. With the `exercise`
 * the session plays, it is a paper to hand in: the briefing and objective first, the score and
 * where it came from, and the debrief questions with room for answers at the end.
 */
export function exportMarkdown(session: Session, id = session.current, exercise?: Exercise): string {
  const { def } = session.compiled;
  const node = session.nodes[id]!;
  const view = describeState(def, node.state);
  const code = branchCode(session, id);
  const role = session.role === FACILITATOR ? 'facilitator' : def.actors.find((a) => a.id === session.role)?.name ?? session.role;
  const out: string[] = [];
  out.push(`# ${def.title}: a played branch`, '');
  out.push(`- Scenario: \`${def.id}\` (hash \`${def.hash.slice(0, 12)}\`), Parley ${ENGINE_VERSION}`);
  out.push(`- Seed: ${session.seed} · policy: ${session.policy} · played as: ${role}`);
  out.push(`- Branch code: \`${code}\``);
  out.push(`- Reopen it: \`${reopenCommand(session, code)}\``, '');
  // The exercise file's texts, made safe as the scenario's already are.
  if (exercise) out.push(...exerciseHead(exercise).map((l) => safeText(l)));
  out.push('## What happened', '', '```text');
  // An exercise's injects read "(inject)", as in `parley run --exercise`.
  const injects = exercise ? injectKeys(exercise) : new Set<string>();
  for (const h of session.opening) out.push(...formatHappening(def, h, '  ', { labels: true, inject: h.type === 'event' && h.scheduled && injects.has(`0:${h.event}`) }));
  let g = -1;
  for (const e of entriesTo(session, id)) {
    if (e.g !== g) {
      g = e.g;
      const r = def.rounds[g]!;
      out.push(`${def.phases[r.phase]!.label} — round ${r.round} — ${roundMoment(r)}`);
    }
    out.push(...formatEntry(def, e, true, injects).filter((l) => l.trim() !== ''));
  }
  out.push('```', '');
  out.push(node.state.ended ? '## Outcome' : '## Where it stands', '');
  if (view.outcome) {
    const o = def.outcomes.find((x) => x.id === view.outcome)!;
    out.push(`**${o.label}** (\`${o.id}\`)${o.definition ? `: ${o.definition.trim()}` : ''}`, '');
  } else {
    const phase = def.phases.find((p) => p.id === view.phase)!;
    out.push(`${phase.label}, round ${view.round}, ${roundMoment(def.rounds[node.state.g]!)}; step ${view.step + 1}; ${def.actors.find((a) => a.id === view.actor)?.name ?? view.actor} to decide.`, '');
  }
  out.push('| | value |', '| --- | ---: |');
  for (const t of def.tensions) out.push(`| ${t.label} (\`${t.id}\`) | ${num(view.tensions[t.id]!)} |`);
  for (const d of def.derived) out.push(`| ${d.label} | ${num(view.derived[d.id]!)} |`);
  out.push(`| Relationship | ${def.relationship.labels[node.state.rel]} |`);
  for (const [actor, stance] of Object.entries(view.stances)) out.push(`| Stance of ${def.actors.find((a) => a.id === actor)!.name} | ${stance} |`);
  if (exercise) out.push('', ...exerciseTail(exercise, node.state).map((l) => safeText(l)));
  return out.join('\n') + '\n';
}

/** An exercise paper's head: which exercise, its briefing and its objective. */
function exerciseHead(exercise: Exercise): string[] {
  const role = exercise.def.actors.find((a) => a.id === exercise.config.role)?.name ?? exercise.config.role;
  const out = [`## Exercise: ${exercise.config.title}`, '', `Exercise \`${exercise.id}\`, played as ${role}.`, '', 'Student: ______________________', '', '### Briefing', ''];
  for (const p of briefingLines(exercise)) out.push(p);
  out.push('', '### Objective', '', exercise.config.objective.description.trim(), '');
  return out;
}

/** An exercise paper's end: the score, requirement by requirement and point by point, and the debrief questions with room to answer. */
function exerciseTail(exercise: Exercise, state: Session['initial']): string[] {
  const result = judgeExercise(exercise, state);
  const out = ['## Score', ''];
  out.push(state.ended ? `**Objective ${result.met ? 'met' : 'not met'} · score ${result.score} of ${result.maxScore}**` : `**The run has not ended: no score yet** (it would need to reach the end; ${result.maxScore} points are possible).`, '');
  for (const r of result.requirements) out.push(`- [${r.met ? 'x' : ' '}] ${r.label}`);
  out.push('', '| points | of | for |', '| ---: | ---: | --- |');
  for (const b of result.breakdown) out.push(`| ${b.points} | ${b.maxPoints} | ${b.label} |`);
  out.push(`| **${result.score}** | **${result.maxScore}** | total |`);
  if (exercise.config.debrief.length) {
    out.push('', '## Debrief questions', '');
    exercise.config.debrief.forEach((q, i) => out.push(`${i + 1}. ${q}`, '', '   *Your answer:*', '', '   ', '', '   ', ''));
  }
  return out;
}

/**
 * The command that reopens a branch where a reader is: the bundled id rather than this
 * machine's path, and the role, parameters or exercise the branch was played with.
 */
/**
 * The `parley compare` command that makes the runs of the play screen's what-if odds at the
 * session's current node (`runs` per move toward `goal`), with every column: the same figures.
 */
export function compareCommand(session: Session, goal: { readonly kind: 'exercise' } | { readonly kind: 'outcomes'; readonly ids: readonly string[] }, runs: number): string {
  const state = currentNode(session).state;
  const parts = ['parley compare', sessionSource(session), `--branch ${nodeBranchCode(session)}`, `--seed ${state.seed}`, `--runs ${runs}`];
  if (goal.kind === 'outcomes') parts.push(`--outcome ${goal.ids.join(',')}`);
  return [...parts, ...sessionSets(session)].join(' ');
}

/** Where a session's scenario comes from, as a command names it: `--exercise REF`, or the scenario's id or path. */
function sessionSource(session: Session): string {
  const { def } = session.compiled;
  return session.exercise ? `--exercise ${exerciseRef(session.exercise.id, session.exercise.file)}` : scenarioRef(def.id, def.file);
}

/** `--set NAME=VALUE` for each parameter the session sets away from its default. */
function sessionSets(session: Session): string[] {
  return session.compiled.def.parameters.filter((p) => Object.hasOwn(session.params, p.id) && session.params[p.id] !== p.default).map((p) => `--set ${p.id}=${session.params[p.id]}`);
}

export function reopenCommand(session: Session, code: string): string {
  const parts = ['parley play', sessionSource(session), `--branch ${code}`];
  if (session.role !== FACILITATOR && !session.exercise) parts.push(`--role ${session.role}`);
  return [...parts, ...sessionSets(session)].join(' ');
}
