import { describe, expect, it } from 'vitest';
import { compile, deriveSeed, loadScenario, run } from '../src/index.ts';

const compiled = compile(loadScenario('river-dispute'));
const ids = compiled.def.outcomes.map((o) => o.id);

function counts(policy: string, n: number): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (let i = 0; i < n; i++) out[ids[run(compiled, { seed: deriveSeed(31, i), policy, executor: 'fast', trace: false }).state.outcome]!]!++;
  return out;
}

describe('the fictional teaching scenario (river-dispute)', () => {
  it('has a different shape from the default: its own actors, tensions and outcomes', () => {
    expect(compiled.def.actors.map((a) => a.id)).toEqual(['arvenia', 'belcora', 'envoy', 'farmers']);
    expect(compiled.def.phases.map((p) => p.id)).toEqual(['talks', 'dry_season']);
    expect(ids).toEqual(['armed_clash', 'water_treaty', 'interim_deal', 'frozen_conflict']);
  });

  it('reaches every outcome under its policies, none in every run', () => {
    const baseline = counts('default', 1500);
    const hard = counts('hardline', 500);
    for (const id of ids) expect(baseline[id]! + hard[id]!, id).toBeGreaterThan(0);
    for (const id of ids) expect(baseline[id], id).toBeLessThan(1500);
  });

  it('a hard line on both sides makes an armed clash more likely than the default', () => {
    expect(counts('hardline', 600).armed_clash! / 600).toBeGreaterThan(counts('default', 600).armed_clash! / 600 + 0.2);
  });
});
