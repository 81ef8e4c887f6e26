/** Checking an action against the rules, shared by both executors. */
import type { LeverDef, ScenarioDefinition } from '../scenario/definition.ts';
import { currentActor, unavailableReason } from './kernel.ts';
import { isSeed, type Action, type DecidedBy, type Happening, type PolicyChoice, type Rejection, type SimState, type TraceEntry } from './types.ts';

export interface ResolvedAction {
  readonly type: 'resolved';
  readonly actor: number;
  /** Null for a pass or a reroll. */
  readonly lever: LeverDef | null;
  /** Forced branch index, or -1. */
  readonly force: number;
}

const reject = (reason: Rejection['reason'], message: string): Rejection => ({ type: 'rejected', reason, message });

/** The action in terms of indices, or why it breaks the rules. */
export function resolveAction(def: ScenarioDefinition, s: SimState, action: Action): ResolvedAction | Rejection {
  if (s.ended) return reject('ended', 'the run has ended');
  const actor = currentActor(def, s);
  if (action.type === 'reroll') {
    if (!isSeed(action.seed)) return reject('bad-seed', `a seed is a whole number from 0 to 4294967295, not ${String(action.seed)}`);
    return { type: 'resolved', actor, lever: null, force: -1 };
  }
  if (action.type === 'pass') return { type: 'resolved', actor, lever: null, force: -1 };
  const lever = def.leverById.get(action.lever);
  if (!lever) return reject('unknown-lever', `there is no lever \`${action.lever}\``);
  if (!lever.actors[actor]) return reject('not-actor', `${def.actors[actor]!.name} cannot pull \`${lever.id}\``);
  const why = unavailableReason(def, s, actor, lever);
  if (why !== null) {
    const reason = !lever.phases[def.rounds[s.g]!.phase] ? 'wrong-phase' : s.cnt[lever.historyKey]! >= lever.maxUses ? 'used-up' : 'condition';
    return reject(reason, `\`${lever.id}\` is not available: ${why}`);
  }
  let force = -1;
  if (action.force !== undefined) {
    force = lever.branches.findIndex((b) => b.id === action.force);
    if (force < 0) return reject('unknown-branch', `\`${lever.id}\` has no branch \`${action.force}\``);
  }
  return { type: 'resolved', actor, lever, force };
}

/** The trace entry of a step, placed by the state before it. */
export function traceEntry(def: ScenarioDefinition, before: SimState, action: Action, by: DecidedBy, choice: PolicyChoice | undefined, happenings: Happening[]): TraceEntry {
  const round = def.rounds[before.g]!;
  const actor = currentActor(def, before);
  return {
    step: before.step, g: before.g, phase: def.phases[round.phase]!.id, round: round.round, date: round.date,
    actor: actor >= 0 ? def.actors[actor]!.id : '', action, by, ...(choice ? { choice } : {}), happenings,
  };
}
