import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { drawBlock, roundDraws, seedStream, skipDraws } from '../src/engine/rng.ts';

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

  it('skips draws and reads any round of a seed without reading the rounds before it', () => {
    const reference = seedrandom.alea('42') as unknown as Alea;
    const all = Array.from({ length: 5 * 38 }, () => reference());
    expect(roundDraws(42, 3, 38)).toEqual(all.slice(3 * 38, 4 * 38));
    expect(drawBlock(skipDraws(seedStream(42), 100), 5).u).toEqual(all.slice(100, 105));
    expect(drawBlock(seedStream(42), 0)).toEqual({ u: [], state: seedStream(42) });
  });
});
