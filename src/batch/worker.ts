/**
 * Entry of the batch's worker threads (bundled as `dist/batch-worker.js`, run by piscina):
 * one chunk per task. Failures come back as values so that their kind survives the thread
 * boundary (a bad branch move is the user's input, anything else is a bug).
 *
 * A pool started ahead of its batch (see `startPool`) names the scenario file it will run: the
 * thread loads and compiles it as it starts, while the main thread loads its own copy, instead
 * of after its first chunk arrives.
 */
import { BranchCodeError, type BranchCodeDetails } from '../engine/branch-code.ts';
import { workerData } from 'piscina';
import { runner } from '../analysis/runs.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { isParleyInputError, type Issue } from '../scenario/errors.ts';
import { loadScenario } from '../scenario/load.ts';
import { chunkContext, contextFor, runChunk, type BatchPlan, type ChunkContext, type ChunkResult, type ChunkTask } from './chunk.ts';
import { rowLayout } from './rows.ts';

/** A chunk, and the flag (shared by every thread) that the main thread sets to stop the batch. */
export interface WorkerTask extends ChunkTask {
  readonly stop: Int32Array;
}

/** What the main thread tells a pool's threads when they start. */
export interface WorkerStart {
  /** The scenario file the batch will most likely run (as `BatchPlan.scenarioFile` will name it). */
  readonly scenarioFile?: string;
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

/** The scenario loaded as the thread started, or null (none named, or it did not load: the plan's is loaded then). */
const early = loadEarly(workerData as WorkerStart | undefined);
const contexts = new Map<string, ChunkContext>();

function loadEarly(start: WorkerStart | undefined): { def: ScenarioDefinition } | null {
  if (typeof start?.scenarioFile !== 'string') return null;
  try {
    return { def: loadScenario(start.scenarioFile) };
  } catch {
    return null;
  }
}

/** `contextFor(plan)`, from the scenario loaded early when it is the plan's (same file, same content). */
function contextOf(plan: BatchPlan): ChunkContext {
  // An exercise's runs need its injects: its own file is loaded (contextFor).
  if (!early || plan.exercise || early.def.file !== plan.scenarioFile || early.def.hash !== plan.hash) return contextFor(plan);
  let ctx = contexts.get(plan.policy);
  if (!ctx) contexts.set(plan.policy, (ctx = chunkContext(runner(early.def, plan.policy), rowLayout(early.def, plan.policy))));
  return ctx;
}

/**
 * Runs a chunk. Its rows go back as a string: a small string lands in the main thread's young
 * generation and is collected at once, where a transferred buffer is external memory that the
 * main thread, which allocates little, would collect late.
 */
export default function runTask(task: WorkerTask): ChunkResult | ChunkFailure {
  try {
    return runChunk(contextOf(task.plan), task, { stop: task.stop });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { failed: true, name: e.name, message: e.message, stack: e.stack ?? '', ...(isParleyInputError(e) ? { issues: e.issues } : {}), ...(e instanceof BranchCodeError ? { branchCode: e.details } : {}) };
  }
}
