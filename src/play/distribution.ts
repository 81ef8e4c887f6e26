/**
 * "What happens from here?": N seeded runs from a node to the end under the policy, as an
 * outcome distribution with 95% Wilson intervals. Computed in chunks that yield to the event
 * loop, so a terminal UI stays responsive and can show progress (and cancel).
 */
import { countOutcomes, runner } from '../analysis/runs.ts';
import type { CompiledScenario } from '../engine/engine.ts';
import { deriveSeed } from '../engine/rng.ts';
import { MAX_LANES } from '../engine/runs.ts';
import type { SimState } from '../engine/types.ts';
import { wilson } from '../stats/stats.ts';

export interface OutcomeShare {
  readonly outcome: string;
  readonly label: string;
  readonly count: number;
  readonly p: number;
  /** 95% Wilson interval of `p`. */
  readonly lo: number;
  readonly hi: number;
}

export interface Distribution {
  /** Runs done so far (equal to `total` once complete). */
  readonly n: number;
  readonly total: number;
  /** Seed the runs' seeds were derived from (`deriveSeed(base, i)` for run i). */
  readonly base: number;
  /** Every outcome of the scenario, in its declared order. */
  readonly shares: readonly OutcomeShare[];
}

export interface DistributionOptions {
  readonly n: number;
  readonly policy?: string;
  /** Runs per chunk between yields to the event loop. */
  readonly chunk?: number;
  readonly onProgress?: (partial: Distribution) => void;
  readonly signal?: AbortSignal;
}

function summarise(compiled: CompiledScenario, counts: readonly number[], n: number, total: number, base: number): Distribution {
  return {
    n, total, base,
    shares: compiled.def.outcomes.map((o, i) => {
      const count = counts[i]!;
      const [lo, hi] = wilson(count, n);
      return { outcome: o.id, label: o.label, count, p: n ? count / n : 0, lo, hi };
    }),
  };
}

/**
 * Runs `from, from+1, … to-1` (replicate indices) and adds their outcomes to `counts`. Run i is
 * `runFrom(compiled, state, { policy, reseed: deriveSeed(state.seed, i) })`, computed by the
 * batch's lock-step loop.
 */
export function runChunk(compiled: CompiledScenario, state: SimState, policy: string, from: number, to: number, counts: number[]): void {
  if (state.ended) {
    counts[state.outcome]! += to - from;
    return;
  }
  countOutcomes(runner(compiled.def, policy), from, to, (i) => ({ from: state, params: state.p, seed: state.seed, moves: [{ step: state.step, action: { type: 'reroll', seed: deriveSeed(state.seed, i) } }] }), counts);
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The outcome distribution of `n` runs from `state` (each rerolled to `deriveSeed(state.seed, i)`),
 * identical for any chunk size. Rejects with an `AbortError` when `signal` is aborted.
 */
export async function distribution(compiled: CompiledScenario, state: SimState, options: DistributionOptions): Promise<Distribution> {
  const policy = options.policy ?? 'default';
  const chunk = Math.max(1, options.chunk ?? MAX_LANES);
  const counts = new Array<number>(compiled.def.outcomes.length).fill(0);
  for (let done = 0; done < options.n; ) {
    options.signal?.throwIfAborted();
    const to = Math.min(options.n, done + chunk);
    runChunk(compiled, state, policy, done, to, counts);
    done = to;
    options.onProgress?.(summarise(compiled, counts, done, options.n, state.seed));
    if (done < options.n) await yieldToLoop();
  }
  return summarise(compiled, counts, options.n, options.n, state.seed);
}
