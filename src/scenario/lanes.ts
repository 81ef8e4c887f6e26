/**
 * Expressions evaluated over many runs at once. The batch advances up to `MAX_LANES` runs in
 * lock step (every run of a batch has the same timeline: the same round, turn and actor at the
 * same step), so each compiled expression also has a *vector form* that computes its value for
 * a list of runs ("lanes") in one call: one loop per node instead of one closure call per node
 * per run. Each node performs, lane by lane, exactly the floating-point operations of the
 * scalar closure, so the values are the same bits; `and`, `or`, `if` and `?:` evaluate their
 * right side only on the lanes that need it, as the scalar closures do.
 *
 * Numbers and conditions travel as doubles (a condition is 1 or 0); names (relationship,
 * phase, stance) travel as codes, one per distinct string, so `==` compares numbers.
 */
import type { EvalState, Fn, Ty } from './expr.ts';

/** Most runs one vector call handles. */
export const MAX_LANES = 256;

/**
 * The state of many runs, laid out by lane: tension `k` of lane `i` is `t[i * nt + k]`. Runs
 * in lock step share the round `g`.
 */
export interface Lanes {
  g: number;
  readonly t: Float64Array;
  readonly nt: number;
  readonly p: Float64Array;
  readonly np: number;
  readonly st: Int32Array;
  readonly na: number;
  readonly cnt: Int32Array;
  readonly last: Int32Array;
  readonly nh: number;
  readonly rel: Int32Array;
  /** Lane i's state as the scalar closures read it, for expressions without a vector form. */
  readonly states: readonly EvalState[];
}

/** Writes the expression's value for lanes `idx[0..n)` to `out[0..n)`. */
export type VecFn = (v: Lanes, idx: Int32Array, n: number, out: Float64Array) => void;

const buf = (): Float64Array => new Float64Array(MAX_LANES);
const ibuf = (): Int32Array => new Int32Array(MAX_LANES);

/**
 * The code of a name: equal names, equal codes. One table for the process (a name has the same
 * code in every scenario); it holds one entry per distinct state, phase and literal name seen.
 */
const codes = new Map<string, number>();

export function codeOf(name: string): number {
  let c = codes.get(name);
  if (c === undefined) codes.set(name, (c = codes.size + 1));
  return c;
}

const vectors = new WeakMap<Fn, VecFn>();

/** Records the vector form of a compiled expression. */
export function registerVector(fn: Fn, vec: VecFn): void {
  vectors.set(fn, vec);
}

/**
 * The vector form of `fn`; for a function that was not compiled from an expression, one that
 * calls it on each lane's state.
 */
export function vectorOf(fn: Fn, ty: Ty): VecFn {
  const vec = vectors.get(fn);
  if (vec) return vec;
  if (ty === 'string') throw new Error('a name-valued function has no vector form');
  return ty === 'boolean'
    ? (v, idx, n, out) => {
        for (let i = 0; i < n; i++) out[i] = fn(v.states[idx[i]!]!) ? 1 : 0;
      }
    : (v, idx, n, out) => {
        for (let i = 0; i < n; i++) out[i] = fn(v.states[idx[i]!]!) as number;
      };
}

export const vConst = (x: number): VecFn => (_v, _idx, n, out) => {
  out.fill(x, 0, n);
};

export const vTension = (k: number): VecFn => (v, idx, n, out) => {
  const { t, nt } = v;
  for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + k]!;
};

export const vParam = (k: number): VecFn => (v, idx, n, out) => {
  const { p, np } = v;
  for (let i = 0; i < n; i++) out[i] = p[idx[i]! * np + k]!;
};

/** A value of the round alone (round number, weeks, days elapsed, phase code). */
export const vByRound = (table: readonly number[]): VecFn => (v, _idx, n, out) => {
  out.fill(table[v.g]!, 0, n);
};

export const vRelationship = (stateCodes: readonly number[]): VecFn => (v, idx, n, out) => {
  for (let i = 0; i < n; i++) out[i] = stateCodes[v.rel[idx[i]!]!]!;
};

export const vStance = (actor: number, stateCodes: readonly number[]): VecFn => (v, idx, n, out) => {
  const { st, na } = v;
  for (let i = 0; i < n; i++) out[i] = stateCodes[st[idx[i]! * na + actor]!]!;
};

export const vCount = (key: number): VecFn => (v, idx, n, out) => {
  const { cnt, nh } = v;
  for (let i = 0; i < n; i++) out[i] = cnt[idx[i]! * nh + key]!;
};

export const vOccurred = (key: number): VecFn => (v, idx, n, out) => {
  const { cnt, nh } = v;
  for (let i = 0; i < n; i++) out[i] = cnt[idx[i]! * nh + key]! > 0 ? 1 : 0;
};

export const vSince = (key: number): VecFn => (v, idx, n, out) => {
  const { last, nh, g } = v;
  for (let i = 0; i < n; i++) {
    const l = last[idx[i]! * nh + key]!;
    out[i] = l < 0 ? Infinity : g - l;
  }
};

/** `weekly(rate)`: 1 − exp(−max(0, rate) · weeks of the round). */
export const vWeekly = (rate: VecFn, weeks: readonly number[]): VecFn => {
  let R: Float64Array | null = null;
  return (v, idx, n, out) => {
    rate(v, idx, n, (R ??= buf()));
    const w = weeks[v.g]!;
    for (let i = 0; i < n; i++) out[i] = 1 - Math.exp(-Math.max(0, R[i]!) * w);
  };
};

export const vApply1 = (a: VecFn, f: (x: number) => number): VecFn => {
  let A: Float64Array | null = null;
  // The common case calls the built-in directly, which the compiler can inline.
  if (f === Math.exp) {
    return (v, idx, n, out) => {
      a(v, idx, n, (A ??= buf()));
      for (let i = 0; i < n; i++) out[i] = Math.exp(A[i]!);
    };
  }
  return (v, idx, n, out) => {
    a(v, idx, n, (A ??= buf()));
    for (let i = 0; i < n; i++) out[i] = f(A[i]!);
  };
};

export const vApply2 = (a: VecFn, b: VecFn, f: (x: number, y: number) => number): VecFn => {
  let A: Float64Array | null = null;
  let B: Float64Array | null = null;
  return (v, idx, n, out) => {
    a(v, idx, n, (A ??= buf()));
    b(v, idx, n, (B ??= buf()));
    for (let i = 0; i < n; i++) out[i] = f(A[i]!, B[i]!);
  };
};

export const vApplyN = (args: readonly VecFn[], f: (...x: number[]) => number): VecFn => {
  let bufs: Float64Array[] | null = null;
  const xs = new Array<number>(args.length);
  return (v, idx, n, out) => {
    bufs ??= args.map(buf);
    for (let a = 0; a < args.length; a++) args[a]!(v, idx, n, bufs[a]!);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < args.length; a++) xs[a] = bufs[a]![i]!;
      out[i] = f(...xs);
    }
  };
};

export const vNot = (a: VecFn): VecFn => {
  let A: Float64Array | null = null;
  return (v, idx, n, out) => {
    a(v, idx, n, (A ??= buf()));
    for (let i = 0; i < n; i++) out[i] = A[i]! !== 0 ? 0 : 1;
  };
};

export const vNegate = (a: VecFn): VecFn => {
  let A: Float64Array | null = null;
  return (v, idx, n, out) => {
    a(v, idx, n, (A ??= buf()));
    for (let i = 0; i < n; i++) out[i] = -A[i]!;
  };
};

/** An operand of `vBinary`: its vector form, and what is known of it when the file loads. */
export interface Operand {
  readonly vec: VecFn;
  /** Its value, when it is a constant. */
  readonly constant?: number;
  /** Its tension index, when it is a bare tension name. */
  readonly tension?: number;
}

/**
 * Arithmetic, comparison and equality of two operands, lane by lane. The common shapes —
 * `x op constant`, `constant op x` and `TENSION op constant` — run as one loop without a
 * buffer for the constant, as the scalar compiler's `specialise` does for closures.
 */
export function vOperate(op: string, left: Operand, right: Operand): VecFn | null {
  const k = right.constant;
  if (k !== undefined && left.constant === undefined) {
    const u = left.tension;
    if (u !== undefined) {
      switch (op) {
        case '<': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! < k ? 1 : 0; };
        case '>': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! > k ? 1 : 0; };
        case '<=': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! <= k ? 1 : 0; };
        case '>=': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! >= k ? 1 : 0; };
        case '+': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! + k; };
        case '-': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! - k; };
        case '*': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! * k; };
        case '/': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! / k; };
      }
    }
    return vBinaryConstant(op, left.vec, k);
  }
  const j = left.constant;
  if (j !== undefined && k === undefined) {
    const b = right.vec;
    let B: Float64Array | null = null;
    switch (op) {
      case '+': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = j + B[i]!; };
      case '-': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = j - B[i]!; };
      case '*': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = j * B[i]!; };
      case '/': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = j / B[i]!; };
    }
  }
  return vBinary(op, left.vec, right.vec);
}

function vBinaryConstant(op: string, a: VecFn, k: number): VecFn | null {
  let A: Float64Array | null = null;
  switch (op) {
    case '+': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! + k; };
    case '-': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! - k; };
    case '*': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! * k; };
    case '/': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! / k; };
    case '<': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! < k ? 1 : 0; };
    case '>': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! > k ? 1 : 0; };
    case '<=': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! <= k ? 1 : 0; };
    case '>=': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! >= k ? 1 : 0; };
  }
  return vBinary(op, a, vConst(k));
}

/** Arithmetic, comparison and equality of two operands, lane by lane. */
export function vBinary(op: string, a: VecFn, b: VecFn): VecFn | null {
  let A: Float64Array | null = null;
  let B: Float64Array | null = null;
  const both = (v: Lanes, idx: Int32Array, n: number): void => {
    a(v, idx, n, (A ??= buf()));
    b(v, idx, n, (B ??= buf()));
  };
  switch (op) {
    case '+': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! + B![i]!; };
    case '-': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! - B![i]!; };
    case '*': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! * B![i]!; };
    case '/': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! / B![i]!; };
    case '%': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! % B![i]!; };
    case '<': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! < B![i]! ? 1 : 0; };
    case '>': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! > B![i]! ? 1 : 0; };
    case '<=': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! <= B![i]! ? 1 : 0; };
    case '>=': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! >= B![i]! ? 1 : 0; };
    case '==': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! === B![i]! ? 1 : 0; };
    case '!=': return (v, idx, n, out) => { both(v, idx, n); for (let i = 0; i < n; i++) out[i] = A![i]! !== B![i]! ? 1 : 0; };
    default: return null;
  }
}

/**
 * `test ? x : y` and `if(test, x, y)`: each side is evaluated only on the lanes that take it,
 * as the scalar closure evaluates only the side it takes.
 */
export function vSelect(test: VecFn, x: VecFn, y: VecFn): VecFn {
  let T: Float64Array | null = null;
  let X: Float64Array | null = null;
  let Y: Float64Array | null = null;
  let xi: Int32Array | null = null;
  let yi: Int32Array | null = null;
  return (v, idx, n, out) => {
    test(v, idx, n, (T ??= buf()));
    xi ??= ibuf();
    yi ??= ibuf();
    let nx = 0;
    let ny = 0;
    for (let i = 0; i < n; i++) {
      if (T[i] !== 0) xi[nx++] = idx[i]!;
      else yi[ny++] = idx[i]!;
    }
    if (nx === n) return x(v, idx, n, out);
    if (ny === n) return y(v, idx, n, out);
    if (nx > 0) x(v, xi, nx, (X ??= buf()));
    if (ny > 0) y(v, yi, ny, (Y ??= buf()));
    let jx = 0;
    let jy = 0;
    for (let i = 0; i < n; i++) out[i] = T[i] !== 0 ? X![jx++]! : Y![jy++]!;
  };
}

/**
 * `a and b` (`and` true) or `a or b` (`and` false): b is asked only of the lanes where a does
 * not settle the answer, as the scalar `&&` and `||` do.
 */
export function vShortCircuit(a: VecFn, b: VecFn, and: boolean): VecFn {
  let A: Float64Array | null = null;
  let B: Float64Array | null = null;
  let sub: Int32Array | null = null;
  const settled = and ? 0 : 1;
  return (v, idx, n, out) => {
    a(v, idx, n, (A ??= buf()));
    sub ??= ibuf();
    let m = 0;
    for (let i = 0; i < n; i++) if ((A[i] !== 0) === and) sub[m++] = idx[i]!;
    if (m === n) {
      // b decides everywhere: straight into `out`.
      b(v, idx, n, out);
      for (let i = 0; i < n; i++) out[i] = out[i] !== 0 ? 1 : 0;
      return;
    }
    if (m > 0) b(v, sub, m, (B ??= buf()));
    let j = 0;
    for (let i = 0; i < n; i++) out[i] = (A[i] !== 0) === and ? (B![j++] !== 0 ? 1 : 0) : settled;
  };
}
