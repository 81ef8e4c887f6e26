/**
 * The expression language of scenario files: conditions, probabilities, hazards and policy
 * weights. Parsed with `jsep` and checked against the scenario's names and types when the file
 * loads, into a typed IR (ir.ts) that is optimised once and compiled by two backends: scalar
 * closures for one run (scalar.ts) and vector functions for many runs at once (vector.ts) — no
 * `eval`, no `new Function`. Names such as `__proto__` never resolve: every lookup goes
 * through `Map`s built from the scenario's declared ids.
 */
import jsep from 'jsep';
import { suggest } from './errors.ts';
import { codeOf, constantNumber, isMathName, MATH, optimise, type BinaryOp, type IR } from './ir.ts';
import { laneOf, type EvalState, type Lanes, type VecFn } from './lanes.ts';
import { scalar } from './scalar.ts';
import { vector } from './vector.ts';

jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('or', 1);
jsep.addUnaryOp('not');
for (const op of ['|', '^', '&', '<<', '>>', '>>>', '??', '**']) jsep.removeBinaryOp(op);
jsep.removeUnaryOp('~');

export type { EvalState } from './lanes.ts';

export type Value = number | boolean | string;
export type Ty = 'number' | 'boolean' | 'string';
/** Internal: the type of a sub-expression that already has a reported problem (no further complaints). */
type CheckedTy = Ty | 'error';

/** The scalar form's result by type: names come out as their codes. */
type ScalarOf<T extends Ty> = T extends 'number' ? number : T extends 'boolean' ? boolean : number;

/**
 * A checked and compiled expression: its IR, its type, its two forms — scalar (one run, lane
 * `i` of a set of lanes) and vector (many lanes at once) — and what is known of it at load.
 */
export interface Expr<T extends Ty = Ty> {
  readonly ty: T;
  readonly ir: IR;
  readonly fn: (v: Lanes, i: number) => ScalarOf<T>;
  readonly vec: VecFn;
  /** Its value, when it reads nothing of the state. */
  readonly constant?: ScalarOf<T>;
  /** Levels of nesting, counting those of the derived values it reads (see `MAX_EXPR_DEPTH`). */
  readonly depth: number;
  /** Does it ask whether a mediator is active, directly or through a derived value? */
  readonly readsActive: boolean;
  /**
   * For a number: a constant part that folds to NaN or ±Infinity, or a division by a constant
   * 0 (the expression is well formed: the language computes with NaN and Infinity as
   * JavaScript does; a scenario may not let them reach a probability, hazard, weight or tension).
   */
  readonly nonFinite?: ExprProblem;
  /** Compiled code is not data: in JSON (a run's result, a definition) an expression is left out, as a function is. */
  toJSON(): undefined;
}

const NOT_DATA = (): undefined => undefined;

/** The value of an expression for one run's state. */
export function evaluate<T extends Ty>(expr: Expr<T>, s: EvalState): ScalarOf<T> {
  return expr.fn(laneOf(s), 0);
}

/** An expression built from its IR (for values that are not written as text, such as a constant). */
export function exprOf<T extends Ty>(ty: T, ir: IR, extra: { depth?: number; readsActive?: boolean; nonFinite?: ExprProblem } = {}): Expr<T> {
  const node = optimise(ir);
  const fn = scalar(node) as Expr<T>['fn'];
  return {
    ty, ir: node, fn, vec: vector(node),
    ...(node.k === 'const' ? { constant: (ty === 'string' ? constantNumber(node) : node.value) as ScalarOf<T> } : {}),
    depth: extra.depth ?? 1, readsActive: extra.readsActive ?? false, ...(extra.nonFinite ? { nonFinite: extra.nonFinite } : {}),
    toJSON: NOT_DATA,
  };
}

/** A history key: something whose occurrences `count`, `since`, `pulled` and `fired` can ask about. */
export interface HistoryEntry {
  readonly key: number;
  readonly kind: 'lever' | 'event';
  readonly branches: ReadonlyMap<string, number>;
}

/** The names an expression may use, resolved to indices by the normaliser. */
export interface Scope {
  readonly tensions: ReadonlyMap<string, number>;
  readonly derived: ReadonlyMap<string, Expr<'number'>>;
  readonly params: ReadonlyMap<string, number>;
  readonly phases: readonly string[];
  readonly relationship: readonly string[];
  readonly actors: ReadonlyMap<string, { index: number; stances: readonly string[] | null }>;
  readonly history: ReadonlyMap<string, HistoryEntry>;
  /** Mediator activity tests, filled after the mediators are compiled (they may not refer to each other). */
  readonly mediators: ReadonlyMap<string, { index: number }>;
  /** Names that exist but may not be used in this scope, with the reason. */
  readonly withheld?: ReadonlyMap<string, string>;
  readonly mediatorActive: Expr<'boolean'>[];
  /** Per global round: phase index, 1-based round in phase, round length in weeks, days elapsed. */
  readonly time: { readonly phaseOf: readonly number[]; readonly roundOf: readonly number[]; readonly weeksOf: readonly number[]; readonly daysOf: readonly number[] };
  /** Version of the scenario format the file declares (1 or 1.1); without it, the newest. */
  readonly format?: number;
  /** In a lever's expressions: `actor`, the actor who pulls it (codes by actor index, and the ids of those who may). */
  readonly actor?: { readonly codes: readonly number[]; readonly pullers: readonly string[]; readonly all: readonly string[] };
  /** Named conditions (format 1.1), compiled when first read. */
  readonly conditions?: ReadonlyMap<string, ConditionRef>;
  /** What `outcome_at(PHASE)` reads: the outcome ids, each checkpoint phase's index among the checkpoints, and the last phase. */
  readonly outcomes?: { readonly ids: readonly string[]; readonly checkpoints: ReadonlyMap<string, number>; readonly last: string };
}

/** A named condition as an expression reads it: compiled on first use, or why it cannot be (a cycle). */
export interface ConditionRef {
  resolve(): Expr<'boolean'> | { readonly cycle: string };
}

/** The newest version of the scenario format, and what `outcome_at` reads before its checkpoint is judged. */
export const FORMAT_LATEST = 1.1;
export const NOT_JUDGED = 'none';

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

/** A checked sub-expression: its type, its optimised IR, and what the checker knows of it. */
interface Checked {
  readonly ty: CheckedTy;
  readonly ir: IR;
  /** For values drawn from a fixed set of names (relationship, phase, stance): the set. */
  readonly states?: readonly string[];
  /** For string literals: the literal. */
  readonly literal?: string;
  /** For `actor`: every actor id (a literal that is an actor but not in `states` cannot pull the lever). */
  readonly actors?: readonly string[];
}

/** The value of a checked constant, if it is one. */
const constantOf = (c: Checked): number | boolean | undefined => (c.ir.k === 'const' ? c.ir.value : undefined);

const STATE_FUNCTIONS = ['stance', 'pulled', 'count', 'since', 'days_since', 'fired', 'active', 'outcome_at', 'weekly', 'if'] as const;
/** Every function name, for hints and for the authoring guide. */
export const FUNCTION_NAMES: readonly string[] = [...Object.keys(MATH), ...STATE_FUNCTIONS];
/** Built-in names every expression can read. */
export const BUILTIN_NAMES: readonly string[] = ['round', 'phase', 'relationship', 'elapsed_days', 'round_weeks', 'actor'];
/** Words that cannot be used as ids because expressions give them a meaning. */
export const RESERVED = new Set([...FUNCTION_NAMES, ...BUILTIN_NAMES, 'params', 'and', 'or', 'not', 'true', 'false', 'null', 'this', 'pass']);

type Node = jsep.Expression;

/**
 * Parses and checks `source` against `scope`, expecting a value of type `expect`.
 * Throws `ExprError` with every problem found.
 */
export function compileExpr<T extends 'number' | 'boolean'>(source: string | number | boolean, scope: Scope, expect: T): Expr<T> {
  if (typeof source === 'number') {
    if (expect !== 'number') throw new ExprError([{ message: `expected a condition (true/false), found the number ${source}`, offset: 0 }]);
    return exprOf(expect, { k: 'const', value: source });
  }
  if (typeof source === 'boolean') {
    if (expect !== 'boolean') throw new ExprError([{ message: `expected a number, found ${source}`, offset: 0 }]);
    return exprOf(expect, { k: 'const', value: source });
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
  const checked = compiler.node(ast);
  if (compiler.problems.length === 0) compiler.expect(checked, expect, ast);
  if (compiler.problems.length > 0) throw new ExprError(compiler.problems);
  const nonFinite = expect === 'number' ? compiler.nonFinite.get(ast) : undefined;
  return exprOf(expect, checked.ir, { depth, readsActive: compiler.readsActive, ...(nonFinite ? { nonFinite: nonFiniteProblem(nonFinite) } : {}) });
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
      const name = (node as jsep.Identifier).name;
      const derived = scope.derived.get(name) ?? conditionOf(scope, name);
      if (derived) d += derived.depth;
    }
    if (d > deepest) deepest = d;
    if (deepest > MAX_EXPR_DEPTH) return deepest;
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A named condition's compiled expression, if `name` is one and it compiles. */
function conditionOf(scope: Scope, name: string): Expr<'boolean'> | undefined {
  const found = scope.conditions?.get(name)?.resolve();
  return found && !('cycle' in found) ? found : undefined;
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

  private problem(node: Node, message: string, hint?: string): Checked {
    this.problems.push({ message, offset: this.at(node), ...(hint ? { hint } : {}) });
    return ERROR;
  }

  expect(c: Checked, ty: Ty, node: Node): boolean {
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

  node(node: Node): Checked {
    const built = this.compileNode(node);
    const checked = built.ir.k === 'const' ? built : { ...built, ir: optimise(built.ir) };
    if (checked.ty === 'number') {
      const inner = this.innerNonFinite(node);
      const value = constantOf(checked);
      if (inner) this.nonFinite.set(node, inner);
      else if (typeof value === 'number') {
        if (!Number.isFinite(value)) this.nonFinite.set(node, { offset: this.at(node), kind: Number.isNaN(value) ? 'nan' : 'infinite' });
      } else if (node.type === 'BinaryExpression' && ((node as jsep.BinaryExpression).operator === '/' || (node as jsep.BinaryExpression).operator === '%')) {
        const right = (node as jsep.BinaryExpression).right;
        if (this.zeros.has(right)) this.nonFinite.set(node, { offset: this.at(right), kind: 'zero' });
      }
      if (value === 0) this.zeros.add(node);
    }
    return checked;
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

  private compileNode(node: Node): Checked {
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

  private literal(node: jsep.Literal): Checked {
    const value = node.value;
    if (typeof value === 'number') return { ty: 'number', ir: { k: 'const', value } };
    if (typeof value === 'boolean') return { ty: 'boolean', ir: { k: 'const', value } };
    if (typeof value === 'string') return { ty: 'string', ir: { k: 'const', value: codeOf(value), name: value }, literal: value };
    return this.problem(node, `unsupported literal \`${String(node.raw)}\``);
  }

  private identifier(node: jsep.Identifier): Checked {
    const name = node.name;
    const { scope } = this;
    const tension = scope.tensions.get(name);
    if (tension !== undefined) return { ty: 'number', ir: { k: 'tension', index: tension } };
    const withheld = scope.withheld?.get(name);
    if (withheld !== undefined) return this.problem(node, `\`${name}\` cannot be used here: ${withheld}`);
    const derived = scope.derived.get(name);
    if (derived) {
      if (derived.readsActive) this.readsActive = true;
      return { ty: 'number', ir: { k: 'derived', id: name, expr: derived } };
    }
    const condition = scope.conditions?.get(name);
    if (condition) return this.condition(node, name, condition);
    const { phaseOf, roundOf, weeksOf, daysOf } = scope.time;
    switch (name) {
      case 'round':
        return { ty: 'number', ir: { k: 'byRound', table: roundOf } };
      case 'round_weeks':
        return { ty: 'number', ir: { k: 'byRound', table: weeksOf } };
      case 'elapsed_days':
        return { ty: 'number', ir: { k: 'byRound', table: daysOf } };
      case 'phase': {
        const phases = scope.phases;
        return { ty: 'string', ir: { k: 'byRound', table: phaseOf.map((i) => codeOf(phases[i]!)) }, states: phases };
      }
      case 'relationship': {
        const states = scope.relationship;
        return { ty: 'string', ir: { k: 'relationship', codes: states.map(codeOf) }, states };
      }
      case 'actor': {
        if (!this.newIn11(node, '`actor`')) return ERROR;
        if (!scope.actor) return this.problem(node, '`actor` names the actor who pulls a lever: it can be used only in a lever\'s `when`, branch probabilities, modifiers and effects', 'elsewhere no one is pulling a lever; compare a stance instead, e.g. `stance(petro) == \'wary\'`');
        return { ty: 'string', ir: { k: 'actor', codes: scope.actor.codes }, states: scope.actor.pullers, actors: scope.actor.all };
      }
      case 'params':
        return this.problem(node, '`params` needs a parameter name', `write \`params.NAME\`; parameters: ${[...scope.params.keys()].join(', ') || 'none declared'}`);
    }
    if (FUNCTION_NAMES.includes(name)) return this.problem(node, `\`${name}\` is a function`, `call it, e.g. \`${name}(…)\``);
    const known = [...scope.tensions.keys(), ...scope.derived.keys(), ...(scope.conditions?.keys() ?? []), ...BUILTIN_NAMES.filter((b) => b !== 'actor' || scope.actor)];
    const what = scope.history.has(name) ? ` (\`${name}\` is a ${scope.history.get(name)!.kind}: use \`${scope.history.get(name)!.kind === 'lever' ? 'pulled' : 'fired'}(${name})\`)` : scope.params.has(name) ? ` (a parameter: write \`params.${name}\`)` : '';
    return this.problem(node, `unknown name \`${name}\`${what}`, what ? undefined : hintFor(name, known, 'name'));
  }

  /** A named condition read by its name: its compiled expression, shared like a derived value's. */
  private condition(node: Node, name: string, ref: ConditionRef): Checked {
    // (In a file of format 1, the `conditions` section itself is reported.)
    const found = ref.resolve();
    if ('cycle' in found) return this.problem(node, found.cycle, 'a condition may not read itself, directly or through other conditions or derived values');
    if (found.readsActive) {
      const withheld = this.scope.withheld?.get('active');
      if (withheld !== undefined) return this.problem(node, `\`${name}\` cannot be used here: it depends on \`active(…)\`, and ${withheld}`);
      this.readsActive = true;
    }
    return { ty: 'boolean', ir: { k: 'derived', id: name, expr: found } };
  }

  /** Is a format 1.1 feature allowed here? Reports it when the file declares format 1. */
  private newIn11(node: Node, what: string): boolean {
    if ((this.scope.format ?? FORMAT_LATEST) >= 1.1) return true;
    this.problem(node, `${what} is new in format 1.1, and this file declares \`format: 1\``, 'write `format: 1.1` at the top of the file (Parley 1.1 and later read it)');
    return false;
  }

  private member(node: jsep.MemberExpression): Checked {
    const object = node.object;
    const property = node.property;
    if (object.type !== 'Identifier' || (object as jsep.Identifier).name !== 'params' || node.computed || property.type !== 'Identifier') {
      return this.problem(node, 'only `params.NAME` may use a dot', 'tensions and derived values are read by name alone');
    }
    const name = (property as jsep.Identifier).name;
    const index = this.scope.params.get(name);
    if (index === undefined) return this.problem(property, `unknown parameter \`${name}\``, hintFor(name, this.scope.params.keys(), 'parameter'));
    return { ty: 'number', ir: { k: 'param', index } };
  }

  /** An id argument: a bare name or a string literal. */
  private idArg(node: Node | undefined): string | undefined {
    if (!node) return undefined;
    if (node.type === 'Identifier') return (node as jsep.Identifier).name;
    if (node.type === 'Literal' && typeof (node as jsep.Literal).value === 'string') return (node as jsep.Literal).value as string;
    return undefined;
  }

  private call(node: jsep.CallExpression): Checked {
    if (node.callee.type !== 'Identifier') return this.problem(node, 'only named functions can be called');
    const name = (node.callee as jsep.Identifier).name;
    const args = node.arguments;
    if (isMathName(name)) {
      const [lo, hi] = MATH[name].arity;
      if (args.length < lo || args.length > hi) return this.problem(node, `\`${name}\` takes ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? '' : 's'}, found ${args.length}`);
      return { ty: 'number', ir: optimise({ k: 'math', fn: name, args: args.map((a) => this.numberArg(a).ir) }) };
    }
    switch (name) {
      case 'weekly': {
        if (args.length !== 1) return this.problem(node, '`weekly` takes 1 argument (a rate per week)');
        return { ty: 'number', ir: { k: 'weekly', rate: this.numberArg(args[0]!).ir, weeks: this.scope.time.weeksOf } };
      }
      case 'if': {
        if (args.length !== 3) return this.problem(node, '`if` takes 3 arguments: if(condition, then, else)');
        const test = this.node(args[0]!);
        this.expect(test, 'boolean', args[0]!);
        const a = this.node(args[1]!);
        const b = this.node(args[2]!);
        if (a.ty !== b.ty && a.ty !== 'error' && b.ty !== 'error') return this.problem(args[2]!, 'both branches of `if` must have the same type');
        return { ty: a.ty, ir: { k: 'if', test: test.ir, then: a.ir, else: b.ir }, ...(a.states ? { states: a.states } : {}) };
      }
      case 'stance': {
        const actor = this.idArg(args[0]);
        if (args.length !== 1 || actor === undefined) return this.problem(node, '`stance` takes one actor id, e.g. `stance(petro)`');
        const entry = this.scope.actors.get(actor);
        if (!entry) return this.problem(args[0]!, `unknown actor \`${actor}\``, hintFor(actor, this.scope.actors.keys(), 'actor'));
        if (!entry.stances) return this.problem(args[0]!, `actor \`${actor}\` has no stance statechart`);
        const states = entry.stances;
        return { ty: 'string', ir: { k: 'stance', actor: entry.index, codes: states.map(codeOf) }, states };
      }
      case 'active': {
        const mediator = this.idArg(args[0]);
        if (args.length !== 1 || mediator === undefined) return this.problem(node, '`active` takes one mediator id');
        const withheld = this.scope.withheld?.get('active');
        if (withheld !== undefined) return this.problem(node, `\`active\` cannot be used here: ${withheld}`);
        const entry = this.scope.mediators.get(mediator);
        if (!entry) return this.problem(args[0]!, `unknown mediator \`${mediator}\``, hintFor(mediator, this.scope.mediators.keys(), 'mediator'));
        // Mediators are compiled after derived values, levers and modifiers, which may ask
        // whether one is active: the backends look its test up when it is first run.
        this.readsActive = true;
        return { ty: 'boolean', ir: { k: 'active', index: entry.index, tests: this.scope.mediatorActive } };
      }
      case 'outcome_at':
        return this.outcomeAt(node);
      case 'pulled':
      case 'fired':
      case 'count':
      case 'days_since':
      case 'since': {
        if (name === 'days_since' && !this.newIn11(node.callee, '`days_since`')) return ERROR;
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
        if (name === 'count') return { ty: 'number', ir: { k: 'count', key } };
        if (name === 'since') return { ty: 'number', ir: { k: 'since', key } };
        if (name === 'days_since') return { ty: 'number', ir: { k: 'daysSince', key, days: this.scope.time.daysOf } };
        return { ty: 'boolean', ir: { k: 'occurred', key } };
      }
    }
    return this.problem(node.callee, `unknown function \`${name}\``, hintFor(name, FUNCTION_NAMES, 'function'));
  }

  /** `outcome_at(PHASE)`: the outcome judged at the end of an earlier checkpoint phase. */
  private outcomeAt(node: jsep.CallExpression): Checked {
    if (!this.newIn11(node.callee, '`outcome_at`')) return ERROR;
    const phase = this.idArg(node.arguments[0]);
    if (node.arguments.length !== 1 || phase === undefined) return this.problem(node, '`outcome_at` takes one phase id, e.g. `outcome_at(first_day) == \'backed_down\'`');
    const outcomes = this.scope.outcomes;
    if (!outcomes) return this.problem(node, '`outcome_at` cannot be used here: no outcome has been judged when it is evaluated');
    const arg = node.arguments[0]!;
    if (!this.scope.phases.includes(phase)) return this.problem(arg, `unknown phase \`${phase}\``, hintFor(phase, this.scope.phases, 'phase'));
    if (phase === outcomes.last) return this.problem(arg, `\`${phase}\` is the last phase: its outcome is the run's final outcome, judged when the run ends, and nothing reads it afterwards`, `read the outcome of an earlier checkpoint phase${outcomes.checkpoints.size > 1 ? ` (${[...outcomes.checkpoints.keys()].filter((p) => p !== phase).join(', ')})` : ': add `checkpoint: true` to an earlier phase'}`);
    const index = outcomes.checkpoints.get(phase);
    if (index === undefined) return this.problem(arg, `phase \`${phase}\` is not a checkpoint: no outcome is judged at its end`, `add \`checkpoint: true\` to phase \`${phase}\``);
    return { ty: 'string', ir: { k: 'judged', index, codes: outcomes.ids.map(codeOf), none: codeOf(NOT_JUDGED) }, states: [...outcomes.ids, NOT_JUDGED] };
  }

  private numberArg(node: Node): Checked {
    const c = this.node(node);
    this.expect(c, 'number', node);
    return c;
  }

  private unary(node: jsep.UnaryExpression): Checked {
    const arg = this.node(node.argument);
    if (node.operator === 'not' || node.operator === '!') {
      this.expect(arg, 'boolean', node.argument);
      return { ty: 'boolean', ir: { k: 'not', a: arg.ir } };
    }
    if (node.operator === '-' || node.operator === '+') {
      this.expect(arg, 'number', node.argument);
      return node.operator === '-' ? { ty: 'number', ir: optimise({ k: 'neg', a: arg.ir }) } : { ty: 'number', ir: arg.ir };
    }
    return this.problem(node, `unsupported operator \`${node.operator}\``);
  }

  private binary(node: jsep.BinaryExpression): Checked {
    const op = node.operator;
    const left = this.node(node.left);
    const right = this.node(node.right);
    if (op === 'and' || op === '&&' || op === 'or' || op === '||') {
      this.expect(left, 'boolean', node.left);
      this.expect(right, 'boolean', node.right);
      return { ty: 'boolean', ir: { k: op === 'and' || op === '&&' ? 'and' : 'or', a: left.ir, b: right.ir } };
    }
    if (op === '==' || op === '!=' || op === '===' || op === '!==') return this.equality(node, left, right, op === '==' || op === '===');
    this.expect(left, 'number', node.left);
    this.expect(right, 'number', node.right);
    if (!BINARY_OPS.has(op)) return this.problem(node, `unsupported operator \`${op}\``);
    const ty = op === '<' || op === '>' || op === '<=' || op === '>=' ? 'boolean' : 'number';
    return { ty, ir: optimise({ k: 'binary', op: op as BinaryOp, a: left.ir, b: right.ir }) };
  }

  /** `relationship == 'hostile'`: the name is checked against the states and compared by value. */
  private equality(node: jsep.BinaryExpression, left: Checked, right: Checked, equal: boolean): Checked {
    if (left.ty === 'error' || right.ty === 'error') return { ty: 'boolean', ir: ERROR.ir };
    if (left.ty !== right.ty) return this.problem(node, `cannot compare ${describe(left)} with ${describe(right)}`);
    if (left.ty === 'string') {
      for (const [named, literal, literalNode] of [[left, right, node.right], [right, left, node.left]] as const) {
        if (named.states && literal.literal !== undefined && !named.states.includes(literal.literal)) {
          if (named.actors?.includes(literal.literal)) this.problem(literalNode, `\`${literal.literal}\` cannot pull this lever, so \`actor\` is never \`${literal.literal}\``, `its actors are: ${named.states.join(', ')}`);
          else if (named.actors) this.problem(literalNode, `unknown actor \`${literal.literal}\``, hintFor(literal.literal, named.states, 'actor') ?? `the actors who may pull this lever are: ${named.states.join(', ')}`);
          else this.problem(literalNode, `\`${literal.literal}\` is not one of the states (${named.states.join(', ')})`, hintFor(literal.literal, named.states, 'state'));
        }
      }
    }
    return { ty: 'boolean', ir: { k: 'equal', negate: !equal, a: left.ir, b: right.ir } };
  }

  private conditional(node: jsep.ConditionalExpression): Checked {
    const test = this.node(node.test);
    this.expect(test, 'boolean', node.test);
    const a = this.node(node.consequent);
    const b = this.node(node.alternate);
    if (a.ty !== b.ty && a.ty !== 'error' && b.ty !== 'error') return this.problem(node.alternate, 'both sides of `? :` must have the same type');
    return { ty: a.ty, ir: { k: 'if', test: test.ir, then: a.ir, else: b.ir } };
  }
}

const BINARY_OPS: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '<', '>', '<=', '>=']);

/** What a sub-expression with a reported problem becomes (never run: the file does not load). */
const ERROR: Checked = { ty: 'error', ir: { k: 'const', value: 0 } };

function describe(c: Checked): string {
  if (c.literal !== undefined) return `the text '${c.literal}'`;
  return c.ty === 'boolean' ? 'a condition' : c.ty === 'number' ? 'a number' : 'a name';
}

function hintFor(name: string, known: Iterable<string>, what: string): string | undefined {
  return suggest(name, known, what);
}
