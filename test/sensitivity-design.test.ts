// The parts of a sensitivity analysis between the estimators and the batch: parameter kinds,
// measures read from a point's tallies, the noise estimate, and the terminal chart.
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { analyse, indexChart, measureAt, methodDesign, parseMeasure, pointValues, type VariedParam } from '../src/batch/sensitivity.ts';

const real = (id: string, min = 0, max = 1): VariedParam => ({ id, min, max, default: (min + max) / 2, kind: 'real' });

describe('parameter kinds', () => {
  it('give a design\'s points as reals in the range, whole numbers, or 0 and 1', () => {
    const params: VariedParam[] = [real('r', 2, 4), { id: 'i', min: 1, max: 3, default: 2, kind: 'integer' }, { id: 's', min: 0, max: 1, default: 0, kind: 'switch' }];
    const rows = pointValues(methodDesign('sobol', params, { size: 64, seed: 1 }), params);
    expect(rows.every(([r, i, s]) => r! >= 2 && r! <= 4 && [1, 2, 3].includes(i!) && (s === 0 || s === 1))).toBe(true);
    expect(new Set(rows.map((r) => r[1])).size).toBe(3);
    // One at a time: the centre is each parameter's default.
    expect(pointValues(methodDesign('oat', params, { size: 1, seed: 1 }), params)[0]).toEqual([3, 2, 0]);
  });
});

describe('measures', () => {
  const names = { outcomes: ['reset', 'truce', 'crisis'], tensions: ['HOST'] };
  it('read outcome shares, groups, tension means and the Goldstein score', () => {
    expect(parseMeasure('reset+truce', names)).toEqual({ kind: 'outcomes', name: 'reset+truce', outcomes: ['reset', 'truce'] });
    expect(parseMeasure('settled=reset+truce', names)).toMatchObject({ name: 'settled', outcomes: ['reset', 'truce'] });
    expect(parseMeasure('HOST', names)).toEqual({ kind: 'tension', name: 'HOST', tension: 'HOST' });
    expect(parseMeasure('goldstein', names).kind).toBe('goldstein');
    expect(() => parseMeasure('reset+truse', names)).toThrow(/`truse` is not an outcome/);
    const point = { runs: 10, outcomes: { reset: { count: 2 }, truce: { count: 3 }, crisis: { count: 5 } }, tensions: { HOST: { mean: 40, sd: 10 } }, goldstein: { mean: -3, sd: 2 } };
    expect(measureAt(parseMeasure('reset+truce', names), point)).toEqual({ value: 0.5, noise: 0.25 / 9 });
    expect(measureAt(parseMeasure('HOST', names), point)).toEqual({ value: 40, noise: 10 });
  });
});

describe('an analysis with Monte Carlo noise', () => {
  // A model whose share is 0.1 + 0.5a + 0.3b, measured by R Bernoulli replicates per point.
  const params = [real('a'), real('b'), real('c')];
  function measured(method: 'sobol' | 'morris' | 'oat', size: number, R: number) {
    const design = methodDesign(method, params, { size, seed: 5 });
    const rng = seedrandom.alea('noise');
    const points = pointValues(design, params).map(([a, b]) => {
      const p = 0.1 + 0.5 * a! + 0.3 * b!;
      let k = 0;
      for (let r = 0; r < R; r++) if (rng() < p) k++;
      return measureAt({ kind: 'outcomes', name: 'heads', outcomes: ['heads'] }, { runs: R, outcomes: { heads: { count: k } }, tensions: {}, goldstein: { mean: 0 } });
    });
    return analyse(design, params, points.map((p) => p.value), points.map((p) => p.noise), { seed: 1, resamples: 300 });
  }

  it('Sobol: recovers S_a ≈ 0.735, S_b ≈ 0.265, S_c ≈ 0, and says the noise is small', () => {
    const ix = measured('sobol', 1024, 400);
    const total = Object.fromEntries(ix.total!.map((e) => [e.param, e]));
    expect(total.a!.value).toBeGreaterThan(0.68);
    expect(total.a!.value).toBeLessThan(0.8);
    expect(total.b!.value).toBeGreaterThan(0.22);
    expect(total.b!.value).toBeLessThan(0.32);
    expect(total.c!.value).toBeLessThan(0.03);
    expect(ix.noise.ratio!).toBeLessThan(0.05);
    const chart = indexChart(ix);
    expect(chart[1]).toMatch(/^ {2}a +█+/);
    expect(chart.join('\n')).toMatch(/first-order index/);
  });

  it('Morris: ranks a over b over c, and with few replicates says the noise is large', () => {
    const ix = measured('morris', 30, 400);
    const mu = Object.fromEntries(ix.muStar!.map((e) => [e.param, e.value]));
    expect(mu.a!).toBeGreaterThan(mu.b!);
    expect(mu.b!).toBeGreaterThan(mu.c!);
    expect(mu.a!).toBeCloseTo(0.5, 1);
    const noisy = measured('morris', 30, 4);
    expect(noisy.noise.ratio!).toBeGreaterThan(ix.noise.ratio! * 20);
  });

  it('one at a time: each parameter from its low to its high end', () => {
    const ix = measured('oat', 1, 20000);
    const swing = Object.fromEntries(ix.oat!.map((e) => [e.param, e.swing]));
    expect(swing.a!).toBeCloseTo(0.5, 1);
    expect(swing.b!).toBeCloseTo(0.3, 1);
    expect(swing.c!).toBeLessThan(0.03);
  });
});
