/**
 * A class debrief: one Markdown report comparing saved play sessions — each student's path,
 * outcome, objective and score, where the paths first diverged, and the class's outcomes against
 * the scenario's distribution under default play.
 */
import { basename } from 'node:path';
import { countOutcomes, runner } from '../analysis/runs.ts';
import { compile, resolveParams } from '../engine/engine.ts';
import { deriveSeed } from '../engine/rng.ts';
import type { TraceEntry } from '../engine/types.ts';
import { wilson } from '../stats/stats.ts';
import { judgeExercise, objectiveRequirements, type Exercise } from '../scenario/exercise.ts';
import { ScenarioError } from '../scenario/errors.ts';
import { currentNode, entriesTo, type Session } from '../play/session.ts';
import { readSessionFile, sessionExercise, sessionFromFile, sessionScenario } from '../play/save.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { safeText } from '../scenario/safe-text.ts';

export interface Student {
  readonly name: string;
  readonly session: Session;
  /** The player's decisions along the current branch, as `actor: lever → branch` (or pass). */
  readonly decisions: readonly string[];
}

/** Reads the sessions; they must all be of one scenario (and one exercise, if any). */
/** Where the class's exercise or scenario is, when the sessions' saved paths do not lead to it. */
export interface ClassFiles {
  readonly exercise?: string;
  readonly scenario?: string;
}

export function readClass(files: readonly string[], where: ClassFiles = {}): { students: Student[]; exercise: Exercise | null; def: ScenarioDefinition } {
  let exercise: Exercise | null = null;
  let def: ScenarioDefinition | null = null;
  const students = files.map((file) => {
    const doc = readSessionFile(file);
    const ex = doc.exercise ? sessionExercise({ ...doc, exercise: doc.exercise }, file, where.exercise) : null;
    if (def) {
      if (doc.scenario.id !== (def as ScenarioDefinition).id) throw new ScenarioError([{ file, message: `this session is for scenario \`${doc.scenario.id}\`, the others for \`${def!.id}\``, hint: 'debrief one class at a time' }]);
      if ((ex?.id ?? null) !== (exercise?.id ?? null)) throw new ScenarioError([{ file, message: `this session plays ${ex ? `exercise \`${ex.id}\`` : 'no exercise'}, the others ${exercise ? `\`${exercise.id}\`` : 'none'}` }]);
    } else {
      exercise = ex;
      def = ex ? ex.def : sessionScenario(doc, file, where.scenario);
    }
    const session = sessionFromFile(compile(def!), doc, file);
    return { name: basename(file).replace(/\.session\.json$|\.json$/, ''), session, decisions: decisionsOf(def!, entriesTo(session)) };
  });
  return { students, exercise, def: def! };
}

function decisionsOf(def: ScenarioDefinition, entries: readonly TraceEntry[]): string[] {
  return entries
    .filter((e) => e.by === 'player')
    .map((e) => {
      const who = def.actors.find((a) => a.id === e.actor)?.name ?? e.actor;
      if (e.action.type === 'reroll') return `step ${e.step + 1}: reroll to ${e.action.seed}`;
      if (e.action.type === 'pass') return `step ${e.step + 1}: ${who} passes`;
      // Labels, as the students saw them on the screen.
      const pulled = e.happenings.find((h) => h.type === 'lever');
      const lever = def.leverById.get(e.action.lever);
      const branch = pulled && pulled.type === 'lever' ? (lever?.branches.find((b) => b.id === pulled.branch)?.label ?? pulled.branch) : '?';
      return `step ${e.step + 1}: ${who} pulls ${lever?.label ?? e.action.lever} → ${branch}${e.action.force ? ' (forced)' : ''}`;
    });
}

/**
 * Outcome counts of `runs` seeded runs of default play of the class's scenario (with the
 * exercise's injects, parameters and policy): what the class is compared with.
 */
export function defaultPlay(klass: ReturnType<typeof readClass>, runs: number): { counts: number[]; policy: string } {
  const { def, exercise } = klass;
  const ex = exercise as Exercise | null;
  const counts = def.outcomes.map(() => 0);
  const params = resolveParams(def, ex?.params ?? {});
  const policy = ex?.config.policy ?? 'default';
  countOutcomes(runner(def, policy), 0, runs, (i) => ({ params, seed: deriveSeed(20260203, i), moves: [] }), counts);
  return { counts, policy };
}

export function debriefMarkdown(files: readonly string[], runs = 2000, where: ClassFiles = {}): string {
  return classMarkdown(readClass(files, where), runs);
}

/** The files a class was read from: its sessions, exercise and scenario (never written over). */
export function classFiles(files: readonly string[], klass: ReturnType<typeof readClass>): string[] {
  return [...files, ...(klass.exercise ? [klass.exercise.file] : []), ...(klass.def.file ? [klass.def.file] : [])];
}

/** The debrief of a class already read (see `readClass`). */
export function classMarkdown(klass: ReturnType<typeof readClass>, runs = 2000): string {
  const { students, exercise, def } = klass;
  const ex = exercise as Exercise | null;
  const out: string[] = [];
  out.push(`# Debrief: ${ex ? ex.config.title : def.title}`, '');
  out.push(`Scenario \`${def.id}\` (${def.title})${ex ? `, exercise \`${ex.id}\`, role ${ex.config.role}` : ''}; ${students.length} session${students.length === 1 ? '' : 's'}.`, '');
  if (ex) {
    out.push(`**Objective:** ${ex.config.objective.description}`, '');
    const asks = objectiveRequirements(ex);
    if (asks.length) out.push('It asks that:', '', ...asks.map((a) => `- ${a}`), '');
  }

  out.push('## Results', '', `| student | seed | role | outcome | ${ex ? 'objective | score | ' : ''}decisions |`, `|---|---|---|---|${ex ? '---|---|' : ''}---|`);
  const outcomes: number[] = [];
  for (const st of students) {
    const state = currentNode(st.session).state;
    const outcome = state.ended ? def.outcomes[state.outcome]!.label : 'unfinished';
    if (state.ended) outcomes.push(state.outcome);
    const judged = ex ? judgeExercise(ex, state) : null;
    const exCells = judged ? `${judged.met ? 'met' : 'not met'} | ${judged.score} of ${judged.maxScore} | ` : '';
    out.push(`| ${st.name} | ${st.session.seed} | ${st.session.role} | ${outcome} | ${exCells}${st.decisions.length} |`);
  }

  out.push('', '## Where the paths diverged', '');
  if (students.length < 2) out.push('One session: nothing to compare.');
  else {
    let common = 0;
    const first = students[0]!.decisions;
    while (common < first.length && students.every((st) => st.decisions[common] === first[common] && st.session.seed === students[0]!.session.seed)) common++;
    out.push(common > 0 ? `Every student took the same first ${common} decision${common === 1 ? '' : 's'}:` : 'The paths differ from the first decision on.');
    for (const d of first.slice(0, common)) out.push(`- ${d}`);
    out.push('');
    for (const st of students) out.push(`- **${st.name}** then: ${st.decisions[common] ?? (currentNode(st.session).state.ended ? 'no further decision' : 'stopped here')}`);
  }

  out.push('', '## Each path', '');
  for (const st of students) {
    out.push(`### ${st.name}`, '');
    out.push(...(st.decisions.length ? st.decisions.map((d) => `1. ${d}`) : ['(no decisions: the policy played every turn)']), '');
    if (ex) {
      // The score the student's screen showed, requirement by requirement and point by point.
      const judged = judgeExercise(ex, currentNode(st.session).state);
      out.push(...judged.requirements.map((r) => `- [${r.met ? 'x' : ' '}] ${r.label}`), '');
      out.push(`Score ${judged.score} of ${judged.maxScore}: ${judged.breakdown.map((b) => `${b.points} of ${b.maxPoints} for ${b.label}`).join('; ')}.`, '');
    }
  }

  const { counts, policy } = defaultPlay(klass, runs);
  out.push('## The class against default play', '', `Default play: ${runs} seeded runs under the \`${policy}\` policy.`, '');
  out.push('| outcome | class | default play [95% interval] |', '|---|---|---|');
  def.outcomes.forEach((o, i) => {
    const mine = outcomes.filter((x) => x === i).length;
    const [lo, hi] = wilson(counts[i]!, runs);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    out.push(`| ${o.label} | ${mine} of ${outcomes.length} | ${pct(counts[i]! / runs)} [${pct(lo)}, ${pct(hi)}] |`);
  });
  if (ex && ex.config.debrief.length) {
    out.push('', '## Questions', '');
    ex.config.debrief.forEach((q, i) => out.push(`${i + 1}. ${q}`));
  }
  // Students' names are file names, the exercise's texts are the exercise file's: shown safe.
  return safeText(out.join('\n') + '\n');
}
