/**
 * The state of up to `MAX_LANES` runs of one scenario that advance in lock step, laid out by
 * lane (structure of arrays). Every run of a set shares its timeline — round, turn, step, the
 * number of checkpoints judged, whether it has ended — and has its own tensions, parameters,
 * charts, history, draws, random stream, Goldstein sum and outcomes.
 *
 * A `SimState` (one run, plain JSON) moves in with `load` and out with `store`; what `store`
 * returns shares nothing with the lanes, so callers may keep it.
 */
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { MAX_LANES, type Lanes } from '../scenario/lanes.ts';
import type { LaneStreams } from './rng.ts';
import type { SimState } from './types.ts';

export { MAX_LANES };

export interface RunLanes extends Lanes {
  readonly def: ScenarioDefinition;
  /** Lanes in use (the first `n`). */
  n: number;
  /** Lanes this set was made for. */
  readonly capacity: number;
  /** Index of the next actor to decide in the phase's turn order. */
  turn: number;
  /** Decisions taken so far. */
  step: number;
  ended: boolean;
  /** Uniform draws per round, and this round's draws by lane (`u[i * slots + k]`). */
  readonly slots: number;
  readonly u: Float64Array;
  /** Each lane's random stream, after this round's block. */
  readonly rng: LaneStreams;
  readonly seed: Float64Array;
  readonly gs: Float64Array;
  /** Final outcome index by lane, -1 until the run has ended. */
  readonly outcome: Int32Array;
  /**
   * Called at the end of every round, once for all lanes, after the charts have moved and a
   * checkpoint's outcome is judged, before the next round starts (`L.g` is still the round that
   * ends). A recorder of trajectories reads the lanes here; it must not change them.
   */
  onRoundEnd?: ((L: RunLanes) => void) | null;
}

/** An empty set of lanes for `capacity` runs of `def`. */
export function createLanes(def: ScenarioDefinition, capacity: number): RunLanes {
  if (capacity < 1 || capacity > MAX_LANES) throw new RangeError(`a set of lanes holds 1 to ${MAX_LANES} runs, not ${capacity}`);
  const nt = def.tensions.length;
  const np = def.parameters.length;
  const na = def.actors.length;
  const nh = def.historySize;
  const nj = def.phases.filter((p) => p.checkpoint).length;
  const slots = def.slotCount;
  return {
    def, n: 0, capacity, g: 0, turn: 0, step: 0, ended: false, judgedCount: 0, a: -1,
    t: new Float64Array(capacity * nt), nt, p: new Float64Array(capacity * np), np, st: new Int32Array(capacity * na), na,
    cnt: new Int32Array(capacity * nh), last: new Int32Array(capacity * nh), nh, rel: new Int32Array(capacity),
    slots, u: new Float64Array(capacity * slots),
    rng: { c: new Float64Array(capacity), s0: new Float64Array(capacity), s1: new Float64Array(capacity), s2: new Float64Array(capacity) },
    seed: new Float64Array(capacity), gs: new Float64Array(capacity), judged: new Int32Array(capacity * nj), nj, outcome: new Int32Array(capacity),
  };
}

/**
 * Puts `s` in lane `i`. The shared timeline is taken from it: every state loaded into one set
 * must be at the same point of the timeline (`atSamePoint`).
 */
export function load(L: RunLanes, i: number, s: SimState): void {
  L.g = s.g;
  L.turn = s.turn;
  L.step = s.step;
  L.ended = s.ended;
  L.judgedCount = s.judged.length;
  L.t.set(s.t, i * L.nt);
  L.p.set(s.p, i * L.np);
  L.st.set(s.st, i * L.na);
  L.cnt.set(s.cnt, i * L.nh);
  L.last.set(s.last, i * L.nh);
  L.rel[i] = s.rel;
  L.u.set(s.u, i * L.slots);
  L.rng.c[i] = s.r.c;
  L.rng.s0[i] = s.r.s0;
  L.rng.s1[i] = s.r.s1;
  L.rng.s2[i] = s.r.s2;
  L.seed[i] = s.seed;
  L.gs[i] = s.gs;
  L.judged.set(s.judged, i * L.nj);
  L.outcome[i] = s.outcome;
}

/** Do these states share a point of the timeline, so that they can be lanes of one set? */
export function atSamePoint(a: SimState, b: SimState): boolean {
  return a.g === b.g && a.turn === b.turn && a.step === b.step && a.ended === b.ended && a.judged.length === b.judged.length;
}

function slice(a: Float64Array | Int32Array, from: number, length: number): number[] {
  const out = new Array<number>(length);
  for (let k = 0; k < length; k++) out[k] = a[from + k]!;
  return out;
}

/** Lane `i` as a state of its own (fresh arrays: it shares nothing with the lanes). */
export function store(L: RunLanes, i: number): SimState {
  return {
    seed: L.seed[i]!, g: L.g, turn: L.turn, step: L.step,
    t: slice(L.t, i * L.nt, L.nt), p: slice(L.p, i * L.np, L.np), rel: L.rel[i]!, st: slice(L.st, i * L.na, L.na),
    cnt: slice(L.cnt, i * L.nh, L.nh), last: slice(L.last, i * L.nh, L.nh), u: slice(L.u, i * L.slots, L.slots),
    r: { c: L.rng.c[i]!, s0: L.rng.s0[i]!, s1: L.rng.s1[i]!, s2: L.rng.s2[i]! },
    gs: L.gs[i]!, judged: slice(L.judged, i * L.nj, L.judgedCount), outcome: L.outcome[i]!, ended: L.ended,
  };
}

/** A state's copy (arrays copied, the parameter values shared: they never change). */
export function cloneState(s: SimState): SimState {
  return {
    seed: s.seed, g: s.g, turn: s.turn, step: s.step,
    t: s.t.slice(), p: s.p, rel: s.rel, st: s.st.slice(), cnt: s.cnt.slice(), last: s.last.slice(), u: s.u, r: s.r,
    gs: s.gs, judged: s.judged.slice(), outcome: s.outcome, ended: s.ended,
  };
}

/**
 * A set of one lane that remembers which state it holds: states are values that nobody changes,
 * so loading the state it holds already, or the one it has just stored, is skipped.
 */
export interface OneLane {
  readonly L: RunLanes;
  /** The state the lane holds now, if it is one that was loaded or stored. */
  holds: SimState | null;
}

export function oneLane(def: ScenarioDefinition): OneLane {
  const L = createLanes(def, 1);
  L.n = 1;
  return { L, holds: null };
}

/** `s` in the lane (loaded unless the lane holds it already). */
export function loadOne(one: OneLane, s: SimState): RunLanes {
  if (one.holds !== s) {
    one.L.n = 1;
    load(one.L, 0, s);
    one.holds = s;
  }
  return one.L;
}

/** The lane's state as a value, which the lane then holds. */
export function storeOne(one: OneLane): SimState {
  return (one.holds = store(one.L, 0));
}

/** One state as a set of one lane. */
export function laneOfState(def: ScenarioDefinition, s: SimState): RunLanes {
  const L = createLanes(def, 1);
  L.n = 1;
  load(L, 0, s);
  return L;
}
