import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { drawBlock, drawLanes, roundDraws, seedStream, skipDraws } from '../src/engine/rng.ts';

type Alea = (() => number) & { state(): { c: number; s0: number; s1: number; s2: number } };

describe('the seeded stream', () => {
  it("draws exactly what seedrandom's alea draws, block after block, and ends in its state", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5 }), (seed, n, blocks) => {
        const reference = seedrandom.alea(String(seed), { state: true }) as unknown as Alea;
        let state = seedStream(seed);
        for (let b = 0; b < blocks; b++) {
          const block = drawBlock(state, n);
          expect(block.u).toEqual(Array.from({ length: n }, () => reference()));
          expect(block.state).toEqual(reference.state());
          state = block.state;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('draws for many streams at once exactly what each stream draws on its own', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), (seeds, slots, blocks) => {
        const n = seeds.length;
        const starts = seeds.map(seedStream);
        const r = { c: Float64Array.from(starts, (s) => s.c), s0: Float64Array.from(starts, (s) => s.s0), s1: Float64Array.from(starts, (s) => s.s1), s2: Float64Array.from(starts, (s) => s.s2) };
        const out = new Float64Array(n * slots);
        const states = [...starts];
        for (let b = 0; b < blocks; b++) {
          drawLanes(r, n, slots, out);
          states.forEach((state, i) => {
            const block = drawBlock(state, slots);
            expect(Array.from(out.subarray(i * slots, (i + 1) * slots))).toEqual(block.u);
            expect({ c: r.c[i], s0: r.s0[i], s1: r.s1[i], s2: r.s2[i] }).toEqual(block.state);
            states[i] = block.state;
          });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('skips draws and reads any round of a seed without reading the rounds before it', () => {
    const reference = seedrandom.alea('42') as unknown as Alea;
    const all = Array.from({ length: 5 * 38 }, () => reference());
    expect(roundDraws(42, 3, 38)).toEqual(all.slice(3 * 38, 4 * 38));
    expect(drawBlock(skipDraws(seedStream(42), 100), 5).u).toEqual(all.slice(100, 105));
    expect(drawBlock(seedStream(42), 0)).toEqual({ u: [], state: seedStream(42) });
  });
});
