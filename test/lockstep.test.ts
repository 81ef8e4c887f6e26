/**
 * The batch's lock-step loop must give every run exactly what one run at a time gives it:
 * the vector form of each expression must compute the scalar closure's value to the bit, and
 * `simulateLanes` must end each run in the state `simulate` ends it in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/scenario/errors.ts';
import { compile } from '../src/engine/engine.ts';
import { inLockStep, MAX_LANES, simulateLanes, type LaneRun } from '../src/batch/lockstep.ts';
import { resolveAction } from '../src/engine/actions.ts';
import { fastApply } from '../src/engine/fast.ts';
import { availableLevers, currentActor, initialState, reroll } from '../src/engine/kernel.ts';
import { batchKernel, simulate } from '../src/batch/simulate.ts';
import type { Move } from '../src/engine/branch-code.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import type { SimState } from '../src/engine/types.ts';
import { compileExpr, type EvalState } from '../src/scenario/expr.ts';
import { vectorOf, type Lanes } from '../src/scenario/lanes.ts';
import { loadScenario } from '../src/scenario/load.ts';
import type { ScenarioDefinition } from '../src/scenario/definition.ts';
import { generatedScenario } from './support/arbitrary.ts';
import { mulberry, richScenario } from './support/rich-scenario.ts';
import { exprScope } from './support/expr-scope.ts';

describe('vector forms of expressions', () => {
  // The derived value `crisis` is a plain function: its vector form calls it run by run.
  const scope = exprScope();
  scope.mediatorActive.push(compileExpr<boolean>('HOST < 60 and not fired(boat_strike)', scope, 'boolean'));

  const { number: numberExpr, condition } = fc.letrec<{ number: string; condition: string }>((tie) => ({
    number: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('0', '1', '2.5', '50', '-3', '0.1', 'HOST', 'MIL', 'crisis', 'params.appetite', 'round', 'round_weeks', 'elapsed_days', 'count(show_record)', 'count(show_record.lands_well)', 'since(show_record)', 'since(boat_strike)'),
      fc.tuple(tie('number'), fc.constantFrom('+', '-', '*', '/', '%'), tie('number')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(fc.constantFrom('exp', 'log', 'abs', 'sqrt', 'floor', 'ceil', 'logistic', 'weekly', '-'), tie('number')).map(([f, a]) => `${f}(${a})`),
      fc.tuple(fc.constantFrom('min', 'max', 'pow'), tie('number'), tie('number')).map(([f, a, b]) => `${f}(${a}, ${b})`),
      fc.tuple(fc.constantFrom('min', 'max', 'clamp'), tie('number'), tie('number'), tie('number')).map(([f, a, b, c]) => `${f}(${a}, ${b}, ${c})`),
      fc.tuple(tie('condition'), tie('number'), tie('number')).map(([c, a, b]) => `if(${c}, ${a}, ${b})`),
      fc.tuple(tie('condition'), tie('number'), tie('number')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    ),
    condition: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('true', 'false', 'pulled(show_record)', 'fired(boat_strike)', "relationship == 'tense'", "stance(petro) != 'wary'", "phase == 'talks'", 'active(paul)', "(HOST > 50 ? relationship : 'cordial') == 'tense'").map((c) => `(${c})`),
      fc.tuple(tie('number'), fc.constantFrom('<', '>', '<=', '>=', '==', '!='), tie('number')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(tie('condition'), fc.constantFrom('and', 'or', '==', '!='), tie('condition')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      tie('condition').map((c) => `not (${c})`),
    ),
  }));

  // Runs with varied states; some tensions are equal on purpose, so that ties and `==` happen.
  const lanesArb = fc.record({
    g: fc.integer({ min: 0, max: 1 }),
    runs: fc.array(
      fc.record({
        t: fc.tuple(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(0, 50, 60, 100)), fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(0, 50, 100))),
        p: fc.double({ min: 0, max: 1, noNaN: true }),
        rel: fc.integer({ min: 0, max: 1 }),
        stance: fc.integer({ min: 0, max: 1 }),
        cnt: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
        last: fc.tuple(fc.integer({ min: -1, max: 1 }), fc.integer({ min: -1, max: 1 }), fc.integer({ min: -1, max: 1 })),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  });

  function lanesOf(g: number, runs: { t: [number, number]; p: number; rel: number; stance: number; cnt: [number, number, number]; last: [number, number, number] }[]): Lanes {
    const states: EvalState[] = [];
    const lanes: Lanes = {
      g, nt: 2, np: 1, na: 2, nh: 3,
      t: new Float64Array(runs.flatMap((r) => r.t)), p: new Float64Array(runs.map((r) => r.p)), st: new Int32Array(runs.flatMap((r) => [r.stance, -1])),
      cnt: new Int32Array(runs.flatMap((r) => r.cnt)), last: new Int32Array(runs.flatMap((r) => r.last)), rel: new Int32Array(runs.map((r) => r.rel)),
      states,
    };
    states.push(...runs.map((r, i) => ({
      g, t: lanes.t.subarray(i * 2, i * 2 + 2), p: lanes.p.subarray(i, i + 1), rel: r.rel, st: lanes.st.subarray(i * 2, i * 2 + 2),
      cnt: lanes.cnt.subarray(i * 3, i * 3 + 3), last: lanes.last.subarray(i * 3, i * 3 + 3),
    })));
    return lanes;
  }

  const check = (source: string, ty: 'number' | 'boolean', g: number, runs: Parameters<typeof lanesOf>[1], pick: number[]) => {
    const fn = compileExpr(source, scope, ty);
    const lanes = lanesOf(g, runs);
    // A subset of the runs, in any order, as the batch asks for them.
    const idx = Int32Array.from(pick.map((k) => k % runs.length));
    const out = new Float64Array(256).fill(-7);
    vectorOf(fn, ty)(lanes, idx, idx.length, out);
    idx.forEach((lane, j) => {
      const scalar = fn(lanes.states[lane]!);
      const expected = typeof scalar === 'boolean' ? (scalar ? 1 : 0) : scalar;
      if (!Object.is(out[j], expected)) throw new Error(`${source} on run ${lane}: vector ${out[j]}, scalar ${String(scalar)}`);
    });
  };

  it('compute the scalar value of any number expression, run by run, to the bit', () => {
    fc.assert(fc.property(numberExpr, lanesArb, fc.array(fc.nat(), { minLength: 1, maxLength: 60 }), (source, { g, runs }, pick) => check(source, 'number', g, runs, pick)), { numRuns: 400 });
  });

  it('compute the scalar value of any condition, run by run', () => {
    fc.assert(fc.property(condition, lanesArb, fc.array(fc.nat(), { minLength: 1, maxLength: 60 }), (source, { g, runs }, pick) => check(source, 'boolean', g, runs, pick)), { numRuns: 400 });
  });

  it('have a form for a plain number or condition too', () => {
    const lanes = lanesOf(0, [{ t: [1, 2], p: 0, rel: 0, stance: 0, cnt: [0, 0, 0], last: [-1, -1, -1] }]);
    const out = new Float64Array(4);
    vectorOf(compileExpr(0.25, scope, 'number'), 'number')(lanes, Int32Array.of(0), 1, out);
    expect(out[0]).toBe(0.25);
    vectorOf(compileExpr(true, scope, 'boolean'), 'boolean')(lanes, Int32Array.of(0), 1, out);
    expect(out[0]).toBe(1);
  });
});

/** A state with plain arrays, to compare runs of both loops (lock-step states share memory). */
const plain = (s: SimState) => ({ ...s, t: Array.from(s.t), p: Array.from(s.p), st: Array.from(s.st), cnt: Array.from(s.cnt), last: Array.from(s.last), u: Array.from(s.u) });

/** A property over generated scenarios that passes over a branch prefix that meets NaN. */
const unlessNaN =
  <A extends unknown[]>(f: (...args: A) => void) =>
  (...args: A): void => {
    try {
      f(...args);
    } catch (error) {
      if (!(error instanceof UsageError && /the run met/.test(error.message))) throw error;
    }
  };

/** …or, when a run alone meets NaN (generated expressions often do), the lock-step loop stops too. */
function sameRuns(def: ScenarioDefinition, policy: string, runs: LaneRun[]): void {
  const kernel = batchKernel(compile(def), policy);
  const alone = runs.map((r) => {
    try {
      return plain(simulate(kernel, r.params, r.seed, r.moves));
    } catch (error) {
      if (error instanceof UsageError && /the run met/.test(error.message)) return error;
      throw error;
    }
  });
  if (alone.some((a) => a instanceof UsageError)) {
    expect(() => simulateLanes(kernel, runs)).toThrow(/the run met/);
    return;
  }
  const together = simulateLanes(kernel, runs).map(plain);
  runs.forEach((r, i) => expect(together[i], `run ${i} (seed ${r.seed}, ${policy})`).toEqual(alone[i]));
}

describe('the lock-step batch loop', () => {
  it('ends every run of a generated scenario as a run on its own does', () => {
    fc.assert(
      fc.property(generatedScenario, fc.array(fc.record({ seed: fc.nat(), k: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 24 }), (def, seeds) => {
        for (const policy of def.policies.keys()) {
          sameRuns(def, policy, seeds.map(({ seed, k }) => ({ params: def.parameters.map((p) => p.min + k * (p.max - p.min)), seed, moves: [] })));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('ends every run of expression-rich generated scenarios as a run on its own does, in groups of any size', () => {
    let loaded = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const def = richScenario(seed);
        if (!def) return;
        loaded++;
        const draw = mulberry(seed);
        for (const policy of def.policies.keys()) {
          for (const size of [1, 2, 1 + (seed % 40), MAX_LANES]) {
            const runs = Array.from({ length: size }, (_, i) => ({ params: def.parameters.map((p) => p.min + draw() * (p.max - p.min)), seed: deriveSeed(seed, i), moves: [] }));
            sameRuns(def, policy, runs);
          }
        }
      }),
      { numRuns: 120 },
    );
    // Most draws are valid scenarios; the property is not vacuous.
    expect(loaded).toBeGreaterThan(40);
  });

  for (const id of ['petro-trump', 'river-dispute']) {
    const def = loadScenario(id);
    it(`ends every run of ${id} as a run on its own does, for every policy and a spread of parameters`, () => {
      for (const policy of def.policies.keys()) {
        // A full group and a partial one; parameters spread over their ranges, run by run.
        for (const size of [MAX_LANES, 37]) {
          const runs = Array.from({ length: size }, (_, i) => ({
            params: def.parameters.map((p, j) => p.min + (((i * (j + 3)) % 17) / 16) * (p.max - p.min)),
            seed: deriveSeed(11, i),
            moves: [],
          }));
          sameRuns(def, policy, runs);
        }
      }
    });
  }

  it('takes any branch’s moves — pulls, forced branches, passes, rerolls — then each run’s own reroll, as one run does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), unlessNaN((seed) => {
        const def = richScenario(seed);
        if (!def) return;
        const compiled = compile(def);
        const draw = mulberry(seed);
        const params = def.parameters.map((p) => p.default);
        // A branch played from seed 1: random available pulls (some forced), passes and rerolls.
        const s = initialState(def, 1, params, null);
        const prefix: Move[] = [];

        for (let j = Math.floor(draw() * Math.min(def.maxSteps, 8)); j > 0 && !s.ended; j--) {
          if (draw() < 0.2) {
            const to = Math.floor(draw() * 1e6);
            prefix.push({ step: s.step, action: { type: 'reroll', seed: to } });
            reroll(def, s, to);
          }
          const levers = availableLevers(def, s, currentActor(def, s));
          const lever = levers[Math.floor(draw() * levers.length)];
          const action: Move['action'] = lever && draw() < 0.7 ? { type: 'pull', lever: lever.id, ...(draw() < 0.5 ? { force: lever.branches[Math.floor(draw() * lever.branches.length)]!.id } : {}) } : { type: 'pass' };
          const resolved = resolveAction(def, s, action);
          if (resolved.type !== 'resolved') throw new Error(resolved.message);
          prefix.push({ step: s.step, action });
          fastApply(def, compiled.tables, s, resolved, null);
        }
        if (s.ended) return;
        for (const policy of def.policies.keys()) {
          for (const size of [1, 3, MAX_LANES]) {
            sameRuns(def, policy, Array.from({ length: size }, (_, i) => ({ params, seed: 1, moves: [...prefix, { step: s.step, action: { type: 'reroll' as const, seed: deriveSeed(seed, i) } }] })));
          }
        }
      })),
      { numRuns: 60 },
    );
  });

  it('refuses runs whose moves differ in kind at a step (they would not stay in lock step)', () => {
    const def = loadScenario('petro-trump');
    const kernel = batchKernel(compile(def), 'default');
    const params = def.parameters.map((p) => p.default);
    const runs: LaneRun[] = [
      { params, seed: 1, moves: [{ step: 0, action: { type: 'reroll', seed: 7 } }] },
      { params, seed: 1, moves: [{ step: 0, action: { type: 'pass' } }] },
    ];
    expect(inLockStep(runs)).toBe(false);
    expect(inLockStep([runs[0]!, { ...runs[0]!, moves: [{ step: 1, action: { type: 'reroll', seed: 7 } }] }])).toBe(false);
    expect(() => simulateLanes(kernel, runs)).toThrow(/differ in step or kind/);
  });

  it('takes a branch’s moves in every run, then each run’s own reroll, as one run does', () => {
    const def = loadScenario('petro-trump');
    // The branch's moves are the same in every run; each run then rerolls to its own seed.
    const moves: Move[] = [{ step: 0, action: { type: 'pull', lever: 'meeting_format', force: 'open_spray' } }, { step: 1, action: { type: 'pass' } }];
    const runs = Array.from({ length: 40 }, (_, i) => ({ params: def.parameters.map((p) => p.default), seed: 5, moves: [...moves, { step: 2, action: { type: 'reroll' as const, seed: deriveSeed(3, i) } }] }));
    sameRuns(def, 'default', runs);
  });
});
