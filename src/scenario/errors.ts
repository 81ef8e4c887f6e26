/**
 * Authoring errors: problems in something a user wrote (a scenario file, an exercise, a CLI
 * argument, a saved session). They carry structured context so that every front end can
 * print `file:line:col: message` with a hint, and the CLI exits with status 2 without a stack.
 *
 * Rule violations during play (a lever that is not available) are *values*, not errors: see
 * `Rejection` in the engine.
 */

import { safeText } from '../report/safe-text.ts';

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
    super(issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}

/** A scenario, exercise or session file that cannot be used. Holds every issue found in the file. */
export class ScenarioError extends ParleyInputError {
  override readonly name = 'ScenarioError';
}

/** A bad command-line argument. */
export class UsageError extends ParleyInputError {
  override readonly name = 'UsageError';
  constructor(message: string, hint?: string, file = 'parley') {
    super([{ file, message, ...(hint ? { hint } : {}) }]);
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

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), case-insensitive. */
export function levenshtein(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return 0;
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[x.length]![y.length]!;
}

/**
 * The closest known name to `name`, as a hint (`did you mean `eln`?`), or the list of valid
 * names when there is no close one and the list is short.
 */
export function suggest(name: string, known: Iterable<string>, what = 'name'): string | undefined {
  const names = [...known];
  if (names.length === 0) return `no ${what}s are declared`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    let distance = levenshtein(name, candidate);
    // A prefix relation (`eln` / `eln_risk`) makes a likely match.
    if (candidate.toLowerCase().startsWith(name.toLowerCase()) || name.toLowerCase().startsWith(candidate.toLowerCase())) {
      distance = Math.min(distance, 1.5) - 0.5;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length * 0.4))) return `did you mean \`${best}\`?`;
  if (names.length <= 12) return `valid ${what}s: ${names.map((n) => `\`${n}\``).join(', ')}`;
  return undefined;
}
