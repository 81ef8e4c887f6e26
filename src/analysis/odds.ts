/**
 * Outcome odds from a node: exact when the rest of the tree is small enough to enumerate
 * (exact.ts), otherwise by Monte Carlo on the batch loop, stopping once every outcome's 95%
 * Wilson interval is within a precision. The stopping rule is checked after every lock-step
 * group of `MAX_LANES` runs (and not before `MIN_RUNS`), so the same options give the same runs
 * and the same figures, byte for byte.
 */
import type { Scenario } from './node.ts';
import { MAX_LANES } from '../engine/runs.ts';
import { tidy, wilson } from '../stats/stats.ts';
import { EXACT_BUDGET, exactOdds, treeSizeBound } from './exact.ts';
import { checkpointIndex } from './goal.ts';
import type { AnalysisNode } from './node.ts';
import { runFromNode } from './node.ts';
import { runGroup, runner, type RunStart } from './runs.ts';
import { finish, finishAsync, type AsyncControl } from './steps.ts';

export interface OddsOptions {
  /** How the actors choose from the node on (a branch code's own policy, for its node). */
  readonly policy: string;
  /** A checkpoint phase whose outcome counts instead of the final one. */
  readonly checkpoint?: string | null;
  /** Stop once every outcome's 95% interval half-width is at most this (default 0.01: ±1 point). */
  readonly precision?: number;
  /** Most runs (default 100,000). */
  readonly maxRuns?: number;
  /** Base seed: run i has seed `deriveSeed(seed, i)` (default 1). */
  readonly seed?: number;
  /** Try exact enumeration first (default true). */
  readonly exact?: boolean;
  /** Most tree nodes an exact enumeration may expand (default `EXACT_BUDGET`). */
  readonly exactBudget?: number;
}

/** One outcome's probability, as the batch summary gives it. */
export interface OutcomeOdds {
  readonly id: string;
  readonly label: string;
  /** Runs that ended in it (null when exact). */
  readonly count: number | null;
  readonly proportion: number;
  /** 95% Wilson interval (the probability itself twice when exact). */
  readonly ci95: [number, number];
}

/** How the runs of a Monte Carlo estimate were seeded, so that anyone can run them again. */
export interface SeedPlan {
  /** Run i has seed `deriveSeed(base, i)`, for i from 0 to `runs` − 1. */
  readonly base: number;
  readonly runs: number;
  /** `start`: each run begins from its seed (as `parley batch --seed BASE`); `node`: each run rerolls to its seed at the node's step (as `parley batch --branch CODE --seed BASE`). */
  readonly from: 'start' | 'node';
}

export interface OddsResult {
  readonly method: 'exact' | 'monte-carlo';
  /** Every outcome of the scenario, in declared order. */
  readonly outcomes: readonly OutcomeOdds[];
  /** Runs used (0 when exact). */
  readonly runs: number;
  /** Largest half-width of the outcomes' intervals (0 when exact). */
  readonly halfWidth: number;
  readonly precision: number;
  /** Was the precision reached (always, when exact)? */
  readonly reached: boolean;
  readonly seedPlan: SeedPlan | null;
  /** Tree nodes expanded by the exact enumeration (also when it gave up). */
  readonly nodes: number;
  /** Why the answer is not exact, when it is not. */
  readonly notExact: string | null;
  readonly checkpoint: string | null;
}

export interface OddsProgress {
  readonly runs: number;
  readonly halfWidth: number;
}

/** Runs before the stopping rule is first asked. */
export const MIN_RUNS = 1024;
export const DEFAULT_PRECISION = 0.01;
export const DEFAULT_MAX_RUNS = 100_000;

/** Largest half-width of the 95% Wilson intervals of `counts` out of `n`. */
export function widestHalf(counts: readonly number[], n: number): number {
  let most = 0;
  for (const c of counts) {
    const [lo, hi] = wilson(c, n);
    most = Math.max(most, (hi - lo) / 2);
  }
  return most;
}

/** The computation of `odds`, as a generator reporting its progress after each group of runs. */
export function* oddsSteps(compiled: Scenario, node: AnalysisNode, options: OddsOptions): Generator<OddsProgress, OddsResult> {
  const { def } = compiled;
  const precision = options.precision ?? DEFAULT_PRECISION;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  const base = options.seed ?? 1;
  const checkpoint = options.checkpoint ?? null;
  const c = checkpointIndex(def, checkpoint);
  const r = runner(def, options.policy);
  const shown = c >= 0 ? checkpoint : null;
  const budget = options.exactBudget ?? EXACT_BUDGET;
  if (node.state.ended) {
    // Nothing is left to draw: the node has its outcome.
    const o = c < 0 ? node.state.outcome : node.state.judged[c]!;
    return { method: 'exact', runs: 0, halfWidth: 0, precision, reached: true, seedPlan: null, nodes: 0, notExact: null, checkpoint: shown, outcomes: def.outcomes.map((x, i) => ({ id: x.id, label: x.label, count: null, proportion: i === o ? 1 : 0, ci95: i === o ? [1, 1] : [0, 0] })) };
  }
  let notExact = 'exact enumeration was turned off';
  let nodes = 0;
  if (options.exact ?? true) {
    // A tree far too big for the budget is not tried (the bound ignores merged states and moves never available, hence a margin).
    if (treeSizeBound(def, node.state, c) > Math.log10(Math.max(1, budget)) + 2) notExact = `the rest of the tree is far larger than the budget of ${budget.toLocaleString('en-US')} nodes`;
    else {
      const exact = exactOdds(def, node.state, { policy: options.policy, checkpoint: c, budget, atStart: node.atStart });
      if (exact.type === 'exact') {
        return {
          method: 'exact', runs: 0, halfWidth: 0, precision, reached: true, seedPlan: null, nodes: exact.nodes, notExact: null, checkpoint: shown,
          outcomes: def.outcomes.map((o, i) => ({ id: o.id, label: o.label, count: null, proportion: tidy(exact.p[i]!), ci95: [tidy(exact.p[i]!), tidy(exact.p[i]!)] })),
        };
      }
      if (exact.type === 'too-big') nodes = exact.nodes;
      notExact = exact.type === 'too-big' ? `the rest of the tree has more than ${budget.toLocaleString('en-US')} nodes` : exact.why;
    }
  }
  const counts = new Array<number>(def.outcomes.length).fill(0);
  let n = 0;
  let half = 1;
  const starts: RunStart[] = [];
  while (n < maxRuns && !(n >= MIN_RUNS && half <= precision)) {
    const size = Math.min(MAX_LANES, maxRuns - n);
    starts.length = 0;
    for (let j = 0; j < size; j++) starts.push(runFromNode(node, base, n + j));
    runGroup(r, starts, (end) => counts[c < 0 ? end.outcome : end.judged[c]!]!++);
    n += size;
    half = widestHalf(counts, n);
    yield { runs: n, halfWidth: half };
  }
  return {
    method: 'monte-carlo', runs: n, halfWidth: tidy(half), precision, reached: half <= precision, nodes, notExact, checkpoint: shown,
    seedPlan: { base, runs: n, from: node.atStart ? 'start' : 'node' },
    outcomes: def.outcomes.map((o, i) => ({ id: o.id, label: o.label, count: counts[i]!, proportion: tidy(counts[i]! / n), ci95: wilson(counts[i]!, n).map(tidy) as [number, number] })),
  };
}

/**
 * The outcome probabilities from `node` under a policy: exact when the rest of the tree fits the
 * budget, otherwise by adaptive Monte Carlo to the precision asked.
 *
 * ```ts
 * const compiled = compile(loadScenario('petro-trump'));
 * const r = odds(compiled, startNode(compiled.def, 1, defaultParams), { policy: 'default', precision: 0.01 });
 * r.outcomes.map((o) => `${o.id} ${o.proportion} [${o.ci95}]`);
 * ```
 */
export function odds(compiled: Scenario, node: AnalysisNode, options: OddsOptions): OddsResult {
  return finish(oddsSteps(compiled, node, options));
}

/** `odds` in slices that give the event loop back, with progress and cancellation. */
export function oddsAsync(compiled: Scenario, node: AnalysisNode, options: OddsOptions, control: AsyncControl<OddsProgress> = {}): Promise<OddsResult> {
  return finishAsync(oddsSteps(compiled, node, options), control);
}
