/**
 * The end of a round (see kernel.ts): exogenous events, couplings, decay, the charts'
 * transitions, the outcome rules at a checkpoint, and the start of the next round.
 */
import { slot, type BranchDef, type CouplingDef, type TransitionDef } from '../scenario/definition.ts';
import { drawLanes } from './rng.ts';
import { applyEffects, applyEffectsOn, applyEffectValues, changesOf, checkOdds, clamp01, evalEffects, evalInto, lastRoundOfPhase, nonFinite, normalise, pick, record, type Kernel, type Log } from './kernel.ts';
import type { RunLanes } from './runs.ts';
import type { BranchOdds } from './types.ts';

/** Exogenous event `event` happens in lane `i` (scheduled, or drawn from its hazard). */
function fireEvent(L: RunLanes, i: number, event: number, scheduled: boolean, hazard: number | null, draw: number | null, log: Log): void {
  const def = L.def;
  const e = def.events[event]!;
  const before = log ? new Map<number, number>() : null;
  applyEffectsOn(L, i, e.effects, before, 'event', e.id);
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
    applyEffectsOn(L, i, branch.effects, before, 'branch', e.id, branch.id);
    record(L, i, branch.historyKey);
    L.gs[i] = L.gs[i]! + branch.goldstein;
  }
  log?.push({
    type: 'event', event: e.id, scheduled, hazard, draw, branch: branch?.id ?? null, odds,
    effects: changesOf(L, i, before!), goldstein: e.goldstein + (branch?.goldstein ?? 0),
  });
}

/** The round's scheduled injects in lane `i`, in order. */
export function fireScheduled(L: RunLanes, i: number, log: Log): void {
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
    if (!c.exprEffects && c.scale === null) {
      for (let i = 0; i < n; i++) if (values[i] !== 0) applyCoupling(L, i, c, log);
      continue;
    }
    // Effects that are expressions, or per day or week (format 1.1): evaluated for every lane
    // where the coupling holds, on the state before they apply, then applied lane by lane.
    let m = 0;
    for (let i = 0; i < n; i++) if (values[i] !== 0) sub[m++] = i;
    if (m === 0) continue;
    if (c.exprEffects) evalEffects(c.effects, L, sub, m, w.effectRows);
    const scale = c.scale === null ? 1 : c.scale[g]!;
    for (let j = 0; j < m; j++) applyCoupling(L, sub[j]!, c, log, w.effectRows, j, scale);
  }
  for (let i = 0; i < n; i++) applyDecay(L, i, log);
}

/**
 * A coupling whose condition holds in lane `i`: its effects, then its caps and floors. With
 * `rows`, its effects' values evaluated for it (at position `pos`), each times `scale`.
 */
function applyCoupling(L: RunLanes, i: number, c: CouplingDef, log: Log, rows: readonly Float64Array[] | null = null, pos = 0, scale = 1): void {
  const before = log ? new Map<number, number>() : null;
  if (rows) applyEffectValues(L, i, c.effects, rows, pos, scale, null, before, `coupling \`${c.id}\``);
  else applyEffects(L, i, c.effects, null, before);
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
  L.onRoundEnd?.(L);
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
