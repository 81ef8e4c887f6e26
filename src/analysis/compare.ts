/**
 * Every move of the actor who decides at a node, continued under the policy on the same seeds:
 * run j of every arm rerolls to `deriveSeed(base, j)` at the node and then takes the arm's move
 * (the policy's own choice for the reference arm). A run's random stream is part of its state
 * and draws are keyed by (seed, round, slot), so the arms differ only where their moves lead
 * them apart: paired differences are far more precise than independent samples of each arm.
 *
 * The policy's own choice needs no runs of its own. Its run j chooses a move with the policy's
 * draw and is then, step for step, the run of that move forced on seed j (a forced move reads
 * every draw the chosen one would, but the policy's, which nothing reads again that round). So
 * its result on seed j is estimated without that draw's noise by averaging the moves' results on
 * seed j, each weighted by the chance that the policy chooses it (a conditional expectation:
 * unbiased, and never noisier than one run).
 */
import type { Action } from '../engine/types.ts';
import type { Scenario } from './node.ts';
import { MAX_LANES } from '../engine/runs.ts';
import { availableLevers, currentActor, policyChoice } from '../engine/state.ts';
import { UsageError } from '../scenario/errors.ts';
import { tidy, wilson } from '../stats/stats.ts';
import type { Goal } from './goal.ts';
import { runFromNode, type AnalysisNode } from './node.ts';
import { PairedTally, type PairedDifference } from './paired.ts';
import { runGroup, runner, type RunStart } from './runs.ts';
import { finish, finishAsync, type AsyncControl } from './steps.ts';

export interface CompareOptions {
  readonly policy: string;
  /** What counts as success (null: outcome shares only). */
  readonly goal: Goal | null;
  /** Runs per move (default 2,000). */
  readonly runs?: number;
  /** Base seed: run j of every move has seed `deriveSeed(seed, j)` (default 1). */
  readonly seed?: number;
}

export interface Share {
  /** Runs counted (null for the policy's own choice, an average over its moves). */
  readonly count: number | null;
  readonly proportion: number;
  /** 95% Wilson interval. */
  readonly ci95: [number, number];
}

/** One move continued under the policy. */
export interface Arm {
  /** `policy` for the policy's own choice, a lever id, or `pass`. */
  readonly id: string;
  readonly label: string;
  /** The move forced at the node (null for the policy's own choice). */
  readonly action: Action | null;
  /** How likely the policy is to choose it here (1 for the policy's own arm). */
  readonly policyP: number;
  readonly goal: Share | null;
  /** Share of each outcome, by outcome id in declared order. */
  readonly outcomes: Readonly<Record<string, Share>>;
  /** The goal's paired difference against the policy's own choice (null for that arm, or without a goal). */
  readonly vsPolicy: PairedDifference | null;
  /** Each outcome's paired difference against the policy's own choice (empty for that arm). */
  readonly outcomesVsPolicy: Readonly<Record<string, PairedDifference>>;
}

export interface CompareResult {
  /** The actor who decides at the node. */
  readonly actor: string;
  readonly runs: number;
  readonly seed: number;
  /** The policy's own arm first, then each lever the actor may pull, then passing. */
  readonly arms: readonly Arm[];
  /** Median over the moves of how many times narrower the paired intervals are than independent ones (of the goal, or of every outcome share without one), at the same number of runs per move. */
  readonly narrower: number | null;
  /**
   * The same at the same number of runs in all: independent sampling would also need runs of the
   * policy's own choice (k + 1 arms against k), so each paired move could have (k + 1)/k as many.
   */
  readonly narrowerAtEqualTotal: number | null;
}

export interface CompareProgress {
  readonly runs: number;
  readonly of: number;
}

export const DEFAULT_COMPARE_RUNS = 2000;

interface ArmTally {
  readonly id: string;
  readonly label: string;
  readonly action: Action | null;
  readonly policyP: number;
  goal: number;
  readonly outcomes: number[];
  readonly vs: PairedTally;
  readonly outcomeVs: PairedTally[];
  /** This block's results by seed: goal met (0/1) and outcome. */
  readonly blockGoal: Uint8Array;
  readonly blockOutcome: Int32Array;
}

/** The moves of the actor deciding at `node`: every lever available there, then passing (always allowed). */
export function movesAt(compiled: Scenario, node: AnalysisNode, policy: string): { actor: number; moves: { id: string; label: string; action: Action; policyP: number }[] } {
  const { def } = compiled;
  const s = node.state;
  if (s.ended) throw new UsageError('the run has ended at this node: there is no move to compare', 'give the code of a node before the end', '--branch');
  const actor = currentActor(def, s);
  const choice = policyChoice(def, s, policy);
  const weights = new Map((choice.choice?.options ?? []).map((o) => [o.option, o.weight]));
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const levers = availableLevers(def, s, actor);
  const chance = (id: string) => (total > 0 ? (weights.get(id) ?? 0) / total : id === 'pass' ? 1 : 0);
  const moves = levers.map((l) => ({ id: l.id, label: l.label, action: { type: 'pull', lever: l.id } as Action, policyP: chance(l.id) }));
  moves.push({ id: 'pass', label: 'Pass', action: { type: 'pass' }, policyP: chance('pass') });
  return { actor, moves };
}

/** What one run of a comparison gave: for tests and for those who want the runs themselves. */
export interface CompareRun {
  /** The move's id (a lever id, or `pass`). */
  readonly move: string;
  /** Index of the seed: the run rerolled to `deriveSeed(seed, j)` at the node. */
  readonly j: number;
  readonly outcome: string;
  readonly met: boolean | null;
}

/** `compareLevers` as a generator reporting its progress after each block of seeds. */
export function* compareSteps(compiled: Scenario, node: AnalysisNode, options: CompareOptions, visit?: (run: CompareRun) => void): Generator<CompareProgress, CompareResult> {
  const { def } = compiled;
  const runs = options.runs ?? DEFAULT_COMPARE_RUNS;
  const base = options.seed ?? 1;
  const goal = options.goal;
  const { actor, moves } = movesAt(compiled, node, options.policy);
  const no = def.outcomes.length;
  const tally = (id: string, label: string, action: Action | null, policyP: number): ArmTally => ({
    id, label, action, policyP, goal: 0, outcomes: new Array<number>(no).fill(0), vs: new PairedTally(), outcomeVs: def.outcomes.map(() => new PairedTally()),
    blockGoal: new Uint8Array(MAX_LANES), blockOutcome: new Int32Array(MAX_LANES),
  });
  const arms = moves.map((m) => tally(m.id, m.label, m.action, m.policyP));
  // The policy's own choice, seed by seed: the average of the moves' results weighted by the
  // chance that the policy chooses each (see the module's note), and its statistics.
  const reference = new PairedTally();
  const referenceOutcomes = def.outcomes.map(() => new PairedTally());
  const refShare = new Float64Array(no);
  const r = runner(def, options.policy);
  const step = node.state.step;
  const starts: RunStart[] = [];
  for (let from = 0; from < runs; from += MAX_LANES) {
    const size = Math.min(MAX_LANES, runs - from);
    for (const arm of arms) {
      starts.length = 0;
      for (let j = 0; j < size; j++) starts.push(runFromNode(node, base, from + j, [{ step, action: arm.action! }]));
      runGroup(r, starts, (end, j) => {
        const met = goal ? goal.met(end.lanes, end.lane) : false;
        arm.blockGoal[j] = met ? 1 : 0;
        arm.blockOutcome[j] = end.outcome;
        visit?.({ move: arm.id, j: from + j, outcome: def.outcomes[end.outcome]!.id, met: goal ? met : null });
      });
      // A pause after each move's group, not only after every move's: a screen waiting on this
      // stays responsive (a group of 256 runs takes tens of milliseconds).
      yield { runs: from, of: runs };
    }
    for (let j = 0; j < size; j++) {
      let refGoal = 0;
      refShare.fill(0);
      for (const arm of arms) {
        refGoal += arm.policyP * arm.blockGoal[j]!;
        const o = arm.blockOutcome[j]!;
        refShare[o] = refShare[o]! + arm.policyP;
      }
      reference.add(refGoal, 0);
      for (let o = 0; o < no; o++) referenceOutcomes[o]!.add(refShare[o]!, 0);
      for (const arm of arms) {
        arm.goal += arm.blockGoal[j]!;
        arm.outcomes[arm.blockOutcome[j]!]!++;
        arm.vs.add(arm.blockGoal[j]!, refGoal);
        for (let o = 0; o < no; o++) arm.outcomeVs[o]!.add(arm.blockOutcome[j] === o ? 1 : 0, refShare[o]!);
      }
    }
    yield { runs: from + size, of: runs };
  }
  const share = (count: number): Share => ({ count, proportion: tidy(count / runs), ci95: wilson(count, runs).map(tidy) as [number, number] });
  const mixture = (t: PairedTally): Share => {
    const d = t.summary();
    return { count: null, proportion: d.difference, ci95: [Math.max(0, d.ci95[0]), Math.min(1, d.ci95[1])] };
  };
  const ratios: number[] = [];
  const result: Arm[] = [
    {
      id: 'policy', label: "the policy's own choice", action: null, policyP: 1,
      goal: goal ? mixture(reference) : null,
      outcomes: Object.fromEntries(def.outcomes.map((o, i) => [o.id, mixture(referenceOutcomes[i]!)])),
      vsPolicy: null, outcomesVsPolicy: {},
    },
  ];
  for (const arm of arms) {
    const vs = goal ? arm.vs.summary() : null;
    const outcomesVs = Object.fromEntries(def.outcomes.map((o, i) => [o.id, arm.outcomeVs[i]!.summary()]));
    if (vs?.narrower) ratios.push(vs.narrower);
    if (!goal) for (const d of Object.values(outcomesVs)) if (d.narrower) ratios.push(d.narrower);
    result.push({
      id: arm.id, label: arm.label, action: arm.action, policyP: tidy(arm.policyP),
      goal: goal ? share(arm.goal) : null,
      outcomes: Object.fromEntries(def.outcomes.map((o, i) => [o.id, share(arm.outcomes[i]!)])),
      vsPolicy: vs, outcomesVsPolicy: outcomesVs,
    });
  }
  const narrower = median(ratios);
  const narrowerAtEqualTotal = narrower === null ? null : tidy(narrower * Math.sqrt((arms.length + 1) / arms.length));
  return { actor: def.actors[actor]!.id, runs, seed: base, arms: result, narrower, narrowerAtEqualTotal };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return tidy(s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2);
}

/**
 * Each move of the actor deciding at `node` — every available lever, and passing — against the
 * policy's own choice, on the same seeds: P(goal), outcome shares, paired differences with
 * their 95% intervals, and how much narrower those are than independent sampling would give.
 *
 * ```ts
 * const r = compareLevers(compiled, node, { policy: 'default', goal: outcomeGoal(compiled.def, ['strategic_reset']), runs: 2000 });
 * for (const arm of r.arms) console.log(arm.id, arm.goal?.proportion, arm.vsPolicy?.ci95);
 * ```
 */
export function compareLevers(compiled: Scenario, node: AnalysisNode, options: CompareOptions, visit?: (run: CompareRun) => void): CompareResult {
  return finish(compareSteps(compiled, node, options, visit));
}

/** `compareLevers` in slices that give the event loop back, with progress and cancellation (for a terminal UI). */
export function compareLeversAsync(compiled: Scenario, node: AnalysisNode, options: CompareOptions, control: AsyncControl<CompareProgress> = {}): Promise<CompareResult> {
  return finishAsync(compareSteps(compiled, node, options), control);
}
