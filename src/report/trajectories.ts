/**
 * Row files and trajectory files for a report, read as streams: what a chart needs is kept as
 * counts and histograms, never as the values themselves, so a report on a million runs takes
 * as much memory as one on a thousand. Tensions live in [0, 100]; their quantiles come from
 * histograms of 0.05-wide bins, so they are exact to within 0.05.
 */
import { headLines, readLines } from '../io/files.ts';
import { UsageError } from '../scenario/errors.ts';
import { readHeader, splitCsv, type RowsHeader } from '../batch/rows.ts';
import { ROUNDS_FORMAT, type RoundsHeader } from '../batch/rounds.ts';
import type { FanRow, MeanRow, OutcomeCounts, SpreadRow } from './figures.ts';

const BINS = 2000;
const Z95 = 1.959963984540054;

/** Counts of values in [0, 100] by 0.05-wide bins. */
export class Histogram {
  private readonly counts = new Float64Array(BINS + 1);
  n = 0;

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    this.counts[Math.min(BINS, Math.max(0, Math.round((x / 100) * BINS)))]!++;
    this.n++;
  }

  /** The p-quantile (the value below which a share p of the values lie), to within a bin. */
  quantile(p: number): number {
    const target = p * (this.n - 1);
    let seen = 0;
    for (let b = 0; b <= BINS; b++) {
      seen += this.counts[b]!;
      if (seen > target) return (b / BINS) * 100;
    }
    return 100;
  }

  spread(): Omit<SpreadRow, 'series'> {
    return { q05: this.quantile(0.05), q25: this.quantile(0.25), median: this.quantile(0.5), q75: this.quantile(0.75), q95: this.quantile(0.95) };
  }
}

/** What a row file says for a report. */
export interface RowsDigest {
  readonly header: RowsHeader;
  readonly runs: number;
  /** Final outcome, then each checkpoint's, as counts. */
  readonly moments: OutcomeCounts[];
  readonly outcomes: string[];
  readonly tensions: SpreadRow[];
}

const bad = (file: string, line: number, why: string) => new UsageError(`line ${line}: ${why}`, 'row files are the files `parley batch --out FILE` writes; this one was changed or damaged', file);

/** A CSV line's fields (one per column), or a JSONL line's object; a damaged line is an input error naming it. */
function fieldsOf(file: string, lineNo: number, line: string, csv: boolean, columns: number): string[] | Record<string, unknown> {
  if (csv) {
    let f: string[];
    try {
      f = splitCsv(line);
    } catch (error) {
      throw bad(file, lineNo, (error as Error).message);
    }
    if (f.length !== columns) throw bad(file, lineNo, `${f.length} fields, expected ${columns}`);
    return f;
  }
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    throw bad(file, lineNo, 'not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad(file, lineNo, 'not a JSON object');
  return o as Record<string, unknown>;
}

/** Reads a CSV or JSONL row file in one pass. */
export async function digestRows(file: string): Promise<RowsDigest> {
  const { header, format, lines } = readHeader(file);
  const cols = header.columns;
  const outcomeAt = cols.indexOf('outcome');
  const checkpoints = cols.filter((c) => c.startsWith('checkpoint.')).map((c) => c.slice('checkpoint.'.length));
  const tensions = cols.filter((c) => c.startsWith('tension.')).map((c) => c.slice('tension.'.length));
  const checkpointAt = checkpoints.map((c) => cols.indexOf(`checkpoint.${c}`));
  const tensionAt = tensions.map((t) => cols.indexOf(`tension.${t}`));
  const finals = new Map<string, number>();
  const judged = checkpoints.map(() => new Map<string, number>());
  const hist = tensions.map(() => new Histogram());
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let runs = 0;
  let lineNo = 0;
  for await (const line of readLines(file)) {
    lineNo++;
    if (lineNo <= lines || line === '') continue;
    let outcome: unknown;
    let cps: unknown[];
    let values: unknown[];
    const got = fieldsOf(file, lineNo, line, format === 'csv', cols.length);
    if (Array.isArray(got)) {
      const f = got;
      outcome = f[outcomeAt];
      cps = checkpointAt.map((i) => f[i]);
      values = tensionAt.map((i) => Number(f[i]));
    } else {
      const o = got;
      const cp = (o?.checkpoints ?? {}) as Record<string, unknown>;
      const ts = (o?.tensions ?? {}) as Record<string, unknown>;
      outcome = o?.outcome;
      cps = checkpoints.map((c) => (Object.hasOwn(cp, c) ? cp[c] : undefined));
      values = tensions.map((t) => (Object.hasOwn(ts, t) ? ts[t] : undefined));
    }
    if (typeof outcome !== 'string' || cps.some((c) => typeof c !== 'string')) throw bad(file, lineNo, 'no outcome');
    if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw bad(file, lineNo, 'a tension is not a number');
    count(finals, outcome);
    cps.forEach((c, i) => count(judged[i]!, c as string));
    values.forEach((v, i) => hist[i]!.add(v as number));
    runs++;
  }
  const outcomes = [...new Set([...finals.keys(), ...judged.flatMap((m) => [...m.keys()])])];
  return {
    header, runs, outcomes,
    moments: [
      ...checkpoints.map((c, i) => ({ when: `end of ${c}`, counts: Object.fromEntries(judged[i]!), runs })),
      { when: 'final', counts: Object.fromEntries(finals), runs },
    ],
    tensions: tensions.map((t, i) => ({ series: t, ...hist[i]!.spread() })),
  };
}

/** What a trajectory file says for a report: each tension's fan over rounds, and the Goldstein score per round. */
export interface RoundsDigest {
  readonly header: RoundsHeader;
  readonly runs: number;
  readonly fans: FanRow[];
  readonly goldstein: MeanRow[];
}

/** Reads a CSV or JSONL trajectory file (`--record rounds --rounds FILE`) in one pass. */
export async function digestRounds(file: string): Promise<RoundsDigest> {
  let first: string | undefined;
  let second: string | undefined;
  try {
    [first, second] = headLines(file);
  } catch (error) {
    throw new UsageError(`cannot read it: ${(error as Error).message}`, undefined, file);
  }
  const csv = first?.startsWith('# ') ?? false;
  let header: RoundsHeader;
  try {
    header = JSON.parse(csv ? first!.slice(2) : first ?? '') as RoundsHeader;
  } catch {
    throw new UsageError('not a Parley trajectory file (its first line is not a Parley header)', 'trajectory files are the files `parley batch --record rounds --rounds FILE` writes', file);
  }
  if (header?.format !== ROUNDS_FORMAT || !Array.isArray(header.columns)) throw new UsageError('not a Parley trajectory file', 'trajectory files are the files `parley batch --record rounds --rounds FILE` writes', file);
  const cols = header.columns;
  if (csv && second !== cols.join(',')) throw new UsageError('its column line does not match its header', undefined, file);
  const tensions = cols.filter((c) => c.startsWith('tension.')).map((c) => c.slice('tension.'.length));
  const at = (name: string) => cols.indexOf(name);
  const [runAt, roundAt, phaseAt, dateAt, goldAt] = ['run', 'round', 'phase', 'date', 'goldstein'].map(at) as [number, number, number, number, number];
  const tensionAt = tensions.map((t) => at(`tension.${t}`));
  const hist = new Map<number, Histogram[]>();
  const gold = new Map<number, { n: number; sum: number; sq: number; date: string; phase: string }>();
  let lastRun = -1;
  let runs = 0;
  let lineNo = 0;
  const skip = csv ? 2 : 1;
  for await (const line of readLines(file)) {
    lineNo++;
    if (lineNo <= skip || line === '') continue;
    const got = fieldsOf(file, lineNo, line, csv, cols.length);
    let f: unknown[];
    if (Array.isArray(got)) f = got;
    else {
      const o = got;
      const ts = (o?.tensions ?? {}) as Record<string, unknown>;
      const own = (x: Record<string, unknown>, k: string) => (Object.hasOwn(x, k) ? x[k] : undefined);
      f = cols.map((c) => (c.startsWith('tension.') ? own(ts, c.slice(8)) : own(o, c)));
    }
    const run = Number(f[runAt]);
    const round = Number(f[roundAt]);
    const g = Number(f[goldAt]);
    if (!Number.isInteger(run) || !Number.isInteger(round) || round < 0 || round > 1_000_000 || !Number.isFinite(g)) throw bad(file, lineNo, 'its run, round or goldstein is not a number');
    // Rows come in run order, then round order: a new run number is a new run.
    if (run !== lastRun) {
      lastRun = run;
      runs++;
    }
    let h = hist.get(round);
    if (!h) hist.set(round, (h = tensions.map(() => new Histogram())));
    for (let k = 0; k < tensionAt.length; k++) h[k]!.add(Number(f[tensionAt[k]!]));
    let s = gold.get(round);
    if (!s) gold.set(round, (s = { n: 0, sum: 0, sq: 0, date: String(f[dateAt] ?? ''), phase: String(f[phaseAt] ?? '') }));
    s.n++;
    s.sum += g;
    s.sq += g * g;
  }
  const rounds = [...hist.keys()].sort((a, b) => a - b);
  return {
    header, runs,
    fans: tensions.flatMap((t, k) => rounds.map((r) => ({ series: t, round: r, ...hist.get(r)![k]!.spread() }))),
    goldstein: rounds.map((r) => {
      const s = gold.get(r)!;
      const mean = s.sum / s.n;
      const sd = s.n > 1 ? Math.sqrt(Math.max(0, (s.sq - s.n * mean * mean) / (s.n - 1))) : 0;
      const half = (Z95 * sd) / Math.sqrt(s.n);
      return { round: r, date: s.date, phase: s.phase, mean, lo: mean - half, hi: mean + half, runs: s.n };
    }),
  };
}
