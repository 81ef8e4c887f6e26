/**
 * Goals: what a comparison or an advice counts as success at the end of a run — a set of
 * outcomes (final, or at a checkpoint), a condition over the final state in the scenario's
 * expression language, or an exercise's objective. A goal is judged on the lanes a run ended
 * in, without copying its state.
 */
import type { RunLanes } from '../engine/runs.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { suggest, UsageError } from '../scenario/errors.ts';
import type { Exercise } from '../scenario/exercise.ts';
import { compileExpr, ExprError, type Expr } from '../scenario/expr.ts';

/** What counts as success at the end of a run. */
export interface Goal {
  /** How a table or a report names it: `outcome strategic_reset or conditional_truce`, `objective: MIL < 40`, `exercise security-compact`. */
  readonly label: string;
  /** The kind, and what it was built from (for JSON provenance). */
  readonly spec: GoalSpec;
  /** Does the run that ended in lane `i` of `L` meet it? */
  met(L: RunLanes, i: number): boolean;
}

export type GoalSpec =
  | { readonly type: 'outcomes'; readonly outcomes: readonly string[]; readonly checkpoint: string | null }
  | { readonly type: 'objective'; readonly objective: string }
  | { readonly type: 'exercise'; readonly exercise: string };

/** The outcome judged at checkpoint `c` (index among checkpoints), or the final one for -1. */
function outcomeAt(L: RunLanes, i: number, c: number): number {
  return c < 0 ? L.outcome[i]! : c < L.judgedCount ? L.judged[i * L.nj + c]! : -1;
}

/** Index among the scenario's checkpoints of phase `id`, or -1 for the final outcome (null id). */
export function checkpointIndex(def: ScenarioDefinition, id: string | null, flag = '--checkpoint'): number {
  if (id === null) return -1;
  const checkpoints = def.phases.filter((p) => p.checkpoint);
  const c = checkpoints.findIndex((p) => p.id === id);
  if (c < 0) throw new UsageError(`\`${id}\` is not a checkpoint phase of ${def.id}`, `checkpoints of ${def.id}: ${checkpoints.map((p) => p.id).join(', ')} (the last is the final outcome)`, flag);
  // The last phase's checkpoint is the final outcome.
  return checkpoints[c]!.index === def.phases.length - 1 ? -1 : c;
}

/** Success when the run ends in one of `ids` (at the checkpoint phase `checkpoint`, or finally). */
export function outcomeGoal(def: ScenarioDefinition, ids: readonly string[], checkpoint: string | null = null, flag = '--outcome'): Goal {
  const known = def.outcomes.map((o) => o.id);
  const problems = ids.filter((id) => !known.includes(id));
  if (ids.length === 0) throw new UsageError('needs at least one outcome id', `outcomes of ${def.id}: ${known.join(', ')}`, flag);
  if (problems.length > 0) {
    const id = problems[0]!;
    throw new UsageError(`unknown outcome \`${id}\`${problems.length > 1 ? ` (and ${problems.slice(1).map((p) => `\`${p}\``).join(', ')})` : ''}`, suggest(id, known, 'outcome') ?? `outcomes of ${def.id}: ${known.join(', ')}`, flag);
  }
  const wanted = new Uint8Array(def.outcomes.length);
  for (const id of ids) wanted[known.indexOf(id)] = 1;
  const c = checkpointIndex(def, checkpoint);
  return {
    label: `outcome ${ids.join(' or ')}${checkpoint !== null && c >= 0 ? ` at the end of ${checkpoint}` : ''}`,
    spec: { type: 'outcomes', outcomes: [...ids], checkpoint: c >= 0 ? checkpoint : null },
    met: (L, i) => {
      const o = outcomeAt(L, i, c);
      return o >= 0 && wanted[o] === 1;
    },
  };
}

/** Success when `source`, a condition in the scenario's expression language, holds in the final state. */
export function objectiveGoal(def: ScenarioDefinition, source: string, flag = '--objective'): Goal {
  let expr: Expr<'boolean'>;
  try {
    expr = compileExpr(source, def.scope, 'boolean');
  } catch (error) {
    if (!(error instanceof ExprError)) throw error;
    const p = error.problems[0]!;
    const where = source.length > 0 ? ` at character ${p.offset + 1} of \`${source}\`` : '';
    throw new UsageError(`${p.message}${where}`, p.hint ?? 'a condition over the final state, e.g. "HOST < 40 and relationship == \'cordial\'"', flag);
  }
  return { label: `objective: ${source}`, spec: { type: 'objective', objective: source }, met: (L, i) => expr.fn(L, i) === true };
}

/** Success when the exercise's objective is met (its condition, its outcomes, or both). */
export function exerciseGoal(exercise: Exercise): Goal {
  const { objectiveWhen, objectiveOutcomes, checkpoint } = exercise;
  return {
    label: `exercise ${exercise.id}: ${exercise.config.objective.description}`,
    spec: { type: 'exercise', exercise: exercise.id },
    met: (L, i) => {
      if (objectiveWhen && objectiveWhen.fn(L, i) !== true) return false;
      return !objectiveOutcomes || objectiveOutcomes.has(outcomeAt(L, i, checkpoint));
    },
  };
}
