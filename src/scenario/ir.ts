/**
 * The typed intermediate form of an expression: what the checker (expr.ts) builds from the
 * parsed text once its names and types are known, and what both backends compile — the scalar
 * one (scalar.ts: one run) and the vector one (vector.ts: many runs at once). Each backend is
 * an exhaustive `switch` over `IR['k']`, so a new kind of node does not compile until both
 * handle it.
 *
 * Names (relationship, phase and stance states, string literals) are carried as codes, one per
 * distinct string (`codeOf`), so that `==` compares numbers in both backends.
 */
import type { CompiledForms } from './lanes.ts';

export type ArithOp = '+' | '-' | '*' | '/' | '%';
export type CompareOp = '<' | '>' | '<=' | '>=';
export type BinaryOp = ArithOp | CompareOp;

/** The functions of numbers, by name. */
export type MathName = 'min' | 'max' | 'abs' | 'sqrt' | 'exp' | 'log' | 'floor' | 'ceil' | 'pow' | 'clamp' | 'logistic';

export type IR =
  /** A number, a condition (1 or 0 in the vector form) or a name's code. */
  | { readonly k: 'const'; readonly value: number | boolean; readonly name?: string }
  | { readonly k: 'tension'; readonly index: number }
  | { readonly k: 'param'; readonly index: number }
  /** A number of the round alone (round in phase, weeks, days elapsed, the phase's code), by global round. */
  | { readonly k: 'byRound'; readonly table: readonly number[] }
  /** The relationship's state, as the code of its name. */
  | { readonly k: 'relationship'; readonly codes: readonly number[] }
  | { readonly k: 'stance'; readonly actor: number; readonly codes: readonly number[] }
  | { readonly k: 'count'; readonly key: number }
  | { readonly k: 'occurred'; readonly key: number }
  | { readonly k: 'since'; readonly key: number }
  /** Days since the last occurrence of a history key (`days` by global round: days elapsed at its start); Infinity if never. */
  | { readonly k: 'daysSince'; readonly key: number; readonly days: readonly number[] }
  /** The actor pulling the lever, as the code of its id (`codes` by actor index). */
  | { readonly k: 'actor'; readonly codes: readonly number[] }
  /** The outcome judged at checkpoint `index` (by outcome index, `codes`), or the code of `none` before it is judged. */
  | { readonly k: 'judged'; readonly index: number; readonly codes: readonly number[]; readonly none: number }
  /**
   * A derived value or a named condition: its own compiled expression, shared by every
   * expression that reads it.
   */
  | { readonly k: 'derived'; readonly id: string; readonly expr: CompiledForms & { readonly constant?: number | boolean } }
  /** Is mediator `index` active? Its test is compiled after the expressions that ask, so it is looked up when first run. */
  | { readonly k: 'active'; readonly index: number; readonly tests: readonly CompiledForms<boolean>[] }
  | { readonly k: 'weekly'; readonly rate: IR; readonly weeks: readonly number[] }
  | { readonly k: 'math'; readonly fn: MathName; readonly args: readonly IR[] }
  | { readonly k: 'not'; readonly a: IR }
  | { readonly k: 'neg'; readonly a: IR }
  | { readonly k: 'binary'; readonly op: BinaryOp; readonly a: IR; readonly b: IR }
  /** `a op value`: a constant right operand, captured (the optimiser's specialisation). */
  | { readonly k: 'binaryK'; readonly op: BinaryOp; readonly a: IR; readonly value: number }
  /** `value op b`: a constant left operand (arithmetic only). */
  | { readonly k: 'kBinary'; readonly op: ArithOp; readonly value: number; readonly b: IR }
  | { readonly k: 'equal'; readonly negate: boolean; readonly a: IR; readonly b: IR }
  | { readonly k: 'and' | 'or'; readonly a: IR; readonly b: IR }
  | { readonly k: 'if'; readonly test: IR; readonly then: IR; readonly else: IR };

export const MATH: Readonly<Record<MathName, { readonly arity: readonly [number, number]; readonly fn: (...a: number[]) => number; readonly costly?: true }>> = {
  min: { arity: [1, 16], fn: Math.min },
  max: { arity: [1, 16], fn: Math.max },
  abs: { arity: [1, 1], fn: Math.abs },
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  exp: { arity: [1, 1], fn: Math.exp, costly: true },
  log: { arity: [1, 1], fn: Math.log, costly: true },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  pow: { arity: [2, 2], fn: Math.pow },
  clamp: { arity: [3, 3], fn: (x, lo, hi) => Math.min(Math.max(x, lo), hi) },
  logistic: { arity: [1, 1], fn: (x) => 1 / (1 + Math.exp(-x)), costly: true },
};

export function isMathName(name: string): name is MathName {
  return Object.prototype.hasOwnProperty.call(MATH, name);
}

/** The operation of a binary operator on two numbers (comparisons give a condition). */
export function operate(op: BinaryOp, x: number, y: number): number | boolean {
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '%': return x % y;
    case '<': return x < y;
    case '>': return x > y;
    case '<=': return x <= y;
    case '>=': return x >= y;
  }
}

/** The code of a name: equal names, equal codes, in every scenario of the process. */
const codes = new Map<string, number>();

export function codeOf(name: string): number {
  let c = codes.get(name);
  if (c === undefined) codes.set(name, (c = codes.size + 1));
  return c;
}

const constant = (node: IR): node is Extract<IR, { k: 'const' }> => node.k === 'const';

/** The number of a constant node (a condition as 1 or 0, a name as its code). */
export function constantNumber(node: Extract<IR, { k: 'const' }>): number {
  return typeof node.value === 'number' ? node.value : node.value ? 1 : 0;
}

/**
 * The optimisation pass, applied to each node as the checker builds it (its children already
 * optimised): constant parts are computed once, with the very operations evaluation would
 * perform, so the values are the same bits; a condition whose left side settles it, and an
 * `if` whose test is constant, become the side they take; a constant operand of an arithmetic
 * or comparison operator is captured as a number (`binaryK`, `kBinary`), which both backends
 * run without evaluating it. What folds to a constant reads nothing of the state, which is how
 * lint knows a guard is always false.
 */
export function optimise(node: IR): IR {
  switch (node.k) {
    case 'math':
      if (node.args.every(constant)) return { k: 'const', value: MATH[node.fn].fn(...node.args.map((a) => (a as Extract<IR, { k: 'const' }>).value as number)) };
      return node;
    case 'neg':
      return constant(node.a) ? { k: 'const', value: -(node.a.value as number) } : node;
    case 'binary': {
      const { op, a, b } = node;
      if (constant(a) && constant(b)) return { k: 'const', value: operate(op, a.value as number, b.value as number) };
      if (constant(b)) return { k: 'binaryK', op, a, value: b.value as number };
      if (constant(a) && (op === '+' || op === '-' || op === '*' || op === '/')) return { k: 'kBinary', op, value: a.value as number, b };
      return node;
    }
    case 'not':
      return constant(node.a) ? { k: 'const', value: !node.a.value } : node;
    // A condition whose left side settles it reads nothing more.
    case 'and':
      return constant(node.a) ? (node.a.value ? node.b : node.a) : node;
    case 'or':
      return constant(node.a) ? (node.a.value ? node.a : node.b) : node;
    case 'if':
      return constant(node.test) ? (node.test.value ? node.then : node.else) : node;
    case 'equal':
      return constant(node.a) && constant(node.b) ? { k: 'const', value: (node.a.value === node.b.value) !== node.negate } : node;
    case 'derived':
      return node.expr.constant !== undefined ? { k: 'const', value: node.expr.constant } : node;
    default:
      return node;
  }
}
