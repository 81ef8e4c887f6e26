/**
 * Questions about one run's state (a `SimState`, an immutable value) and the step that starts a
 * run, answered by the kernel's own functions on the state as a set of one lane: what the
 * library, the play session and the terminal UI ask between steps.
 */
import type { LeverDef, ScenarioDefinition } from '../scenario/definition.ts';
import { actorNow, begin, decide, kernelFor, leverOddsOn, rejectOn, unavailableOn, type Log } from './kernel.ts';
import { createLanes, laneOfState, store } from './runs.ts';
import type { Action, BranchOdds, DecidedBy, Happening, PolicyChoice, Rejection, SimState, TraceEntry } from './types.ts';

export { cloneState } from './runs.ts';
/** An expression's value in a state (a derived value, an objective). */
export { evaluate } from '../scenario/expr.ts';

/** The state before the first decision: initial values, round 1's draws and its scheduled injects. */
export function initialState(def: ScenarioDefinition, seed: number, params: readonly number[], log: Log): SimState {
  const L = createLanes(def, 1);
  begin(L, 1, () => ({ seed, params }), log);
  return store(L, 0);
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
  return unavailableOn(laneOfState(def, s), 0, actor, lever);
}

export function availableLevers(def: ScenarioDefinition, s: SimState, actor: number): LeverDef[] {
  const L = laneOfState(def, s);
  return (def.leversByActor[actor] ?? []).filter((l) => unavailableOn(L, 0, actor, l) === null);
}

/**
 * Branch probabilities of a lever from state `s`: base → lever modifiers → active mediators'
 * modifiers → clamp to 0..1 → renormalise (uniform if all are zero); with `explain`, how.
 */
export function leverOdds(def: ScenarioDefinition, s: SimState, lever: LeverDef, explain = true): { p: number[]; odds: BranchOdds[] } {
  const odds = leverOddsOn(kernelFor(def, 'random', 1), laneOfState(def, s), 0, lever);
  return { p: odds.map((o) => o.p), odds: explain ? odds : [] };
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
  const k = kernelFor(def, policy, 1);
  const L = laneOfState(def, s);
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
  const rejected = rejectOn(laneOfState(def, s), 0, actor, action);
  if (rejected) return rejected;
  if (action.type !== 'pull') return { type: 'resolved', actor, lever: null, force: -1 };
  const lever = def.leverById.get(action.lever)!;
  return { type: 'resolved', actor, lever, force: action.force === undefined ? -1 : lever.branches.findIndex((b) => b.id === action.force) };
}

/** The trace entry of a step taken from state `before`. */
export function traceEntry(def: ScenarioDefinition, before: { readonly g: number; readonly step: number }, actor: number, action: Action, by: DecidedBy, choice: PolicyChoice | null | undefined, happenings: Happening[]): TraceEntry {
  const round = def.rounds[before.g]!;
  return {
    step: before.step, g: before.g, phase: def.phases[round.phase]!.id, round: round.round, date: round.date,
    actor: actor >= 0 ? def.actors[actor]!.id : '', action, by, ...(choice ? { choice } : {}), happenings,
  };
}
