/**
 * Design points from a file: one column per parameter, one row per point — a sample matrix that
 * SALib, EMA Workbench, R or a spreadsheet wrote (`parley batch --design FILE`), or the one that
 * `parley sensitivity --export-design` writes.
 *
 * Columns are separated by commas, tabs or spaces (numpy's `savetxt` uses spaces). The first
 * line names the parameters; a file of numbers only (SALib's `savetxt` writes no header) needs
 * the names from `--params a,b,c`, in column order. Lines starting with `#` are comments. Every
 * value must be a number within the parameter's declared range (and whole, or 0 or 1, for an
 * integer or a switch parameter). Every problem in the file is reported at once, by line and
 * column. A resume, a shard or a merge checks the points by the hash of their values (see
 * `pointList`), so reformatting the file changes nothing.
 */
import { createHash } from 'node:crypto';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { ParleyInputError, suggest, type Issue } from '../scenario/errors.ts';
import { ReadFailure, readTextBounded } from '../io/read.ts';
import type { ListSpec, PointList } from './design.ts';

/** Largest design file read: a million points of a dozen parameters as text. */
export const MAX_DESIGN_BYTES = 256 * 1024 * 1024;
/** Most problems listed from one file (the rest are counted). */
const MAX_PROBLEMS = 50;

export interface DesignFile {
  /** Parameter ids, in column order. */
  readonly params: readonly string[];
  /** One row of values per point, in column order. */
  readonly rows: readonly (readonly number[])[];
}

type Kinded = { readonly id: string; readonly min: number; readonly max: number; readonly kind?: string };

const splitLine = (line: string): { text: string; column: number }[] => {
  const out: { text: string; column: number }[] = [];
  const re = /[^,\t ]+/g;
  // Commas separate fields even when empty; spaces and tabs only separate.
  if (line.includes(',')) {
    let column = 1;
    for (const part of line.split(',')) {
      const lead = part.length - part.trimStart().length;
      out.push({ text: part.trim(), column: column + lead });
      column += part.length + 1;
    }
    return out;
  }
  for (let m = re.exec(line); m; m = re.exec(line)) out.push({ text: m[0], column: m.index + 1 });
  return out;
};

const isNumber = (s: string): boolean => s !== '' && Number.isFinite(Number(s));

/** Reads and checks a design file against a scenario's parameters. */
export function readDesignFile(file: string, def: ScenarioDefinition, named?: readonly string[]): DesignFile {
  let text: string;
  try {
    text = readTextBounded(file, MAX_DESIGN_BYTES, 'design files');
  } catch (error) {
    if (!(error instanceof ReadFailure)) throw error;
    throw new ParleyInputError([{ file, message: `cannot read it: ${error.problem.message}`, ...(error.problem.hint ? { hint: error.problem.hint } : {}) }]);
  }
  const issues: Issue[] = [];
  let more = 0;
  const problem = (line: number, column: number, message: string, hint?: string) => {
    if (issues.length >= MAX_PROBLEMS) more++;
    else issues.push({ file, line, column, message, ...(hint ? { hint } : {}) });
  };
  const byId = new Map<string, Kinded>(def.parameters.map((p) => [p.id, p as Kinded]));
  const ids = def.parameters.map((p) => p.id);
  const lines = text.split(/\r?\n/);
  let params: string[] | null = null;
  const rows: number[][] = [];
  let headerLine = 0;
  for (let l = 0; l < lines.length; l++) {
    const raw = lines[l]!;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const fields = splitLine(raw);
    const lineNo = l + 1;
    if (params === null) {
      if (fields.every((f) => isNumber(f.text))) {
        if (!named) {
          problem(lineNo, 1, 'the first line is numbers, so the columns have no names', `name them with --params ${ids.slice(0, fields.length).join(',')} (in column order), or add a first line of parameter names`);
          return fail(issues, more);
        }
        params = [...named];
      } else {
        headerLine = lineNo;
        params = fields.map((f) => f.text.replace(/^"(.*)"$/, '$1'));
        const seen = new Set<string>();
        params.forEach((p, i) => {
          const column = fields[i]!.column;
          if (!byId.has(p)) problem(lineNo, column, `\`${p}\` is not a parameter of ${def.id}`, suggest(p, ids, 'parameter'));
          else if (seen.has(p)) problem(lineNo, column, `\`${p}\` names two columns`);
          seen.add(p);
        });
        if (named && named.join(',') !== params.join(',')) problem(lineNo, 1, `the first line names ${params.join(', ')}, but --params says ${named.join(', ')}`, 'leave out --params: the file names its columns');
        continue;
      }
    }
    if (fields.length !== params.length) {
      problem(lineNo, 1, `${fields.length} values, but ${headerLine ? `line ${headerLine} names` : '--params names'} ${params.length} parameters`);
      continue;
    }
    const row: number[] = [];
    fields.forEach((f, i) => {
      const p = byId.get(params![i]!);
      const value = Number(f.text);
      if (!isNumber(f.text)) problem(lineNo, f.column, `\`${f.text.slice(0, 40)}\` is not a number`);
      else if (p && (value < p.min || value > p.max)) problem(lineNo, f.column, `${value} is outside the range of ${p.id}, [${p.min}, ${p.max}]`, 'the scenario declares the range; rescale the sample to it');
      else if (p?.kind === 'switch' && value !== 0 && value !== 1) problem(lineNo, f.column, `${p.id} is a switch: 0 or 1, not ${value}`);
      else if (p?.kind === 'integer' && !Number.isInteger(value)) problem(lineNo, f.column, `${p.id} takes whole numbers, not ${value}`);
      row.push(value);
    });
    rows.push(row);
  }
  if (params === null) problem(1, 1, 'the file has no points', 'one line of parameter names, then one line of values per point');
  else if (rows.length === 0 && issues.length === 0) problem(headerLine || 1, 1, 'the file names the parameters but has no points');
  if (params && named && headerLine === 0) {
    named.forEach((p) => {
      if (!byId.has(p)) issues.push({ file: '--params', message: `\`${p}\` is not a parameter of ${def.id}`, ...(suggest(p, ids, 'parameter') ? { hint: suggest(p, ids, 'parameter')! } : {}) });
    });
  }
  if (issues.length) return fail(issues, more);
  return { params: params!, rows };
}

function fail(issues: Issue[], more: number): never {
  if (more > 0) issues.push({ file: issues[0]!.file, message: `and ${more} more problem${more === 1 ? '' : 's'}` });
  throw new ParleyInputError(issues);
}

/** A design as a file `readDesignFile` reads: a header of names, then one line per point. */
export function formatDesignFile(params: readonly string[], rows: readonly (readonly number[])[]): string {
  return [params.join(','), ...rows.map((r) => r.map(String).join(','))].join('\n') + '\n';
}

/** A list of design points, with its spec: the hash is of the points' text as `formatDesignFile` writes it. */
export function pointList(spec: Omit<ListSpec, 'hash' | 'points'>, rows: readonly (readonly number[])[]): PointList {
  const hash = createHash('sha256').update(formatDesignFile(spec.params, rows)).digest('hex');
  return { spec: { ...spec, points: rows.length, hash }, rows };
}
