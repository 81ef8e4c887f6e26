/**
 * Row and rounds files as Parquet (`--out rows.parquet`, `--rounds rounds.parquet`, or a merge
 * of CSV shards into `rows.parquet`): typed columns (whole numbers as INT64 or INT32, values as
 * DOUBLE, names and codes as strings), written in row groups as the rows come, through
 * hyparquet-writer (pure JavaScript, no native code). The provenance a CSV file keeps in its `#`
 * header line goes into the file's key-value metadata: `parley` holds the whole header as JSON,
 * and `parley.scenario.id`, `parley.scenario.hash`, `parley.engine`, `parley.command`,
 * `parley.design` its parts.
 *
 * A Parquet file ends with its footer, so it cannot be appended to: it is written beside its
 * name and put in place when complete. A batch that may need `--resume` writes CSV or JSONL
 * and merges them into Parquet at the end (see docs/batch.md).
 */
import { closeSync, existsSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { UsageError } from '../scenario/errors.ts';
import { writeError } from '../io/output.ts';
import { splitCsv } from './rows.ts';

export const isParquet = (path: string): boolean => /\.parquet$/i.test(path);

/** How a column is stored: whole numbers, values, or text. */
type Kind = 'INT64' | 'INT32' | 'DOUBLE' | 'STRING';

/** The Parquet type of each column of a row file or a rounds file, by its name. */
export function columnKind(name: string): Kind {
  if (name === 'run' || name === 'point' || name === 'replicate' || name === 'seed') return 'INT64';
  if (name === 'steps' || name === 'round' || name === 'phase_round') return 'INT32';
  if (/^(param|tension|derived)\./.test(name) || name === 'goldstein') return 'DOUBLE';
  return 'STRING';
}

/** Rows per row group: a few megabytes of columns in memory at a time. */
const ROW_GROUP = 65_536;

/** A Parquet file written from CSV row text, a row group at a time. */
export class ParquetSink {
  private readonly kinds: Kind[];
  private columns: (number[] | string[])[];
  private rows = 0;
  private readonly writer: ParquetWriter;
  private readonly bytes = new ByteWriter();
  private readonly fd: number;
  private readonly temp: string;
  private done = false;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly names: readonly string[],
    /** The header a CSV file of the same rows would start with. */
    provenance: { readonly scenario: { readonly id: string; readonly hash: string }; readonly parley: string; readonly command: readonly string[]; readonly design: object },
    private readonly flag = '--out',
  ) {
    this.kinds = names.map(columnKind);
    this.columns = this.fresh();
    this.temp = `${file}.${process.pid}.partial`;
    try {
      this.fd = openSync(this.temp, 'wx');
    } catch (error) {
      throw writeError(this.temp, flag, error);
    }
    const kv = [
      { key: 'parley', value: JSON.stringify(provenance) },
      { key: 'parley.scenario.id', value: provenance.scenario.id },
      { key: 'parley.scenario.hash', value: provenance.scenario.hash },
      { key: 'parley.engine', value: provenance.parley },
      { key: 'parley.command', value: JSON.stringify(provenance.command) },
      { key: 'parley.design', value: JSON.stringify(provenance.design) },
    ];
    const schema = schemaFromColumnData({ columnData: names.map((name, i) => ({ name, data: [], type: this.kinds[i]!, nullable: false })) });
    this.writer = new ParquetWriter({ writer: this.bytes, schema, kvMetadata: kv, createdBy: 'parley (hyparquet-writer)' });
  }

  private fresh(): (number[] | string[])[] {
    return this.kinds.map(() => []);
  }

  /** Appends CSV rows (whole lines, as a batch's chunk gives them). */
  addCsv(text: string): void {
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end < 0 ? text.length : end);
      start = end < 0 ? text.length : end + 1;
      if (line === '') continue;
      const fields = splitCsv(line);
      if (fields.length !== this.names.length) throw new Error(`a row of ${fields.length} fields for ${this.names.length} columns`);
      for (let c = 0; c < fields.length; c++) {
        const kind = this.kinds[c]!;
        (this.columns[c] as (number | string)[]).push(kind === 'STRING' ? fields[c]! : Number(fields[c]));
      }
      if (++this.rows === ROW_GROUP) this.flush();
    }
  }

  private flush(): void {
    if (this.rows === 0) return;
    const columnData = this.names.map((name, c) => {
      const kind = this.kinds[c]!;
      const values = this.columns[c]!;
      const data = kind === 'INT64' ? BigInt64Array.from(values as number[], (v) => BigInt(v)) : kind === 'INT32' ? Int32Array.from(values as number[]) : kind === 'DOUBLE' ? Float64Array.from(values as number[]) : (values as string[]);
      return { name, data, type: kind, nullable: false };
    });
    this.writer.write({ columnData, rowGroupSize: this.rows });
    this.columns = this.fresh();
    this.rows = 0;
    this.drain();
  }

  /** Moves the encoded bytes to the file. */
  private drain(): void {
    const b = this.bytes;
    try {
      let at = 0;
      const view = new Uint8Array(b.buffer, 0, b.index);
      while (at < view.length) at += writeSync(this.fd, view, at, view.length - at);
    } catch (error) {
      throw writeError(this.file, this.flag, error);
    }
    b.index = 0;
  }

  /** Writes the last row group and the footer, and puts the file in place. */
  finish(): void {
    this.flush();
    this.writer.finish();
    this.drain();
    this.closed = true;
    closeSync(this.fd);
    this.done = true;
    renameSync(this.temp, this.file);
  }

  /** Drops the file being written (an interrupted or failed batch). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    // Closed once only: a number closed before may belong to another file by now.
    if (!this.closed) {
      this.closed = true;
      try {
        closeSync(this.fd);
      } catch {
        // nothing more to do with it
      }
    }
    if (existsSync(this.temp)) unlinkSync(this.temp);
  }
}

/** Parquet files are written whole: what --resume says to one. */
export function noParquetResume(flag: string): UsageError {
  return new UsageError(
    `a Parquet file is written whole (its footer comes last), so a batch cannot resume into it`,
    'for a batch you may need to resume, write CSV or JSONL with --resume, then `parley merge --rows rows.csv --out rows.parquet`',
    flag,
  );
}
