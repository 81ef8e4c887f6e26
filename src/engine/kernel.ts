/**
 * The semantics of a round, shared by both executors. Each function takes a *draft* state that
 * the caller owns and may change it; the executors decide when each runs (the xstate executor
 * through the compiled machine, the fast executor through flat tables) and who owns the copy.
 *
 * A round: scheduled injects (at its start) → each actor in turn order pulls at most one lever
 * (a branch is drawn, effects applied and clamped to 0..100) → exogenous events are drawn from
 * their hazards → couplings → decay → the relationship and stance charts take their guarded
 * transitions → at a checkpoint the outcome rules are judged.
 */
import { slot, type BranchDef, type CouplingDef, type Effect, type LeverDef, type ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';
import { drawBlock, seedStream, skipDraws } from './rng.ts';
import type { BranchOdds, Happening, SimState, TensionChange } from './types.ts';

/** Sink for happenings; `null` when the caller does not record a trace (batch runs). */
export type Log = Happening[] | null;

/** Is `x` NaN or ±Infinity? (One subtraction: cheap enough for the batch's inner loop.) */
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

/**
 * Stops on the first probability that is NaN. (±Infinity is clamped to 1 or 0 like any value
 * outside 0..1, as `since()` of a lever never pulled, Infinity, makes it in valid expressions.)
 */
function checkOdds(def: ScenarioDefinition, p: readonly number[], branches: readonly BranchDef[], of: string): void {
  for (let i = 0; i < p.length; i++) if (Number.isNaN(p[i]!)) throw nonFinite(def, p[i]!, `the probability of branch \`${branches[i]!.id}\` of ${of}`, branches[i]!.pSource);
}

export function cloneState(s: SimState): SimState {
  return {
    seed: s.seed, g: s.g, turn: s.turn, step: s.step,
    t: s.t.slice(), p: s.p, rel: s.rel, st: s.st.slice(), cnt: s.cnt.slice(), last: s.last.slice(), u: s.u, r: s.r,
    gs: s.gs, judged: s.judged.slice(), outcome: s.outcome, ended: s.ended,
  };
}

/** The state before the first decision: initial values, round 1's draws and its scheduled injects. */
export function initialState(def: ScenarioDefinition, seed: number, params: readonly number[], log: Log): SimState {
  const s: SimState = {
    seed, g: 0, turn: 0, step: 0,
    t: new Array<number>(def.tensions.length).fill(0),
    p: params.slice(),
    rel: def.relationship.initial,
    st: def.actors.map((a) => (a.stance ? a.stance.initial : -1)),
    cnt: new Array<number>(def.historySize).fill(0),
    last: new Array<number>(def.historySize).fill(-1),
    u: [], r: seedStream(seed), gs: 0, judged: [], outcome: -1, ended: false,
  };
  for (const t of def.tensions) {
    const value = t.initial(s);
    if (notFinite(value)) throw nonFinite(def, value, `the initial value of tension \`${t.id}\``, t.initialSource);
    s.t[t.index] = value;
  }
  beginRound(def, s, log);
  return s;
}

export function defaultParams(def: ScenarioDefinition): number[] {
  return def.parameters.map((p) => p.default);
}

/** Index of the actor whose turn it is, or -1 once the run has ended. */
export function currentActor(def: ScenarioDefinition, s: SimState): number {
  if (s.ended) return -1;
  return def.phases[def.rounds[s.g]!.phase]!.turnOrder[s.turn] ?? -1;
}

/** Why `actor` cannot pull `lever` now, or null when it can. */
export function unavailableReason(def: ScenarioDefinition, s: SimState, actor: number, lever: LeverDef): string | null {
  if (!lever.actors[actor]) return `only ${def.actors.filter((_, i) => lever.actors[i]).map((a) => a.name).join(', ')} may pull it`;
  const phase = def.rounds[s.g]!.phase;
  if (!lever.phases[phase]) return `not during ${def.phases[phase]!.label}`;
  const used = s.cnt[lever.historyKey]!;
  if (used >= lever.maxUses) return `already used ${used === 1 ? 'once' : `${used} times`}`;
  if (lever.when && !lever.when(s)) return lever.unavailable || `needs ${lever.whenSource}`;
  return null;
}

/** Can `actor` pull `lever` now? (`unavailableReason` without building the explanation.) */
export function isAvailable(def: ScenarioDefinition, s: SimState, actor: number, lever: LeverDef): boolean {
  return lever.actors[actor] === true && lever.phases[def.rounds[s.g]!.phase] === true && usable(s, lever);
}

/** What availability checks once actor and phase are known: uses left and the precondition. */
export function usable(s: SimState, lever: LeverDef): boolean {
  return s.cnt[lever.historyKey]! < lever.maxUses && (lever.when === null || lever.when(s));
}

export function availableLevers(def: ScenarioDefinition, s: SimState, actor: number): LeverDef[] {
  return (def.leversByActor[actor] ?? []).filter((l) => isAvailable(def, s, actor, l));
}

export const clamp01 = (x: number): number => (x > 0 ? (x < 1 ? x : 1) : 0);

/**
 * Branch probabilities of a lever from state `s`: base → lever modifiers → active mediators'
 * modifiers → clamp to 0..1 → renormalise (uniform if all are zero). With `explain`, also how.
 * Mirrored for many runs at once by batch/lockstep.ts: change both.
 */
export function leverOdds(def: ScenarioDefinition, s: SimState, lever: LeverDef, explain: boolean): { p: number[]; odds: BranchOdds[] } {
  const p = lever.branches.map((b) => b.p(s));
  const notes: { source: string; why: string; add: number; mul: number }[][] | null = explain ? lever.branches.map(() => []) : null;
  const base = explain ? p.slice() : p;
  for (const m of lever.modifiers) {
    if (m.when && !m.when(s)) continue;
    const mul = m.mul ? m.mul(s) : 1;
    const add = m.add ? m.add(s) : 0;
    p[m.branch] = p[m.branch]! * mul + add;
    notes?.[m.branch]!.push({ source: lever.id, why: m.why, add, mul });
  }
  for (const { mediator, rules } of def.mediation[lever.index]!.modifiers) {
    if (!mediator.active(s)) continue;
    for (const { rule, branches } of rules) {
      const mul = rule.mul ? rule.mul(s) : 1;
      const add = rule.add ? rule.add(s) : 0;
      for (const b of branches) {
        p[b] = p[b]! * mul + add;
        notes?.[b]!.push({ source: mediator.id, why: rule.why, add, mul });
      }
    }
  }
  checkOdds(def, p, lever.branches, `lever \`${lever.id}\``);
  normalise(p);
  const odds = notes ? lever.branches.map((b, i) => ({ branch: b.id, base: base[i]!, modifiers: notes[i]!, p: p[i]! })) : [];
  return { p, odds };
}

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

function applyEffects(s: SimState, effects: readonly Effect[], scale: ((e: Effect) => number) | null, changes: Map<number, number> | null): void {
  for (const e of effects) {
    const delta = scale ? e.delta * scale(e) : e.delta;
    const before = s.t[e.tension]!;
    const after = Math.min(100, Math.max(0, before + delta));
    if (changes && !changes.has(e.tension)) changes.set(e.tension, before);
    s.t[e.tension] = after;
  }
}

function changesOf(def: ScenarioDefinition, s: SimState, before: Map<number, number>): TensionChange[] {
  return [...before]
    .filter(([i, from]) => s.t[i] !== from)
    .map(([i, from]) => ({ tension: def.tensions[i]!.id, from, to: s.t[i]! }));
}

function record(s: SimState, key: number): void {
  s.cnt[key]!++;
  s.last[key] = s.g;
}

/** `actor` pulls `lever` (already checked to be available); `force` is a branch index or -1. */
export function applyPull(def: ScenarioDefinition, s: SimState, actor: number, lever: LeverDef, force: number, log: Log): void {
  const { p, odds } = leverOdds(def, s, lever, log !== null);
  const draw = s.u[slot.branch(actor)]!;
  applyBranch(def, s, actor, lever, force >= 0 ? force : pick(p, draw), force >= 0, odds, log);
}

/** The rest of a pull once its branch is known: damping, effects, history, Goldstein score. */
export function applyBranch(def: ScenarioDefinition, s: SimState, actor: number, lever: LeverDef, index: number, forced: boolean, odds: BranchOdds[], log: Log): void {
  const branch = lever.branches[index]!;
  // Damping by active mediators is decided on the state before the pull.
  let damped: { mediator: string; tension: string; factor: number }[] | null = null;
  let factors: Map<number, number> | null = null;
  for (const { mediator, rules } of def.mediation[lever.index]!.damping) {
    if (!mediator.active(s)) continue;
    for (const d of rules) {
      // Only worth saying where this pull raises the damped tension.
      if (!lever.effects.some((e) => e.tension === d.tension && e.delta > 0) && !branch.effects.some((e) => e.tension === d.tension && e.delta > 0)) continue;
      factors ??= new Map();
      factors.set(d.tension, (factors.get(d.tension) ?? 1) * d.factor);
      (damped ??= []).push({ mediator: mediator.id, tension: def.tensions[d.tension]!.id, factor: d.factor });
    }
  }
  const scale = factors ? (e: Effect) => (e.delta > 0 ? (factors!.get(e.tension) ?? 1) : 1) : null;
  const before = log ? new Map<number, number>() : null;
  applyEffects(s, lever.effects, scale, before);
  applyEffects(s, branch.effects, scale, before);
  record(s, lever.historyKey);
  record(s, branch.historyKey);
  s.gs += branch.goldstein;
  log?.push({
    type: 'lever', actor: def.actors[actor]!.id, lever: lever.id, odds, draw: s.u[slot.branch(actor)]!, branch: branch.id, forced,
    effects: changesOf(def, s, before!), damped: damped ?? [], goldstein: branch.goldstein,
  });
}

/** Does the next decision end the round? (`advanceTurn` will say so.) */
export function lastTurnOfRound(def: ScenarioDefinition, s: SimState): boolean {
  return s.turn + 1 >= def.phases[def.rounds[s.g]!.phase]!.turnOrder.length;
}

/** Moves the turn on after a decision; true when the round's last actor has decided. */
export function advanceTurn(def: ScenarioDefinition, s: SimState): boolean {
  s.turn++;
  s.step++;
  return s.turn >= def.phases[def.rounds[s.g]!.phase]!.turnOrder.length;
}

export function fireEvent(def: ScenarioDefinition, s: SimState, event: number, scheduled: boolean, hazard: number | null, draw: number | null, log: Log): void {
  const e = def.events[event]!;
  const before = log ? new Map<number, number>() : null;
  applyEffects(s, e.effects, null, before);
  record(s, e.historyKey);
  s.gs += e.goldstein;
  let branch: BranchDef | null = null;
  let odds: BranchOdds[] = [];
  if (e.branches.length > 0) {
    const p = e.branches.map((b) => b.p(s));
    const base = log ? p.slice() : p;
    checkOdds(def, p, e.branches, `event \`${e.id}\``);
    normalise(p);
    branch = e.branches[pick(p, s.u[slot.eventBranch(def, event)]!)]!;
    if (log) odds = e.branches.map((b, i) => ({ branch: b.id, base: base[i]!, modifiers: [], p: p[i]! }));
    applyEffects(s, branch.effects, null, before);
    record(s, branch.historyKey);
    s.gs += branch.goldstein;
  }
  log?.push({
    type: 'event', event: e.id, scheduled, hazard, draw, branch: branch?.id ?? null, odds,
    effects: changesOf(def, s, before!), goldstein: e.goldstein + (branch?.goldstein ?? 0),
  });
}

/**
 * End of a round, before the charts move: exogenous events, couplings, decay.
 * Mirrored for many runs at once by batch/lockstep.ts: change both.
 */
export function roundEffects(def: ScenarioDefinition, s: SimState, log: Log): void {
  const round = def.rounds[s.g]!;
  for (const e of def.events) {
    if (!e.hazard || !e.phases[round.phase] || s.last[e.historyKey] === s.g) continue;
    const raw = e.hazard(s);
    if (Number.isNaN(raw)) throw nonFinite(def, raw, `the hazard of event \`${e.id}\``, e.hazardSource);
    const hazard = clamp01(raw);
    const draw = s.u[slot.hazard(def, e.index)]!;
    if (draw < hazard) fireEvent(def, s, e.index, false, hazard, draw, log);
  }
  for (const c of def.couplings) if (c.when(s)) applyCoupling(def, s, c, log);
  applyDecay(def, s, log);
}

/** A coupling whose condition holds: its effects, then its caps and floors. */
export function applyCoupling(def: ScenarioDefinition, s: SimState, c: CouplingDef, log: Log): void {
  const before = log ? new Map<number, number>() : null;
  applyEffects(s, c.effects, null, before);
  for (const cap of c.cap) {
    if (s.t[cap.tension]! > cap.delta) {
      before?.has(cap.tension) || before?.set(cap.tension, s.t[cap.tension]!);
      s.t[cap.tension] = cap.delta;
    }
  }
  for (const floor of c.floor) {
    if (s.t[floor.tension]! < floor.delta) {
      before?.has(floor.tension) || before?.set(floor.tension, s.t[floor.tension]!);
      s.t[floor.tension] = floor.delta;
    }
  }
  if (log) {
    const effects = changesOf(def, s, before!);
    if (effects.length > 0) log.push({ type: 'coupling', coupling: c.id, effects });
  }
}

/** Every decaying tension moves its round's fraction of the way back to its resting value. */
export function applyDecay(def: ScenarioDefinition, s: SimState, log: Log): void {
  const decay = def.decayByRound[s.g]!;
  if (decay.length > 0) {
    const before = log ? new Map<number, number>() : null;
    for (const d of decay) {
      const value = s.t[d.tension]!;
      before?.set(d.tension, value);
      s.t[d.tension] = value + (d.toward - value) * d.fraction;
    }
    if (log) {
      const effects = changesOf(def, s, before!);
      if (effects.length > 0) log.push({ type: 'decay', effects });
    }
  }
}

/** The outcome rule that holds now. */
export function judge(def: ScenarioDefinition, s: SimState): number {
  for (const o of def.outcomes) if (!o.when || o.when(s)) return o.index;
  return def.outcomes.length - 1;
}

/** Records the outcome at the end of a checkpoint phase; at the end of the last phase, ends the run. */
export function checkpoint(def: ScenarioDefinition, s: SimState, log: Log): void {
  const phase = def.rounds[s.g]!.phase;
  const outcome = judge(def, s);
  s.judged.push(outcome);
  const final = phase === def.phases.length - 1;
  if (final) {
    s.outcome = outcome;
    s.ended = true;
  }
  log?.push({ type: 'checkpoint', phase: def.phases[phase]!.id, outcome: def.outcomes[outcome]!.id, final });
}

/**
 * Starts round `s.g + 1` (the caller has judged any checkpoint): its draws and scheduled injects.
 * Mirrored for many runs at once by batch/lockstep.ts: change both.
 */
export function nextRound(def: ScenarioDefinition, s: SimState, log: Log): void {
  s.g++;
  s.turn = 0;
  const round = def.rounds[s.g]!;
  log?.push({ type: 'round', g: s.g, phase: def.phases[round.phase]!.id, round: round.round, date: round.date });
  beginRound(def, s, log);
}

function beginRound(def: ScenarioDefinition, s: SimState, log: Log): void {
  const block = drawBlock(s.r, def.slotCount);
  s.u = block.u;
  s.r = block.state;
  fireScheduled(def, s, log);
}

/** The round's scheduled injects, in order. */
export function fireScheduled(def: ScenarioDefinition, s: SimState, log: Log): void {
  for (const event of def.schedule[s.g]!) fireEvent(def, s, event, true, null, null, log);
}

/**
 * Changes the seed from this point on: the current round's block (and every later one) is the
 * new seed's block for this round, exactly as if the run had started with that seed.
 */
export function reroll(def: ScenarioDefinition, s: SimState, seed: number): void {
  s.seed = seed;
  const block = drawBlock(skipDraws(seedStream(seed), s.g * def.slotCount), def.slotCount);
  s.u = block.u;
  s.r = block.state;
}

/** Is this the last round of its phase? */
export function lastRoundOfPhase(def: ScenarioDefinition, s: SimState): boolean {
  const round = def.rounds[s.g]!;
  return round.round === def.phases[round.phase]!.rounds;
}
