/**
 * "What if I pull each?" for the play screen: every move of the actor deciding at the session's
 * current node (each available lever, and passing) continued under the session's policy on the
 * same seeds, with the chance of a goal and its 95% interval, and the paired difference against
 * the policy's own choice. A thin layer over `compareLeversAsync` (src/analysis/compare.ts): the
 * runs start from a copy of the node's state and reroll to their own seeds, so the session, its
 * random stream and its tree are never touched. Computed in slices that give the event loop
 * back (keys go on working), cancelled by an AbortSignal.
 */
import { compareLeversAsync, type CompareProgress } from '../analysis/compare.ts';
import { exerciseGoal, outcomeGoal, type Goal } from '../analysis/goal.ts';
import { nodeAt } from '../analysis/node.ts';
import { currentActor } from '../engine/state.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { loadExercise } from '../scenario/exercise.ts';
import { branchCode, currentNode, type Session } from './session.ts';

/** Runs per move behind the advice view. */
export const ADVICE_RUNS = 1000;

/** What the advice counts as success: the exercise's objective, or reaching one of some outcomes. */
export type AdviceGoal =
  | { readonly kind: 'exercise'; readonly description: string }
  | { readonly kind: 'outcomes'; readonly ids: readonly string[] };

/** Words in an outcome's id or label that mark it as an escalation (left out of the default goal). */
const ESCALATION = /crisis|escalat|blow|\bwar\b|rupture|collapse|hostil|conflict|clash|breakdown|attack|strike|militar/i;

/**
 * The goal the view opens with: in an exercise, its objective; otherwise the outcomes that are
 * not escalations by their names (a crisis, a blow-up, a rupture …), or the first outcome when
 * the names tell nothing. The student can change it in the view.
 */
export function defaultAdviceGoal(session: Session, exerciseObjective?: string): AdviceGoal {
  if (session.exercise) return { kind: 'exercise', description: exerciseObjective ?? session.exercise.id };
  const { outcomes } = session.compiled.def;
  const calm = outcomes.filter((o) => !ESCALATION.test(`${o.id} ${o.label}`));
  const ids = calm.length > 0 && calm.length < outcomes.length ? calm.map((o) => o.id) : outcomes.slice(0, 1).map((o) => o.id);
  return { kind: 'outcomes', ids };
}

/** The goal in words: "ends in Strategic reset, Conditional truce or Cordial but thin". */
export function adviceGoalLabel(def: ScenarioDefinition, goal: AdviceGoal): string {
  if (goal.kind === 'exercise') return `the exercise's objective: ${goal.description}`;
  const labels = goal.ids.map((id) => def.outcomes.find((o) => o.id === id)?.label ?? id);
  return `the run ends in ${labels.length > 1 ? `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}` : labels[0] ?? 'nothing'}`;
}

/** What a cached advice is keyed by: the node (its branch code, which names its state) and the goal. */
export function adviceKey(session: Session, goal: AdviceGoal): string {
  return `${branchCode(session)}|${goal.kind === 'exercise' ? 'exercise' : goal.ids.join(',')}`;
}

/** A share with its 95% interval. */
export interface Estimate {
  readonly p: number;
  readonly ci95: readonly [number, number];
}

export interface AdviceMove {
  /** A lever id, or `pass`. */
  readonly id: string;
  readonly label: string;
  /** How likely the policy is to choose it here. */
  readonly policyP: number;
  readonly goal: Estimate;
  /** Paired difference against the policy's own choice, with its 95% interval. */
  readonly vsPolicy: Estimate;
  /** Each outcome's share (by outcome id). */
  readonly outcomes: Readonly<Record<string, number>>;
}

export interface Advice {
  /** Name of the actor deciding at the node. */
  readonly actor: string;
  readonly runs: number;
  /** Run j of every move rerolls to `deriveSeed(seed, j)` at the node. */
  readonly seed: number;
  /** The policy's own choice (what default play gives here). */
  readonly policy: Estimate;
  readonly moves: readonly AdviceMove[];
}

export interface AdviceControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: CompareProgress) => void;
  /** Runs per move (default ADVICE_RUNS). */
  readonly runs?: number;
}

/** Why there is no advice at the current node (the run ended), or null. */
export function adviceUnavailable(session: Session): string | null {
  const state = currentNode(session).state;
  if (state.ended) return 'the run has ended: there is no move to weigh (u goes back a step)';
  if (currentActor(session.compiled.def, state) < 0) return 'nobody decides at this point';
  return null;
}

function goalOf(session: Session, goal: AdviceGoal): Goal {
  if (goal.kind === 'outcomes') return outcomeGoal(session.compiled.def, goal.ids);
  if (!session.exercise) throw new Error('advice: an exercise goal without an exercise');
  return exerciseGoal(loadExercise(session.exercise.file));
}

/** Each move at the current node with its chance of the goal, on the same seeds; rejects when the signal aborts. */
export async function adviseHere(session: Session, goal: AdviceGoal, control: AdviceControl = {}): Promise<Advice> {
  const { def } = session.compiled;
  const state = currentNode(session).state;
  const seed = state.seed;
  const result = await compareLeversAsync(session.compiled, nodeAt(state), { policy: session.policy, goal: goalOf(session, goal), runs: control.runs ?? ADVICE_RUNS, seed }, {
    ...(control.signal ? { signal: control.signal } : {}),
    ...(control.onProgress ? { onProgress: control.onProgress } : {}),
  });
  const estimate = (p: number, ci: readonly [number, number]): Estimate => ({ p, ci95: [ci[0], ci[1]] });
  const [policy, ...arms] = result.arms;
  return {
    actor: def.actors.find((a) => a.id === result.actor)?.name ?? result.actor,
    runs: result.runs,
    seed,
    policy: estimate(policy!.goal!.proportion, policy!.goal!.ci95),
    moves: arms.map((arm) => ({
      id: arm.id,
      label: arm.label,
      policyP: arm.policyP,
      goal: estimate(arm.goal!.proportion, arm.goal!.ci95),
      vsPolicy: estimate(arm.vsPolicy!.difference, arm.vsPolicy!.ci95),
      outcomes: Object.fromEntries(Object.entries(arm.outcomes).map(([id, share]) => [id, share.proportion])),
    })),
  };
}
