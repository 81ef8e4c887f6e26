/**
 * The statechart against the kernel (differential): the xstate executor sequences the round
 * with its own events and calls the kernel's phase functions on one lane (src/engine/machine.ts);
 * the fast executor runs the kernel's `runToEnd`. Both must give the same result — trace,
 * opening, state, branch code, outcome — for the same run.
 *
 * test/engine.test.ts ('the two executors (differential)') already compares runs of the bundled
 * scenarios under the `default` and `random` policies, of the fixture and of generated
 * scenarios, without moves, and the statechart's value with the state it carries. This file
 * adds what it does not cover: every policy, branch moves (pulls, forced branches, passes,
 * rerolls), moves the rules reject, expression-rich scenarios (which meet NaN), runs continued
 * from a mid-run state with `reseed`, and `step` taken one action at a time against the
 * kernel's state after each step. Every property counts what it compared and asserts the count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Move } from '../src/engine/branch-code.ts';
import { BranchCodeError } from '../src/engine/branch-code.ts';
import { compile, policyAction, replay, run, runFrom, start, step, type CompiledScenario, type ExecutorName, type RunResult } from '../src/engine/engine.ts';
import { runToEnd } from '../src/engine/advance.ts';
import { kernelFor } from '../src/engine/kernel.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import { createLanes, load, store } from '../src/engine/runs.ts';
import type { SimState } from '../src/engine/types.ts';
import type { ScenarioDefinition } from '../src/scenario/definition.ts';
import { UsageError } from '../src/scenario/errors.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { generatedScenario } from './support/arbitrary.ts';
import { expectSameState, metNaN, playBranch } from './support/branches.ts';
import { mulberry, rich11Scenario, richScenario } from './support/rich-scenario.ts';

const json = (x: unknown): string => JSON.stringify(x);
const SEED = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const bundled = ['petro-trump', 'river-dispute'].map((id) => compile(loadScenario(id)));
/** Generated scenarios: the plain generator's, and expression-rich ones (null when a draw does not load). */
const anyScenario: fc.Arbitrary<ScenarioDefinition | null> = fc.oneof(generatedScenario, SEED.map((s) => richScenario(s)));

/** What both executors are compared on. */
interface Tally {
  /** Runs whose results were compared (both ran to the end). */
  runs: number;
  /** Of those, runs with moves. */
  moved: number;
  /** Runs both executors refused alike (a move against the rules, or NaN met). */
  refused: number;
  /** Steps taken one at a time and compared with the kernel's state. */
  steps: number;
}
const tally = (): Tally => ({ runs: 0, moved: 0, refused: 0, steps: 0 });

/** A run's result, or the error it stopped with (a rejected move, or NaN: input errors, never a crash). */
function attempt(f: () => RunResult): { result: RunResult } | { error: string } {
  try {
    return { result: f() };
  } catch (error) {
    if (error instanceof BranchCodeError || error instanceof UsageError) return { error: `${error.name}: ${error.message}` };
    throw error;
  }
}

/** The same call under both executors: the same result, or the same refusal. */
function bothAgree(call: (executor: ExecutorName) => RunResult, t: Tally, what: string, moved: boolean): RunResult | null {
  const reference = attempt(() => call('xstate'));
  const fast = attempt(() => call('fast'));
  if ('error' in reference || 'error' in fast) {
    expect('error' in fast ? fast.error : 'no error', `${what}: fast`).toBe('error' in reference ? reference.error : 'no error');
    t.refused++;
    return null;
  }
  expect(json(fast.result), what).toBe(json(reference.result));
  expectSameState(fast.result.state, reference.result.state, what);
  t.runs++;
  if (moved) t.moved++;
  return reference.result;
}

/**
 * Moves for a run of `def` from `seed` with the default parameters: a random branch played at
 * its start (pulls, forced branches, passes, rerolls), then rerolls and passes scattered over
 * the rest of the run (always allowed until it ends). Null when the branch meets NaN.
 */
function randomMoves(def: ScenarioDefinition, seed: number, draw: () => number): Move[] | null {
  let branch: ReturnType<typeof playBranch>;
  try {
    branch = playBranch(def, seed, draw, 6);
  } catch (error) {
    if (metNaN(error)) return null;
    throw error;
  }
  const moves = branch.moves;
  for (let s = branch.state.step; s < def.maxSteps; s++) {
    if (draw() < 0.12) moves.push({ step: s, action: { type: 'reroll', seed: Math.floor(draw() * 2 ** 32) } });
    if (draw() < 0.12) moves.push({ step: s, action: { type: 'pass' } });
  }
  return moves;
}

/**
 * The kernel's state before each step of a run from `from` and after its last, read on one
 * lane (`stopped` is asked before every step, a move of a branch included).
 */
function kernelStates(def: ScenarioDefinition, policy: string, from: SimState, moves: readonly Move[]): SimState[] {
  const k = kernelFor(def, policy, 1);
  const L = createLanes(def, 1);
  L.n = 1;
  load(L, 0, from);
  const states: SimState[] = [];
  runToEnd(k, L, () => moves, null, () => {
    states.push(store(L, 0));
    return false;
  });
  states.push(store(L, 0));
  return states;
}

/**
 * A fast traced run, retaken one `step` (the xstate executor's pure step) at a time: each step
 * gives the trace entry of the run and the kernel's state after it, and where the policy
 * decided, the policy asked at that state chooses the same.
 */
function stepByStep(compiled: CompiledScenario, seed: number, policy: string, moves: readonly Move[], t: Tally, what: string): void {
  const { def } = compiled;
  const fast = run(compiled, { seed, policy, moves, executor: 'fast' });
  let s = start(compiled, seed).state;
  const states = kernelStates(def, policy, s, moves);
  expect(states.length, what).toBe(fast.trace.length + 1);
  expectSameState(s, states[0]!, `${what}: start`);
  fast.trace.forEach((entry, j) => {
    if (entry.by !== 'player') {
      const c = policyAction(compiled, s, policy);
      expect(json({ action: c.action, auto: c.auto, choice: c.choice }), `${what}: policy at step ${j}`).toBe(json({ action: entry.action, auto: entry.by === 'auto', choice: entry.choice }));
    }
    const result = step(compiled, s, entry.action, entry.by, entry.choice);
    if (result.type !== 'stepped') throw new Error(`${what}: step ${j} rejected: ${result.message}`);
    expect(json(result.entry), `${what}: entry ${j}`).toBe(json(entry));
    expectSameState(result.state, states[j + 1]!, `${what}: state after entry ${j}`);
    s = result.state;
    t.steps++;
  });
  expectSameState(s, fast.state, `${what}: end`);
  t.runs++;
  if (moves.length > 0) t.moved++;
}

describe('the statechart and the kernel: the same runs', () => {
  for (const compiled of bundled) {
    const { def } = compiled;
    const policies = [...def.policies.keys()];

    it(`give identical results on ${def.id} with moves, under every policy`, () => {
      const t = tally();
      let moveCount = 0;
      for (const policy of policies) {
        for (let b = 0; b < 2; b++) {
          const seed = deriveSeed(7 + b, policies.indexOf(policy));
          const moves = randomMoves(def, seed, mulberry(seed))!;
          moveCount += moves.length;
          bothAgree((executor) => run(compiled, { seed, policy, moves, executor }), t, `${def.id} ${policy} seed ${seed}`, moves.length > 0);
        }
      }
      expect(t.runs).toBe(2 * policies.length);
      expect(moveCount).toBeGreaterThan(2 * policies.length);
    });

    it(`continue ${def.id} from a mid-run state alike, with a reseed and with moves`, () => {
      const t = tally();
      for (const policy of policies) {
        const seed = deriveSeed(21, policies.indexOf(policy));
        const whole = run(compiled, { seed, policy, executor: 'fast' });
        for (const at of [0, Math.floor(whole.trace.length / 2), whole.trace.length - 1, whole.trace.length]) {
          const node = replay(compiled, seed, whole.trace.slice(0, at));
          const frozen = json(node);
          const moves: Move[] = node.ended ? [] : [{ step: node.step + 1, action: { type: 'reroll', seed: 99 } }, { step: node.step + 1, action: { type: 'pass' } }].filter((m) => m.step < def.maxSteps) as Move[];
          const reseed = deriveSeed(seed, at);
          const rest = bothAgree((executor) => runFrom(compiled, node, { policy, executor, reseed, moves }), t, `${def.id} ${policy} from ${at}`, moves.length > 0);
          if (rest && !node.ended) expect(rest.trace[0]!.action).toEqual({ type: 'reroll', seed: reseed });
          expect(json(node)).toBe(frozen);
        }
      }
      expect(t.runs).toBe(4 * policies.length);
    });

    it(`retake a fast run of ${def.id} one xstate step at a time, through the kernel's states`, () => {
      const t = tally();
      for (const policy of policies.slice(0, 3)) {
        const seed = deriveSeed(33, policies.indexOf(policy));
        stepByStep(compiled, seed, policy, randomMoves(def, seed, mulberry(seed))!, t, `${def.id} ${policy}`);
      }
      expect(t.runs).toBe(Math.min(3, policies.length));
      expect(t.steps).toBeGreaterThanOrEqual(t.runs * def.maxSteps);
    });
  }

  it('give identical results on generated scenarios with moves, or refuse them alike', () => {
    const t = tally();
    const numRuns = 50;
    fc.assert(
      fc.property(anyScenario, SEED, fc.nat(), (def, seed, p) => {
        if (!def) return; // counted: t.runs is asserted below
        const compiled = compile(def);
        const policy = [...def.policies.keys()][p % def.policies.size]!;
        const moves = randomMoves(def, seed, mulberry(seed)) ?? [];
        bothAgree((executor) => run(compiled, { seed, policy, moves, executor }), t, `seed ${seed} ${policy}`, moves.length > 0);
      }),
      { numRuns },
    );
    // About 80% of the draws are scenarios; NaN stops a part of the expression-rich ones (both
    // executors must then stop alike: `t.refused`).
    expect(t.runs).toBeGreaterThan(numRuns * 0.4);
    expect(t.moved).toBeGreaterThan(numRuns * 0.2);
  });

  it('give identical results on format 1.1 scenarios (effects as expressions, actor, conditions, days_since, outcome_at, per, extends), with moves and from a mid-run state', () => {
    const t = tally();
    let loaded = 0;
    const numRuns = 40;
    fc.assert(
      fc.property(SEED, fc.nat(), (seed, p) => {
        const def = rich11Scenario(seed);
        if (!def) return; // counted: `loaded` is asserted below
        loaded++;
        const compiled = compile(def);
        const policy = [...def.policies.keys()][p % def.policies.size]!;
        const moves = randomMoves(def, seed, mulberry(seed)) ?? [];
        const whole = bothAgree((executor) => run(compiled, { seed, policy, moves, executor }), t, `1.1 seed ${seed} ${policy}`, moves.length > 0);
        if (!whole) return;
        const node = replay(compiled, seed, whole.trace.slice(0, Math.floor(whole.trace.length / 2)));
        bothAgree((executor) => runFrom(compiled, node, { policy, executor, reseed: deriveSeed(seed, 1) }), t, `1.1 seed ${seed} ${policy} from the middle`, false);
      }),
      { numRuns },
    );
    expect(loaded).toBeGreaterThan(numRuns * 0.3);
    expect(t.runs).toBeGreaterThan(loaded);
  });

  it('refuse a move against the rules alike, with the same message', () => {
    const t = tally();
    const numRuns = 40;
    fc.assert(
      fc.property(generatedScenario, SEED, fc.nat(), fc.nat(), fc.boolean(), (def, seed, at, l, force) => {
        const compiled = compile(def);
        // Any lever, by anyone, at any step (and one past the end): some are allowed, most are not.
        const lever = def.levers[l % def.levers.length]!;
        const moves: Move[] = [{ step: at % (def.maxSteps + 1), action: { type: 'pull', lever: lever.id, ...(force ? { force: 'nope' } : {}) } }];
        bothAgree((executor) => run(compiled, { seed, policy: 'random', moves, executor }), t, `seed ${seed}`, true);
      }),
      { numRuns },
    );
    // Every case compared: a run to the end under both, or the same refusal.
    expect(t.runs + t.refused).toBe(numRuns);
    expect(t.refused).toBeGreaterThan(numRuns / 4);
  });

  it('continue generated scenarios from a mid-run state alike, with a reseed', () => {
    const t = tally();
    const numRuns = 40;
    fc.assert(
      fc.property(anyScenario, SEED, SEED, fc.nat(40), (def, seed, reseed, at) => {
        if (!def) return; // counted below
        const compiled = compile(def);
        let whole: RunResult;
        try {
          whole = run(compiled, { seed, policy: 'default', executor: 'fast' });
        } catch (error) {
          if (metNaN(error)) return; // counted below
          throw error;
        }
        const node = replay(compiled, seed, whole.trace.slice(0, at % (whole.trace.length + 1)));
        bothAgree((executor) => runFrom(compiled, node, { policy: 'default', executor, reseed }), t, `seed ${seed} from ${at}`, !node.ended);
      }),
      { numRuns },
    );
    // About 80% of draws are scenarios that run without NaN (the bound leaves room for random seeds).
    expect(t.runs).toBeGreaterThan(numRuns * 0.3);
    expect(t.moved).toBeGreaterThan(numRuns * 0.2);
  });

  it('retake fast runs of generated scenarios one xstate step at a time, through the kernel’s states', () => {
    const t = tally();
    const numRuns = 30;
    fc.assert(
      fc.property(anyScenario, SEED, (def, seed) => {
        if (!def) return; // counted below
        const compiled = compile(def);
        const moves = randomMoves(def, seed, mulberry(seed));
        try {
          run(compiled, { seed, policy: 'default', moves: moves ?? [], executor: 'fast' });
        } catch (error) {
          if (metNaN(error)) return; // counted below
          throw error;
        }
        stepByStep(compiled, seed, 'default', moves ?? [], t, `seed ${seed}`);
      }),
      { numRuns },
    );
    // About 65% of draws load and run without NaN (the bound leaves room for random seeds).
    expect(t.runs).toBeGreaterThan(numRuns * 0.25);
    expect(t.steps).toBeGreaterThan(t.runs * 2);
  });
});
