/** Shared pieces of the command line: argument parsing, printing issues, exit statuses. */
import { randomInt } from 'node:crypto';
import { formatIssue, UsageError, type Issue } from '../scenario/errors.ts';
import { MAX_SEED } from '../engine/types.ts';
import { safeJson } from '../scenario/safe-text.ts';

/** Exit statuses: 0 success, 1 an internal error (with a stack), 2 bad input. */
export const EXIT = { ok: 0, internal: 1, input: 2 } as const;

export function parseSeed(text: string, flag = '--seed'): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > MAX_SEED) {
    throw new UsageError(`must be a whole number from 0 to ${MAX_SEED}, not \`${text}\``, undefined, flag);
  }
  return Number(text);
}

/** A seed for when the user gave none: the only place Parley draws unseeded randomness. */
export function pickSeed(): number {
  return randomInt(0, 2 ** 31);
}

/** `name=value` pairs from repeated `--set` options. */
export function parseSets(pairs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(pair);
    if (!m) throw new UsageError(`takes NAME=VALUE, not \`${pair}\``, 'e.g. --set strike_appetite=0.8', '--set');
    const value = Number(m[2]);
    if (!Number.isFinite(value) || m[2]!.trim() === '') throw new UsageError(`${m[1]}: \`${m[2]}\` is not a number`, undefined, '--set');
    out[m[1]!] = value;
  }
  return out;
}

export function printIssues(issues: readonly Issue[], stream: NodeJS.WritableStream = process.stderr): void {
  for (const issue of issues) stream.write(formatIssue(issue) + '\n');
}

/** One file's result in the `--json` report of `validate` and `lint`. */
export interface FileReport {
  readonly file: string;
  /** False when the file could not be loaded (its problems are then the loader's, all errors). */
  readonly loaded: boolean;
  readonly problems: readonly Issue[];
}

/**
 * The `--json` report of `validate` and `lint`: one document on standard output, every
 * problem with its place, severity and hint, for editors and CI annotations.
 */
export function jsonReport(command: 'validate' | 'lint', files: readonly FileReport[]): string {
  let errors = 0;
  let warnings = 0;
  const out = files.map((f) => ({
    file: f.file,
    loaded: f.loaded,
    problems: f.problems.map((i) => {
      const severity = i.severity ?? 'error';
      if (severity === 'warning') warnings++;
      else errors++;
      return { severity, line: i.line ?? null, column: i.column ?? null, path: i.path ?? null, message: i.message, hint: i.hint ?? null };
    }),
  }));
  return `${safeJson(JSON.stringify({ format: 'parley-problems', version: 1, command, errors, warnings, files: out }, null, 2))}\n`;
}
