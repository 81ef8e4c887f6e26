// The sensitivity designs and estimators (src/stats/sensitivity.ts) against answers known in
// closed form: the Sobol sequence's first points, an additive model, the Ishigami function, and
// Morris on a linear model with an interaction.
import { describe, expect, it } from 'vitest';
import { morrisDesign, morrisIndices, oatDesign, oatEffects, saltelliDesign, sobolIndices, sobolSequence, SALTELLI_MAX_PARAMETERS } from '../src/stats/sensitivity.ts';

const rowsOf = (x: Float64Array, d: number) => Array.from({ length: x.length / d }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d)));
const evaluate = (design: { d: number; rows: number; x: Float64Array }, f: (p: number[]) => number) => rowsOf(design.x, design.d).map(f);

describe('the Sobol sequence', () => {
  it('starts with the points every implementation gives', () => {
    expect(rowsOf(sobolSequence(8, 3), 3)).toEqual([
      [0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
      [0.375, 0.375, 0.625], [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375],
    ]);
    expect(rowsOf(sobolSequence(3, 3, 5), 3)).toEqual(rowsOf(sobolSequence(8, 3), 3).slice(5));
  });

  it('fills each dimension evenly: the first 2^k points fall one in each cell of width 2^-k', () => {
    const d = 64;
    const x = sobolSequence(1024, d);
    for (let j = 0; j < d; j++) {
      const cells = new Set<number>();
      for (let i = 0; i < 1024; i++) cells.add(Math.floor(x[i * d + j]! * 1024));
      expect(cells.size).toBe(1024);
    }
  });
});

describe('Sobol indices (Saltelli design, Jansen estimators)', () => {
  it('recover an additive model: S_i = a_i² / Σa², and total = first', () => {
    const a = [4, 2, 1, 0];
    const n = 4096;
    const design = saltelliDesign(n, a.length);
    const y = evaluate(design, (p) => p.reduce((s, v, i) => s + a[i]! * v, 0));
    const s = sobolIndices(y, n, a.length, { resamples: 200, seed: 1 });
    const sum = a.reduce((t, v) => t + v * v, 0);
    a.forEach((ai, i) => {
      expect(s.first[i]!.value).toBeCloseTo((ai * ai) / sum, 2);
      expect(s.total[i]!.value).toBeCloseTo((ai * ai) / sum, 2);
      expect(s.total[i]!.ci[0]).toBeLessThanOrEqual(s.total[i]!.value);
      expect(s.total[i]!.ci[1]).toBeGreaterThanOrEqual(s.total[i]!.value);
    });
    expect(s.total[3]!.value).toBe(0);
  });

  it('recover the Ishigami function’s indices within their intervals', () => {
    // f = sin x1 + 7 sin² x2 + 0.1 x3⁴ sin x1 on [-π, π]³: S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    const n = 8192;
    const design = saltelliDesign(n, 3);
    const y = evaluate(design, (p) => {
      const [x1, x2, x3] = p.map((u) => -Math.PI + 2 * Math.PI * u) as [number, number, number];
      return Math.sin(x1) + 7 * Math.sin(x2) ** 2 + 0.1 * x3 ** 4 * Math.sin(x1);
    });
    const s = sobolIndices(y, n, 3, { resamples: 300, seed: 7 });
    const first = [0.3139, 0.4424, 0];
    const total = [0.5576, 0.4424, 0.2437];
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(s.first[i]!.value - first[i]!)).toBeLessThan(0.03);
      expect(Math.abs(s.total[i]!.value - total[i]!)).toBeLessThan(0.03);
      expect(s.total[i]!.ci[1] - s.total[i]!.ci[0]).toBeLessThan(0.1);
    }
  });

  it('are the same for the same seed, and refuse a mismatched output count', () => {
    const design = saltelliDesign(64, 2);
    const y = evaluate(design, (p) => p[0]! * p[1]!);
    expect(sobolIndices(y, 64, 2, { seed: 3, resamples: 50 })).toEqual(sobolIndices(y, 64, 2, { seed: 3, resamples: 50 }));
    expect(() => sobolIndices(y.slice(1), 64, 2)).toThrow(/256 outputs, not 255/);
    expect(() => saltelliDesign(8, SALTELLI_MAX_PARAMETERS + 1)).toThrow(/Saltelli design takes/);
  });

  it('lays rows out as A, AB_1 … AB_d, B', () => {
    const d = 3;
    const design = saltelliDesign(4, d);
    const rows = rowsOf(design.x, d);
    for (let b = 0; b < 4; b++) {
      const A = rows[b * (d + 2)]!;
      const B = rows[b * (d + 2) + d + 1]!;
      for (let i = 0; i < d; i++) expect(rows[b * (d + 2) + 1 + i]).toEqual(A.map((v, k) => (k === i ? B[k] : v)));
    }
  });
});

describe('Morris elementary effects', () => {
  it('give μ* = |slope| and σ = 0 on a linear model, and σ > 0 where parameters interact', () => {
    const design = morrisDesign(40, 4, 4, 11);
    const y = evaluate(design, (p) => 3 * p[0]! - 2 * p[1]! + 5 * p[2]! * p[3]!);
    const m = morrisIndices(design, y, { resamples: 200, seed: 2 });
    expect(m.muStar[0]!.value).toBeCloseTo(3, 10);
    expect(m.mu[1]).toBeCloseTo(-2, 10);
    expect(m.muStar[1]!.value).toBeCloseTo(2, 10);
    expect(m.sigma[0]).toBeCloseTo(0, 10);
    expect(m.sigma[2]).toBeGreaterThan(0.5);
    expect(m.muStar[2]!.value).toBeGreaterThan(0.5);
  });

  it('keeps every point on the grid in [0, 1] and moves one parameter per step', () => {
    const d = 5;
    const design = morrisDesign(30, d, 6, 4);
    const rows = rowsOf(design.x, d);
    for (const p of rows) for (const v of p) expect(v >= 0 && v <= 1 + 1e-12).toBe(true);
    for (let t = 0; t < 30; t++) {
      const moved = new Set<number>();
      for (let s = 0; s < d; s++) {
        const a = rows[t * (d + 1) + s]!;
        const b = rows[t * (d + 1) + s + 1]!;
        const diff = a.map((v, k) => (v !== b[k] ? k : -1)).filter((k) => k >= 0);
        expect(diff).toHaveLength(1);
        expect(Math.abs(b[diff[0]!]! - a[diff[0]!]!)).toBeCloseTo(6 / 10, 12);
        moved.add(diff[0]!);
      }
      expect(moved.size).toBe(d);
    }
  });
});

describe('one at a time', () => {
  it('gives each parameter its low and high end around the centre', () => {
    const design = oatDesign([0.5, 0.25]);
    const y = evaluate(design, (p) => 10 * p[0]! + p[1]!);
    const { centre, effects } = oatEffects(2, y);
    expect(centre).toBe(5.25);
    expect(effects).toEqual([{ low: 0.25, high: 10.25, swing: 10 }, { low: 5, high: 6, swing: 1 }]);
  });
});
