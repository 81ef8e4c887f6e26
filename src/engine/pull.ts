/**
 * Pulling a lever (see kernel.ts): the branch odds — base, the lever's modifiers, active
 * mediators' modifiers — clamped and rescaled, the draw (or a forced branch), then damping,
 * effects, history and the Goldstein score, in every lane that pulls it.
 */
import { slot, type BranchDef, type Effect, type LeverDef } from '../scenario/definition.ts';
import type { Expr } from '../scenario/expr.ts';
import { candidatesOf } from './decide.ts';
import { actorNow, applyEffects, applyEffectValues, changesOf, checkOdds, evalEffects, evalInto, nonFinite, normalise, pick, record, type Before, type Kernel, type Log, type Workspace } from './kernel.ts';
import type { RunLanes } from './runs.ts';
import type { BranchOdds } from './types.ts';

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
  L.a = actor;
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
    const index = force >= 0 ? force : pick(p, draw);
    if (!lever.exprEffects) applyBranch(L, i, actor, lever, index, force >= 0, odds, log);
    else {
      w.drawn[j] = index;
      lastOdds = odds;
    }
  }
  if (lever.exprEffects) applyBranches(k, L, actor, lever, m, force >= 0, lastOdds, log);
}

/** The odds of the last lane of a traced pull (one lane), for its log entry. */
let lastOdds: BranchOdds[] = [];

const NO_ODDS: BranchOdds[] = [];

/** A modifier applied to a branch's probability, as an explanation shows it. */
type Note = { source: string; why: string; add: number; mul: number };

/** `lever`'s branch odds in lane `i` now, were `actor` to pull it, with how each came about. */
export function leverOddsOn(k: Kernel, L: RunLanes, i: number, lever: LeverDef, actor: number): BranchOdds[] {
  L.a = actor;
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

type Damped = { mediator: string; tension: string; factor: number }[];

/**
 * The damping of a pull of `lever`'s branch `branch` in lane `i`, decided on the state before
 * the pull: the factor by tension, and (with `damped`) which mediators damp what.
 */
function dampingOf(L: RunLanes, i: number, lever: LeverDef, branch: BranchDef, damped: Damped | null): Map<number, number> | null {
  const def = L.def;
  let factors: Map<number, number> | null = null;
  for (const { mediator, rules } of def.mediation[lever.index]!.damping) {
    if (!mediator.active.fn(L, i)) continue;
    for (const d of rules) {
      // Only worth saying where this pull may raise the damped tension.
      if (!lever.effects.some((e) => e.tension === d.tension && raises(e)) && !branch.effects.some((e) => e.tension === d.tension && raises(e))) continue;
      factors ??= new Map();
      factors.set(d.tension, (factors.get(d.tension) ?? 1) * d.factor);
      damped?.push({ mediator: mediator.id, tension: def.tensions[d.tension]!.id, factor: d.factor });
    }
  }
  return factors;
}

/** May the effect raise its tension? (An expression may.) */
const raises = (e: Effect): boolean => e.expr !== null || e.delta > 0;

/** The rest of a pull in lane `i` once its branch is known: damping, effects, history, Goldstein score. */
function applyBranch(L: RunLanes, i: number, actor: number, lever: LeverDef, index: number, forced: boolean, odds: BranchOdds[], log: Log): void {
  const branch = lever.branches[index]!;
  const damped: Damped | null = log ? [] : null;
  const factors = dampingOf(L, i, lever, branch, damped);
  const before = log ? new Map<number, number>() : null;
  applyEffects(L, i, lever.effects, factors, before);
  applyEffects(L, i, branch.effects, factors, before);
  recordPull(L, i, actor, lever, branch, forced, odds, log, before, damped);
}

/** A pull's history, Goldstein score and log entry, once its effects have applied. */
function recordPull(L: RunLanes, i: number, actor: number, lever: LeverDef, branch: BranchDef, forced: boolean, odds: BranchOdds[], log: Log, before: Before, damped: Damped | null): void {
  const def = L.def;
  record(L, i, lever.historyKey);
  record(L, i, branch.historyKey);
  L.gs[i] = L.gs[i]! + branch.goldstein;
  log?.push({
    type: 'lever', actor: def.actors[actor]!.id, lever: lever.id, odds, draw: L.u[i * L.slots + slot.branch(actor)]!, branch: branch.id, forced,
    effects: changesOf(L, i, before!), damped: damped ?? [], goldstein: branch.goldstein,
  });
}

/**
 * The rest of the pulls of a lever whose effects are expressions (format 1.1), in the lanes
 * `w.group[0..m)` that drew `w.drawn[j]`: each lane's damping on the state before the pull, then
 * the lever's effects, evaluated for every lane at once on that state, then each branch's
 * effects, evaluated for the lanes that drew it on the state the lever's left; then history.
 */
function applyBranches(k: Kernel, L: RunLanes, actor: number, lever: LeverDef, m: number, forced: boolean, odds: BranchOdds[], log: Log): void {
  const { w } = k;
  const { group, drawn, factors, effectRows, selLane, selPos } = w;
  const damped: Damped | null = log ? [] : null;
  const before = log ? new Map<number, number>() : null;
  for (let j = 0; j < m; j++) factors[j] = dampingOf(L, group[j]!, lever, lever.branches[drawn[j]!]!, damped);
  const what = `lever \`${lever.id}\``;
  if (lever.effects.length > 0) {
    evalEffects(lever.effects, L, group, m, effectRows);
    for (let j = 0; j < m; j++) applyEffectValues(L, group[j]!, lever.effects, effectRows, j, 1, factors[j]!, before, what);
  }
  for (const branch of lever.branches) {
    if (branch.effects.length === 0) continue;
    let count = 0;
    for (let j = 0; j < m; j++) {
      if (drawn[j] !== branch.index) continue;
      selLane[count] = group[j]!;
      selPos[count++] = j;
    }
    if (count === 0) continue;
    evalEffects(branch.effects, L, selLane, count, effectRows);
    for (let q = 0; q < count; q++) applyEffectValues(L, selLane[q]!, branch.effects, effectRows, q, 1, factors[selPos[q]!]!, before, `branch \`${lever.id}.${branch.id}\``);
  }
  for (let j = 0; j < m; j++) {
    recordPull(L, group[j]!, actor, lever, lever.branches[drawn[j]!]!, forced, odds, log, before, damped);
    factors[j] = null;
  }
}
