/**
 * The vector backend: an expression's IR compiled into a function that computes its value for
 * a list of lanes in one call — one loop per node instead of one closure call per node per run.
 * Each node performs, lane by lane, exactly the floating-point operations of the scalar
 * backend (scalar.ts), so the values are the same bits; `and`, `or`, `if` and `?:` evaluate
 * their right side only on the lanes that need it, as the scalar form does.
 *
 * Numbers and conditions travel as doubles (a condition is 1 or 0); names travel as codes.
 */
import { constantNumber, MATH, type ArithOp, type BinaryOp, type IR } from './ir.ts';
import { MAX_LANES, type Lanes, type VecFn } from './lanes.ts';
import { unreachable } from './scalar.ts';

const buf = (): Float64Array => new Float64Array(MAX_LANES);
const ibuf = (): Int32Array => new Int32Array(MAX_LANES);

export function vector(node: IR): VecFn {
  switch (node.k) {
    case 'const': {
      const x = constantNumber(node);
      return (_v, _idx, n, out) => {
        out.fill(x, 0, n);
      };
    }
    case 'tension': {
      const k = node.index;
      return (v, idx, n, out) => {
        const { t, nt } = v;
        for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + k]!;
      };
    }
    case 'param': {
      const k = node.index;
      return (v, idx, n, out) => {
        const { p, np } = v;
        for (let i = 0; i < n; i++) out[i] = p[idx[i]! * np + k]!;
      };
    }
    case 'byRound': {
      const table = node.table;
      return (v, _idx, n, out) => {
        out.fill(table[v.g]!, 0, n);
      };
    }
    case 'relationship': {
      const codes = node.codes;
      return (v, idx, n, out) => {
        for (let i = 0; i < n; i++) out[i] = codes[v.rel[idx[i]!]!]!;
      };
    }
    case 'stance': {
      const { actor, codes } = node;
      return (v, idx, n, out) => {
        const { st, na } = v;
        for (let i = 0; i < n; i++) out[i] = codes[st[idx[i]! * na + actor]!]!;
      };
    }
    case 'count': {
      const key = node.key;
      return (v, idx, n, out) => {
        const { cnt, nh } = v;
        for (let i = 0; i < n; i++) out[i] = cnt[idx[i]! * nh + key]!;
      };
    }
    case 'occurred': {
      const key = node.key;
      return (v, idx, n, out) => {
        const { cnt, nh } = v;
        for (let i = 0; i < n; i++) out[i] = cnt[idx[i]! * nh + key]! > 0 ? 1 : 0;
      };
    }
    case 'since': {
      const key = node.key;
      return (v, idx, n, out) => {
        const { last, nh, g } = v;
        for (let i = 0; i < n; i++) {
          const l = last[idx[i]! * nh + key]!;
          out[i] = l < 0 ? Infinity : g - l;
        }
      };
    }
    case 'daysSince': {
      const { key, days } = node;
      return (v, idx, n, out) => {
        const { last, nh, g } = v;
        const now = days[g]!;
        for (let i = 0; i < n; i++) {
          const l = last[idx[i]! * nh + key]!;
          out[i] = l < 0 ? Infinity : now - days[l]!;
        }
      };
    }
    case 'actor': {
      const codes = node.codes;
      return (v, _idx, n, out) => {
        out.fill(codes[v.a] ?? 0, 0, n);
      };
    }
    case 'judged': {
      const { index, codes, none } = node;
      return (v, idx, n, out) => {
        if (index >= v.judgedCount) {
          out.fill(none, 0, n);
          return;
        }
        const { judged, nj } = v;
        for (let i = 0; i < n; i++) out[i] = codes[judged[idx[i]! * nj + index]!]!;
      };
    }
    case 'derived': {
      const expr = node.expr;
      return (v, idx, n, out) => expr.vec(v, idx, n, out);
    }
    case 'active': {
      const { tests, index } = node;
      return (v, idx, n, out) => tests[index]!.vec(v, idx, n, out);
    }
    case 'weekly': {
      const rate = vector(node.rate);
      const weeks = node.weeks;
      let R: Float64Array | null = null;
      return (v, idx, n, out) => {
        rate(v, idx, n, (R ??= buf()));
        const w = weeks[v.g]!;
        for (let i = 0; i < n; i++) out[i] = 1 - Math.exp(-Math.max(0, R[i]!) * w);
      };
    }
    case 'math':
      return math(node);
    case 'not': {
      const a = vector(node.a);
      let A: Float64Array | null = null;
      return (v, idx, n, out) => {
        a(v, idx, n, (A ??= buf()));
        for (let i = 0; i < n; i++) out[i] = A[i]! !== 0 ? 0 : 1;
      };
    }
    case 'neg': {
      const a = vector(node.a);
      let A: Float64Array | null = null;
      return (v, idx, n, out) => {
        a(v, idx, n, (A ??= buf()));
        for (let i = 0; i < n; i++) out[i] = -A[i]!;
      };
    }
    case 'binary':
      return binary(node.op, vector(node.a), vector(node.b));
    case 'binaryK':
      return node.a.k === 'tension' ? tensionK(node.op, node.a.index, node.value) : binaryK(node.op, vector(node.a), node.value);
    case 'kBinary':
      return kBinary(node.op, node.value, vector(node.b));
    case 'equal':
      return binary(node.negate ? '!=' : '==', vector(node.a), vector(node.b));
    case 'and':
    case 'or':
      return shortCircuit(vector(node.a), vector(node.b), node.k === 'and');
    case 'if':
      return select(vector(node.test), vector(node.then), vector(node.else));
  }
  return unreachable(node);
}

function math(node: Extract<IR, { k: 'math' }>): VecFn {
  const f = MATH[node.fn].fn;
  const args = node.args.map(vector);
  if (args.length === 1) {
    const a = args[0]!;
    let A: Float64Array | null = null;
    // The common case calls the built-in directly, which the compiler can inline.
    if (node.fn === 'exp') {
      return (v, idx, n, out) => {
        a(v, idx, n, (A ??= buf()));
        for (let i = 0; i < n; i++) out[i] = Math.exp(A[i]!);
      };
    }
    return (v, idx, n, out) => {
      a(v, idx, n, (A ??= buf()));
      for (let i = 0; i < n; i++) out[i] = f(A[i]!);
    };
  }
  if (args.length === 2) {
    const [a, b] = args as [VecFn, VecFn];
    let A: Float64Array | null = null;
    let B: Float64Array | null = null;
    return (v, idx, n, out) => {
      a(v, idx, n, (A ??= buf()));
      b(v, idx, n, (B ??= buf()));
      for (let i = 0; i < n; i++) out[i] = f(A[i]!, B[i]!);
    };
  }
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
}

/** `TENSION op k`: one loop over the state, no buffer. */
function tensionK(op: BinaryOp, u: number, k: number): VecFn {
  switch (op) {
    case '<': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! < k ? 1 : 0; };
    case '>': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! > k ? 1 : 0; };
    case '<=': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! <= k ? 1 : 0; };
    case '>=': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! >= k ? 1 : 0; };
    case '+': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! + k; };
    case '-': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! - k; };
    case '*': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! * k; };
    case '/': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! / k; };
    case '%': return (v, idx, n, out) => { const { t, nt } = v; for (let i = 0; i < n; i++) out[i] = t[idx[i]! * nt + u]! % k; };
  }
}

function binaryK(op: BinaryOp, a: VecFn, k: number): VecFn {
  let A: Float64Array | null = null;
  switch (op) {
    case '+': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! + k; };
    case '-': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! - k; };
    case '*': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! * k; };
    case '/': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! / k; };
    case '%': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! % k; };
    case '<': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! < k ? 1 : 0; };
    case '>': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! > k ? 1 : 0; };
    case '<=': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! <= k ? 1 : 0; };
    case '>=': return (v, idx, n, out) => { a(v, idx, n, (A ??= buf())); for (let i = 0; i < n; i++) out[i] = A[i]! >= k ? 1 : 0; };
  }
}

function kBinary(op: ArithOp, k: number, b: VecFn): VecFn {
  let B: Float64Array | null = null;
  switch (op) {
    case '+': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = k + B[i]!; };
    case '-': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = k - B[i]!; };
    case '*': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = k * B[i]!; };
    case '/': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = k / B[i]!; };
    case '%': return (v, idx, n, out) => { b(v, idx, n, (B ??= buf())); for (let i = 0; i < n; i++) out[i] = k % B[i]!; };
  }
}

/** Arithmetic, comparison and equality of two operands, lane by lane. */
function binary(op: BinaryOp | '==' | '!=', a: VecFn, b: VecFn): VecFn {
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
  }
}

/**
 * `test ? x : y` and `if(test, x, y)`: each side is evaluated only on the lanes that take it,
 * as the scalar form evaluates only the side it takes.
 */
function select(test: VecFn, x: VecFn, y: VecFn): VecFn {
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
function shortCircuit(a: VecFn, b: VecFn, and: boolean): VecFn {
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
