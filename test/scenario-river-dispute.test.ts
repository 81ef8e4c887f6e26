/**
 * The fictional teaching scenario (river-dispute): it validates, runs, has a shape of its own,
 * reaches every outcome under its default policy, and its two teaching points hold over seeded
 * batches (95% Wilson intervals apart): a hard line makes an armed clash likelier, and a UN
 * envoy with more leverage makes a water treaty likelier.
 */
import { describe, expect, it } from 'vitest';
import { compile, deriveSeed, formatTranscript, loadScenario, run, validateScenarioFile, type RunOptions } from '../src/index.ts';

const compiled = compile(loadScenario('river-dispute'));
const def = compiled.def;
const ids = def.outcomes.map((o) => o.id);
const N = 1500;

function wilson(k: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Final outcome counts over N seeded runs. */
function counts(options: Omit<RunOptions, 'seed'> = {}): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (let i = 0; i < N; i++) out[ids[run(compiled, { ...options, seed: deriveSeed(31, i), executor: 'fast', trace: false }).state.outcome]!]!++;
  return out;
}

const baseline = counts();

describe('the fictional teaching scenario (river-dispute)', () => {
  it('validates and runs to a transcript with an outcome', () => {
    expect(validateScenarioFile('river-dispute')).toEqual([]);
    const result = run(compiled, { seed: 1 });
    expect(ids).toContain(result.outcome.id);
    expect(formatTranscript(def, result)).toContain('The Selva river dispute');
  });

  it('has a shape of its own: two states and a UN envoy, four tensions, talks then a weekly dry season, four outcomes', () => {
    expect(def.actors.map((a) => [a.id, a.role])).toEqual([['arvenia', 'principal'], ['belcora', 'principal'], ['envoy', 'mediator'], ['farmers', 'spoiler']]);
    expect(def.tensions.map((t) => t.id)).toEqual(['WATER', 'TROOPS', 'RHET', 'MISTRUST']);
    expect(def.phases.map((p) => [p.id, p.rounds, p.roundDays])).toEqual([['talks', 3, 1], ['dry_season', 12, 7]]);
    expect(ids).toEqual(['armed_clash', 'water_treaty', 'interim_deal', 'frozen_conflict']);
  });

  it('reaches every outcome under the default policy, none in more than 60% of runs', () => {
    for (const id of ids) {
      expect(baseline[id], id).toBeGreaterThan(0);
      expect(wilson(baseline[id]!, N)[1], id).toBeLessThan(0.6);
    }
  });

  it('a hard line on both sides makes an armed clash more likely than the default policy', () => {
    const hard = counts({ policy: 'hardline' });
    expect(wilson(hard.armed_clash!, N)[0]).toBeGreaterThan(wilson(baseline.armed_clash!, N)[1]);
  });

  it('an envoy with more leverage makes a water treaty more likely (Kydd: leverage, not neutrality, moves the parties)', () => {
    const strong = counts({ params: { envoy_leverage: 0.25 } });
    const none = counts({ params: { envoy_leverage: 0 } });
    expect(wilson(strong.water_treaty!, N)[0]).toBeGreaterThan(wilson(none.water_treaty!, N)[1]);
  });
});
