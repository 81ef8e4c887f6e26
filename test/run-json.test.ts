/**
 * `run --json` streams its document: on a 200-actor × 5,000-round scenario, one string of it was
 * longer than V8 allows ("Invalid string length" in JSON.stringify).
 */
import fc from 'fast-check';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeJson } from '../src/cli/run.ts';

function written(doc: Record<string, unknown>): { text: string; writes: number } {
  let text = '';
  let writes = 0;
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      writes++;
      done();
    },
  });
  writeJson(out, doc);
  return { text, writes };
}

describe('writeJson', () => {
  it('writes the bytes of JSON.stringify(doc, null, 2) for any document', () => {
    const value = fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.jsonValue(), fc.constant(undefined))), fc.constant(undefined));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (doc) => {
        expect(written(doc).text).toBe(JSON.stringify(doc, null, 2) + '\n');
      }),
      { numRuns: 500 },
    );
  });

  it('writes a long trace in pieces, never as one string', () => {
    const trace = Array.from({ length: 200_000 }, (_, i) => ({ step: i, happenings: [{ type: 'lever', lever: 'praise' }] }));
    const doc = { parley: '0.3.0', trace, final: { ended: true } };
    const { text, writes } = written(doc);
    expect(writes).toBeGreaterThan(100);
    expect(text).toBe(JSON.stringify(doc, null, 2) + '\n');
  });
});
