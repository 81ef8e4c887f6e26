/**
 * Long analyses as generators: each yields its progress between lock-step groups, so the same
 * computation runs to its end at once (`finish`) or in slices that give the event loop back
 * (`finishAsync`: a terminal UI stays responsive, shows progress and can cancel).
 */

/** Runs `steps` to its end and returns its result. */
export function finish<P, R>(steps: Generator<P, R>): R {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

export interface AsyncControl<P> {
  /** Aborting it stops the computation: the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called with each progress report. */
  readonly onProgress?: (progress: P) => void;
  /** Milliseconds of work between yields to the event loop (default 20). */
  readonly sliceMs?: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `steps` in slices, yielding to the event loop between them; the result does not depend on the slicing. */
export async function finishAsync<P, R>(steps: Generator<P, R>, control: AsyncControl<P> = {}): Promise<R> {
  const slice = control.sliceMs ?? 20;
  let began = performance.now(); // clock-ok: sizes time slices, never results
  for (;;) {
    control.signal?.throwIfAborted();
    const next = steps.next();
    if (next.done) return next.value;
    control.onProgress?.(next.value);
    if (performance.now() - began >= slice) { // clock-ok: as above
      await yieldToLoop();
      began = performance.now(); // clock-ok: as above
    }
  }
}
