/**
 * `parley report INPUT… --out report.html`: one self-contained HTML file of a study's figures
 * and provenance, from what `parley batch` (summaries, row files, trajectory files) and
 * `parley sensitivity` (results) wrote. Each input is recognised by its header, not its name.
 */
import { basename } from 'node:path';
import { checkSummary, MAX_SUMMARY_BYTES, SUMMARY_FORMAT, type SummaryDoc } from '../batch/summary.ts';
import { ROWS_FORMAT } from '../batch/rows.ts';
import { ROUNDS_FORMAT } from '../batch/rounds.ts';
import { UsageError } from '../scenario/errors.ts';
import { headLines } from '../io/files.ts';
import { readJsonFile } from '../io/read.ts';
import { writeOutput } from '../io/output.ts';
import { renderReport, type ReportPage } from '../report/html.ts';
import { provenanceOf, summaryFigures, type Provenance } from '../report/study.ts';
import { parseGroups } from '../batch/study.ts';
import { fanChart, indexBars, meanSeries, outcomeShares, spreadBars, tornado, type Figure } from '../report/figures.ts';
import { digestRounds, digestRows } from '../report/trajectories.ts';
import { SENSITIVITY_FORMAT, type SensitivityDoc } from '../batch/sensitivity.ts';
import { shellCommand } from '../io/files.ts';

export interface ReportFlags {
  out?: string;
  title?: string;
  group?: string[];
  force?: boolean;
}

const READS = 'report reads batch summaries (--summary), row files (--out), trajectory files (--rounds) and sensitivity results (--result)';

type Section = { heading: string; intro?: string; figures: Figure[] };

/** What kind of Parley output a file is, from its first line. */
function kindOf(file: string): 'json' | 'rows' | 'rounds' {
  let first: string | undefined;
  try {
    [first] = headLines(file);
  } catch (error) {
    throw new UsageError(`cannot read it: ${(error as Error).message}`, undefined, file);
  }
  const line = (first ?? '').trim();
  if (line === '{' || line === '') return 'json';
  try {
    const format = (JSON.parse(line.startsWith('# ') ? line.slice(2) : line) as { format?: unknown }).format;
    if (format === ROWS_FORMAT) return 'rows';
    if (format === ROUNDS_FORMAT) return 'rounds';
  } catch {
    // not a one-line header: a JSON document, or not Parley's
  }
  return 'json';
}

async function readInput(file: string, index: number, several: boolean, groupFlags: readonly string[]): Promise<{ section: Section; provenance: Provenance; notes: string[] }> {
  const prefix = several ? `s${index + 1}-` : '';
  const name = (what: string, id: string) => (several ? `${basename(file)}: ${what} of ${id}` : `${what[0]!.toUpperCase()}${what.slice(1)} of ${id}`);
  const kind = kindOf(file);
  if (kind === 'rows') {
    const d = await digestRows(file);
    return {
      section: {
        heading: name('runs', d.header.scenario.id), intro: `${d.runs.toLocaleString('en-US')} runs, read row by row.`,
        figures: [
          outcomeShares(`${prefix}shares`, `Outcomes (${d.runs.toLocaleString('en-US')} runs)`, d.outcomes, d.moments),
          spreadBars(`${prefix}tensions`, 'Final tensions', 'Each tension at the end of the runs: the line spans 90% of the runs, the bar the middle half, the tick is the median (to within 0.05).', d.tensions, 'value at the end (0–100)'),
        ],
      },
      provenance: provenanceOf(file, 'run rows', d.header, d.runs),
      notes: [],
    };
  }
  if (kind === 'rounds') {
    const d = await digestRounds(file);
    return {
      section: {
        heading: name('trajectories', d.header.scenario.id), intro: `${d.runs.toLocaleString('en-US')} runs, round by round.`,
        figures: [
          fanChart(`${prefix}fans`, 'Tensions over the rounds', 'round', d.fans, 'Each tension at the end of each round: the line is the median over the runs, the dark band the middle half, the light band 90% of the runs.'),
          meanSeries(`${prefix}goldstein`, 'Goldstein score per round', "The mean over the runs of each round's summed Goldstein weights (cooperation above zero, conflict below), with its 95% interval.", d.goldstein, 'Goldstein score'),
        ],
      },
      provenance: provenanceOf(file, 'trajectories', d.header, d.runs),
      notes: [],
    };
  }
  const doc = readJsonFile(file, MAX_SUMMARY_BYTES, 'report inputs', { message: 'not a Parley output (it is not JSON)', hint: READS });
  const format = typeof doc === 'object' && doc !== null ? (doc as { format?: unknown }).format : undefined;
  if (format === SUMMARY_FORMAT) {
    const s: SummaryDoc = checkSummary(file, doc);
    const groups = parseGroups(groupFlags, s.layout.outcomes);
    return {
      section: { heading: name('batch', s.scenario.id), intro: `${s.runs.toLocaleString('en-US')} runs over ${s.points.length.toLocaleString('en-US')} design point${s.points.length === 1 ? '' : 's'}.`, figures: summaryFigures(s, groups, prefix) },
      provenance: provenanceOf(file, 'batch summary', s, s.runs),
      notes: s.complete ? [] : [`${file} counts ${s.runs} of ${s.expected} runs: its batch did not finish (resume it, or merge its shards).`],
    };
  }
  if (format === SENSITIVITY_FORMAT) return sensitivitySection(file, checkSensitivity(file, doc), prefix, name);
  throw new UsageError(`not a file report can read (its format is ${typeof format === 'string' ? `\`${format.slice(0, 60)}\`` : 'not marked'})`, READS, file);
}

/** The fields a report reads of a sensitivity result, checked. */
function checkSensitivity(file: string, doc: unknown): SensitivityDoc {
  const d = doc as Partial<SensitivityDoc>;
  const ok = typeof d.method === 'string' && ['sobol', 'morris', 'oat'].includes(d.method) && typeof d.scenario?.id === 'string' && Array.isArray(d.command) && typeof d.indices === 'object' && d.indices !== null && typeof d.measure?.name === 'string' && typeof d.runs === 'number';
  const arrays = d.method === 'sobol' ? [d.indices?.first, d.indices?.total] : d.method === 'morris' ? [d.indices?.muStar] : [d.indices?.oat];
  if (!ok || arrays.some((a) => !Array.isArray(a) || a.some((r) => typeof r?.param !== 'string'))) throw new UsageError('not a valid sensitivity result (fields are missing or of the wrong type)', 'results are the files `parley sensitivity --result FILE` writes; this one was changed or damaged', file);
  return d as SensitivityDoc;
}

function sensitivitySection(file: string, d: SensitivityDoc, prefix: string, name: (what: string, id: string) => string): { section: Section; provenance: Provenance; notes: string[] } {
  const ix = d.indices;
  const noise = ix.noise.ratio === null ? '' : ` Monte Carlo noise within a point is ${(ix.noise.ratio * 100).toFixed(1)}% of the variance between points${ix.noise.ratio > 0.2 ? ': much of the spread is noise' : ''}.`;
  const figures: Figure[] = [];
  if (d.method === 'sobol') {
    figures.push(indexBars(`${prefix}sobol`, `Sobol indices of ${d.measure.name}`, `Total index: the share of the measure's variance a parameter takes part in, alone or with others; first-order: alone. Whiskers are 95% bootstrap intervals.${noise}`,
      [...ix.total!.map((e) => ({ param: e.param, index: 'total', value: e.value, lo: e.ci[0], hi: e.ci[1] })), ...ix.first!.map((e) => ({ param: e.param, index: 'first-order', value: e.value, lo: e.ci[0], hi: e.ci[1] }))], 'index'));
  } else if (d.method === 'morris') {
    figures.push(indexBars(`${prefix}morris`, `Morris elementary effects on ${d.measure.name}`, `μ*: the mean absolute change of the measure when a parameter moves across its range; whiskers are 95% bootstrap intervals. σ (in the data) is large where a parameter acts through others.${noise}`,
      ix.muStar!.map((e) => ({ param: e.param, index: 'μ*', value: e.value, lo: e.ci[0], hi: e.ci[1] })), 'μ*'));
  } else {
    figures.push(tornado(`${prefix}oat`, `One at a time: ${d.measure.name}`, d.measure.name, ix.centre!, ix.oat!));
  }
  return {
    section: { heading: name('sensitivity', d.scenario.id), intro: `${d.points.toLocaleString('en-US')} points × ${d.runsPerPoint} runs (${d.runs.toLocaleString('en-US')} runs), seed ${d.seed}.`, figures },
    provenance: { file, kind: `${d.method} sensitivity`, scenario: d.scenario.id, hash: d.scenario.hash, engine: d.parley, command: shellCommand(d.command), design: `${d.method}, parameters ${d.params.map((p) => `${p.id} [${p.min}, ${p.max}]`).join(', ')}`, runs: d.runs },
    notes: [],
  };
}

export async function reportCommand(files: readonly string[], flags: ReportFlags): Promise<void> {
  const out = flags.out;
  if (out === undefined) throw new UsageError('--out FILE is required', 'for example --out report.html', '--out');
  if (!/\.html?$/i.test(out)) throw new UsageError(`${out}: a report is HTML, so its name must end in .html`, undefined, '--out');
  const read = [];
  for (let i = 0; i < files.length; i++) read.push(await readInput(files[i]!, i, files.length > 1, flags.group ?? []));
  const scenarios = [...new Set(read.map((r) => r.provenance.scenario))];
  const page: ReportPage = {
    title: flags.title ?? `Parley report: ${scenarios.join(', ')}`,
    subtitle: `${files.length} input${files.length === 1 ? '' : 's'}; every chart's data can be downloaded under it, and the table at the end says how to run each input again.`,
    sections: read.map((r) => r.section),
    provenance: read.map((r) => r.provenance),
    notes: read.flatMap((r) => r.notes),
  };
  const html = await renderReport(page);
  writeOutput(out, html, { flag: '--out', inputs: files, replace: flags.force === true });
}
