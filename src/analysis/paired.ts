/**
 * Paired differences of results on common random numbers: run j of two arms shares its seed,
 * so the difference is estimated from the runs' differences, whose variance is the two arms'
 * variances less twice their covariance. The same runs sampled independently would give the
 * interval `independentCi95`; the ratio of the two widths is the variance reduction shown.
 */
import { tidy, Z95 } from '../stats/stats.ts';

/**
 * Sums of the differences `a − b` of paired results in [0, 1] (a run's 0/1 result, or an
 * average of such over the moves a policy may choose), and of each side.
 */
export class PairedTally {
  n = 0;
  a = 0;
  b = 0;
  /** Σ(a − b) and Σ(a − b)². */
  diff = 0;
  diffSq = 0;

  add(a: number, b: number): void {
    this.n++;
    this.a += a;
    this.b += b;
    this.diff += a - b;
    this.diffSq += (a - b) * (a - b);
  }

  summary(): PairedDifference {
    const { n } = this;
    if (n === 0) return { difference: 0, ci95: [0, 0], independentCi95: [0, 0], narrower: null };
    const mean = this.diff / n;
    const variance = n > 1 ? Math.max(0, (this.diffSq - n * mean * mean) / (n - 1)) : 0;
    const half = Z95 * Math.sqrt(variance / n);
    const pa = this.a / n;
    const pb = this.b / n;
    const independent = Z95 * Math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n);
    return {
      difference: tidy(mean),
      ci95: [tidy(mean - half), tidy(mean + half)],
      independentCi95: [tidy(mean - independent), tidy(mean + independent)],
      narrower: half > 0 ? tidy(independent / half) : null,
    };
  }
}

export interface PairedDifference {
  /** Mean of the paired differences: equal to the difference of the two proportions. */
  readonly difference: number;
  /** Normal-approximation 95% interval from the paired differences. */
  readonly ci95: [number, number];
  /** The interval the same number of independent runs of each arm would give. */
  readonly independentCi95: [number, number];
  /** How many times narrower the paired interval is (null when every pair agreed). */
  readonly narrower: number | null;
}
