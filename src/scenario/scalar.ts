/**
 * The scalar backend: an expression's IR compiled into closures that compute its value for one
 * run (lane `i` of a `Lanes`). A single traced run, the statechart's guards, lint and exercise
 * judging use it; the vector backend (vector.ts) computes the same values for many runs at
 * once, with the same floating-point operations in the same order.
 */
import { MATH, type BinaryOp, type IR } from './ir.ts';
import type { Lanes, ScalarFn } from './lanes.ts';
type NumFn = (v: Lanes, i: number) => number;
type BoolFn = (v: Lanes, i: number) => boolean;

export function scalar(node: IR): ScalarFn {
  switch (node.k) {
    case 'const': {
      const value = node.value;
      return () => value;
    }
    case 'tension': {
      const k = node.index;
      return (v, i) => v.t[i * v.nt + k]!;
    }
    case 'param': {
      const k = node.index;
      return (v, i) => v.p[i * v.np + k]!;
    }
    case 'byRound': {
      const table = node.table;
      return (v) => table[v.g]!;
    }
    case 'relationship': {
      const codes = node.codes;
      return (v, i) => codes[v.rel[i]!]!;
    }
    case 'stance': {
      const { actor, codes } = node;
      return (v, i) => codes[v.st[i * v.na + actor]!]!;
    }
    case 'count': {
      const key = node.key;
      return (v, i) => v.cnt[i * v.nh + key]!;
    }
    case 'occurred': {
      const key = node.key;
      return (v, i) => v.cnt[i * v.nh + key]! > 0;
    }
    case 'since': {
      const key = node.key;
      return (v, i) => {
        const last = v.last[i * v.nh + key]!;
        return last < 0 ? Infinity : v.g - last;
      };
    }
    case 'daysSince': {
      const { key, days } = node;
      return (v, i) => {
        const last = v.last[i * v.nh + key]!;
        return last < 0 ? Infinity : days[v.g]! - days[last]!;
      };
    }
    case 'actor': {
      const codes = node.codes;
      return (v) => codes[v.a] ?? 0;
    }
    case 'judged': {
      const { index, codes, none } = node;
      return (v, i) => (index < v.judgedCount ? codes[v.judged[i * v.nj + index]!]! : none);
    }
    case 'derived':
      return node.expr.fn;
    case 'active': {
      const { tests, index } = node;
      return (v, i) => tests[index]!.fn(v, i);
    }
    case 'weekly': {
      const rate = scalar(node.rate) as NumFn;
      const weeks = node.weeks;
      return (v, i) => 1 - Math.exp(-Math.max(0, rate(v, i)) * weeks[v.g]!);
    }
    case 'math':
      return math(node);
    case 'not': {
      const a = scalar(node.a) as BoolFn;
      return (v, i) => !a(v, i);
    }
    case 'neg': {
      const a = scalar(node.a) as NumFn;
      return (v, i) => -a(v, i);
    }
    case 'binary': {
      const a = scalar(node.a) as NumFn;
      const b = scalar(node.b) as NumFn;
      switch (node.op) {
        case '+': return (v, i) => a(v, i) + b(v, i);
        case '-': return (v, i) => a(v, i) - b(v, i);
        case '*': return (v, i) => a(v, i) * b(v, i);
        case '/': return (v, i) => a(v, i) / b(v, i);
        case '%': return (v, i) => a(v, i) % b(v, i);
        case '<': return (v, i) => a(v, i) < b(v, i);
        case '>': return (v, i) => a(v, i) > b(v, i);
        case '<=': return (v, i) => a(v, i) <= b(v, i);
        case '>=': return (v, i) => a(v, i) >= b(v, i);
      }
    }
    case 'binaryK':
      return node.a.k === 'tension' ? tensionK(node.op, node.a.index, node.value) : binaryK(node.op, scalar(node.a) as NumFn, node.value);
    case 'kBinary': {
      const k = node.value;
      if (node.b.k === 'tension') {
        const u = node.b.index;
        switch (node.op) {
          case '+': return (v, i) => k + v.t[i * v.nt + u]!;
          case '-': return (v, i) => k - v.t[i * v.nt + u]!;
          case '*': return (v, i) => k * v.t[i * v.nt + u]!;
          case '/': return (v, i) => k / v.t[i * v.nt + u]!;
          case '%': return (v, i) => k % v.t[i * v.nt + u]!;
        }
      }
      const b = scalar(node.b) as NumFn;
      switch (node.op) {
        case '+': return (v, i) => k + b(v, i);
        case '-': return (v, i) => k - b(v, i);
        case '*': return (v, i) => k * b(v, i);
        case '/': return (v, i) => k / b(v, i);
        case '%': return (v, i) => k % b(v, i);
      }
    }
    case 'equal': {
      const a = scalar(node.a);
      const b = scalar(node.b);
      return node.negate ? (v, i) => a(v, i) !== b(v, i) : (v, i) => a(v, i) === b(v, i);
    }
    case 'and': {
      const a = scalar(node.a) as BoolFn;
      const b = scalar(node.b) as BoolFn;
      return (v, i) => a(v, i) && b(v, i);
    }
    case 'or': {
      const a = scalar(node.a) as BoolFn;
      const b = scalar(node.b) as BoolFn;
      return (v, i) => a(v, i) || b(v, i);
    }
    case 'if': {
      const test = scalar(node.test) as BoolFn;
      const x = scalar(node.then);
      const y = scalar(node.else);
      return (v, i) => (test(v, i) ? x(v, i) : y(v, i));
    }
  }
  return unreachable(node);
}

/** The default of an exhaustive switch over the IR: a node kind a backend does not handle does not compile. */
export function unreachable(x: never): never {
  throw new Error(`unhandled expression node ${JSON.stringify(x)}`);
}

/** `TENSION op k`: the state read directly, the constant captured. */
function tensionK(op: BinaryOp, u: number, k: number): ScalarFn {
  switch (op) {
    case '<': return (v, i) => v.t[i * v.nt + u]! < k;
    case '>': return (v, i) => v.t[i * v.nt + u]! > k;
    case '<=': return (v, i) => v.t[i * v.nt + u]! <= k;
    case '>=': return (v, i) => v.t[i * v.nt + u]! >= k;
    case '+': return (v, i) => v.t[i * v.nt + u]! + k;
    case '-': return (v, i) => v.t[i * v.nt + u]! - k;
    case '*': return (v, i) => v.t[i * v.nt + u]! * k;
    case '/': return (v, i) => v.t[i * v.nt + u]! / k;
    case '%': return (v, i) => v.t[i * v.nt + u]! % k;
  }
}

function binaryK(op: BinaryOp, a: NumFn, k: number): ScalarFn {
  switch (op) {
    case '+': return (v, i) => a(v, i) + k;
    case '-': return (v, i) => a(v, i) - k;
    case '*': return (v, i) => a(v, i) * k;
    case '/': return (v, i) => a(v, i) / k;
    case '%': return (v, i) => a(v, i) % k;
    case '<': return (v, i) => a(v, i) < k;
    case '>': return (v, i) => a(v, i) > k;
    case '<=': return (v, i) => a(v, i) <= k;
    case '>=': return (v, i) => a(v, i) >= k;
  }
}

function math(node: Extract<IR, { k: 'math' }>): ScalarFn {
  const { fn: f, costly } = MATH[node.fn];
  const args = node.args.map((a) => scalar(a) as NumFn);
  if (args.length === 1) {
    const a = args[0]!;
    if (!costly) return (v, i) => f(a(v, i));
    // A pure function of one number remembers its last argument: within a round most tensions
    // do not move, so policy weights and hazards ask for the same value again.
    let lastX = NaN;
    let lastY = NaN;
    return (v, i) => {
      const x = a(v, i);
      if (x === lastX) return lastY;
      lastX = x;
      return (lastY = f(x));
    };
  }
  if (args.length === 2) {
    const [a, b] = args as [NumFn, NumFn];
    return (v, i) => f(a(v, i), b(v, i));
  }
  return (v, i) => f(...args.map((g) => g(v, i)));
}
