/**
 * Runs from a state: many seeded runs of one scenario under one policy, each from the start or
 * from a given state, to their end — the one primitive behind a batch's chunks, play's "what
 * happens from here", the debrief's figures, lint's sampled runs and the calibration script.
 * Runs advance in lock step on the kernel's lanes, up to `MAX_LANES` at a time.
 */
import type { Move } from '../engine/branch-code.ts';
import { begin, inLockStep, runToEnd } from '../engine/advance.ts';
import { kernelFor, kernelWith, lanesOf, type Kernel } from '../engine/kernel.ts';
import { atSamePoint, load, MAX_LANES, store, type RunLanes } from '../engine/runs.ts';
import type { SimState } from '../engine/types.ts';
import type { PolicyDef, ScenarioDefinition } from '../scenario/definition.ts';

/** Where one run starts: its parameter values and seed, or a state to continue from, and the moves that override its policy. */
export interface RunStart {
  readonly params: readonly number[];
  readonly seed: number;
  readonly moves: readonly Move[];
  /** A state to continue from instead of the start (its parameters and seed are then its own). */
  readonly from?: SimState;
}

/** The end of one run, read from the lanes (valid until the next group runs: copy what you keep). */
export interface RunEnd {
  readonly outcome: number;
  /** Outcome judged at each checkpoint. */
  readonly judged: ArrayLike<number>;
  readonly tensions: ArrayLike<number>;
  readonly steps: number;
  readonly goldstein: number;
  /** The whole final state, as a value of its own (for what the fields above do not say). */
  state(): SimState;
  /** The lanes and the lane the run ended in, for reading it without a copy (an expression's `fn(lanes, lane)`). */
  readonly lanes: RunLanes;
  readonly lane: number;
}

/** Lane `i`'s end. */
function endOf(L: RunLanes, i: number): RunEnd {
  return {
    outcome: L.outcome[i]!,
    judged: L.judged.subarray(i * L.nj, i * L.nj + L.judgedCount),
    tensions: L.t.subarray(i * L.nt, (i + 1) * L.nt),
    steps: L.step,
    goldstein: L.gs[i]!,
    state: () => store(L, i),
    lanes: L,
    lane: i,
  };
}

/** A kernel and its lanes, for running groups again and again. */
export interface Runner {
  readonly k: Kernel;
  readonly L: RunLanes;
}

/** A runner under a policy given as a value (an analysis's variant of one of the scenario's). */
export function runnerWith(def: ScenarioDefinition, policy: PolicyDef): Runner {
  const k = kernelWith(def, policy);
  return { k, L: lanesOf(k) };
}

export function runner(def: ScenarioDefinition, policy: string): Runner {
  const k = kernelFor(def, policy);
  return { k, L: lanesOf(k) };
}

/**
 * Runs `starts` (at most `MAX_LANES`) to their end and hands each end to `visit`, in order.
 * Runs that cannot share lanes (moves on different steps, states at different points) run one
 * at a time. Returns false, visiting nothing, as soon as `stopped()` says so.
 */
export function runGroup(r: Runner, starts: readonly RunStart[], visit: (end: RunEnd, j: number) => void, stopped?: () => boolean): boolean {
  const { k, L } = r;
  const n = starts.length;
  if (n > MAX_LANES) throw new RangeError(`runGroup: ${n} runs, more than ${MAX_LANES}`);
  if (n === 0) return true;
  const first = starts[0]!;
  const together = inLockStep(starts.map((s) => s.moves)) && starts.every((s) => (s.from && first.from ? atSamePoint(s.from, first.from) : !s.from && !first.from));
  if (!together) {
    for (let j = 0; j < n; j++) if (!runGroup(r, [starts[j]!], (end) => visit(end, j), stopped)) return false;
    return true;
  }
  if (first.from) {
    L.n = n;
    for (let i = 0; i < n; i++) load(L, i, starts[i]!.from!);
  } else begin(L, n, (i) => starts[i]!, null);
  if (!runToEnd(k, L, (i) => starts[i]!.moves, null, stopped)) return false;
  for (let j = 0; j < n; j++) visit(endOf(L, j), j);
  return true;
}

/** Runs `from, from+1, … to-1` of `startOf(i)`, in groups of `MAX_LANES`, and hands each end to `visit` with its index. */
export function forEachRun(r: Runner, from: number, to: number, startOf: (i: number) => RunStart, visit: (end: RunEnd, i: number) => void): void {
  for (let start = from; start < to; start += MAX_LANES) {
    const starts: RunStart[] = [];
    for (let i = start; i < Math.min(to, start + MAX_LANES); i++) starts.push(startOf(i));
    runGroup(r, starts, (end, j) => visit(end, start + j));
  }
}

/**
 * Outcome counts of runs `from, from+1, … to-1` of `startOf(i)`, added to `counts` (and, with
 * `judged`, the counts of each checkpoint's outcome, `judged[c][o]`).
 */
export function countOutcomes(r: Runner, from: number, to: number, startOf: (i: number) => RunStart, counts: number[], judged?: number[][]): void {
  forEachRun(r, from, to, startOf, (end) => {
    counts[end.outcome]!++;
    if (judged) for (let c = 0; c < end.judged.length; c++) judged[c]![end.judged[c]!]!++;
  });
}
