/**
 * The kernel: the semantics of a round, written once, over a set of runs in lock step
 * (runs.ts). A single traced run is one lane with a log; a batch group is up to `MAX_LANES`
 * lanes without one. The xstate executor's actions call the same phase functions on one lane.
 *
 * A round, phase by phase, each in its own module:
 * - advance.ts: runs start (`begin`: starting values, the first round's draws and injects),
 *   take the moves of a branch, and run to their end (`runToEnd`), step by step;
 * - decide.ts: the deciding actor's choice under the policy (`decide`), and the rules a move
 *   must keep (`rejectOn`);
 * - pull.ts: a pull (`pull`: odds → the lever's modifiers → active mediators → draw → damping
 *   and effects, clamped to 0..100);
 * - round-end.ts: the end of a round (`endRound`): exogenous events drawn from their hazards,
 *   couplings, decay, the relationship and stance charts' first enabled transitions (every
 *   guard seeing the same end-of-round state), the outcome rules at a checkpoint, then the next
 *   round's draws and injects.
 *
 * This module holds what they share: the kernel and its working memory, the errors a run can
 * stop on, the timeline, and the per-lane steps (effects, history, odds arithmetic). An
 * expression is evaluated for one lane by its scalar form and for several by its vector form
 * (`evalInto`); both give the same bits, so a run's result does not depend on how many runs
 * share its lanes (test/kernel-lanes.test.ts holds them to each other).
 */
import type { BranchDef, Effect, PolicyDef, ScenarioDefinition, TransitionDef } from '../scenario/definition.ts';
import { UnknownPolicyError, UsageError } from '../scenario/errors.ts';
import type { Expr } from '../scenario/expr.ts';
import { MAX_LANES } from '../scenario/lanes.ts';
import { createLanes, type RunLanes } from './runs.ts';
import type { Happening, TensionChange } from './types.ts';

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

/** The kernel of `def` under a policy given as a value (one an analysis made, not one of the scenario's). */
export function kernelWith(def: ScenarioDefinition, policy: PolicyDef, capacity = MAX_LANES): Kernel {
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
export function weightError(def: ScenarioDefinition, policy: PolicyDef, actor: number, option: string, value: number): UsageError {
  return nonFinite(def, value, `the weight of \`${option}\` for \`${def.actors[actor]!.id}\` in policy \`${policy.name}\``);
}

export const clamp01 = (x: number): number => (x > 0 ? (x < 1 ? x : 1) : 0);

/** Working memory of the phase functions (they never nest, so one per kernel serves them all). */
export class Workspace {
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
   * One run's probabilities, by number of branches, for the numbers the levers have (one array
   * for each count up to the largest took memory quadratic in it).
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
  /**
   * Values of the effects of one `effects` map that are expressions, by lane position: row `r`
   * holds the `r`th effect's (as many rows as the longest map has effects).
   */
  readonly effectRows: Float64Array[];
  /** By position in the group: the branch each lane drew, and the damping of its pull (levers with expression effects). */
  readonly drawn: Int32Array;
  readonly factors: (Map<number, number> | null)[];

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
    for (const lever of def.levers) this.column[lever.branches.length] ??= new Array<number>(lever.branches.length).fill(0);
    this.options = new Int32Array(most + 1);
    this.optionWeights = new Float64Array(most + 1);
    const maps = [...def.levers.flatMap((l) => [l.effects, ...l.branches.map((b) => b.effects)]), ...def.couplings.map((c) => c.effects)];
    const rows = Math.max(0, ...maps.filter((effects) => effects.some((e) => e.expr !== null)).map((effects) => effects.length));
    const buffer = new Float64Array(rows * cap);
    this.effectRows = Array.from({ length: rows }, (_, r) => buffer.subarray(r * cap, (r + 1) * cap));
    this.drawn = new Int32Array(cap);
    this.factors = new Array(cap).fill(null);
  }
}

/**
 * `expr`'s value for lanes `idx[0..m)` into `out[0..m)`: the scalar form for one lane, the
 * vector form for more (conditions as 1 or 0).
 */
export function evalInto(expr: Expr, L: RunLanes, idx: Int32Array, m: number, out: Float64Array): void {
  if (m === 1) {
    const x = expr.fn(L, idx[0]!);
    out[0] = typeof x === 'boolean' ? (x ? 1 : 0) : x;
  } else if (m > 0) expr.vec(L, idx, m, out);
}

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

/** Stops on the first probability that is NaN (±Infinity is clamped like any value outside 0..1). */
export function checkOdds(def: ScenarioDefinition, p: readonly number[], branches: readonly BranchDef[], of: string): void {
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
export type Before = Map<number, number> | null;

export function applyEffects(L: RunLanes, i: number, effects: readonly Effect[], factors: Map<number, number> | null, before: Before): void {
  const base = i * L.nt;
  for (const e of effects) {
    const delta = factors ? e.delta * (e.delta > 0 ? (factors.get(e.tension) ?? 1) : 1) : e.delta;
    const was = L.t[base + e.tension]!;
    if (before && !before.has(e.tension)) before.set(e.tension, was);
    L.t[base + e.tension] = Math.min(100, Math.max(0, was + delta));
  }
}

/**
 * The values of the expression effects of one `effects` map for lanes `idx[0..m)`, into
 * `rows` (row r for effect r): all on the same state, before any of them applies.
 */
export function evalEffects(effects: readonly Effect[], L: RunLanes, idx: Int32Array, m: number, rows: readonly Float64Array[]): void {
  for (let r = 0; r < effects.length; r++) {
    const e = effects[r]!;
    if (e.expr !== null) evalInto(e.expr, L, idx, m, rows[r]!);
  }
}

/**
 * `applyEffects` for a map whose expression effects were evaluated (`evalEffects`): lane `i`'s
 * values are at position `pos` of `rows`; every change is multiplied by `scale` (a coupling's
 * `per`). A change that is NaN stops the run: `what` names the map's owner.
 */
export function applyEffectValues(L: RunLanes, i: number, effects: readonly Effect[], rows: readonly Float64Array[], pos: number, scale: number, factors: Map<number, number> | null, before: Before, what: string): void {
  const base = i * L.nt;
  for (let r = 0; r < effects.length; r++) {
    const e = effects[r]!;
    const value = (e.expr === null ? e.delta : rows[r]![pos]!) * scale;
    if (Number.isNaN(value)) throw nonFinite(L.def, value, `the effect of ${what} on \`${L.def.tensions[e.tension]!.id}\``, e.source);
    const delta = factors && value > 0 ? value * (factors.get(e.tension) ?? 1) : value;
    const was = L.t[base + e.tension]!;
    if (before && !before.has(e.tension)) before.set(e.tension, was);
    L.t[base + e.tension] = Math.min(100, Math.max(0, was + delta));
  }
}

/** One lane's rows for `applyEffectsOn` (no effects map nests in another's application). */
const oneLaneRows: Float64Array[] = [];

/**
 * Lane `i`'s effects of one map, its expressions evaluated there by their scalar forms (events:
 * each lane draws its own); `kind`, `id` and `branch` name the map's owner in a message.
 */
export function applyEffectsOn(L: RunLanes, i: number, effects: readonly Effect[], before: Before, kind: string, id: string, branch = ''): void {
  let any = false;
  for (let r = 0; r < effects.length; r++) {
    const e = effects[r]!;
    if (e.expr === null) continue;
    any = true;
    (oneLaneRows[r] ??= new Float64Array(1))[0] = e.expr.fn(L, i);
  }
  if (any) applyEffectValues(L, i, effects, oneLaneRows, 0, 1, null, before, `${kind} \`${id}${branch ? `.${branch}` : ''}\``);
  else applyEffects(L, i, effects, null, before);
}

export function changesOf(L: RunLanes, i: number, before: Map<number, number>): TensionChange[] {
  const out: TensionChange[] = [];
  const base = i * L.nt;
  for (const [k, from] of before) {
    const to = L.t[base + k]!;
    if (to !== from) out.push({ tension: L.def.tensions[k]!.id, from, to });
  }
  return out;
}

export function record(L: RunLanes, i: number, key: number): void {
  L.cnt[i * L.nh + key]!++;
  L.last[i * L.nh + key] = L.g;
}

/** A set of lanes for as many runs as `k` serves. */
export function lanesOf(k: Kernel): RunLanes {
  return createLanes(k.def, k.w.cap);
}
