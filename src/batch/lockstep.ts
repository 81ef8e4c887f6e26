/**
 * The batch's inner loop, over up to `MAX_LANES` runs at once. Every run of a batch has the
 * same timeline (round, turn and deciding actor at each step), so the runs advance in lock
 * step: at each decision and at each round's end, the conditions, policy weights, branch
 * odds, hazards and guards are computed for all runs by one call of their vector forms (see
 * scenario/lanes.ts). Each run sees exactly the values, draws and order of operations of
 * `simulate`, so its result is the same to the bit.
 *
 * The steps that touch one run's state — applying a branch, an event, a coupling, decay, a
 * checkpoint — are the kernel's own functions. The sequencing around them mirrors, in vector
 * form, `choose` (policy.ts), `leverOdds` (kernel.ts), `roundEffects` and the end of
 * `fastApply` (fast.ts) and `nextRound`: a change to those must be made here too.
 * test/lockstep.test.ts holds this loop to `simulate` on generated and bundled scenarios.
 */
import { slot, type LeverDef, type ScenarioDefinition, type TransitionDef } from '../scenario/definition.ts';
import type { Fn } from '../scenario/expr.ts';
import { MAX_LANES, vectorOf, type Lanes } from '../scenario/lanes.ts';
import { BranchCodeError, type Move } from '../engine/branch-code.ts';
import type { FlatTables } from '../engine/fast.ts';
import { advanceTurn, applyBranch, applyCoupling, applyDecay, checkpoint, clamp01, cloneState, currentActor, fireEvent, fireScheduled, initialState, lastRoundOfPhase, nonFinite, normalise, notFinite, pick } from '../engine/kernel.ts';
import { drawLanes, type LaneStreams } from '../engine/rng.ts';
import { pickOption, weightError } from '../engine/policy.ts';
import type { BranchOdds, SimState } from '../engine/types.ts';
import { takeMove, type BatchKernel } from './simulate.ts';

export { MAX_LANES };

/** Where one run starts: its parameter values, its seed and the moves that override its policy. */
export interface LaneRun {
  readonly params: readonly number[];
  readonly seed: number;
  readonly moves: readonly Move[];
  /** A state before the end to continue from instead of the start (`params` and `seed` are then its own). */
  readonly from?: SimState;
}

/**
 * Can these runs advance in lock step? They must start at the same step, and their moves, if
 * any, must fall on the same steps and be of the same kind there (a reroll takes no turn, a
 * pull or a pass does).
 */
export function inLockStep(runs: readonly LaneRun[]): boolean {
  const first = runs[0]?.moves ?? [];
  const step = runs[0]?.from?.step ?? 0;
  const rerolls = (m: Move): boolean => m.action.type === 'reroll';
  return runs.every((r) => (r.from?.step ?? 0) === step && r.moves.length === first.length && r.moves.every((m, i) => m.step === first[i]!.step && rerolls(m) === rerolls(first[i]!)));
}

/** Working memory of the lock-step loop, sized for `MAX_LANES` runs of one scenario. */
class Workspace {
  readonly lanes: Lanes & { states: SimState[] };
  readonly all = Int32Array.from({ length: MAX_LANES }, (_, i) => i);
  readonly sub = new Int32Array(MAX_LANES);
  readonly values = new Float64Array(MAX_LANES);
  /** By candidate lever × lane: may the run pull it, and the policy's weight for it. */
  readonly usable: Uint8Array;
  readonly weight: Float64Array;
  readonly pass = new Float64Array(MAX_LANES);
  /** By lane: the candidate lever the run pulls this step, or -1. */
  readonly chosen = new Int32Array(MAX_LANES);
  /** The runs pulling one lever, and a selection of them (lane, and position in the group). */
  readonly group = new Int32Array(MAX_LANES);
  readonly selLane = new Int32Array(MAX_LANES);
  readonly selPos = new Int32Array(MAX_LANES);
  readonly mul = new Float64Array(MAX_LANES);
  readonly add = new Float64Array(MAX_LANES);
  /** By branch × position in the group: the branch's probability as it is built up. */
  readonly odds: Float64Array;
  /**
   * One run's probabilities, by number of branches (the kernel normalises and picks from it), for
   * the numbers the levers have: one array for each count up to the largest took memory quadratic
   * in it (100,000 branches on one lever ran out of heap).
   */
  readonly column: number[][] = [];
  /** This round's draws, by lane (the states read theirs through views), and each run's generator. */
  readonly u: Float64Array;
  readonly rng: LaneStreams = { c: new Float64Array(MAX_LANES), s0: new Float64Array(MAX_LANES), s1: new Float64Array(MAX_LANES), s2: new Float64Array(MAX_LANES) };
  /** One run's usable candidates (by candidate index) and their weights, as `choose` lists them. */
  readonly options: Int32Array;
  readonly optionWeights: Float64Array;
  /** The transition each run's relationship and each stance chart take this round (or null). */
  readonly relMove: (TransitionDef | null)[] = new Array(MAX_LANES).fill(null);
  readonly stanceMove: (TransitionDef | null)[];

  constructor(def: ScenarioDefinition) {
    const nt = def.tensions.length;
    const np = def.parameters.length;
    const na = def.actors.length;
    const nh = def.historySize;
    this.lanes = {
      g: 0, nt, np, na, nh,
      t: new Float64Array(MAX_LANES * nt), p: new Float64Array(MAX_LANES * np), st: new Int32Array(MAX_LANES * na),
      cnt: new Int32Array(MAX_LANES * nh), last: new Int32Array(MAX_LANES * nh), rel: new Int32Array(MAX_LANES),
      states: [],
    };
    const most = Math.max(1, ...def.leversByActorPhase.flatMap((byPhase) => byPhase.map((l) => l.length)));
    this.usable = new Uint8Array(most * MAX_LANES);
    this.weight = new Float64Array(most * MAX_LANES);
    this.stanceMove = new Array(na * MAX_LANES).fill(null);
    const branches = Math.max(1, ...def.levers.map((l) => l.branches.length));
    this.odds = new Float64Array(branches * MAX_LANES);
    for (const lever of def.levers) this.column[lever.branches.length] ??= new Array<number>(lever.branches.length).fill(0);
    this.u = new Float64Array(MAX_LANES * def.slotCount);
    this.options = new Int32Array(most + 1);
    this.optionWeights = new Float64Array(most + 1);
  }
}

/** One workspace per scenario (calls never overlap: the loop runs to the end before it returns). */
const workspaces = new WeakMap<ScenarioDefinition, Workspace>();

/**
 * Runs every run of `runs` (at most `MAX_LANES`, in lock step) to its end. The states returned
 * read their tensions, counts, stances and draws from memory that the next call on the same
 * scenario reuses: read them first.
 */
export function simulateLanes(k: BatchKernel, runs: readonly LaneRun[]): SimState[];
/** …or null as soon as `stopped()` says so (it is asked before every step). */
export function simulateLanes(k: BatchKernel, runs: readonly LaneRun[], stopped: () => boolean): SimState[] | null;
export function simulateLanes(k: BatchKernel, runs: readonly LaneRun[], stopped?: () => boolean): SimState[] | null {
  const { def, tables } = k;
  const n = runs.length;
  if (n === 0) return [];
  if (n > MAX_LANES) throw new Error(`simulateLanes: ${n} runs, more than ${MAX_LANES}`);
  if (!inLockStep(runs)) throw new Error('simulateLanes: runs whose moves differ in step or kind cannot advance in lock step');
  let w = workspaces.get(def);
  if (!w) workspaces.set(def, (w = new Workspace(def)));
  const { lanes } = w;
  const { nt, np, na, nh } = lanes;
  const states: SimState[] = lanes.states;
  states.length = 0;
  for (let i = 0; i < n; i++) {
    const run = runs[i]!;
    const s = run.from ? cloneState(run.from) : initialState(def, run.seed, run.params, null);
    // The run's arrays move into the shared lanes; the state keeps views of its part.
    lanes.t.set(s.t, i * nt);
    lanes.p.set(s.p, i * np);
    lanes.st.set(s.st, i * na);
    lanes.cnt.set(s.cnt, i * nh);
    lanes.last.set(s.last, i * nh);
    lanes.rel[i] = s.rel;
    s.t = lanes.t.subarray(i * nt, (i + 1) * nt) as unknown as number[];
    s.p = lanes.p.subarray(i * np, (i + 1) * np) as unknown as number[];
    s.st = lanes.st.subarray(i * na, (i + 1) * na) as unknown as number[];
    s.cnt = lanes.cnt.subarray(i * nh, (i + 1) * nh) as unknown as number[];
    s.last = lanes.last.subarray(i * nh, (i + 1) * nh) as unknown as number[];
    states.push(s);
    adoptStream(w, def, i);
  }
  const s0 = states[0]!;
  const moves = runs[0]!.moves;
  const limit = def.maxSteps + moves.length + 1;
  let next = 0;
  for (let guard = 0; !s0.ended; guard++) {
    if (guard > limit) throw new Error(`run exceeded ${limit} steps: the scenario's timeline should bound it`);
    if (stopped?.()) return null;
    if (next < moves.length && moves[next]!.step === s0.step) {
      // A move of a branch: each run takes it on its own (rare: once per move per run).
      for (let i = 0; i < n; i++) {
        const s = states[i]!;
        releaseStream(w, i);
        takeMove(k, s, runs[i]!.moves[next]!);
        lanes.rel[i] = s.rel;
        adoptStream(w, def, i);
      }
      next++;
      continue;
    }
    decide(k, w, n);
    let roundOver = false;
    for (let i = 0; i < n; i++) roundOver = advanceTurn(def, states[i]!);
    if (roundOver) endRound(def, tables, w, n);
  }
  if (next < moves.length) throw new BranchCodeError(`the run ended after step ${s0.step}, before the move at step ${moves[next]!.step + 1}`);
  for (let i = 0; i < n; i++) releaseStream(w, i);
  return states.slice();
}

/** Run i's draws and generator move into the lanes (its state reads its draws through a view). */
function adoptStream(w: Workspace, def: ScenarioDefinition, i: number): void {
  const s = w.lanes.states[i]!;
  const u = w.u.subarray(i * def.slotCount, (i + 1) * def.slotCount);
  u.set(s.u);
  s.u = u as unknown as number[];
  const { c, s0, s1, s2 } = s.r;
  w.rng.c[i] = c;
  w.rng.s0[i] = s0;
  w.rng.s1[i] = s1;
  w.rng.s2[i] = s2;
}

/** Run i's generator state back into its state, for the kernel's own code or for the caller. */
function releaseStream(w: Workspace, i: number): void {
  const { c, s0, s1, s2 } = w.rng;
  w.lanes.states[i]!.r = { c: c[i]!, s0: s0[i]!, s1: s1[i]!, s2: s2[i]! };
}

/** The deciding actor's choice in every run (as `choose` makes it), and its pull. */
function decide(k: BatchKernel, w: Workspace, n: number): void {
  const { def, policy } = k;
  const { lanes, sub, values, usable, weight } = w;
  const states = lanes.states;
  const s0 = states[0]!;
  lanes.g = s0.g;
  const actor = currentActor(def, s0);
  const candidates: readonly LeverDef[] = def.leversByActorPhase[actor]?.[def.rounds[s0.g]!.phase] ?? [];
  const rules = policy.actors[actor];
  const nc = candidates.length;
  const { cnt, nh } = lanes;
  for (let c = 0; c < nc; c++) {
    const lever = candidates[c]!;
    const row = c * MAX_LANES;
    usable.fill(0, row, row + n);
    // Uses left, then the precondition on the runs that have some.
    let m = 0;
    for (let i = 0; i < n; i++) if (cnt[i * nh + lever.historyKey]! < lever.maxUses) sub[m++] = i;
    if (m > 0 && lever.when) {
      vectorOf(lever.when, 'boolean')(lanes, sub, m, values);
      let kept = 0;
      for (let j = 0; j < m; j++) if (values[j] !== 0) sub[kept++] = sub[j]!;
      m = kept;
    }
    if (m === 0) continue;
    for (let j = 0; j < m; j++) usable[row + sub[j]!] = 1;
    if (rules) {
      vectorOf(rules.weights[lever.index] ?? rules.otherwise, 'number')(lanes, sub, m, values);
      for (let j = 0; j < m; j++) weight[row + sub[j]!] = values[j]!;
    } else for (let j = 0; j < m; j++) weight[row + sub[j]!] = 1;
  }
  if (rules?.pass) vectorOf(rules.pass, 'number')(lanes, w.all, n, w.pass);
  const { options, optionWeights, chosen } = w;
  const policySlot = slot.policy(actor);
  for (let i = 0; i < n; i++) {
    chosen[i] = -1;
    let count = 0;
    let total = 0;
    for (let c = 0; c < nc; c++) {
      if (usable[c * MAX_LANES + i] === 0) continue;
      const x = weight[c * MAX_LANES + i]!;
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
    const s = states[i]!;
    const index = pickOption(optionWeights, count, passWeight, total, s.u[policySlot]!);
    if (index < count) chosen[i] = options[index]!;
  }
  // The pulls, lever by lever: each lever's odds are computed for all the runs that pull it.
  for (let c = 0; c < nc; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) if (chosen[i] === c) w.group[m++] = i;
    if (m > 0) pull(def, w, actor, candidates[c]!, m);
  }
}

/**
 * `actor` pulls `lever` in the runs `w.group[0..m)`: the branch odds as `leverOdds` builds
 * them (base, the lever's modifiers, active mediators' rules), normalised and drawn from as
 * `applyPull` does, then the branch's effects.
 */
function pull(def: ScenarioDefinition, w: Workspace, actor: number, lever: LeverDef, m: number): void {
  const { lanes, values, group, odds, selLane, selPos, mul, add } = w;
  const nb = lever.branches.length;
  for (let b = 0; b < nb; b++) {
    vectorOf(lever.branches[b]!.p, 'number')(lanes, group, m, values);
    odds.set(values.subarray(0, m), b * MAX_LANES);
  }
  /** Selects the runs of the group where `when` holds (all of them when it is null); returns how many. */
  const select = (when: Fn<boolean> | null): number => {
    let k = 0;
    if (when) vectorOf(when, 'boolean')(lanes, group, m, values);
    for (let j = 0; j < m; j++) {
      if (when && values[j] === 0) continue;
      selLane[k] = group[j]!;
      selPos[k++] = j;
    }
    return k;
  };
  /** p ← p · mul + add for branch `b` in the selected runs, with the rule's `mul` and `add` read there. */
  const modifyAll = (k: number, rule: { readonly mul: Fn<number> | null; readonly add: Fn<number> | null }, branches: readonly number[]): void => {
    if (rule.mul) vectorOf(rule.mul, 'number')(lanes, selLane, k, mul);
    else mul.fill(1, 0, k);
    if (rule.add) vectorOf(rule.add, 'number')(lanes, selLane, k, add);
    else add.fill(0, 0, k);
    for (const b of branches) {
      const row = b * MAX_LANES;
      for (let q = 0; q < k; q++) odds[row + selPos[q]!] = odds[row + selPos[q]!]! * mul[q]! + add[q]!;
    }
  };
  for (const modifier of lever.modifiers) {
    const k = select(modifier.when);
    if (k > 0) modifyAll(k, modifier, [modifier.branch]);
  }
  for (const { mediator, rules } of def.mediation[lever.index]!.modifiers) {
    const k = select(mediator.active);
    if (k > 0) for (const { rule, branches } of rules) modifyAll(k, rule, branches);
  }
  const p = w.column[nb]!;
  const branchSlot = slot.branch(actor);
  const states = lanes.states;
  for (let j = 0; j < m; j++) {
    for (let b = 0; b < nb; b++) {
      const x = odds[b * MAX_LANES + j]!;
      if (Number.isNaN(x)) throw nonFinite(def, x, `the probability of branch \`${lever.branches[b]!.id}\` of lever \`${lever.id}\``, lever.branches[b]!.pSource);
      p[b] = x;
    }
    normalise(p);
    const s = states[group[j]!]!;
    applyBranch(def, s, actor, lever, pick(p, s.u[branchSlot]!), false, NO_ODDS, null);
  }
}

const NO_ODDS: BranchOdds[] = [];

/** The end of a round in every run: events, couplings, decay, the charts, a checkpoint, the next round. */
function endRound(def: ScenarioDefinition, tables: FlatTables, w: Workspace, n: number): void {
  const { lanes, sub, values } = w;
  const states = lanes.states;
  const s0 = states[0]!;
  const g = (lanes.g = s0.g);
  const round = def.rounds[g]!;
  const { last, nh } = lanes;
  // Each event's hazard is read after the events before it have happened in that run.
  for (const e of def.events) {
    if (!e.hazard || !e.phases[round.phase]) continue;
    let m = 0;
    for (let i = 0; i < n; i++) if (last[i * nh + e.historyKey] !== g) sub[m++] = i;
    if (m === 0) continue;
    vectorOf(e.hazard, 'number')(lanes, sub, m, values);
    const hazardSlot = slot.hazard(def, e.index);
    for (let j = 0; j < m; j++) {
      const s = states[sub[j]!]!;
      if (Number.isNaN(values[j]!)) throw nonFinite(def, values[j]!, `the hazard of event \`${e.id}\``, e.hazardSource);
      const hazard = clamp01(values[j]!);
      const draw = s.u[hazardSlot]!;
      if (draw < hazard) fireEvent(def, s, e.index, false, hazard, draw, null);
    }
  }
  for (const c of def.couplings) {
    vectorOf(c.when, 'boolean')(lanes, w.all, n, values);
    for (let i = 0; i < n; i++) if (values[i] !== 0) applyCoupling(def, states[i]!, c, null);
  }
  for (let i = 0; i < n; i++) applyDecay(def, states[i]!, null);

  // Every guard sees the same end-of-round state; then the transitions are taken.
  firstEnabled(w, n, tables.relationship, (i) => lanes.rel[i]!, w.relMove, 0);
  for (let a = 0; a < tables.stances.length; a++) {
    const table = tables.stances[a];
    if (table) firstEnabled(w, n, table, (i) => lanes.st[i * lanes.na + a]!, w.stanceMove, a * MAX_LANES);
  }
  for (let i = 0; i < n; i++) {
    const t = w.relMove[i];
    if (t) states[i]!.rel = lanes.rel[i] = t.to;
  }
  for (let a = 0; a < tables.stances.length; a++) {
    if (!tables.stances[a]) continue;
    for (let i = 0; i < n; i++) {
      const t = w.stanceMove[a * MAX_LANES + i];
      if (t) states[i]!.st[a] = t.to;
    }
  }
  if (lastRoundOfPhase(def, s0) && tables.checkpoint[round.phase]) for (let i = 0; i < n; i++) checkpoint(def, states[i]!, null);
  if (!s0.ended) {
    // `nextRound`, with every run's draws at once, written over the last round's.
    for (let i = 0; i < n; i++) {
      const s = states[i]!;
      s.g++;
      s.turn = 0;
    }
    drawLanes(w.rng, n, def.slotCount, w.u);
    for (let i = 0; i < n; i++) fireScheduled(def, states[i]!, null);
  }
}

/**
 * For each run, the first transition of its chart's current state whose guard holds (or null),
 * written to `moves[offset + i]`. Runs are grouped by state; each guard is asked only of the
 * runs that no earlier guard has claimed.
 */
function firstEnabled(w: Workspace, n: number, table: readonly (readonly TransitionDef[])[], stateOf: (i: number) => number, moves: (TransitionDef | null)[], offset: number): void {
  const { lanes, sub, values } = w;
  for (let i = 0; i < n; i++) moves[offset + i] = null;
  for (let state = 0; state < table.length; state++) {
    const transitions = table[state]!;
    if (transitions.length === 0) continue;
    let m = 0;
    for (let i = 0; i < n; i++) if (stateOf(i) === state) sub[m++] = i;
    for (let k = 0; k < transitions.length && m > 0; k++) {
      const t = transitions[k]!;
      vectorOf(t.when, 'boolean')(lanes, sub, m, values);
      let left = 0;
      for (let j = 0; j < m; j++) {
        if (values[j] !== 0) moves[offset + sub[j]!] = t;
        else sub[left++] = sub[j]!;
      }
      m = left;
    }
  }
}
