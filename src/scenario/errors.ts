/**
 * Authoring errors: problems in something a user wrote (a scenario file, an exercise, a CLI
 * argument, a saved session). They carry structured context so that every front end can
 * print `file:line:col: message` with a hint, and the CLI exits with status 2 without a stack.
 *
 * Rule violations during play (a lever that is not available) are *values*, not errors: see
 * `Rejection` in the engine.
 */

import { safeText } from './safe-text.ts';

/** One problem found in a user's input. */
export interface Issue {
  /** Path of the file, or a label such as `--seed` for a CLI argument. */
  readonly file: string;
  /** 1-based line, when the problem has a place in the file. */
  readonly line?: number;
  /** 1-based column, when the problem has a place in the file. */
  readonly column?: number;
  /** Path inside the document, e.g. `levers.show_record.branches.noted.p`. */
  readonly path?: string;
  readonly message: string;
  /** What would fix it, e.g. "did you mean `eln`?". */
  readonly hint?: string;
  /** Findings of the linter may be warnings; everything the loader reports is an error. */
  readonly severity?: 'error' | 'warning';
}

/** Base class of every error caused by user input. `name` is a literal so guards work across copies. */
export class ParleyInputError extends Error {
  override readonly name: string = 'ParleyInputError';
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[], options?: { cause?: unknown }) {
    const clipped = issues.map(clipIssue);
    super(clipped.map(formatIssue).join('\n'), options);
    this.issues = clipped;
  }
}

/** A scenario, exercise or session file that cannot be used. Holds every issue found in the file. */
export class ScenarioError extends ParleyInputError {
  override readonly name = 'ScenarioError';
}

/**
 * A scenario named by something that is neither a bundled id nor a file: `ref` as it was given,
 * and `nearest`, the bundled id close to it that the hint offers ("did you mean"), if any.
 */
export class UnknownScenarioError extends ScenarioError {
  readonly ref: string;
  readonly nearest: string | undefined;
  constructor(ref: string, bundled: readonly string[]) {
    super([{ file: ref, message: `no bundled scenario \`${ref}\`, and no such file`, hint: suggest(ref, bundled, 'scenario id') ?? 'run `parley scenarios` for the bundled ids' }]);
    this.ref = ref;
    this.nearest = closest(ref, bundled);
  }
}

/** A bad command-line argument. */
export class UsageError extends ParleyInputError {
  override readonly name = 'UsageError';
  constructor(message: string, hint?: string, file = 'parley') {
    super([{ file, message, ...(hint ? { hint } : {}) }]);
  }
}

/**
 * A policy that the scenario does not have, named by `--policy` (or by an option that stands for
 * it): `policy` is the name given, `known` the scenario's policies. Its `name` stays `UsageError`,
 * so that every guard takes it as one.
 */
export class UnknownPolicyError extends UsageError {
  readonly policy: string;
  readonly known: readonly string[];
  readonly flag = '--policy';
  constructor(policy: string, known: readonly string[], scenario: string) {
    super(`unknown policy \`${policy}\``, `policies of ${scenario}: ${known.join(', ')}`, '--policy');
    this.policy = policy;
    this.known = known;
  }
}

export function isParleyInputError(error: unknown): error is ParleyInputError {
  return (
    typeof error === 'object' &&
    error !== null &&
    Array.isArray((error as { issues?: unknown }).issues) &&
    ['ParleyInputError', 'ScenarioError', 'UsageError'].includes((error as Error).name)
  );
}

/** `file:line:col: message (hint)`; the place is left out where there is none. */
export function formatIssue(issue: Issue): string {
  let where = issue.file;
  if (issue.line !== undefined) {
    where += `:${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  const hint = issue.hint ? `\n  hint: ${issue.hint}` : '';
  // Names and paths in a message come from files: shown with their control characters escaped.
  return safeText(`${where}: ${severity}${issue.message}${hint}`);
}

/** Longest piece of a user's text that a message repeats. */
export const MAX_ECHO = 60;

/** A user's text as a message repeats it: at most `MAX_ECHO` characters, then `…`. */
export function clip(text: string, max = MAX_ECHO): string {
  if (text.length <= max) return text;
  // Do not cut a surrogate pair in two.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/**
 * Every `quoted` span of a message or hint clipped: names and expressions from a file can be
 * megabytes long, and a message repeats only their start.
 */
export function clipQuoted(text: string): string {
  return text.length <= MAX_ECHO ? text : text.replace(/`([^`]*)`/g, (whole, inner: string) => (inner.length > MAX_ECHO ? `\`${clip(inner)}\`` : whole));
}

function clipIssue(issue: Issue): Issue {
  const message = clipQuoted(issue.message);
  const hint = issue.hint === undefined ? undefined : clipQuoted(issue.hint);
  const path = issue.path !== undefined && issue.path.length > 4 * MAX_ECHO ? clip(issue.path, 4 * MAX_ECHO) : issue.path;
  if (message === issue.message && hint === issue.hint && path === issue.path) return issue;
  return { ...issue, message, ...(hint !== undefined ? { hint } : {}), ...(path !== undefined ? { path } : {}) };
}

/** Names longer than this get no "did you mean" (and ids are at most 64 characters). */
export const MAX_SUGGEST_LENGTH = 64;

/**
 * Edit distance counting a swap of neighbours as one edit (optimal string alignment),
 * case-insensitive, computed only as far as `max`: any distance above it comes back as
 * `max + 1`. A band of width `2 * max + 1` around the diagonal, two rows back, and an early
 * exit when a whole row is above `max`: time O(length × max), memory O(length).
 */
export function levenshtein(a: string, b: string, max = Infinity): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return 0;
  const over = Number.isFinite(max) ? max + 1 : Infinity;
  if (Math.abs(x.length - y.length) > max) return over;
  const band = Number.isFinite(max) ? max : Math.max(x.length, y.length);
  const m = y.length;
  let prev2 = new Array<number>(m + 1).fill(Infinity);
  let prev = Array.from({ length: m + 1 }, (_, j) => (j <= band ? j : Infinity));
  let row = new Array<number>(m + 1).fill(Infinity);
  for (let i = 1; i <= x.length; i++) {
    const lo = Math.max(1, i - band);
    const hi = Math.min(m, i + band);
    // Cells outside the band are never written, so they stay infinite; only the one left of it is reset.
    row[0] = i <= band ? i : Infinity;
    row[lo - 1] = lo === 1 ? row[0] : Infinity;
    let best = row[lo - 1]!;
    for (let j = lo; j <= hi; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      row[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return over;
    [prev2, prev, row] = [prev, row, prev2];
  }
  const d = prev[m]!;
  return d > max ? over : d;
}

/**
 * The closest known name to `name`, as a hint (`did you mean `eln`?`), or the list of valid
 * names when there is no close one and the list is short. Only names of at most
 * `MAX_SUGGEST_LENGTH` characters are compared, each only as far as it could still win.
 */
export function suggest(name: string, known: Iterable<string>, what = 'name'): string | undefined {
  const names = [...known];
  if (names.length === 0) return `no ${what}s are declared`;
  const best = closest(name, names);
  if (best !== undefined) return `did you mean \`${best}\`?`;
  if (names.length <= 12) return `valid ${what}s: ${names.map((n) => `\`${clip(n)}\``).join(', ')}`;
  return undefined;
}

/** The known name close enough to `name` for `suggest` to ask "did you mean" it, if there is one. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  if (name.length <= MAX_SUGGEST_LENGTH) {
    const lower = name.toLowerCase();
    for (const candidate of known) {
      if (candidate.length > MAX_SUGGEST_LENGTH) continue;
      const c = candidate.toLowerCase();
      // A prefix relation (`eln` / `eln_risk`) makes a likely match.
      const prefix = c.startsWith(lower) || lower.startsWith(c);
      // Only a distance below the best so far matters, and none above the largest accepted one.
      const cap = prefix ? 1 : Math.min(Math.ceil(bestDistance) - 1, Math.floor(MAX_SUGGEST_LENGTH * 0.4));
      if (cap < 0) continue;
      let distance = levenshtein(name, candidate, cap);
      if (prefix) distance = Math.min(distance, 1.5) - 0.5;
      else if (distance > cap) continue;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = candidate;
      }
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length * 0.4)) ? best : undefined;
}
