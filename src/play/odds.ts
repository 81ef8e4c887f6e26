/**
 * The arithmetic behind a branch's odds, as a person checks it: the base, each modifier in the
 * order the engine applies it (p ← p · mul + add), the value before rescaling (clamped to
 * 0..100%), the sum of those values, and each branch's share once they are rescaled to add up
 * to 100%. Built from the engine's explanation (`leverOdds(def, s, lever, true).odds`), so it
 * reproduces the engine's probabilities exactly.
 */
import type { BranchOdds } from '../engine/types.ts';

export interface BranchArithmetic {
  readonly branch: string;
  readonly base: number;
  /** The modifiers that change something, in the order they apply. */
  readonly modifiers: readonly { readonly why: string; readonly add: number; readonly mul: number }[];
  /** After the modifiers, before clamping. */
  readonly raw: number;
  /** `raw` clamped to 0..1: the value that is rescaled. */
  readonly value: number;
  /** The share after rescaling: the engine's probability. */
  readonly share: number;
}

export interface OddsArithmetic {
  readonly branches: readonly BranchArithmetic[];
  /** Sum of the values before rescaling. */
  readonly sum: number;
  /**
   * Whether clamping or rescaling changes a number as shown to one decimal of a percent: then
   * the sum and the rescaling step are worth showing.
   */
  readonly rescaled: boolean;
  /** Some value fell outside 0..100% and was clamped. */
  readonly clamped: boolean;
}

const clamp01 = (x: number): number => (x > 0 ? (x < 1 ? x : 1) : 0);
const shown = (p: number): string => (p * 100).toFixed(1);

export function oddsArithmetic(odds: readonly BranchOdds[]): OddsArithmetic {
  let sum = 0;
  const rows = odds.map((o) => {
    const modifiers = o.modifiers.filter((m) => m.add !== 0 || m.mul !== 1).map((m) => ({ why: m.why, add: m.add, mul: m.mul }));
    const raw = o.modifiers.reduce((p, m) => p * m.mul + m.add, o.base);
    const value = clamp01(raw);
    sum += value;
    return { branch: o.branch, base: o.base, modifiers, raw, value, share: o.p };
  });
  const clamped = rows.some((r) => shown(r.raw) !== shown(r.value));
  const rescaled = rows.some((r) => shown(r.value) !== shown(r.share)) || clamped;
  return { branches: rows, sum, rescaled, clamped };
}
