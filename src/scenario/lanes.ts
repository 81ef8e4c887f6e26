/**
 * The state of many runs as expressions read it, laid out by lane (structure of arrays):
 * tension `k` of lane `i` is `t[i * nt + k]`. Runs in one set of lanes advance in lock step
 * (every run of a batch has the same timeline: the same round, turn and actor at each step),
 * so they share the round `g`. A single run is one lane.
 */

/** Most runs one set of lanes holds. */
export const MAX_LANES = 256;

export interface Lanes {
  /** Global round index (0-based, across phases), shared by every lane. */
  g: number;
  readonly t: Float64Array;
  readonly nt: number;
  readonly p: Float64Array;
  readonly np: number;
  /** Stance state index per actor (-1 for actors without a stance chart). */
  readonly st: Int32Array;
  readonly na: number;
  /** How often each history key (lever, lever branch, event, event branch) occurred. */
  readonly cnt: Int32Array;
  /** Global round of the last occurrence of each history key, -1 if never. */
  readonly last: Int32Array;
  readonly nh: number;
  /** Relationship state index. */
  readonly rel: Int32Array;
  /**
   * The actor pulling the lever whose expressions are evaluated (its odds, modifiers, effects,
   * precondition), shared by every lane (they decide in lock step); -1 outside a lever.
   */
  a: number;
  /** Outcome index judged at each checkpoint, by lane (`judged[i * nj + c]`); the first `judgedCount` are set. */
  readonly judged: Int32Array;
  readonly nj: number;
  /** Checkpoints judged so far, shared by every lane. */
  judgedCount: number;
}

/** An expression's scalar form: its value for lane `i` (conditions as booleans, names as their codes). */
export type ScalarFn = (v: Lanes, i: number) => number | boolean;

/** An expression's vector form: writes its value for lanes `idx[0..n)` to `out[0..n)` (conditions as 1 or 0). */
export type VecFn = (v: Lanes, idx: Int32Array, n: number, out: Float64Array) => void;

/** What the IR needs of another compiled expression that it reads (a derived value, a mediator's test). */
export interface CompiledForms<T extends number | boolean = number | boolean> {
  readonly fn: (v: Lanes, i: number) => T;
  readonly vec: VecFn;
}

/** What expressions read of one run's state (a `SimState` is one). */
export interface EvalState {
  readonly g: number;
  readonly t: ArrayLike<number>;
  readonly p: ArrayLike<number>;
  readonly rel: number;
  readonly st: ArrayLike<number>;
  readonly cnt: ArrayLike<number>;
  readonly last: ArrayLike<number>;
  /** Outcome index judged at each checkpoint so far (none when left out). */
  readonly judged?: ArrayLike<number>;
}

/** One run's state as a set of one lane, for evaluating expressions on it. */
export function laneOf(s: EvalState): Lanes {
  return {
    g: s.g,
    t: Float64Array.from(s.t), nt: s.t.length,
    p: Float64Array.from(s.p), np: s.p.length,
    st: Int32Array.from(s.st), na: s.st.length,
    cnt: Int32Array.from(s.cnt), last: Int32Array.from(s.last), nh: s.cnt.length,
    rel: Int32Array.of(s.rel),
    a: -1,
    judged: Int32Array.from(s.judged ?? []), nj: s.judged?.length ?? 0, judgedCount: s.judged?.length ?? 0,
  };
}
