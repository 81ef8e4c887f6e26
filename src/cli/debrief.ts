/** `parley debrief SESSION_FILES…`: one Markdown report comparing a class's saved sessions. */
import { classFiles, classMarkdown, readClass } from '../report/debrief.ts';
import { checkOutput, writeOutput } from '../io/output.ts';
import { UsageError } from '../scenario/errors.ts';

/** Runs of default play: time grows with them (about 30,000 runs/s on petro-trump), memory does not. */
export const MAX_DEBRIEF_RUNS = 1_000_000;

export async function debriefCommand(files: readonly string[], flags: { runs: string; out?: string; force?: boolean; exercise?: string; scenario?: string; html?: boolean }): Promise<void> {
  const runs = Number(flags.runs);
  if (!/^\d+$/.test(flags.runs) || runs < 1) throw new UsageError(`must be a whole number of at least 1, not \`${flags.runs}\``, undefined, '--runs');
  if (runs > MAX_DEBRIEF_RUNS) throw new UsageError(`${flags.runs.slice(0, 40)} is more than ${MAX_DEBRIEF_RUNS.toLocaleString('en-US')} runs of default play`, 'a million runs put every proportion within ±0.1 percentage points (the default 2000 within ±2.2), in about half a minute on petro-trump', '--runs');
  const klass = readClass(files, { ...(flags.exercise !== undefined ? { exercise: flags.exercise } : {}), ...(flags.scenario !== undefined ? { scenario: flags.scenario } : {}) });
  // The sessions, exercise and scenario it read are never written over, even with --force.
  const output = { flag: '--out', inputs: classFiles(files, klass), replace: flags.force === true };
  if (flags.html) {
    if (flags.out === undefined || !/\.html?$/i.test(flags.out)) throw new UsageError('--html writes a page: give --out FILE.html', undefined, '--out');
    checkOutput(flags.out, output);
    const [{ debriefPage }, { renderReport }] = await Promise.all([import('../report/debrief-html.ts'), import('../report/html.ts')]);
    writeOutput(flags.out, await renderReport(debriefPage(klass, runs, files)), output);
    return;
  }
  if (flags.out !== undefined) checkOutput(flags.out, output);
  const markdown = classMarkdown(klass, runs);
  if (flags.out !== undefined) writeOutput(flags.out, markdown, output);
  else process.stdout.write(markdown);
}
