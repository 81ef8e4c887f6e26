/**
 * Odds, lever comparisons and advice (issue 13): the built CLI on real files, and the library.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compile, run, resolveParams } from '../src/engine/engine.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { codeNode, startNode } from '../src/analysis/node.ts';
import { odds, oddsAsync } from '../src/analysis/odds.ts';
import { compareLevers, type CompareRun } from '../src/analysis/compare.ts';
import { advise, advisePlay, roleStrategies } from '../src/analysis/advise.ts';
import { outcomeGoal } from '../src/analysis/goal.ts';
import { parseBranchCode } from '../src/engine/branch-code.ts';

const MINI = 'test/fixtures/mini.yaml';
const TOY = 'test/fixtures/advice-toy.yaml';

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}
const json = (...args: string[]) => {
  const r = parley(...args, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
};

describe('parley odds', () => {
  it('gives the same bytes for the same arguments (adaptive stopping included)', () => {
    const a = parley('odds', 'petro-trump', '--precision', '0.03', '--seed', '5');
    expect(a.code).toBe(0);
    expect(a.out).toBe(parley('odds', 'petro-trump', '--precision', '0.03', '--seed', '5').out);
    expect(a.out).toMatch(/Monte Carlo: [\d,]+ runs; every outcome within ±[\d.]+ points \(95%\), as asked \(±3\.00\)/);
    expect(json('odds', MINI, '--branch', 'mini:3:default:5@3', '--exact-budget', '0')).toEqual(json('odds', MINI, '--branch', 'mini:3:default:5@3', '--exact-budget', '0'));
  }, 120_000);

  it('stops at the precision, checked after whole groups of 256 runs, and reports the runs and intervals as the batch summary does', () => {
    const doc = json('odds', 'petro-trump', '--precision', '0.02', '--seed', '9');
    expect(doc.method).toBe('monte-carlo');
    expect(doc.runs % 256).toBe(0);
    expect(doc.reached).toBe(true);
    expect(doc.halfWidth).toBeLessThanOrEqual(0.02);
    const widest = Math.max(...Object.values(doc.outcomes as Record<string, { ci95: [number, number] }>).map((o) => (o.ci95[1] - o.ci95[0]) / 2));
    expect(widest).toBeCloseTo(doc.halfWidth, 6);
    // One group fewer would not have reached it.
    const fewer = json('odds', 'petro-trump', '--precision', '0', '--max-runs', String(doc.runs - 256), '--seed', '9');
    expect(fewer.halfWidth).toBeGreaterThan(0.02);
    expect(Object.keys(doc.outcomes)).toEqual(['militarised_crisis', 'public_blow_up', 'strategic_reset', 'conditional_truce', 'cordial_but_thin']);
    expect(doc.scenario.hash).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it('runs exactly the runs of the batch it names (same seeds, same counts)', () => {
    const doc = json('odds', MINI, '--branch', 'mini:2:random:1=praise,2=praise', '--seed', '4', '--precision', '0', '--max-runs', '700', '--exact-budget', '0');
    expect(doc.seedPlan.batch).toBe('parley batch test/fixtures/mini.yaml --runs 700 --seed 4 --branch mini:2:random:1=praise,2=praise');
    const batch = spawnSync(process.execPath, ['bin/parley.js', 'batch', MINI, '--runs', '700', '--seed', '4', '--branch', 'mini:2:random:1=praise,2=praise'], { encoding: 'utf8' });
    const summary = JSON.parse(batch.stdout);
    for (const [id, o] of Object.entries(doc.outcomes as Record<string, { count: number; ci95: number[] }>)) {
      expect(o.count).toBe(summary.outcomes[id].count);
      expect(o.ci95).toEqual(summary.outcomes[id].ci95);
    }
  });

  it.each([
    ['the random policy', 'mini:2:random:12@2', []],
    ['the default policy (weights and passing)', 'mini:2:default:12@2', []],
    ['a checkpoint (the enumeration stops there)', 'mini:2:random:4@2', ['--checkpoint', 'talks']],
  ])('enumerates a small tree exactly under %s, inside a large Monte Carlo interval', (_, code, extra) => {
    const exact = json('odds', MINI, '--branch', code, ...extra);
    expect(exact.method).toBe('exact');
    expect(exact.runs).toBe(0);
    const p = Object.values(exact.outcomes as Record<string, { proportion: number }>).map((o) => o.proportion);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(Math.max(...p)).toBeLessThan(1);
    expect(parley('odds', MINI, '--branch', code, ...extra).out).toContain('Exact: the rest of the outcome tree enumerated');
    const mc = json('odds', MINI, '--branch', code, ...extra, '--exact-budget', '0', '--precision', '0.003', '--seed', '3');
    expect(mc.method).toBe('monte-carlo');
    for (const [id, o] of Object.entries(exact.outcomes as Record<string, { proportion: number }>)) {
      const [lo, hi] = mc.outcomes[id].ci95;
      expect(o.proportion).toBeGreaterThanOrEqual(lo);
      expect(o.proportion).toBeLessThanOrEqual(hi);
    }
  }, 120_000);

  it('is exact on a toy whose odds are known: two wins in three rounds at 1/3 each is 7/27', () => {
    const def = loadScenario(TOY);
    const r = odds(compile(def), startNode(def, 1, resolveParams(def)), { policy: 'default' });
    expect(r.method).toBe('exact');
    expect(r.outcomes[0]!.proportion).toBeCloseTo(7 / 27, 8);
  });

  it('gives the same answer in slices (for a terminal UI) as at once', async () => {
    const def = loadScenario(MINI);
    const compiled = compile(def);
    const node = startNode(def, 3, resolveParams(def));
    const options = { policy: 'default', precision: 0.005, seed: 2 };
    const progress: number[] = [];
    const sliced = await oddsAsync(compiled, node, options, { sliceMs: 0, onProgress: (p) => progress.push(p.runs) });
    expect(sliced).toEqual(odds(compiled, node, options));
    expect(progress.length).toBeGreaterThan(1);
    const controller = new AbortController();
    controller.abort();
    await expect(oddsAsync(compiled, node, options, { signal: controller.signal })).rejects.toThrow();
  });
});

describe('parley compare', () => {
  it("gives paired differences equal to the difference of each move's share and the policy's", () => {
    const doc = json('compare', '--branch', 'petro-trump:1:default:2@1', '--outcome', 'strategic_reset,conditional_truce', '--runs', '512');
    expect(doc.actor).toBe('petro');
    const [policy, ...moves] = doc.moves;
    expect(policy.id).toBe('policy');
    expect(moves.map((m: { id: string }) => m.id)).toContain('pass');
    // The policy's own choice is the moves' results weighted by its chances.
    const chance = moves.reduce((a: number, m: { policyP: number }) => a + m.policyP, 0);
    expect(chance).toBeCloseTo(1, 6);
    expect(policy.goal.proportion).toBeCloseTo(moves.reduce((a: number, m: { policyP: number; goal: { proportion: number } }) => a + m.policyP * m.goal.proportion, 0), 6);
    for (const m of moves) {
      expect(m.vsPolicy.difference).toBeCloseTo(m.goal.proportion - policy.goal.proportion, 6);
      for (const id of Object.keys(m.outcomes)) expect(m.outcomesVsPolicy[id].difference).toBeCloseTo(m.outcomes[id].proportion - policy.outcomes[id].proportion, 6);
      // Paired intervals are narrower than independent ones.
      expect(m.vsPolicy.ci95[1] - m.vsPolicy.ci95[0]).toBeLessThan(m.vsPolicy.independentCi95[1] - m.vsPolicy.independentCi95[0]);
    }
    expect(doc.narrower).toBeGreaterThan(1.5);
    expect(doc.node.code).toBe('petro-trump:1:default:2@1');
  }, 120_000);

  it('runs every move on the same seeds: run j of a move is the run of its branch code with a reroll to deriveSeed(base, j)', () => {
    const def = loadScenario(MINI);
    const compiled = compile(def);
    const code = parseBranchCode('mini:6:default:3=call');
    const node = codeNode(def, 'default', code.seed, resolveParams(def), code.moves);
    const runs: CompareRun[] = [];
    compareLevers(compiled, node, { policy: 'default', goal: null, runs: 40, seed: 8 }, (r) => runs.push(r));
    const moves = [...new Set(runs.map((r) => r.move))];
    expect(moves.length).toBeGreaterThan(1);
    for (const r of runs.filter((x) => x.j % 7 === 0)) {
      const action = r.move === 'pass' ? { type: 'pass' as const } : { type: 'pull' as const, lever: r.move };
      const replay = run(compiled, { seed: code.seed, moves: [...code.moves, { step: node.state.step, action: { type: 'reroll', seed: deriveSeed(8, r.j) } }, { step: node.state.step, action }], executor: 'fast', trace: false });
      expect(replay.outcome.id).toBe(r.outcome);
    }
  });

  it('knows the toy: the safe bet first is 38/90, the long shot 22/90, passing 10/90', () => {
    const def = loadScenario(TOY);
    const r = compareLevers(compile(def), startNode(def, 1, resolveParams(def)), { policy: 'default', goal: outcomeGoal(def, ['ahead']), runs: 4000, seed: 3 });
    const p = Object.fromEntries(r.arms.map((a) => [a.id, a.goal!]));
    for (const [id, want] of [['safe', 38 / 90], ['long', 22 / 90], ['pass', 10 / 90]] as const) {
      expect(want).toBeGreaterThanOrEqual(p[id]!.ci95[0]);
      expect(want).toBeLessThanOrEqual(p[id]!.ci95[1]);
    }
  });
});

describe('parley advise', () => {
  it('finds the best lever of the toy and never does worse than default play beyond noise', () => {
    const def = loadScenario(TOY);
    const compiled = compile(def);
    const node = startNode(def, 1, resolveParams(def));
    const goal = outcomeGoal(def, ['ahead']);
    const a = advise(compiled, node, { policy: 'default', goal, role: 0, budget: 1200, seed: 4 });
    expect(a.recommended.id).toBe('safe');
    expect(a.check.difference.ci95[1]).toBeGreaterThan(0);
    // How the player goes on in the rollouts and the check: the best fixed strategy, the safe bet every time.
    expect(a.then.id).toBe('always:safe');
    expect(a.then.strategies[0]!.id).toBe('always:safe');
    // The plan (safe now, safe later) against default play: 0.784 against 7/27.
    expect(a.check.advised.ci95[0]).toBeLessThan(0.784);
    expect(a.check.advised.ci95[1]).toBeGreaterThan(0.784);
    expect(a.check.difference.ci95[0]).toBeGreaterThan(0.4);
    // Without the strategies, the player goes on as the policy would (one step of lookahead).
    const plain = advise(compiled, node, { policy: 'default', goal, role: 0, budget: 1200, seed: 4, strategyRuns: 0 });
    expect(plain.then).toMatchObject({ id: 'policy', strategies: [] });
    expect(plain.check.advised.proportion).toBeLessThan(a.check.advised.proportion);
    // Played through whole runs: always the safe bet, 0.784 against 7/27.
    const play = advisePlay(compiled, node, { policy: 'default', goal, role: 0, runs: 300, budget: 96, seed: 5 });
    expect(play.seeds.disjoint).toBe(true);
    expect(play.difference.ci95[0]).toBeGreaterThan(0);
    expect(play.advisor.ci95[0]).toBeLessThan(0.784);
    expect(play.advisor.ci95[1]).toBeGreaterThan(0.784 - 0.05);
    expect(play.chosen.safe).toBeGreaterThan(0.9 * 900);
    // The rollouts' base: always the safe bet, found among the fixed strategies on seeds of its own.
    expect(play.base.id).toBe('always:safe');
    expect(play.base.strategies.map((s) => s.id)).toEqual(['always:safe', 'policy', 'always:long', 'never']);
    expect(play.base.strategies.find((s) => s.id === 'never')!.proportion).toBe(0);
    expect(play.seeds.strategies).not.toBe(play.seeds.search);
  });

  it('plays the fixed strategies of a role as the policy with only that role\'s rules replaced', () => {
    const def = loadScenario(TOY);
    const policy = def.policies.get('default')!;
    const strategies = roleStrategies(def, policy, 0);
    expect(strategies.map((s) => s.id)).toEqual(['policy', 'always:safe', 'always:long', 'never']);
    for (const s of strategies.slice(1)) {
      // The other actor keeps the policy's rules.
      expect(s.policy.actors[1]).toBe(policy.actors[1]);
      expect(s.policy.actors[0]).not.toBe(policy.actors[0]);
    }
    // Always the long shot: every run of the player pulls it (one pull per decision, three decisions).
    const node = startNode(def, 1, resolveParams(def));
    const long = advisePlay({ def }, node, { policy: 'default', goal: outcomeGoal(def, ['ahead']), role: 0, runs: 40, budget: 8, seed: 2, strategyRuns: 400 });
    const ranked = long.base.strategies;
    // 0.784 (three safe bets, two wins needed) against 0.216 for the long shot and 0 for never.
    expect(ranked[0]!.proportion).toBeGreaterThan(0.72);
    expect(ranked.find((s) => s.id === 'always:long')!.proportion).toBeLessThan(0.28);
    // --base-runs 0: default play is the base, as before.
    const plain = advisePlay({ def }, node, { policy: 'default', goal: outcomeGoal(def, ['ahead']), role: 0, runs: 40, budget: 8, seed: 2, strategyRuns: 0 });
    expect(plain.base).toMatchObject({ id: 'policy', strategies: [] });
  });

  it('prints its recommendation with the check against default play, and plays with --play', () => {
    const r = parley('advise', TOY, '--role', 'p', '--outcome', 'ahead', '--budget', '600');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Recommended: Safe bet \(safe\), then Safe bet whenever it can be pulled \(always:safe\)$/m);
    expect(r.out).toMatch(/the best of 4 fixed strategies from here on 2,000 runs each: always:safe \d+\.\d%, policy \d+\.\d%, always:long \d+\.\d%, never 0\.0%/);
    expect(r.out).toMatch(/P\(goal\) [\d.]+% \(95% [\d.]+–[\d.]+\) against [\d.]+% \([\d.]+–[\d.]+\) for default play/);
    const p = json('advise', TOY, '--role', 'p', '--outcome', 'ahead', '--play', '--runs', '60', '--budget', '48');
    expect(p.play.runs).toBe(60);
    expect(p.play.advisor.proportion).toBeGreaterThan(p.play.policy.proportion);
    expect(p.goal).toMatchObject({ type: 'outcomes', outcomes: ['ahead'] });
  });
});

describe('bad arguments exit 2 with a hint', () => {
  it.each([
    [['odds', '--branch', 'petro-trump:1:default:2=show_record'], /--branch: the branch code does not replay: step 2: `show_record` is not available/],
    [['odds', '--branch', 'nonsense'], /--branch: `nonsense` is not a branch code/],
    [['odds', '--precision', '2'], /--precision: must be a number from 0 to 0\.5/],
    [['odds', MINI, '--checkpoint', 'nope'], /--checkpoint: `nope` is not a checkpoint phase of mini\n\s+hint: checkpoints of mini: talks, after/],
    [['compare', '--outcome', 'strategic_rest'], /--outcome: unknown outcome `strategic_rest`\n\s+hint: did you mean `strategic_reset`\?/],
    [['compare', '--objective', 'HOST <'], /--objective: syntax error/],
    [['compare', '--objective', 'HOST > 3', '--outcome', 'deal'], /give --outcome or --objective, not both/],
    [['advise', '--role', 'nobody', '--outcome', 'strategic_reset'], /--role: unknown role `nobody`\n\s+hint:/],
    [['advise', '--role', 'petro'], /--objective: needs a goal[\s\S]*hint: outcomes of petro-trump/],
    [['advise', TOY, '--role', 'p', '--outcome', 'ahead', '--runs', '5'], /--runs goes with --play/],
    [['advise', TOY, '--role', 'p', '--outcome', 'ahead', '--play', '--base-runs', 'lots'], /--base-runs: must be a whole number from 0 to 10,000,000, not `lots`/],
  ])('%j', (args, message) => {
    const r = parley(...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
