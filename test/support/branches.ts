/**
 * Helpers for differential tests of the kernel (test/kernel-lanes.test.ts,
 * test/machine-kernel.test.ts): branches played at random on one lane, and states compared to
 * the bit.
 */
import { expect } from 'vitest';
import type { Move } from '../../src/engine/branch-code.ts';
import { begin, takeMoveOn } from '../../src/engine/advance.ts';
import { unavailableOn } from '../../src/engine/decide.ts';
import { actorNow, advanceTurn, kernelFor } from '../../src/engine/kernel.ts';
import { endRound } from '../../src/engine/round-end.ts';
import { createLanes, store } from '../../src/engine/runs.ts';
import type { Action, SimState } from '../../src/engine/types.ts';
import type { ScenarioDefinition } from '../../src/scenario/definition.ts';
import { UsageError } from '../../src/scenario/errors.ts';

/** Did a run stop on NaN (or ±Infinity) where it needs a number? (A generated expression's fault, not the engine's.) */
export const metNaN = (error: unknown): boolean => error instanceof UsageError && /the run met/.test(error.message);

/** Are two values the same, every number compared with Object.is (NaN is NaN, -0 is not 0)? */
export function sameBits(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameBits(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

/** The same state to the bit, with a readable diff when not. */
export function expectSameState(actual: SimState, expected: SimState, what: string): void {
  if (!sameBits(actual, expected)) expect(actual, what).toEqual(expected);
}

/**
 * A branch played from `seed` with the default parameter values: up to `most` random moves —
 * rerolls, pulls of available levers (some with a forced branch) and passes — taken on one lane
 * of the kernel. Returns the moves and the state they lead to. Throws what the kernel throws
 * (a generated scenario may meet NaN on the way: `metNaN`).
 */
export function playBranch(def: ScenarioDefinition, seed: number, draw: () => number, most: number): { moves: Move[]; state: SimState } {
  const k = kernelFor(def, [...def.policies.keys()][0]!, 1);
  const L = createLanes(def, 1);
  begin(L, 1, () => ({ seed, params: def.parameters.map((p) => p.default) }), null);
  const moves: Move[] = [];
  const take = (action: Action): void => {
    moves.push({ step: L.step, action });
    if (takeMoveOn(k, L, 0, { step: L.step, action }, null) && advanceTurn(L)) endRound(k, L, null);
  };
  for (let j = Math.floor(draw() * (most + 1)); j > 0 && !L.ended; j--) {
    if (draw() < 0.2) take({ type: 'reroll', seed: Math.floor(draw() * 1e6) });
    const actor = actorNow(L);
    const levers = (def.leversByActor[actor] ?? []).filter((l) => unavailableOn(L, 0, actor, l) === null);
    const lever = levers[Math.floor(draw() * levers.length)];
    take(lever && draw() < 0.7 ? { type: 'pull', lever: lever.id, ...(draw() < 0.5 ? { force: lever.branches[Math.floor(draw() * lever.branches.length)]!.id } : {}) } : { type: 'pass' });
  }
  return { moves, state: store(L, 0) };
}
