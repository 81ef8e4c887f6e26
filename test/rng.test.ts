import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deriveSeed, roundDraws } from '../src/index.ts';

describe('seeded randomness (one alea stream per seed, read in blocks per round)', () => {
  it('gives the pinned golden values', () => {
    // If these change, every saved branch code and batch result changes: bump ENGINE_VERSION.
    expect(roundDraws(42, 0, 4)).toEqual([0.6848634963389486, 0.5463244677521288, 0.8455933185759932, 0.19908552314154804]);
    expect(roundDraws(0, 7, 2)).toEqual([0.137378882849589, 0.7915322126355022]);
    expect(deriveSeed(42, 0)).toBe(2952825069);
    expect(deriveSeed(42, 1)).toBe(2143932862);
  });

  it('draws in [0, 1) and the same values for the same seed and round', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.nat(500), (seed, g) => {
        const a = roundDraws(seed, g, 8);
        expect(roundDraws(seed, g, 8)).toEqual(a);
        for (const u of a) expect(u >= 0 && u < 1).toBe(true);
        // Round g's block is the g-th block of the seed's one stream.
        expect(roundDraws(seed, 0, 8 * (g + 1)).slice(8 * g)).toEqual(a);
      }),
    );
  });

  it('gives different streams to different rounds and seeds', () => {
    expect(roundDraws(1, 0, 3)).not.toEqual(roundDraws(1, 1, 3));
    expect(roundDraws(1, 0, 3)).not.toEqual(roundDraws(2, 0, 3));
  });

  it('derives replicate seeds that are valid and distinct', () => {
    const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => deriveSeed(7, i)));
    expect(seeds.size).toBe(10_000);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s <= 2 ** 32 - 1).toBe(true);
  });
});
