import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDesign, designPoints, parseRuns, parseShard, runRange, summaryBytesPerPoint, sweepValues, type DesignInput } from '../src/batch/design.ts';
import { latinHypercube } from '../src/batch/lhs.ts';
import { runGroup, runner } from '../src/analysis/runs.ts';
import { chunkContext, runChunk, runStart, type BatchPlan } from '../src/batch/chunk.ts';
import { rowLayout, parseRow, formatRow } from '../src/batch/rows.ts';
import { ExactSum, meanInterval, Moments, PointAccumulator, wilson } from '../src/stats/stats.ts';
import { compile, run } from '../src/engine/engine.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import { loadScenario, loadScenarioText } from '../src/scenario/load.ts';
import { isParleyInputError } from '../src/scenario/errors.ts';

const MINI = 'test/fixtures/mini.yaml';
const mini = loadScenario(MINI);
/** The fixture with two more parameters, for sampling. */
const wide = loadScenarioText(
  readFileSync(MINI, 'utf8').replace('parameters:\n', 'parameters:\n  alpha: {default: 10, range: [5, 25]}\n  beta: {default: 0, range: [-1, 1]}\n'),
  'wide.yaml',
);

const input = (over: Partial<DesignInput> = {}): DesignInput => ({ seed: 1, policy: 'default', runsPerPoint: 10, set: {}, sweeps: [], sample: null, branch: null, shard: null, ...over });

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (isParleyInputError(error)) return error.message;
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('Latin hypercube', () => {
  it('puts exactly one point in each of the k strata of every dimension', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (k, dims, seed) => {
        const pts = latinHypercube(k, dims, seed);
        expect(pts).toHaveLength(k);
        for (let d = 0; d < dims; d++) {
          const strata = pts.map((p) => Math.floor(p[d]! * k)).sort((a, b) => a - b);
          expect(strata).toEqual(Array.from({ length: k }, (_, i) => i));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is a function of the base seed', () => {
    expect(latinHypercube(20, 3, 7)).toEqual(latinHypercube(20, 3, 7));
    expect(latinHypercube(20, 3, 7)).not.toEqual(latinHypercube(20, 3, 8));
  });

  it('samples the parameters not set or swept, within their declared ranges, stratified', () => {
    const design = buildDesign(wide, input({ set: { push: 0.3 }, sample: 'lhs:40' }));
    expect(design.sample).toEqual({ method: 'lhs', points: 40, params: ['alpha', 'beta'] });
    const pts = designPoints(wide, design);
    expect(pts).toHaveLength(40);
    const [alpha, beta, push] = ['alpha', 'beta', 'push'].map((id) => wide.parameters.find((p) => p.id === id)!.index) as [number, number, number];
    expect(new Set(pts.map((p) => p[push]))).toEqual(new Set([0.3]));
    expect(pts.map((p) => Math.floor(((p[alpha]! - 5) / 20) * 40)).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(pts.map((p) => Math.floor(((p[beta]! + 1) / 2) * 40)).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('crosses with sweeps: the grid slowest, the samples fastest', () => {
    const design = buildDesign(wide, input({ sweeps: ['push=0:1:3'], sample: 'lhs:4' }));
    expect(design.points).toBe(12);
    expect(design.runs).toBe(120);
    const push = wide.parameters.find((p) => p.id === 'push')!.index;
    expect(designPoints(wide, design).map((p) => p[push])).toEqual([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1]);
  });
});

describe('sweeps and shards', () => {
  it('sweep values include both ends and are rounded cleanly', () => {
    expect(sweepValues({ param: 'p', from: 0, to: 1, steps: 5 })).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(sweepValues({ param: 'p', from: 0, to: 0.3, steps: 4 })).toEqual([0, 0.1, 0.2, 0.3]);
    expect(sweepValues({ param: 'p', from: 1, to: 0, steps: 3 })).toEqual([1, 0.5, 0]);
  });

  it('shards partition the run indices into contiguous slices', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 50 }), (runs, n) => {
        let next = 0;
        for (let k = 1; k <= n; k++) {
          const s = parseShard(`${k}/${n}`, runs);
          expect(s.start).toBe(next);
          expect(s.end).toBeGreaterThanOrEqual(s.start);
          next = s.end;
        }
        expect(next).toBe(runs);
      }),
    );
    expect(runRange(buildDesign(mini, input({ shard: '2/3', runsPerPoint: 10 })))).toEqual([3, 6]);
  });

  it.each([
    [{ set: { nope: 1 } }, /unknown parameter `nope`/],
    [{ set: { push: 1.5 } }, /push = 1\.5 is outside the declared range of push, \[0, 1\]/],
    [{ sweeps: ['push=0:1'] }, /expected NAME=FROM:TO:STEPS, not `push=0:1`/],
    [{ sweeps: ['push=0:x:3'] }, /TO `x` is not a number/],
    [{ sweeps: ['push=0:1:1'] }, /STEPS must be a whole number from 2/],
    [{ sweeps: ['push=0:1:2.5'] }, /STEPS must be a whole number from 2/],
    [{ sweeps: ['push=-1:1:3'] }, /FROM -1 is outside the declared range/],
    [{ sweeps: ['push=0.5:0.5:3'] }, /FROM and TO are equal/],
    [{ sweeps: ['push=0:1:3', 'push=0:1:2'] }, /push is swept twice/],
    [{ set: { push: 0.1 }, sweeps: ['push=0:1:3'] }, /push is both set and swept/],
    [{ sweeps: ['nope=0:1:3'] }, /unknown parameter `nope`/],
    [{ sample: 'lhs' }, /expected lhs:K/],
    [{ sample: 'lhs:0' }, /K must be from 1/],
    [{ sample: 'lhs:5', set: { push: 0.2 } }, /no parameter is left to sample/],
    [{ shard: '3/2' }, /`3\/2`: K must be from 1 to N \(2\)/],
    [{ shard: '0/2' }, /K must be from 1 to N/],
    [{ shard: '1-2' }, /expected K\/N/],
  ] as [Partial<DesignInput>, RegExp][])('refuses %j', (over, message) => {
    expect(usageMessage(() => buildDesign(mini, input(over)))).toMatch(message);
  });

  it('lists the valid parameters with their ranges for an unknown name', () => {
    expect(usageMessage(() => buildDesign(wide, input({ set: { psh: 1 } })))).toContain('did you mean `push`? valid parameters of wide: alpha [5, 25], beta [-1, 1], push [0, 1]');
  });
});

describe('parameter values are finite', () => {
  // A range as wide as doubles allow: its width, max - min, is Infinity.
  const huge = loadScenarioText(readFileSync(MINI, 'utf8').replace('push: {default: 0.5, range: [0, 1]', 'push: {default: 0.5, range: [-1e308, 1e308]'), 'huge.yaml');

  it('a sweep over [-1e308, 1e308] gives finite values in order, both ends exact', () => {
    expect(sweepValues({ param: 'p', from: -1e308, to: 1e308, steps: 3 })).toEqual([-1e308, 0, 1e308]);
    expect(sweepValues({ param: 'p', from: 1.7976931348623157e308, to: -1.7976931348623157e308, steps: 5 })).toEqual([1.7976931348623157e308, 8.98846567431e307, 0, -8.98846567431e307, -1.7976931348623157e308]);
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 2, max: 50 }), (from, to, steps) => {
        const values = sweepValues({ param: 'p', from, to, steps });
        expect(values[0]).toBe(from);
        expect(values[steps - 1]).toBe(to);
        for (const v of values) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(Math.min(from, to));
          expect(v).toBeLessThanOrEqual(Math.max(from, to));
        }
      }),
    );
    const design = buildDesign(huge, input({ sweeps: ['push=-1e308:1e308:3'] }));
    expect(designPoints(huge, design).flat().every(Number.isFinite)).toBe(true);
  });

  it('Latin hypercube samples of a range as wide as doubles allow are finite and inside it', () => {
    const design = buildDesign(huge, input({ sample: 'lhs:50' }));
    const push = huge.parameters.find((p) => p.id === 'push')!.index;
    const values = designPoints(huge, design).map((p) => p[push]!);
    for (const v of values) {
      expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(v)).toBeLessThanOrEqual(1e308);
    }
    expect(new Set(values.map((v) => Math.floor(((v / 1e308 + 1) / 2) * 50))).size).toBe(50);
  });

  it('refuses values that are not finite numbers', () => {
    expect(usageMessage(() => buildDesign(huge, input({ set: { push: Infinity } })))).toMatch(/push = Infinity is not a finite number/);
    expect(usageMessage(() => buildDesign(huge, input({ set: { push: NaN } })))).toMatch(/push = NaN is not a finite number/);
    expect(usageMessage(() => buildDesign(huge, input({ sweeps: ['push=-Infinity:0:3'] })))).toMatch(/FROM `-Infinity` is not a number/);
  });
});

describe('bounds', () => {
  const petro = loadScenario('petro-trump');

  it('refuses a design whose summary would not fit in memory, naming how many points fit', () => {
    expect(summaryBytesPerPoint(petro)).toBe(6200);
    expect(usageMessage(() => buildDesign(petro, input({ sample: 'lhs:1000000' })))).toMatch(
      /^--sample: the design has 1,000,000 points: their summary would take about 5913 MiB, and summaries are limited to 128 MiB\n {2}hint: petro-trump allows at most 21,648 points \(about 6,200 bytes each\): --sample lhs:21648; for more, run several batches with different --seed$/,
    );
    expect(buildDesign(petro, input({ sample: 'lhs:21648' })).points).toBe(21648);
    expect(usageMessage(() => buildDesign(petro, input({ sample: 'lhs:2000', sweeps: ['strike_appetite=0:1:11'] })))).toMatch(/hint: petro-trump allows at most 21,648 points .*: --sample lhs:1968;/);
    expect(usageMessage(() => buildDesign(petro, input({ sweeps: ['strike_appetite=0:1:100000', 'eln_activity=1:2:100000'] })))).toMatch(/^--sweep: the design has more than 1,000,000 points/);
  });

  it('refuses more runs than can be run or counted exactly', () => {
    expect(usageMessage(() => parseRuns('10000000001'))).toMatch(/^--runs: 10000000001 is more than 10,000,000,000 runs/);
    // A scenario whose runs may take a million steps (the sums of steps must stay below 2^53).
    const long = { ...mini, maxSteps: 1_000_000 };
    expect(usageMessage(() => buildDesign(long, input({ runsPerPoint: 10_000_000_000 })))).toMatch(/^--runs: 10,000,000,000 runs of up to 1,000,000 steps could not be counted exactly\n {2}hint: at most 9,007,190,247 runs for mini$/);
  });
});

describe('statistics', () => {
  it('Wilson intervals match published values', () => {
    const close = ([a, b]: [number, number], [x, y]: [number, number]) => {
      expect(a).toBeCloseTo(x, 6);
      expect(b).toBeCloseTo(y, 6);
    };
    // R: prop.test(x, n, correct = FALSE)$conf.int; at 0 and n the bound is n/(n + z²).
    close(wilson(5, 10), [0.2365931, 0.7634069]);
    close(wilson(0, 10), [0, 0.2775328]);
    close(wilson(10, 10), [0.7224672, 1]);
    close(wilson(50, 100), [0.4038315, 0.5961685]);
    // Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 → 0.2553 to 0.3662.
    expect(wilson(81, 263)[0]).toBeCloseTo(0.2553, 4);
    expect(wilson(81, 263)[1]).toBeCloseTo(0.3662, 4);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });

  it('exact sums do not depend on the order of addition, even past 2^53', () => {
    const values = [2 ** 52, 2 ** 52, 3, -1, 2 ** 60, 7];
    const forward = new ExactSum();
    const backward = new ExactSum();
    values.forEach((v) => forward.add(v));
    [...values].reverse().forEach((v) => backward.add(v));
    expect(forward.value()).toBe(2n ** 53n + 2n ** 60n + 9n);
    expect(backward.value()).toBe(forward.value());
  });

  it('means and their intervals come from values rounded to the quantum', () => {
    const m = new Moments();
    [1, 2, 3, 4].forEach((v) => m.add(v + 0.0001));
    const r = meanInterval(4, m.sum.value(), m.sumSq.value());
    expect(r.mean).toBe(2.5);
    expect(r.sd).toBeCloseTo(Math.sqrt(5 / 3), 9);
    expect(r.ci95![0]).toBeCloseTo(2.5 - (1.959963984540054 * Math.sqrt(5 / 3)) / 2, 9);
    expect(meanInterval(0, 0n, 0n)).toEqual({ mean: null, sd: null, ci95: null });
  });

  it('tallies merged in any grouping equal one tally of everything', () => {
    const all = new PointAccumulator(0, 3, 1, 2);
    const parts = [new PointAccumulator(0, 3, 1, 2), new PointAccumulator(0, 3, 1, 2)];
    for (let i = 0; i < 50; i++) {
      const args = [i % 3, [i % 2, i % 3], [i * 1.37, 100 - i * 0.91], 10 + (i % 4), -i * 0.3] as const;
      all.add(args[0], args[1], args[2], args[3], args[4]);
      parts[i % 2]!.add(args[0], args[1], args[2], args[3], args[4]);
    }
    const merged = new PointAccumulator(0, 3, 1, 2);
    merged.merge(parts[1]!.tally());
    merged.merge(parts[0]!.tally());
    expect(merged.tally()).toEqual(all.tally());
  });
});

describe('the batch loop', () => {
  const compiled = compile(mini);
  const kernel = runner(mini, 'default');

  it('takes the same decisions as run() on the fast executor', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, push) => {
        const reference = run(compiled, { seed, params: { push }, executor: 'fast', trace: false }).state;
        let visited = 0;
        runGroup(kernel, [{ params: [push], seed, moves: [] }], (end) => {
          visited++;
          expect(end.state()).toEqual(reference);
        });
        expect(visited).toBe(1);
      }),
      { numRuns: 200 },
    );
  });

  it('gives each row a branch code that reproduces its run, from a branch too', () => {
    const moves = [{ step: 0, action: { type: 'pull', lever: 'praise', force: 'warm' } }, { step: 2, action: { type: 'pull', lever: 'call' } }] as const;
    const plan: BatchPlan = { scenarioFile: MINI, hash: mini.hash, policy: 'default', seed: 3, runsPerPoint: 4, branch: { seed: 5, moves, step: 3, prefix: 'mini:5:default:1=praise+warm,3=call' }, format: 'jsonl' };
    const layout = rowLayout(mini, 'default');
    const result = runChunk(chunkContext(kernel, layout), { plan, start: 0, end: 4, points: { 0: [0.5] } });
    const rows = result.rows!.trim().split('\n').map((l) => JSON.parse(l) as { seed: number; branch: string; outcome: string; tensions: Record<string, number>; goldstein: number });
    expect(new Set(rows.map((r) => r.seed)).size).toBe(4);
    rows.forEach((row, i) => {
      expect(row.seed).toBe(deriveSeed(3, i));
      expect(row.branch).toBe(`mini:5:default:1=praise+warm,3=call,4@${row.seed}`);
      expect(runStart(plan, 'mini', i).moves.at(-1)).toEqual({ step: 3, action: { type: 'reroll', seed: row.seed } });
      const again = run(compiled, { seed: 5, moves: runStart(plan, 'mini', i).moves, executor: 'xstate' });
      expect(again.branchCode).toBe(row.branch);
      expect(again.outcome.id).toBe(row.outcome);
      expect(again.state.gs).toBe(row.goldstein);
      expect(again.state.t).toEqual(Object.values(row.tensions));
    });
  });

  it('reads back the rows it writes, in both formats', () => {
    const layout = rowLayout(mini, 'default');
    const record = { run: 12, point: 1, replicate: 2, seed: 99, params: [0.25], outcome: 1, judged: [2, 1], tensions: [0.1 + 0.2, 45], steps: 17, goldstein: -3.5, branch: 'mini:5:default:1=praise,4@99' };
    for (const format of ['csv', 'jsonl'] as const) {
      const row = parseRow(layout, formatRow(layout, record, format).trimEnd(), format);
      expect(row).toEqual({ run: 12, point: 1, replicate: 2, seed: 99, outcome: 'deal', checkpoints: ['muddle'], tensions: [0.1 + 0.2, 45], steps: 17, goldstein: -3.5 });
    }
  });
});
