/**
 * Latin hypercube sampling: `k` points in the unit cube such that, in every dimension, each of
 * the `k` equal strata holds exactly one point. Seeded, so a design is reproducible from the
 * batch's base seed.
 */
import seedrandom from 'seedrandom';

/**
 * `k` points × `dims` coordinates in [0, 1). Draws, in order: for each dimension, a
 * Fisher–Yates shuffle of the strata, then one jitter per point.
 */
export function latinHypercube(k: number, dims: number, seed: number): number[][] {
  const next = seedrandom.alea(`parley-lhs:${seed}:${k}:${dims}`);
  const points = Array.from({ length: k }, () => new Array<number>(dims).fill(0));
  const strata = new Array<number>(k);
  for (let d = 0; d < dims; d++) {
    for (let i = 0; i < k; i++) strata[i] = i;
    for (let i = k - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const tmp = strata[i]!;
      strata[i] = strata[j]!;
      strata[j] = tmp;
    }
    for (let i = 0; i < k; i++) points[i]![d] = (strata[i]! + next()) / k;
  }
  return points;
}
