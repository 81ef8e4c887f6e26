/**
 * Runs a range of a batch in chunks, on the main thread or on a pool of worker threads, and
 * hands the results over strictly in run order. At most a few chunks per thread are in flight,
 * so memory does not grow with the number of runs. An abort stops the batch within a second,
 * even inside a chunk: the threads see a shared flag before every step, and the main thread runs
 * its chunks in slices of a fraction of a second so that a signal gets in. A chunk cut short
 * hands over the runs it finished, whole, and nothing after it is handed over, so the caller's
 * output stays contiguous.
 */
import { pathToFileURL } from 'node:url';
import { BranchCodeError } from '../engine/branch-code.ts';
import { ParleyInputError, UsageError } from '../scenario/errors.ts';
import { contextFor, runChunk, type BatchPlan, type ChunkResult, type ChunkTask } from './chunk.ts';
import type { ChunkFailure, WorkerTask } from './worker.ts';

export interface ExecuteOptions {
  readonly plan: BatchPlan;
  /** Parameter values of every design point. */
  readonly points: readonly (readonly number[])[];
  readonly from: number;
  readonly to: number;
  /** 1 runs on the calling thread; more use a pool of that many threads. */
  readonly workers: number;
  /** Absolute path of the bundled worker entry (needed when workers > 1). */
  readonly workerFile: string;
  readonly chunkSize?: number;
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
 * small object (large ones are collected late and made memory grow with the batch).
 */
export function chunkSizeFor(runs: number, workers: number): number {
  return Math.max(32, Math.min(256, Math.ceil(runs / (workers * 16))));
}

function taskFor(o: ExecuteOptions, start: number, end: number): ChunkTask {
  const points: Record<number, readonly number[]> = {};
  const n = o.plan.runsPerPoint;
  for (let p = Math.floor(start / n); p <= Math.floor((end - 1) / n); p++) points[p] = o.points[p]!;
  return { plan: o.plan, start, end, points };
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

/** Longest stretch the main thread runs without letting a signal or a redraw in. */
const SLICE_MS = 200;

/** A thread's heap is bounded (see the pool): a scenario too large for it is said so, not a stack. */
const outOfMemory = () =>
  new UsageError(`a worker thread ran out of its ${WORKER_HEAP_MB} MB of memory on this scenario`, 'run it with --workers 1, on the main thread, whose memory is not bounded', '--workers');

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function executeBatch(o: ExecuteOptions): Promise<ExecuteOutcome> {
  const size = o.chunkSize ?? chunkSizeFor(o.to - o.from, o.workers);
  if (o.workers <= 1) {
    const ctx = contextFor(o.plan);
    let done = o.from;
    while (done < o.to) {
      if (o.signal?.aborted) return { done, interrupted: true };
      const result = runChunk(ctx, taskFor(o, done, Math.min(o.to, done + size)), { sliceMs: SLICE_MS });
      o.onChunk(result);
      done = result.end;
      // Let a signal or a progress redraw in between chunks.
      await yieldToEvents();
    }
    return { done, interrupted: false };
  }

  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: pathToFileURL(o.workerFile).href,
    minThreads: o.workers,
    maxThreads: o.workers,
    idleTimeout: 60_000,
    // Bounded heaps make each thread collect early, so memory stays flat over millions of
    // runs (a thread holds one compiled scenario and a chunk of rows: a few MB).
    resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  const maxInFlight = o.workers * 3;
  // Set on abort; every thread reads it before each step of its runs.
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const ready = new Map<number, ChunkResult>();
  let nextStart = o.from;
  let nextIndex = 0;
  let writeIndex = 0;
  let done = o.from;
  let inFlight = 0;
  let failure: unknown = null;
  try {
    await new Promise<void>((resolve) => {
      // A chunk cut short by the stop ends the output: it is handed over, and nothing after it.
      let cut = false;
      /** Where each chunk in flight should end, by its start. */
      const taskEnds = new Map<number, number>();
      const flush = () => {
        for (let r = ready.get(writeIndex); r && failure === null && !cut; r = ready.get(writeIndex)) {
          ready.delete(writeIndex);
          try {
            if (r.end > r.start) o.onChunk(r);
            done = r.end;
            writeIndex++;
            cut = r.end < taskEnds.get(r.start)!;
            taskEnds.delete(r.start);
          } catch (error) {
            failure = error;
          }
        }
      };
      const pump = () => {
        while (failure === null && !o.signal?.aborted && inFlight < maxInFlight && nextStart < o.to) {
          const index = nextIndex++;
          const start = nextStart;
          const end = Math.min(o.to, start + size);
          nextStart = end;
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
            },
            (error: unknown) => {
              inFlight--;
              failure ??= (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfMemory() : error;
              pump();
            },
          );
        }
        if (inFlight === 0) resolve();
      };
      o.signal?.addEventListener(
        'abort',
        () => {
          Atomics.store(stop, 0, 1);
          pump();
        },
        { once: true },
      );
      pump();
    });
  } finally {
    await pool.destroy();
  }
  if (failure !== null) throw failure;
  return { done, interrupted: done < o.to };
}
