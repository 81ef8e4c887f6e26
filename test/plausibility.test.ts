/**
 * The default scenario's behaviour, stated as propositions over seeded batches. Each test says
 * in words what the model claims; each compares outcome probabilities through their Wilson
 * 95% intervals, so a proposition holds only when the intervals are apart. `npm test` uses
 * batches small enough to run in seconds; CI (PARLEY_SLOW=1) repeats them with larger batches.
 */
import { describe, expect, it } from 'vitest';
import { compile, deriveSeed, loadScenario, run, type RunOptions } from '../src/index.ts';
import { wilson } from '../src/stats/stats.ts';

const compiled = compile(loadScenario('petro-trump'));
const ids = compiled.def.outcomes.map((o) => o.id);
const N = process.env.PARLEY_SLOW ? 8000 : 1200;

interface Estimate {
  readonly p: number;
  readonly ci: [number, number];
}

/** Share of runs, at the final checkpoint (or the end of the meeting), whose outcome is in `outcomes`. */
function share(outcomes: readonly string[], options: Omit<RunOptions, 'seed'> = {}, checkpoint: 'final' | 'meeting' = 'final', n = N): Estimate {
  const wanted = new Set(outcomes.map((o) => ids.indexOf(o)));
  expect(wanted.has(-1)).toBe(false);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const { state } = run(compiled, { ...options, seed: deriveSeed(20260203, i), executor: 'fast', trace: false });
    if (wanted.has(checkpoint === 'final' ? state.outcome : state.judged[0]!)) count++;
  }
  return { p: count / n, ci: wilson(count, n) };
}

function expectHigher(higher: Estimate, lower: Estimate): void {
  expect(higher.ci[0], `${fmt(higher)} should be above ${fmt(lower)}`).toBeGreaterThan(lower.ci[1]);
}

const fmt = (e: Estimate) => `${(e.p * 100).toFixed(1)}% [${(e.ci[0] * 100).toFixed(1)}, ${(e.ci[1] * 100).toFixed(1)}]`;
const ESCALATION = ['public_blow_up', 'militarised_crisis'];
const DE_ESCALATION = ['strategic_reset', 'conditional_truce'];

describe('the Petro–Trump scenario under its default policies', () => {
  it('reaches all five outcomes, none of them in more than 60% of runs', () => {
    for (const id of ids) {
      const e = share([id]);
      expect(e.p, id).toBeGreaterThan(0);
      expect(e.ci[1], `${id}: ${fmt(e)}`).toBeLessThan(0.6);
    }
  });

  it('ends the meeting itself mostly in a thaw, a truce or a reset, and rarely in a militarised crisis', () => {
    expect(share(['militarised_crisis'], {}, 'meeting').ci[1]).toBeLessThan(0.05);
    expect(share(['cordial_but_thin', 'conditional_truce', 'strategic_reset'], {}, 'meeting').ci[0]).toBeGreaterThan(0.6);
  });

  it('pulling the escalation levers (land strikes, coercion, hostile rhetoric) raises the odds of a blow-up or militarised crisis', () => {
    expectHigher(share(ESCALATION, { policy: 'hawkish' }), share(ESCALATION));
  });

  it('the cooperative core (record, kingpin list, intelligence sharing, border plan) raises the odds of a reset or a conditional truce', () => {
    expectHigher(share(DE_ESCALATION, { policy: 'cooperative' }), share(DE_ESCALATION));
  });

  it('an active mediator channel shifts outcomes toward de-escalation', () => {
    const strong = { params: { mediator_influence: 0.2 } };
    const none = { params: { mediator_influence: 0 } };
    expectHigher(share(DE_ESCALATION, strong), share(DE_ESCALATION, none));
    expectHigher(share(ESCALATION, none), share(ESCALATION, strong));
  });

  it('a higher starting hostility shifts outcomes toward blow-up and crisis', () => {
    expectHigher(share(ESCALATION, { params: { hostility_shift: 25 } }), share(ESCALATION));
  });

  it('starting from the January peak (before the call) shifts outcomes toward blow-up and crisis', () => {
    expectHigher(share(ESCALATION, { params: { january_peak: 1 } }), share(ESCALATION));
  });

  it('a higher US appetite for strikes raises the odds of a militarised crisis', () => {
    expectHigher(share(['militarised_crisis'], { params: { strike_appetite: 1 } }), share(['militarised_crisis'], { params: { strike_appetite: 0 } }));
  });
});
