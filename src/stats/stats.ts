/**
 * Statistics of runs that merge exactly (a batch's summaries; the intervals of play's
 * distributions and of debriefs): outcome counts, and sums of values rounded to a fixed quantum
 * kept as integers. Integer sums do not depend on the order of addition, so the result is the
 * same for any number of workers, any chunking and any split into shards. Pure math: this
 * module imports nothing of the project.
 */

/** Resolution of the sums behind means and intervals: values are rounded to it before summing. */
export const QUANTUM = 1e-3;
const SCALE = 1 / QUANTUM;
const SAFE = 2 ** 52;

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * An exact integer sum: a float accumulator that is exact while it stays below 2^53, flushed
 * into a BigInt before it could lose a unit.
 */
export class ExactSum {
  private hi = 0n;
  private lo = 0;

  add(x: number): void {
    if (x > SAFE || x < -SAFE) {
      this.hi += BigInt(x);
      return;
    }
    this.lo += x;
    if (this.lo > SAFE || this.lo < -SAFE) this.flush();
  }

  addBig(x: bigint): void {
    this.hi += x;
  }

  value(): bigint {
    return this.hi + BigInt(this.lo);
  }

  private flush(): void {
    this.hi += BigInt(this.lo);
    this.lo = 0;
  }
}

/** Sum and sum of squares of quantised values. */
export class Moments {
  readonly sum = new ExactSum();
  readonly sumSq = new ExactSum();

  add(value: number): void {
    const q = Math.round(value * SCALE);
    this.sum.add(q);
    if (q < 67_108_864 && q > -67_108_864) this.sumSq.add(q * q);
    else this.sumSq.addBig(BigInt(q) * BigInt(q));
  }

  addExact(sum: bigint, sumSq: bigint): void {
    this.sum.addBig(sum);
    this.sumSq.addBig(sumSq);
  }
}

/** Plain-data form of one design point's statistics (crosses threads, goes into summaries). */
export interface PointTally {
  readonly point: number;
  /** Runs counted. */
  n: number;
  /** By outcome index. */
  outcomes: number[];
  /** By checkpoint (in phase order, the final one excluded), then outcome index. */
  checkpoints: number[][];
  /** Sum of steps (exact: a small integer sum). */
  steps: number;
  /** By tension: [sum, sumSq] of values in units of QUANTUM. */
  tensions: [bigint, bigint][];
  goldstein: [bigint, bigint];
  /** Runs of an exercise only: how many met its objective, and how many got each score ([score, runs], by score). */
  objective?: { met: number; scores: [number, number][] };
}

/** Accumulates the runs of one design point. */
export class PointAccumulator {
  n = 0;
  steps = 0;
  readonly outcomes: number[];
  readonly checkpoints: number[][];
  readonly tensions: Moments[];
  readonly goldstein = new Moments();
  /** With `judged`: runs that met the objective, and runs by score. */
  met = 0;
  readonly scores: Map<number, number> | null;

  constructor(
    readonly point: number,
    outcomeCount: number,
    checkpointCount: number,
    tensionCount: number,
    judged = false,
  ) {
    this.scores = judged ? new Map() : null;
    this.outcomes = new Array<number>(outcomeCount).fill(0);
    this.checkpoints = Array.from({ length: checkpointCount }, () => new Array<number>(outcomeCount).fill(0));
    this.tensions = Array.from({ length: tensionCount }, () => new Moments());
  }

  /** One run: its outcome, outcomes at the checkpoints before the last, final tensions, steps, Goldstein score. */
  add(outcome: number, judged: ArrayLike<number>, tensions: ArrayLike<number>, steps: number, goldstein: number): void {
    this.n++;
    this.steps += steps;
    this.outcomes[outcome]!++;
    for (let c = 0; c < this.checkpoints.length; c++) this.checkpoints[c]![judged[c]!]!++;
    for (let i = 0; i < this.tensions.length; i++) this.tensions[i]!.add(tensions[i]!);
    this.goldstein.add(goldstein);
  }

  /** An exercise's judgement of the run just added: whether it met the objective, and its score. */
  judge(met: boolean, score: number): void {
    if (met) this.met++;
    this.scores?.set(score, (this.scores.get(score) ?? 0) + 1);
  }

  merge(t: PointTally): void {
    if (t.objective) {
      this.met += t.objective.met;
      for (const [score, runs] of t.objective.scores) this.scores?.set(score, (this.scores.get(score) ?? 0) + runs);
    }
    this.n += t.n;
    this.steps += t.steps;
    t.outcomes.forEach((c, i) => (this.outcomes[i]! += c));
    t.checkpoints.forEach((row, c) => row.forEach((x, i) => (this.checkpoints[c]![i]! += x)));
    t.tensions.forEach(([s, q], i) => this.tensions[i]!.addExact(s, q));
    this.goldstein.addExact(t.goldstein[0], t.goldstein[1]);
  }

  tally(): PointTally {
    return {
      point: this.point,
      n: this.n,
      outcomes: this.outcomes.slice(),
      checkpoints: this.checkpoints.map((r) => r.slice()),
      steps: this.steps,
      tensions: this.tensions.map((m) => [m.sum.value(), m.sumSq.value()]),
      goldstein: [this.goldstein.sum.value(), this.goldstein.sumSq.value()],
      ...(this.scores ? { objective: { met: this.met, scores: [...this.scores].sort((a, b) => a[0] - b[0]) } } : {}),
    };
  }
}

/**
 * Wilson score interval for `count` successes in `n` trials (95% by default). Unlike the
 * normal approximation it stays inside [0, 1] and behaves at 0 and n.
 */
export function wilson(count: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = count / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface MeanInterval {
  readonly mean: number | null;
  readonly sd: number | null;
  /** Normal-approximation 95% interval of the mean. */
  readonly ci95: [number, number] | null;
}

/** Mean, standard deviation and 95% interval from exact quantised sums. */
export function meanInterval(n: number, sum: bigint, sumSq: bigint): MeanInterval {
  if (n === 0) return { mean: null, sd: null, ci95: null };
  const mean = Number(sum) / n / SCALE;
  if (n === 1) return { mean: tidy(mean), sd: null, ci95: null };
  // n·Σq² − (Σq)² is exact in BigInt; only the final division rounds.
  const num = BigInt(n) * sumSq - sum * sum;
  const variance = Number(num) / (n * (n - 1)) / (SCALE * SCALE);
  const sd = Math.sqrt(Math.max(0, variance));
  const half = (Z95 * sd) / Math.sqrt(n);
  return { mean: tidy(mean), sd: tidy(sd), ci95: [tidy(mean - half), tidy(mean + half)] };
}

/** Rounds a statistic for display in JSON (1e-9 is far below the quantum). */
export function tidy(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/**
 * Newcombe's interval for the difference of two paired proportions, p1 − p2 (Newcombe 1998,
 * "Improved confidence intervals for the difference between binomial proportions based on
 * paired data", Statistics in Medicine 17:2635–2650, method 10: Wilson score intervals for each
 * proportion, combined with the correlation φ of the pairs, without continuity correction).
 * `both`: pairs where both hold; `first`: only the first; `second`: only the second; `n`: pairs.
 */
export function newcombePaired(both: number, first: number, second: number, n: number, z = Z95): { difference: number; ci95: [number, number] } {
  if (n === 0) return { difference: 0, ci95: [-1, 1] };
  const neither = n - both - first - second;
  const p1 = (both + first) / n;
  const p2 = (both + second) / n;
  const [l1, u1] = wilson(both + first, n, z);
  const [l2, u2] = wilson(both + second, n, z);
  // φ as Newcombe defines it for method 10: AD − BC shrunk by N/2 when positive, 0 when the margins leave no correlation.
  const margins = (both + first) * (second + neither) * (both + second) * (first + neither);
  const ad = both * neither - first * second;
  const shrunk = ad > n / 2 ? ad - n / 2 : ad < 0 ? ad : 0;
  const phi = margins > 0 ? shrunk / Math.sqrt(margins) : 0;
  const d = p1 - p2;
  const lower = d - Math.sqrt(Math.max(0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2));
  const upper = d + Math.sqrt(Math.max(0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2));
  return { difference: d, ci95: [Math.max(-1, lower), Math.min(1, upper)] };
}

/** Newcombe's hybrid score interval (1998, method 10 for independent samples) for p1 − p2 of two independent proportions. */
export function newcombeIndependent(c1: number, n1: number, c2: number, n2: number, z = Z95): { difference: number; ci95: [number, number] } {
  const p1 = n1 ? c1 / n1 : 0;
  const p2 = n2 ? c2 / n2 : 0;
  const [l1, u1] = wilson(c1, n1, z);
  const [l2, u2] = wilson(c2, n2, z);
  const d = p1 - p2;
  return { difference: d, ci95: [Math.max(-1, d - Math.hypot(p1 - l1, u2 - p2)), Math.min(1, d + Math.hypot(u1 - p1, p2 - l2))] };
}
