/**
 * The figures of a report, as data: each is a Vega-Lite specification, the rows behind it (the
 * same rows a reader downloads as CSV), a title and a caption that says how to read it. Nothing
 * here draws: `html.ts` renders the specifications to SVG. Builders take plain study data, so
 * they are tested without a browser or a renderer.
 */
import { wilson } from '../stats/stats.ts';

export type Row = Record<string, string | number | null>;

export interface Figure {
  readonly id: string;
  readonly title: string;
  /** How to read it, in a sentence or two. */
  readonly caption: string;
  /** A Vega-Lite (v6) specification whose data are `rows`. */
  readonly spec: Record<string, unknown>;
  readonly rows: readonly Row[];
  /** Column order of the CSV download. */
  readonly columns: readonly string[];
}

const WIDTH = 520;
const font = { font: 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif' };
const CONFIG = { config: { ...font, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360 }, title: { fontSize: 13 } } };

function spec(body: Record<string, unknown>, rows: readonly Row[]): Record<string, unknown> {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', data: { values: rows }, ...CONFIG, ...body };
}

/** A share and its 95% Wilson interval. */
export function share(count: number, runs: number): { proportion: number | null; lo: number; hi: number } {
  const [lo, hi] = wilson(count, runs);
  return { proportion: runs > 0 ? count / runs : null, lo, hi };
}

/** Outcome counts at one moment: the final outcome, or a checkpoint's. */
export interface OutcomeCounts {
  /** "final", or the checkpoint phase. */
  readonly when: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly runs: number;
}

/** Outcome shares with Wilson intervals, one bar per outcome and moment. */
export function outcomeShares(id: string, title: string, outcomes: readonly string[], moments: readonly OutcomeCounts[], legend = 'judged at', caption?: string): Figure {
  const rows: Row[] = [];
  for (const m of moments) {
    for (const o of outcomes) {
      const count = m.counts[o] ?? 0;
      const s = share(count, m.runs);
      rows.push({ when: m.when, outcome: o, count, runs: m.runs, proportion: s.proportion, ci_low: s.lo, ci_high: s.hi });
    }
  }
  const order = moments.map((m) => m.when);
  const x = { field: 'proportion', type: 'quantitative', title: 'share of runs', axis: { format: '.0%' }, scale: { domain: [0, 1] } };
  const y = { field: 'outcome', type: 'nominal', sort: [...outcomes], title: null };
  const color = { field: 'when', type: 'nominal', sort: order, title: moments.length > 1 ? legend : null, legend: moments.length > 1 ? {} : null };
  return {
    id, title,
    caption: caption ?? `Share of runs ending in each outcome${moments.length > 1 ? ', at each checkpoint and at the end' : ''}. The whiskers are 95% Wilson intervals: with more runs they shrink.`,
    rows, columns: ['when', 'outcome', 'count', 'runs', 'proportion', 'ci_low', 'ci_high'],
    spec: spec({
      width: WIDTH, height: { step: moments.length > 1 ? 12 : 22 },
      encoding: { y, yOffset: { field: 'when', sort: order }, color },
      layer: [
        { mark: { type: 'bar', opacity: 0.85 }, encoding: { x } },
        { mark: { type: 'rule', color: '#222' }, encoding: { x: { field: 'ci_low', type: 'quantitative' }, x2: { field: 'ci_high' } } },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' }, encoding: { x: { field: 'ci_high', type: 'quantitative' }, text: { field: 'proportion', type: 'quantitative', format: '.1%' } } },
      ],
    }, rows),
  };
}

/** One measured share per x value and series: lines with interval ribbons. */
export interface SeriesPoint {
  readonly measure: string;
  readonly x: number;
  /** The value of the second swept parameter, or '' for one line. */
  readonly series: string;
  readonly count: number;
  readonly runs: number;
}

/**
 * Each measure's share (an outcome or a group of outcomes) against a swept value, one line per
 * value of a second swept parameter, with 95% Wilson ribbons; one small chart per measure.
 */
export function sweepLines(id: string, title: string, xName: string, seriesName: string | null, points: readonly SeriesPoint[], measures: readonly string[]): Figure {
  const rows: Row[] = points.map((p) => {
    const s = share(p.count, p.runs);
    return { measure: p.measure, [xName]: p.x, ...(seriesName ? { [seriesName]: p.series } : {}), count: p.count, runs: p.runs, proportion: s.proportion, ci_low: s.lo, ci_high: s.hi };
  });
  const x = { field: xName, type: 'quantitative', title: xName, scale: { zero: false } };
  const color = seriesName ? { field: seriesName, type: 'ordinal', title: seriesName, scale: { scheme: 'viridis' } } : { value: '#3366aa' };
  const layers = [
    { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { field: 'ci_low', type: 'quantitative' }, y2: { field: 'ci_high' }, color } },
    { mark: { type: 'line', point: { size: 18 } }, encoding: { x, y: { field: 'proportion', type: 'quantitative', title: 'share of runs', axis: { format: '.0%' } }, color } },
  ];
  const facetWidth = measures.length > 1 ? 250 : WIDTH;
  return {
    id, title,
    caption: `Share of runs against ${xName}${seriesName ? `, one line per value of ${seriesName}` : ''}, pooled over the other design dimensions. Ribbons are 95% Wilson intervals.`,
    rows, columns: ['measure', xName, ...(seriesName ? [seriesName] : []), 'count', 'runs', 'proportion', 'ci_low', 'ci_high'],
    spec: spec(
      measures.length > 1
        ? { facet: { field: 'measure', type: 'nominal', sort: [...measures], title: null }, columns: 2, spec: { width: facetWidth, height: 170, layer: layers }, resolve: { scale: { y: 'independent' } } }
        : { width: facetWidth, height: 260, layer: layers },
      rows,
    ),
  };
}

/** A sensitivity index of one parameter, with its interval. */
export interface IndexRow {
  readonly param: string;
  readonly index: string;
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
}

/** Sensitivity indices as bars with interval whiskers, parameters sorted by the first index kind's value. */
export function indexBars(id: string, title: string, caption: string, indices: readonly IndexRow[], valueTitle: string): Figure {
  const kinds = [...new Set(indices.map((r) => r.index))];
  const lead = kinds[0];
  const order = indices.filter((r) => r.index === lead).sort((a, b) => b.value - a.value).map((r) => r.param);
  const rows: Row[] = indices.map((r) => ({ param: r.param, index: r.index, value: r.value, ci_low: r.lo, ci_high: r.hi }));
  const y = { field: 'param', type: 'nominal', sort: order, title: null };
  return {
    id, title, caption, rows, columns: ['param', 'index', 'value', 'ci_low', 'ci_high'],
    spec: spec({
      width: WIDTH, height: { step: kinds.length > 1 ? 12 : 20 },
      encoding: { y, yOffset: { field: 'index', sort: kinds }, color: { field: 'index', type: 'nominal', sort: kinds, title: null, scale: { scheme: 'set2' } } },
      layer: [
        { mark: 'bar', encoding: { x: { field: 'value', type: 'quantitative', title: valueTitle } } },
        { mark: { type: 'rule', color: '#222' }, encoding: { x: { field: 'ci_low', type: 'quantitative' }, x2: { field: 'ci_high' } } },
      ],
    }, rows),
  };
}

/** A tornado: each parameter's output at the low and high end of its range, around the centre. */
export function tornado(id: string, title: string, measure: string, centre: number, effects: readonly { param: string; low: number; high: number }[]): Figure {
  const order = [...effects].sort((a, b) => Math.abs(b.high - b.low) - Math.abs(a.high - a.low)).map((e) => e.param);
  const rows: Row[] = effects.flatMap((e) => [
    { param: e.param, end: 'low', value: e.low, centre },
    { param: e.param, end: 'high', value: e.high, centre },
  ]);
  return {
    id, title,
    caption: `${measure} with each parameter at the low and the high end of its range, the others at their defaults (the line: ${centre.toPrecision(3)}). The longest bars matter most.`,
    rows, columns: ['param', 'end', 'value', 'centre'],
    spec: spec({
      width: WIDTH, height: { step: 20 },
      layer: [
        { mark: 'bar', encoding: { y: { field: 'param', type: 'nominal', sort: order, title: null }, x: { field: 'value', type: 'quantitative', title: measure, scale: { zero: false } }, x2: { field: 'centre' }, color: { field: 'end', type: 'nominal', title: 'parameter at', scale: { domain: ['low', 'high'], range: ['#4c78a8', '#e45756'] } } } },
        { mark: { type: 'rule', color: '#222' }, encoding: { x: { datum: centre, type: 'quantitative' } } },
      ],
    }, rows),
  };
}

/** Quantiles of a value over runs at each round: a fan chart's data. */
export interface FanRow {
  readonly series: string;
  readonly round: number;
  readonly q05: number;
  readonly q25: number;
  readonly median: number;
  readonly q75: number;
  readonly q95: number;
}

/** Fan charts: the median over runs, with 50% and 90% bands, one small chart per series. */
export function fanChart(id: string, title: string, xTitle: string, fans: readonly FanRow[], caption: string): Figure {
  const rows: Row[] = fans.map((f) => ({ ...f }));
  const series = [...new Set(fans.map((f) => f.series))];
  const x = { field: 'round', type: 'quantitative', title: xTitle };
  const layers = [
    { mark: { type: 'area', opacity: 0.2, color: '#4c78a8' }, encoding: { x, y: { field: 'q05', type: 'quantitative', title: null }, y2: { field: 'q95' } } },
    { mark: { type: 'area', opacity: 0.35, color: '#4c78a8' }, encoding: { x, y: { field: 'q25', type: 'quantitative' }, y2: { field: 'q75' } } },
    { mark: { type: 'line', color: '#1f3b63' }, encoding: { x, y: { field: 'median', type: 'quantitative' } } },
  ];
  return {
    id, title, caption, rows, columns: ['series', 'round', 'q05', 'q25', 'median', 'q75', 'q95'],
    spec: spec(
      series.length > 1
        ? { facet: { field: 'series', type: 'nominal', sort: series, title: null }, columns: 3, spec: { width: 160, height: 110, layer: layers }, resolve: { scale: { y: 'independent' } } }
        : { width: WIDTH, height: 220, layer: layers },
      rows,
    ),
  };
}

/** Quantiles of a value over runs: one row per series. */
export interface SpreadRow {
  readonly series: string;
  readonly q05: number;
  readonly q25: number;
  readonly median: number;
  readonly q75: number;
  readonly q95: number;
}

/** Spreads as box-like bars: 90% range as a line, the middle half as a bar, the median as a tick. */
export function spreadBars(id: string, title: string, caption: string, spreads: readonly SpreadRow[], valueTitle: string): Figure {
  const rows: Row[] = spreads.map((s) => ({ ...s }));
  const y = { field: 'series', type: 'nominal', sort: spreads.map((s) => s.series), title: null };
  return {
    id, title, caption, rows, columns: ['series', 'q05', 'q25', 'median', 'q75', 'q95'],
    spec: spec({
      width: WIDTH, height: { step: 20 }, encoding: { y },
      layer: [
        { mark: { type: 'rule', color: '#4c78a8' }, encoding: { x: { field: 'q05', type: 'quantitative', title: valueTitle }, x2: { field: 'q95' } } },
        { mark: { type: 'bar', color: '#9ecae9', height: 12 }, encoding: { x: { field: 'q25', type: 'quantitative' }, x2: { field: 'q75' } } },
        { mark: { type: 'tick', color: '#1f3b63', thickness: 2, size: 14 }, encoding: { x: { field: 'median', type: 'quantitative' } } },
      ],
    }, rows),
  };
}

/** A mean per round with its 95% interval: a line with a band. */
export interface MeanRow {
  readonly round: number;
  readonly date: string;
  readonly phase: string;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly runs: number;
}

export function meanSeries(id: string, title: string, caption: string, means: readonly MeanRow[], valueTitle: string): Figure {
  const rows: Row[] = means.map((m) => ({ round: m.round, date: m.date, phase: m.phase, mean: m.mean, ci_low: m.lo, ci_high: m.hi, runs: m.runs }));
  const x = { field: 'round', type: 'quantitative', title: 'round' };
  return {
    id, title, caption, rows, columns: ['round', 'date', 'phase', 'runs', 'mean', 'ci_low', 'ci_high'],
    spec: spec({
      width: WIDTH, height: 200,
      layer: [
        { mark: { type: 'area', opacity: 0.25, color: '#e45756' }, encoding: { x, y: { field: 'ci_low', type: 'quantitative', title: valueTitle }, y2: { field: 'ci_high' } } },
        { mark: { type: 'line', color: '#b22222', point: { size: 14, color: '#b22222' } }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, tooltip: [{ field: 'date' }, { field: 'phase' }, { field: 'mean', format: '.2f' }] } },
        { mark: { type: 'rule', color: '#999', strokeDash: [3, 3] }, encoding: { y: { datum: 0 } } },
      ],
    }, rows),
  };
}

/** One decision of one path: a point on the paths chart. */
export interface PathStep {
  readonly path: string;
  readonly step: number;
  readonly move: string;
  readonly result: string;
}

/** The paths a class took: one row per student, one mark per decision, coloured by the move. */
export function pathsChart(id: string, title: string, caption: string, steps: readonly PathStep[]): Figure {
  const rows: Row[] = steps.map((s) => ({ ...s }));
  const paths = [...new Set(steps.map((s) => s.path))];
  return {
    id, title, caption, rows, columns: ['path', 'step', 'move', 'result'],
    spec: spec({
      width: WIDTH, height: { step: 26 },
      encoding: { y: { field: 'path', type: 'nominal', sort: paths, title: null }, x: { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1 } } },
      layer: [
        { mark: { type: 'line', color: '#bbb' }, encoding: { detail: { field: 'path' } } },
        { mark: { type: 'point', filled: true, size: 110, opacity: 0.9 }, encoding: { color: { field: 'move', type: 'nominal', title: 'move', scale: { scheme: 'tableau20' } }, tooltip: [{ field: 'path' }, { field: 'step' }, { field: 'move' }, { field: 'result' }] } },
      ],
    }, rows),
  };
}
