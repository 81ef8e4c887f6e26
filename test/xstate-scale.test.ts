/**
 * The xstate executor's cost is linear in actors. With one stance region per actor, every event
 * sent to the whole machine costs time in proportion to the actors, and a run takes a decision
 * per actor per round: 3,000 actors took minutes where the fast executor took 3 s. Decisions
 * within a round now go to the phase region's own machine. (Still xstate's own cost: a round
 * where hundreds of charts move at once, whose conflict check compares every pair of them.)
 */
import { describe, expect, it } from 'vitest';
import { compile, loadScenarioText, replay, run } from '../src/index.ts';
import { crowdScenario } from './support/crowd.ts';

describe('the xstate executor with many actors', () => {
  const compiled = compile(loadScenarioText(crowdScenario(2000, 1), 'crowd.yaml'));

  it('runs 2,000 actors with stance charts in seconds, with the fast executor\'s result', () => {
    const t0 = performance.now();
    const reference = run(compiled, { seed: 5, executor: 'xstate' });
    const seconds = (performance.now() - t0) / 1000;
    expect(JSON.stringify(reference)).toBe(JSON.stringify(run(compiled, { seed: 5, executor: 'fast' })));
    // Quadratic, it took about 30 s on the machine where it now takes 1.
    expect(seconds).toBeLessThan(10);
  }, 60_000);

  it('replays the trace step by step (play, saved sessions) in seconds too', () => {
    const reference = run(compiled, { seed: 5, executor: 'fast' });
    const t0 = performance.now();
    const state = replay(compiled, 5, reference.trace);
    expect((performance.now() - t0) / 1000).toBeLessThan(10);
    expect(JSON.stringify(state)).toBe(JSON.stringify(reference.state));
  }, 60_000);
});
