/**
 * What a study asks of a batch beyond each design point's figures:
 *
 * - **groups** of outcomes (`--group calm=reset+truce`), each a share with a Wilson interval;
 * - **cells**: the design points pooled by their swept values (over the Latin hypercube points);
 * - **paired contrasts** between adjacent swept values: with paired seeds, replicate r of
 *   sampled point j at one swept value is paired with replicate r of point j at the next, and
 *   the difference of each share gets Newcombe's interval for paired proportions.
 *
 * Groups and cells are sums of the points' exact counts, so a merge of shards gives them
 * exactly. Contrasts need both runs of every pair, which only a whole batch sees: they are
 * counted as the rows go by, holding the outcome of each run of a window of points (one byte
 * per run, for the points between a point and its farthest neighbour).
 */
import { UsageError } from '../scenario/errors.ts';
import { newcombePaired, tidy, wilson } from '../stats/stats.ts';
import { sweepValues, type Design } from './design.ts';

export interface OutcomeGroup {
  readonly name: string;
  readonly outcomes: readonly string[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** `NAME=ID+ID…` flags, checked against the outcomes. */
export function parseGroups(texts: readonly string[], outcomes: readonly string[]): OutcomeGroup[] {
  const out: OutcomeGroup[] = [];
  for (const text of texts) {
    const m = /^([^=]+)=(.+)$/.exec(text.trim());
    if (!m || !NAME.test(m[1]!.trim())) throw new UsageError(`expected NAME=OUTCOME+OUTCOME…, not \`${text}\``, `e.g. --group calm=${outcomes.slice(0, 2).join('+')}`, '--group');
    const name = m[1]!.trim();
    if (outcomes.includes(name)) throw new UsageError(`the group \`${name}\` has the name of an outcome`, 'give the group a name of its own', '--group');
    if (out.some((g) => g.name === name)) throw new UsageError(`the group \`${name}\` is defined twice`, undefined, '--group');
    const ids = m[2]!.split('+').map((s) => s.trim());
    for (const id of ids) {
      if (!outcomes.includes(id)) throw new UsageError(`\`${id}\` in --group ${name} is not an outcome`, `the outcomes: ${outcomes.join(', ')}`, '--group');
    }
    if (new Set(ids).size !== ids.length) throw new UsageError(`an outcome is listed twice in --group ${name}`, undefined, '--group');
    out.push({ name, outcomes: ids });
  }
  return out;
}

export interface Share {
  readonly count: number;
  readonly proportion: number | null;
  readonly ci95: [number, number];
}

/** The share of each group, from outcome counts in layout order. */
export function groupShares(groups: readonly OutcomeGroup[], layoutOutcomes: readonly string[], counts: readonly number[], n: number): Record<string, Share> {
  const out: Record<string, Share> = {};
  for (const g of groups) {
    let c = 0;
    for (const id of g.outcomes) c += counts[layoutOutcomes.indexOf(id)] ?? 0;
    out[g.name] = { count: c, proportion: n ? tidy(c / n) : null, ci95: wilson(c, n).map(tidy) as [number, number] };
  }
  return out;
}

/** Where the design's points sit: the sweep grid (first sweep slowest), then the sample (fastest). */
export interface Grid {
  readonly sweeps: readonly { readonly param: string; readonly values: readonly number[] }[];
  /** Points per grid cell (the Latin hypercube's K, or 1). */
  readonly perCell: number;
  /** Cells of the grid. */
  readonly cells: number;
}

export function gridOf(design: Design): Grid {
  const sweeps = design.sweep.map((s) => ({ param: s.param, values: sweepValues(s) }));
  return { sweeps, perCell: design.sample ? design.sample.points : 1, cells: sweeps.reduce((n, s) => n * s.values.length, 1) };
}

/** The swept values of grid cell `c`. */
export function cellValues(grid: Grid, c: number): Record<string, number> {
  const out: Record<string, number> = {};
  let rest = c;
  for (let d = grid.sweeps.length - 1; d >= 0; d--) {
    const s = grid.sweeps[d]!;
    out[s.param] = s.values[rest % s.values.length]!;
    rest = Math.floor(rest / s.values.length);
  }
  return Object.fromEntries(grid.sweeps.map((s) => [s.param, out[s.param]!]));
}

/** Cells between neighbours along sweep `d`: cell index stride. */
function cellStride(grid: Grid, d: number): number {
  let stride = 1;
  for (let e = d + 1; e < grid.sweeps.length; e++) stride *= grid.sweeps[e]!.values.length;
  return stride;
}

/** Index of sweep `d`'s value in cell `c`. */
function coordinate(grid: Grid, c: number, d: number): number {
  return Math.floor(c / cellStride(grid, d)) % grid.sweeps[d]!.values.length;
}

/** Exact counts of one contrast: pairs, and for each measure (outcomes, then groups) [both, first only, second only]. */
export interface ContrastTally {
  readonly sweep: number;
  /** Cell at the lower value, and at the next value up. */
  readonly from: number;
  readonly to: number;
  pairs: number;
  readonly counts: [number, number, number][];
}

/** Most bytes of run outcomes a batch holds to pair runs (one per run). */
export const CONTRAST_BUDGET = 256 * 1024 * 1024;

/**
 * Counts the paired contrasts of a whole batch from its runs' outcomes, handed over in run order.
 * `measures[m]` says which outcomes count for measure m.
 */
export class ContrastCounter {
  private readonly window = new Map<number, Uint8Array>();
  private current: Uint8Array | null = null;
  private point = -1;
  readonly tallies = new Map<string, ContrastTally>();

  constructor(
    private readonly grid: Grid,
    private readonly runsPerPoint: number,
    private readonly measures: readonly (readonly boolean[])[],
  ) {}

  /** Whether a design can have paired contrasts counted within the budget, and why not. */
  static feasible(design: Design): string | null {
    if (design.sweep.length === 0) return 'no parameter is swept';
    if (design.seeds === 'independent') return 'the seeds are independent (--seeds independent): runs at two points are not pairs';
    if (design.shard) return 'a shard does not hold both runs of every pair: merge the shards\' rows and summarise them whole';
    const grid = gridOf(design);
    const held = cellStride(grid, 0) * grid.perCell * design.runsPerPoint;
    if (held > CONTRAST_BUDGET) return `pairing the runs would hold ${held.toLocaleString('en-US')} outcomes at once`;
    return null;
  }

  /** Run `run` ended in outcome `outcome`. Runs come in order, from the start of the batch. */
  add(run: number, outcome: number): void {
    const point = Math.floor(run / this.runsPerPoint);
    if (point !== this.point) {
      this.point = point;
      this.current = new Uint8Array(this.runsPerPoint);
      this.window.set(point, this.current);
    }
    const r = run - point * this.runsPerPoint;
    this.current![r] = outcome;
    if (r === this.runsPerPoint - 1) this.complete(point);
  }

  private complete(point: number): void {
    const { grid } = this;
    const cell = Math.floor(point / grid.perCell);
    const runs = this.window.get(point)!;
    for (let d = 0; d < grid.sweeps.length; d++) {
      if (coordinate(grid, cell, d) === 0) continue;
      const stride = cellStride(grid, d);
      const before = this.window.get(point - stride * grid.perCell);
      if (!before) continue;
      const key = `${d}:${cell - stride}`;
      let t = this.tallies.get(key);
      if (!t) this.tallies.set(key, (t = { sweep: d, from: cell - stride, to: cell, pairs: 0, counts: this.measures.map(() => [0, 0, 0]) }));
      t.pairs += runs.length;
      for (let m = 0; m < this.measures.length; m++) {
        const counts = this.measures[m]!;
        const c = t.counts[m]!;
        for (let r = 0; r < runs.length; r++) {
          const a = counts[before[r]!]!;
          const b = counts[runs[r]!]!;
          if (a && b) c[0]++;
          else if (a) c[1]++;
          else if (b) c[2]++;
        }
      }
    }
    // A point is needed until its farthest neighbour (along the first sweep) is done.
    this.window.delete(point - cellStride(grid, 0) * grid.perCell);
  }
}

export interface ContrastMeasure {
  /** Share at the lower swept value and at the next value up. */
  readonly from: number;
  readonly to: number;
  /** to − from, with Newcombe's 95% interval for paired proportions. */
  readonly difference: number;
  readonly ci95: [number, number];
  /** Pairs where both runs, only the lower value's, only the higher value's count. */
  readonly exact: { readonly both: number; readonly fromOnly: number; readonly toOnly: number };
}

export interface Contrast {
  /** The swept parameter that changes, and the other swept values it is compared at. */
  readonly param: string;
  readonly from: number;
  readonly to: number;
  readonly at: Record<string, number>;
  readonly pairs: number;
  readonly method: 'newcombe-paired-10';
  /** By outcome id, then by group name. */
  readonly measures: Record<string, ContrastMeasure>;
}

/** The contrasts of a counter, in order of sweep, then the lower cell. */
export function contrastsOf(grid: Grid, counter: ContrastCounter, names: readonly string[]): Contrast[] {
  const list = [...counter.tallies.values()].sort((a, b) => a.sweep - b.sweep || a.from - b.from);
  return list.map((t) => {
    const s = grid.sweeps[t.sweep]!;
    const fromValues = cellValues(grid, t.from);
    const at = Object.fromEntries(Object.entries(fromValues).filter(([k]) => k !== s.param));
    const measures: Record<string, ContrastMeasure> = {};
    names.forEach((name, m) => {
      const [both, fromOnly, toOnly] = t.counts[m]!;
      // "First" of the pair is the higher value, so the difference reads as the effect of going up.
      const { difference, ci95 } = newcombePaired(both, toOnly, fromOnly, t.pairs);
      measures[name] = {
        from: tidy((both + fromOnly) / t.pairs), to: tidy((both + toOnly) / t.pairs),
        difference: tidy(difference), ci95: ci95.map(tidy) as [number, number], exact: { both, fromOnly, toOnly },
      };
    });
    return { param: s.param, from: fromValues[s.param]!, to: cellValues(grid, t.to)[s.param]!, at, pairs: t.pairs, method: 'newcombe-paired-10', measures };
  });
}
