/**
 * Global sensitivity analysis: the designs (where to run the model) and the estimators (what its
 * outputs say), as pure functions over numbers in [0, 1)^d. Mapping a unit value to a
 * parameter's range and kind, and running the model, belong to the callers.
 *
 * - Sobol indices: Saltelli's scheme (matrices A and B from a Sobol sequence, and A with column
 *   i from B), Jansen's estimators of first-order and total indices, bootstrap percentile
 *   intervals. Saltelli et al. (2010), "Variance based sensitivity analysis of model output",
 *   Computer Physics Communications 181; Jansen (1999), Computer Physics Communications 117.
 * - Morris elementary effects: r random one-at-a-time trajectories on a p-level grid, and μ, μ*
 *   and σ per parameter with a bootstrap interval on μ*. Morris (1991), Technometrics 33;
 *   Campolongo, Cariboni and Saltelli (2007), Environmental Modelling & Software 22.
 * - One at a time (a tornado): each parameter at its low and high end, the others at their
 *   defaults.
 *
 * Randomness (Morris trajectories, bootstrap resamples) comes from a seeded stream, so the same
 * seed gives the same design and the same intervals.
 */
import seedrandom from 'seedrandom';

/**
 * Direction numbers of the Sobol sequence for dimensions 2–64 (dimension 1 has every m = 1):
 * `a` (the primitive polynomial's coefficients) then m_1 … m_s. From S. Joe and F. Y. Kuo,
 * "Constructing Sobol sequences with better two-dimensional projections", SIAM J. Sci. Comput.
 * 30 (2008), file new-joe-kuo-6.21201; Copyright (c) 2008, Frances Y. Kuo and Stephen Joe,
 * BSD licence (redistribution with this notice; no endorsement by the authors).
 */
const DIRECTIONS = '0,1;1,1,3;1,1,3,1;2,1,1,1;1,1,1,3,3;4,1,3,5,13;2,1,1,5,5,17;4,1,1,5,5,5;7,1,1,7,11,19;11,1,1,5,1,1;13,1,1,1,3,11;14,1,3,5,5,31;1,1,3,3,9,7,49;13,1,1,1,15,21,21;16,1,3,1,13,27,49;19,1,1,1,15,7,5;22,1,3,1,15,13,25;25,1,1,5,5,19,61;1,1,3,7,11,23,15,103;4,1,3,7,13,13,15,69;7,1,1,3,13,7,35,63;8,1,3,5,9,1,25,53;14,1,3,1,13,9,35,107;19,1,3,1,5,27,61,31;21,1,1,5,11,19,41,61;28,1,3,5,3,3,13,69;31,1,1,7,13,1,19,1;32,1,3,7,5,13,19,59;37,1,1,3,9,25,29,41;41,1,3,5,13,23,1,55;42,1,3,7,3,13,59,17;50,1,3,1,3,5,53,69;55,1,1,5,5,23,33,13;56,1,1,7,7,1,61,123;59,1,1,7,9,13,61,49;62,1,3,3,5,3,55,33;14,1,3,1,15,31,13,49,245;21,1,3,5,15,31,59,63,97;22,1,3,1,11,11,11,77,249;38,1,3,1,11,27,43,71,9;47,1,1,7,15,21,11,81,45;49,1,3,7,3,25,31,65,79;50,1,3,1,1,19,11,3,205;52,1,1,5,9,19,21,29,157;56,1,3,7,11,1,33,89,185;67,1,3,3,3,15,9,79,71;70,1,3,7,11,15,39,119,27;84,1,1,3,1,11,31,97,225;97,1,1,1,3,23,43,57,177;103,1,3,7,7,17,17,37,71;115,1,3,1,5,27,63,123,213;122,1,1,3,5,11,43,53,133;8,1,3,5,5,29,17,47,173,479;13,1,3,3,11,3,1,109,9,69;16,1,1,1,5,17,39,23,5,343;22,1,3,1,5,25,15,31,103,499;25,1,1,1,11,11,17,63,105,183;44,1,1,5,11,9,29,97,231,363;47,1,1,5,15,19,45,41,7,383;52,1,3,7,7,31,19,83,137,221;55,1,1,1,3,23,15,111,223,83;59,1,1,5,13,31,15,55,25,161;62,1,1,3,13,25,47,39,87,257'
  .split(';')
  .map((row) => row.split(',').map(Number));

/** Dimensions the Sobol sequence can give. */
export const SOBOL_MAX_DIMENSIONS = DIRECTIONS.length + 1;
/** Parameters a Saltelli design can take (it uses two dimensions per parameter). */
export const SALTELLI_MAX_PARAMETERS = Math.floor(SOBOL_MAX_DIMENSIONS / 2);

const BITS = 31;

/** Direction integers V[1..bits] of dimension `dim` (0-based). */
function directionIntegers(dim: number, bits: number): number[] {
  const v = new Array<number>(bits + 1).fill(0);
  if (dim === 0) {
    for (let j = 1; j <= bits; j++) v[j] = 1 << (BITS - j);
    return v;
  }
  const [a, ...m] = DIRECTIONS[dim - 1]!;
  const s = m.length;
  for (let j = 1; j <= Math.min(s, bits); j++) v[j] = m[j - 1]! << (BITS - j);
  for (let j = s + 1; j <= bits; j++) {
    v[j] = v[j - s]! ^ (v[j - s]! >>> s);
    for (let k = 1; k < s; k++) v[j] = v[j]! ^ (((a! >>> (s - 1 - k)) & 1) * v[j - k]!);
  }
  return v;
}

/**
 * Points `skip … skip+n-1` of the d-dimensional Sobol sequence (Gray-code order, point 0 is the
 * origin), row-major: point i, dimension j at `[i*d + j]`.
 */
export function sobolSequence(n: number, d: number, skip = 0): Float64Array {
  if (d < 1 || d > SOBOL_MAX_DIMENSIONS) throw new RangeError(`a Sobol sequence has 1 to ${SOBOL_MAX_DIMENSIONS} dimensions, not ${d}`);
  const total = skip + n;
  if (total > 2 ** BITS) throw new RangeError(`a Sobol sequence has at most 2^${BITS} points`);
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, total))));
  const dirs = Array.from({ length: d }, (_, j) => directionIntegers(j, bits));
  const x = new Int32Array(d);
  const out = new Float64Array(n * d);
  for (let i = 0; i < total; i++) {
    if (i > 0) {
      // The lowest zero bit of i-1 chooses the direction to add.
      let c = 1;
      for (let value = i - 1; value & 1; value >>>= 1) c++;
      for (let j = 0; j < d; j++) x[j] = x[j]! ^ dirs[j]![c]!;
    }
    if (i >= skip) for (let j = 0; j < d; j++) out[(i - skip) * d + j] = (x[j]! >>> 0) / 2 ** BITS;
  }
  return out;
}

/** A design: `rows` points of `d` unit coordinates, row-major. */
export interface UnitDesign {
  readonly d: number;
  readonly rows: number;
  readonly x: Float64Array;
}

/**
 * Saltelli's design for first-order and total indices: for each of `n` base points, the rows
 * A, AB_1 … AB_d, B (AB_i is A with coordinate i from B), so `n·(d+2)` rows in all. A and B
 * are the two halves of a 2d-dimensional Sobol sequence, skipping its first `skip` points
 * (the origin and a power of two are the usual choices).
 */
export function saltelliDesign(n: number, d: number, skip = 1): UnitDesign {
  if (d < 1 || d > SALTELLI_MAX_PARAMETERS) throw new RangeError(`a Saltelli design takes 1 to ${SALTELLI_MAX_PARAMETERS} parameters, not ${d}`);
  const base = sobolSequence(n, 2 * d, skip);
  const rows = n * (d + 2);
  const x = new Float64Array(rows * d);
  for (let b = 0; b < n; b++) {
    const a = (k: number) => base[b * 2 * d + k]!;
    const bb = (k: number) => base[b * 2 * d + d + k]!;
    const at = b * (d + 2);
    for (let k = 0; k < d; k++) {
      x[at * d + k] = a(k);
      x[(at + d + 1) * d + k] = bb(k);
    }
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) x[(at + 1 + i) * d + k] = k === i ? bb(k) : a(k);
  }
  return { d, rows, x };
}

/** An estimate with its bootstrap interval. */
export interface Estimate {
  readonly value: number;
  /** 95% (or the asked level) percentile bootstrap interval. */
  readonly ci: readonly [number, number];
}

export interface SobolIndices {
  /** First-order index of each parameter. */
  readonly first: readonly Estimate[];
  /** Total index of each parameter. */
  readonly total: readonly Estimate[];
  /** Variance of the output over the A and B rows. */
  readonly variance: number;
}

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly level?: number;
  readonly seed?: number;
}

/**
 * Jansen's estimators on the outputs `y` of a Saltelli design (rows in its order):
 * first order S_i = 1 − mean((f(B) − f(AB_i))²) / 2V, total ST_i = mean((f(A) − f(AB_i))²) / 2V,
 * with V the variance of f over A and B. Intervals from `resamples` bootstrap resamples of the
 * base points (each resample recomputes V too).
 */
export function sobolIndices(y: ArrayLike<number>, n: number, d: number, options: BootstrapOptions = {}): SobolIndices {
  if (y.length !== n * (d + 2)) throw new RangeError(`a Saltelli design of ${n} base points and ${d} parameters has ${n * (d + 2)} outputs, not ${y.length}`);
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const rng = seedrandom.alea(String(options.seed ?? 0));
  const f = (b: number, row: number) => y[b * (d + 2) + row]!;
  const estimate = (pick: (k: number) => number): { first: number[]; total: number[]; variance: number } => {
    let sum = 0;
    let sq = 0;
    for (let k = 0; k < n; k++) {
      const b = pick(k);
      const ya = f(b, 0);
      const yb = f(b, d + 1);
      sum += ya + yb;
      sq += ya * ya + yb * yb;
    }
    const mean = sum / (2 * n);
    const variance = sq / (2 * n) - mean * mean;
    const first: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < d; i++) {
      let s1 = 0;
      let st = 0;
      for (let k = 0; k < n; k++) {
        const b = pick(k);
        const yab = f(b, 1 + i);
        s1 += (f(b, d + 1) - yab) ** 2;
        st += (f(b, 0) - yab) ** 2;
      }
      first.push(variance > 0 ? 1 - s1 / (2 * n * variance) : 0);
      total.push(variance > 0 ? st / (2 * n * variance) : 0);
    }
    return { first, total, variance };
  };
  const point = estimate((k) => k);
  const boot = { first: Array.from({ length: d }, () => new Float64Array(resamples)), total: Array.from({ length: d }, () => new Float64Array(resamples)) };
  const picks = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let k = 0; k < n; k++) picks[k] = Math.floor(rng() * n);
    const e = estimate((k) => picks[k]!);
    for (let i = 0; i < d; i++) {
      boot.first[i]![r] = e.first[i]!;
      boot.total[i]![r] = e.total[i]!;
    }
  }
  const interval = (samples: Float64Array): readonly [number, number] => percentileInterval(samples, level);
  return {
    first: point.first.map((value, i) => ({ value, ci: resamples > 0 ? interval(boot.first[i]!) : [value, value] })),
    total: point.total.map((value, i) => ({ value, ci: resamples > 0 ? interval(boot.total[i]!) : [value, value] })),
    variance: point.variance,
  };
}

/** The central `level` interval of `samples` (sorted in place), by linear interpolation. */
export function percentileInterval(samples: Float64Array, level: number): readonly [number, number] {
  samples.sort();
  const q = (p: number) => {
    const at = p * (samples.length - 1);
    const lo = Math.floor(at);
    const hi = Math.min(samples.length - 1, lo + 1);
    return samples[lo]! + (samples[hi]! - samples[lo]!) * (at - lo);
  };
  return [q((1 - level) / 2), q((1 + level) / 2)];
}

/**
 * Morris's design: `r` trajectories of d+1 points each on a grid of `levels` levels (even), a
 * jump of Δ = levels / (2(levels−1)); each trajectory starts at a random grid point and moves
 * one parameter at a time, in random order and direction, by Δ. Rows are the points in
 * trajectory order: `r·(d+1)` rows. Levels are at k/(levels−1), so 0 and 1 are both reached.
 */
export function morrisDesign(r: number, d: number, levels = 4, seed = 0): UnitDesign {
  if (levels < 2 || levels % 2 !== 0) throw new RangeError(`Morris needs an even number of levels, at least 2, not ${levels}`);
  const rng = seedrandom.alea(String(seed));
  const step = levels / (2 * (levels - 1));
  const rows = r * (d + 1);
  const x = new Float64Array(rows * d);
  for (let t = 0; t < r; t++) {
    // A start from which +Δ or −Δ stays in [0, 1] for every parameter.
    const point = new Float64Array(d);
    const up = new Uint8Array(d);
    for (let k = 0; k < d; k++) {
      // Levels 0 … levels/2 − 1 can go up by Δ; the others come down.
      const level = Math.floor(rng() * levels);
      point[k] = level / (levels - 1);
      up[k] = level < levels / 2 ? 1 : 0;
    }
    const order = Array.from({ length: d }, (_, k) => k);
    for (let k = d - 1; k > 0; k--) {
      const j = Math.floor(rng() * (k + 1));
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    const base = t * (d + 1);
    x.set(point, base * d);
    for (let s = 0; s < d; s++) {
      const k = order[s]!;
      point[k] = up[k] ? point[k]! + step : point[k]! - step;
      x.set(point, (base + s + 1) * d);
    }
  }
  return { d, rows, x };
}

export interface MorrisIndices {
  /** Mean elementary effect (signed). */
  readonly mu: readonly number[];
  /** Mean absolute elementary effect, with a bootstrap interval over the trajectories. */
  readonly muStar: readonly Estimate[];
  /** Standard deviation of the elementary effects (interactions and non-linearity). */
  readonly sigma: readonly number[];
}

/**
 * μ, μ* and σ from the outputs `y` of a Morris design `design` (r trajectories). An elementary
 * effect is (f(after) − f(before)) / (x_after − x_before) in unit coordinates, so it reads as
 * "change in the output across the whole range". Each trajectory moves each parameter once.
 */
export function morrisIndices(design: UnitDesign, y: ArrayLike<number>, options: BootstrapOptions = {}): MorrisIndices {
  const { d, x } = design;
  const r = design.rows / (d + 1);
  if (y.length !== design.rows) throw new RangeError(`a Morris design of ${r} trajectories has ${design.rows} outputs, not ${y.length}`);
  const effects = Array.from({ length: d }, () => new Float64Array(r));
  for (let t = 0; t < r; t++) {
    for (let s = 0; s < d; s++) {
      const a = t * (d + 1) + s;
      const b = a + 1;
      let k = -1;
      for (let j = 0; j < d; j++) if (x[a * d + j] !== x[b * d + j]) k = j;
      if (k < 0) throw new RangeError(`rows ${a} and ${b} of the Morris design do not differ`);
      effects[k]![t] = (y[b]! - y[a]!) / (x[b * d + k]! - x[a * d + k]!);
    }
  }
  const resamples = options.resamples ?? 1000;
  const rng = seedrandom.alea(String(options.seed ?? 0));
  const meanAbs = (e: Float64Array, pick: (t: number) => number) => {
    let s = 0;
    for (let t = 0; t < r; t++) s += Math.abs(e[pick(t)]!);
    return s / r;
  };
  const boot = Array.from({ length: d }, () => new Float64Array(resamples));
  const picks = new Int32Array(r);
  for (let b = 0; b < resamples; b++) {
    for (let t = 0; t < r; t++) picks[t] = Math.floor(rng() * r);
    for (let k = 0; k < d; k++) boot[k]![b] = meanAbs(effects[k]!, (t) => picks[t]!);
  }
  return {
    mu: effects.map((e) => e.reduce((s, v) => s + v, 0) / r),
    muStar: effects.map((e, k) => {
      const value = meanAbs(e, (t) => t);
      return { value, ci: resamples > 0 ? percentileInterval(boot[k]!, options.level ?? 0.95) : [value, value] };
    }),
    sigma: effects.map((e) => {
      if (r < 2) return 0;
      const m = e.reduce((s, v) => s + v, 0) / r;
      return Math.sqrt(e.reduce((s, v) => s + (v - m) ** 2, 0) / (r - 1));
    }),
  };
}

/**
 * One at a time: a centre row (every parameter at `centre`, its default in unit coordinates),
 * then for each parameter a row at 0 and a row at 1 with the others at the centre: 1 + 2d rows.
 */
export function oatDesign(centre: readonly number[]): UnitDesign {
  const d = centre.length;
  const rows = 1 + 2 * d;
  const x = new Float64Array(rows * d);
  for (let row = 0; row < rows; row++) x.set(centre, row * d);
  for (let k = 0; k < d; k++) {
    x[(1 + 2 * k) * d + k] = 0;
    x[(2 + 2 * k) * d + k] = 1;
  }
  return { d, rows, x };
}

export interface OatEffect {
  /** Output with the parameter at its low and high end (the others at the centre). */
  readonly low: number;
  readonly high: number;
  /** |high − low|: the bar of a tornado. */
  readonly swing: number;
}

/** The tornado's bars from the outputs of `oatDesign`: the centre's output and each parameter's low and high. */
export function oatEffects(d: number, y: ArrayLike<number>): { centre: number; effects: OatEffect[] } {
  if (y.length !== 1 + 2 * d) throw new RangeError(`a one-at-a-time design of ${d} parameters has ${1 + 2 * d} outputs, not ${y.length}`);
  return {
    centre: y[0]!,
    effects: Array.from({ length: d }, (_, k) => {
      const low = y[1 + 2 * k]!;
      const high = y[2 + 2 * k]!;
      return { low, high, swing: Math.abs(high - low) };
    }),
  };
}
