/**
 * The semantics of a round, written once, over a set of runs in lock step (runs.ts). A single
 * traced run is one lane with a log; a batch group is up to `MAX_LANES` lanes without one. The
 * xstate executor's actions call these same phase functions on one lane.
 *
 * A round: scheduled injects (at its start) → each actor in turn order decides (`decide`: the
 * policy's choice) and pulls at most one lever (`pull`: odds → modifiers → mediators → draw →
 * damping and effects, clamped to 0..100) → at its end (`endRound`) exogenous events are drawn
 * from their hazards, couplings apply, tensions decay, the relationship and stance charts take
 * their first enabled transitions (every guard seeing the same end-of-round state), and at a
 * checkpoint the outcome rules are judged; then the next round's draws and injects.
 *
 * An expression is evaluated for one lane by its scalar form and for several by its vector
 * form (`evalInto`); both give the same bits, so a run's result does not depend on how many
 * runs it shares its lanes with (test/kernel-lanes.test.ts holds them to each other).
 */
import { slot, type BranchDef, type CouplingDef, type Effect, type LeverDef, type PolicyDef, type ScenarioDefinition, type TransitionDef } from '../scenario/definition.ts';
import { UnknownPolicyError, UsageError } from '../scenario/errors.ts';
import type { Expr } from '../scenario/expr.ts';
import { MAX_LANES } from '../scenario/lanes.ts';
import { endedBefore, moveRefused, type Move } from './branch-code.ts';
import { drawBlock, drawLanes, seedStream, skipDraws } from './rng.ts';
import { createLanes, type RunLanes } from './runs.ts';
import { isSeed, type Action, type BranchOdds, type DecidedBy, type Happening, type PolicyChoice, type Rejection, type TensionChange, type TraceEntry } from './types.ts';

/** Sink for happenings; `null` when the caller does not record them (batch runs). */
export type Log = Happening[] | null;

/** A scenario and the policy its actors follow: what every phase function needs. */
export interface Kernel {
  readonly def: ScenarioDefinition;
  readonly policy: PolicyDef;
  /** Working memory of the phase functions, sized for the lanes the kernel serves. */
  readonly w: Workspace;
}

/** The kernel of `def` under a policy, for sets of up to `capacity` lanes. */
export function kernelFor(def: ScenarioDefinition, policyName: string, capacity = MAX_LANES): Kernel {
  const policy = def.policies.get(policyName);
  if (!policy) throw unknownPolicy(def, policyName);
  return { def, policy, w: new Workspace(def, capacity) };
}

export function unknownPolicy(def: ScenarioDefinition, name: string): UnknownPolicyError {
  return new UnknownPolicyError(name, [...def.policies.keys()], def.id);
}

export const badSeed = (seed: unknown): string => `a seed is a whole number from 0 to 4294967295, not ${String(seed)}`;

/** Is `x` NaN or ±Infinity? (One subtraction: cheap enough for the inner loop.) */
export const notFinite = (x: number): boolean => x - x !== 0;

/**
 * A run that meets NaN where it needs a number (a probability, a hazard, a weight, a tension), or
 * ±Infinity in a tension or a weight (which are not clamped), stops: the scenario's expression is at fault for these parameter values, not the engine.
 */
export function nonFinite(def: ScenarioDefinition, value: number, what: string, source = ''): UsageError {
  return new UsageError(
    `the run met ${value} in ${what}${source ? `: \`${source}\`` : ''}`,
    'the expression divides by zero or overflows for these values; make it give a finite number',
    def.file ?? def.id,
  );
}

/** A policy weight that is NaN or ±Infinity (see `nonFinite`). */
function weightError(def: ScenarioDefinition, policy: PolicyDef, actor: number, option: string, value: number): UsageError {
  return nonFinite(def, value, `the weight of \`${option}\` for \`${def.actors[actor]!.id}\` in policy \`${policy.name}\``);
}

export const clamp01 = (x: number): number => (x > 0 ? (x < 1 ? x : 1) : 0);

/** Working memory of the phase functions (they never nest, so one per kernel serves them all). */
class Workspace {
  /** Lanes it serves: the stride of the tables by lane. */
  readonly cap: number;
  readonly all: Int32Array;
  readonly sub: Int32Array;
  readonly values: Float64Array;
  /** By candidate lever × lane: may the run pull it, and the policy's weight for it. */
  readonly usable: Uint8Array;
  readonly weight: Float64Array;
  readonly pass: Float64Array;
  /** By lane: the candidate lever the run pulls this step, or -1. */
  readonly chosen: Int32Array;
  /** The runs pulling one lever, and a selection of them (lane, and position in the group). */
  readonly group: Int32Array;
  readonly selLane: Int32Array;
  readonly selPos: Int32Array;
  readonly mul: Float64Array;
  readonly add: Float64Array;
  /** By branch × position in the group: the branch's probability as it is built up. */
  readonly odds: Float64Array;
  /**
   * One run's probabilities, by number of branches, for the numbers the levers and events have
   * (one array for each count up to the largest took memory quadratic in it).
   */
  readonly column: number[][] = [];
  /** One run's usable candidates (by candidate index) and their weights, as the policy lists them. */
  readonly options: Int32Array;
  readonly optionWeights: Float64Array;
  /** The transition each run's relationship and each stance chart take this round (or null). */
  readonly relMove: (TransitionDef | null)[];
  readonly stanceMove: (TransitionDef | null)[];
  /** Outcome rule claimed by each lane, at a checkpoint. */
  readonly claimed: Int32Array;

  constructor(def: ScenarioDefinition, cap: number) {
    this.cap = cap;
    this.all = Int32Array.from({ length: cap }, (_, i) => i);
    this.sub = new Int32Array(cap);
    this.chosen = new Int32Array(cap);
    this.group = new Int32Array(cap);
    this.selLane = new Int32Array(cap);
    this.selPos = new Int32Array(cap);
    this.claimed = new Int32Array(cap);
    this.values = new Float64Array(cap);
    this.pass = new Float64Array(cap);
    this.mul = new Float64Array(cap);
    this.add = new Float64Array(cap);
    const most = Math.max(1, ...def.leversByActorPhase.flatMap((byPhase) => byPhase.map((l) => l.length)));
    this.usable = new Uint8Array(most * cap);
    this.weight = new Float64Array(most * cap);
    this.relMove = new Array(cap).fill(null);
    this.stanceMove = new Array(def.actors.length * cap).fill(null);
    const branches = Math.max(1, ...def.levers.map((l) => l.branches.length));
    this.odds = new Float64Array(branches * cap);
    for (const b of [...def.levers, ...def.events]) this.column[b.branches.length] ??= new Array<number>(b.branches.length).fill(0);
    this.options = new Int32Array(most + 1);
    this.optionWeights = new Float64Array(most + 1);
  }
}

/**
 * `expr`'s value for lanes `idx[0..m)` into `out[0..m)`: the scalar form for one lane, the
 * vector form for more (conditions as 1 or 0).
 */
function evalInto(expr: Expr, L: RunLanes, idx: Int32Array, m: number, out: Float64Array): void {
  if (m === 1) {
    const x = expr.fn(L, idx[0]!);
    out[0] = typeof x === 'boolean' ? (x ? 1 : 0) : x;
  } else if (m > 0) expr.vec(L, idx, m, out);
}

// --- the timeline ---------------------------------------------------------------------------

/** Index of the actor whose turn it is, or -1 once the runs have ended. */
export function actorNow(L: RunLanes): number {
  if (L.ended) return -1;
  const def = L.def;
  return def.phases[def.rounds[L.g]!.phase]!.turnOrder[L.turn] ?? -1;
}

/** Does the next decision end the round? */
export function lastTurnOfRound(def: ScenarioDefinition, g: number, turn: number): boolean {
  return turn + 1 >= def.phases[def.rounds[g]!.phase]!.turnOrder.length;
}

/** Is round `g` the last of its phase? */
export function lastRoundOfPhase(def: ScenarioDefinition, g: number): boolean {
  const round = def.rounds[g]!;
  return round.round === def.phases[round.phase]!.rounds;
}

/** Moves the turn on after a decision; true when the round's last actor has decided. */
export function advanceTurn(L: RunLanes): boolean {
  L.turn++;
  L.step++;
  return L.turn >= L.def.phases[L.def.rounds[L.g]!.phase]!.turnOrder.length;
}

// --- starting runs --------------------------------------------------------------------------

/**
 * Lanes `0..n)` start: parameter values, starting tensions, charts, an empty history, the
 * first round's draws from each seed, and its scheduled injects.
 */
export function begin(L: RunLanes, n: number, runs: (i: number) => { readonly seed: number; readonly params: readonly number[] }, log: Log): void {
  const def = L.def;
  L.n = n;
  L.g = 0;
  L.turn = 0;
  L.step = 0;
  L.ended = false;
  L.judgedCount = 0;
  const { nt, np, na, nh } = L;
  for (let i = 0; i < n; i++) {
    const { seed, params } = runs(i);
    L.p.set(params, i * np);
    L.rel[i] = def.relationship.initial;
    for (let a = 0; a < na; a++) L.st[i * na + a] = def.actors[a]!.stance?.initial ?? -1;
    L.cnt.fill(0, i * nh, (i + 1) * nh);
    L.last.fill(-1, i * nh, (i + 1) * nh);
    L.seed[i] = seed;
    L.gs[i] = 0;
    L.outcome[i] = -1;
    const r = seedStream(seed);
    L.rng.c[i] = r.c;
    L.rng.s0[i] = r.s0;
    L.rng.s1[i] = r.s1;
    L.rng.s2[i] = r.s2;
    for (const t of def.tensions) {
      const value = t.initial.fn(L, i);
      if (notFinite(value)) throw nonFinite(def, value, `the initial value of tension \`${t.id}\``, t.initialSource);
      L.t[i * nt + t.index] = value;
    }
  }
  drawLanes(L.rng, n, L.slots, L.u);
  for (let i = 0; i < n; i++) fireScheduled(L, i, log);
}

/**
 * Lane `i` changes its seed from this point on: the current round's block (and every later
 * one) is the new seed's block for this round, exactly as if the run had started with it.
 */
export function reroll(L: RunLanes, i: number, seed: number): void {
  L.seed[i] = seed;
  const block = drawBlock(skipDraws(seedStream(seed), L.g * L.slots), L.slots);
  L.u.set(block.u, i * L.slots);
  L.rng.c[i] = block.state.c;
  L.rng.s0[i] = block.state.s0;
  L.rng.s1[i] = block.state.s1;
  L.rng.s2[i] = block.state.s2;
}

// --- deciding -------------------------------------------------------------------------------

/** Why the actor whose turn it is cannot pull `lever` in lane `i` now, or null when it can. */
export function unavailableOn(L: RunLanes, i: number, actor: number, lever: LeverDef): string | null {
  const def = L.def;
  if (!lever.actors[actor]) return `only ${def.actors.filter((_, a) => lever.actors[a]).map((a) => a.name).join(', ')} may pull it`;
  const phase = def.rounds[L.g]!.phase;
  if (!lever.phases[phase]) return `not during ${def.phases[phase]!.label}`;
  const used = L.cnt[i * L.nh + lever.historyKey]!;
  if (used >= lever.maxUses) return `already used ${used === 1 ? 'once' : `${used} times`}`;
  if (lever.when && !lever.when.fn(L, i)) return lever.unavailable || `needs ${lever.whenSource}`;
  return null;
}

/**
 * The policy's choice for the deciding actor in every lane: `w.chosen[i]` is the index of the
 * lever among `candidates(…)`, or -1 to pass. With `explain` (one lane), how it chose.
 */
export function decide(k: Kernel, L: RunLanes, explain: boolean, actor = actorNow(L)): PolicyChoice | null {
  const { def, policy, w } = k;
  const n = L.n;
  const { sub, values, usable, weight } = w;
  const candidates = candidatesOf(def, L, actor);
  const rules = policy.actors[actor];
  const nc = candidates.length;
  const { cnt, nh } = L;
  for (let c = 0; c < nc; c++) {
    const lever = candidates[c]!;
    const row = c * w.cap;
    usable.fill(0, row, row + n);
    // Uses left, then the precondition on the runs that have some.
    let m = 0;
    for (let i = 0; i < n; i++) if (cnt[i * nh + lever.historyKey]! < lever.maxUses) sub[m++] = i;
    if (m > 0 && lever.when) {
      evalInto(lever.when, L, sub, m, values);
      let kept = 0;
      for (let j = 0; j < m; j++) if (values[j] !== 0) sub[kept++] = sub[j]!;
      m = kept;
    }
    if (m === 0) continue;
    for (let j = 0; j < m; j++) usable[row + sub[j]!] = 1;
    if (rules) {
      evalInto(rules.weights[lever.index] ?? rules.otherwise, L, sub, m, values);
      for (let j = 0; j < m; j++) weight[row + sub[j]!] = values[j]!;
    } else for (let j = 0; j < m; j++) weight[row + sub[j]!] = 1;
  }
  if (rules?.pass) evalInto(rules.pass, L, w.all, n, w.pass);
  const { options, optionWeights, chosen } = w;
  const policySlot = slot.policy(actor);
  let explained: PolicyChoice | null = null;
  for (let i = 0; i < n; i++) {
    chosen[i] = -1;
    let count = 0;
    let total = 0;
    for (let c = 0; c < nc; c++) {
      if (usable[c * w.cap + i] === 0) continue;
      const x = weight[c * w.cap + i]!;
      if (notFinite(x)) throw weightError(def, policy, actor, candidates[c]!.id, x);
      const positive = x > 0 ? x : 0;
      options[count] = c;
      optionWeights[count++] = positive;
      total += positive;
    }
    if (count === 0) continue; // nothing to pull: the actor passes
    const pass = rules?.pass ? w.pass[i]! : 0;
    if (notFinite(pass)) throw weightError(def, policy, actor, 'pass', pass);
    const passWeight = pass > 0 ? pass : 0;
    total += passWeight;
    const draw = L.u[i * L.slots + policySlot]!;
    const index = pickOption(optionWeights, count, passWeight, total, draw);
    if (index < count) chosen[i] = options[index]!;
    if (explain) {
      const listed: { option: string; weight: number }[] = [];
      for (let o = 0; o < count; o++) listed.push({ option: candidates[options[o]!]!.id, weight: optionWeights[o]! });
      if (rules?.pass) listed.push({ option: 'pass', weight: passWeight });
      explained = { policy: policy.name, options: listed, draw };
    }
  }
  return explained;
}

/** The levers `actor` may pull in this phase, in file order (uses and preconditions aside). */
export function candidatesOf(def: ScenarioDefinition, L: RunLanes, actor: number): readonly LeverDef[] {
  return def.leversByActorPhase[actor]?.[def.rounds[L.g]!.phase] ?? [];
}

/**
 * Which of `n` options (weights `weights[0..n)`, then passing with `passWeight`; `total` is
 * their sum, added in that order) the draw picks: index `n` means pass.
 */
function pickOption(weights: Float64Array, n: number, passWeight: number, total: number, draw: number): number {
  if (!(total > 0)) return n;
  const target = draw * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (weights[i]! > 0) last = i;
    acc += weights[i]!;
    if (target < acc) return i;
  }
  // Rounding at the very top of the range: the last option with weight.
  return passWeight > 0 ? n : last;
}

/** The pulls of `decide`'s choices, lever by lever: each lever's odds for all the lanes that pull it. */
export function pullChosen(k: Kernel, L: RunLanes, log: Log, actor = actorNow(L)): void {
  const { w } = k;
  const candidates = candidatesOf(k.def, L, actor);
  for (let c = 0; c < candidates.length; c++) {
    let m = 0;
    for (let i = 0; i < L.n; i++) if (w.chosen[i] === c) w.group[m++] = i;
    if (m > 0) pull(k, L, actor, candidates[c]!, m, -1, log);
  }
}

// --- pulling a lever ------------------------------------------------------------------------

/**
 * The branch probabilities of `lever` in the lanes `w.group[0..m)`, into `w.odds` (branch b of
 * group position j at `b * w.cap + j`): base → the lever's modifiers → active mediators'
 * modifiers, before clamping. With `notes` and `base` (one lane), each modifier applied and
 * each base probability, by branch.
 */
function oddsOf(k: Kernel, L: RunLanes, lever: LeverDef, m: number, notes: Note[][] | null, base: number[] | null): void {
  const { w } = k;
  const { values, group, odds } = w;
  const nb = lever.branches.length;
  for (let b = 0; b < nb; b++) {
    evalInto(lever.branches[b]!.p, L, group, m, values);
    odds.set(values.subarray(0, m), b * w.cap);
    if (base) base[b] = values[0]!;
  }
  for (const modifier of lever.modifiers) {
    const count = select(w, L, m, modifier.when);
    if (count > 0) {
      ONE_BRANCH[0] = modifier.branch;
      modify(w, L, count, modifier, ONE_BRANCH, lever.id, modifier.why, notes);
    }
  }
  for (const { mediator, rules } of k.def.mediation[lever.index]!.modifiers) {
    const count = select(w, L, m, mediator.active);
    if (count > 0) for (const { rule, branches } of rules) modify(w, L, count, rule, branches, mediator.id, rule.why, notes);
  }
}

/** The branch a lever's modifier acts on, as a list of one (no list is made per pull). */
const ONE_BRANCH = [0];

/** Selects the lanes of the group `w.group[0..m)` where `when` holds (all of them when it is null), into `w.selLane` and `w.selPos`; returns how many. */
function select(w: Workspace, L: RunLanes, m: number, when: Expr<'boolean'> | null): number {
  const { group, values, selLane, selPos } = w;
  let count = 0;
  if (when) evalInto(when, L, group, m, values);
  for (let j = 0; j < m; j++) {
    if (when && values[j] === 0) continue;
    selLane[count] = group[j]!;
    selPos[count++] = j;
  }
  return count;
}

/** p ← p · mul + add for `branches` in the selected lanes, with the rule's `mul` and `add` read there. */
function modify(w: Workspace, L: RunLanes, count: number, rule: { readonly mul: Expr<'number'> | null; readonly add: Expr<'number'> | null }, branches: readonly number[], source: string, why: string, notes: Note[][] | null): void {
  const { mul, add, odds, selLane, selPos } = w;
  if (rule.mul) evalInto(rule.mul, L, selLane, count, mul);
  else mul.fill(1, 0, count);
  if (rule.add) evalInto(rule.add, L, selLane, count, add);
  else add.fill(0, 0, count);
  for (const b of branches) {
    const row = b * w.cap;
    for (let q = 0; q < count; q++) odds[row + selPos[q]!] = odds[row + selPos[q]!]! * mul[q]! + add[q]!;
    notes?.[b]!.push({ source, why, add: add[0]!, mul: mul[0]! });
  }
}

/**
 * `actor` pulls `lever` in the lanes `w.group[0..m)`: the branch odds, normalised and drawn
 * from (or branch `force`), then the branch's effects.
 */
export function pull(k: Kernel, L: RunLanes, actor: number, lever: LeverDef, m: number, force: number, log: Log): void {
  const { def, w } = k;
  const nb = lever.branches.length;
  const notes = log ? lever.branches.map((): Note[] => []) : null;
  const base = log ? new Array<number>(nb) : null;
  oddsOf(k, L, lever, m, notes, base);
  const p = w.column[nb]!;
  const branchSlot = slot.branch(actor);
  for (let j = 0; j < m; j++) {
    for (let b = 0; b < nb; b++) {
      const x = w.odds[b * w.cap + j]!;
      if (Number.isNaN(x)) throw nonFinite(def, x, `the probability of branch \`${lever.branches[b]!.id}\` of lever \`${lever.id}\``, lever.branches[b]!.pSource);
      p[b] = x;
    }
    normalise(p);
    const i = w.group[j]!;
    const draw = L.u[i * L.slots + branchSlot]!;
    const odds = base ? lever.branches.map((b, x) => ({ branch: b.id, base: base[x]!, modifiers: notes![x]!, p: p[x]! })) : NO_ODDS;
    applyBranch(L, i, actor, lever, force >= 0 ? force : pick(p, draw), force >= 0, odds, log);
  }
}

const NO_ODDS: BranchOdds[] = [];

/** A modifier applied to a branch's probability, as an explanation shows it. */
type Note = { source: string; why: string; add: number; mul: number };

/** `lever`'s branch odds in lane `i` now, with how each came about. */
export function leverOddsOn(k: Kernel, L: RunLanes, i: number, lever: LeverDef): BranchOdds[] {
  const nb = lever.branches.length;
  const notes = lever.branches.map((): Note[] => []);
  const base = new Array<number>(nb);
  k.w.group[0] = i;
  oddsOf(k, L, lever, 1, notes, base);
  const p = Array.from({ length: nb }, (_, b) => k.w.odds[b * k.w.cap]!);
  checkOdds(k.def, p, lever.branches, `lever \`${lever.id}\``);
  normalise(p);
  return lever.branches.map((b, x) => ({ branch: b.id, base: base[x]!, modifiers: notes[x]!, p: p[x]! }));
}

/** Stops on the first probability that is NaN (±Infinity is clamped like any value outside 0..1). */
function checkOdds(def: ScenarioDefinition, p: readonly number[], branches: readonly BranchDef[], of: string): void {
  for (let i = 0; i < p.length; i++) if (Number.isNaN(p[i]!)) throw nonFinite(def, p[i]!, `the probability of branch \`${branches[i]!.id}\` of ${of}`, branches[i]!.pSource);
}

/** Clamps to 0..1 and rescales to a sum of 1 (uniform if all are zero). */
export function normalise(p: number[]): void {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += p[i] = clamp01(p[i]!);
  if (sum > 0) for (let i = 0; i < p.length; i++) p[i] = p[i]! / sum;
  else p.fill(1 / p.length);
}

/** Index drawn by `u` from probabilities `p` (cumulative, in declared order). */
export function pick(p: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length - 1; i++) {
    acc += p[i]!;
    if (u < acc) return i;
  }
  return p.length - 1;
}

/** Tensions touched by a change, with their values before it (in the order first touched). */
type Before = Map<number, number> | null;

function applyEffects(L: RunLanes, i: number, effects: readonly Effect[], factors: Map<number, number> | null, before: Before): void {
  const base = i * L.nt;
  for (const e of effects) {
    const delta = factors ? e.delta * (e.delta > 0 ? (factors.get(e.tension) ?? 1) : 1) : e.delta;
    const was = L.t[base + e.tension]!;
    if (before && !before.has(e.tension)) before.set(e.tension, was);
    L.t[base + e.tension] = Math.min(100, Math.max(0, was + delta));
  }
}

function changesOf(L: RunLanes, i: number, before: Map<number, number>): TensionChange[] {
  return [...before]
    .filter(([k, from]) => L.t[i * L.nt + k] !== from)
    .map(([k, from]) => ({ tension: L.def.tensions[k]!.id, from, to: L.t[i * L.nt + k]! }));
}

function record(L: RunLanes, i: number, key: number): void {
  L.cnt[i * L.nh + key]!++;
  L.last[i * L.nh + key] = L.g;
}

/** The rest of a pull in lane `i` once its branch is known: damping, effects, history, Goldstein score. */
function applyBranch(L: RunLanes, i: number, actor: number, lever: LeverDef, index: number, forced: boolean, odds: BranchOdds[], log: Log): void {
  const def = L.def;
  const branch = lever.branches[index]!;
  // Damping by active mediators is decided on the state before the pull.
  let damped: { mediator: string; tension: string; factor: number }[] | null = null;
  let factors: Map<number, number> | null = null;
  for (const { mediator, rules } of def.mediation[lever.index]!.damping) {
    if (!mediator.active.fn(L, i)) continue;
    for (const d of rules) {
      // Only worth saying where this pull raises the damped tension.
      if (!lever.effects.some((e) => e.tension === d.tension && e.delta > 0) && !branch.effects.some((e) => e.tension === d.tension && e.delta > 0)) continue;
      factors ??= new Map();
      factors.set(d.tension, (factors.get(d.tension) ?? 1) * d.factor);
      (damped ??= []).push({ mediator: mediator.id, tension: def.tensions[d.tension]!.id, factor: d.factor });
    }
  }
  const before = log ? new Map<number, number>() : null;
  applyEffects(L, i, lever.effects, factors, before);
  applyEffects(L, i, branch.effects, factors, before);
  record(L, i, lever.historyKey);
  record(L, i, branch.historyKey);
  L.gs[i] = L.gs[i]! + branch.goldstein;
  log?.push({
    type: 'lever', actor: def.actors[actor]!.id, lever: lever.id, odds, draw: L.u[i * L.slots + slot.branch(actor)]!, branch: branch.id, forced,
    effects: changesOf(L, i, before!), damped: damped ?? [], goldstein: branch.goldstein,
  });
}

// --- the end of a round ---------------------------------------------------------------------

/** Exogenous event `event` happens in lane `i` (scheduled, or drawn from its hazard). */
function fireEvent(L: RunLanes, i: number, event: number, scheduled: boolean, hazard: number | null, draw: number | null, log: Log): void {
  const def = L.def;
  const e = def.events[event]!;
  const before = log ? new Map<number, number>() : null;
  applyEffects(L, i, e.effects, null, before);
  record(L, i, e.historyKey);
  L.gs[i] = L.gs[i]! + e.goldstein;
  let branch: BranchDef | null = null;
  let odds: BranchOdds[] = [];
  if (e.branches.length > 0) {
    const p = e.branches.map((b) => b.p.fn(L, i));
    const base = log ? p.slice() : p;
    checkOdds(def, p, e.branches, `event \`${e.id}\``);
    normalise(p);
    branch = e.branches[pick(p, L.u[i * L.slots + slot.eventBranch(def, event)]!)]!;
    if (log) odds = e.branches.map((b, x) => ({ branch: b.id, base: base[x]!, modifiers: [], p: p[x]! }));
    applyEffects(L, i, branch.effects, null, before);
    record(L, i, branch.historyKey);
    L.gs[i] = L.gs[i]! + branch.goldstein;
  }
  log?.push({
    type: 'event', event: e.id, scheduled, hazard, draw, branch: branch?.id ?? null, odds,
    effects: changesOf(L, i, before!), goldstein: e.goldstein + (branch?.goldstein ?? 0),
  });
}

/** The round's scheduled injects in lane `i`, in order. */
function fireScheduled(L: RunLanes, i: number, log: Log): void {
  for (const event of L.def.schedule[L.g]!) fireEvent(L, i, event, true, null, null, log);
}

/**
 * The end of a round, before the charts move: exogenous events (each hazard read after the
 * events before it have happened in that run), couplings, decay.
 */
export function roundEffects(k: Kernel, L: RunLanes, log: Log): void {
  const { def, w } = k;
  const { sub, values } = w;
  const n = L.n;
  const g = L.g;
  const round = def.rounds[g]!;
  const { last, nh } = L;
  for (const e of def.events) {
    if (!e.hazard || !e.phases[round.phase]) continue;
    let m = 0;
    for (let i = 0; i < n; i++) if (last[i * nh + e.historyKey] !== g) sub[m++] = i;
    if (m === 0) continue;
    evalInto(e.hazard, L, sub, m, values);
    const hazardSlot = slot.hazard(def, e.index);
    for (let j = 0; j < m; j++) {
      const i = sub[j]!;
      if (Number.isNaN(values[j]!)) throw nonFinite(def, values[j]!, `the hazard of event \`${e.id}\``, e.hazardSource);
      const hazard = clamp01(values[j]!);
      const draw = L.u[i * L.slots + hazardSlot]!;
      if (draw < hazard) fireEvent(L, i, e.index, false, hazard, draw, log);
    }
  }
  for (const c of def.couplings) {
    evalInto(c.when, L, w.all, n, values);
    for (let i = 0; i < n; i++) if (values[i] !== 0) applyCoupling(L, i, c, log);
  }
  for (let i = 0; i < n; i++) applyDecay(L, i, log);
}

/** A coupling whose condition holds in lane `i`: its effects, then its caps and floors. */
function applyCoupling(L: RunLanes, i: number, c: CouplingDef, log: Log): void {
  const before = log ? new Map<number, number>() : null;
  applyEffects(L, i, c.effects, null, before);
  const base = i * L.nt;
  for (const cap of c.cap) {
    if (L.t[base + cap.tension]! > cap.delta) {
      if (before && !before.has(cap.tension)) before.set(cap.tension, L.t[base + cap.tension]!);
      L.t[base + cap.tension] = cap.delta;
    }
  }
  for (const floor of c.floor) {
    if (L.t[base + floor.tension]! < floor.delta) {
      if (before && !before.has(floor.tension)) before.set(floor.tension, L.t[base + floor.tension]!);
      L.t[base + floor.tension] = floor.delta;
    }
  }
  if (log) {
    const effects = changesOf(L, i, before!);
    if (effects.length > 0) log.push({ type: 'coupling', coupling: c.id, effects });
  }
}

/** Every decaying tension of lane `i` moves its round's fraction of the way back to its resting value. */
function applyDecay(L: RunLanes, i: number, log: Log): void {
  const decay = L.def.decayByRound[L.g]!;
  if (decay.length === 0) return;
  const before = log ? new Map<number, number>() : null;
  const base = i * L.nt;
  for (const d of decay) {
    const value = L.t[base + d.tension]!;
    before?.set(d.tension, value);
    L.t[base + d.tension] = value + (d.toward - value) * d.fraction;
  }
  if (log) {
    const effects = changesOf(L, i, before!);
    if (effects.length > 0) log.push({ type: 'decay', effects });
  }
}

/**
 * Which transition each chart takes this round in every lane (`w.relMove`, `w.stanceMove`):
 * the first of its current state's whose guard holds, every guard seeing the same state.
 */
export function settle(k: Kernel, L: RunLanes): void {
  const { def, w } = k;
  firstEnabled(k, L, def.relationship.byState, L.rel, 1, 0, w.relMove, 0);
  for (let a = 0; a < def.actors.length; a++) {
    const chart = def.actors[a]!.stance;
    if (chart) firstEnabled(k, L, chart.byState, L.st, L.na, a, w.stanceMove, a * w.cap);
  }
}

/** The transitions `settle` chose, taken: the relationship's, then each stance's in actor order. */
export function takeTransitions(k: Kernel, L: RunLanes, log: Log): void {
  const { def, w } = k;
  for (let i = 0; i < L.n; i++) {
    const t = w.relMove[i];
    if (t) takeTransition(L, i, -1, t, log);
  }
  for (let a = 0; a < def.actors.length; a++) {
    if (!def.actors[a]!.stance) continue;
    for (let i = 0; i < L.n; i++) {
      const t = w.stanceMove[a * w.cap + i];
      if (t) takeTransition(L, i, a, t, log);
    }
  }
}

/** Lane `i`'s relationship (`actor` -1) or an actor's stance takes transition `t`. */
export function takeTransition(L: RunLanes, i: number, actor: number, t: TransitionDef, log: Log): void {
  const def = L.def;
  if (actor < 0) {
    log?.push({ type: 'relationship', from: def.relationship.states[L.rel[i]!]!, to: def.relationship.states[t.to]!, why: t.why });
    L.rel[i] = t.to;
  } else {
    const chart = def.actors[actor]!.stance!;
    log?.push({ type: 'stance', actor: def.actors[actor]!.id, from: chart.states[L.st[i * L.na + actor]!]!, to: chart.states[t.to]!, why: t.why });
    L.st[i * L.na + actor] = t.to;
  }
}

/**
 * For each lane, the first transition of its chart's current state (`states[i * stride + at]`)
 * whose guard holds (or null), written to `moves[offset + i]`. Lanes are grouped by state; each guard is asked only of the
 * lanes that no earlier guard has claimed.
 */
function firstEnabled(k: Kernel, L: RunLanes, table: readonly (readonly TransitionDef[])[], states: Int32Array, stride: number, at: number, moves: (TransitionDef | null)[], offset: number): void {
  const { sub, values } = k.w;
  const n = L.n;
  for (let i = 0; i < n; i++) moves[offset + i] = null;
  for (let state = 0; state < table.length; state++) {
    const transitions = table[state]!;
    if (transitions.length === 0) continue;
    let m = 0;
    for (let i = 0; i < n; i++) if (states[i * stride + at] === state) sub[m++] = i;
    for (let q = 0; q < transitions.length && m > 0; q++) {
      const t = transitions[q]!;
      evalInto(t.when, L, sub, m, values);
      let left = 0;
      for (let j = 0; j < m; j++) {
        if (values[j] !== 0) moves[offset + sub[j]!] = t;
        else sub[left++] = sub[j]!;
      }
      m = left;
    }
  }
}

/** The outcome rule that holds in each lane now, into `w.claimed`. */
function judge(k: Kernel, L: RunLanes): void {
  const { def, w } = k;
  const { sub, values, claimed } = w;
  let m = 0;
  for (let i = 0; i < L.n; i++) sub[m++] = i;
  for (const o of def.outcomes) {
    if (m === 0) break;
    if (!o.when) {
      for (let j = 0; j < m; j++) claimed[sub[j]!] = o.index;
      m = 0;
      break;
    }
    evalInto(o.when, L, sub, m, values);
    let left = 0;
    for (let j = 0; j < m; j++) {
      if (values[j] !== 0) claimed[sub[j]!] = o.index;
      else sub[left++] = sub[j]!;
    }
    m = left;
  }
  for (let j = 0; j < m; j++) claimed[sub[j]!] = def.outcomes.length - 1;
}

/** The outcome rule that holds in lane `i` now. */
export function judgeOn(k: Kernel, L: RunLanes, i: number): number {
  for (const o of k.def.outcomes) if (!o.when || o.when.fn(L, i)) return o.index;
  return k.def.outcomes.length - 1;
}

/**
 * After the charts: at the end of a checkpoint phase the outcome is judged (at the end of the
 * last phase the runs end); otherwise the next round begins, with its draws and injects.
 */
export function closeRound(k: Kernel, L: RunLanes, log: Log): void {
  const def = k.def;
  const phase = def.rounds[L.g]!.phase;
  if (lastRoundOfPhase(def, L.g) && def.phases[phase]!.checkpoint) {
    judge(k, L);
    const final = phase === def.phases.length - 1;
    for (let i = 0; i < L.n; i++) {
      const outcome = k.w.claimed[i]!;
      L.judged[i * L.nj + L.judgedCount] = outcome;
      if (final) L.outcome[i] = outcome;
      log?.push({ type: 'checkpoint', phase: def.phases[phase]!.id, outcome: def.outcomes[outcome]!.id, final });
    }
    L.judgedCount++;
    if (final) L.ended = true;
  }
  if (L.ended) return;
  L.g++;
  L.turn = 0;
  const round = def.rounds[L.g]!;
  log?.push({ type: 'round', g: L.g, phase: def.phases[round.phase]!.id, round: round.round, date: round.date });
  drawLanes(L.rng, L.n, L.slots, L.u);
  for (let i = 0; i < L.n; i++) fireScheduled(L, i, log);
}

/** Everything after the round's last decision: `roundEffects`, `settle`, `takeTransitions`, `closeRound`. */
export function endRound(k: Kernel, L: RunLanes, log: Log): void {
  roundEffects(k, L, log);
  settle(k, L);
  takeTransitions(k, L, log);
  closeRound(k, L, log);
}

// --- running to the end ---------------------------------------------------------------------

/**
 * A move in lane `i` (a reroll, or a pull or pass that must be available), short of advancing
 * the turn: the caller advances once for all lanes. Returns whether the move takes a turn.
 */
export function takeMoveOn(k: Kernel, L: RunLanes, i: number, move: Move, log: Log): boolean {
  const { action } = move;
  const actor = actorNow(L);
  const rejected = rejectOn(L, i, actor, action);
  if (rejected) throw moveRefused({ step: L.step, action }, rejected.message);
  if (action.type === 'reroll') {
    reroll(L, i, action.seed);
    return false;
  }
  if (action.type === 'pass') return true;
  const lever = k.def.leverById.get(action.lever)!;
  const force = action.force === undefined ? -1 : lever.branches.findIndex((b) => b.id === action.force);
  k.w.group[0] = i;
  pull(k, L, actor, lever, 1, force, log);
  return true;
}

/** Why `action` breaks the rules in lane `i`, or null when it does not. */
export function rejectOn(L: RunLanes, i: number, actor: number, action: Action): Rejection | null {
  if (L.ended) return reject('ended', 'the run has ended');
  if (action.type === 'reroll') return isSeed(action.seed) ? null : reject('bad-seed', badSeed(action.seed));
  if (action.type !== 'pull') return null;
  const def = L.def;
  const lever = def.leverById.get(action.lever);
  if (!lever) return reject('unknown-lever', `there is no lever \`${action.lever}\``);
  if (!lever.actors[actor]) return reject('not-actor', `${def.actors[actor]!.name} cannot pull \`${lever.id}\``);
  const why = unavailableOn(L, i, actor, lever);
  if (why !== null) {
    const reason = !lever.phases[def.rounds[L.g]!.phase] ? 'wrong-phase' : L.cnt[i * L.nh + lever.historyKey]! >= lever.maxUses ? 'used-up' : 'condition';
    return reject(reason, `\`${lever.id}\` is not available: ${why}`);
  }
  if (action.force !== undefined && !lever.branches.some((b) => b.id === action.force)) return reject('unknown-branch', `\`${lever.id}\` has no branch \`${action.force}\``);
  return null;
}

const reject = (reason: Rejection['reason'], message: string): Rejection => ({ type: 'rejected', reason, message });

/** Where one run of a set starts, and the moves that override its policy (by step). */
export interface LaneRun {
  readonly params: readonly number[];
  readonly seed: number;
  readonly moves: readonly Move[];
}

/**
 * Can these runs share a set of lanes? Their moves, if any, must fall on the same steps and be
 * of the same kind there (a reroll takes no turn, a pull or a pass does).
 */
export function inLockStep(moves: readonly (readonly Move[])[]): boolean {
  const first = moves[0] ?? [];
  const rerolls = (m: Move): boolean => m.action.type === 'reroll';
  return moves.every((ms) => ms.length === first.length && ms.every((m, i) => m.step === first[i]!.step && rerolls(m) === rerolls(first[i]!)));
}

/** The trace entry of a step taken at round `g`, step `step`, by `actor` (or -1 once ended). */
export function traceEntry(def: ScenarioDefinition, at: { readonly g: number; readonly step: number }, actor: number, action: Action, by: DecidedBy, choice: PolicyChoice | null | undefined, happenings: Happening[]): TraceEntry {
  const round = def.rounds[at.g]!;
  return {
    step: at.step, g: at.g, phase: def.phases[round.phase]!.id, round: round.round, date: round.date,
    actor: actor >= 0 ? def.actors[actor]!.id : '', action, by, ...(choice ? { choice } : {}), happenings,
  };
}

/**
 * Runs the lanes of `L` (already begun or loaded) to their end, under the policy except where
 * `moves` (by lane, sharing steps and kinds: `inLockStep`) say otherwise. With `steps` (one
 * lane), each step's trace entry is recorded, with its happenings. Returns false as soon as `stopped()` says
 * so (it is asked before every step); the lanes are then part-way.
 */
export function runToEnd(k: Kernel, L: RunLanes, moves: (i: number) => readonly Move[], steps: TraceEntry[] | null, stopped?: () => boolean): boolean {
  const def = k.def;
  const first = moves(0);
  const limit = def.maxSteps + first.length + 1;
  let next = 0;
  while (next < first.length && first[next]!.step < L.step) next++;
  for (let guard = 0; !L.ended; guard++) {
    if (guard > limit) throw new Error(`run exceeded ${limit} steps: the scenario's timeline should bound it`);
    if (stopped?.()) return false;
    const log: Happening[] | null = steps ? [] : null;
    const at = steps ? { g: L.g, step: L.step } : null;
    const actor = actorNow(L);
    if (next < first.length && first[next]!.step === L.step) {
      // A move of a branch: each run takes its own (rare: once per move per run).
      let turn = false;
      for (let i = 0; i < L.n; i++) turn = takeMoveOn(k, L, i, moves(i)[next]!, log);
      if (turn && advanceTurn(L)) endRound(k, L, log);
      steps?.push(traceEntry(def, at!, actor, first[next]!.action, 'player', null, log!));
      next++;
      continue;
    }
    const choice = decide(k, L, steps !== null, actor);
    const c = k.w.chosen[0]!;
    const action: Action = steps && c >= 0 ? { type: 'pull', lever: candidatesOf(def, L, actor)[c]!.id } : PASS;
    pullChosen(k, L, log, actor);
    if (advanceTurn(L)) endRound(k, L, log);
    steps?.push(traceEntry(def, at!, actor, action, choice ? 'policy' : 'auto', choice, log!));
  }
  if (next < first.length) throw endedBefore(L.step, first[next]!);
  return true;
}

const PASS: Action = Object.freeze({ type: 'pass' });

/** A set of lanes for as many runs as `k` serves. */
export function lanesOf(k: Kernel): RunLanes {
  return createLanes(k.def, k.w.cap);
}
