/**
 * Entry of the batch's worker threads (bundled as `dist/batch-worker.js`, run by piscina):
 * one chunk per task. Failures come back as values so that their kind survives the thread
 * boundary (a bad branch move is the user's input, anything else is a bug).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { contextFor, runChunk, type ChunkResult, type ChunkTask } from './chunk.ts';

export interface ChunkFailure {
  readonly failed: true;
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

/** Runs a chunk; the rows' buffer is moved to the main thread, not copied. */
export default function runTask(task: ChunkTask): ChunkResult | ChunkFailure {
  try {
    const result = runChunk(contextFor(task.plan), task);
    const rows = result.rows;
    if (!rows) return result;
    return move({ [transferableSymbol]: [rows.buffer], [valueSymbol]: result }) as unknown as ChunkResult;
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { failed: true, name: e.name, message: e.message, stack: e.stack ?? '' };
  }
}
