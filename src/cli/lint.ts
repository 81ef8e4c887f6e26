/**
 * `parley lint`: static and sampled checks of scenario files, `file:line:col: severity: message`
 * with a hint (or one JSON report with `--json`). Exit 0 when there are no errors (warnings allowed), 1 when there are errors,
 * 2 when a file cannot be loaded or an argument is wrong.
 */
import { formatIssue, isParleyInputError, UsageError, type Issue } from '../scenario/errors.ts';
import { lintFile, type LintProgress } from '../analysis/lint.ts';
import { LINT_TURN_BUDGET } from '../analysis/lint-limits.ts';
import { EXIT, jsonReport, printIssues, type FileReport } from './io.ts';

export function lintCommand(files: readonly string[], flags: { runs?: string; json?: boolean }): void {
  if (flags.runs !== undefined && (!/^\d+$/.test(flags.runs) || Number(flags.runs) > 100_000)) throw new UsageError(`must be a whole number from 0 to 100000, not \`${flags.runs}\``, undefined, '--runs');
  const runs = flags.runs === undefined ? undefined : Number(flags.runs);
  let errors = 0;
  let bad = 0;
  const reports: FileReport[] = [];
  for (const file of files) {
    let findings: Issue[];
    try {
      findings = lintFile(file, { ...(runs !== undefined ? { runs } : {}), onProgress: progressReporter(file) });
    } catch (error) {
      if (!isParleyInputError(error)) throw error;
      reports.push({ file, loaded: false, problems: error.issues });
      if (!flags.json) printIssues(error.issues);
      bad++;
      continue;
    }
    reports.push({ file, loaded: true, problems: findings });
    const e = findings.filter((f) => f.severity !== 'warning').length;
    const w = findings.length - e;
    errors += e;
    if (flags.json) continue;
    for (const f of findings) process.stdout.write(formatFinding(f) + '\n');
    process.stderr.write(`${file}: ${e === 0 && w === 0 ? 'clean' : `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`}\n`);
  }
  if (flags.json) process.stdout.write(jsonReport('lint', reports));
  if (bad > 0) process.exitCode = EXIT.input;
  else if (errors > 0) process.exitCode = 1;
}

/** Like `formatIssue`, with the severity spelled out for errors too: `file:line:col: error: message`. */
export function formatFinding(issue: Issue): string {
  if (issue.severity === 'warning') return formatIssue(issue);
  const plain = formatIssue({ ...issue, severity: 'warning' });
  return plain.replace(': warning: ', ': error: ');
}

/** Seconds of sampling before progress is shown, and between two progress lines. */
const PROGRESS_EVERY_MS = 2000;

/**
 * What the sampled checks do, on stderr: a line when the default sample is reduced for a long
 * scenario, and while sampling takes long, how far it is.
 */
function progressReporter(file: string): (progress: LintProgress) => void {
  let next = Date.now() + PROGRESS_EVERY_MS;
  return (p) => {
    if (p.done === 0) {
      if (p.runs < p.requested) {
        process.stderr.write(`${file}: a run has ${p.turns.toLocaleString('en')} turns: sampling ${p.runs} runs per policy instead of ${p.requested} (at most ${LINT_TURN_BUDGET.toLocaleString('en')} turns in all; --runs sets the number)\n`);
      }
      return;
    }
    const now = Date.now();
    if (now < next || p.done === p.total) return;
    next = now + PROGRESS_EVERY_MS;
    process.stderr.write(`${file}: sampled ${p.done} of ${p.total} runs…\n`);
  };
}
