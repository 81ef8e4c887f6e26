/**
 * Seeded randomness. Every draw of a run comes from seedrandom's `alea` generator, one stream
 * per (seed, round): a round's draws are a fixed block indexed by slot (actor × purpose,
 * event × purpose), so a different choice in one place never shifts the draws of another
 * (common random numbers across branches). The block is part of the simulation state.
 */
import seedrandom from 'seedrandom';

/** The `n` uniform draws in [0, 1) of round `g` under `seed`. */
export function roundDraws(seed: number, g: number, n: number): number[] {
  const next = seedrandom.alea(`${seed}:${g}`);
  const u = new Array<number>(n);
  for (let i = 0; i < n; i++) u[i] = next();
  return u;
}

/**
 * An independent seed for replicate `index` of a batch with base seed `base`: the first
 * 32 bits of alea seeded with both, so neighbouring indices give unrelated seeds.
 */
export function deriveSeed(base: number, index: number): number {
  return seedrandom.alea(`parley-replicate:${base}:${index}`).int32() >>> 0;
}
