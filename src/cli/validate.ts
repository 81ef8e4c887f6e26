/** `parley validate`: every problem in every file, `file:line:col: message` (or `--json`), exit 2 if any. */
import type { Command } from 'commander';
import { validateFile } from '../scenario/exercise.ts';
import { EXIT, jsonReport, printIssues, type FileReport } from './io.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check scenario and exercise files and report every problem')
    .argument('<files...>', 'scenario or exercise files (.yaml or .json), or bundled ids')
    .option('--json', 'one JSON report on standard output (for editors and CI)')
    .action((files: string[], flags: { json?: boolean }) => {
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
    });
}
