/**
 * Entry of the batch's worker threads (bundled as `dist/batch-worker.js`, run by piscina):
 * one chunk per task. Failures come back as values so that their kind survives the thread
 * boundary (a bad branch move is the user's input, anything else is a bug).
 */
import { BranchCodeError, type BranchCodeDetails } from '../engine/branch-code.ts';
import { isParleyInputError, type Issue } from '../scenario/errors.ts';
import { contextFor, runChunk, type ChunkResult, type ChunkTask } from './chunk.ts';

/** A chunk, and the flag (shared by every thread) that the main thread sets to stop the batch. */
export interface WorkerTask extends ChunkTask {
  readonly stop: Int32Array;
}

export interface ChunkFailure {
  readonly failed: true;
  readonly name: string;
  readonly message: string;
  readonly stack: string;
  /** The problems of an input error (the scenario file, changed or broken since the batch began). */
  readonly issues?: readonly Issue[];
  /** What a bad branch move says besides its message. */
  readonly branchCode?: BranchCodeDetails;
}

/**
 * Runs a chunk. Its rows go back as a string: a small string lands in the main thread's young
 * generation and is collected at once, where a transferred buffer is external memory that the
 * main thread, which allocates little, would collect late.
 */
export default function runTask(task: WorkerTask): ChunkResult | ChunkFailure {
  try {
    return runChunk(contextFor(task.plan), task, { stop: task.stop });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { failed: true, name: e.name, message: e.message, stack: e.stack ?? '', ...(isParleyInputError(e) ? { issues: e.issues } : {}), ...(e instanceof BranchCodeError ? { branchCode: e.details } : {}) };
  }
}
