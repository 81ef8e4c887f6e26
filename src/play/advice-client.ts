/**
 * The play screen's side of the advice thread (advice-worker.ts): one worker, started on the
 * first request and then kept (a second request reuses its loaded scenario), unref'd so that it
 * never keeps the process alive. A request whose scenario is not in a file is computed on this
 * thread instead. Aborting a request's signal rejects its promise at once and tells the worker to
 * stop; a worker that dies rejects what it had, and the next request starts a new one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompareProgress } from '../analysis/compare.ts';
import { packageRoot } from '../paths.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { inThreadAdviser, type Advice, type AdviceControl, type Adviser, type AdviceRequest } from './advice.ts';

/** To the worker. */
export type AdviceMessage = { readonly type: 'advise'; readonly id: number; readonly request: AdviceRequest } | { readonly type: 'cancel'; readonly id: number };

/** From the worker. */
export type AdviceReply =
  | { readonly type: 'progress'; readonly id: number; readonly progress: CompareProgress }
  | { readonly type: 'done'; readonly id: number; readonly advice: Advice }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

interface Pending {
  readonly resolve: (advice: Advice) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress: ((progress: CompareProgress) => void) | undefined;
}

/** Advice on a worker thread running `workerFile`; requests without a scenario file go to `fallback`. */
export function workerAdviser(workerFile: string, fallback: Adviser): Adviser {
  let worker: Worker | null = null;
  let next = 1;
  const pending = new Map<number, Pending>();

  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  const start = (): Worker => {
    const w = new Worker(workerFile);
    w.unref();
    w.on('message', (message: AdviceReply) => {
      const p = pending.get(message.id);
      if (!p) return;
      if (message.type === 'progress') p.onProgress?.(message.progress);
      else {
        pending.delete(message.id);
        if (message.type === 'done') p.resolve(message.advice);
        else p.reject(new Error(message.message));
      }
    });
    w.on('error', (error) => {
      if (worker === w) worker = null;
      failAll(new Error(`the advice thread failed: ${error.message}`));
    });
    w.on('exit', () => {
      if (worker === w) worker = null;
      failAll(new Error('the advice thread stopped'));
    });
    return w;
  };

  return {
    advise(request, control = {}) {
      if (request.scenario.file === null) return fallback.advise(request, control);
      const { signal } = control;
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      const w = (worker ??= start());
      const id = next++;
      return new Promise<Advice>((resolve, reject) => {
        const onAbort = () => {
          if (!pending.delete(id)) return;
          w.postMessage({ type: 'cancel', id } satisfies AdviceMessage);
          reject(signal!.reason as Error);
        };
        const settle = <T>(f: (x: T) => void) => (x: T) => {
          signal?.removeEventListener('abort', onAbort);
          f(x);
        };
        pending.set(id, { resolve: settle(resolve), reject: settle(reject), onProgress: control.onProgress });
        signal?.addEventListener('abort', onAbort, { once: true });
        w.postMessage({ type: 'advise', id, request } satisfies AdviceMessage);
      });
    },
    close() {
      const w = worker;
      worker = null;
      failAll(new Error('the advice thread was closed'));
      void w?.terminate();
    },
  };
}

/** The adviser `parley play` uses: the built worker next to the command when there is one, else this thread. */
export function playAdviser(scenario: { readonly def: ScenarioDefinition }): Adviser {
  const fallback = inThreadAdviser(scenario);
  const file = join(packageRoot(), 'dist', 'advice-worker.js');
  return existsSync(file) ? workerAdviser(file, fallback) : fallback;
}
