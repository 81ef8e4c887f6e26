/**
 * Questions about one run's state (a `SimState`, an immutable value) and the step that starts a
 * run, answered by the kernel's own functions on the state as a set of one lane: what the
 * library, the play session and the terminal UI ask between steps.
 */
import type { LeverDef, ScenarioDefinition } from '../scenario/definition.ts';
import { begin } from './advance.ts';
import { decide, rejectOn, unavailableOn } from './decide.ts';
import { actorNow, kernelFor, type Kernel, type Log } from './kernel.ts';
import { leverOddsOn } from './pull.ts';
import { createLanes, loadOne, oneLane, storeOne, type OneLane, type RunLanes } from './runs.ts';
import type { Action, BranchOdds, PolicyChoice, Rejection, SimState } from './types.ts';

export { cloneState } from './runs.ts';
export { traceEntry } from './advance.ts';
/** An expression's value in a state (a derived value, an objective). */
export { evaluate } from '../scenario/expr.ts';

/**
 * One lane and one kernel per policy for each scenario, reused by every question: a question
 * loads its state into the lane, so questions cost no allocation (the statechart executor asks
 * several at every step). They never nest.
 */
interface Scratch {
  readonly lane: OneLane;
  readonly kernels: Map<string, Kernel>;
  readonly runLane: RunLanes;
  readonly runs: Map<string, Kernel>;
}
const scratch = new WeakMap<ScenarioDefinition, Scratch>();

function scratchOf(def: ScenarioDefinition): Scratch {
  let kit = scratch.get(def);
  if (!kit) scratch.set(def, (kit = { lane: oneLane(def), kernels: new Map(), runLane: createLanes(def, 1), runs: new Map() }));
  return kit;
}

/** `s` in the scenario's scratch lane (questions only read it). */
function laneOf(def: ScenarioDefinition, s: SimState): RunLanes {
  return loadOne(scratchOf(def).lane, s);
}

/**
 * A kernel under `policy` and a lane for one run to the end, reused by the runs of one scenario
 * (one at a time: a run to the end asks nothing else of them).
 */
export function runKit(def: ScenarioDefinition, policy: string): { k: Kernel; L: RunLanes } {
  const kit = scratchOf(def);
  let k = kit.runs.get(policy);
  if (!k) kit.runs.set(policy, (k = kernelFor(def, policy, 1)));
  kit.runLane.n = 1;
  return { k, L: kit.runLane };
}

/** The scenario's kernel for questions under `policy` (one lane). */
function queryKernel(def: ScenarioDefinition, policy: string): Kernel {
  const { kernels } = scratchOf(def);
  let k = kernels.get(policy);
  if (!k) kernels.set(policy, (k = kernelFor(def, policy, 1)));
  return k;
}

/** The state before the first decision: initial values, round 1's draws and its scheduled injects. */
export function initialState(def: ScenarioDefinition, seed: number, params: readonly number[], log: Log): SimState {
  const one = scratchOf(def).lane;
  begin(one.L, 1, () => ({ seed, params }), log);
  return storeOne(one);
}

export function defaultParams(def: ScenarioDefinition): number[] {
  return def.parameters.map((p) => p.default);
}

/** Index of the actor whose turn it is, or -1 once the run has ended. */
export function currentActor(def: ScenarioDefinition, s: SimState): number {
  if (s.ended) return -1;
  return def.phases[def.rounds[s.g]!.phase]!.turnOrder[s.turn] ?? -1;
}

/** Why `actor` cannot pull `lever` now, or null when it can. */
export function unavailableReason(def: ScenarioDefinition, s: SimState, actor: number, lever: LeverDef): string | null {
  return unavailableOn(laneOf(def, s), 0, actor, lever);
}

export function availableLevers(def: ScenarioDefinition, s: SimState, actor: number): LeverDef[] {
  const L = laneOf(def, s);
  return (def.leversByActor[actor] ?? []).filter((l) => unavailableOn(L, 0, actor, l) === null);
}

/**
 * Branch probabilities of a lever from state `s`: base → lever modifiers → active mediators'
 * modifiers → clamp to 0..1 → renormalise (uniform if all are zero); with `explain`, how. They
 * are the odds were `actor` to pull it (default: the actor whose turn it is, if it may, else
 * the lever's first actor), for a lever whose expressions read `actor`.
 */
export function leverOdds(def: ScenarioDefinition, s: SimState, lever: LeverDef, explain = true, actor = pullerOf(def, s, lever)): { p: number[]; odds: BranchOdds[] } {
  const odds = leverOddsOn(queryKernel(def, 'random'), laneOf(def, s), 0, lever, actor);
  return { p: odds.map((o) => o.p), odds: explain ? odds : [] };
}

/** The actor whose turn it is if it may pull `lever`, else the lever's first actor. */
function pullerOf(def: ScenarioDefinition, s: SimState, lever: LeverDef): number {
  const now = currentActor(def, s);
  return now >= 0 && lever.actors[now] ? now : Math.max(0, lever.actors.indexOf(true));
}

/** How the policy would decide now for the actor whose turn it is. */
export interface Choice {
  readonly action: Action;
  /** Nothing to pull: the actor passes without the policy choosing. */
  readonly auto: boolean;
  /** The lever the action pulls, or null for a pass. */
  readonly lever: LeverDef | null;
  readonly choice?: PolicyChoice;
}

/** The policy's choice now, with how it was made (every option's weight and the draw). */
export function policyChoice(def: ScenarioDefinition, s: SimState, policy: string): Choice {
  const k = queryKernel(def, policy);
  const L = laneOf(def, s);
  const choice = decide(k, L, true);
  const c = k.w.chosen[0]!;
  const actor = actorNow(L);
  const lever = c >= 0 ? def.leversByActorPhase[actor]![def.rounds[s.g]!.phase]![c]! : null;
  const action: Action = lever ? { type: 'pull', lever: lever.id } : { type: 'pass' };
  return choice ? { action, auto: false, lever, choice } : { action, auto: true, lever: null };
}

/** The action in terms of indices, or why it breaks the rules. */
export interface ResolvedAction {
  readonly type: 'resolved';
  readonly actor: number;
  /** Null for a pass or a reroll. */
  readonly lever: LeverDef | null;
  /** Forced branch index, or -1. */
  readonly force: number;
}

export function resolveAction(def: ScenarioDefinition, s: SimState, action: Action): ResolvedAction | Rejection {
  const actor = currentActor(def, s);
  const rejected = rejectOn(laneOf(def, s), 0, actor, action);
  if (rejected) return rejected;
  if (action.type !== 'pull') return { type: 'resolved', actor, lever: null, force: -1 };
  const lever = def.leverById.get(action.lever)!;
  return { type: 'resolved', actor, lever, force: action.force === undefined ? -1 : lever.branches.findIndex((b) => b.id === action.force) };
}
