import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  availableLevers, bundledScenarioIds, compile, currentActor, leverOdds, loadScenario, movesOf, parseBranchCode, policyAction, replay, run, runFrom, start, step,
  type CompiledScenario, type SimState,
} from '../src/index.ts';
import { stateValueOf } from '../src/engine/machine.ts';
import { definitionOf, generatedScenario, scenarioInput } from './support/arbitrary.ts';

const mini = compile(loadScenario('test/fixtures/mini.yaml'));
const bundled = bundledScenarioIds().map((id) => compile(loadScenario(id)));
const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const json = (x: unknown) => JSON.stringify(x);

describe('step', () => {
  it('is pure: it returns a new state and leaves its input untouched', () => {
    const { state } = start(mini, 42);
    const before = json(state);
    const result = step(mini, state, { type: 'pull', lever: 'praise' });
    expect(result.type).toBe('stepped');
    expect(json(state)).toBe(before);
    if (result.type === 'stepped') expect(result.state).not.toBe(state);
  });

  it('returns rule violations as values, not exceptions', () => {
    const { state } = start(mini, 1);
    expect(step(mini, state, { type: 'pull', lever: 'nope' })).toEqual({ type: 'rejected', reason: 'unknown-lever', message: 'there is no lever `nope`' });
    // Alpha (actor a) may not threaten; the call is the mediator's.
    expect(step(mini, state, { type: 'pull', lever: 'threaten' })).toMatchObject({ type: 'rejected', reason: 'not-actor' });
    expect(step(mini, state, { type: 'pull', lever: 'praise', force: 'nope' })).toMatchObject({ type: 'rejected', reason: 'unknown-branch' });
    expect(step(mini, state, { type: 'reroll', seed: -1 })).toMatchObject({ type: 'rejected', reason: 'bad-seed' });
  });

  it('explains a lever pull: odds with their modifiers, the draw, the branch and its effects', () => {
    const { state } = start(mini, 42);
    const result = step(mini, state, { type: 'pull', lever: 'praise' });
    if (result.type !== 'stepped') throw new Error(result.message);
    expect(result.entry).toMatchObject({ step: 0, phase: 'talks', round: 1, date: '2026-01-01', actor: 'a', by: 'player' });
    expect(result.entry.happenings[0]).toEqual({
      type: 'lever', actor: 'a', lever: 'praise',
      odds: [
        { branch: 'warm', base: 0.6, modifiers: [{ source: 'channel', why: 'Channel', add: 0.1, mul: 1 }], p: 0.7 / 1.1 },
        { branch: 'flat', base: 0.4, modifiers: [], p: 0.4 / 1.1 },
      ],
      draw: state.u[1], branch: 'warm', forced: false, effects: [{ tension: 'HOST', from: 50, to: 42 }], damped: [], goldstein: 3.4,
    });
  });

  it('forces a branch on request, whatever the draw', () => {
    const { state } = start(mini, 42);
    const result = step(mini, state, { type: 'pull', lever: 'praise', force: 'flat' });
    expect(result.type === 'stepped' && result.entry.happenings[0]).toMatchObject({ branch: 'flat', forced: true });
  });

  it('keeps unrelated draws when an earlier choice changes (common random numbers)', () => {
    const a = run(mini, { seed: 9, moves: [{ step: 0, action: { type: 'pull', lever: 'praise' } }] });
    const b = run(mini, { seed: 9, moves: [{ step: 0, action: { type: 'pass' } }] });
    // The draws of the last round are the same block in both runs.
    expect(a.state.u).toEqual(b.state.u);
  });
});

describe('runs', () => {
  it('give the same trace and state for the same seed and choices', () => {
    fc.assert(
      fc.property(seedArb, fc.constantFrom('default', 'random'), (seed, policy) => {
        expect(json(run(mini, { seed, policy }))).toBe(json(run(mini, { seed, policy })));
      }),
      { numRuns: 50 },
    );
  });

  it('end in exactly one outcome, within the step bound, with tensions in 0..100 and odds that sum to 1', () => {
    fc.assert(
      fc.property(generatedScenario, seedArb, (def, seed) => {
        const compiled = compile(def);
        let { state } = start(compiled, seed);
        let steps = 0;
        while (!state.ended) {
          const actor = currentActor(def, state);
          for (const lever of availableLevers(def, state, actor)) {
            const { p } = leverOdds(def, state, lever, false);
            expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
            for (const x of p) expect(x).toBeGreaterThanOrEqual(0);
          }
          const { action } = policyAction(compiled, state, 'random');
          const result = step(compiled, state, action);
          if (result.type !== 'stepped') throw new Error(result.message);
          state = result.state;
          for (const t of state.t) expect(t >= 0 && t <= 100).toBe(true);
          expect(++steps).toBeLessThanOrEqual(def.maxSteps);
        }
        expect(steps).toBe(def.maxSteps);
        expect(state.outcome).toBeGreaterThanOrEqual(0);
        expect(state.judged.length).toBe(def.phases.filter((p) => p.checkpoint).length);
        expect(state.judged.at(-1)).toBe(state.outcome);
      }),
      { numRuns: 60 },
    );
  });

  it('replay of a trace is a fold that reaches the same final state', () => {
    fc.assert(
      fc.property(generatedScenario, seedArb, (def, seed) => {
        const compiled = compile(def);
        const result = run(compiled, { seed, policy: 'random' });
        expect(json(replay(compiled, seed, result.trace))).toBe(json(result.state));
      }),
      { numRuns: 40 },
    );
  });

  it('forking does not change the parent: a state is a value', () => {
    let forked = 0;
    let steps = 0;
    let ended = 0;
    const numRuns = 40;
    fc.assert(
      fc.property(seedArb, fc.nat(mini.def.maxSteps), (seed, at) => {
        const base = run(mini, { seed });
        const parent = replay(mini, seed, base.trace.slice(0, at));
        const frozen = json(parent);
        const actor = currentActor(mini.def, parent);
        if (actor < 0) {
          // The end of the run: nothing to fork, and every step is refused without touching it.
          expect(parent.ended).toBe(true);
          expect(step(mini, parent, { type: 'reroll', seed: 5 })).toMatchObject({ type: 'rejected', reason: 'ended' });
          expect(json(parent)).toBe(frozen);
          ended++;
          return;
        }
        for (const lever of availableLevers(mini.def, parent, actor)) {
          for (const branch of lever.branches) {
            expect(step(mini, parent, { type: 'pull', lever: lever.id, force: branch.id }).type).toBe('stepped');
            steps++;
          }
        }
        expect(step(mini, parent, { type: 'reroll', seed: 5 }).type).toBe('stepped');
        expect(json(parent)).toBe(frozen);
        // And the rest of the original run still follows from it.
        expect(json(replay(mini, seed, base.trace))).toBe(json(base.state));
        forked++;
      }),
      { numRuns },
    );
    // Every case checked something: most fork a state part-way, with a pull of each branch of each available lever.
    expect(forked + ended).toBe(numRuns);
    expect(forked).toBeGreaterThan(numRuns / 2);
    expect(steps).toBeGreaterThan(forked);
  });

  it('reproduce exactly from a branch code with choices, forced branches and rerolls', () => {
    fc.assert(
      fc.property(seedArb, seedArb, fc.nat(6), (seed, reseed, at) => {
        const moves = [
          { step: 0, action: { type: 'pull' as const, lever: 'praise', force: 'flat' } },
          { step: at + 1, action: { type: 'reroll' as const, seed: reseed } },
          { step: at + 1, action: { type: 'pass' as const } },
        ];
        const first = run(mini, { seed, moves });
        const code = parseBranchCode(first.branchCode);
        expect(code).toEqual({ scenario: 'mini', seed, policy: 'default', moves });
        const again = run(mini, { seed: code.seed, policy: code.policy, moves: code.moves });
        expect(json(again)).toBe(json(first));
        expect(movesOf(first.trace)).toEqual(moves);
      }),
      { numRuns: 40 },
    );
  });

  it('continue from any node of a run to the same end, and a reseed gives another future', () => {
    fc.assert(
      fc.property(generatedScenario, seedArb, fc.nat(30), fc.constantFrom<'fast' | 'xstate'>('fast', 'xstate'), (def, seed, at, executor) => {
        const compiled = compile(def);
        const whole = run(compiled, { seed, policy: 'random' });
        const node = replay(compiled, seed, whole.trace.slice(0, Math.min(at, whole.trace.length)));
        const frozen = json(node);
        const rest = runFrom(compiled, node, { policy: 'random', executor });
        expect(json(rest.state)).toBe(json(whole.state));
        expect(json(rest.trace)).toBe(json(whole.trace.slice(Math.min(at, whole.trace.length))));
        expect(json(node)).toBe(frozen);
        const other = runFrom(compiled, node, { policy: 'random', executor, reseed: (seed + 1) % 2 ** 32 });
        if (!node.ended) expect(other.trace[0]!.action).toEqual({ type: 'reroll', seed: (seed + 1) % 2 ** 32 });
        expect(other.state.ended).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('reroll to a seed: the future is exactly the one that seed gives from the same round', () => {
    fc.assert(
      fc.property(seedArb, seedArb, (seed, other) => {
        const rerolled = run(mini, { seed, moves: [{ step: 0, action: { type: 'reroll', seed: other } }] });
        expect(json(rerolled.state)).toBe(json(run(mini, { seed: other }).state));
      }),
      { numRuns: 30 },
    );
  });

  it('reject a branch code whose move is against the rules', () => {
    expect(() => run(mini, { seed: 1, moves: [{ step: 0, action: { type: 'pull', lever: 'threaten' } }] })).toThrow(/step 1: Alpha cannot pull `threaten`/);
    expect(() => run(mini, { seed: 1, moves: [{ step: 999, action: { type: 'pass' } }] })).toThrow(/the run ended after step 17, before the move at step 1000/);
  });

  it('accept parameters within range and refuse others with the valid names', () => {
    expect(run(mini, { seed: 3, params: { push: 1 } }).params).toEqual([1]);
    expect(() => run(mini, { seed: 3, params: { push: 2 } })).toThrow('push = 2 is outside its range [0, 1]');
    expect(() => run(mini, { seed: 3, params: { pusj: 1 } })).toThrow('unknown parameter `pusj`');
    expect(() => run(mini, { seed: 3, policy: 'nope' })).toThrow('unknown policy `nope`');
  });
});

function xstateAgreesWithState(compiled: CompiledScenario, seed: number): void {
  let { state } = start(compiled, seed);
  while (!state.ended) {
    const { action } = policyAction(compiled, state, 'random');
    const result = step(compiled, state, action) as { type: 'stepped'; state: SimState; value?: unknown };
    state = result.state;
    expect(result.value).toEqual(stateValueOf(compiled.def, state));
  }
}

describe('the two executors (differential)', () => {
  it.each(bundled.length ? bundled.map((c) => [c.def.id, c] as const) : [['mini', mini] as const])(
    'give identical traces on the bundled scenario %s',
    (_, compiled) => {
      fc.assert(
        fc.property(seedArb, fc.constantFrom('default', 'random'), (seed, policy) => {
          const reference = run(compiled, { seed, policy, executor: 'xstate' });
          const fast = run(compiled, { seed, policy, executor: 'fast' });
          expect(json(fast)).toBe(json(reference));
        }),
        { numRuns: 25 },
      );
    },
  );

  it('give identical traces on the fixture and on generated scenarios', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(mini.def), generatedScenario), seedArb, fc.constantFrom('default', 'random'), (def, seed, policy) => {
        const compiled = compile(def);
        expect(json(run(compiled, { seed, policy, executor: 'fast' }))).toBe(json(run(compiled, { seed, policy, executor: 'xstate' })));
      }),
      { numRuns: 80 },
    );
  });

  it('agree on outcomes with the trace turned off', () => {
    fc.assert(
      fc.property(generatedScenario, seedArb, (def, seed) => {
        const compiled = compile(def);
        const fast = run(compiled, { seed, executor: 'fast', trace: false });
        expect(json(fast.state)).toBe(json(run(compiled, { seed }).state));
      }),
      { numRuns: 40 },
    );
  });

  it('keep the statechart value in step with the state it carries', () => {
    fc.assert(
      fc.property(scenarioInput, seedArb, (input, seed) => xstateAgreesWithState(compile(definitionOf(input)), seed)),
      { numRuns: 30 },
    );
  });
});
