/**
 * `parley sensitivity`: which parameters move a measure, by Sobol indices, Morris elementary
 * effects or one at a time. The method's points run as a batch (workers, shards, resume, rows
 * and summary like any batch); the indices come from the summary's per-point tallies, so a
 * sharded analysis is merged with `parley merge` and finished with `--from merged.json`.
 */
import { checkSummary, MAX_SUMMARY_BYTES, type SummaryDoc } from '../batch/summary.ts';
import { formatDesignFile, pointList } from '../batch/design-file.ts';
import type { ListSpec, PointList } from '../batch/design.ts';
import {
  analyse, indexChart, measureAt, methodDesign, METHODS, parseMeasure, pointValues,
  SENSITIVITY_FORMAT, SENSITIVITY_VERSION, type Measure, type Method, type MethodDesign, type SensitivityDoc, type VariedParam,
} from '../batch/sensitivity.ts';
import { loadScenario } from '../scenario/load.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { suggest, UnknownScenarioError, UsageError } from '../scenario/errors.ts';
import { DEFAULT_SCENARIO } from '../paths.ts';
import { ENGINE_VERSION } from '../version.ts';
import { shellCommand } from '../io/files.ts';
import { writeOutput } from '../io/output.ts';
import { readJsonFile } from '../io/read.ts';
import { parseSeed, parseSets, pickSeed } from './io.ts';
import { batchCommand } from './batch.ts';

export interface SensitivityFlags {
  measure?: string;
  method?: string;
  params?: string;
  runs?: string;
  size?: string;
  levels?: string;
  seed?: string;
  policy?: string;
  set?: string[];
  workers?: string;
  shard?: string;
  out?: string;
  summary?: string;
  result?: string;
  exportDesign?: string;
  from?: string;
  bootstrap?: string;
  json?: boolean;
  resume?: boolean;
  force?: boolean;
  quiet?: boolean;
}

const DEFAULT_SIZE: Record<Method, number> = { sobol: 256, morris: 20, oat: 1 };

const whole = (text: string, flag: string, min: number, max: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} ${text}: expected a whole number from ${min} to ${max.toLocaleString('en-US')}`, undefined, flag);
  return n;
};

function parseMethod(text: string | undefined): Method {
  const m = (text ?? 'sobol').trim();
  if ((METHODS as readonly string[]).includes(m)) return m as Method;
  throw new UsageError(`unknown method \`${m}\``, `methods: ${METHODS.join(', ')}`, '--method');
}

/** The parameters to vary: `--params a,b` or every parameter with a range that `--set` does not fix. */
function variedParams(def: ScenarioDefinition, text: string | undefined, fixed: ReadonlySet<string>): VariedParam[] {
  const ids = def.parameters.map((p) => p.id);
  if (text === undefined) {
    const all = def.parameters.filter((p) => p.max > p.min && !fixed.has(p.id));
    if (all.length === 0) throw new UsageError(`${def.id} has no parameter with a range left to vary`, undefined, '--params');
    return all;
  }
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError('--params names no parameter', `parameters of ${def.id}: ${ids.join(', ')}`, '--params');
  return names.map((n) => {
    const p = def.parameters.find((x) => x.id === n);
    if (!p) throw new UsageError(`\`${n}\` is not a parameter of ${def.id}`, suggest(n, ids, 'parameter'), '--params');
    if (fixed.has(n)) throw new UsageError(`\`${n}\` is both varied and set`, `drop --set ${n}=…`, '--params');
    if (!(p.max > p.min)) throw new UsageError(`\`${n}\` has no range to vary`, undefined, '--params');
    if (names.indexOf(n) !== names.lastIndexOf(n)) throw new UsageError(`\`${n}\` is named twice`, undefined, '--params');
    return p;
  });
}

function methodList(method: Method, design: MethodDesign, params: readonly VariedParam[], levels: number | undefined): PointList {
  const spec: Omit<ListSpec, 'hash' | 'points'> = { source: method, params: params.map((p) => p.id), ...(method === 'oat' ? {} : { size: design.size }), ...(method === 'morris' ? { levels: levels ?? 4 } : {}) };
  return pointList(spec, pointValues(design, params));
}

/** The measure at each point of a (complete) summary, in point order. */
function measured(summary: SummaryDoc, measure: Measure): { y: number[]; noise: number[] } {
  const y: number[] = [];
  const noise: number[] = [];
  const byPoint = new Map(summary.points.map((p) => [p.point, p]));
  for (let i = 0; i < summary.design.points; i++) {
    const p = byPoint.get(i);
    if (!p || p.runs === 0) throw new UsageError(`design point ${i} has no runs in the summary`, 'finish the batch (resume it, or merge every shard) first', '--from');
    const m = measureAt(measure, p);
    y.push(m.value);
    noise.push(m.noise);
  }
  return { y, noise };
}

function readSummary(file: string): SummaryDoc {
  return checkSummary(file, readJsonFile(file, MAX_SUMMARY_BYTES, 'summaries', { message: 'not a Parley batch summary (it is not JSON)', hint: 'give the summary that `parley sensitivity --summary FILE` or `parley merge` wrote' }));
}

export async function sensitivityCommand(scenarioArg: string | undefined, flags: SensitivityFlags, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (flags.measure === undefined) throw new UsageError('--measure is required: an outcome, outcomes joined by + (a group), a tension, or goldstein', 'for example --measure settled=strategic_reset+conditional_truce', '--measure');
  const resamples = flags.bootstrap === undefined ? 1000 : whole(flags.bootstrap, '--bootstrap', 0, 100_000);
  if (flags.from !== undefined) return fromSummary(scenarioArg, flags.from, flags, resamples, argv);

  const method = parseMethod(flags.method);
  const def = loadScenario(scenarioArg ?? DEFAULT_SCENARIO);
  const measure = parseMeasure(flags.measure, { outcomes: def.outcomes.map((o) => o.id), tensions: def.tensions.map((t) => t.id) });
  const sets = parseSets(flags.set ?? []);
  const params = variedParams(def, flags.params, new Set(Object.keys(sets)));
  const size = method === 'oat' ? 1 : flags.size === undefined ? DEFAULT_SIZE[method] : whole(flags.size, '--size', 2, 1_000_000);
  const levels = flags.levels === undefined ? undefined : whole(flags.levels, '--levels', 2, 1000);
  if (levels !== undefined && levels % 2 !== 0) throw new UsageError(`--levels ${levels}: Morris needs an even number of levels`, 'for example --levels 4', '--levels');
  const seed = flags.seed === undefined ? pickSeed() : parseSeed(flags.seed);
  if (flags.seed === undefined && process.stderr.isTTY) process.stderr.write(`(seed ${seed} picked at random and recorded; add --seed ${seed} to repeat this analysis)\n`);
  const design = methodDesign(method, params, { size, seed, ...(levels !== undefined ? { levels } : {}) });
  const list = methodList(method, design, params, levels);
  const runs = flags.runs ?? '100';
  const command = ['parley', 'sensitivity', scenarioArg ?? def.id, '--measure', flags.measure, '--method', method, '--params', params.map((p) => p.id).join(','),
    ...(method !== 'oat' ? ['--size', String(size)] : []), ...(levels !== undefined ? ['--levels', String(levels)] : []),
    '--runs', runs, '--seed', String(seed), ...(flags.policy ? ['--policy', flags.policy] : []), ...Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
    ...(flags.shard ? ['--shard', flags.shard] : []), ...(flags.out ? ['--out', flags.out] : []), ...(flags.summary ? ['--summary', flags.summary] : [])];
  if (flags.exportDesign !== undefined) writeOutput(flags.exportDesign, formatDesignFile(list.spec.params, list.rows), { flag: '--export-design', inputs: [def.file], replace: flags.force === true || flags.resume === true });
  if (!flags.quiet && process.stderr.isTTY) process.stderr.write(`${method}: ${list.rows.length.toLocaleString('en-US')} points × ${runs} runs of ${def.id}\n`);

  let result: Finished | null = null;
  await batchCommand(scenarioArg ?? def.id, {
    runs, seed: String(seed), ...(flags.policy ? { policy: flags.policy } : {}), set: flags.set ?? [], ...(flags.workers ? { workers: flags.workers } : {}),
    ...(flags.shard ? { shard: flags.shard } : {}), ...(flags.out ? { out: flags.out } : {}), ...(flags.summary ? { summary: flags.summary } : {}),
    ...(flags.resume ? { resume: true } : {}), ...(flags.force ? { force: true } : {}), ...(flags.quiet ? { quiet: true } : {}),
    list, command,
    onSummary: (summary) => {
      if (!summary.complete || summary.design.shard) {
        process.stderr.write(`parley: this part of the analysis is done (${summary.runs.toLocaleString('en-US')} runs). When every shard is done, merge their summaries and compute the indices:\n  parley merge SUMMARIES… --out merged.json\n  ${shellCommand(['parley', 'sensitivity', '--from', 'merged.json', '--measure', flags.measure!])}\n`);
        return;
      }
      result = finish(summary, method, design, params, measure, resamples, [...command]);
    },
  });
  if (result) report(result, list, flags, def.file ? [def.file] : []);
}

/** The result, and the measure at each point (for `--export-design`). */
interface Finished {
  readonly doc: SensitivityDoc;
  readonly y: readonly number[];
}

function finish(summary: SummaryDoc, method: Method, design: MethodDesign, params: readonly VariedParam[], measure: Measure, resamples: number, command: string[]): Finished {
  const { y, noise } = measured(summary, measure);
  const indices = analyse(design, params, y, noise, { seed: summary.design.seed, resamples });
  const doc: SensitivityDoc = {
    format: SENSITIVITY_FORMAT, version: SENSITIVITY_VERSION, parley: ENGINE_VERSION, scenario: summary.scenario, command, method, measure,
    params: params.map((p) => ({ id: p.id, min: p.min, max: p.max, kind: p.kind })),
    runsPerPoint: summary.design.runsPerPoint, points: summary.design.points, runs: summary.runs, seed: summary.design.seed, indices,
  };
  return { doc, y };
}

/** `--from SUMMARY`: the indices of a finished (merged) analysis, from its summary alone. */
function fromSummary(scenarioArg: string | undefined, file: string, flags: SensitivityFlags, resamples: number, argv: readonly string[]): void {
  const summary = readSummary(file);
  const list = summary.design.list;
  if (!list || list.source === 'file') throw new UsageError(`${file} is not the summary of a sensitivity analysis`, 'give the summary that `parley sensitivity --summary FILE` (or a merge of its shards) wrote', '--from');
  if (!summary.complete || summary.design.shard) throw new UsageError(`${file} counts ${summary.runs} of ${summary.expected} runs${summary.design.shard ? ' (one shard)' : ''}`, 'merge the summaries of every shard with `parley merge`, then give the merged one', '--from');
  // The scenario as the analysis named it (its command's third word), unless given again.
  const ref = scenarioArg ?? (summary.command[1] === 'sensitivity' ? summary.command[2] : undefined) ?? summary.scenario.id;
  let def: ScenarioDefinition;
  try {
    def = loadScenario(ref);
  } catch (error) {
    if (scenarioArg !== undefined || !(error instanceof UnknownScenarioError)) throw error;
    throw new UsageError(`the analysis is of scenario \`${summary.scenario.id}\`, which is not bundled`, `name its file: parley sensitivity FILE --from ${file} --measure …`, '--from');
  }
  const byId = new Map(def.parameters.map((p) => [p.id, p]));
  // The scenario's parameters give ranges and kinds; the points' hash says they are the analysis's own.
  const params = list.params.map((id) => {
    const p = byId.get(id);
    if (!p) throw new UsageError(`the analysis varies \`${id}\`, which ${def.id} does not have`, undefined, file);
    return p;
  });
  const method = list.source;
  const design = methodDesign(method, params, { size: list.size ?? 1, seed: summary.design.seed, ...(list.levels !== undefined ? { levels: list.levels } : {}) });
  const again = methodList(method, design, params, list.levels);
  if (def.hash !== summary.scenario.hash || again.spec.hash !== list.hash) {
    throw new UsageError(`the points of ${file} are not those this Parley makes from ${summary.scenario.id} (the scenario file or its parameters changed)`, 'run the analysis again', file);
  }
  const measure = parseMeasure(flags.measure!, { outcomes: summary.layout.outcomes, tensions: summary.layout.tensions });
  if (flags.exportDesign !== undefined) writeOutput(flags.exportDesign, formatDesignFile(again.spec.params, again.rows), { flag: '--export-design', inputs: [file], replace: flags.force === true });
  report(finish(summary, method, design, params, measure, resamples, ['parley', ...argv]), again, flags, [file]);
}

/** `design.csv` → `design-y.csv`: where the measured Y goes beside an exported design. */
export const yFileOf = (file: string): string => file.replace(/(\.[^./\\]*)?$/, (ext) => `-y${ext || '.csv'}`);

function report({ doc, y }: Finished, list: PointList, flags: SensitivityFlags, inputs: readonly string[]): void {
  const text = JSON.stringify(doc, null, 2) + '\n';
  if (flags.result !== undefined) writeOutput(flags.result, text, { flag: '--result', inputs: [...inputs, flags.out, flags.summary], replace: flags.force === true });
  if (flags.exportDesign !== undefined) {
    // The measured Y, one value per point in the design's order: what SALib's analyze takes beside X.
    writeOutput(yFileOf(flags.exportDesign), [doc.measure.name, ...y.map(String)].join('\n') + '\n', { flag: '--export-design', inputs: [...inputs, flags.exportDesign], replace: flags.force === true });
    if (list.rows.length !== y.length) throw new Error('the design and its measures differ in length');
  }
  if (flags.json) {
    process.stdout.write(text);
    return;
  }
  const n = doc.indices.noise;
  const lines = [
    `${doc.method === 'sobol' ? 'Sobol indices' : doc.method === 'morris' ? 'Morris elementary effects' : 'One at a time'} of ${doc.measure.name} — ${doc.scenario.id}, ${doc.points.toLocaleString('en-US')} points × ${doc.runsPerPoint} runs (${doc.runs.toLocaleString('en-US')} runs), seed ${doc.seed}`,
    '',
    ...indexChart(doc.indices),
    '',
    n.ratio === null
      ? 'noise: the measure is the same at every point'
      : `noise: Monte Carlo variance within a point is ${(n.ratio * 100).toFixed(1)}% of the variance between points${n.ratio > 0.2 ? ' — much of the spread is noise: add --runs' : ''}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
