// Row text is written as bytes (src/batch/rows.ts); it must be exactly the text a plain template
// gives, for every number and every name a row can hold.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatRow, RowBuffer, rowPieces, writeRow, type RowLayout, type RunRecord } from '../src/batch/rows.ts';

const csvField = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The reference: rows as templates print them. */
function templateRow(layout: RowLayout, r: RunRecord, format: 'csv' | 'jsonl'): string {
  const o = layout.outcomes;
  if (format === 'csv') {
    const judged = layout.exercise !== undefined ? [r.met === true, r.score ?? 0] : [];
    return [r.run, r.point, r.replicate, r.seed, ...r.params, layout.policy, o[r.outcome], ...layout.checkpoints.map((_, c) => o[r.judged[c]!]), ...Array.from(r.tensions), r.steps, r.goldstein, ...judged, csvField(r.branch)].map(String).join(',') + '\n';
  }
  const named = (names: readonly string[], values: ArrayLike<unknown>) => Object.fromEntries(names.map((n, i) => [n, values[i]]));
  return `${JSON.stringify({
    run: r.run, point: r.point, replicate: r.replicate, seed: r.seed, params: named(layout.params, r.params), policy: layout.policy, outcome: o[r.outcome],
    checkpoints: named(layout.checkpoints, layout.checkpoints.map((_, c) => o[r.judged[c]!])), tensions: named(layout.tensions, r.tensions),
    steps: r.steps, goldstein: r.goldstein, ...(layout.exercise !== undefined ? { met: r.met === true, score: r.score ?? 0 } : {}), branch: r.branch,
  })}\n`;
}

const edgy = fc.constantFrom(0, -0, 1, -1, 0.1 + 0.2, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 2 ** 32 - 1, 1e15 - 1, 1e15, -1e15, 1e21, 2 ** 53, 5e-324, -123.456, 49.59999999999996);
const number = fc.oneof(edgy, fc.integer({ min: -1e9, max: 5e9 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.maxSafeInteger());
const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,12}$/);

describe('row text', () => {
  it('is byte for byte what a template gives, in CSV and JSONL', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 4 }), fc.uniqueArray(name, { maxLength: 3 }), fc.uniqueArray(name, { maxLength: 5 }), fc.uniqueArray(name, { maxLength: 2 }), name,
        fc.array(number, { maxLength: 5 }), fc.array(number, { maxLength: 5 }), number, fc.string({ unit: 'binary' }), fc.nat(), fc.nat({ max: 2 ** 32 - 1 }),
        fc.option(fc.record({ met: fc.boolean(), score: fc.integer({ min: 0, max: 200 }) }), { nil: undefined }),
        (outcomes, checkpoints, tensions, params, policy, pv, tv, goldstein, branch, run, seed, judged) => {
          const layout: RowLayout = { params, checkpoints, tensions, outcomes, policy, ...(judged ? { exercise: 'ex' } : {}) };
          const r: RunRecord = {
            run, point: run % 7, replicate: run % 3, seed, params: params.map((_, i) => pv[i] ?? i), outcome: run % outcomes.length,
            judged: checkpoints.map((_, c) => (run + c) % outcomes.length), tensions: tensions.map((_, i) => tv[i] ?? -i), steps: run % 200, goldstein, branch, ...judged,
          };
          for (const format of ['csv', 'jsonl'] as const) expect(formatRow(layout, r, format)).toBe(templateRow(layout, r, format));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps a thread\'s buffer across rows, grows it, and starts empty after take', () => {
    const layout: RowLayout = { params: ['p'], checkpoints: [], tensions: ['T'], outcomes: ['a', 'b'], policy: 'default' };
    const out = new RowBuffer();
    const pieces = rowPieces(layout, 'csv');
    const r: RunRecord = { run: 0, point: 0, replicate: 0, seed: 7, params: [0.5], outcome: 1, judged: [], tensions: [12.25], steps: 3, goldstein: -1.5, branch: 'x:7:default' };
    let expected = '';
    for (let i = 0; i < 5000; i++) {
      r.run = i;
      writeRow(out, pieces, r);
      expected += templateRow(layout, r, 'csv');
    }
    expect(out.take()).toBe(expected);
    expect(out.length).toBe(0);
    writeRow(out, pieces, r);
    expect(out.take()).toBe(templateRow(layout, r, 'csv'));
  });
});
