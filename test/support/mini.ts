/** The mini fixture, and copies of it with some text replaced (for tests of the loader). */
import { readFileSync } from 'node:fs';

export const mini = readFileSync('test/fixtures/mini.yaml', 'utf8');

/** The fixture with some text replaced; each `from` must occur in it. */
export function edit(...pairs: [string, string][]): string {
  let text = mini;
  for (const [from, to] of pairs) {
    if (!text.includes(from)) throw new Error(`fixture has no ${from}`);
    text = text.replace(from, to);
  }
  return text;
}
