/**
 * Row files: one tidy row per run, in run order, after a one-line provenance header.
 *
 * CSV:   `# {header JSON}` then the column names, then one line per run.
 * JSONL: `{header JSON}` then one JSON object per run.
 *
 * The header carries the scenario id and content hash, the engine version, the command and the
 * design, so a file says how to reproduce (and resume) itself. Nothing in a row file depends on
 * the clock or the number of workers: the same batch gives the same bytes.
 */
import { isAscii } from 'node:buffer';
import { statSync } from 'node:fs';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';
import type { Design } from './design.ts';
import { headLines } from '../io/files.ts';
import { errnoReason, formatBytes } from '../io/read.ts';
import { checkHeaderDoc } from './check.ts';

export type RowFormat = 'csv' | 'jsonl';

export const ROWS_FORMAT = 'parley-batch-rows';
export const ROWS_VERSION = 1;

/** What every file a batch writes starts with: its kind and version, and where it came from. */
export interface FileHead<F extends string> {
  readonly format: F;
  readonly version: number;
  /** Engine version. */
  readonly parley: string;
  readonly scenario: { readonly id: string; readonly hash: string };
  /** The command that made the file (for a merged file, the merge). */
  readonly command: readonly string[];
}

export interface RowsHeader extends FileHead<typeof ROWS_FORMAT> {
  readonly design: Design;
  readonly columns: readonly string[];
}

/** What the runner knows about a run when it writes its row. */
export interface RunRecord {
  run: number;
  point: number;
  replicate: number;
  seed: number;
  params: readonly number[];
  outcome: number;
  judged: ArrayLike<number>;
  tensions: ArrayLike<number>;
  steps: number;
  goldstein: number;
  branch: string;
  /** Runs of an exercise (`parley batch --exercise`): whether the run met the objective, and its score. */
  met?: boolean;
  score?: number;
  /** What `parley run` needs to repeat the run: `--branch CODE` and the `--set` values (written when the pieces say so). */
  replay?: string;
}

/** Names and order of the fields of a scenario's rows. */
export interface RowLayout {
  readonly params: readonly string[];
  /** Phases with a checkpoint before the last phase (the last one's judgement is the outcome). */
  readonly checkpoints: readonly string[];
  readonly tensions: readonly string[];
  readonly outcomes: readonly string[];
  readonly policy: string;
  /** The exercise whose objective and score the rows carry (columns `met` and `score`), when the batch runs one. */
  readonly exercise?: string;
}

export function rowLayout(def: ScenarioDefinition, policy: string, exercise?: string): RowLayout {
  return {
    params: def.parameters.map((p) => p.id),
    checkpoints: def.phases.filter((p) => p.checkpoint && p.index < def.phases.length - 1).map((p) => p.id),
    tensions: def.tensions.map((t) => t.id),
    outcomes: def.outcomes.map((o) => o.id),
    policy,
    ...(exercise !== undefined ? { exercise } : {}),
  };
}

/**
 * The columns of a batch's rows. `replay` (the arguments of `parley run` that repeat the row)
 * follows `branch` when the design sets, sweeps or samples parameters; otherwise the branch code
 * repeats a row by itself, and the rows stay as they were before the column existed.
 */
export function columns(layout: RowLayout, replay = false): string[] {
  return [
    'run', 'point', 'replicate', 'seed',
    ...layout.params.map((p) => `param.${p}`),
    'policy', 'outcome',
    ...layout.checkpoints.map((c) => `checkpoint.${c}`),
    ...layout.tensions.map((t) => `tension.${t}`),
    'steps', 'goldstein', ...(layout.exercise !== undefined ? ['met', 'score'] : []), 'branch',
    ...(replay ? ['replay'] : []),
  ];
}

export function formatFromPath(path: string): RowFormat {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  throw new UsageError(`${path}: the file name must end in .csv or .jsonl`, 'the extension chooses the format', '--out');
}

export function formatHeader(header: RowsHeader, format: RowFormat): string {
  const json = JSON.stringify(header);
  return format === 'csv' ? `# ${json}\n${header.columns.join(',')}\n` : `${json}\n`;
}

const csvField = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * Row text, written as bytes into one growing buffer that a thread reuses from chunk to chunk,
 * then read out as one flat string: a chunk's rows cost two allocations instead of a string of
 * tens of pieces per row for the collector to walk. The bytes are those of the string a template
 * would give: numbers as `String(x)` prints them, text as UTF-8.
 */
export class RowBuffer {
  private buf: Uint8Array;
  private n = 0;
  private readonly encoder = new TextEncoder();

  /** `size`: the buffer's first size in bytes (it grows as needed). */
  constructor(size = 1 << 16) {
    this.buf = new Uint8Array(size);
  }

  get length(): number {
    return this.n;
  }

  /** The bytes written so far (a view of the buffer; `take` hands them over). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }

  /** The text written so far; the writer starts empty. */
  take(): string {
    const bytes = Buffer.from(this.buf.buffer, 0, this.n);
    // ASCII (most rows) reads as Latin-1 in one copy, without UTF-8's decoding.
    const out = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    this.n = 0;
    return out;
  }

  clear(): void {
    this.n = 0;
  }

  private room(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  byte(c: number): void {
    if (this.n >= this.buf.length) this.room(1);
    this.buf[this.n++] = c;
  }

  /** Bytes encoded once (a layout's constant pieces). */
  raw(b: Uint8Array): void {
    const len = b.length;
    if (this.n + len > this.buf.length) this.room(len);
    // Pieces are mostly a separator or a name: a loop beats a call into the runtime.
    if (len > 32) this.buf.set(b, this.n);
    else for (let k = 0, n = this.n; k < len; k++) this.buf[n + k] = b[k]!;
    this.n += len;
  }

  /** Bytes `start..end)` of `src` (without making a view of them: short pieces are copied in a loop). */
  copy(src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    this.room(len);
    const buf = this.buf;
    let n = this.n;
    if (len > 256) buf.set(src.subarray(start, end), n);
    else for (let k = start; k < end; k++) buf[n++] = src[k]!;
    this.n = this.n + len;
  }

  text(s: string): void {
    this.room(s.length * 3);
    const len = s.length;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.n += this.encoder.encodeInto(s.slice(i), this.buf.subarray(this.n)).written;
        return;
      }
      this.buf[this.n++] = c;
    }
  }

  /** `String(x)`'s bytes; whole numbers below 10^15 without making the string. */
  number(x: number): void {
    if (!(Math.abs(x) < 1e15) || Math.floor(x) !== x) {
      this.text(String(x));
      return;
    }
    this.room(17);
    let v = x;
    if (v < 0) {
      this.buf[this.n++] = 45; // '-'
      v = -v;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let at = this.n + digits;
    this.n = at;
    do {
      this.buf[--at] = 48 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }
}

const COMMA = 44;
const NEWLINE = 10;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A layout's constant pieces of row text, encoded once. */
export interface RowPieces {
  readonly format: RowFormat;
  /** CSV: `,outcome`; JSONL: `"outcome"` — by outcome index. */
  readonly outcomes: readonly Uint8Array[];
  /** JSONL: the keys, with their quotes, commas and colons. */
  readonly keys: { readonly params: readonly Uint8Array[]; readonly checkpoints: readonly Uint8Array[]; readonly tensions: readonly Uint8Array[] };
  /** CSV: `,policy`; JSONL: `},"policy":"…","outcome":`. */
  readonly policy: Uint8Array;
  /** Checkpoints before the last phase, whose outcomes the row gives. */
  readonly checkpoints: number;
  /** Rows of an exercise's runs carry `met` and `score`. */
  readonly judged: boolean;
  /** Whether rows end with the `replay` column. */
  readonly replay: boolean;
}

export function rowPieces(layout: RowLayout, format: RowFormat, replay = false): RowPieces {
  const keyed = (names: readonly string[]) => names.map((n, i) => utf8(`${i ? ',' : ''}${JSON.stringify(n)}:`));
  const checkpoints = layout.checkpoints.length;
  const judged = layout.exercise !== undefined;
  return format === 'csv'
    ? { format, checkpoints, judged, replay, outcomes: layout.outcomes.map((o) => utf8(`,${o}`)), keys: { params: [], checkpoints: [], tensions: [] }, policy: utf8(`,${layout.policy}`) }
    : {
        format,
        checkpoints,
        judged,
        replay,
        outcomes: layout.outcomes.map((o) => utf8(JSON.stringify(o))),
        keys: { params: keyed(layout.params), checkpoints: keyed(layout.checkpoints), tensions: keyed(layout.tensions) },
        policy: utf8(`},"policy":${JSON.stringify(layout.policy)},"outcome":`),
      };
}

/** Writes one run's row, with its line end. */
export function writeRow(out: RowBuffer, p: RowPieces, r: RunRecord): void {
  if (p.format === 'csv') {
    out.number(r.run);
    out.byte(COMMA);
    out.number(r.point);
    out.byte(COMMA);
    out.number(r.replicate);
    out.byte(COMMA);
    out.number(r.seed);
    for (let i = 0; i < r.params.length; i++) {
      out.byte(COMMA);
      out.number(r.params[i]!);
    }
    out.raw(p.policy);
    out.raw(p.outcomes[r.outcome]!);
    for (let c = 0; c < p.checkpoints; c++) out.raw(p.outcomes[r.judged[c]!]!);
    for (let i = 0; i < r.tensions.length; i++) {
      out.byte(COMMA);
      out.number(r.tensions[i]!);
    }
    out.byte(COMMA);
    out.number(r.steps);
    out.byte(COMMA);
    out.number(r.goldstein);
    if (p.judged) {
      out.text(r.met === true ? ',true,' : ',false,');
      out.number(r.score ?? 0);
    }
    out.byte(COMMA);
    out.text(csvField(r.branch));
    if (p.replay) {
      out.byte(COMMA);
      out.text(csvField(r.replay ?? ''));
    }
    out.byte(NEWLINE);
    return;
  }
  out.text('{"run":');
  out.number(r.run);
  out.text(',"point":');
  out.number(r.point);
  out.text(',"replicate":');
  out.number(r.replicate);
  out.text(',"seed":');
  out.number(r.seed);
  out.text(',"params":{');
  for (let i = 0; i < r.params.length; i++) {
    out.raw(p.keys.params[i]!);
    out.number(r.params[i]!);
  }
  out.raw(p.policy);
  out.raw(p.outcomes[r.outcome]!);
  out.text(',"checkpoints":{');
  for (let c = 0; c < p.checkpoints; c++) {
    out.raw(p.keys.checkpoints[c]!);
    out.raw(p.outcomes[r.judged[c]!]!);
  }
  out.text('},"tensions":{');
  for (let i = 0; i < r.tensions.length; i++) {
    out.raw(p.keys.tensions[i]!);
    out.number(r.tensions[i]!);
  }
  out.text('},"steps":');
  out.number(r.steps);
  out.text(',"goldstein":');
  out.number(r.goldstein);
  if (p.judged) {
    out.text(r.met === true ? ',"met":true,"score":' : ',"met":false,"score":');
    out.number(r.score ?? 0);
  }
  out.text(',"branch":');
  out.text(JSON.stringify(r.branch));
  if (p.replay) {
    out.text(',"replay":');
    out.text(JSON.stringify(r.replay ?? ''));
  }
  out.text('}\n');
}

/** One run's row as text, with its line end. */
export function formatRow(layout: RowLayout, r: RunRecord, format: RowFormat, replay = false): string {
  const out = new RowBuffer();
  writeRow(out, rowPieces(layout, format, replay), r);
  return out.take();
}

const HEADER_HINT = 'row files start with the header line that `parley batch` writes; this one was changed or damaged';

function notParley(file: string, why: string): UsageError {
  return new UsageError(`not a Parley row file (${why})`, HEADER_HINT, file);
}

/** The header of a row file (its first line, and for CSV the column line), checked. */
export function readHeader(file: string): { header: RowsHeader; format: RowFormat; lines: number } {
  let first: string | undefined;
  let second: string | undefined;
  let size: number;
  try {
    size = statSync(file).size;
    [first, second] = headLines(file);
  } catch (error) {
    throw new UsageError(`cannot read it: ${errnoReason(error)}`, undefined, file);
  }
  if (first === undefined) {
    // headLines takes a line only when it is complete, within the first MiB.
    throw notParley(file, size === 0 ? 'it is empty' : size > HEAD_BYTES ? `its first line is longer than ${formatBytes(HEAD_BYTES)}` : `its first line does not end: the file is ${formatBytes(size)} with no line break`);
  }
  return parseHeader(file, first, second);
}

const HEAD_BYTES = 1 << 20;

/** The header of a row file from its first line (and, for CSV, the column line). */
export function parseHeader(file: string, first: string, second: string | undefined): { header: RowsHeader; format: RowFormat; lines: number } {
  if (first === '') throw notParley(file, 'its first line is empty');
  const csv = first.startsWith('# ');
  let doc: unknown;
  try {
    doc = JSON.parse(csv ? first.slice(2) : first);
  } catch {
    throw notParley(file, 'its first line is not a Parley header');
  }
  const marked = typeof doc === 'object' && doc !== null && (doc as { format?: unknown }).format === ROWS_FORMAT;
  if (!marked) throw notParley(file, 'its first line is not a Parley header');
  const version = (doc as { version?: unknown }).version;
  if (version !== ROWS_VERSION) throw new UsageError(`${file} is a row file of format version ${String(version).slice(0, 40)}; this Parley reads version ${ROWS_VERSION}`, undefined, file);
  const header = checkHeaderDoc<RowsHeader>(file, doc, HEADER_HINT);
  if (csv && second !== undefined && second !== header.columns.join(',')) throw notParley(file, 'its column line does not match its header');
  return { header, format: csv ? 'csv' : 'jsonl', lines: csv ? 2 : 1 };
}

/** The fields of a row needed to check its place and count it. */
export interface ParsedRow {
  readonly run: number;
  readonly point: number;
  readonly replicate: number;
  readonly seed: number;
  readonly outcome: string;
  readonly checkpoints: readonly string[];
  readonly tensions: readonly number[];
  readonly steps: number;
  readonly goldstein: number;
  /** Rows of an exercise's runs only. */
  readonly met?: boolean;
  readonly score?: number;
}

export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(value);
      if (i < line.length && line[i] !== ',') throw new Error('text after a quoted field');
      i++;
    } else {
      const c = line.indexOf(',', i);
      const end = c < 0 ? line.length : c;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

/** `true`/`false` (JSON or CSV text); anything else is not a judgement. */
const bool = (x: unknown): boolean => {
  if (x === true || x === 'true') return true;
  if (x === false || x === 'false') return false;
  throw new Error('bad met');
};
const num = (x: unknown): number => (typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN);

/** Parses one row of a file with the given layout; throws a plain Error on a malformed row. */
export function parseRow(layout: RowLayout, line: string, format: RowFormat, replay = false): ParsedRow {
  let row: ParsedRow;
  if (format === 'csv') {
    const f = splitCsv(line);
    const judged = layout.exercise !== undefined;
    const expected = 4 + layout.params.length + 2 + layout.checkpoints.length + layout.tensions.length + 3 + (judged ? 2 : 0) + (replay ? 1 : 0);
    if (f.length !== expected) throw new Error(`${f.length} fields, expected ${expected}`);
    let i = 4 + layout.params.length + 1;
    const outcome = f[i++]!;
    const checkpoints = layout.checkpoints.map(() => f[i++]!);
    const tensions = layout.tensions.map(() => num(f[i++]));
    row = { run: num(f[0]), point: num(f[1]), replicate: num(f[2]), seed: num(f[3]), outcome, checkpoints, tensions, steps: num(f[i]), goldstein: num(f[i + 1]), ...(judged ? { met: bool(f[i + 2]), score: num(f[i + 3]) } : {}) };
  } else {
    const o: unknown = JSON.parse(line);
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
    // Own fields only: a tension named `toString` missing from a row is missing, not a method.
    const field = (x: unknown, k: string): unknown => (typeof x === 'object' && x !== null && Object.hasOwn(x, k) ? (x as Record<string, unknown>)[k] : undefined);
    const text = (x: unknown): string => (typeof x === 'string' ? x : '');
    row = {
      run: num(field(o, 'run')), point: num(field(o, 'point')), replicate: num(field(o, 'replicate')), seed: num(field(o, 'seed')), outcome: text(field(o, 'outcome')),
      checkpoints: layout.checkpoints.map((c) => text(field(field(o, 'checkpoints'), c))), tensions: layout.tensions.map((t) => num(field(field(o, 'tensions'), t))),
      steps: num(field(o, 'steps')), goldstein: num(field(o, 'goldstein')),
      ...(layout.exercise !== undefined ? { met: bool(field(o, 'met')), score: num(field(o, 'score')) } : {}),
    };
  }
  for (const [k, v] of Object.entries(row)) if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`bad ${k}`);
  if (row.tensions.some((t) => !Number.isFinite(t))) throw new Error('bad tension');
  return row;
}
