/**
 * `parley report INPUT… --out report.html`: one self-contained HTML file of a study's figures
 * and provenance, from the files `parley batch --summary` (and `parley sensitivity`) wrote.
 */
import { basename } from 'node:path';
import { checkSummary, MAX_SUMMARY_BYTES, SUMMARY_FORMAT, type SummaryDoc } from '../batch/summary.ts';
import { UsageError } from '../scenario/errors.ts';
import { readJsonFile } from '../io/read.ts';
import { writeOutput } from '../io/output.ts';
import { renderReport, type ReportPage } from '../report/html.ts';
import { parseGroup, summaryFigures, summaryProvenance, type OutcomeGroup } from '../report/study.ts';
import type { Figure } from '../report/figures.ts';

export interface ReportFlags {
  out?: string;
  title?: string;
  group?: string[];
  force?: boolean;
}

/** A JSON output of Parley's, read bounded, with its kind. */
function readInput(file: string): { kind: 'summary'; doc: SummaryDoc } {
  const doc = readJsonFile(file, MAX_SUMMARY_BYTES, 'report inputs', { message: 'not a Parley output (it is not JSON)', hint: 'report reads the summaries that `parley batch --summary FILE` writes' });
  const format = typeof doc === 'object' && doc !== null ? (doc as { format?: unknown }).format : undefined;
  if (format === SUMMARY_FORMAT) return { kind: 'summary', doc: checkSummary(file, doc) };
  throw new UsageError(`not a file report can read (its format is ${typeof format === 'string' ? `\`${format.slice(0, 60)}\`` : 'not marked'})`, 'report reads the summaries that `parley batch --summary FILE` writes', file);
}

export async function reportCommand(files: readonly string[], flags: ReportFlags): Promise<void> {
  const out = flags.out;
  if (out === undefined) throw new UsageError('--out FILE is required', 'for example --out report.html', '--out');
  if (!/\.html?$/i.test(out)) throw new UsageError(`${out}: a report is HTML, so its name must end in .html`, undefined, '--out');
  const inputs = files.map((file) => ({ file, ...readInput(file) }));
  const sections: { heading: string; intro?: string; figures: Figure[] }[] = [];
  const notes: string[] = [];
  inputs.forEach(({ file, doc }, i) => {
    const groups: OutcomeGroup[] = (flags.group ?? []).map((g) => parseGroup(g, doc.layout.outcomes));
    const prefix = inputs.length > 1 ? `s${i + 1}-` : '';
    if (!doc.complete) notes.push(`${file} counts ${doc.runs} of ${doc.expected} runs: its batch did not finish (resume it, or merge its shards).`);
    sections.push({
      heading: inputs.length > 1 ? `${basename(file)}: ${doc.scenario.id}` : `Batch: ${doc.scenario.id}`,
      intro: `${doc.runs.toLocaleString('en-US')} runs over ${doc.points.length.toLocaleString('en-US')} design point${doc.points.length === 1 ? '' : 's'}.`,
      figures: summaryFigures(doc, groups, prefix),
    });
  });
  const scenarios = [...new Set(inputs.map((x) => x.doc.scenario.id))];
  const page: ReportPage = {
    title: flags.title ?? `Parley report: ${scenarios.join(', ')}`,
    subtitle: `${inputs.length} input${inputs.length === 1 ? '' : 's'}; every chart's data can be downloaded under it, and the table at the end says how to run each batch again.`,
    sections,
    provenance: inputs.map(({ file, doc }) => summaryProvenance(file, doc)),
    notes,
  };
  const html = await renderReport(page);
  writeOutput(out, html, { flag: '--out', inputs: files, replace: flags.force === true });
}
