/**
 * Runs a range of a batch in chunks, on the main thread and (with more than one worker) a pool
 * of worker threads, and hands the results over strictly in run order. At most a few chunks per
 * thread are in flight, so memory does not grow with the number of runs. An abort stops the
 * batch within a second, even inside a chunk: the threads see a shared flag before every step,
 * and the main thread runs its chunks in slices of a fraction of a second so that a signal gets
 * in. A chunk cut short hands over the runs it finished, whole, and nothing after it is handed
 * over, so the caller's output stays contiguous.
 *
 * With W workers, W threads simulate: the main thread and a pool of W − 1 threads. The main
 * thread has the scenario compiled already, so it runs chunks from the start while the pool's
 * threads load theirs, and between two chunks of its own it hands the pool its next chunks and
 * writes what came back. Each pool thread holds its next chunk before it finishes the one it
 * runs, so it never waits for the main thread to send it work.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Piscina } from 'piscina';
import { BranchCodeError } from '../engine/branch-code.ts';
import { ParleyInputError, UsageError } from '../scenario/errors.ts';
import { contextFor, runChunk, type BatchPlan, type ChunkContext, type ChunkResult, type ChunkTask } from './chunk.ts';
import type { ChunkFailure, WorkerStart, WorkerTask } from './worker.ts';

export interface ExecuteOptions {
  readonly plan: BatchPlan;
  /** Parameter values of every design point. */
  readonly points: readonly (readonly number[])[];
  readonly from: number;
  readonly to: number;
  /**
   * Runs these ranges of run indices (ascending, disjoint; within `from..to)`), in order,
   * instead of all of `from..to)`: the new replicates of each point of an extended batch.
   */
  readonly ranges?: readonly (readonly [number, number])[];
  /** Threads that simulate: the calling thread, and a pool of one fewer threads. */
  readonly workers: number;
  /** Absolute path of the bundled worker entry (needed when workers > 1). */
  readonly workerFile: string;
  /** The plan's compiled scenario, when the caller has it (else the calling thread loads the plan's file). */
  readonly context?: ChunkContext;
  /** Threads started ahead (see `startPool`): used if they are the ones needed, and stopped at the end either way. */
  readonly pool?: WorkerPool;
  readonly chunkSize?: number;
  /** Rows a run writes in all (1, and its rounds when they are recorded): sizes the chunks. */
  readonly rowsPerRun?: number;
  readonly signal?: AbortSignal;
  /** Called once per chunk, in run order. */
  readonly onChunk: (result: ChunkResult) => void;
}

export interface ExecuteOutcome {
  /** One past the last run handed over. */
  readonly done: number;
  readonly interrupted: boolean;
}

/**
 * Runs per chunk: enough to amortise a message, small enough that a chunk's rows stay a
 * small object (large ones are collected late and made memory grow with the batch). A batch
 * that records rounds writes `rowsPerRun` rows a run: its chunks hold about as many rows as 64
 * runs' rows and rounds would on a scenario of 31 rounds (a few hundred KB of text), so that the
 * chunks waiting for an earlier one stay a few tens of MB.
 */
export function chunkSizeFor(runs: number, workers: number, rowsPerRun = 1): number {
  const most = rowsPerRun > 1 ? Math.max(8, Math.min(256, Math.floor(2048 / rowsPerRun))) : 256;
  return Math.max(Math.min(32, most), Math.min(most, Math.ceil(runs / (workers * 16))));
}

function taskFor(o: ExecuteOptions, start: number, end: number): ChunkTask {
  const points: Record<number, readonly number[]> = {};
  const n = o.plan.runsPerPoint;
  for (let p = Math.floor(start / n); p <= Math.floor((end - 1) / n); p++) points[p] = o.points[p]!;
  return { plan: o.plan, start, end, points };
}

/** Where the next chunk starts, over the ranges a batch runs. */
class Cursor {
  private k = 0;
  private at: number;
  /** The range of the chunk taken last. */
  private last = 0;
  constructor(private readonly ranges: readonly (readonly [number, number])[]) {
    this.at = ranges[0]?.[0] ?? 0;
    this.skipEmpty();
  }

  more(): boolean {
    return this.k < this.ranges.length;
  }

  /** The next chunk, of at most `size` runs, within one range. */
  take(size: number): [number, number] {
    this.last = this.k;
    const start = this.at;
    const end = Math.min(this.ranges[this.k]![1], start + size);
    this.at = end;
    this.skipEmpty();
    return [start, end];
  }

  /** The chunk taken last (nothing taken since) ended at `end`: the next one starts there. */
  back(end: number): void {
    this.k = this.last;
    this.at = end;
    this.skipEmpty();
  }

  private skipEmpty(): void {
    while (this.k < this.ranges.length && this.at >= this.ranges[this.k]![1]) {
      this.k++;
      if (this.k < this.ranges.length) this.at = this.ranges[this.k]![0];
    }
  }
}

/** The ranges a batch runs, and how many runs they hold. */
function rangesOf(o: ExecuteOptions): { ranges: readonly (readonly [number, number])[]; runs: number } {
  const ranges = o.ranges ?? [[o.from, o.to] as const];
  return { ranges, runs: ranges.reduce((n, [a, b]) => n + Math.max(0, b - a), 0) };
}

function isFailure(r: ChunkResult | ChunkFailure): r is ChunkFailure {
  return (r as ChunkFailure).failed === true;
}

function toError(f: ChunkFailure): Error {
  if (f.issues) return new ParleyInputError(f.issues);
  const e = f.name === 'BranchCodeError' ? new BranchCodeError(f.message, f.branchCode ?? { reason: 'replay' }) : new Error(f.message);
  e.stack = f.stack || e.stack;
  return e;
}

const WORKER_HEAP_MB = 64;
/**
 * Young generation of a pool thread: the main thread's default. A smaller one made the threads
 * collect twice as often as the main thread for the same runs (a tenth of their time).
 */
const WORKER_YOUNG_MB = 48;
/** Chunks a pool thread holds at once: the one it runs and the next one. */
const CHUNKS_PER_THREAD = 2;
/**
 * Chunks done and waiting for an earlier one (a pool thread's, still running or still starting):
 * at most this many, so that what waits to be written stays a few megabytes.
 */
const MAX_WAITING = 64;

/** Longest stretch the main thread runs without letting a signal or a redraw in. */
const SLICE_MS = 200;

/** A thread's heap is bounded (see the pool): a scenario too large for it is said so, not a stack. */
const outOfMemory = () =>
  new UsageError(`a worker thread ran out of its ${WORKER_HEAP_MB} MB of memory on this scenario`, 'run it with --workers 1, on the main thread, whose memory is not bounded', '--workers');

/** What a thread's failure (not a chunk's: those come back as values) is to the caller. */
const asFailure = (error: unknown): unknown => ((error as { code?: string } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfMemory() : error);

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Worker threads for a batch: `threads` of them, running `workerFile`. */
export interface WorkerPool {
  readonly threads: number;
  readonly workerFile: string;
  readonly piscina: Piscina;
  /** A thread that failed while it had no chunk (while it started, say). */
  error: unknown;
}

/**
 * Starts the threads of a batch with `workers` workers (`workers` − 1 threads: the main thread
 * is the other one). A thread takes a good part of a second to load the engine and the scenario,
 * so a caller that knows early how many it needs starts them early, and names the scenario file
 * so that they load it as they start. Whoever starts a pool stops it: `executeBatch` stops the
 * one it is given.
 */
export function startPool(workers: number, workerFile: string, start: WorkerStart = {}): WorkerPool {
  // Loaded at once, not with `await import()`: the threads start now, not when this thread is next idle.
  const { Piscina } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
  const threads = workers - 1;
  const piscina = new Piscina({
    filename: pathToFileURL(workerFile).href,
    workerData: start,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    // A thread's next chunk waits in the thread, not in the main thread's queue.
    concurrentTasksPerWorker: CHUNKS_PER_THREAD,
    // Bounded heaps make each thread collect early, so memory stays flat over millions of
    // runs (a thread holds one compiled scenario and a chunk of rows: a few MB).
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  const pool: WorkerPool = { threads, workerFile, piscina, error: null };
  piscina.on('error', (error: unknown) => (pool.error ??= error));
  return pool;
}

/** The pool a batch needs: the one started ahead if it fits, else a new one (an unfit one is stopped). */
async function poolFor(o: ExecuteOptions): Promise<WorkerPool> {
  const ahead = o.pool;
  if (ahead && ahead.threads === o.workers - 1 && ahead.workerFile === o.workerFile) return ahead;
  await ahead?.piscina.destroy();
  return startPool(o.workers, o.workerFile);
}

export async function executeBatch(o: ExecuteOptions): Promise<ExecuteOutcome> {
  const { ranges, runs } = rangesOf(o);
  const size = o.chunkSize ?? chunkSizeFor(runs, o.workers, o.rowsPerRun);
  if (o.workers <= 1) {
    await o.pool?.piscina.destroy();
    const ctx = o.context ?? contextFor(o.plan);
    let done = ranges[0]?.[0] ?? o.from;
    for (const [from, to] of ranges) {
      done = from;
      while (done < to) {
        if (o.signal?.aborted) return { done, interrupted: true };
        const result = runChunk(ctx, taskFor(o, done, Math.min(to, done + size)), { sliceMs: SLICE_MS });
        o.onChunk(result);
        done = result.end;
        // Let a signal or a progress redraw in between chunks.
        await yieldToEvents();
      }
    }
    return { done, interrupted: false };
  }

  const workerPool = await poolFor(o);
  const { threads, piscina: pool } = workerPool;
  const maxInFlight = threads * CHUNKS_PER_THREAD;
  // Set on abort; every thread reads it before each step of its runs.
  const stop = new Int32Array(new SharedArrayBuffer(4));
  /** Chunks done and not yet handed over, by index (chunk i starts where chunk i − 1 ends). */
  const ready = new Map<number, ChunkResult>();
  /** Where each chunk not yet handed over should end, by its start. */
  const taskEnds = new Map<number, number>();
  const cursor = new Cursor(ranges);
  let handed = 0;
  let nextIndex = 0;
  let writeIndex = 0;
  let done = ranges[0]?.[0] ?? o.from;
  let inFlight = 0;
  let failure: unknown = null;
  // A chunk cut short by the stop ends the output: it is handed over, and nothing after it.
  let cut = false;
  /** Whether to start no more chunks: a failure (a thread's while it had no chunk too), a chunk cut short, a stop. */
  const stopped = () => {
    if (workerPool.error !== null) failure ??= asFailure(workerPool.error);
    return failure !== null || cut || o.signal?.aborted === true;
  };
  /** Wakes the main thread when it waits for a pool thread's chunk. */
  let wake: () => void = () => {};

  const flush = () => {
    for (let r = ready.get(writeIndex); r && failure === null && !cut; r = ready.get(writeIndex)) {
      ready.delete(writeIndex);
      try {
        if (r.end > r.start) o.onChunk(r);
        done = r.end;
        handed += r.end - r.start;
        writeIndex++;
        cut = r.end < taskEnds.get(r.start)!;
        taskEnds.delete(r.start);
      } catch (error) {
        failure = error;
      }
    }
  };

  let drained: () => void = () => {};
  const poolDrained = new Promise<void>((resolve) => (drained = resolve));
  let mainDone = false;
  const pump = () => {
    while (!stopped() && inFlight < maxInFlight && cursor.more()) {
      const index = nextIndex++;
      const [start, end] = cursor.take(size);
      inFlight++;
      taskEnds.set(start, end);
      const task: WorkerTask = { ...taskFor(o, start, end), stop };
      (pool.run(task) as Promise<ChunkResult | ChunkFailure>).then(
        (r) => {
          inFlight--;
          if (isFailure(r)) failure ??= toError(r);
          else {
            ready.set(index, r);
            flush();
          }
          pump();
          wake();
        },
        (error: unknown) => {
          inFlight--;
          failure ??= asFailure(error);
          pump();
          wake();
        },
      );
    }
    if (inFlight === 0 && mainDone) drained();
  };
  const onAbort = () => {
    Atomics.store(stop, 0, 1);
    pump();
    wake();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    // The main thread's share: one chunk at a time, the pool fed first, events let in between.
    let ctx: ChunkContext | null = o.context ?? null;
    pump();
    while (!stopped() && cursor.more()) {
      if (ready.size >= MAX_WAITING) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const index = nextIndex++;
      const [start, end] = cursor.take(size);
      let r: ChunkResult;
      try {
        ctx ??= contextFor(o.plan);
        r = runChunk(ctx, taskFor(o, start, end), { sliceMs: SLICE_MS });
      } catch (error) {
        failure ??= error;
        break;
      }
      // Nothing else ran meanwhile: the chunk takes the runs it did, and the next one starts after them.
      cursor.back(r.end);
      taskEnds.set(start, r.end);
      ready.set(index, r);
      flush();
      pump();
      await yieldToEvents();
    }
    mainDone = true;
    pump();
    await poolDrained;
    stopped(); // a thread that failed after its last chunk
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await pool.destroy();
  }
  if (failure !== null) throw failure;
  return { done, interrupted: handed < runs };
}
