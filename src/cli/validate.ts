/** `parley validate`: every problem in every file, `file:line:col: message`, exit 2 if any. */
import type { Command } from 'commander';
import { validateScenarioFile } from '../scenario/load.ts';
import { EXIT, printIssues } from './io.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check scenario files and report every problem')
    .argument('<files...>', 'scenario files (.yaml or .json) or bundled ids')
    .action((files: string[]) => {
      let bad = 0;
      for (const file of files) {
        const issues = validateScenarioFile(file);
        if (issues.length === 0) process.stdout.write(`${file}: ok\n`);
        else {
          bad++;
          printIssues(issues);
        }
      }
      if (bad > 0) {
        process.stderr.write(`${bad} of ${files.length} file${files.length === 1 ? '' : 's'} ha${bad === 1 ? 's' : 've'} problems\n`);
        process.exitCode = EXIT.input;
      }
    });
}
