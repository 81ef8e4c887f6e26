/**
 * A run's result must not depend on how many runs share its lanes (src/engine/kernel.ts): the
 * vector form of each expression computes the scalar form's value to the bit, and the kernel
 * ends every run of a group of up to `MAX_LANES` lanes in the state a kernel of one lane ends
 * it in — from the start, with a branch's moves, and from a state part-way through a run.
 *
 * Properties over generated scenarios count the cases they actually compared (a scenario draw
 * that does not load, a run that meets NaN, a branch that ends the run) and assert the count,
 * so that none of them can pass by checking nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runGroup, runner, type Runner, type RunStart } from '../src/analysis/runs.ts';
import type { Move } from '../src/engine/branch-code.ts';
import { begin, inLockStep, runToEnd } from '../src/engine/advance.ts';
import { kernelFor } from '../src/engine/kernel.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import { createLanes, MAX_LANES, store } from '../src/engine/runs.ts';
import type { SimState } from '../src/engine/types.ts';
import type { ScenarioDefinition } from '../src/scenario/definition.ts';
import { compileExpr } from '../src/scenario/expr.ts';
import type { Lanes } from '../src/scenario/lanes.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { generatedScenario } from './support/arbitrary.ts';
import { expectSameState, metNaN, playBranch } from './support/branches.ts';
import { exprScope } from './support/expr-scope.ts';
import { mulberry, rich11Scenario, richScenario } from './support/rich-scenario.ts';

// --- expressions --------------------------------------------------------------------------

describe('vector forms of expressions', () => {
  // `crisis` is a derived value and `paul` a mediator: both forms read them through their own forms.
  const scope = exprScope([]);
  scope.mediatorActive.push(compileExpr('HOST < 60 and not fired(boat_strike)', scope, 'boolean'));

  // Constants the lane states below take on purpose, so that comparisons with them meet ties.
  const CONSTANT = fc.constantFrom('0', '50', '60', '100', '-0', '3', '0.1');
  const { number: numberExpr, condition } = fc.letrec<{ number: string; condition: string }>((tie) => ({
    number: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('0', '1', '2.5', '50', '-3', '0.1', '-0', '1e308', 'HOST', 'MIL', 'crisis', 'params.appetite', 'round', 'round_weeks', 'elapsed_days', 'count(show_record)', 'count(show_record.lands_well)', 'since(show_record)', 'since(boat_strike)'),
      fc.tuple(tie('number'), fc.constantFrom('+', '-', '*', '/', '%'), tie('number')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      // A constant operand is captured by the optimiser (`binaryK`, `kBinary`; a tension's own loop): those forms too.
      fc.tuple(fc.constantFrom('HOST', 'MIL'), fc.constantFrom('+', '-', '*', '/', '%'), CONSTANT).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(CONSTANT, fc.constantFrom('+', '-', '*', '/', '%'), tie('number')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(fc.constantFrom('exp', 'log', 'abs', 'sqrt', 'floor', 'ceil', 'logistic', 'weekly', '-'), tie('number')).map(([f, a]) => `${f}(${a})`),
      fc.tuple(fc.constantFrom('min', 'max', 'pow'), tie('number'), tie('number')).map(([f, a, b]) => `${f}(${a}, ${b})`),
      fc.tuple(fc.constantFrom('min', 'max', 'clamp'), tie('number'), tie('number'), tie('number')).map(([f, a, b, c]) => `${f}(${a}, ${b}, ${c})`),
      fc.tuple(tie('condition'), tie('number'), tie('number')).map(([c, a, b]) => `if(${c}, ${a}, ${b})`),
      fc.tuple(tie('condition'), tie('number'), tie('number')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    ),
    condition: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('true', 'false', 'pulled(show_record)', 'pulled(show_record.lands_well)', 'fired(boat_strike)', "relationship == 'tense'", "stance(petro) != 'wary'", "phase == 'talks'", 'active(paul)', "(HOST > 50 ? relationship : 'cordial') == 'tense'").map((c) => `(${c})`),
      fc.tuple(tie('number'), fc.constantFrom('<', '>', '<=', '>=', '==', '!='), tie('number')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(fc.constantFrom('HOST', 'MIL'), fc.constantFrom('<', '>', '<=', '>='), CONSTANT).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(tie('number'), fc.constantFrom('<', '>', '<=', '>='), CONSTANT).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(tie('condition'), fc.constantFrom('and', 'or', '==', '!='), tie('condition')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      tie('condition').map((c) => `not (${c})`),
    ),
  }));

  // Lane states with varied values; some tensions are equal on purpose, so that ties and `==` happen.
  const laneArb = fc.record({
    t: fc.tuple(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(0, 50, 60, 100)), fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(0, 50, 100))),
    p: fc.double({ min: 0, max: 1, noNaN: true }),
    rel: fc.integer({ min: 0, max: 1 }),
    stance: fc.integer({ min: 0, max: 1 }),
    cnt: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
    last: fc.tuple(fc.integer({ min: -1, max: 1 }), fc.integer({ min: -1, max: 1 }), fc.integer({ min: -1, max: 1 })),
  });
  type LaneInput = typeof laneArb extends fc.Arbitrary<infer A> ? A : never;
  const lanesArb = fc.record({ g: fc.integer({ min: 0, max: 1 }), runs: fc.array(laneArb, { minLength: 1, maxLength: 40 }) });
  // A selection of lanes in any order, repeats allowed, as the kernel's subsets are (indices taken modulo the lane count).
  const pickArb = fc.array(fc.nat(), { minLength: 1, maxLength: 60 });

  /** The lanes of `runs`, laid out as the kernel lays them out (actor 1 has no stance chart). */
  function lanesOf(g: number, runs: readonly LaneInput[]): Lanes {
    return {
      g, nt: 2, np: 1, na: 2, nh: 3,
      t: Float64Array.from(runs.flatMap((r) => r.t)), p: Float64Array.from(runs.map((r) => r.p)), st: Int32Array.from(runs.flatMap((r) => [r.stance, -1])),
      cnt: Int32Array.from(runs.flatMap((r) => r.cnt)), last: Int32Array.from(runs.flatMap((r) => r.last)), rel: Int32Array.from(runs.map((r) => r.rel)),
      a: -1, judged: new Int32Array(0), nj: 0, judgedCount: 0,
    };
  }

  const snapshot = (v: Lanes) => [v.g, ...[v.t, v.p, v.st, v.cnt, v.last, v.rel].map((a) => Array.from(a as ArrayLike<number>))];
  const SENTINEL = -7.25;
  let compared = 0;

  /** The vector form over the picked lanes equals the scalar form lane by lane (Object.is: NaN is NaN, -0 is not 0). */
  function check(source: string, ty: 'number' | 'boolean', g: number, runs: readonly LaneInput[], pick: readonly number[]): void {
    const expr = compileExpr(source, scope, ty);
    const lanes = lanesOf(g, runs);
    const before = snapshot(lanes);
    const idx = Int32Array.from(pick.map((k) => k % runs.length));
    const out = new Float64Array(MAX_LANES).fill(SENTINEL);
    expr.vec(lanes, idx, idx.length, out);
    idx.forEach((lane, j) => {
      const scalar = expr.fn(lanes, lane);
      expect(typeof scalar).toBe(ty);
      const expected = typeof scalar === 'boolean' ? (scalar ? 1 : 0) : scalar;
      if (!Object.is(out[j], expected)) throw new Error(`${source} on lane ${lane} (position ${j}): vector ${out[j]}, scalar ${String(scalar)}`);
      if (expr.constant !== undefined && !Object.is(expr.constant, scalar)) throw new Error(`${source}: constant ${String(expr.constant)}, scalar ${String(scalar)}`);
      compared++;
    });
    // It writes out[0..n) only, and reads the lanes without changing them.
    for (let j = idx.length; j < out.length; j++) if (out[j] !== SENTINEL) throw new Error(`${source}: wrote out[${j}] beyond n = ${idx.length}`);
    expect(snapshot(lanes)).toEqual(before);
  }

  it('compute the scalar value of any number expression, lane by lane, to the bit', () => {
    compared = 0;
    fc.assert(fc.property(numberExpr, lanesArb, pickArb, (source, { g, runs }, pick) => check(source, 'number', g, runs, pick)), { numRuns: 300 });
    // Every case compares at least one lane.
    expect(compared).toBeGreaterThanOrEqual(300);
  });

  it('compute the scalar value of any condition, lane by lane (true as 1, false as 0)', () => {
    compared = 0;
    fc.assert(fc.property(condition, lanesArb, pickArb, (source, { g, runs }, pick) => check(source, 'boolean', g, runs, pick)), { numRuns: 300 });
    expect(compared).toBeGreaterThanOrEqual(300);
  });

  it('agree on the values the generators are meant to reach: NaN, ±Infinity, -0, both truth values', () => {
    // The properties above are only as good as what they meet: these cases are among them by construction.
    const runs: LaneInput[] = [
      { t: [0, 0], p: 0, rel: 0, stance: 0, cnt: [0, 0, 0], last: [-1, -1, -1] },
      { t: [60, 100], p: 1, rel: 1, stance: 1, cnt: [2, 1, 3], last: [1, 0, 1] },
    ];
    const cases: [string, 'number' | 'boolean', (x: number) => boolean][] = [
      ['(HOST / MIL)', 'number', Number.isNaN],
      ['(1 / HOST)', 'number', (x) => x === Infinity],
      ['(-1 / HOST)', 'number', (x) => x === -Infinity],
      ['(-0 * MIL)', 'number', (x) => Object.is(x, -0)],
      ['log(HOST - 1)', 'number', Number.isNaN],
      ['since(boat_strike)', 'number', (x) => x === Infinity],
      ['(HOST > 50)', 'boolean', (x) => x === 0],
      ['not (HOST > 50)', 'boolean', (x) => x === 1],
    ];
    for (const [source, ty, lane0] of cases) {
      check(source, ty, 1, runs, [0, 1, 0]);
      const out = new Float64Array(MAX_LANES);
      compileExpr(source, scope, ty).vec(lanesOf(1, runs), Int32Array.of(0), 1, out);
      expect(lane0(out[0]!), `${source} on lane 0 gave ${out[0]}`).toBe(true);
    }
  });

  it('have a form for a plain number or condition too', () => {
    const lanes = lanesOf(0, [{ t: [1, 2], p: 0, rel: 0, stance: 0, cnt: [0, 0, 0], last: [-1, -1, -1] }]);
    const out = new Float64Array(4).fill(SENTINEL);
    const quarter = compileExpr(0.25, scope, 'number');
    quarter.vec(lanes, Int32Array.of(0, 0), 2, out);
    expect([...out]).toEqual([0.25, 0.25, SENTINEL, SENTINEL]);
    expect(quarter.fn(lanes, 0)).toBe(0.25);
    expect(quarter.constant).toBe(0.25);
    const yes = compileExpr(true, scope, 'boolean');
    yes.vec(lanes, Int32Array.of(0), 1, out);
    expect(out[0]).toBe(1);
    expect(yes.fn(lanes, 0)).toBe(true);
    compileExpr(false, scope, 'boolean').vec(lanes, Int32Array.of(0), 1, out);
    expect(out[0]).toBe(0);
  });
});

// --- the kernel, one lane against many ----------------------------------------------------

/** Each run alone, in a kernel of one lane (scalar forms only): its final state, or the NaN it met. */
function alone(def: ScenarioDefinition, policy: string, starts: readonly RunStart[]): (SimState | 'nan')[] {
  const one: Runner = { k: kernelFor(def, policy, 1), L: createLanes(def, 1) };
  return starts.map((start) => {
    let end: SimState | null = null;
    try {
      runGroup(one, [start], (e) => (end = e.state()));
    } catch (error) {
      if (metNaN(error)) return 'nan';
      throw error;
    }
    if (!end) throw new Error('runGroup visited nothing');
    return end;
  });
}

/** Counts of what `sameEnds` compared. */
interface Tally {
  /** Groups whose every lane was compared with its run alone. */
  groups: number;
  /** Of those, groups of more than one lane (the vector forms at work). */
  wide: number;
  /** Lanes compared. */
  lanes: number;
  /** Groups in which some run meets NaN (the group must then stop with that error too). */
  nan: number;
}
const tally = (): Tally => ({ groups: 0, wide: 0, lanes: 0, nan: 0 });

/**
 * Runs `starts` together in one group of `R`'s lanes and checks every end against `single`
 * (the same starts run alone). The group must stop with "the run met NaN" exactly when some
 * run alone does.
 */
function sameEnds(R: Runner, starts: readonly RunStart[], single: readonly (SimState | 'nan')[], t: Tally, what: string): void {
  if (single.includes('nan')) {
    expect(() => runGroup(R, starts, () => {}), what).toThrow(/the run met/);
    t.nan++;
    return;
  }
  const ends: SimState[] = [];
  const visited = runGroup(R, starts, (end, j) => {
    const s = end.state();
    // What a group's end says directly agrees with its whole state.
    if (end.outcome !== s.outcome || end.steps !== s.step || !Object.is(end.goldstein, s.gs) || Array.from(end.tensions).join() !== s.t.join() || Array.from(end.judged).join() !== s.judged.join()) {
      throw new Error(`${what}: lane ${j}'s end disagrees with its state`);
    }
    ends[j] = s;
  });
  expect(visited).toBe(true);
  expect(ends.length).toBe(starts.length);
  starts.forEach((_, j) => expectSameState(ends[j]!, single[j] as SimState, `${what}: run ${j} of ${starts.length}`));
  t.groups++;
  if (starts.length > 1) t.wide++;
  t.lanes += starts.length;
}

/**
 * `starts` alone, then together in groups of each of `sizes` (prefixes of `starts`), for one
 * policy. The runs alone are computed once for the longest prefix.
 */
function checkGroups(def: ScenarioDefinition, policy: string, starts: readonly RunStart[], sizes: readonly number[], t: Tally, what: string): void {
  const single = alone(def, policy, starts);
  const R = runner(def, policy);
  for (const size of sizes) sameEnds(R, starts.slice(0, size), single.slice(0, size), t, `${what}, ${policy}, group of ${size}`);
}

/** Starts from the beginning: parameter values drawn by `draw` over their ranges, seeds derived from `base`. */
function freshStarts(def: ScenarioDefinition, count: number, base: number, draw: () => number, moves: readonly Move[] = []): RunStart[] {
  return Array.from({ length: count }, (_, i) => ({ params: def.parameters.map((p) => p.min + draw() * (p.max - p.min)), seed: deriveSeed(base, i), moves }));
}

/** A run of `start` under `policy`, alone, stopped before its decision number `at` (or at its end). */
function partWay(def: ScenarioDefinition, policy: string, start: RunStart, at: number): SimState {
  const k = kernelFor(def, policy, 1);
  const L = createLanes(def, 1);
  begin(L, 1, () => start, null);
  runToEnd(k, L, () => start.moves, null, () => L.step >= at);
  return store(L, 0);
}

const SEED = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('the kernel: a run alone and in a group of up to 256 lanes', () => {
  it('ends every run of a generated scenario as a run alone does, for every policy', () => {
    const t = tally();
    const numRuns = 40;
    fc.assert(
      fc.property(generatedScenario, SEED, fc.integer({ min: 1, max: 24 }), (def, seed, count) => {
        const starts = freshStarts(def, count, seed, mulberry(seed));
        for (const policy of def.policies.keys()) checkGroups(def, policy, starts, [1, count], t, `seed ${seed}`);
      }),
      { numRuns },
    );
    // Generated scenarios compute with finite numbers: every group is compared, in two policies at least.
    expect(t.nan).toBe(0);
    expect(t.groups).toBeGreaterThanOrEqual(numRuns * 2 * 2);
    expect(t.wide).toBeGreaterThan(numRuns);
  });

  it('ends every run of expression-rich generated scenarios as a run alone does, in groups of any size', () => {
    const t = tally();
    let loaded = 0;
    const numRuns = 50;
    fc.assert(
      fc.property(SEED, (seed) => {
        const def = richScenario(seed);
        if (!def) return; // counted: `loaded` is asserted below
        loaded++;
        const starts = freshStarts(def, MAX_LANES, seed, mulberry(seed));
        for (const policy of def.policies.keys()) checkGroups(def, policy, starts, [1, 2, 1 + (seed % 40), MAX_LANES], t, `rich scenario ${seed}`);
      }),
      { numRuns },
    );
    // About 60% of draws are valid scenarios, and most of their runs do not meet NaN (the
    // bounds are far enough below the expected counts that a random seed does not trip them).
    expect(loaded).toBeGreaterThan(numRuns * 0.3);
    expect(t.wide).toBeGreaterThan(loaded);
    expect(t.lanes).toBeGreaterThan((loaded * MAX_LANES) / 2);
  });

  it('ends every run of format 1.1 generated scenarios as a run alone does, in groups of any size, from the start and part-way', () => {
    // Effects as expressions (on levers, branches, events, couplings), `actor`, named conditions,
    // `days_since`, couplings per day or week, `outcome_at` and policies that extend others.
    const t = tally();
    let loaded = 0;
    let exprEffects = 0;
    const numRuns = 30;
    fc.assert(
      fc.property(SEED, (seed) => {
        const def = rich11Scenario(seed);
        if (!def) return; // counted: `loaded` is asserted below
        loaded++;
        if (def.levers.some((l) => l.exprEffects) && def.couplings.some((c) => c.scale !== null || c.exprEffects)) exprEffects++;
        const starts = freshStarts(def, MAX_LANES, seed, mulberry(seed));
        for (const policy of def.policies.keys()) checkGroups(def, policy, starts, [1, 2, 1 + (seed % 40), MAX_LANES], t, `1.1 scenario ${seed}`);
        // Part-way (a state stored after a checkpoint carries the outcomes `outcome_at` reads), then together.
        const single = alone(def, 'default', starts.slice(0, 24));
        if (single.includes('nan')) return;
        const from = starts.slice(0, 24).map((s) => {
          const state = partWay(def, 'default', s, seed % (def.maxSteps + 1));
          return { params: state.p, seed: state.seed, moves: [], from: state };
        });
        sameEnds(runner(def, 'default'), from, alone(def, 'default', from), t, `1.1 scenario ${seed} part-way`);
      }),
      { numRuns },
    );
    expect(loaded).toBeGreaterThan(numRuns * 0.3);
    expect(exprEffects).toBeGreaterThan(0);
    expect(t.wide).toBeGreaterThan(loaded);
    expect(t.lanes).toBeGreaterThan((loaded * MAX_LANES) / 2);
  });

  for (const id of ['petro-trump', 'river-dispute']) {
    it(`ends every run of ${id} as a run alone does, for every policy and a spread of parameters`, () => {
      const def = loadScenario(id);
      const t = tally();
      // Parameters spread over their ranges, run by run; a full group and a partial one.
      const starts = Array.from({ length: MAX_LANES }, (_, i) => ({
        params: def.parameters.map((p, j) => p.min + (((i * (j + 3)) % 17) / 16) * (p.max - p.min)),
        seed: deriveSeed(11, i),
        moves: [],
      }));
      for (const policy of def.policies.keys()) checkGroups(def, policy, starts, [MAX_LANES, 37], t, id);
      expect(t).toEqual({ groups: 2 * def.policies.size, wide: 2 * def.policies.size, lanes: (MAX_LANES + 37) * def.policies.size, nan: 0 });
    });
  }

  it('takes any branch’s moves — pulls, forced branches, passes, rerolls — then each run’s own reroll, as one run does', () => {
    const t = tally();
    let played = 0;
    const numRuns = 60;
    fc.assert(
      fc.property(SEED, (seed) => {
        const def = richScenario(seed);
        if (!def) return; // counted below
        const draw = mulberry(seed);
        let branch: ReturnType<typeof playBranch>;
        try {
          branch = playBranch(def, 1, draw, Math.min(def.maxSteps, 8));
        } catch (error) {
          if (metNaN(error)) return; // counted below
          throw error;
        }
        if (branch.state.ended) return; // counted below
        played++;
        const starts = Array.from({ length: MAX_LANES }, (_, i) => ({
          params: def.parameters.map((p) => p.default), seed: 1,
          moves: [...branch.moves, { step: branch.state.step, action: { type: 'reroll' as const, seed: deriveSeed(seed, i) } }],
        }));
        for (const policy of def.policies.keys()) checkGroups(def, policy, starts, [1, 3, MAX_LANES], t, `branch of rich scenario ${seed}`);
      }),
      { numRuns },
    );
    // About 40% of draws load and play a branch that neither meets NaN nor ends the run.
    expect(played).toBeGreaterThan(numRuns * 0.15);
    expect(t.wide).toBeGreaterThan(played);
  });

  for (const id of ['petro-trump', 'river-dispute']) {
    it(`takes random branches of ${id} in every run, then each run’s own reroll, as one run does`, () => {
      const def = loadScenario(id);
      const t = tally();
      let moves = 0;
      for (let b = 0; b < 6; b++) {
        const branch = playBranch(def, 5 + b, mulberry(b), 10);
        moves += branch.moves.length;
        const starts = Array.from({ length: 40 }, (_, i) => ({
          params: def.parameters.map((p) => p.default), seed: 5 + b,
          moves: [...branch.moves, { step: branch.state.step, action: { type: 'reroll' as const, seed: deriveSeed(3, i) } }],
        }));
        checkGroups(def, 'default', starts, [40], t, `${id} branch ${b}`);
      }
      expect(t).toEqual({ groups: 6, wide: 6, lanes: 240, nan: 0 });
      expect(moves).toBeGreaterThan(6);
    });
  }

  it('takes a given branch of petro-trump in every run, then each run’s own reroll, as one run does', () => {
    const def = loadScenario('petro-trump');
    const t = tally();
    const moves: Move[] = [{ step: 0, action: { type: 'pull', lever: 'meeting_format', force: 'open_spray' } }, { step: 1, action: { type: 'pass' } }];
    const starts = Array.from({ length: 40 }, (_, i) => ({ params: def.parameters.map((p) => p.default), seed: 5, moves: [...moves, { step: 2, action: { type: 'reroll' as const, seed: deriveSeed(3, i) } }] }));
    checkGroups(def, 'default', starts, [40], t, 'petro-trump');
    expect(t.lanes).toBe(40);
  });

  describe('from a state part-way through a run', () => {
    /**
     * `count` runs of `def` stopped before decision `at` (each alone), then continued together
     * and alone; each must also end where its whole run from the start ends. Returns false when
     * some run meets NaN on the way.
     */
    function fromStates(def: ScenarioDefinition, policy: string, count: number, seed: number, at: number, t: Tally, what: string): boolean {
      const starts = freshStarts(def, count, seed, mulberry(seed));
      const whole = alone(def, policy, starts);
      if (whole.includes('nan')) return false;
      const from: RunStart[] = starts.map((s) => {
        const state = partWay(def, policy, s, at);
        return { params: state.p, seed: state.seed, moves: [], from: state };
      });
      const continued = alone(def, policy, from);
      continued.forEach((s, j) => expectSameState(s as SimState, whole[j] as SimState, `${what}: run ${j} continued from decision ${at}`));
      const R = runner(def, policy);
      sameEnds(R, from, continued, t, `${what}, from decision ${at}`);
      // One state, each lane rerolled to its own seed there.
      const node = from[0]!.from!;
      const rerolled = from.map((s, j) => ({ ...s, from: node, moves: node.ended ? [] : [{ step: node.step, action: { type: 'reroll' as const, seed: deriveSeed(seed + 1, j) } }] }));
      sameEnds(R, rerolled, alone(def, policy, rerolled), t, `${what}, one node rerolled`);
      return true;
    }

    it('continues runs of generated and expression-rich scenarios together as alone, and as the whole run', () => {
      const t = tally();
      let checked = 0;
      const numRuns = 40;
      fc.assert(
        fc.property(fc.oneof(generatedScenario, SEED.map((s) => richScenario(s))), SEED, fc.nat(30), fc.integer({ min: 2, max: 40 }), (def, seed, at, count) => {
          if (!def) return; // counted below
          for (const policy of def.policies.keys()) if (fromStates(def, policy, count, seed, at % (def.maxSteps + 1), t, `seed ${seed}`)) checked++;
        }),
        { numRuns },
      );
      expect(checked).toBeGreaterThan(numRuns / 2);
      // Two groups for each: the runs continued, and one node rerolled lane by lane (which may meet NaN).
      expect(t.wide + t.nan).toBe(2 * checked);
      expect(t.wide).toBeGreaterThan(checked);
    });

    for (const id of ['petro-trump', 'river-dispute']) {
      it(`continues runs of ${id} together as alone, and as the whole run`, () => {
        const def = loadScenario(id);
        const t = tally();
        for (const policy of def.policies.keys()) {
          for (const at of [1, Math.floor(def.maxSteps / 2), def.maxSteps - 1]) expect(fromStates(def, policy, 24, at, at, t, `${id} ${policy}`)).toBe(true);
        }
        expect(t.groups).toBe(2 * 3 * def.policies.size);
      });
    }
  });

  describe('runs that cannot share lanes', () => {
    const def = loadScenario('petro-trump');
    const params = def.parameters.map((p) => p.default);

    it('are told apart: moves of different kinds or on different steps', () => {
      const reroll: Move = { step: 0, action: { type: 'reroll', seed: 7 } };
      expect(inLockStep([[reroll], [{ step: 0, action: { type: 'pass' } }]])).toBe(false);
      expect(inLockStep([[reroll], [{ ...reroll, step: 1 }]])).toBe(false);
      expect(inLockStep([[reroll], []])).toBe(false);
      expect(inLockStep([[reroll], [{ step: 0, action: { type: 'reroll', seed: 9 } }]])).toBe(true);
      expect(inLockStep([[{ step: 0, action: { type: 'pass' } }], [{ step: 0, action: { type: 'pull', lever: 'meeting_format' } }]])).toBe(true);
    });

    it('run one at a time in one call, each ending as it does alone', () => {
      const t = tally();
      const moved: RunStart[] = [
        { params, seed: 1, moves: [{ step: 0, action: { type: 'reroll', seed: 7 } }] },
        { params, seed: 1, moves: [{ step: 0, action: { type: 'pass' } }] },
        { params, seed: 2, moves: [] },
        { params, seed: 3, moves: [{ step: 1, action: { type: 'reroll', seed: 7 } }] },
      ];
      expect(inLockStep(moved.map((s) => s.moves))).toBe(false);
      sameEnds(runner(def, 'default'), moved, alone(def, 'default', moved), t, 'moves out of step');
      // States at different points of the timeline, and a state beside a fresh start.
      const fresh = freshStarts(def, 3, 4, mulberry(4));
      const mixed: RunStart[] = [
        ...fresh.map((s, j) => ({ ...s, from: partWay(def, 'default', s, 2 * j) })),
        fresh[0]!,
      ];
      sameEnds(runner(def, 'default'), mixed, alone(def, 'default', mixed), t, 'states at different points');
      expect(t).toEqual({ groups: 2, wide: 2, lanes: 8, nan: 0 });
    });
  });
});
