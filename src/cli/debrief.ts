/** `parley debrief SESSION_FILES…`: one Markdown report comparing a class's saved sessions. */
import type { Command } from 'commander';
import { classFiles, classMarkdown, readClass } from '../report/debrief.ts';
import { checkOutput, writeOutput } from '../io/output.ts';
import { UsageError } from '../scenario/errors.ts';

/** Runs of default play: time grows with them (about 30,000 runs/s on petro-trump), memory does not. */
export const MAX_DEBRIEF_RUNS = 1_000_000;

export function registerDebrief(program: Command): void {
  program
    .command('debrief')
    .description("compare a class's saved sessions: paths, outcomes, objectives, scores, and default play")
    .argument('<sessions...>', 'session files saved with `s` in parley play')
    .option('--runs <n>', 'seeded runs of default play to compare with', '2000')
    .option('--out <file>', 'write the Markdown report to a file instead of standard output (never over an existing file without --force)')
    .option('--force', 'replace an existing --out file')
    .option('--exercise <id|file>', "the class's exercise, when the sessions' saved path does not lead to it")
    .option('--scenario <id|file>', "the class's scenario (sessions without an exercise), when the saved path does not lead to it")
    .action((files: string[], flags: { runs: string; out?: string; force?: boolean; exercise?: string; scenario?: string }) => {
      const runs = Number(flags.runs);
      if (!/^\d+$/.test(flags.runs) || runs < 1) throw new UsageError(`must be a whole number of at least 1, not \`${flags.runs}\``, undefined, '--runs');
      if (runs > MAX_DEBRIEF_RUNS) throw new UsageError(`${flags.runs.slice(0, 40)} is more than ${MAX_DEBRIEF_RUNS.toLocaleString('en-US')} runs of default play`, 'a million runs put every proportion within ±0.1 percentage points (the default 2000 within ±2.2), in about half a minute on petro-trump', '--runs');
      const klass = readClass(files, { ...(flags.exercise !== undefined ? { exercise: flags.exercise } : {}), ...(flags.scenario !== undefined ? { scenario: flags.scenario } : {}) });
      // The sessions, exercise and scenario it read are never written over, even with --force.
      const output = { flag: '--out', inputs: classFiles(files, klass), replace: flags.force === true };
      if (flags.out !== undefined) checkOutput(flags.out, output);
      const markdown = classMarkdown(klass, runs);
      if (flags.out !== undefined) writeOutput(flags.out, markdown, output);
      else process.stdout.write(markdown);
    });
}
