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
  const compiled = compile(loadScenarioText(crowdScenario(500, 1), 'crowd.yaml'));

  it('runs 500 actors (the most a scenario may have) with stance charts, with the fast executor\'s result', () => {
    const reference = run(compiled, { seed: 5, executor: 'xstate' });
    expect(JSON.stringify(reference)).toBe(JSON.stringify(run(compiled, { seed: 5, executor: 'fast' })));
  }, 60_000);

  it('replays the trace step by step (play, saved sessions)', () => {
    const reference = run(compiled, { seed: 5, executor: 'fast' });
    const state = replay(compiled, 5, reference.trace);
    expect(JSON.stringify(state)).toBe(JSON.stringify(reference.state));
  }, 60_000);
});
