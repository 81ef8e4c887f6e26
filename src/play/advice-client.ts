/**
 * The play screen's side of the advice thread (advice-worker.ts): one worker, started on the
 * first request and then kept (a second request reuses its loaded scenario), unref'd so that it
 * never keeps the process alive. Requests go to this thread instead when the scenario is not in
 * a file, or once the worker has found the file changed since play began (this thread holds
 * the scenario as it was). Aborting a request's signal rejects its promise at once and tells the
 * worker to stop; a worker that dies rejects what it had, and the next request starts a new one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompareProgress } from '../analysis/compare.ts';
import { packageRoot } from '../paths.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { exerciseFingerprint, type Exercise } from '../scenario/exercise.ts';
import { inThreadAdviser, type Advice, type Adviser, type AdviceRequest } from './advice.ts';

/** To the worker. */
export type AdviceMessage = { readonly type: 'advise'; readonly id: number; readonly request: AdviceRequest } | { readonly type: 'cancel'; readonly id: number };

/** From the worker. `stale`: the scenario or exercise file is not what play began with. */
export type AdviceReply =
  | { readonly type: 'progress'; readonly id: number; readonly progress: CompareProgress }
  | { readonly type: 'done'; readonly id: number; readonly advice: Advice }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly stale: boolean };

interface Pending {
  readonly resolve: (advice: Advice) => void;
  readonly reject: (error: Error) => void;
  /** Computes the request on this thread instead (the worker found the file changed). */
  readonly fallBack: () => void;
  readonly onProgress: ((progress: CompareProgress) => void) | undefined;
}

/** A worker and the requests it has: each worker fails only its own when it dies. */
interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * Advice on a worker thread running `workerFile`; requests the worker cannot serve go to
 * `fallback`. `exercise`: the exercise being played, whose fingerprint the worker checks its
 * file against.
 */
export function workerAdviser(workerFile: string, fallback: Adviser, exercise: Exercise | null = null): Adviser {
  let thread: Thread | null = null;
  let next = 1;
  /** The worker found a file changed: from then on this thread computes. */
  let stale = false;
  const fingerprint = exercise ? exerciseFingerprint(exercise) : null;

  const failAll = (t: Thread, error: Error) => {
    for (const p of t.pending.values()) p.reject(error);
    t.pending.clear();
  };

  const start = (): Thread => {
    const t: Thread = { worker: new Worker(workerFile), pending: new Map() };
    t.worker.unref();
    t.worker.on('message', (message: AdviceReply) => {
      const p = t.pending.get(message.id);
      if (!p) return;
      if (message.type === 'progress') return p.onProgress?.(message.progress);
      t.pending.delete(message.id);
      if (message.type === 'done') p.resolve(message.advice);
      else if (message.stale) {
        stale = true;
        p.fallBack();
      } else p.reject(new Error(message.message));
    });
    t.worker.on('error', (error) => {
      if (thread === t) thread = null;
      failAll(t, new Error(`the advice thread failed: ${error.message}`));
    });
    t.worker.on('exit', () => {
      if (thread === t) thread = null;
      failAll(t, new Error('the advice thread stopped'));
    });
    return t;
  };

  return {
    advise(request, control = {}) {
      if (request.scenario.file === null || stale) return fallback.advise(request, control);
      const { signal } = control;
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      const t = (thread ??= start());
      const id = next++;
      const sent: AdviceRequest = request.exercise ? { ...request, exercise: { file: request.exercise.file, fingerprint: request.exercise.fingerprint ?? fingerprint } } : request;
      return new Promise<Advice>((resolve, reject) => {
        const onAbort = () => {
          if (!t.pending.delete(id)) return;
          t.worker.postMessage({ type: 'cancel', id } satisfies AdviceMessage);
          reject(signal!.reason as Error);
        };
        const settle = <T>(f: (x: T) => void) => (x: T) => {
          signal?.removeEventListener('abort', onAbort);
          f(x);
        };
        const fallBack = () => {
          signal?.removeEventListener('abort', onAbort);
          fallback.advise(request, control).then(resolve, reject);
        };
        t.pending.set(id, { resolve: settle(resolve), reject: settle(reject), fallBack, onProgress: control.onProgress });
        signal?.addEventListener('abort', onAbort, { once: true });
        t.worker.postMessage({ type: 'advise', id, request: sent } satisfies AdviceMessage);
      });
    },
    close() {
      const t = thread;
      thread = null;
      if (!t) return;
      failAll(t, new Error('the advice thread was closed'));
      void t.worker.terminate();
    },
  };
}

/**
 * The adviser `parley play` uses: the built worker next to the command when there is one, else
 * this thread; `exercise`: the exercise being played (its objective is the goal, as loaded when
 * play began).
 */
export function playAdviser(scenario: { readonly def: ScenarioDefinition }, exercise: Exercise | null = null): Adviser {
  const fallback = inThreadAdviser(scenario, exercise);
  const file = join(packageRoot(), 'dist', 'advice-worker.js');
  return existsSync(file) ? workerAdviser(file, fallback, exercise) : fallback;
}
