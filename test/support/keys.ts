/** Keys typed into an Ink app under ink-testing-library, each waiting for the frame it causes. */
export const KEY = { up: '\u001B[A', down: '\u001B[B', enter: '\r', esc: '\u001B', tab: '\t' };

export const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/**
 * Types each key in turn and waits for the next frame, however busy the machine is (other test
 * files run beside this one); Esc waits longer, as Ink tells a lone Esc from an escape sequence
 * by a pause.
 */
export function keyPresser(r: { readonly frames: readonly string[]; readonly stdin: { write(data: string): void } }, frame: () => string) {
  return async (...keys: string[]): Promise<string> => {
    for (const k of keys) {
      const before = r.frames.length;
      r.stdin.write(k);
      for (let i = 0; i < 50 && r.frames.length === before; i++) await tick(10);
      await tick(k === KEY.esc ? 80 : 5);
    }
    return frame();
  };
}
