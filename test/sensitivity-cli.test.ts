// `parley sensitivity` end to end: a scenario whose indices are known in closed form
// (test/fixtures/sensitivity/additive.yaml: P(heads) = 0.1 + 0.5a + 0.3b, c does nothing), run
// as a batch on workers and in shards, and the design exported as SALib reads it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/parley.js');
const ADDITIVE = resolve('test/fixtures/sensitivity/additive.yaml');
const dir = mkdtempSync(join(tmpdir(), 'parley-sensitivity-'));

function parley(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PARLEY_PROGRESS_SECONDS: '0' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const sens = (...args: string[]) => parley('sensitivity', ...args);
const json = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
type Index = { param: string; value: number; ci: [number, number]; low: number; high: number };
const byParam = (rows: Index[]) => Object.fromEntries(rows.map((r) => [r.param, r]));

describe('parley sensitivity', () => {
  it('Sobol: recovers the analytic indices (S_a = 0.735, S_b = 0.265, S_c = 0) within their intervals, the same on 1 and 2 workers', () => {
    const args = [ADDITIVE, '--measure', 'heads', '--size', '256', '--runs', '100', '--seed', '5', '--json'];
    const one = sens(...args, '--workers', '1');
    expect(one.code, one.err).toBe(0);
    const two = sens(...args, '--workers', '2');
    expect(two.out).toBe(one.out);
    const doc = JSON.parse(one.out);
    expect(doc).toMatchObject({ format: 'parley-sensitivity', method: 'sobol', points: 256 * 5, runsPerPoint: 100, runs: 128_000 });
    const total = byParam(doc.indices.total);
    for (const [p, want] of [['a', 0.735], ['b', 0.265], ['c', 0]] as const) {
      expect(Math.abs(total[p]!.value - want), `${p}: ${total[p]!.value}`).toBeLessThan(0.06);
      expect(total[p]!.ci[0] - 0.03).toBeLessThanOrEqual(want);
      expect(total[p]!.ci[1] + 0.03).toBeGreaterThanOrEqual(want);
    }
    expect(doc.indices.noise.ratio).toBeGreaterThan(0);
    expect(doc.indices.noise.ratio).toBeLessThan(0.2);
  });

  it('Morris in two shards, merged, equals the whole analysis; the terminal chart ranks a, b, c', () => {
    const base = [ADDITIVE, '--measure', 'heads', '--method', 'morris', '--size', '30', '--runs', '100', '--seed', '4', '--quiet'];
    const whole = sens(...base, '--result', 'whole.json');
    expect(whole.code, whole.err).toBe(0);
    expect(whole.out).toMatch(/Morris elementary effects of heads/);
    expect(whole.out.indexOf('  a (σ')).toBeLessThan(whole.out.indexOf('  b (σ'));
    expect(whole.out.indexOf('  b (σ')).toBeLessThan(whole.out.indexOf('  c (σ'));
    for (const k of [1, 2]) {
      const part = sens(...base, '--shard', `${k}/2`, '--summary', `m${k}.json`);
      expect(part.code, part.err).toBe(0);
      expect(part.err).toMatch(/parley merge SUMMARIES/);
    }
    expect(parley('merge', 'm1.json', 'm2.json', '--out', 'm.json').code).toBe(0);
    const merged = sens(ADDITIVE, '--from', 'm.json', '--measure', 'heads', '--result', 'merged.json');
    expect(merged.code, merged.err).toBe(0);
    expect(json('merged.json').indices).toEqual(json('whole.json').indices);
    expect(sens('--from', 'm.json', '--measure', 'heads').code).toBe(2);
  });

  it('exports its design and measures as SALib reads them, and runs a design file through parley batch --design', () => {
    const r = sens(ADDITIVE, '--measure', 'heads', '--method', 'oat', '--runs', '2000', '--seed', '2', '--export-design', 'design.csv', '--json');
    expect(r.code, r.err).toBe(0);
    const x = readFileSync(join(dir, 'design.csv'), 'utf8').trim().split('\n');
    const y = readFileSync(join(dir, 'design-y.csv'), 'utf8').trim().split('\n');
    expect(x[0]).toBe('a,b,c');
    expect(y[0]).toBe('heads');
    expect(x).toHaveLength(1 + 7);
    expect(y).toHaveLength(1 + 7);
    const oat = byParam(JSON.parse(r.out).indices.oat);
    expect(oat.a!.high - oat.a!.low).toBeCloseTo(0.5, 1);
    expect(Math.abs(oat.c!.high - oat.c!.low)).toBeLessThan(0.04);
    // The same points as a batch: each point's share of heads is the measure the analysis read.
    const b = parley('batch', ADDITIVE, '--design', 'design.csv', '--runs', '2000', '--seed', '2', '--summary', 'batch.json', '--workers', '1');
    expect(b.code, b.err).toBe(0);
    const points = json('batch.json').points as { outcomes: { heads: { proportion: number } } }[];
    expect(points.map((p) => String(p.outcomes.heads.proportion))).toEqual(y.slice(1).map((v) => String(Number(v))));
  });

  it('refuses bad input with exit 2 and a message', () => {
    expect(sens(ADDITIVE).err).toMatch(/--measure is required/);
    expect(sens(ADDITIVE, '--measure', 'hedas').err).toMatch(/`hedas` is not an outcome.*\n.*did you mean `heads`/);
    expect(sens(ADDITIVE, '--measure', 'heads', '--method', 'fast').err).toMatch(/unknown method `fast`/);
    expect(sens(ADDITIVE, '--measure', 'heads', '--params', 'a,z').err).toMatch(/`z` is not a parameter/);
    expect(sens(ADDITIVE, '--measure', 'heads', '--method', 'morris', '--levels', '3').err).toMatch(/even number of levels/);
    writeFileSync(join(dir, 'bad.csv'), 'a,b\n0.5,2\n');
    const bad = parley('batch', ADDITIVE, '--design', 'bad.csv', '--runs', '10');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.csv:2:5: 2 is outside the range of b, \[0, 1\]/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });
});
