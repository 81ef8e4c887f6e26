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
import { completeLength, readLines, shellCommand } from '../io/files.ts';
import { checkOutput, identityOf, isSpecialFile, OutputFile, writeOutput, type FileIdentity, type OutputOptions } from '../io/output.ts';
import { formatFromPath, formatHeader, readHeader, type RowFormat, type RowsHeader } from '../batch/rows.ts';
import { buildSummary, checkSummary, fromExact, MAX_SUMMARY_BYTES, newAccumulator, unsharded, type SummaryDoc } from '../batch/summary.ts';
import { ReadFailure, readTextBounded } from '../io/read.ts';
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

function sameBatch(file: string, first: BatchIdentity & { file: string }, other: BatchIdentity): void {
  const problems: string[] = [];
  if (other.hash !== first.hash) problems.push('the scenario content differs');
  if (other.parley !== first.parley) problems.push(`engine ${other.parley}, not ${first.parley}`);
  if (JSON.stringify(unsharded(other.design)) !== JSON.stringify(unsharded(first.design))) problems.push('the design differs');
  else if (other.shape !== first.shape) problems.push('the columns differ');
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
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readTextBounded(file, MAX_SUMMARY_BYTES, 'summaries');
  } catch (error) {
    if (!(error instanceof ReadFailure)) throw error;
    const { message, hint, line, column } = error.problem;
    throw new UsageError(`cannot read it: ${message}${line !== undefined ? ` (line ${line}${column !== undefined ? `, column ${column}` : ''})` : ''}`, hint, file);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not a Parley batch summary (it is not JSON)`, 'with row files, add --rows', 'parley merge');
  }
}

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
  const outFormat = formatFromPath(out);
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
  const file = OutputFile.open(out, output);
  try {
    file.write(formatHeader(header, outFormat));
    for (const i of ordered) await copyRows(file, i.file, i.format, i.lines, range(i.header.design));
    file.commit();
  } finally {
    file.abort();
  }
}

const RUN = { csv: /^(\d+),/, jsonl: /^\{"run":(\d+),/ } as const;

/** Copies a shard's rows, checking that they are exactly its runs in order. */
async function copyRows(out: OutputFile, file: string, format: RowFormat, skip: number, [start, end]: [number, number]): Promise<void> {
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
