import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deriveSeed, roundDraws } from '../src/index.ts';

describe('seeded randomness (alea, one stream per seed and round)', () => {
  it('gives the pinned golden values', () => {
    // If these change, every saved branch code and batch result changes: bump ENGINE_VERSION.
    expect(roundDraws(42, 0, 4)).toEqual([0.699384065112099, 0.2938704330008477, 0.30646154284477234, 0.9867622908204794]);
    expect(roundDraws(0, 7, 2)).toEqual([0.5383801138959825, 0.6080233848188072]);
    expect(deriveSeed(42, 0)).toBe(2952825069);
    expect(deriveSeed(42, 1)).toBe(2143932862);
  });

  it('draws in [0, 1) and the same values for the same seed and round', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.nat(500), (seed, g) => {
        const a = roundDraws(seed, g, 8);
        expect(roundDraws(seed, g, 8)).toEqual(a);
        for (const u of a) expect(u >= 0 && u < 1).toBe(true);
        // A longer block starts with the same draws: slots are stable.
        expect(roundDraws(seed, g, 12).slice(0, 8)).toEqual(a);
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
