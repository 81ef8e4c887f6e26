/**
 * `parley merge`: combines the outputs of the shards of one batch.
 *
 *   parley merge s1.json s2.json … --out summary.json     summaries, exactly (from counts)
 *   parley merge --rows r1.csv r2.csv … --out rows.csv    row files, concatenated in run order
 *
 * Inputs must be shards of the same batch (same scenario content, engine and design) and must
 * not overlap; a row merge also needs every shard complete. The output is written atomically.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../scenario/errors.ts';
import type { Design } from '../batch/design.ts';
import { completeLength, headLines, readLines, shellCommand } from '../io/files.ts';
import { ROUNDS_FORMAT, type RoundsHeader } from '../batch/rounds.ts';
import { designDifferences, engineNote } from '../batch/resume.ts';
import { isParquet, ParquetSink } from '../batch/parquet.ts';
import { ENGINE_VERSION } from '../version.ts';
import { checkOutput, identityOf, isSpecialFile, OutputFile, writeOutput, type FileIdentity, type OutputOptions } from '../io/output.ts';
import { formatFromPath, formatHeader, readHeader, type RowFormat, type RowsHeader } from '../batch/rows.ts';
import { buildSummary, checkSummary, fromExact, MAX_SUMMARY_BYTES, newAccumulator, unsharded, type SummaryDoc } from '../batch/summary.ts';
import { readJsonFile } from '../io/read.ts';
import type { PointAccumulator } from '../stats/stats.ts';

export interface MergeFlags {
  out?: string;
  rows?: boolean;
  force?: boolean;
}

const range = (d: Design): [number, number] => (d.shard ? [d.shard.start, d.shard.end] : [0, d.runs]);
const shardName = (d: Design) => (d.shard ? `${d.shard.k}/${d.shard.n}` : 'the whole batch');

/** Sorted by range; overlapping or repeated shards are an error. */
function orderShards<T>(items: readonly T[], designOf: (t: T) => Design, fileOf: (t: T) => string): T[] {
  const sorted = [...items].sort((a, b) => range(designOf(a))[0] - range(designOf(b))[0] || range(designOf(a))[1] - range(designOf(b))[1]);
  for (let i = 1; i < sorted.length; i++) {
    const [, prevEnd] = range(designOf(sorted[i - 1]!));
    const [start] = range(designOf(sorted[i]!));
    if (start < prevEnd) {
      throw new UsageError(`${fileOf(sorted[i]!)} (${shardName(designOf(sorted[i]!))}) overlaps ${fileOf(sorted[i - 1]!)} (${shardName(designOf(sorted[i - 1]!))})`, 'give each shard once', 'parley merge');
    }
  }
  return sorted;
}

/** What shards of one batch share; `shape` is the layout (summaries) or the columns (row files), as JSON. */
interface BatchIdentity {
  readonly parley: string;
  readonly hash: string;
  readonly design: Design;
  readonly shape: string;
  /** The outcome groups of a summary (`--group`), as JSON. */
  readonly groups?: string;
}

/**
 * What differs between two shards' provenance, named field by field: the scenario content, the
 * engine, each flag of the design (as `--resume` names them), the columns.
 */
function differences(first: { parley: string; scenario: { hash: string }; design: Design; columns?: readonly string[] }, other: typeof first): string[] {
  const problems: string[] = [];
  if (other.scenario.hash !== first.scenario.hash) problems.push(`the scenario content differs (hash ${other.scenario.hash.slice(0, 12)}…, not ${first.scenario.hash.slice(0, 12)}…)`);
  if (other.parley !== first.parley) problems.push(`engine ${other.parley}, not ${first.parley}${engineNote(other.parley === ENGINE_VERSION ? first.parley : other.parley)}`);
  else {
    const flags = designDifferences(unsharded(first.design), unsharded(other.design)).map((d) => d.replace('the file has', 'the first has').replace('this command', 'this one'));
    problems.push(...flags);
    if (flags.length === 0 && JSON.stringify(other.columns) !== JSON.stringify(first.columns)) problems.push('the columns differ');
  }
  return problems;
}

function sameBatch(file: string, first: BatchIdentity & { file: string }, other: BatchIdentity): void {
  const problems: string[] = differences(
    { parley: first.parley, scenario: { hash: first.hash }, design: first.design, columns: [first.shape] },
    { parley: other.parley, scenario: { hash: other.hash }, design: other.design, columns: [other.shape] },
  );
  if (other.groups !== first.groups) problems.push('the outcome groups (--group) differ');
  if (problems.length) throw new UsageError(`${file} is not a shard of the same batch as ${first.file}: ${problems.join('; ')}`, undefined, 'parley merge');
}

/**
 * The identity of `out` when it is an earlier merge of this same batch (whole, same scenario
 * content, engine and design): a merge may replace it, so that it can be run again as shards
 * arrive. Anything else at `out` is kept (null).
 */
function previousMerge(out: string, base: { parley: string; hash: string; design: Design }, read: () => { merged: boolean; parley: string; hash: string; design: Design }): FileIdentity | null {
  if (!existsSync(out) || isSpecialFile(out)) return null;
  try {
    const found = read();
    const same = found.merged && found.parley === base.parley && found.hash === base.hash && found.design.shard === null && JSON.stringify(found.design) === JSON.stringify(unsharded(base.design));
    return same ? identityOf(out) : null;
  } catch {
    return null;
  }
}

/** A summary file's JSON, read bounded (see MAX_SUMMARY_BYTES). */
const readJson = (file: string): unknown => readJsonFile(file, MAX_SUMMARY_BYTES, 'summaries', { message: 'not a Parley batch summary (it is not JSON)', hint: 'with row files, add --rows' });

export async function mergeCommand(files: readonly string[], flags: MergeFlags, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (flags.out === undefined) throw new UsageError('--out FILE is required', undefined, '--out');
  // Compared by device and inode: `./s1.json`, a link to it and `s1.json` are one file.
  const output: OutputOptions = { flag: '--out', inputs: files, replace: flags.force === true };
  const command = ['parley', ...argv];
  if (flags.rows) await mergeRows(files, flags.out, command, output);
  else mergeSummaries(files, flags.out, command, output);
}

function mergeSummaries(files: readonly string[], out: string, command: string[], output: OutputOptions): void {
  if (!/\.json$/i.test(out) && !isSpecialFile(out)) throw new UsageError(`${out}: a merged summary is JSON, so its name must end in .json`, 'to merge row files, add --rows', '--out');
  const docs = files.map((file) => ({ file, doc: checkSummary(file, readJson(file)) }));
  const first = docs[0]!;
  const groupsOf = (doc: SummaryDoc) => JSON.stringify(Object.entries(doc.groups ?? {}).map(([name, g]) => [name, g.outcomes]));
  const identity = (doc: SummaryDoc): BatchIdentity => ({ parley: doc.parley, hash: doc.scenario.hash, design: doc.design, shape: JSON.stringify(doc.layout), groups: groupsOf(doc) });
  const base = { file: first.file, ...identity(first.doc) };
  output = { ...output, replace: output.replace || previousMerge(out, base, () => { const d = checkSummary(out, readJson(out)); return { merged: d.shards !== undefined, parley: d.parley, hash: d.scenario.hash, design: d.design }; }) };
  checkOutput(out, output);
  for (const { file, doc } of docs.slice(1)) sameBatch(file, base, identity(doc));
  const ordered = orderShards(docs, (d) => d.doc.design, (d) => d.file);
  const layout = first.doc.layout;
  const accumulators = new Map<number, PointAccumulator>();
  const params = new Map<number, number[]>();
  for (const { doc } of ordered) {
    if (!doc.complete) process.stderr.write(`parley: warning: ${shardName(doc.design)} counts ${doc.runs} of ${doc.expected} runs\n`);
    for (const p of doc.points) {
      let a = accumulators.get(p.point);
      if (!a) accumulators.set(p.point, (a = newAccumulator(layout, p.point)));
      a.merge(fromExact(p.point, p.exact));
      params.set(p.point, layout.params.map((id) => p.params[id]!));
    }
  }
  const design = unsharded(first.doc.design);
  const summary: SummaryDoc = buildSummary({
    parley: first.doc.parley, scenario: first.doc.scenario, command, design, layout, expected: design.runs,
    points: accumulators.values(), paramsOf: (p) => params.get(p)!, wallSeconds: null,
    groups: Object.entries(first.doc.groups ?? {}).map(([name, g]) => ({ name, outcomes: g.outcomes })),
    ...(design.sweep.length > 0 && design.seeds !== 'independent' ? { contrastsNote: 'no paired contrasts: a merge of summaries does not see both runs of every pair; run the batch whole for them' } : {}),
    shards: ordered.map(({ file, doc }) => ({ file, shard: doc.design.shard ? `${doc.design.shard.k}/${doc.design.shard.n}` : null, runs: doc.runs, wallSeconds: doc.wallSeconds })),
  });
  if (!summary.complete) process.stderr.write(`parley: warning: the merged summary counts ${summary.runs} of the batch's ${design.runs} runs\n`);
  writeOutput(out, JSON.stringify(summary, null, 2) + '\n', output);
}

async function mergeRows(files: readonly string[], out: string, command: string[], output: OutputOptions): Promise<void> {
  // Parquet is written from CSV shards (resumable while they run), typed, with the provenance in its metadata.
  const parquet = isParquet(out);
  const outFormat = parquet ? 'csv' : formatFromPath(out);
  if (files.length > 0 && roundsHeaderOf(files[0]!) !== null) return mergeRounds(files, out, outFormat, command, output);
  const inputs = files.map((file) => {
    if (!existsSync(file)) throw new UsageError(`cannot read ${file}: no such file`, undefined, 'parley merge');
    const { header, format, lines } = readHeader(file);
    return { file, header, format, lines };
  });
  const first = inputs[0]!;
  const identity = (h: RowsHeader): BatchIdentity => ({ parley: h.parley, hash: h.scenario.hash, design: h.design, shape: JSON.stringify(h.columns) });
  const base = { file: first.file, ...identity(first.header) };
  output = { ...output, replace: output.replace || previousMerge(out, base, () => { const h = readHeader(out).header; return { merged: h.command[1] === 'merge', parley: h.parley, hash: h.scenario.hash, design: h.design }; }) };
  checkOutput(out, output);
  for (const i of inputs) {
    sameBatch(i.file, base, identity(i.header));
    if (i.format !== outFormat) throw new UsageError(`${i.file} holds ${i.format.toUpperCase()} rows; --out ${out} asks for ${outFormat.toUpperCase()}`, `name the output .${i.format}`, '--out');
  }
  const ordered = orderShards(inputs, (i) => i.header.design, (i) => i.file);
  const design = unsharded(first.header.design);
  let expect = 0;
  for (const i of ordered) {
    const [start] = range(i.header.design);
    if (start !== expect) throw new UsageError(`runs ${expect}–${start - 1} are missing: no shard among the inputs holds them`, 'give every shard of the batch', 'parley merge');
    expect = range(i.header.design)[1];
  }
  if (expect !== design.runs) throw new UsageError(`runs ${expect}–${design.runs - 1} are missing: no shard among the inputs holds them`, 'give every shard of the batch', 'parley merge');

  const header: RowsHeader = { ...first.header, command, design };
  // A temporary file beside --out, put in place only once every shard is copied and checked.
  const file: Appender = parquet ? parquetAppender(out, header) : OutputFile.open(out, output);
  try {
    if (!parquet) file.write(formatHeader(header, outFormat));
    for (const i of ordered) await copyRows(file, i.file, i.format, i.lines, range(i.header.design));
    file.commit();
  } finally {
    file.abort();
  }
}

const RUN = { csv: /^(\d+),/, jsonl: /^\{"run":(\d+),/ } as const;

/** Copies a shard's rows, checking that they are exactly its runs in order. */
/** Where merged rows go: a text file, or a Parquet file fed the CSV rows. */
interface Appender {
  write(text: string): void;
  commit(): void;
  abort(): void;
}

function parquetAppender(out: string, header: RowsHeader | RoundsHeader): Appender {
  const sink = new ParquetSink(out, header.columns, header);
  return { write: (text) => sink.addCsv(text), commit: () => sink.finish(), abort: () => sink.abort() };
}

async function copyRows(out: Appender, file: string, format: RowFormat, skip: number, [start, end]: [number, number]): Promise<void> {
  let next = start;
  let lineNo = 0;
  let buffer = '';
  for await (const line of readLines(file, completeLength(file))) {
    lineNo++;
    if (lineNo <= skip) continue;
    const m = RUN[format].exec(line);
    if (!m || Number(m[1]) !== next || next >= end) {
      throw new UsageError(`${file} line ${lineNo} is not the row of run ${next}`, 'the file is not a complete shard written by `parley batch`', 'parley merge');
    }
    buffer += line + '\n';
    if (buffer.length > 1 << 20) {
      out.write(buffer);
      buffer = '';
    }
    next++;
  }
  out.write(buffer);
  if (next < end) throw new UsageError(`${file} holds runs ${start}–${next - 1} of its shard's ${start}–${end - 1}`, `finish it first: ${resumeCommand(file)}`, 'parley merge');
}

/** The command that finishes the shard in `file` (its header's, writing to `file` where it is now). */
function resumeCommand(file: string): string {
  const command = [...readHeader(file).header.command];
  const out = command.indexOf('--out');
  if (out >= 0) command[out + 1] = file;
  return shellCommand([...command, '--resume']);
}

/** The header of a rounds file (`--record rounds`), or null when `file` is not one. */
function roundsHeaderOf(file: string): { header: RoundsHeader; format: RowFormat; lines: number } | null {
  if (!existsSync(file)) return null;
  try {
    const [first] = headLines(file);
    if (first === undefined) return null;
    const csv = first.startsWith('# ');
    const doc = JSON.parse(csv ? first.slice(2) : first) as RoundsHeader;
    return doc?.format === ROUNDS_FORMAT && typeof doc.design === 'object' && doc.design !== null ? { header: doc, format: csv ? 'csv' : 'jsonl', lines: csv ? 2 : 1 } : null;
  } catch {
    return null;
  }
}

/** Rounds files of the shards of one batch, concatenated in run order (each run's rounds whole). */
async function mergeRounds(files: readonly string[], out: string, outFormat: RowFormat, command: string[], output: OutputOptions): Promise<void> {
  const inputs = files.map((file) => {
    const found = roundsHeaderOf(file);
    if (!found) throw new UsageError(`${file} is not a Parley rounds file, as ${files[0]} is`, 'merge rounds files with rounds files, row files with row files', 'parley merge');
    return { file, ...found };
  });
  const first = inputs[0]!;
  checkOutput(out, output);
  for (const i of inputs.slice(1)) {
    const problems = differences(first.header, i.header);
    if (problems.length) throw new UsageError(`${i.file} is not a shard of the same batch as ${first.file}: ${problems.join('; ')}`, undefined, 'parley merge');
  }
  for (const i of inputs) if (i.format !== outFormat) throw new UsageError(`${i.file} holds ${i.format.toUpperCase()} rows; --out ${out} asks for ${outFormat.toUpperCase()}`, `name the output .${i.format}`, '--out');
  const ordered = orderShards(inputs, (i) => i.header.design, (i) => i.file);
  const design = unsharded(first.header.design);
  let expect = 0;
  for (const i of ordered) {
    const [start, end] = range(i.header.design);
    if (start !== expect) throw new UsageError(`runs ${expect}–${start - 1} are missing: no shard among the inputs holds them`, 'give every shard of the batch', 'parley merge');
    expect = end;
  }
  if (expect !== design.runs) throw new UsageError(`runs ${expect}–${design.runs - 1} are missing: no shard among the inputs holds them`, 'give every shard of the batch', 'parley merge');
  const header = { ...first.header, command, design };
  const parquet = isParquet(out);
  const file: Appender = parquet ? parquetAppender(out, header) : OutputFile.open(out, output);
  try {
    if (!parquet) file.write(outFormat === 'csv' ? `# ${JSON.stringify(header)}\n${header.columns.join(',')}\n` : `${JSON.stringify(header)}\n`);
    let perRun = -1;
    for (const i of ordered) {
      const [start, end] = range(i.header.design);
      let next = start;
      let inRun = 0;
      let lineNo = 0;
      let buffer = '';
      for await (const line of readLines(i.file, completeLength(i.file))) {
        if (++lineNo <= i.lines) continue;
        const m = RUN[i.format].exec(line);
        const run = m ? Number(m[1]) : -1;
        if (run === next + 1 && inRun > 0 && (perRun < 0 || inRun === perRun)) {
          perRun = inRun;
          next++;
          inRun = 0;
        }
        if (run !== next || next >= end) throw new UsageError(`${i.file} line ${lineNo} is not a round of run ${next}`, 'the file is not a complete shard written by `parley batch --record rounds`', 'parley merge');
        inRun++;
        buffer += line + '\n';
        if (buffer.length > 1 << 20) {
          file.write(buffer);
          buffer = '';
        }
      }
      file.write(buffer);
      if (inRun > 0 && (perRun < 0 || inRun === perRun)) next++;
      if (next < end) {
        const again = [...i.header.command];
        const at = again.indexOf('--rounds');
        if (at >= 0) again[at + 1] = i.file;
        throw new UsageError(`${i.file} holds the rounds of runs ${start}–${next - 1} of its shard's ${start}–${end - 1}`, `finish it first: ${shellCommand([...again, '--resume'])}`, 'parley merge');
      }
    }
    file.commit();
  } finally {
    file.abort();
  }
}
