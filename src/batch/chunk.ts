/**
 * A chunk of a batch: a contiguous range of run indices, simulated and turned into row text
 * and per-point tallies. The same function runs in the main thread (one worker) and in the
 * pool's threads, so the output cannot depend on where it ran.
 */
import { runGroup, runner, type RunStart, type Runner } from '../analysis/runs.ts';
import { judgeEnd } from '../analysis/exercise-runs.ts';
import { loadExercise, type Exercise } from '../scenario/exercise.ts';
import type { Move } from '../engine/branch-code.ts';
import { runSeed, type SeedPairing } from './design.ts';
import { MAX_LANES } from '../engine/runs.ts';
import { shellCommand } from '../io/files.ts';
import { loadScenario } from '../scenario/load.ts';
import { UsageError } from '../scenario/errors.ts';
import { RowBuffer, rowLayout, rowPieces, writeRow, type RowFormat, type RowLayout, type RowPieces, type RunRecord } from './rows.ts';
import { PointAccumulator, type PointTally } from '../stats/stats.ts';
import { RoundRecorder } from './rounds.ts';

/** Where every run of a `--branch` batch starts: the code's moves, then a reroll at `step`. */
export interface BranchStart {
  /** Seed of the branch code (the stream up to the branch point). */
  readonly seed: number;
  readonly moves: readonly Move[];
  /** Step of the branch point, where each run rerolls to its own seed. */
  readonly step: number;
  /** The branch code's text without the reroll, to which each row appends its own. */
  readonly prefix: string;
}

/** What a worker needs to run any chunk of a batch (plain data: it is sent to threads). */
export interface BatchPlan {
  /** File to load the scenario from; its hash must match. */
  readonly scenarioFile: string;
  readonly hash: string;
  readonly policy: string;
  /** Base seed: run i has seed `runSeed(plan, i)`. */
  readonly seed: number;
  /** Default `paired`. */
  readonly seeds?: SeedPairing;
  readonly runsPerPoint: number;
  readonly branch: BranchStart | null;
  /** Row format, or null when no rows are written. */
  readonly format: RowFormat | null;
  /**
   * The exercise the batch runs (`--exercise`): the file its threads load it from (its injects
   * change the scenario's schedule), and its seeds, which the first replicates of each point play.
   */
  readonly exercise?: { readonly file: string; readonly seeds: readonly number[]; readonly ref: string };
  /** Whether rows carry the `replay` column (see `columns`). */
  readonly replay?: boolean;
  /** Whether a chunk hands back each run's outcome (to pair runs across points). */
  readonly outcomes?: boolean;
  /** Format of the rounds' rows (`--record rounds`), or null/absent when they are not recorded. */
  readonly rounds?: RowFormat | null;
}

export interface ChunkTask {
  readonly plan: BatchPlan;
  readonly start: number;
  readonly end: number;
  /** Parameter values of the design points the range touches, by point index. */
  readonly points: Readonly<Record<number, readonly number[]>>;
}

export interface ChunkResult {
  readonly start: number;
  /** One past the last run done: before the task's end when the chunk was cut short. */
  readonly end: number;
  /** The rows' text; null when no rows are written. */
  readonly rows: string | null;
  readonly tallies: PointTally[];
  /** Each run's outcome index, in run order (when the plan asks for them). */
  readonly outcomes?: number[];
  /** The rows of the runs' rounds, in run order (when the plan records rounds). */
  readonly rounds?: string;
}

export interface ChunkContext {
  readonly runner: Runner;
  readonly layout: RowLayout;
  /** The layout's constant row text, by format, without and with the replay column. */
  readonly pieces: { readonly csv: RowPieces; readonly jsonl: RowPieces; readonly csvReplay: RowPieces; readonly jsonlReplay: RowPieces };
  /** Where this thread writes its rows (taken whole at the end of each chunk). */
  readonly out: RowBuffer;
  /** The exercise whose objective and score each run is judged by, when the batch runs one. */
  readonly exercise?: Exercise;
  /** Where it writes the rows of rounds, and its recorders by format (made when first needed). */
  readonly roundsOut: RowBuffer;
  readonly recorders: Partial<Record<RowFormat, RoundRecorder>>;
}

/** A chunk context for a compiled scenario and policy (and the exercise a batch runs, if any). */
export function chunkContext(r: Runner, layout: RowLayout, exercise?: Exercise): ChunkContext {
  const pieces = { csv: rowPieces(layout, 'csv'), jsonl: rowPieces(layout, 'jsonl'), csvReplay: rowPieces(layout, 'csv', true), jsonlReplay: rowPieces(layout, 'jsonl', true) };
  return { runner: r, layout, pieces, out: new RowBuffer(), roundsOut: new RowBuffer(), recorders: {}, ...(exercise ? { exercise } : {}) };
}

const contexts = new Map<string, ChunkContext>();

/** The compiled scenario for a plan, loaded once per thread. */
export function contextFor(plan: BatchPlan): ChunkContext {
  const key = `${plan.scenarioFile}\0${plan.hash}\0${plan.policy}\0${plan.exercise?.file ?? ''}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    const exercise = plan.exercise ? loadExercise(plan.exercise.file) : undefined;
    const def = exercise ? exercise.def : loadScenario(plan.scenarioFile);
    if (def.hash !== plan.hash) throw new UsageError('the scenario file changed while the batch was starting; run it again', undefined, plan.scenarioFile);
    ctx = chunkContext(runner(def, plan.policy), rowLayout(def, plan.policy, exercise?.id), exercise);
    contexts.set(key, ctx);
  }
  return ctx;
}

/** Seed, moves and branch code of run `index`. */
export function runStart(plan: BatchPlan, scenario: string, index: number): { seed: number; startSeed: number; moves: readonly Move[]; branch: string } {
  const seed = runSeed(plan, index);
  const b = plan.branch;
  if (!b) return { seed, startSeed: seed, moves: [], branch: `${scenario}:${seed}:${plan.policy}` };
  return {
    seed,
    startSeed: b.seed,
    moves: [...b.moves, { step: b.step, action: { type: 'reroll', seed } }],
    branch: `${b.prefix}${b.moves.length ? ',' : ':'}${b.step + 1}@${seed}`,
  };
}

/** How a chunk may be cut short; a cut chunk's result covers the runs before the cut, whole. */
export interface ChunkControl {
  /** Set to non-zero by another thread to stop (a signal): the group being run is dropped. */
  readonly stop?: Int32Array;
  /** Return after about this many milliseconds (the main thread, to let a signal in). */
  readonly sliceMs?: number;
}

/** Milliseconds a lock-step group should take at most, so that a stop is seen well within a second. */
const GROUP_MS = 100;

export function runChunk(ctx: ChunkContext, task: ChunkTask, control: ChunkControl = {}): ChunkResult {
  const { plan } = task;
  const { stop, sliceMs } = control;
  const stopped = stop ? () => Atomics.load(stop, 0) !== 0 : undefined;
  const began = performance.now(); // clock-ok: sizes lock-step groups and time slices, never results
  // Runs per lock-step group: they do not change a run's result, only how long a group takes.
  // The first group is small, and later ones are sized to take about GROUP_MS.
  let lanes = stopped || sliceMs !== undefined ? 8 : MAX_LANES;
  let done = task.start;
  const { runner, layout, out, exercise } = ctx;
  const pieces = plan.format === null ? null : plan.replay ? (plan.format === 'csv' ? ctx.pieces.csvReplay : ctx.pieces.jsonlReplay) : ctx.pieces[plan.format];
  out.clear();
  const def = runner.k.def;
  const checkpoints = layout.checkpoints.length;
  const accs = new Map<number, PointAccumulator>();
  const record: RunRecord = { run: 0, point: 0, replicate: 0, seed: 0, params: [], outcome: 0, judged: [], tensions: [], steps: 0, goldstein: 0, branch: '' };
  const outcomes: number[] | null = plan.outcomes ? [] : null;
  const recorder = plan.rounds ? (ctx.recorders[plan.rounds] ??= new RoundRecorder(def, plan.rounds, runner.L.capacity)) : null;
  const roundsOut = ctx.roundsOut;
  roundsOut.clear();
  runner.L.onRoundEnd = recorder?.hook ?? null;
  const sets = new Map<number, string>();
  // An exercise's runs replay under it (its injects are not in the branch code).
  const replayExercise = plan.exercise ? `--exercise ${shellCommand([plan.exercise.ref])} ` : '';
  /** ` --set NAME=VALUE` for each parameter of the point that differs from its default. */
  const setsOf = (point: number, params: readonly number[]): string => {
    let text = sets.get(point);
    if (text === undefined) {
      text = def.parameters.filter((p) => params[p.index] !== p.default).map((p) => ` --set ${p.id}=${params[p.index]}`).join('');
      sets.set(point, text);
    }
    return text;
  };
  const group: (RunStart & { point: number; start: ReturnType<typeof runStart> })[] = [];
  while (done < task.end && !stopped?.()) {
    const from = done;
    const t0 = performance.now(); // clock-ok: as above
    group.length = 0;
    for (let i = from; i < Math.min(task.end, from + lanes); i++) {
      const point = Math.floor(i / plan.runsPerPoint);
      const params = task.points[point];
      if (!params) throw new Error(`chunk ${task.start}–${task.end} lacks the values of design point ${point}`);
      const start = runStart(plan, def.id, i);
      group.push({ params, seed: start.startSeed, moves: start.moves, point, start });
    }
    recorder?.clear(group.length);
    // A batch's runs share their moves but for the last reroll, so they advance in lock step.
    const finished = runGroup(runner, group, (s, j) => {
      const i = from + j;
      const { point, params, start } = group[j]!;
      let acc = accs.get(point);
      if (!acc) accs.set(point, (acc = new PointAccumulator(point, def.outcomes.length, checkpoints, def.tensions.length, exercise !== undefined)));
      acc.add(s.outcome, s.judged, s.tensions, s.steps, s.goldstein);
      if (exercise) {
        const { met, score } = judgeEnd(exercise, s);
        acc.judge(met, score);
        record.met = met;
        record.score = score;
      }
      outcomes?.push(s.outcome);
      // Runs that cannot share lanes run one at a time in lane 0, each visited right after it ends.
      recorder?.take(runner.L.n === group.length ? j : 0, roundsOut, i, point, i - point * plan.runsPerPoint);
      if (pieces) {
        record.run = i;
        record.point = point;
        record.replicate = i - point * plan.runsPerPoint;
        record.seed = start.seed;
        record.params = params;
        record.outcome = s.outcome;
        record.judged = s.judged;
        record.tensions = s.tensions;
        record.steps = s.steps;
        record.goldstein = s.goldstein;
        record.branch = start.branch;
        if (pieces.replay) record.replay = `${replayExercise}--branch ${start.branch}${setsOf(point, params)}`;
        writeRow(out, pieces, record);
      }
    }, stopped);
    if (!finished) {
      // Stopped: the group is dropped.
      if (outcomes) outcomes.length = done - task.start;
      break;
    }
    done = from + group.length;
    const now = performance.now(); // clock-ok: as above
    lanes = Math.max(1, Math.min(MAX_LANES, Math.floor((group.length * GROUP_MS) / Math.max(now - t0, 0.01))));
    if (sliceMs !== undefined && now - began >= sliceMs) break;
  }
  runner.L.onRoundEnd = null;
  return { start: task.start, end: done, rows: pieces ? out.take() : null, tallies: [...accs.values()].map((a) => a.tally()), ...(outcomes ? { outcomes } : {}), ...(recorder ? { rounds: roundsOut.take() } : {}) };
}
