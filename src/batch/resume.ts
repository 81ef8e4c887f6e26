/**
 * Resuming a batch from its row file: the header must describe the same batch, and the rows
 * already written are read back (streamed) to restore the tallies, so that the finished file
 * and summary are exactly those of an uninterrupted run.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../scenario/errors.ts';
import { runSeed, type Design } from './design.ts';
import { completeLength, readLines, shellCommand } from '../io/files.ts';
import { parseRow, readHeader, type RowFormat, type RowLayout, type RowsHeader } from './rows.ts';
import type { PointAccumulator } from '../stats/stats.ts';

/** How the flags of a design read on the command line, to name what differs. */
function flagView(d: Design): [string, string][] {
  return [
    ['--seed', String(d.seed)],
    ['--seeds', d.seeds ?? 'paired'],
    ['--policy', d.policy],
    ['--runs', String(d.runsPerPoint)],
    ['--set', Object.entries(d.set).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'],
    ['--sweep', d.sweep.map((s) => `${s.param}=${s.from}:${s.to}:${s.steps}`).join(' ') || '(none)'],
    ['--sample', d.sample ? `${d.sample.method}:${d.sample.points}` : '(none)'],
    ['--branch', d.branch ?? '(none)'],
    ['--shard', d.shard ? `${d.shard.k}/${d.shard.n}` : '(none)'],
    ['--exercise', d.exercise ? `${d.exercise.id} (content ${d.exercise.hash.slice(0, 12)}…)` : '(none)'],
  ];
}

/** What differs between the batch recorded in a header and the one asked for, flag by flag. */
export function designDifferences(recorded: Design, wanted: Design): string[] {
  const a = flagView(recorded);
  const b = flagView(wanted);
  const out: string[] = [];
  a.forEach(([flag, was], i) => {
    const now = b[i]![1];
    if (was !== now) out.push(`${flag}: the file has ${was}, this command ${now}`);
  });
  if (out.length === 0 && JSON.stringify(recorded) !== JSON.stringify(wanted)) out.push('the design differs');
  return out;
}

/** What changed since an engine version that matters to a batch. */
export function engineNote(version: string): string {
  const [major, minor] = version.split('.').map(Number);
  return major === 0 && minor !== undefined && minor < 4 ? ' (since 0.4.0 the design points share their seeds: replicate r of every point has the same seed, so its runs would not continue the same batch)' : '';
}

export interface ResumeState {
  readonly header: RowsHeader;
  /** Next run index to run. */
  readonly next: number;
  /** Bytes of the file to keep (a partial last line is cut). */
  readonly keep: number;
  readonly rows: number;
}

/**
 * Checks a row file against the batch and reads its rows into `accumulator(point)`. Throws a
 * UsageError (and changes nothing) when the file is not this batch's.
 */
export async function readForResume(
  file: string,
  expected: { header: RowsHeader; format: RowFormat; layout: RowLayout; range: [number, number] },
  accumulator: (point: number) => PointAccumulator,
  onRun?: (run: number, outcome: number) => void,
  /** Read no row from this run on (the rows after it are cut): where the batch's rounds file stops. */
  limit?: number,
): Promise<ResumeState> {
  const { header, format, lines } = readHeader(file);
  const want = expected.header;
  const problems: string[] = [];
  if (format !== expected.format) problems.push(`the file holds ${format.toUpperCase()} rows, --out asks for ${expected.format.toUpperCase()}`);
  if (header.scenario?.id !== want.scenario.id) problems.push(`the file is a batch of scenario \`${String(header.scenario?.id)}\`, not \`${want.scenario.id}\``);
  else if (header.scenario.hash !== want.scenario.hash) problems.push(`scenario ${want.scenario.id} has changed since the batch started (content hash ${header.scenario.hash.slice(0, 12)}… then, ${want.scenario.hash.slice(0, 12)}… now)`);
  const otherEngine = header.parley !== want.parley;
  if (otherEngine) problems.push(`the batch was run by Parley engine ${header.parley}, this is ${want.parley}${engineNote(header.parley)}`);
  // Another engine's design is read by its own rules (seeds, say): comparing it flag by flag would mislead.
  else problems.push(...designDifferences(header.design, want.design));
  if (problems.length === 0 && JSON.stringify(header.columns) !== JSON.stringify(want.columns)) problems.push('its columns differ');
  if (problems.length > 0) {
    // A changed scenario or engine cannot be resumed by any command: the rows would mix two models.
    const changed = header.scenario?.id === want.scenario.id && (header.scenario.hash !== want.scenario.hash || header.parley !== want.parley);
    throw new UsageError(
      `${file} is not this batch's output:\n  - ${problems.join('\n  - ')}`,
      changed
        ? `restore the scenario file (and Parley) the batch started with to finish it, or start a new batch with another --out`
        : `resume with the command recorded in its header: ${shellCommand([...header.command, '--resume'])}`,
      '--resume',
    );
  }

  const keep = completeLength(file);
  const [start, end] = expected.range;
  const n = header.design.runsPerPoint;
  const outcomes = new Map(expected.layout.outcomes.map((id, i) => [id, i]));
  let next = start;
  let lineNo = 0;
  let bytes = 0;
  for await (const line of readLines(file, keep)) {
    lineNo++;
    if (next === limit) break;
    bytes += Buffer.byteLength(line) + 1;
    if (lineNo <= lines) continue;
    const bad = (why: string) => new UsageError(`${file} line ${lineNo} is not the row expected for run ${next} (${why})`, 'the file was changed by hand; remove it to start again', '--resume');
    if (next >= end) throw bad('the batch has no more runs');
    let row;
    try {
      row = parseRow(expected.layout, line, format, header.columns[header.columns.length - 1] === 'replay');
    } catch (error) {
      throw bad((error as Error).message);
    }
    const point = Math.floor(next / n);
    if (row.run !== next || row.point !== point || row.replicate !== next - point * n) throw bad(`it is run ${row.run}`);
    const design = header.design;
    if (row.seed !== runSeed(design, next)) throw bad('its seed is not the one the design gives');
    const outcome = outcomes.get(row.outcome);
    const judged = row.checkpoints.map((c) => outcomes.get(c));
    if (outcome === undefined || judged.some((j) => j === undefined)) throw bad('unknown outcome');
    const acc = accumulator(point);
    acc.add(outcome, judged as number[], row.tensions, row.steps, row.goldstein);
    if (row.met !== undefined) acc.judge(row.met, row.score!);
    onRun?.(next, outcome);
    next++;
  }
  if (lineNo < lines) throw new UsageError(`${file} has an incomplete header`, 'remove it to start again', '--resume');
  return { header, next, keep: limit === undefined ? keep : bytes, rows: next - start };
}

/**
 * The lines of a file, read synchronously in blocks: an extended batch copies its old rows
 * between the new ones as the chunks come back (see `Extension`).
 */
export class LineReader {
  private readonly fd: number;
  private readonly block = Buffer.alloc(1 << 20);
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private at = 0;
  private eof = false;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
  }

  /** The next line without its line end, or null at the end of the file (a last line without one is left out). */
  next(): string | null {
    for (;;) {
      const nl = this.pending.indexOf('\n', this.at);
      if (nl >= 0) {
        const line = this.pending.slice(this.at, nl);
        this.at = nl + 1;
        return line;
      }
      if (this.eof) return null;
      const n = readSync(this.fd, this.block, 0, this.block.length, null);
      this.pending = this.pending.slice(this.at) + (n > 0 ? this.decoder.write(this.block.subarray(0, n)) : this.decoder.end());
      this.at = 0;
      if (n === 0) this.eof = true;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A row of run `from` as the row of run `to`: only the run's index differs between the rows of
 * a run in a batch and in the same batch with more replicates per point.
 */
export function renumberRow(line: string, format: RowFormat, from: number, to: number): string | null {
  const head = format === 'csv' ? `${from},` : `{"run":${from},`;
  if (!line.startsWith(head)) return null;
  return `${format === 'csv' ? '' : '{"run":'}${to},${line.slice(head.length)}`;
}

/**
 * `--extend`: the rows of a finished batch of `oldN` replicates per point, copied point by point
 * (renumbered: run p·N + r becomes p·N′ + r) before the rows of each point's new replicates,
 * into a new file that takes the old one's place only when it is whole.
 */
export class Extension {
  private copied = 0;
  private readonly reader: LineReader;

  constructor(
    private readonly file: string,
    private readonly format: RowFormat,
    headerLines: number,
    private readonly oldN: number,
    private readonly newN: number,
    private readonly points: number,
    /** Writes row text to the new file. */
    private readonly write: (text: string) => void,
    /** Each old run as it is copied, in the new batch's run order: its index in the old batch and in the new. */
    private readonly onRun?: (from: number, to: number) => void,
  ) {
    this.reader = new LineReader(file);
    for (let i = 0; i < headerLines; i++) this.reader.next();
  }

  /** The new replicates of each point: run indices p·N′ + oldN … (p + 1)·N′. */
  ranges(): [number, number][] {
    return Array.from({ length: this.points }, (_, p) => [p * this.newN + this.oldN, (p + 1) * this.newN] as [number, number]);
  }

  /** Copies the old rows of every point up to `point`, not copied yet. */
  copyThrough(point: number): void {
    for (; this.copied <= Math.min(point, this.points - 1); this.copied++) {
      const p = this.copied;
      let text = '';
      for (let r = 0; r < this.oldN; r++) {
        const from = p * this.oldN + r;
        const to = p * this.newN + r;
        const line = this.reader.next();
        const row = line === null ? null : renumberRow(line, this.format, from, to);
        if (row === null) throw new UsageError(`${this.file} changed while the batch was being extended: the row of run ${from} is not where it was`, 'run the same command again: the file is as it was', '--extend');
        text += row + '\n';
        this.onRun?.(from, to);
        if (text.length > 1 << 20) {
          this.write(text);
          text = '';
        }
      }
      if (text) this.write(text);
    }
  }

  /** Copies what is left, and checks that the old file held nothing more. */
  finish(): void {
    this.copyThrough(this.points - 1);
    const extra = this.reader.next();
    this.reader.close();
    if (extra !== null) throw new UsageError(`${this.file} changed while the batch was being extended: it has rows after run ${this.points * this.oldN - 1}`, 'run the same command again: the file is as it was', '--extend');
  }

  close(): void {
    try {
      this.reader.close();
    } catch {
      // already closed
    }
  }
}
