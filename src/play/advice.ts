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
import { exerciseFingerprint, loadExercise, type Exercise } from '../scenario/exercise.ts';
import type { SimState } from '../engine/types.ts';
import { currentNode, nodeBranchCode, type Session } from './session.ts';

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

/**
 * What a cached advice is keyed by: the node (its own branch code, which replays to its state:
 * two nodes of a session never share one, even when the policy moved past the last move, as it
 * does after a change of role) and the goal.
 */
export function adviceKey(session: Session, goal: AdviceGoal): string {
  return `${nodeBranchCode(session)}|${goal.kind === 'exercise' ? 'exercise' : goal.ids.join(',')}`;
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
  /** Each outcome's paired difference against the policy's own choice, with its 95% interval. */
  readonly outcomesVsPolicy: Readonly<Record<string, Estimate>>;
}

export interface Advice {
  /** Name of the actor deciding at the node. */
  readonly actor: string;
  readonly runs: number;
  /** Run j of every move rerolls to `deriveSeed(seed, j)` at the node. */
  readonly seed: number;
  /** The policy's own choice (what default play gives here). */
  readonly policy: Estimate;
  /** Each outcome's share under the policy's own choice. */
  readonly policyOutcomes: Readonly<Record<string, number>>;
  readonly moves: readonly AdviceMove[];
}

export interface AdviceControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: CompareProgress) => void;
  /** Milliseconds of work between yields to the event loop (default 20). */
  readonly sliceMs?: number;
}

/** Why there is no advice at the current node (the run ended), or null. */
export function adviceUnavailable(session: Session): string | null {
  const state = currentNode(session).state;
  if (state.ended) return 'the run has ended: there is no move to weigh (u goes back a step)';
  if (currentActor(session.compiled.def, state) < 0) return 'nobody decides at this point';
  return null;
}

/**
 * Everything a computation of advice needs, as plain data that can cross to a worker thread:
 * where the scenario (or the exercise, with its injects) is read from and the hash it must have,
 * the node's state, the policy, the goal and the runs. The session itself stays where it is.
 */
export interface AdviceRequest {
  readonly scenario: { readonly file: string | null; readonly hash: string };
  /**
   * The exercise's file when the session plays one (its scenario with injects, and its
   * objective), and its fingerprint as play began when known (`exerciseFingerprint`): a file
   * that no longer matches is refused.
   */
  readonly exercise: { readonly file: string; readonly fingerprint: string | null } | null;
  readonly state: SimState;
  readonly policy: string;
  readonly goal: AdviceGoal;
  readonly runs: number;
}

/** The request for each move at the session's current node, toward `goal`. */
export function adviceRequest(session: Session, goal: AdviceGoal, runs = ADVICE_RUNS): AdviceRequest {
  const { def } = session.compiled;
  const exercise = session.exercise ? { file: session.exercise.file, fingerprint: null } : null;
  return { scenario: { file: def.file, hash: def.hash }, exercise, state: currentNode(session).state, policy: session.policy, goal, runs };
}

/** The exercise a request names, read from its file; refused when it no longer matches the fingerprint play began with. */
export function requestedExercise(request: AdviceRequest): Exercise {
  if (!request.exercise) throw new Error('advice: an exercise goal without an exercise');
  const exercise = loadExercise(request.exercise.file);
  if (request.exercise.fingerprint !== null && exerciseFingerprint(exercise) !== request.exercise.fingerprint) {
    throw new Error(`${request.exercise.file} has changed since play began: restart parley play to weigh the moves of the new version`);
  }
  return exercise;
}

function goalOf(def: ScenarioDefinition, request: AdviceRequest, exercise: Exercise | null): Goal {
  if (request.goal.kind === 'outcomes') return outcomeGoal(def, request.goal.ids);
  return exerciseGoal(exercise ?? requestedExercise(request));
}

/**
 * Each move at the request's node with its chance of the goal, on the same seeds; rejects when
 * the signal aborts. `exercise`: the exercise being played, when the caller holds it (else an
 * exercise goal is read from the request's file).
 */
export async function computeAdvice(scenario: { readonly def: ScenarioDefinition }, request: AdviceRequest, control: AdviceControl = {}, exercise: Exercise | null = null): Promise<Advice> {
  const { def } = scenario;
  const { state } = request;
  const seed = state.seed;
  const result = await compareLeversAsync(scenario, nodeAt(state), { policy: request.policy, goal: goalOf(def, request, exercise), runs: request.runs, seed }, {
    ...(control.signal ? { signal: control.signal } : {}),
    ...(control.onProgress ? { onProgress: control.onProgress } : {}),
    ...(control.sliceMs !== undefined ? { sliceMs: control.sliceMs } : {}),
  });
  const estimate = (p: number, ci: readonly [number, number]): Estimate => ({ p, ci95: [ci[0], ci[1]] });
  const [policy, ...arms] = result.arms;
  return {
    actor: def.actors.find((a) => a.id === result.actor)?.name ?? result.actor,
    runs: result.runs,
    seed,
    policy: estimate(policy!.goal!.proportion, policy!.goal!.ci95),
    policyOutcomes: Object.fromEntries(Object.entries(policy!.outcomes).map(([id, share]) => [id, share.proportion])),
    moves: arms.map((arm) => ({
      id: arm.id,
      label: arm.label,
      policyP: arm.policyP,
      goal: estimate(arm.goal!.proportion, arm.goal!.ci95),
      vsPolicy: estimate(arm.vsPolicy!.difference, arm.vsPolicy!.ci95),
      outcomes: Object.fromEntries(Object.entries(arm.outcomes).map(([id, share]) => [id, share.proportion])),
      outcomesVsPolicy: Object.fromEntries(Object.entries(arm.outcomesVsPolicy).map(([id, d]) => [id, estimate(d.difference, d.ci95)])),
    })),
  };
}

/** Each move at the current node with its chance of the goal, computed on this thread between slices. */
export function adviseHere(session: Session, goal: AdviceGoal, control: AdviceControl & { readonly runs?: number } = {}): Promise<Advice> {
  return computeAdvice(session.compiled, adviceRequest(session, goal, control.runs ?? ADVICE_RUNS), control);
}

/**
 * What computes advice for the play screen: on a worker thread (`workerAdviser`, what `parley
 * play` uses, so that keys never wait), or on the screen's own thread between slices
 * (`inThreadAdviser`: no worker file, or a scenario that is not in a file).
 */
export interface Adviser {
  advise(request: AdviceRequest, control?: AdviceControl): Promise<Advice>;
  /** Stops the worker, if there is one; pending computations reject. */
  close(): void;
}

/** Advice computed on this thread, in slices that give the event loop back (`exercise`: the one being played, if any). */
export function inThreadAdviser(scenario: { readonly def: ScenarioDefinition }, exercise: Exercise | null = null): Adviser {
  return { advise: (request, control) => computeAdvice(scenario, request, control, exercise), close: () => {} };
}
