/**
 * Seeded randomness. Every draw of a run comes from one seedrandom `alea` stream per seed, read
 * in fixed blocks: round g owns draws g·n … g·n + n − 1 (n = the scenario's slot count), and
 * within a block each slot has one purpose (an actor's policy choice, an actor's branch, an
 * event's hazard, an event's branch). So a draw is keyed by (seed, round, slot): a different
 * choice in one place never shifts the draws of another (common random numbers across
 * branches). The generator's state is part of the simulation state; a new block is read at the
 * start of every round by restoring the generator from it.
 */
import seedrandom from 'seedrandom';

/** The state of an alea generator, as seedrandom exports it (plain data). */
export interface RngState {
  readonly c: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
}

type Alea = (() => number) & { state(): RngState };

/** The generator's state before the first draw of `seed`'s stream. */
export function seedStream(seed: number): RngState {
  return (seedrandom.alea(String(seed), { state: true }) as unknown as Alea).state();
}

/**
 * The next `n` draws in [0, 1) and the state after them. This is alea's step, as seedrandom's
 * `alea.js` writes it (`t = 2091639·s0 + c·2⁻³²; s0 ← s1; s1 ← s2; s2 ← t − (c ← t|0)`), run on
 * the plain state: re-creating a seedrandom generator from a state re-runs its seed hash, which
 * the batch would pay at every round of every run. A test holds it to seedrandom's own output.
 */
export function drawBlock(state: RngState, n: number): { u: number[]; state: RngState } {
  let { c, s0, s1, s2 } = state;
  const u = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    u[i] = s2 = t - c;
  }
  return { u, state: { c, s0, s1, s2 } };
}

/** The states of many streams, stream `i` at index `i` of each array. */
export interface LaneStreams {
  readonly c: Float64Array;
  readonly s0: Float64Array;
  readonly s1: Float64Array;
  readonly s2: Float64Array;
}

/**
 * `drawBlock` for the first `n` streams of `r` at once, in place: stream i's draws go to
 * `out[i·slots … i·slots + slots − 1]`. The same step, taken for every stream before the next
 * step of any: one stream's steps depend on each other, different streams' do not, so the
 * processor overlaps them.
 */
export function drawLanes(r: LaneStreams, n: number, slots: number, out: Float64Array): void {
  const { c, s0, s1, s2 } = r;
  for (let k = 0; k < slots; k++) {
    for (let i = 0; i < n; i++) {
      const t = 2091639 * s0[i]! + c[i]! * 2.3283064365386963e-10;
      s0[i] = s1[i]!;
      s1[i] = s2[i]!;
      const carry = t | 0;
      c[i] = carry;
      out[i * slots + k] = s2[i] = t - carry;
    }
  }
}

/** The state after skipping `n` draws. */
export function skipDraws(state: RngState, n: number): RngState {
  return drawBlock(state, n).state;
}

/** The `n` draws of round `g` of `seed`'s stream (blocks of `n`): what the engine uses for that round. */
export function roundDraws(seed: number, g: number, n: number): number[] {
  return drawBlock(skipDraws(seedStream(seed), g * n), n).u;
}

/**
 * An independent seed for replicate `index` of a batch with base seed `base`: the first
 * 32 bits of alea seeded with both, so neighbouring indices give unrelated seeds.
 */
export function deriveSeed(base: number, index: number): number {
  return seedrandom.alea(`parley-replicate:${base}:${index}`).int32() >>> 0;
}
