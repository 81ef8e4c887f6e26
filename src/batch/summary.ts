/**
 * The summary of a batch (or of merged shards): per design point and overall, outcome counts
 * and proportions with 95% Wilson intervals, outcomes at earlier checkpoints, mean final
 * tensions, Goldstein score and steps with 95% intervals, provenance, and timing.
 *
 * Each point also carries its exact tallies (`exact`: counts and integer sums of values rounded
 * to `quantum`), from which `parley merge` combines shard summaries exactly: the merged
 * statistics equal those of the unsharded batch.
 */
import { UsageError } from '../scenario/errors.ts';
import type { Design } from './design.ts';
import { checkSummaryDoc } from './check.ts';
import type { FileHead, RowLayout } from './rows.ts';
import { cellValues, groupShares, gridOf, type Contrast, type OutcomeGroup, type Share } from './study.ts';
import { meanInterval, PointAccumulator, QUANTUM, tidy, wilson, type MeanInterval, type PointTally } from '../stats/stats.ts';

export const SUMMARY_FORMAT = 'parley-batch-summary';
export const SUMMARY_VERSION = 1;
/** Largest summary file merge reads: twice what a batch may write (see SUMMARY_BUDGET in design.ts). */
export const MAX_SUMMARY_BYTES = 256 * 1024 * 1024;

export interface Proportion {
  readonly count: number;
  readonly proportion: number | null;
  readonly ci95: [number, number];
}

/** Exact tallies of one point, as JSON (big sums as decimal strings). */
export interface ExactTally {
  readonly n: number;
  readonly outcomes: readonly number[];
  readonly checkpoints: readonly (readonly number[])[];
  readonly steps: number;
  readonly tensions: readonly (readonly [string, string])[];
  readonly goldstein: readonly [string, string];
  /** Runs of an exercise: how many met its objective, and runs by score ([score, runs], by score). */
  readonly objective?: { readonly met: number; readonly scores: readonly (readonly [number, number])[] };
}

/** How an exercise's runs did (`parley batch --exercise`): the objective met, and the scores. */
export interface ObjectiveStats {
  /** Runs that met the objective, with a 95% Wilson interval of the share. */
  readonly met: Proportion;
  readonly score: MeanInterval & {
    readonly min: number | null;
    readonly max: number | null;
    /** Every score reached, lowest first, with its runs and their share. */
    readonly distribution: readonly { readonly score: number; readonly count: number; readonly proportion: number | null }[];
  };
}

export interface Stats {
  readonly runs: number;
  /** By outcome id, every outcome of the scenario in its declared order. */
  readonly outcomes: Record<string, Proportion>;
  /** By checkpoint phase before the last, then outcome id. */
  readonly checkpoints: Record<string, Record<string, Proportion>>;
  /** Mean final value of each tension. */
  readonly tensions: Record<string, MeanInterval>;
  readonly goldstein: MeanInterval;
  readonly steps: { readonly mean: number | null };
  /** Runs of an exercise only. */
  readonly objective?: ObjectiveStats;
}

export interface PointSummary extends Stats {
  readonly point: number;
  readonly params: Record<string, number>;
  /** Each `--group`'s share (when groups are given). */
  readonly groups?: Record<string, Share>;
  readonly exact: ExactTally;
}

export interface SummaryDoc extends Stats, FileHead<typeof SUMMARY_FORMAT> {
  readonly design: Design;
  readonly layout: RowLayout;
  /** Means and intervals are computed from values rounded to this. */
  readonly quantum: number;
  /** Runs this summary should count (its shard, or the whole batch), and whether it does. */
  readonly expected: number;
  readonly complete: boolean;
  readonly points: PointSummary[];
  readonly wallSeconds: number | null;
  readonly runsPerSecond: number | null;
  readonly workers?: number;
  /** Each `--group`: its outcomes and its share with a 95% Wilson interval. */
  readonly groups?: Record<string, GroupSummary>;
  /** With sweeps: the points pooled by their swept values (over the sampled points). */
  readonly cells?: CellSummary[];
  /** With sweeps and paired seeds, in a whole batch: differences between adjacent swept values. */
  readonly contrasts?: Contrast[];
  /** Why there are no contrasts, when there could be. */
  readonly contrastsNote?: string;
  /** For a merge: the summaries merged, with their own timing. */
  readonly shards?: readonly { readonly file: string; readonly shard: string | null; readonly runs: number; readonly wallSeconds: number | null }[];
}

export interface GroupSummary extends Share {
  readonly outcomes: readonly string[];
}

export interface CellSummary {
  readonly cell: number;
  /** The swept parameters' values. */
  readonly sweep: Record<string, number>;
  /** Design points pooled (the sampled points at these swept values). */
  readonly points: number;
  readonly runs: number;
  readonly outcomes: Record<string, Proportion>;
  readonly groups?: Record<string, Share>;
  readonly tensions: Record<string, MeanInterval>;
  readonly goldstein: MeanInterval;
}

function proportions(ids: readonly string[], counts: readonly number[], n: number): Record<string, Proportion> {
  const out: Record<string, Proportion> = {};
  ids.forEach((id, i) => {
    const c = counts[i] ?? 0;
    out[id] = { count: c, proportion: n ? tidy(c / n) : null, ci95: wilson(c, n).map(tidy) as [number, number] };
  });
  return out;
}

function stats(layout: RowLayout, a: PointAccumulator): Stats {
  const t = a.tally();
  return {
    runs: t.n,
    outcomes: proportions(layout.outcomes, t.outcomes, t.n),
    checkpoints: Object.fromEntries(layout.checkpoints.map((c, i) => [c, proportions(layout.outcomes, t.checkpoints[i]!, t.n)])),
    tensions: Object.fromEntries(layout.tensions.map((id, i) => [id, meanInterval(t.n, t.tensions[i]![0], t.tensions[i]![1])])),
    goldstein: meanInterval(t.n, t.goldstein[0], t.goldstein[1]),
    steps: { mean: t.n ? tidy(t.steps / t.n) : null },
    ...(t.objective ? { objective: objectiveStats(t.n, t.objective) } : {}),
  };
}

function objectiveStats(n: number, o: NonNullable<PointTally['objective']>): ObjectiveStats {
  // Sums of the scores in units of the quantum, as a batch's other means (exact: whole numbers).
  let sum = 0n;
  let sumSq = 0n;
  for (const [score, runs] of o.scores) {
    const q = BigInt(Math.round(score / QUANTUM));
    sum += q * BigInt(runs);
    sumSq += q * q * BigInt(runs);
  }
  const met = proportions(['met'], [o.met], n)['met']!;
  return {
    met,
    score: {
      ...meanInterval(n, sum, sumSq),
      min: o.scores.length ? o.scores[0]![0] : null,
      max: o.scores.length ? o.scores[o.scores.length - 1]![0] : null,
      distribution: o.scores.map(([score, count]) => ({ score, count, proportion: n ? tidy(count / n) : null })),
    },
  };
}

export function toExact(t: PointTally): ExactTally {
  return {
    n: t.n, outcomes: t.outcomes, checkpoints: t.checkpoints, steps: t.steps,
    tensions: t.tensions.map(([s, q]) => [s.toString(), q.toString()] as const),
    goldstein: [t.goldstein[0].toString(), t.goldstein[1].toString()],
    ...(t.objective ? { objective: { met: t.objective.met, scores: t.objective.scores.map(([a, b]) => [a, b] as const) } } : {}),
  };
}

export function fromExact(point: number, e: ExactTally): PointTally {
  return {
    point, n: e.n, outcomes: e.outcomes.slice(), checkpoints: e.checkpoints.map((r) => r.slice()), steps: e.steps,
    tensions: e.tensions.map(([s, q]) => [BigInt(s), BigInt(q)]), goldstein: [BigInt(e.goldstein[0]), BigInt(e.goldstein[1])],
    ...(e.objective ? { objective: { met: e.objective.met, scores: e.objective.scores.map(([a, b]) => [a, b] as [number, number]) } } : {}),
  };
}

export function newAccumulator(layout: RowLayout, point: number): PointAccumulator {
  return new PointAccumulator(point, layout.outcomes.length, layout.checkpoints.length, layout.tensions.length, layout.exercise !== undefined);
}

export interface SummaryInput {
  readonly parley: string;
  readonly scenario: { readonly id: string; readonly hash: string };
  readonly command: readonly string[];
  readonly design: Design;
  readonly layout: RowLayout;
  readonly expected: number;
  /** Accumulators of the points with runs, any order. */
  readonly points: Iterable<PointAccumulator>;
  /** Parameter values of a point, by parameter index. */
  readonly paramsOf: (point: number) => readonly number[];
  readonly wallSeconds: number | null;
  readonly workers?: number;
  /** Runs this process ran (a resumed batch's part), for its rate; default: all the summary's runs. */
  readonly ranHere?: number;
  readonly shards?: SummaryDoc['shards'];
  readonly groups?: readonly OutcomeGroup[];
  readonly contrasts?: Contrast[] | null;
  readonly contrastsNote?: string;
}

export function buildSummary(input: SummaryInput): SummaryDoc {
  const { layout } = input;
  const sorted = [...input.points].filter((a) => a.n > 0).sort((a, b) => a.point - b.point);
  const overall = newAccumulator(layout, -1);
  for (const a of sorted) overall.merge(a.tally());
  const all = stats(layout, overall);
  const wall = input.wallSeconds;
  const groups = input.groups ?? [];
  const shares = (t: PointTally) => (groups.length ? { groups: groupShares(groups, layout.outcomes, t.outcomes, t.n) } : {});
  const top = overall.tally();
  const study = {
    ...(groups.length ? { groups: Object.fromEntries(groups.map((g) => [g.name, { outcomes: g.outcomes, ...groupShares([g], layout.outcomes, top.outcomes, top.n)[g.name]! }])) } : {}),
    ...(input.design.sweep.length ? { cells: cellsOf(input.design, layout, sorted, groups) } : {}),
    ...(input.contrasts ? { contrasts: input.contrasts } : {}),
    ...(input.contrastsNote ? { contrastsNote: input.contrastsNote } : {}),
  };
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    parley: input.parley,
    scenario: input.scenario,
    command: input.command,
    design: input.design,
    layout,
    quantum: QUANTUM,
    expected: input.expected,
    complete: all.runs === input.expected,
    ...all,
    points: sorted.map((a) => {
      const values = input.paramsOf(a.point);
      const t = a.tally();
      return { point: a.point, params: Object.fromEntries(layout.params.map((id, i) => [id, values[i]!])), ...stats(layout, a), ...shares(t), exact: toExact(t) };
    }),
    ...study,
    wallSeconds: wall === null ? null : tidy(wall),
    runsPerSecond: wall === null || wall <= 0 ? null : Math.round((input.ranHere ?? all.runs) / wall),
    ...(input.workers !== undefined ? { workers: input.workers } : {}),
    ...(input.shards ? { shards: input.shards } : {}),
  };
}

/** The points pooled by grid cell: sums of their exact tallies. */
function cellsOf(design: Design, layout: RowLayout, points: readonly PointAccumulator[], groups: readonly OutcomeGroup[]): CellSummary[] {
  const grid = gridOf(design);
  const cells = new Map<number, { acc: PointAccumulator; points: number }>();
  for (const a of points) {
    const c = Math.floor(a.point / grid.perCell);
    let cell = cells.get(c);
    if (!cell) cells.set(c, (cell = { acc: newAccumulator(layout, c), points: 0 }));
    cell.acc.merge(a.tally());
    cell.points++;
  }
  return [...cells.entries()].sort((a, b) => a[0] - b[0]).map(([c, { acc, points: n }]) => {
    const s = stats(layout, acc);
    const t = acc.tally();
    return {
      cell: c, sweep: cellValues(grid, c), points: n, runs: s.runs, outcomes: s.outcomes,
      ...(groups.length ? { groups: groupShares(groups, layout.outcomes, t.outcomes, t.n) } : {}),
      tensions: s.tensions, goldstein: s.goldstein,
    };
  });
}

function notSummary(file: string, why: string): UsageError {
  return new UsageError(`not a Parley batch summary (${why})`, 'summaries are the files `parley batch --summary FILE` writes', file);
}

/** Checks a parsed summary file: its marker and version, then every field it has (see check.ts). */
export function checkSummary(file: string, doc: unknown): SummaryDoc {
  const d = doc as { format?: unknown; version?: unknown } | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d) || d.format !== SUMMARY_FORMAT) throw notSummary(file, 'no summary format marker');
  if (d.version !== SUMMARY_VERSION) throw new UsageError(`${file} is a summary of format version ${String(d.version).slice(0, 40)}; this Parley reads version ${SUMMARY_VERSION}`, undefined, file);
  return checkSummaryDoc<SummaryDoc>(file, doc);
}

/** The design without its shard: what shards of one batch share. */
export function unsharded(design: Design): Design {
  return { ...design, shard: null };
}
