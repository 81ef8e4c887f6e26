/**
 * Entry of the batch's worker threads (bundled as `dist/batch-worker.js`, run by piscina):
 * one chunk per task. Failures come back as values so that their kind survives the thread
 * boundary (a bad branch move is the user's input, anything else is a bug).
 */
import { contextFor, runChunk, type ChunkResult, type ChunkTask } from './chunk.ts';

export interface ChunkFailure {
  readonly failed: true;
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

/**
 * Runs a chunk. Its rows go back as a string: a small string lands in the main thread's young
 * generation and is collected at once, where a transferred buffer is external memory that the
 * main thread, which allocates little, would collect late.
 */
export default function runTask(task: ChunkTask): ChunkResult | ChunkFailure {
  try {
    return runChunk(contextFor(task.plan), task);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { failed: true, name: e.name, message: e.message, stack: e.stack ?? '' };
  }
}
