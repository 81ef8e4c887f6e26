/**
 * The expression language of scenario files: conditions, probabilities, hazards and policy
 * weights. Parsed with `jsep`, checked against the scenario's names and types when the file
 * loads, and compiled into plain closures over the simulation state — no `eval`, no
 * `new Function`. Names such as `__proto__` never resolve: every lookup goes through `Map`s
 * built from the scenario's declared ids.
 */
import jsep from 'jsep';
import { suggest } from './errors.ts';
import { codeOf, registerVector, vApply1, vApply2, vApplyN, vBinary, vByRound, vOperate, vConst, vCount, vectorOf, vNegate, vNot, vOccurred, vParam, vRelationship, vSelect, vShortCircuit, vSince, vStance, vTension, vWeekly, type VecFn } from './lanes.ts';

jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('or', 1);
jsep.addUnaryOp('not');
for (const op of ['|', '^', '&', '<<', '>>', '>>>', '??', '**']) jsep.removeBinaryOp(op);
jsep.removeUnaryOp('~');

/** What compiled expressions read. Both executors' states satisfy it. */
export interface EvalState {
  /** Global round index (0-based, across phases). */
  readonly g: number;
  /** Tension values, by tension index. */
  readonly t: ArrayLike<number>;
  /** Parameter values, by parameter index. */
  readonly p: ArrayLike<number>;
  /** Relationship state index. */
  readonly rel: number;
  /** Stance state index per actor (-1 for actors without a stance chart). */
  readonly st: ArrayLike<number>;
  /** How often each history key (lever, lever branch, event, event branch) occurred. */
  readonly cnt: ArrayLike<number>;
  /** Global round of the last occurrence of each history key, -1 if never. */
  readonly last: ArrayLike<number>;
}

export type Value = number | boolean | string;
export type Fn<T extends Value = Value> = (s: EvalState) => T;
export type Ty = 'number' | 'boolean' | 'string';
/** Internal: the type of a sub-expression that already has a reported problem (no further complaints). */
type CheckedTy = Ty | 'error';

/** A history key: something whose occurrences `count`, `since`, `pulled` and `fired` can ask about. */
export interface HistoryEntry {
  readonly key: number;
  readonly kind: 'lever' | 'event';
  readonly branches: ReadonlyMap<string, number>;
}

/** The names an expression may use, resolved to indices by the normaliser. */
export interface Scope {
  readonly tensions: ReadonlyMap<string, number>;
  readonly derived: ReadonlyMap<string, Fn<number>>;
  readonly params: ReadonlyMap<string, number>;
  readonly phases: readonly string[];
  readonly relationship: readonly string[];
  readonly actors: ReadonlyMap<string, { index: number; stances: readonly string[] | null }>;
  readonly history: ReadonlyMap<string, HistoryEntry>;
  /** Mediator activity tests, filled after the mediators are compiled (they may not refer to each other). */
  readonly mediators: ReadonlyMap<string, { index: number }>;
  /** Names that exist but may not be used in this scope, with the reason. */
  readonly withheld?: ReadonlyMap<string, string>;
  readonly mediatorActive: Fn<boolean>[];
  /** Per global round: phase index, 1-based round in phase, round length in weeks, days elapsed. */
  readonly time: { readonly phaseOf: readonly number[]; readonly roundOf: readonly number[]; readonly weeksOf: readonly number[]; readonly daysOf: readonly number[] };
}

/** A problem in an expression, with the character offset inside the expression text. */
export interface ExprProblem {
  readonly message: string;
  readonly offset: number;
  readonly hint?: string;
}

export class ExprError extends Error {
  constructor(readonly problems: readonly ExprProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

export interface Compiled<T extends Value = Value> {
  readonly ty: CheckedTy;
  readonly fn: Fn<T>;
  /** The same expression over many runs at once (see lanes.ts). */
  readonly vec: VecFn;
  /** For values drawn from a fixed set of names (relationship, phase, stance): the set. */
  readonly states?: readonly string[];
  /** For string literals: the literal. */
  readonly literal?: string;
  /** For literals and constant folding. */
  readonly constant?: boolean;
  /** For a bare tension name: its index (lets comparisons read the state directly). */
  readonly tension?: number;
}

const ARITHMETIC: Record<string, (x: number, y: number) => number | boolean> = {
  '+': (x, y) => x + y, '-': (x, y) => x - y, '*': (x, y) => x * y, '/': (x, y) => x / y, '%': (x, y) => x % y,
  '<': (x, y) => x < y, '>': (x, y) => x > y, '<=': (x, y) => x <= y, '>=': (x, y) => x >= y,
};

/**
 * Cheaper closures for the common shapes: two constants fold into one; a constant operand is
 * captured as a number; `TENSION <op> constant` and `constant <op> TENSION` read the state
 * directly. Same results, fewer calls in the hot loop.
 */
function specialise(op: string, left: Compiled, right: Compiled): Omit<Compiled, 'vec'> | null {
  const f = ARITHMETIC[op];
  if (!f || !Object.prototype.hasOwnProperty.call(ARITHMETIC, op)) return null;
  const ty: Ty = op === '<' || op === '>' || op === '<=' || op === '>=' ? 'boolean' : 'number';
  const none = undefined as unknown as EvalState;
  if (left.constant && right.constant) {
    const value = f(left.fn(none) as number, right.fn(none) as number);
    return { ty, fn: () => value, constant: true };
  }
  if (!right.constant) {
    if (!left.constant) return null;
    const k = left.fn(none) as number;
    const b = right.fn as Fn<number>;
    const u = right.tension;
    if (u !== undefined) {
      switch (op) {
        case '+': return { ty, fn: (s) => k + s.t[u]! };
        case '-': return { ty, fn: (s) => k - s.t[u]! };
        case '*': return { ty, fn: (s) => k * s.t[u]! };
        case '/': return { ty, fn: (s) => k / s.t[u]! };
        default: return null;
      }
    }
    switch (op) {
      case '+': return { ty, fn: (s) => k + b(s) };
      case '-': return { ty, fn: (s) => k - b(s) };
      case '*': return { ty, fn: (s) => k * b(s) };
      case '/': return { ty, fn: (s) => k / b(s) };
      default: return null;
    }
  }
  const k = right.fn(none) as number;
  const t = left.tension;
  if (t !== undefined) {
    switch (op) {
      case '<': return { ty, fn: (s) => s.t[t]! < k };
      case '>': return { ty, fn: (s) => s.t[t]! > k };
      case '<=': return { ty, fn: (s) => s.t[t]! <= k };
      case '>=': return { ty, fn: (s) => s.t[t]! >= k };
      case '-': return { ty, fn: (s) => s.t[t]! - k };
      case '*': return { ty, fn: (s) => s.t[t]! * k };
      case '/': return { ty, fn: (s) => s.t[t]! / k };
      case '+': return { ty, fn: (s) => s.t[t]! + k };
      default: return null;
    }
  }
  const a = left.fn as Fn<number>;
  switch (op) {
    case '+': return { ty, fn: (s) => a(s) + k };
    case '-': return { ty, fn: (s) => a(s) - k };
    case '*': return { ty, fn: (s) => a(s) * k };
    case '/': return { ty, fn: (s) => a(s) / k };
    case '<': return { ty, fn: (s) => a(s) < k };
    case '>': return { ty, fn: (s) => a(s) > k };
    case '<=': return { ty, fn: (s) => a(s) <= k };
    case '>=': return { ty, fn: (s) => a(s) >= k };
    default: return null;
  }
}

/** Functions of numbers. `weekly(rate)` turns a weekly rate into the probability for this round. */
const MATH: Record<string, { arity: [number, number]; fn: (...a: number[]) => number; costly?: true }> = {
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
const STATE_FUNCTIONS = ['stance', 'pulled', 'count', 'since', 'fired', 'active', 'weekly', 'if'] as const;
/** Every function name, for hints and for the authoring guide. */
export const FUNCTION_NAMES: readonly string[] = [...Object.keys(MATH), ...STATE_FUNCTIONS];
/** Built-in names every expression can read. */
export const BUILTIN_NAMES: readonly string[] = ['round', 'phase', 'relationship', 'elapsed_days', 'round_weeks'];
/** Words that cannot be used as ids because expressions give them a meaning. */
export const RESERVED = new Set([...FUNCTION_NAMES, ...BUILTIN_NAMES, 'params', 'and', 'or', 'not', 'true', 'false', 'null', 'this', 'pass']);

type Node = jsep.Expression;

/**
 * Parses and checks `source` against `scope`, expecting a value of type `expect`.
 * Throws `ExprError` with every problem found.
 */
export function compileExpr<T extends Value>(source: string | number | boolean, scope: Scope, expect: Ty): Fn<T> {
  if (typeof source === 'number') {
    if (expect !== 'number') throw new ExprError([{ message: `expected a condition (true/false), found the number ${source}`, offset: 0 }]);
    return withVector((() => source) as unknown as Fn<T>, constantVec(source));
  }
  if (typeof source === 'boolean') {
    if (expect !== 'boolean') throw new ExprError([{ message: `expected a number, found ${source}`, offset: 0 }]);
    return withVector((() => source) as unknown as Fn<T>, constantVec(source));
  }
  if (source.length > MAX_EXPR_LENGTH) {
    throw new ExprError([{ message: `the expression is ${source.length} characters long; at most ${MAX_EXPR_LENGTH} are allowed`, offset: 0, hint: SPLIT_HINT }]);
  }
  const bracket = bracketTooDeep(source);
  if (bracket !== null) throw new ExprError([{ message: TOO_DEEP, offset: bracket, hint: SPLIT_HINT }]);
  let ast: Node;
  try {
    ast = jsep(source);
  } catch (error) {
    if (error instanceof RangeError) throw new ExprError([{ message: TOO_DEEP, offset: 0, hint: SPLIT_HINT }]);
    const e = error as { index?: number; description?: string; message: string };
    throw new ExprError([{ message: `syntax error: ${e.description ?? e.message}`, offset: e.index ?? 0 }]);
  }
  const depth = depthOf(ast, scope);
  if (depth > MAX_EXPR_DEPTH) throw new ExprError([{ message: TOO_DEEP, offset: 0, hint: SPLIT_HINT }]);
  const compiler = new Compiler(source, scope);
  const compiled = compiler.node(ast);
  if (compiler.problems.length === 0) compiler.expect(compiled, expect, ast);
  if (compiler.problems.length > 0) throw new ExprError(compiler.problems);
  if (compiler.readsActive) READS_ACTIVE.add(compiled.fn);
  DEPTH.set(compiled.fn, depth);
  const nonFinite = compiler.nonFinite.get(ast);
  if (expect === 'number' && nonFinite) NON_FINITE.set(compiled.fn, nonFiniteProblem(nonFinite));
  return withVector(compiled.fn as Fn<T>, compiled.vec);
}

/** Longest expression text: the longest in the bundled scenarios is about 340 characters. */
export const MAX_EXPR_LENGTH = 10_000;
/**
 * Deepest expression: levels of operators, calls and brackets, counting the levels of the
 * derived values it reads (they run nested inside it). Every stage (parse, check, fold,
 * compile, the vector form, evaluation) recurses once per level, so this keeps them all far
 * from the stack's end; the bundled scenarios need fewer than 20.
 */
export const MAX_EXPR_DEPTH = 500;
const TOO_DEEP = `the expression is nested too deeply: more than ${MAX_EXPR_DEPTH} levels (each bracket, call and operator in a chain such as \`a + b + c\` is a level, and so are the levels of the derived values it reads)`;
const SPLIT_HINT = 'split it: give parts of it their own `derived` values (a long chain of derived values, each reading the one before, nests as deep as all of them together: shorten the chain)';

/** The offset of the first bracket deeper than `MAX_EXPR_DEPTH`, outside quotes; null if none. */
function bracketTooDeep(source: string): number | null {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '"' || c === "'") {
      i++;
      while (i < source.length && source[i] !== c) i += source[i] === '\\' ? 2 : 1;
    } else if (c === '(' || c === '[') {
      if (++depth > MAX_EXPR_DEPTH) return i;
    } else if (c === ')' || c === ']') depth--;
  }
  return null;
}

/** The children of a parsed node (every field holding a node or a list of nodes). */
function childrenOf(node: Node): Node[] {
  const out: Node[] = [];
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const v of value) (v && typeof v === 'object' && typeof (v as Node).type === 'string') && out.push(v as Node);
    else if (value && typeof value === 'object' && typeof (value as Node).type === 'string') out.push(value as Node);
  }
  return out;
}

/** Depth of the parsed expression, with an explicit stack; a derived value counts its own depth. */
function depthOf(root: Node, scope: Scope): number {
  let deepest = 0;
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    let d = depth;
    if (node.type === 'Identifier') {
      const derived = scope.derived.get((node as jsep.Identifier).name);
      if (derived) d += DEPTH.get(derived) ?? 1;
    }
    if (d > deepest) deepest = d;
    if (deepest > MAX_EXPR_DEPTH) return deepest;
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Depth of each compiled expression, for the expressions that read it as a derived value. */
const DEPTH = new WeakMap<Fn, number>();

/** Number-valued expressions with a part that is NaN or infinite (see `nonFiniteProblemOf`). */
const NON_FINITE = new WeakMap<Fn, ExprProblem>();

/**
 * The problem with a compiled number-valued expression that holds a constant part which folds
 * to NaN or ±Infinity, or divides by a constant 0 (the expression itself is well formed: the
 * language computes with NaN and Infinity as JavaScript does; a scenario may not let them reach
 * a probability, hazard, weight or tension).
 */
export function nonFiniteProblemOf(fn: Fn): ExprProblem | undefined {
  return NON_FINITE.get(fn);
}

/** A part of an expression whose value is not a finite number, or may not be. */
interface NonFinite {
  readonly offset: number;
  readonly kind: 'nan' | 'infinite' | 'zero';
}

function nonFiniteProblem(n: NonFinite): ExprProblem {
  const message =
    n.kind === 'zero'
      ? 'this part divides by zero: the value is infinite, or not a number (NaN) when both sides are 0'
      : n.kind === 'nan'
        ? 'this part of the expression is not a number (NaN)'
        : 'this part of the expression is infinite';
  return { message: `${message}; a probability, hazard, weight or tension needs a finite number`, offset: n.offset, hint: 'check the arithmetic: 0/0, x/0, log(0), log or sqrt of a negative number, and huge powers give no finite number' };
}

const READS_ACTIVE = new WeakSet<Fn>();

/** Does this compiled expression ask whether a mediator is active, directly or through a derived value? */
export function readsMediatorActivity(fn: Fn): boolean {
  return READS_ACTIVE.has(fn);
}

function withVector<T extends Value>(fn: Fn<T>, vec: VecFn): Fn<T> {
  registerVector(fn, vec);
  return fn;
}

const constantVec = (value: Value): VecFn => vConst(typeof value === 'number' ? value : typeof value === 'boolean' ? (value ? 1 : 0) : codeOf(value));
/** The vector form of an expression that has a problem (never run: the file does not load). */
const NOTHING: VecFn = () => {};

/** Offsets of identifier and string tokens, in source order, to place problems. */
function tokenOffsets(source: string): { ids: number[]; strings: number[]; numbers: number[] } {
  const ids: number[] = [];
  const strings: number[] = [];
  const numbers: number[] = [];
  const words = new Set(['and', 'or', 'not', 'true', 'false', 'null', 'this']);
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '"' || c === "'") {
      strings.push(i);
      i++;
      while (i < source.length && source[i] !== c) i += source[i] === '\\' ? 2 : 1;
      i++;
    } else if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (i < source.length && /[\w$]/.test(source[i]!)) i++;
      if (!words.has(source.slice(start, i))) ids.push(start);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      numbers.push(i);
      while (i < source.length && /[0-9.]/.test(source[i]!)) i++;
      if (/[eE]/.test(source[i] ?? '') && /^[+-]?[0-9]/.test(source.slice(i + 1, i + 3))) {
        i += /[+-]/.test(source[i + 1]!) ? 2 : 1;
        while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      }
    } else i++;
  }
  return { ids, strings, numbers };
}

class Compiler {
  readonly problems: ExprProblem[] = [];
  /** Does the expression ask whether a mediator is active (directly or through a derived value)? */
  readsActive = false;
  private readonly offsets = new Map<Node, number>();

  constructor(
    private readonly source: string,
    private readonly scope: Scope,
  ) {}

  private placeTokens(root: Node): void {
    const { ids, strings, numbers } = tokenOffsets(this.source);
    let nextId = 0;
    let nextString = 0;
    let nextNumber = 0;
    const visit = (node: Node | null | undefined): void => {
      if (!node) return;
      switch (node.type) {
        case 'Identifier':
          this.offsets.set(node, ids[nextId++] ?? 0);
          return;
        case 'Literal':
          if (typeof (node as jsep.Literal).value === 'string') this.offsets.set(node, strings[nextString++] ?? 0);
          else if (typeof (node as jsep.Literal).value === 'number') this.offsets.set(node, numbers[nextNumber++] ?? 0);
          return;
        case 'MemberExpression':
          visit((node as jsep.MemberExpression).object);
          visit((node as jsep.MemberExpression).property);
          return;
        case 'CallExpression':
          visit((node as jsep.CallExpression).callee);
          for (const arg of (node as jsep.CallExpression).arguments) visit(arg);
          return;
        case 'BinaryExpression':
          visit((node as jsep.BinaryExpression).left);
          visit((node as jsep.BinaryExpression).right);
          return;
        case 'UnaryExpression':
          visit((node as jsep.UnaryExpression).argument);
          return;
        case 'ConditionalExpression': {
          const n = node as jsep.ConditionalExpression;
          visit(n.test);
          visit(n.consequent);
          visit(n.alternate);
          return;
        }
        default:
          return;
      }
    };
    visit(root);
  }

  /** Offset of a node: its own token, or its first token inside. */
  private at(node: Node): number {
    if (this.offsets.size === 0) return 0;
    const own = this.offsets.get(node);
    if (own !== undefined) return own;
    for (const key of ['left', 'object', 'callee', 'argument', 'test'] as const) {
      const child = (node as Record<string, unknown>)[key] as Node | undefined;
      if (child) return this.at(child);
    }
    return 0;
  }

  private problem(node: Node, message: string, hint?: string): Compiled {
    this.problems.push({ message, offset: this.at(node), ...(hint ? { hint } : {}) });
    return { ty: 'error', fn: () => 0, vec: NOTHING };
  }

  expect(c: Compiled, ty: Ty, node: Node): boolean {
    if (c.ty === ty || c.ty === 'error') return true;
    const found = c.ty === 'boolean' ? 'a condition (true/false)' : c.ty === 'number' ? 'a number' : 'a name';
    const wanted = ty === 'boolean' ? 'a condition (true/false)' : ty === 'number' ? 'a number' : 'a name';
    const hint = ty === 'boolean' && c.ty === 'number' ? 'compare it, e.g. `MIL > 50`' : ty === 'number' && c.ty === 'boolean' ? 'use `if(condition, a, b)` to turn a condition into a number' : undefined;
    this.problem(node, `expected ${wanted}, found ${found}`, hint);
    return false;
  }

  /**
   * Each number-valued node whose value is not finite, or may not be (a constant that folds to
   * NaN or ±Infinity, a division by a constant 0, or a part that holds one), with the offset of
   * the innermost such part.
   */
  readonly nonFinite = new Map<Node, NonFinite>();
  /** Number-valued nodes that are the constant 0. */
  private readonly zeros = new Set<Node>();

  node(node: Node): Compiled {
    const compiled = this.compileNode(node);
    if (compiled.ty === 'number') {
      const inner = this.innerNonFinite(node);
      if (inner) this.nonFinite.set(node, inner);
      else if (compiled.constant) {
        const value = compiled.fn(undefined as never) as number;
        if (!Number.isFinite(value)) this.nonFinite.set(node, { offset: this.at(node), kind: Number.isNaN(value) ? 'nan' : 'infinite' });
      } else if (node.type === 'BinaryExpression' && ((node as jsep.BinaryExpression).operator === '/' || (node as jsep.BinaryExpression).operator === '%')) {
        const right = (node as jsep.BinaryExpression).right;
        if (this.zeros.has(right)) this.nonFinite.set(node, { offset: this.at(right), kind: 'zero' });
      }
      if (compiled.constant && compiled.fn(undefined as never) === 0) this.zeros.add(node);
    }
    return compiled;
  }

  /** The first non-finite part among a node's number-valued parts (`weekly` turns an infinite rate into 1, but 0/0 into NaN). */
  private innerNonFinite(node: Node): NonFinite | undefined {
    const weekly = node.type === 'CallExpression' && (node as jsep.CallExpression).callee.type === 'Identifier' && ((node as jsep.CallExpression).callee as jsep.Identifier).name === 'weekly';
    for (const child of childrenOf(node)) {
      const found = this.nonFinite.get(child);
      if (found && (!weekly || found.kind !== 'infinite')) return found;
    }
    return undefined;
  }

  private compileNode(node: Node): Compiled {
    if (this.offsets.size === 0) this.placeTokens(node);
    switch (node.type) {
      case 'Literal':
        return this.literal(node as jsep.Literal);
      case 'Identifier':
        return this.identifier(node as jsep.Identifier);
      case 'MemberExpression':
        return this.member(node as jsep.MemberExpression);
      case 'CallExpression':
        return this.call(node as jsep.CallExpression);
      case 'UnaryExpression':
        return this.unary(node as jsep.UnaryExpression);
      case 'BinaryExpression':
        return this.binary(node as jsep.BinaryExpression);
      case 'ConditionalExpression':
        return this.conditional(node as jsep.ConditionalExpression);
      case 'Compound':
        return this.problem(node, 'syntax error: several expressions side by side', 'join them with `and` or `or`');
      default:
        return this.problem(node, `\`${this.source}\` uses syntax that expressions do not support (${node.type})`);
    }
  }

  private literal(node: jsep.Literal): Compiled {
    const value = node.value;
    if (typeof value === 'number') return { ty: 'number', fn: () => value, vec: constantVec(value), constant: true };
    if (typeof value === 'boolean') return { ty: 'boolean', fn: () => value, vec: constantVec(value), constant: true };
    if (typeof value === 'string') return { ty: 'string', fn: () => value, vec: constantVec(value), literal: value, constant: true };
    return this.problem(node, `unsupported literal \`${String(node.raw)}\``);
  }

  private identifier(node: jsep.Identifier): Compiled {
    const name = node.name;
    const { scope } = this;
    const tension = scope.tensions.get(name);
    if (tension !== undefined) return { ty: 'number', fn: (s) => s.t[tension]!, vec: vTension(tension), tension };
    const withheld = scope.withheld?.get(name);
    if (withheld !== undefined) return this.problem(node, `\`${name}\` cannot be used here: ${withheld}`);
    const derived = scope.derived.get(name);
    if (derived) {
      if (READS_ACTIVE.has(derived)) this.readsActive = true;
      return { ty: 'number', fn: derived, vec: vectorOf(derived, 'number') };
    }
    const { phaseOf, roundOf, weeksOf, daysOf } = scope.time;
    switch (name) {
      case 'round':
        return { ty: 'number', fn: (s) => roundOf[s.g]!, vec: vByRound(roundOf) };
      case 'round_weeks':
        return { ty: 'number', fn: (s) => weeksOf[s.g]!, vec: vByRound(weeksOf) };
      case 'elapsed_days':
        return { ty: 'number', fn: (s) => daysOf[s.g]!, vec: vByRound(daysOf) };
      case 'phase': {
        const phases = scope.phases;
        return { ty: 'string', fn: (s) => phases[phaseOf[s.g]!]!, vec: vByRound(phaseOf.map((i) => codeOf(phases[i]!))), states: phases };
      }
      case 'relationship': {
        const states = scope.relationship;
        return { ty: 'string', fn: (s) => states[s.rel]!, vec: vRelationship(states.map(codeOf)), states };
      }
      case 'params':
        return this.problem(node, '`params` needs a parameter name', `write \`params.NAME\`; parameters: ${[...scope.params.keys()].join(', ') || 'none declared'}`);
    }
    if (FUNCTION_NAMES.includes(name)) return this.problem(node, `\`${name}\` is a function`, `call it, e.g. \`${name}(…)\``);
    const known = [...scope.tensions.keys(), ...scope.derived.keys(), ...BUILTIN_NAMES];
    const what = scope.history.has(name) ? ` (\`${name}\` is a ${scope.history.get(name)!.kind}: use \`${scope.history.get(name)!.kind === 'lever' ? 'pulled' : 'fired'}(${name})\`)` : scope.params.has(name) ? ` (a parameter: write \`params.${name}\`)` : '';
    return this.problem(node, `unknown name \`${name}\`${what}`, what ? undefined : hintFor(name, known, 'name'));
  }

  private member(node: jsep.MemberExpression): Compiled {
    const object = node.object;
    const property = node.property;
    if (object.type !== 'Identifier' || (object as jsep.Identifier).name !== 'params' || node.computed || property.type !== 'Identifier') {
      return this.problem(node, 'only `params.NAME` may use a dot', 'tensions and derived values are read by name alone');
    }
    const name = (property as jsep.Identifier).name;
    const index = this.scope.params.get(name);
    if (index === undefined) return this.problem(property, `unknown parameter \`${name}\``, hintFor(name, this.scope.params.keys(), 'parameter'));
    return { ty: 'number', fn: (s) => s.p[index]!, vec: vParam(index) };
  }

  /** An id argument: a bare name or a string literal. */
  private idArg(node: Node | undefined): string | undefined {
    if (!node) return undefined;
    if (node.type === 'Identifier') return (node as jsep.Identifier).name;
    if (node.type === 'Literal' && typeof (node as jsep.Literal).value === 'string') return (node as jsep.Literal).value as string;
    return undefined;
  }

  private call(node: jsep.CallExpression): Compiled {
    if (node.callee.type !== 'Identifier') return this.problem(node, 'only named functions can be called');
    const name = (node.callee as jsep.Identifier).name;
    const args = node.arguments;
    const math = Object.prototype.hasOwnProperty.call(MATH, name) ? MATH[name] : undefined;
    if (math) {
      const [lo, hi] = math.arity;
      if (args.length < lo || args.length > hi) return this.problem(node, `\`${name}\` takes ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? '' : 's'}, found ${args.length}`);
      const compiled = args.map((a) => this.numberArg(a));
      const f = math.fn;
      if (compiled.every((c) => c.constant)) {
        const value = f(...compiled.map((c) => c.fn(undefined as unknown as EvalState) as number));
        return { ty: 'number', fn: () => value, vec: vConst(value), constant: true };
      }
      const fns = compiled.map((c) => c.fn as Fn<number>);
      if (fns.length === 1) {
        const [a] = fns as [Fn<number>];
        const vec = vApply1(compiled[0]!.vec, f);
        if (!math.costly) return { ty: 'number', fn: (s) => f(a(s)), vec };
        // A pure function of one number remembers its last argument: within a round most
        // tensions do not move, so policy weights and hazards ask for the same value again.
        let lastX = NaN;
        let lastY = NaN;
        return {
          ty: 'number',
          vec,
          fn: (s) => {
            const x = a(s);
            if (x === lastX) return lastY;
            lastX = x;
            return (lastY = f(x));
          },
        };
      }
      if (fns.length === 2) {
        const [a, b] = fns as [Fn<number>, Fn<number>];
        return { ty: 'number', fn: (s) => f(a(s), b(s)), vec: vApply2(compiled[0]!.vec, compiled[1]!.vec, f) };
      }
      return { ty: 'number', fn: (s) => f(...fns.map((g) => g(s))), vec: vApplyN(compiled.map((c) => c.vec), f) };
    }
    switch (name) {
      case 'weekly': {
        if (args.length !== 1) return this.problem(node, '`weekly` takes 1 argument (a rate per week)');
        const compiled = this.numberArg(args[0]!);
        const rate = compiled.fn as Fn<number>;
        const weeks = this.scope.time.weeksOf;
        return { ty: 'number', fn: (s) => 1 - Math.exp(-Math.max(0, rate(s)) * weeks[s.g]!), vec: vWeekly(compiled.vec, weeks) };
      }
      case 'if': {
        if (args.length !== 3) return this.problem(node, '`if` takes 3 arguments: if(condition, then, else)');
        const test = this.node(args[0]!);
        this.expect(test, 'boolean', args[0]!);
        const a = this.node(args[1]!);
        const b = this.node(args[2]!);
        if (a.ty !== b.ty && a.ty !== 'error' && b.ty !== 'error') return this.problem(args[2]!, 'both branches of `if` must have the same type');
        const [t, x, y] = [test.fn as Fn<boolean>, a.fn, b.fn];
        return { ty: a.ty, fn: (s) => (t(s) ? x(s) : y(s)), vec: vSelect(test.vec, a.vec, b.vec), ...(a.states ? { states: a.states } : {}) };
      }
      case 'stance': {
        const actor = this.idArg(args[0]);
        if (args.length !== 1 || actor === undefined) return this.problem(node, '`stance` takes one actor id, e.g. `stance(petro)`');
        const entry = this.scope.actors.get(actor);
        if (!entry) return this.problem(args[0]!, `unknown actor \`${actor}\``, hintFor(actor, this.scope.actors.keys(), 'actor'));
        if (!entry.stances) return this.problem(args[0]!, `actor \`${actor}\` has no stance statechart`);
        const states = entry.stances;
        const index = entry.index;
        return { ty: 'string', fn: (s) => states[s.st[index]!]!, vec: vStance(index, states.map(codeOf)), states };
      }
      case 'active': {
        const mediator = this.idArg(args[0]);
        if (args.length !== 1 || mediator === undefined) return this.problem(node, '`active` takes one mediator id');
        const withheld = this.scope.withheld?.get('active');
        if (withheld !== undefined) return this.problem(node, `\`active\` cannot be used here: ${withheld}`);
        const entry = this.scope.mediators.get(mediator);
        if (!entry) return this.problem(args[0]!, `unknown mediator \`${mediator}\``, hintFor(mediator, this.scope.mediators.keys(), 'mediator'));
        const tests = this.scope.mediatorActive;
        const index = entry.index;
        // Mediators are compiled after derived values, levers and modifiers, which may ask
        // whether one is active: look its test up when it is first needed.
        this.readsActive = true;
        let vec: VecFn | null = null;
        return { ty: 'boolean', fn: (s) => tests[index]!(s), vec: (v, idx, n, out) => (vec ??= vectorOf(tests[index]!, 'boolean'))(v, idx, n, out) };
      }
      case 'pulled':
      case 'fired':
      case 'count':
      case 'since': {
        // `pulled(lever.branch)` is the same as `pulled(lever, branch)`, and needs no comma
        // (a comma ends a value inside a YAML `{ … }` mapping).
        let [first, second] = args;
        if (args.length === 1 && first?.type === 'MemberExpression') {
          const member = first as jsep.MemberExpression;
          if (!member.computed && member.object.type === 'Identifier' && member.property.type === 'Identifier') {
            first = member.object;
            second = member.property;
          }
        }
        const arity = second === undefined ? 1 : 2;
        const id = this.idArg(first);
        if (args.length < 1 || args.length > 2 || id === undefined) return this.problem(node, `\`${name}\` takes an id and optionally a branch, e.g. \`${name}(${name === 'fired' ? 'boat_strike' : 'show_record.lands_well'})\``);
        const entry = this.scope.history.get(id);
        const kind = name === 'pulled' ? 'lever' : name === 'fired' ? 'event' : undefined;
        if (!entry || (kind && entry.kind !== kind)) {
          const candidates = [...this.scope.history].filter(([, e]) => !kind || e.kind === kind).map(([k]) => k);
          return this.problem(first!, `unknown ${kind ?? 'lever or event'} \`${id}\``, hintFor(id, candidates, kind ?? 'lever or event'));
        }
        let key = entry.key;
        if (arity === 2) {
          const branch = this.idArg(second);
          const branchKey = branch === undefined ? undefined : entry.branches.get(branch);
          if (branchKey === undefined) return this.problem(second!, `\`${id}\` has no branch \`${branch ?? '?'}\``, hintFor(branch ?? '', entry.branches.keys(), 'branch'));
          key = branchKey;
        }
        if (name === 'count') return { ty: 'number', fn: (s) => s.cnt[key]!, vec: vCount(key) };
        if (name === 'since') return { ty: 'number', fn: (s) => (s.last[key]! < 0 ? Infinity : s.g - s.last[key]!), vec: vSince(key) };
        return { ty: 'boolean', fn: (s) => s.cnt[key]! > 0, vec: vOccurred(key) };
      }
    }
    return this.problem(node.callee, `unknown function \`${name}\``, hintFor(name, FUNCTION_NAMES, 'function'));
  }

  private numberArg(node: Node): Compiled {
    const c = this.node(node);
    this.expect(c, 'number', node);
    return c;
  }

  private unary(node: jsep.UnaryExpression): Compiled {
    const arg = this.node(node.argument);
    if (node.operator === 'not' || node.operator === '!') {
      this.expect(arg, 'boolean', node.argument);
      const f = arg.fn as Fn<boolean>;
      return { ty: 'boolean', fn: (s) => !f(s), vec: vNot(arg.vec) };
    }
    if (node.operator === '-' || node.operator === '+') {
      this.expect(arg, 'number', node.argument);
      const f = arg.fn as Fn<number>;
      if (arg.constant) {
        const v = node.operator === '-' ? -f(undefined as never) : f(undefined as never);
        return { ty: 'number', fn: () => v, vec: vConst(v), constant: true };
      }
      return node.operator === '-' ? { ty: 'number', fn: (s) => -f(s), vec: vNegate(arg.vec) } : { ty: 'number', fn: f, vec: arg.vec };
    }
    return this.problem(node, `unsupported operator \`${node.operator}\``);
  }

  private binary(node: jsep.BinaryExpression): Compiled {
    const op = node.operator;
    const left = this.node(node.left);
    const right = this.node(node.right);
    if (op === 'and' || op === '&&' || op === 'or' || op === '||') {
      this.expect(left, 'boolean', node.left);
      this.expect(right, 'boolean', node.right);
      const [a, b] = [left.fn as Fn<boolean>, right.fn as Fn<boolean>];
      return op === 'and' || op === '&&'
        ? { ty: 'boolean', fn: (s) => a(s) && b(s), vec: vShortCircuit(left.vec, right.vec, true) }
        : { ty: 'boolean', fn: (s) => a(s) || b(s), vec: vShortCircuit(left.vec, right.vec, false) };
    }
    if (op === '==' || op === '!=' || op === '===' || op === '!==') return this.equality(node, left, right, op === '==' || op === '===');
    this.expect(left, 'number', node.left);
    this.expect(right, 'number', node.right);
    const [a, b] = [left.fn as Fn<number>, right.fn as Fn<number>];
    const special = specialise(op, left, right);
    if (special?.constant) return { ...special, vec: constantVec(special.fn(undefined as never)) };
    const operand = (c: Compiled) => ({ vec: c.vec, ...(c.constant ? { constant: c.fn(undefined as never) as number } : {}), ...(c.tension !== undefined ? { tension: c.tension } : {}) });
    const vec = vOperate(op, operand(left), operand(right));
    if (!vec) return this.problem(node, `unsupported operator \`${op}\``);
    if (special) return { ...special, vec };
    switch (op) {
      case '+': return { ty: 'number', fn: (s) => a(s) + b(s), vec };
      case '-': return { ty: 'number', fn: (s) => a(s) - b(s), vec };
      case '*': return { ty: 'number', fn: (s) => a(s) * b(s), vec };
      case '/': return { ty: 'number', fn: (s) => a(s) / b(s), vec };
      case '%': return { ty: 'number', fn: (s) => a(s) % b(s), vec };
      case '<': return { ty: 'boolean', fn: (s) => a(s) < b(s), vec };
      case '>': return { ty: 'boolean', fn: (s) => a(s) > b(s), vec };
      case '<=': return { ty: 'boolean', fn: (s) => a(s) <= b(s), vec };
      case '>=': return { ty: 'boolean', fn: (s) => a(s) >= b(s), vec };
    }
    return this.problem(node, `unsupported operator \`${op}\``);
  }

  /** `relationship == 'hostile'`: the name is checked against the states and compared by value. */
  private equality(node: jsep.BinaryExpression, left: Compiled, right: Compiled, equal: boolean): Compiled {
    if (left.ty === 'error' || right.ty === 'error') return { ty: 'boolean', fn: () => false, vec: NOTHING };
    if (left.ty !== right.ty) return this.problem(node, `cannot compare ${describe(left)} with ${describe(right)}`);
    if (left.ty === 'string') {
      for (const [named, literal, literalNode] of [[left, right, node.right], [right, left, node.left]] as const) {
        if (named.states && literal.literal !== undefined && !named.states.includes(literal.literal)) {
          this.problem(literalNode, `\`${literal.literal}\` is not one of the states (${named.states.join(', ')})`, hintFor(literal.literal, named.states, 'state'));
        }
      }
    }
    const [a, b] = [left.fn, right.fn];
    return { ty: 'boolean', fn: equal ? (s) => a(s) === b(s) : (s) => a(s) !== b(s), vec: vBinary(equal ? '==' : '!=', left.vec, right.vec)! };
  }

  private conditional(node: jsep.ConditionalExpression): Compiled {
    const test = this.node(node.test);
    this.expect(test, 'boolean', node.test);
    const a = this.node(node.consequent);
    const b = this.node(node.alternate);
    if (a.ty !== b.ty && a.ty !== 'error' && b.ty !== 'error') return this.problem(node.alternate, 'both sides of `? :` must have the same type');
    const [t, x, y] = [test.fn as Fn<boolean>, a.fn, b.fn];
    return { ty: a.ty, fn: (s) => (t(s) ? x(s) : y(s)), vec: vSelect(test.vec, a.vec, b.vec) };
  }
}

function describe(c: Compiled): string {
  if (c.literal !== undefined) return `the text '${c.literal}'`;
  return c.ty === 'boolean' ? 'a condition' : c.ty === 'number' ? 'a number' : 'a name';
}

function hintFor(name: string, known: Iterable<string>, what: string): string | undefined {
  return suggest(name, known, what);
}
