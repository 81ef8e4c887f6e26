/**
 * `parley batch`: many seeded runs of a scenario on the fast executor — replicates, parameter
 * sweeps and Latin hypercube samples — streamed as tidy rows (CSV or JSONL) in run order, with
 * a summary of outcome proportions and mean tensions. Worker threads, shards, SIGINT and
 * `--resume` never change a byte of the rows. See docs/batch.md.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { compile, run, type CompiledScenario } from '../engine/engine.ts';
import { BranchCodeError, formatBranchCode, parseBranchCode, type Move } from '../engine/branch-code.ts';
import { codeNames, DEFAULT_SCENARIO, loadScenario, resolveScenarioPath } from '../scenario/load.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';
import { unknownPolicy } from '../engine/kernel.ts';
import { packageRoot } from '../paths.ts';
import { ENGINE_VERSION } from '../version.ts';
import { readDesignFile, pointList } from '../batch/design-file.ts';
import { buildDesign, designPoints, designWarnings, parseRuns, parseSeedPairing, replayColumn, runRange, type Design, type ExerciseSpec, type PointList } from '../batch/design.ts';
import { exerciseRef, loadExercise } from '../scenario/exercise.ts';
import { checkExerciseScenario } from './run.ts';
import { chunkContext, type BatchPlan, type BranchStart } from '../batch/chunk.ts';
import { executeBatch, startPool, type WorkerPool } from '../batch/execute.ts';
import { runner } from '../analysis/runs.ts';
import { shellCommand, writeAll } from '../io/files.ts';
import { checkOutput, identityOf, isSpecialFile, OutputFile, writeError, writeOutput, type FileIdentity } from '../io/output.ts';
import { acquireLock, type Lock } from '../io/lock.ts';
import { readTextBounded } from '../io/read.ts';
import { Extension, readForResume } from '../batch/resume.ts';
import { columns, formatFromPath, formatHeader, readHeader, rowLayout, ROWS_FORMAT, ROWS_VERSION, type RowFormat, type RowsHeader } from '../batch/rows.ts';
import type { PointAccumulator } from '../stats/stats.ts';
import { buildSummary, newAccumulator, SUMMARY_FORMAT, unsharded, type ObjectiveStats, type SummaryDoc } from '../batch/summary.ts';
import { parseSeed, parseSets, pickSeed } from './io.ts';
import { isParquet, noParquetResume, ParquetSink } from '../batch/parquet.ts';
import { checkRoundsFile, formatRoundsHeader, roundColumns, ROUNDS_FORMAT, ROUNDS_VERSION, scanRounds, type RoundsHeader } from '../batch/rounds.ts';
import { ContrastCounter, contrastsOf, gridOf, parseGroups, type OutcomeGroup } from '../batch/study.ts';

export interface BatchFlags {
  runs?: string;
  seed?: string;
  policy?: string;
  set?: string[];
  sweep?: string[];
  sample?: string;
  workers?: string;
  shard?: string;
  out?: string;
  summary?: string;
  resume?: boolean;
  extend?: boolean;
  force?: boolean;
  branch?: string;
  exercise?: string;
  /** `--design FILE`: the design points, one per line (see design-file.ts), and `--params` naming its columns. */
  design?: string;
  params?: string;
  /** Set by `parley sensitivity`: its points, the command its files record, and what to do with the summary. */
  list?: PointList;
  command?: string[];
  onSummary?: (summary: SummaryDoc) => void;
  seeds?: string;
  quiet?: boolean;
  group?: string[];
  record?: string;
  rounds?: string;
}

const int = (n: number) => n.toLocaleString('en-US');

function parseWorkers(text: string | undefined, runs: number): number {
  if (text === undefined) return runs < 4096 ? 1 : Math.max(1, availableParallelism());
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 256) throw new UsageError(`the number of workers must be a whole number from 1 to 256, not \`${text}\``, undefined, '--workers');
  return Number(text);
}

function parseBranch(text: string): { scenario: string; seed: number; policy: string; moves: readonly Move[] } {
  try {
    return parseBranchCode(text);
  } catch (error) {
    throw new UsageError((error as Error).message, undefined, '--branch');
  }
}

/**
 * Where runs start from a branch code: the node right after its last move, where each run
 * rerolls to its own seed. A code that ends in a reroll (`…,7@99`) names its branch point
 * itself: each run's own reroll replaces it there (`…,7@SEED`).
 */
function branchStart(compiled: CompiledScenario, code: ReturnType<typeof parseBranch>, params: Readonly<Record<string, number>>): BranchStart {
  const moves = code.moves.slice();
  const last = moves[moves.length - 1];
  const rerollsLast = last?.action.type === 'reroll';
  const step = !last ? 0 : rerollsLast ? last.step : last.step + 1;
  while (rerollsLast && moves.length && moves[moves.length - 1]!.action.type === 'reroll' && moves[moves.length - 1]!.step === step) moves.pop();
  try {
    run(compiled, { seed: code.seed, policy: code.policy, params, moves: [...moves, { step, action: { type: 'reroll', seed: 0 } }], executor: 'fast', trace: false });
  } catch (error) {
    if (!(error instanceof BranchCodeError)) throw error;
    // Only the reroll that starts each run can fall past the end because of the code's last move.
    const ended = !rerollsLast && error.reason === 'ended-early' && error.step === step + 1;
    throw new UsageError(
      ended ? `the branch code's last move ends the run: there is nothing left to vary` : `the branch code does not replay: ${error.message}`,
      ended ? 'give the code of a node before the end' : undefined,
      '--branch',
    );
  }
  return { seed: code.seed, moves, step, prefix: formatBranchCode({ scenario: code.scenario, seed: code.seed, policy: code.policy, moves }) };
}

/**
 * What SIGINT and SIGTERM do to a batch: the first stops it cleanly within a second (the runs in
 * progress are dropped, the file stays resumable); another one a second or more later quits at once. A copy that
 * arrives with the first is the same stop: `timeout` and some schedulers signal the process and
 * then its process group, so one stop can arrive twice.
 */
export class Interrupts {
  private first: number | null = null;
  /** The signal that stopped the batch. */
  signal: NodeJS.Signals = 'SIGINT';

  /** `at`: when it arrived, in milliseconds on any clock that does not go back. */
  receive(signal: NodeJS.Signals, at: number): 'stop' | 'same' | 'quit' {
    if (this.first === null) {
      this.first = at;
      this.signal = signal;
      return 'stop';
    }
    return at - this.first >= 1000 ? 'quit' : 'same';
  }
}

/** The command as recorded in headers: canonical, with the seed, without --workers and --resume. */
function canonicalCommand(scenarioRef: string, design: Design, out: string | undefined, summary: string | undefined, groups: readonly OutcomeGroup[] = [], rounds?: string): string[] {
  return [
    'parley', 'batch', ...(design.exercise ? ['--exercise'] : []), scenarioRef,
    '--runs', String(design.runsPerPoint),
    '--seed', String(design.seed),
    ...(design.seeds === 'independent' ? ['--seeds', 'independent'] : []),
    '--policy', design.policy,
    ...Object.entries(design.set).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
    ...design.sweep.flatMap((s) => ['--sweep', `${s.param}=${s.from}:${s.to}:${s.steps}`]),
    ...(design.sample ? ['--sample', `${design.sample.method}:${design.sample.points}`] : []),
    ...(design.list?.file !== undefined ? ['--design', design.list.file, '--params', design.list.params.join(',')] : []),
    ...(design.branch ? ['--branch', design.branch] : []),
    ...(design.shard ? ['--shard', `${design.shard.k}/${design.shard.n}`] : []),
    ...(out ? ['--out', out] : []),
    ...(summary ? ['--summary', summary] : []),
    ...(rounds ? ['--record', 'rounds', '--rounds', rounds] : []),
    ...groups.flatMap((g) => ['--group', `${g.name}=${g.outcomes.join('+')}`]),
  ];
}


/** Time left, as a person reads it. */
function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '…';
  return seconds >= 5400 ? `${(seconds / 3600).toFixed(1)} h` : seconds >= 90 ? `${Math.round(seconds / 60)} min` : `${Math.ceil(seconds)} s`;
}

/**
 * Progress of a batch on stderr: on a terminal, a bar redrawn in place; otherwise (a batch job's
 * log) a line every `every` seconds and one at the end. Rates and times left count from the
 * first chunk handed over, so the start-up (loading, compiling, starting threads) does not make
 * the first estimate wrong; a resumed batch's rate is that of the runs it ran itself.
 */
export class Progress {
  private last = 0;
  /** When the first chunk came back, and how many runs were done then. */
  private first: { at: number; done: number } | null = null;
  private readonly t0 = performance.now(); // clock-ok: progress display only
  constructor(
    private readonly total: number,
    private readonly already: number,
    private readonly stream: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly every = 30,
  ) {
    this.last = this.t0;
  }

  /** Runs per second since the first chunk, or null before two chunks. */
  private rate(done: number, now: number): number | null {
    if (!this.first || now <= this.first.at || done <= this.first.done) return null;
    return ((done - this.first.done) * 1000) / (now - this.first.at);
  }

  update(done: number, force = false): void {
    const now = performance.now(); // clock-ok: progress display only
    if (this.first === null && done > this.already) this.first = { at: now, done };
    if (!force && now - this.last < (this.tty ? 100 : this.every * 1000)) return;
    this.last = now;
    const rate = this.rate(done, now);
    const left = rate ? (this.total - done) / rate : NaN;
    const frac = this.total ? done / this.total : 1;
    const speed = rate === null ? '… runs/s' : `${int(Math.round(rate))} runs/s`;
    if (!this.tty) {
      this.stream.write(`parley: ${int(done)} of ${int(this.total)} runs (${(frac * 100).toFixed(1)}%) · ${speed} · ETA ${eta(left)}\n`);
      return;
    }
    const width = 24;
    const filled = Math.round(frac * width);
    this.stream.write(`\r\x1b[K[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${int(done)}/${int(this.total)} runs  ${speed}  ETA ${eta(left)}`);
  }

  /** The line at the end (not on a terminal, where the chart follows). */
  finish(done: number): void {
    if (this.tty) return;
    const now = performance.now(); // clock-ok: progress display only
    const ran = done - this.already;
    const rate = this.rate(done, now);
    const resumed = this.already > 0 ? `; resumed after ${int(this.already)}, this process ran ${int(ran)}` : '';
    this.stream.write(`parley: done: ${int(done)} of ${int(this.total)} runs in ${((now - this.t0) / 1000).toFixed(1)} s${rate === null ? '' : ` · ${int(Math.round(rate))} runs/s after start-up`}${resumed}\n`);
  }

  clear(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A share as a bar of `width` cells, its percentage and its interval. */
function shareLine(label: string, pad: number, p: number, ci: readonly [number, number], width: number): string {
  const cells = p * width;
  const whole = Math.floor(cells);
  const bar = '█'.repeat(whole) + BLOCKS[Math.floor((cells - whole) * 8)]!;
  return `  ${label.padEnd(pad)}  ${bar.padEnd(width + 1)} ${(p * 100).toFixed(1).padStart(5)}%  [${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)}]`;
}

/** Most cells the chart draws one line for. */
const CHART_CELLS = 40;

/**
 * The outcome chart printed at the end on a terminal: each outcome's (and group's) share over
 * the batch, or, when parameters are swept, one line per swept value (pooled over sampled
 * points) for each group (without groups, for the three most common outcomes).
 */
export function outcomeChart(summary: SummaryDoc, width = 30): string {
  const timing = summary.wallSeconds !== null ? ` · ${summary.wallSeconds.toFixed(1)} s · ${int(summary.runsPerSecond ?? 0)} runs/s` : '';
  const exercise = summary.design.exercise ? ` · exercise ${summary.design.exercise.id}` : '';
  const head = `${summary.scenario.id}${exercise} · ${int(summary.runs)} runs${timing}\n`;
  const objective = summary.objective ? objectiveLines(summary.objective) : '';
  const groups = Object.entries(summary.groups ?? {});
  const cells = summary.cells ?? [];
  if (cells.length === 0) {
    const rows: [string, { proportion: number | null; ci95: [number, number] }][] = [...Object.entries(summary.outcomes), ...groups];
    const pad = Math.max(...rows.map(([id]) => id.length));
    return head + rows.map(([id, o]) => shareLine(id, pad, o.proportion ?? 0, o.ci95, width)).join('\n') + '\n' + objective;
  }
  const measures = groups.length
    ? groups.map(([name, g]) => ({ name, title: `${name} (${g.outcomes.join(' + ')})`, of: (c: NonNullable<SummaryDoc['cells']>[number]) => c.groups?.[name] }))
    : Object.entries(summary.outcomes).sort((a, b) => b[1].count - a[1].count).slice(0, 3).map(([id]) => ({ name: id, title: id, of: (c: NonNullable<SummaryDoc['cells']>[number]) => c.outcomes[id] }));
  const labels = cells.slice(0, CHART_CELLS).map((c) => Object.entries(c.sweep).map(([k, v]) => `${k}=${v}`).join(' '));
  const pad = Math.max(...labels.map((l) => l.length));
  const pooled = summary.design.sample ? ` (pooled over ${summary.design.sample.points} sampled points)` : '';
  const blocks = measures.map((m) => {
    const lines = cells.slice(0, CHART_CELLS).map((c, i) => {
      const share = m.of(c);
      return shareLine(labels[i]!, pad, share?.proportion ?? 0, share?.ci95 ?? [0, 1], width);
    });
    const more = cells.length > CHART_CELLS ? `\n  … and ${int(cells.length - CHART_CELLS)} more swept values in the summary's cells` : '';
    return `${m.title} by swept value${pooled}:\n${lines.join('\n')}${more}`;
  });
  return head + blocks.join('\n') + '\n' + objective;
}

/** The objective's share with its interval, and the scores' mean and distribution. */
export function objectiveLines(o: ObjectiveStats): string {
  const pc = (p: number) => `${(p * 100).toFixed(1)}%`;
  const met = `  objective met in ${int(o.met.count)} runs: ${pc(o.met.proportion ?? 0)} [${pc(o.met.ci95[0])}–${pc(o.met.ci95[1])}]`;
  const s = o.score;
  const mean = s.mean === null ? '' : `mean ${s.mean.toFixed(1)}${s.ci95 ? ` [${s.ci95[0].toFixed(1)}–${s.ci95[1].toFixed(1)}]` : ''}`;
  const shown = s.distribution.slice(0, 12).map((d) => `${+d.score.toFixed(3)}: ${pc(d.proportion ?? 0)}`);
  const more = s.distribution.length > 12 ? `, … (${s.distribution.length - 12} more scores in the summary)` : '';
  return `${met}\n  score ${mean}${mean ? ' · ' : ''}${shown.join(', ')}${more}\n`;
}

export async function batchCommand(scenarioArg: string | undefined, flags: BatchFlags): Promise<void> {
  const t0 = performance.now(); // clock-ok: wall time for the summary
  // Worker threads take a good part of a second to load the engine and the scenario: when the
  // flags alone say how many the batch needs, they start now, while this thread loads its own.
  const ahead = workersAhead(flags);
  const workerFile = join(packageRoot(), 'dist', 'batch-worker.js');
  const pool = ahead > 1 && existsSync(workerFile) ? startPool(ahead, workerFile, { scenarioFile: scenarioFileAhead(scenarioArg, flags) }) : undefined;
  let handed = false;
  try {
    await runBatch(scenarioArg, flags, t0, workerFile, () => {
      handed = true;
      return pool;
    });
  } finally {
    if (pool && !handed) await pool.piscina.destroy();
  }
}

/** The number of workers when the flags alone tell it (--workers, or enough runs per point for the default), else 1. */
function workersAhead(flags: BatchFlags): number {
  try {
    return flags.runs === undefined ? 1 : parseWorkers(flags.workers, parseRuns(flags.runs));
  } catch {
    return 1;
  }
}

/** The file the batch will load its scenario from, when the flags tell it (else undefined: the threads wait for the plan). */
function scenarioFileAhead(scenarioArg: string | undefined, flags: BatchFlags): string | undefined {
  if (flags.exercise !== undefined) return undefined;
  try {
    return resolveScenarioPath(scenarioArg ?? (flags.branch === undefined ? DEFAULT_SCENARIO : parseBranchCode(flags.branch).scenario));
  } catch {
    return undefined;
  }
}

/**
 * Seconds between progress lines when standard error is not a terminal: 30, or
 * PARLEY_PROGRESS_SECONDS (0 turns the lines off, as --quiet does; the test suite sets it).
 */
function progressSeconds(): number {
  const text = process.env.PARLEY_PROGRESS_SECONDS;
  const n = text === undefined || text.trim() === '' ? NaN : Number(text);
  return Number.isFinite(n) && n >= 0 ? n : 30;
}

/** The batch itself; `takePool` hands over the threads started ahead, if any (they are then `executeBatch`'s to stop). */
async function runBatch(scenarioArg: string | undefined, flags: BatchFlags, t0: number, workerFile: string, takePool: () => WorkerPool | undefined): Promise<void> {
  const policyFlag = flags.policy;
  if (flags.runs === undefined) throw new UsageError('--runs is required: the number of replicates per design point', 'e.g. parley batch --runs 1000', '--runs');
  const runsPerPoint = parseRuns(flags.runs);
  const out = flags.out;
  // Parquet rows are made from the chunks' CSV text (see parquet.ts).
  const parquetOut = out !== undefined && isParquet(out);
  const format: RowFormat | null = out === undefined ? null : parquetOut ? 'csv' : formatFromPath(out);
  if (flags.resume && (parquetOut || (flags.rounds !== undefined && isParquet(flags.rounds)))) throw noParquetResume('--resume');
  if (flags.resume && out === undefined) throw new UsageError('--resume needs --out FILE: a batch resumes from its rows', undefined, '--resume');
  if (flags.resume && flags.force) throw new UsageError('give --resume (finish the batch in --out) or --force (start it again), not both', undefined, '--force');
  if (flags.summary !== undefined && out !== undefined && (flags.summary === out || sameExisting(flags.summary, out))) throw new UsageError('--summary and --out name the same file', undefined, '--summary');
  let sets = parseSets(flags.set ?? []);

  // The scenario (or the exercise), and where runs start.
  if (flags.exercise !== undefined && flags.branch !== undefined) throw new UsageError('give --exercise or --branch, not both', "an exercise's runs start at the beginning, with its seeds and injects", '--branch');
  const exercise = flags.exercise === undefined ? null : loadExercise(flags.exercise);
  if (exercise) checkExerciseScenario(scenarioArg, exercise);
  const code = flags.branch === undefined ? null : parseBranch(flags.branch);
  const ref = exercise ? exerciseRef(exercise.id, exercise.file) : (scenarioArg ?? code?.scenario ?? DEFAULT_SCENARIO);
  const def: ScenarioDefinition = exercise ? exercise.def : loadScenario(ref);
  let exerciseSpec: ExerciseSpec | undefined;
  if (exercise) {
    // The exercise's parameters, but for those the command sets, sweeps or samples itself.
    const own = new Set([...Object.keys(sets), ...(flags.sweep ?? []).map((x) => x.split('=')[0]!.trim())]);
    sets = { ...Object.fromEntries(Object.entries(exercise.params).filter(([k]) => !own.has(k))), ...sets };
    exerciseSpec = { id: exercise.id, hash: createHash('sha256').update(readFileSync(exercise.file)).digest('hex'), seeds: exercise.config.seeds };
  }
  if (code && !codeNames(code.scenario, def)) throw new UsageError(`the branch code is for scenario \`${code.scenario}\`, not \`${def.codeName ?? def.id}\``, undefined, '--branch');
  let policy = policyFlag ?? exercise?.config.policy ?? 'default';
  if (code) {
    if (policyFlag !== undefined && policyFlag !== code.policy) throw new UsageError(`--policy ${policyFlag} disagrees with the branch code's policy ${code.policy}`, 'runs from a branch continue under the policy that reached it; leave out --policy', '--policy');
    policy = code.policy;
  }
  if (!def.policies.has(policy)) throw unknownPolicy(def, policy);

  // The seed: given, else the one recorded by the batch being resumed, else the branch code's, else picked.
  let seed: number;
  let picked = false;
  if (flags.seed !== undefined) seed = parseSeed(flags.seed);
  else if (flags.resume && out !== undefined && existsSync(out) && recordedSeed(out) !== null) seed = recordedSeed(out)!;
  else if (code) seed = code.seed;
  else {
    seed = pickSeed();
    picked = true;
  }

  const list = flags.list ?? (flags.design !== undefined ? designFileList(flags.design, def, flags.params) : undefined);
  const design = buildDesign(def, { seed, seeds: parseSeedPairing(flags.seeds), policy, runsPerPoint, set: sets, sweeps: flags.sweep ?? [], sample: flags.sample ?? null, branch: flags.branch?.trim() ?? null, shard: flags.shard ?? null, ...(exerciseSpec ? { exercise: exerciseSpec } : {}), ...(list ? { list } : {}) });
  for (const w of designWarnings(def, design)) process.stderr.write(`parley: warning: ${w}\n`);
  const workers = parseWorkers(flags.workers, design.runs);
  const compiled = compile(def);
  const branch = code ? branchStart(compiled, code, sets) : null;
  const points = designPoints(def, design, list);
  const [from, to] = runRange(design);
  const layout = rowLayout(def, policy, exercise?.id);
  const groups = parseGroups(flags.group ?? [], def.outcomes.map((o) => o.id));
  const roundsFile = roundsFlag(flags, out);
  const command = flags.command ?? canonicalCommand(ref, design, out, flags.summary, groups, roundsFile ?? undefined);
  // Paired contrasts: counted from every run's outcome, in run order, when the design allows.
  const contrastsNote = ContrastCounter.feasible(design) ?? (def.outcomes.length > 255 ? 'more than 255 outcomes' : null);
  const measureNames = [...def.outcomes.map((o) => o.id), ...groups.map((g) => g.name)];
  const counter = contrastsNote === null
    ? new ContrastCounter(gridOf(design), design.runsPerPoint, [...def.outcomes.map((o) => def.outcomes.map((x) => x === o)), ...groups.map((g) => def.outcomes.map((o) => g.outcomes.includes(o.id)))])
    : null;
  const header: RowsHeader = {
    format: ROWS_FORMAT, version: ROWS_VERSION, parley: ENGINE_VERSION,
    scenario: { id: def.id, hash: def.hash }, command, design, columns: columns(layout, replayColumn(design)),
  };
  if (workers > 1 && !existsSync(workerFile)) throw new Error(`${workerFile} is missing: run \`npm run build\``);
  const extending = flags.extend === true ? extendFrom(flags, out, design, header, roundsFile, (d) => canonicalCommand(ref, d, out, flags.summary, groups)) : null;

  // Files: everything is checked before anything is created or changed. The scenario is never
  // written over; an existing --out is finished (--resume) or started again (--force) only while
  // this process holds its lock; an existing --summary is replaced only with --force or when it
  // is the summary of the very batch being resumed.
  const inputs = [def.file, ...(exercise ? [exercise.file] : [])];
  const resuming = flags.resume === true && out !== undefined && existsSync(out) && !isSpecialFile(out);
  let summaryReplace: boolean | FileIdentity | null = flags.force === true;
  if (flags.summary !== undefined) {
    if (resuming && !flags.force) summaryReplace = ownSummary(flags.summary, header);
    // The old batch's summary becomes the extended batch's.
    if (extending && !flags.force) summaryReplace = ownSummary(flags.summary, extending.header) ?? ownSummary(flags.summary, header);
    checkOutput(flags.summary, { flag: '--summary', inputs: [...inputs, out], replace: summaryReplace, existsHint: flags.resume ? 'it is not the summary of this batch; choose another name, or add --force to replace it' : 'add --force to replace it, or choose another name (with --resume, the batch rewrites its own summary)' });
  }
  const accumulators = new Map<number, PointAccumulator>();
  const accumulator = (point: number) => {
    let a = accumulators.get(point);
    if (!a) accumulators.set(point, (a = newAccumulator(layout, point)));
    return a;
  };
  let fd: number | null = null;
  const roundsHeader: RoundsHeader | null = roundsFile === null ? null : { format: ROUNDS_FORMAT, version: ROUNDS_VERSION, parley: ENGINE_VERSION, scenario: header.scenario, command, design, columns: roundColumns(def) };
  const parquetRounds = roundsFile !== null && isParquet(roundsFile);
  const roundsFormat: RowFormat | null = roundsFile === null ? null : parquetRounds ? 'csv' : formatFromPath(roundsFile);
  const sinks: { rows: ParquetSink | null; rounds: ParquetSink | null } = { rows: null, rounds: null };
  let roundsFd: number | null = null;
  if (roundsFile !== null) {
    if (sameExisting(roundsFile, out!) || (flags.summary !== undefined && sameExisting(roundsFile, flags.summary))) throw new UsageError('--rounds names the same file as --out or --summary', undefined, '--rounds');
    checkOutput(roundsFile, { flag: '--rounds', inputs: [...inputs, out], replace: true });
    if (existsSync(roundsFile) && !flags.resume && !flags.force && !isSpecialFile(roundsFile)) throw new UsageError(`${roundsFile} already exists`, 'add --resume to finish the batch that wrote it, --force to start it again, or remove it', '--rounds');
  }
  let start = from;
  /** `--extend`: the new file being written, and what copies the old rows into it. */
  let extension = null as { file: OutputFile; copier: Extension } | null;
  let startExtension: (() => { file: OutputFile; copier: Extension }) | null = null;
  let lock: Lock | null = null;
  const refuseExisting = () => {
    if (out !== undefined && existsSync(out) && !flags.resume && !flags.force && !flags.extend && !isSpecialFile(out)) {
      throw new UsageError(`${out} already exists`, 'add --resume to finish the batch that wrote it, --force to start it again, or remove it', '--out');
    }
  };
  if (out !== undefined) {
    if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`cannot write ${out}: it is a folder`, undefined, '--out');
    checkOutput(out, { flag: '--out', inputs, replace: true });
    refuseExisting();
    if (!isSpecialFile(out)) lock = acquireLock(out, '--out', shellCommand(command), new Date().toISOString()); // clock-ok: a time stamp for people reading the lock file
  }
  // A second interrupt quits at once (process.exit): the lock goes with the process all the same.
  const releaseLock = () => lock?.release();
  process.on('exit', releaseLock);
  try {
    if (out !== undefined) {
      // Looked at again now that the lock is held: another process may have made the file since.
      refuseExisting();
      const exists = existsSync(out);
      if (extending) {
        // The finished batch's rows are read back whole first (checked, counted): a file that is
        // not that batch's, or not finished, is refused before anything is written.
        const oldRuns = extending.oldN * design.points;
        const oldOutcomes = counter ? new Uint8Array(oldRuns) : null;
        const state = await readForResume(out, { header: extending.header, format: format!, layout, range: [0, oldRuns] }, accumulator, oldOutcomes ? (run, outcome) => (oldOutcomes[run] = outcome) : undefined);
        if (state.next < oldRuns) throw new UsageError(`${out} holds ${int(state.rows)} of the ${int(oldRuns)} runs of its batch: it is not finished`, `finish it first: ${shellCommand([...extending.header.command, '--resume'])}`, '--extend');
        const identity = identityOf(out) ?? true;
        // Opened once the batch handles interrupts itself (see runAndReport), so that one stops it cleanly.
        startExtension = () => {
          const file = OutputFile.open(out, { flag: '--out', inputs, replace: identity });
          extension = { file, copier: new Extension(out, format!, format === 'csv' ? 2 : 1, extending.oldN, runsPerPoint, design.points, (text) => file.write(text), counter && oldOutcomes ? (old, run) => counter.add(run, oldOutcomes[old]!) : undefined) };
          file.write(formatHeader(header, format!));
          return extension;
        };
      } else if (parquetOut) {
        sinks.rows = new ParquetSink(out, header.columns, header);
      } else if (exists && isSpecialFile(out)) {
        fd = openOrFail(out, 'w');
        writeRows(fd, out, formatHeader(header, format!));
      } else if (exists && (flags.force || isEmptyFile(out))) {
        // Started again: a new file with its header takes the old one's name in one step, so a
        // link to the old file, or another name for it, keeps the old rows.
        const file = OutputFile.open(out, { flag: '--out', inputs, replace: true });
        file.write(formatHeader(header, format!));
        file.commit();
        fd = openOrFail(out, 'a');
      } else if (exists) {
        // With rounds, both files go back to the last run that both hold whole.
        const roundsNext = roundsFile !== null && roundsHeader ? await roundsResume(roundsFile, roundsHeader, roundsFormat!, [from, to], def.rounds.length) : undefined;
        const state = await readForResume(out, { header, format: format!, layout, range: [from, to] }, accumulator, counter ? (run, outcome) => counter.add(run, outcome) : undefined, roundsNext);
        start = state.next;
        if (roundsFile !== null) roundsFd = await cutRounds(roundsFile, roundsFormat!, [from, to], def.rounds.length, start);
        fd = openOrFail(out, 'r+');
        ftruncateSync(fd, state.keep);
        closeSync(fd);
        fd = openOrFail(out, 'a');
      } else {
        fd = openOrFail(out, 'wx');
        try {
          writeRows(fd, out, formatHeader(header, format!));
        } catch (error) {
          // The file is this batch's and holds nothing yet: leave no trace of it.
          closeSync(fd);
          fd = null;
          unlinkSync(out);
          throw error;
        }
      }
    }
    if (parquetRounds) sinks.rounds = new ParquetSink(roundsFile!, roundsHeader!.columns, roundsHeader!, '--rounds');
    else if (roundsFile !== null && roundsFd === null) roundsFd = startRounds(roundsFile, formatRoundsHeader(roundsHeader!, roundsFormat!), inputs);
    await runAndReport();
  } finally {
    extension?.copier.close();
    extension?.file.abort();
    sinks.rows?.abort();
    sinks.rounds?.abort();
    releaseLock();
    process.off('exit', releaseLock);
  }

  async function runAndReport(): Promise<void> {
    const plan: BatchPlan = { scenarioFile: def.file ?? ref, hash: def.hash, policy, seed, seeds: design.seeds, runsPerPoint, branch, format, replay: replayColumn(design), outcomes: counter !== null, rounds: roundsFormat, ...(exercise ? { exercise: { file: resolvePath(exercise.file), seeds: exercise.config.seeds, ref } } : {}) };
    const tty = process.stderr.isTTY === true;
    const every = progressSeconds();
    // Runs in the file before this process starts (an extended batch's old runs, a resumed batch's first part).
    const already = extending ? extending.oldN * design.points : start - from;
    const progress = !flags.quiet && already < to - from && (tty || every > 0) ? new Progress(to - from, already, process.stderr, tty, every) : null;
    let ran = 0;
    if (picked && tty) process.stderr.write(`(seed ${seed} picked at random and recorded; add --seed ${seed} to repeat this batch)\n`);
    // Ctrl-C (SIGINT) and a scheduler's stop (SIGTERM: Slurm preemption, `kill`, a timeout) both
    // stop the runs in flight and leave a resumable file; a second signal quits at once.
    const controller = new AbortController();
    const interrupts = new Interrupts();
    const onSigint = (received: NodeJS.Signals) => {
      const what = interrupts.receive(received, performance.now()); // clock-ok: tells a repeated signal from a second interrupt
      if (what === 'stop') controller.abort();
      else if (what === 'quit') process.exit(received === 'SIGTERM' ? 143 : 130);
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    let outcome;
    let ranges: [number, number][] | undefined;
    try {
      ranges = startExtension?.().copier.ranges();
    } catch (error) {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      throw error;
    }
    try {
      if (tty) progress?.update(already, true);
      outcome = await executeBatch({
        plan, points, from: start, to, workers, workerFile, signal: controller.signal, ...(ranges ? { ranges } : {}), rowsPerRun: roundsFile === null ? 1 : 1 + def.rounds.length,
        // The scenario this command loaded and compiled: the main thread's runs use it as it is.
        context: chunkContext(runner(compiled.def, policy), layout, exercise ?? undefined),
        pool: takePool(),
        onChunk: (r) => {
          if (extension) {
            extension.copier.copyThrough(Math.floor(r.start / runsPerPoint));
            if (r.rows) extension.file.write(r.rows);
          }
          if (fd !== null && r.rows) writeRows(fd, out!, r.rows, command);
          if (sinks.rows && r.rows) sinks.rows.addCsv(r.rows);
          if (sinks.rounds && r.rounds) sinks.rounds.addCsv(r.rounds);
          if (roundsFd !== null && r.rounds) writeRows(roundsFd, roundsFile!, r.rounds, command, '--rounds');
          for (const t of r.tallies) accumulator(t.point).merge(t);
          if (counter && r.outcomes) r.outcomes.forEach((o, j) => counter.add(r.start + j, o));
          ran += r.end - r.start;
          progress?.update(already + ran);
        },
      });
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      progress?.clear();
      if (roundsFd !== null) closeSynced(roundsFd, roundsFile!, '--rounds');
      if (fd !== null) {
        try {
          // A pipe or a terminal cannot be synced (EINVAL); a file can.
          if (fstatSync(fd).isFile()) fsyncSync(fd);
        } catch (error) {
          throw writeError(out!, '--out', error);
        } finally {
          closeSync(fd);
        }
      }
    }

    const signal = interrupts.signal;
    if (outcome.interrupted && extension) {
      extension.file.abort();
      process.stderr.write(`parley: interrupted (${signal}) after ${int(ran)} of the ${int(to - from - already)} new runs; ${out} is as it was (${int(extending!.oldN)} runs per point).\nTo extend it, run the same command again:\n  ${shellCommand([...command, '--extend'])}\n`);
      process.exitCode = signal === 'SIGTERM' ? 143 : 130;
      return;
    }
    if (outcome.interrupted) {
      const done = outcome.done - from;
      const resume = shellCommand([...command, '--resume']);
      process.stderr.write(
        parquetOut
          ? `parley: interrupted (${signal}) after ${int(done)} of ${int(to - from)} runs; nothing was saved (a Parquet file is written whole: for a batch that may be stopped, write CSV with --out and merge it into Parquet at the end).\n`
          : out !== undefined
          ? `parley: interrupted (${signal}) after ${int(done)} of ${int(to - from)} runs; ${out} holds them, in order.\nTo finish the batch, run:\n  ${resume}\n`
          : `parley: interrupted (${signal}) after ${int(done)} of ${int(to - from)} runs; nothing was saved (give --out FILE to make a batch resumable).\n`,
      );
      process.exitCode = signal === 'SIGTERM' ? 143 : 130;
      return;
    }

    if (extension) {
      extension.copier.finish();
      extension.file.commit();
    }
    sinks.rows?.finish();
    sinks.rounds?.finish();
    progress?.finish(already + ran);
    const wall = (performance.now() - t0) / 1000; // clock-ok: wall time for the summary
    const summary = buildSummary({
      parley: ENGINE_VERSION, scenario: { id: def.id, hash: def.hash }, command, design, layout,
      expected: to - from, points: accumulators.values(), paramsOf: (p) => points[p]!, wallSeconds: wall, workers, ranHere: extending ? to - from - already : to - start,
      groups, contrasts: counter ? contrastsOf(gridOf(design), counter, measureNames) : null,
      ...(contrastsNote !== null && design.sweep.length > 0 ? { contrastsNote: `no paired contrasts: ${contrastsNote}` } : {}),
    });
    const text = JSON.stringify(summary, null, 2) + '\n';
    if (flags.summary !== undefined) writeOutput(flags.summary, text, { flag: '--summary', inputs: [...inputs, out], replace: summaryReplace });
    else if (!flags.onSummary) process.stdout.write(text);
    if (tty && !flags.onSummary) process.stderr.write(outcomeChart(summary));
    flags.onSummary?.(summary);
  }
}

/** The points of `--design FILE`, checked against the scenario. */
function designFileList(file: string, def: ScenarioDefinition, params: string | undefined): PointList {
  const named = params === undefined ? undefined : params.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const read = readDesignFile(file, def, named);
  return pointList({ source: 'file', params: read.params, file }, read.rows);
}

function recordedSeed(file: string): number | null {
  try {
    return readHeader(file).header.design.seed;
  } catch {
    return null;
  }
}

function isEmptyFile(file: string): boolean {
  return statSync(file).size === 0;
}

function openOrFail(path: string, mode: string): number {
  try {
    return openSync(path, mode);
  } catch (error) {
    throw writeError(path, '--out', error);
  }
}

/**
 * Appends rows; a full disk or another write error stops the batch with a message. Whole chunks
 * are appended in order, and a resume drops a partial last line, so the file stays resumable.
 */
function writeRows(fd: number, out: string, text: string, command?: readonly string[], flag = '--out'): void {
  try {
    writeAll(fd, text);
  } catch (error) {
    const e = writeError(out, flag, error);
    if (!command) throw e;
    throw new UsageError(`${e.issues[0]!.message}; ${out} keeps the rows written so far`, `make room, then finish the batch with: ${shellCommand([...command, '--resume'])}`, flag);
  }
}

/**
 * `--extend`: what can be extended, and the header the finished batch's rows must have (this
 * batch's, with its own number of replicates per point). Replicate r of every point keeps its
 * seed when the batch grows (paired seeds), so its run is the same; only its index moves.
 */
function extendFrom(flags: BatchFlags, out: string | undefined, design: Design, header: RowsHeader, roundsFile: string | null, commandOf: (d: Design) => string[]): { header: RowsHeader; oldN: number } {
  const flag = '--extend';
  if (out === undefined) throw new UsageError('--extend needs --out FILE: the rows of the finished batch to add replicates to', undefined, flag);
  if (flags.resume || flags.force) throw new UsageError(`give --extend alone, not with --${flags.resume ? 'resume' : 'force'}`, '--resume finishes an interrupted batch, --force starts one again, --extend adds replicates to a finished one', flag);
  if (isParquet(out)) throw new UsageError('--extend rewrites the rows in run order: it needs CSV or JSONL rows', 'keep the rows in CSV, extend them, then make Parquet with `parley merge --rows rows.csv --out rows.parquet`', flag);
  if (roundsFile !== null) throw new UsageError('--extend does not extend a rounds file (--record rounds)', 'run the larger batch with --record rounds from the start (add --force), or extend the rows without --record rounds', flag);
  if (design.shard) throw new UsageError('--extend adds replicates to a whole batch, not to a shard (the shards of a larger batch cut its runs elsewhere)', 'merge the shards, then extend the merged rows, or run the larger batch\'s shards', flag);
  if (design.seeds === 'independent' && design.points > 1) throw new UsageError('--extend needs paired seeds when there are several design points: with --seeds independent, a run\'s seed depends on its index, which moves when the batch grows', 'run the larger batch afresh (add --force)', flag);
  if (!existsSync(out) || isSpecialFile(out)) throw new UsageError(`${out} does not exist: --extend adds replicates to a finished batch's rows`, 'run the batch without --extend first', flag);
  const old = readHeader(out).header;
  const oldN = old.design?.runsPerPoint;
  if (typeof oldN !== 'number' || !Number.isInteger(oldN) || oldN < 1) throw new UsageError(`${out} does not say how many runs per point its batch has`, undefined, flag);
  if (oldN >= design.runsPerPoint) throw new UsageError(`${out} holds a batch of ${int(oldN)} runs per point: --extend needs a larger --runs, not ${int(design.runsPerPoint)}`, oldN === design.runsPerPoint ? 'the batch already has that many runs per point' : undefined, '--runs');
  const oldDesign: Design = { ...design, runsPerPoint: oldN, runs: oldN * design.points };
  return { header: { ...header, design: oldDesign, command: commandOf(oldDesign) }, oldN };
}

/** `--rounds FILE` with `--record rounds`: checked together; null when rounds are not recorded. */
function roundsFlag(flags: BatchFlags, out: string | undefined): string | null {
  if (flags.record !== undefined && flags.record.trim() !== 'rounds') throw new UsageError(`the only thing --record records is \`rounds\`, not \`${flags.record}\``, 'e.g. --record rounds --rounds rounds.csv', '--record');
  if (flags.record !== undefined && flags.rounds === undefined) throw new UsageError('--record rounds needs --rounds FILE: where the rows of rounds go', 'e.g. --rounds rounds.csv (or .jsonl)', '--record');
  if (flags.rounds !== undefined && flags.record === undefined) throw new UsageError('--rounds FILE records the rounds only with --record rounds', `add --record rounds`, '--rounds');
  if (flags.rounds === undefined) return null;
  if (out === undefined) throw new UsageError('--rounds needs --out FILE: the rounds of a batch resume with its rows', 'add --out rows.csv', '--rounds');
  return flags.rounds;
}

/** The first run whose rounds a resumed batch's rounds file lacks (checking that it is this batch's). */
async function roundsResume(file: string, header: RoundsHeader, format: RowFormat, range: [number, number], rounds: number): Promise<number> {
  if (!existsSync(file)) throw new UsageError(`${file} is missing, but the rows of the batch are there`, 'the rounds of the runs already written cannot be had again: remove the rows too, or add --force, to start again', '--rounds');
  const skip = checkRoundsFile(file, header, format);
  return (await scanRounds(file, format, skip, range, rounds)).next;
}

/** Cuts a rounds file back to the rounds of the runs before `start`, and opens it to append. */
async function cutRounds(file: string, format: RowFormat, range: [number, number], rounds: number, start: number): Promise<number> {
  const skip = format === 'csv' ? 2 : 1;
  const { keep } = await scanRounds(file, format, skip, range, rounds, start);
  const fd = openOrFail(file, 'r+');
  ftruncateSync(fd, keep);
  closeSync(fd);
  return openOrFail(file, 'a');
}

/** A new rounds file with its header (one started again replaces the old in one step). */
function startRounds(file: string, header: string, inputs: readonly (string | null)[]): number {
  if (isSpecialFile(file)) {
    const fd = openOrFail(file, 'w');
    writeRows(fd, file, header, undefined, '--rounds');
    return fd;
  }
  const f = OutputFile.open(file, { flag: '--rounds', inputs, replace: true });
  f.write(header);
  f.commit();
  return openOrFail(file, 'a');
}

/** Syncs (when it is a file) and closes a file the batch appended to. */
function closeSynced(fd: number, file: string, flag: string): void {
  try {
    if (fstatSync(fd).isFile()) fsyncSync(fd);
  } catch (error) {
    throw writeError(file, flag, error);
  } finally {
    closeSync(fd);
  }
}

/** Do two paths name one file (`r.csv` and `./r.csv`, or, when it exists, a link to it)? */
function sameExisting(a: string, b: string): boolean {
  if (resolvePath(a) === resolvePath(b)) return true;
  const x = identityOf(a);
  const y = identityOf(b);
  return x !== null && y !== null && x.dev === y.dev && x.ino === y.ino;
}

/**
 * The identity of `path` when it is the summary of this very batch (same scenario content, engine
 * and design) — the file a resumed batch may rewrite — or null (absent, or anything else).
 */
function ownSummary(path: string, header: RowsHeader): FileIdentity | null {
  if (!existsSync(path) || isSpecialFile(path)) return null;
  try {
    const doc = JSON.parse(readTextBounded(path, 64 * 1024 * 1024, 'summaries')) as Partial<SummaryDoc>;
    // A merged summary (it lists its shards) is a merge's output, not this batch's.
    if (doc?.format !== SUMMARY_FORMAT || doc.shards !== undefined || doc.parley !== header.parley || doc.scenario?.hash !== header.scenario.hash || typeof doc.design !== 'object' || doc.design === null) return null;
    if (JSON.stringify(unsharded(doc.design)) !== JSON.stringify(unsharded(header.design)) || JSON.stringify(doc.design.shard ?? null) !== JSON.stringify(header.design.shard ?? null)) return null;
    return identityOf(path);
  } catch {
    return null;
  }
}

