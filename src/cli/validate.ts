/** `parley validate`: every problem in every file, `file:line:col: message` (or `--json`), exit 2 if any. */
import { validateFile } from '../scenario/exercise.ts';
import { EXIT, jsonReport, printIssues, type FileReport } from './io.ts';

export function validateCommand(files: readonly string[], flags: { json?: boolean }): void {
  const reports: FileReport[] = [];
  let bad = 0;
  for (const file of files) {
    const issues = validateFile(file);
    reports.push({ file, loaded: issues.length === 0, problems: issues });
    if (issues.length > 0) bad++;
    if (flags.json) continue;
    if (issues.length === 0) process.stdout.write(`${file}: ok\n`);
    else printIssues(issues);
  }
  if (flags.json) process.stdout.write(jsonReport('validate', reports));
  if (bad > 0) {
    if (!flags.json) process.stderr.write(`${bad} of ${files.length} file${files.length === 1 ? '' : 's'} ha${bad === 1 ? 's' : 've'} problems\n`);
    process.exitCode = EXIT.input;
  }
}
