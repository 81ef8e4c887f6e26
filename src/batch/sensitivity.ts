/**
 * Sensitivity analysis of a scenario: which parameters move a measure (an outcome's share, a
 * group of outcomes, a tension's mean final value, the Goldstein score), and how much of that is
 * signal rather than Monte Carlo noise.
 *
 * A method (Sobol, Morris or one at a time) gives points in the unit cube; each coordinate is
 * mapped to its parameter's range and kind; each point is a design point of a batch with R
 * replicates; the measure is read from each point's tallies, so it is the mean over the
 * replicates; the estimators of `stats/sensitivity.ts` give the indices. The batch machinery
 * (workers, shards, merges, resumes) runs the points, so a sensitivity analysis is a batch with
 * a list of points, and its summary is an ordinary batch summary.
 */
import type { ParameterDef } from '../scenario/definition.ts';
import { sampled } from './design.ts';
import type { FileHead } from './rows.ts';
import { UsageError, suggest } from '../scenario/errors.ts';
import { morrisDesign, morrisIndices, oatDesign, oatEffects, saltelliDesign, sobolIndices, type Estimate, type UnitDesign } from '../stats/sensitivity.ts';

export type Method = 'sobol' | 'morris' | 'oat';
export const METHODS: readonly Method[] = ['sobol', 'morris', 'oat'];

/** A parameter as the analysis varies it: over its declared range, by its kind (see `sampled`). */
export type VariedParam = Pick<ParameterDef, 'id' | 'min' | 'max' | 'default' | 'kind'>;

/** A parameter's default in unit coordinates: the centre of one-at-a-time. */
export const centreOf = (p: VariedParam): number => (p.max > p.min ? (p.default - p.min) / (p.max - p.min) : 0.5);

/** What the analysis measures at each point. */
export type Measure =
  | { readonly kind: 'outcomes'; readonly name: string; readonly outcomes: readonly string[] }
  | { readonly kind: 'tension'; readonly name: string; readonly tension: string }
  | { readonly kind: 'goldstein'; readonly name: string };

/**
 * `--measure`: an outcome id, outcomes joined by `+` (`strategic_reset+conditional_truce`), a
 * named group (`settled=strategic_reset+conditional_truce`), a tension id (its mean final value)
 * or `goldstein` (the mean Goldstein score).
 */
export function parseMeasure(text: string, names: { outcomes: readonly string[]; tensions: readonly string[] }): Measure {
  const t = text.trim();
  const named = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(t);
  const body = named ? named[2]! : t;
  if (!named && t === 'goldstein') return { kind: 'goldstein', name: 'goldstein' };
  if (!named && names.tensions.includes(t)) return { kind: 'tension', name: t, tension: t };
  const ids = body.split('+').map((s) => s.trim());
  const unknown = ids.filter((id) => !names.outcomes.includes(id));
  if (unknown.length) {
    const known = [...names.outcomes, ...names.tensions, 'goldstein'];
    throw new UsageError(`\`${text}\`: ${unknown.map((u) => `\`${u}\``).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not an outcome${named ? '' : ', a tension or goldstein'}`, suggest(unknown[0]!, known, 'measure') ?? `outcomes: ${names.outcomes.join(', ')}; tensions: ${names.tensions.join(', ')}; or goldstein`, '--measure');
  }
  return { kind: 'outcomes', name: named ? named[1]! : ids.join('+'), outcomes: ids };
}

/** The part of a point's tallies a measure reads. */
export interface PointTallies {
  readonly runs: number;
  readonly outcomes: Readonly<Record<string, { readonly count: number }>>;
  readonly tensions: Readonly<Record<string, { readonly mean: number | null; readonly sd?: number | null }>>;
  readonly goldstein: { readonly mean: number | null; readonly sd?: number | null };
}

/** The measure at a point (the mean over its replicates), and the variance of that mean. */
export function measureAt(m: Measure, p: PointTallies): { value: number; noise: number } {
  const n = p.runs;
  if (n === 0) throw new RangeError('a design point with no runs');
  if (m.kind === 'outcomes') {
    const k = m.outcomes.reduce((s, o) => s + (p.outcomes[o]?.count ?? 0), 0);
    const share = k / n;
    return { value: share, noise: n > 1 ? (share * (1 - share)) / (n - 1) : 0 };
  }
  const stat = m.kind === 'tension' ? p.tensions[m.tension]! : p.goldstein;
  const sd = stat.sd ?? 0;
  return { value: stat.mean ?? 0, noise: n > 1 ? (sd * sd) / n : 0 };
}

/** The points of a method, in unit coordinates. */
export interface MethodDesign {
  readonly method: Method;
  readonly unit: UnitDesign;
  /** Sobol: base points; Morris: trajectories; one at a time: 1. */
  readonly size: number;
}

export interface MethodOptions {
  /** Sobol: base points (a power of two is best); Morris: trajectories. */
  readonly size: number;
  /** Morris: grid levels (even). */
  readonly levels?: number;
  readonly seed: number;
}

export function methodDesign(method: Method, params: readonly VariedParam[], options: MethodOptions): MethodDesign {
  const d = params.length;
  if (d === 0) throw new UsageError('no parameter to vary', 'name some with --params, or give the scenario parameters with a range', '--params');
  switch (method) {
    case 'sobol':
      return { method, unit: saltelliDesign(options.size, d), size: options.size };
    case 'morris':
      return { method, unit: morrisDesign(options.size, d, options.levels ?? 4, options.seed), size: options.size };
    case 'oat':
      return { method, unit: oatDesign(params.map(centreOf)), size: 1 };
  }
}

/** Parameter values of each row of a design. */
export function pointValues(design: MethodDesign, params: readonly VariedParam[]): number[][] {
  const { d, rows, x } = design.unit;
  return Array.from({ length: rows }, (_, r) => params.map((p, k) => sampled(p, x[r * d + k]!)));
}

export interface IndexEstimate extends Estimate {
  readonly param: string;
}

export interface SensitivityIndices {
  readonly method: Method;
  /** Sobol. */
  readonly first?: readonly IndexEstimate[];
  readonly total?: readonly IndexEstimate[];
  /** Morris. */
  readonly mu?: readonly { readonly param: string; readonly value: number }[];
  readonly muStar?: readonly IndexEstimate[];
  readonly sigma?: readonly { readonly param: string; readonly value: number }[];
  /** One at a time. */
  readonly centre?: number;
  readonly oat?: readonly { readonly param: string; readonly low: number; readonly high: number; readonly swing: number }[];
  /**
   * Monte Carlo noise: the variance of a point's measure from its replicates alone, against the
   * variance of the measure over the points. A ratio near 1 means the indices are mostly noise:
   * add replicates.
   */
  readonly noise: { readonly pointVariance: number; readonly totalVariance: number; readonly ratio: number | null };
}

/** The indices of a design, from the measure and its noise at each row. */
export function analyse(design: MethodDesign, params: readonly VariedParam[], y: readonly number[], noise: readonly number[], options: { resamples?: number; seed: number }): SensitivityIndices {
  const d = params.length;
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  const totalVariance = y.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, y.length - 1);
  const pointVariance = noise.reduce((s, v) => s + v, 0) / noise.length;
  const noiseDoc = { pointVariance, totalVariance, ratio: totalVariance > 0 ? pointVariance / totalVariance : null };
  const named = (values: readonly Estimate[]): IndexEstimate[] => values.map((e, k) => ({ param: params[k]!.id, ...e }));
  switch (design.method) {
    case 'sobol': {
      const s = sobolIndices(y, design.size, d, { resamples: options.resamples ?? 1000, seed: options.seed });
      return { method: 'sobol', first: named(s.first), total: named(s.total), noise: noiseDoc };
    }
    case 'morris': {
      const m = morrisIndices(design.unit, y, { resamples: options.resamples ?? 1000, seed: options.seed });
      return {
        method: 'morris', muStar: named(m.muStar), mu: m.mu.map((value, k) => ({ param: params[k]!.id, value })), sigma: m.sigma.map((value, k) => ({ param: params[k]!.id, value })), noise: noiseDoc,
      };
    }
    case 'oat': {
      const o = oatEffects(d, y);
      return { method: 'oat', centre: o.centre, oat: o.effects.map((e, k) => ({ param: params[k]!.id, ...e })), noise: noiseDoc };
    }
  }
}

/** A terminal bar chart of the indices, sorted, with their intervals: `mediator_influence ████▌  0.41 [0.36, 0.47]`. */
export function indexChart(ix: SensitivityIndices, width = 30): string[] {
  const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
  const bars = (rows: readonly { param: string; value: number; ci?: readonly [number, number] }[], scale: number, title: string): string[] => {
    const sorted = [...rows].sort((a, b) => b.value - a.value);
    const name = Math.max(...sorted.map((r) => r.param.length), 4);
    const lines = [title];
    for (const r of sorted) {
      const eighths = Math.max(0, Math.round((Math.max(0, r.value) / (scale || 1)) * width * 8));
      const bar = '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? '▏▎▍▌▋▊▉'[(eighths % 8) - 1]! : '');
      lines.push(`  ${r.param.padEnd(name)}  ${bar.padEnd(width)}  ${fmt(r.value)}${r.ci ? ` [${fmt(r.ci[0])}, ${fmt(r.ci[1])}]` : ''}`);
    }
    return lines;
  };
  if (ix.method === 'sobol') {
    return [...bars(ix.total!, 1, 'total index (share of variance the parameter is involved in), 95% bootstrap interval'), '', ...bars(ix.first!, 1, 'first-order index (share of variance from the parameter alone)')];
  }
  if (ix.method === 'morris') {
    const top = Math.max(...ix.muStar!.map((r) => r.ci[1]), 1e-12);
    const sigma = new Map(ix.sigma!.map((s) => [s.param, s.value]));
    return bars(ix.muStar!.map((r) => ({ ...r, param: `${r.param} (σ ${fmt(sigma.get(r.param)!)})` })), top, 'μ* (mean absolute change of the measure across the range), 95% bootstrap interval; σ: interactions');
  }
  const top = Math.max(...ix.oat!.map((r) => r.swing), 1e-12);
  return bars(ix.oat!.map((r) => ({ param: `${r.param} (${fmt(r.low)} → ${fmt(r.high)})`, value: r.swing })), top, `swing of the measure from the low to the high end (others at their defaults: ${fmt(ix.centre!)})`);
}

export const SENSITIVITY_FORMAT = 'parley-sensitivity';
export const SENSITIVITY_VERSION = 1;

/** The result file (`--result`), and what `--json` prints. */
export interface SensitivityDoc extends FileHead<typeof SENSITIVITY_FORMAT> {
  readonly method: Method;
  readonly measure: Measure;
  readonly params: readonly { readonly id: string; readonly min: number; readonly max: number; readonly kind: string }[];
  readonly runsPerPoint: number;
  readonly points: number;
  readonly runs: number;
  readonly seed: number;
  readonly indices: SensitivityIndices;
}

