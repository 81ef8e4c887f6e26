/**
 * Advice for one role: which move now gives the best chance of a goal, by rollouts on common
 * random numbers, with the other actors on their policy.
 *
 * At a decision the moves (every available lever, and passing) are compared by successive
 * halving: each round runs every surviving move on the same fresh seeds (continuing under the
 * policy) and keeps the better half, so the budget goes to the moves that might be best. The
 * move left is then checked against default play on seeds the search did not use, with a paired
 * interval. Played at every decision of the role (`advisePlay`), this is rollout policy
 * improvement: one step of lookahead over a base way of playing the role, at each of the role's
 * decisions, in runs on evaluation seeds that the search never sees. The base is the best of a
 * few fixed strategies (the policy's own play, each lever whenever it can be pulled, never a
 * lever), found first on seeds of its own: rollouts improve on their base, so a better base
 * gives a better advisor (Bertsekas, "Rollout algorithms", 1997).
 */
import { actorNow } from '../engine/kernel.ts';
import { begin, reroll, runToEnd } from '../engine/advance.ts';
import type { Move } from '../engine/branch-code.ts';
import type { Scenario } from './node.ts';
import { deriveSeed } from '../engine/rng.ts';
import { load, MAX_LANES, store, type RunLanes } from '../engine/runs.ts';
import { availableLevers } from '../engine/state.ts';
import type { Action } from '../engine/types.ts';
import type { ActorPolicyDef, PolicyDef, ScenarioDefinition } from '../scenario/definition.ts';
import { exprOf } from '../scenario/expr.ts';
import { UsageError } from '../scenario/errors.ts';
import { tidy, wilson } from '../stats/stats.ts';
import { movesAt } from './compare.ts';
import type { Goal } from './goal.ts';
import { runFromNode, type AnalysisNode } from './node.ts';
import { PairedTally, type PairedDifference } from './paired.ts';
import { runGroup, runner, runnerWith, type RunStart, type Runner } from './runs.ts';
import { finish, finishAsync, type AsyncControl } from './steps.ts';

export interface AdviseOptions {
  readonly policy: string;
  readonly goal: Goal;
  /** The actor advised (index): it must decide at the node. */
  readonly role: number;
  /** Rollouts for the decision: two thirds search, one third check the move against default play (default 6,000). */
  readonly budget?: number;
  /** Base seed: search seeds are `deriveSeed(searchBase(seed), j)`, check seeds `deriveSeed(seed, j)` (default 1). */
  readonly seed?: number;
  /**
   * Runs per fixed strategy of the role when choosing how it plays on after this move (default
   * `DEFAULT_STRATEGY_RUNS`); 0: as the policy would.
   */
  readonly strategyRuns?: number;
}

export interface MoveEstimate {
  readonly id: string;
  readonly label: string;
  readonly action: Action;
  /** How likely the policy is to choose it here. */
  readonly policyP: number;
  /** Search runs it got (successive halving gives more to the better moves) and how often they met the goal. */
  readonly runs: number;
  readonly met: number;
  readonly proportion: number;
  readonly ci95: [number, number];
  /** Round of the halving in which it was dropped (null for the move kept; 0: it won the halving but lost the duel). */
  readonly droppedIn: number | null;
}

export interface Advice {
  readonly actor: string;
  readonly recommended: MoveEstimate;
  /** Every move, best first by its search estimate. */
  readonly moves: readonly MoveEstimate[];
  /** The move kept, against default play, on `checkRuns` seeds the search did not use. */
  readonly check: {
    readonly runs: number;
    readonly advised: { readonly met: number; readonly proportion: number; readonly ci95: [number, number] };
    readonly policy: { readonly met: number; readonly proportion: number; readonly ci95: [number, number] };
    readonly difference: PairedDifference;
  };
  readonly seeds: { readonly search: number; readonly check: number; readonly strategies: number };
  readonly budget: number;
  /**
   * How the role plays on after the move, in the search and in the check: the best of its fixed
   * strategies from the node (`strategies`, best first; empty when the policy's play was taken
   * without a search).
   */
  readonly then: { readonly id: string; readonly label: string; readonly runs: number; readonly strategies: readonly StrategyEstimate[] };
  /**
   * When the halving's pick was not the strategy's own move: the two on fresh common seeds
   * (`runs` rollouts in all), the pick's paired advantage and its standard error, and the move
   * kept (the pick only when its advantage is more than one standard error).
   */
  readonly duel: { readonly own: string; readonly pick: string; readonly runs: number; readonly advantage: number; readonly se: number; readonly kept: string } | null;
}

export const DEFAULT_ADVISE_BUDGET = 6000;
export const DEFAULT_PLAY_BUDGET = 192;

/** The base of the search seeds for base seed `seed`: unrelated to the seeds of checks and evaluations. */
export function searchBase(seed: number): number {
  return (deriveSeed(seed, 0x5eed) ^ 0x9e3779b9) >>> 0;
}

interface Candidate {
  readonly id: string;
  readonly label: string;
  readonly action: Action;
  readonly policyP: number;
  runs: number;
  met: number;
  droppedIn: number | null;
}

/**
 * Successive halving over `moves` from `state` (where the role decides), all on the same seeds
 * `deriveSeed(base, j)`, about `budget` rollouts in all; the moves come back with their counts,
 * the one kept first.
 */
function halve(r: Runner, node: AnalysisNode, moves: readonly Candidate[], goal: Goal, budget: number, base: number): Candidate[] {
  let alive = moves.slice();
  if (alive.length === 1) return alive;
  const rounds = Math.ceil(Math.log2(alive.length));
  const step = node.state.step;
  let seed = 0;
  const starts: RunStart[] = [];
  const owner: Candidate[] = [];
  for (let round = 1; alive.length > 1; round++) {
    const n = Math.max(1, Math.floor(budget / (alive.length * rounds)));
    // Runs of all the moves left go in lock-step groups (they share their steps and kinds).
    const perGroup = Math.max(1, Math.floor(MAX_LANES / alive.length));
    for (let from = 0; from < n; from += perGroup) {
      const size = Math.min(perGroup, n - from);
      starts.length = 0;
      owner.length = 0;
      for (const c of alive) {
        const extra: Move[] = [{ step, action: c.action }];
        for (let j = 0; j < size; j++) {
          starts.push(runFromNode(node, base, seed + from + j, extra));
          owner.push(c);
        }
      }
      runGroup(r, starts, (end, i) => {
        const c = owner[i]!;
        c.runs++;
        if (goal.met(end.lanes, end.lane)) c.met++;
      });
    }
    seed += n;
    // Keep the better half; ties go to the move the policy prefers, then to file order.
    const ranked = alive.slice().sort((a, b) => b.met / b.runs - a.met / a.runs || b.policyP - a.policyP);
    const keep = Math.ceil(ranked.length / 2);
    for (const c of ranked.slice(keep)) c.droppedIn = round;
    alive = ranked.slice(0, keep);
  }
  const rest = moves.filter((m) => m !== alive[0]).sort((a, b) => (b.droppedIn ?? 0) - (a.droppedIn ?? 0) || b.met / Math.max(1, b.runs) - a.met / Math.max(1, a.runs));
  return [alive[0]!, ...rest];
}

/**
 * The base's own move (`keep`) against the search's pick (`challenger`) on `n` fresh common
 * seeds from `node`: the challenger's paired advantage in runs that meet the goal, and its
 * standard error. A pick among noisy estimates looks better than it is, and a move that beats
 * the base's by less than the noise costs the advisor what the base's steadiness gave it.
 */
function duel(r: Runner, node: AnalysisNode, keep: Candidate, challenger: Candidate, goal: Goal, n: number, base: number): { advantage: number; se: number } {
  const step = node.state.step;
  const tally = new PairedTally();
  const met = new Uint8Array(MAX_LANES);
  const starts: RunStart[] = [];
  for (let from = 0; from < n; from += MAX_LANES / 2) {
    const size = Math.min(MAX_LANES / 2, n - from);
    starts.length = 0;
    for (const c of [keep, challenger]) for (let j = 0; j < size; j++) starts.push(runFromNode(node, base, from + j, [{ step, action: c.action }]));
    runGroup(r, starts, (end, i) => {
      const ok = goal.met(end.lanes, end.lane) ? 1 : 0;
      if (i < size) met[i] = ok;
      else tally.add(ok, met[i - size]!);
    });
  }
  const s = tally.summary();
  return { advantage: s.difference, se: (s.ci95[1] - s.ci95[0]) / (2 * 1.959963984540054) };
}

/** Does the challenger of a duel beat the strategy's own move by more than one standard error? */
const beats = (d: { advantage: number; se: number }): boolean => d.advantage > d.se;

/** The base of the duels' seeds for the search's base `search`. */
const duelBase = (search: number): number => (deriveSeed(search, 0xd0e1) ^ 0x27d4eb2d) >>> 0;

function candidates(compiled: Scenario, node: AnalysisNode, policy: string): Candidate[] {
  return movesAt(compiled, node, policy).moves.map((m) => ({ ...m, runs: 0, met: 0, droppedIn: null }));
}

const estimate = (c: Candidate): MoveEstimate => ({
  id: c.id, label: c.label, action: c.action, policyP: tidy(c.policyP), runs: c.runs, met: c.met,
  proportion: c.runs ? tidy(c.met / c.runs) : 0, ci95: wilson(c.met, c.runs).map(tidy) as [number, number], droppedIn: c.droppedIn,
});

/** The role's best move at `node` for the goal, with its chance against default play. */
export function* adviseSteps(compiled: Scenario, node: AnalysisNode, options: AdviseOptions): Generator<{ readonly phase: 'strategies' | 'search' | 'check' }, Advice> {
  const { def } = compiled;
  const s = node.state;
  if (s.ended) throw new UsageError('the run has ended at this node: there is nothing left to advise', 'give the code of a node before the end', '--branch');
  const actor = def.phases[def.rounds[s.g]!.phase]!.turnOrder[s.turn]!;
  if (actor !== options.role) throw new UsageError(`it is ${def.actors[actor]!.name}'s turn at this node, not ${def.actors[options.role]!.name}'s`, `advise at a node where ${def.actors[options.role]!.id} decides`, '--role');
  const budget = options.budget ?? DEFAULT_ADVISE_BUDGET;
  const base = options.seed ?? 1;
  const search = searchBase(base);
  const reference = runner(def, options.policy);
  // How the role plays on: the best of its fixed strategies from here, on seeds of its own.
  const strategyRuns = options.strategyRuns ?? DEFAULT_STRATEGY_RUNS;
  const strategySeed = strategyBase(base);
  const strategies = strategyRuns > 0 ? yield* relay(rankStrategies(def, node, reference.k.policy, options.role, options.goal, strategyRuns, strategySeed), { phase: 'strategies' as const }) : [];
  const then = strategies[0] ?? { id: 'policy', label: `the ${options.policy} policy's own play`, policy: reference.k.policy };
  const r = runnerWith(def, then.policy);
  yield { phase: 'search' };
  const moves = candidates(compiled, node, options.policy);
  const ranked = halve(r, node, moves, options.goal, Math.ceil((budget * 2) / 3), search);
  yield { phase: 'search' };
  // The strategy's own move stays unless the search's pick beats it by more than the noise.
  const own = then.id === 'policy' ? undefined : moves.find((c) => sameAction(c.action, baseMove(def, then.id, node)));
  let contest: Advice['duel'] = null;
  if (own && own !== ranked[0]) {
    const pick = ranked[0]!;
    const pairs = Math.max(1, Math.floor(budget / 6));
    const d = duel(r, node, own, pick, options.goal, pairs, duelBase(search));
    contest = { own: own.id, pick: pick.id, runs: 2 * pairs, advantage: tidy(d.advantage), se: tidy(d.se), kept: beats(d) ? pick.id : own.id };
    if (!beats(d)) {
      ranked.splice(ranked.indexOf(own), 1);
      ranked.unshift(own);
      own.droppedIn = null;
      pick.droppedIn = 0;
    }
    yield { phase: 'search' };
  }
  const best = ranked[0]!;
  // The check: the move kept against the policy's own choice, on the check seeds.
  const checkRuns = Math.max(1, Math.floor(budget / 6));
  const tally = new PairedTally();
  const advised = new Uint8Array(MAX_LANES);
  const starts: RunStart[] = [];
  for (let from = 0; from < checkRuns; from += MAX_LANES) {
    const size = Math.min(MAX_LANES, checkRuns - from);
    starts.length = 0;
    for (let j = 0; j < size; j++) starts.push(runFromNode(node, base, from + j, [{ step: s.step, action: best.action }]));
    runGroup(r, starts, (end, j) => void (advised[j] = options.goal.met(end.lanes, end.lane) ? 1 : 0));
    starts.length = 0;
    for (let j = 0; j < size; j++) starts.push(runFromNode(node, base, from + j));
    runGroup(reference, starts, (end, j) => tally.add(advised[j]!, options.goal.met(end.lanes, end.lane) ? 1 : 0));
    yield { phase: 'check' };
  }
  const side = (met: number) => ({ met, proportion: tidy(met / checkRuns), ci95: wilson(met, checkRuns).map(tidy) as [number, number] });
  return {
    actor: def.actors[actor]!.id,
    recommended: estimate(best),
    moves: ranked.map(estimate),
    check: { runs: checkRuns, advised: side(Math.round(tally.a)), policy: side(Math.round(tally.b)), difference: tally.summary() },
    seeds: { search, check: base, strategies: strategySeed },
    budget,
    then: { id: then.id, label: then.label, runs: strategyRuns, strategies: strategies.map(({ policy: _, ...e }) => e) },
    duel: contest,
  };
}

/**
 * The role's best move now, by successive halving over its moves on common random numbers
 * (the other actors on their policy), checked against default play on fresh seeds.
 *
 * ```ts
 * const a = advise(compiled, node, { policy: 'default', goal: exerciseGoal(exercise), role: 0 });
 * console.log(a.recommended.id, a.check.difference.ci95);
 * ```
 */
export function advise(compiled: Scenario, node: AnalysisNode, options: AdviseOptions): Advice {
  return finish(adviseSteps(compiled, node, options));
}

export function adviseAsync(compiled: Scenario, node: AnalysisNode, options: AdviseOptions, control: AsyncControl<{ readonly phase: 'strategies' | 'search' | 'check' }> = {}): Promise<Advice> {
  return finishAsync(adviseSteps(compiled, node, options), control);
}

/** A fixed way of playing the role, as the base of the advisor's rollouts. */
export interface Strategy {
  /** `policy` (the policy's own play), `always:LEVER` (that lever whenever it can be pulled, else pass) or `never` (always pass). */
  readonly id: string;
  readonly label: string;
}

export interface StrategyEstimate extends Strategy {
  readonly runs: number;
  readonly met: number;
  readonly proportion: number;
  readonly ci95: [number, number];
}

/** The fixed strategies for `role`, each as the policy with the role's rules replaced (the policy's own first). */
export function roleStrategies(def: ScenarioDefinition, policy: PolicyDef, role: number): (Strategy & { readonly policy: PolicyDef })[] {
  const zero = exprOf('number', { k: 'const', value: 0 });
  const one = exprOf('number', { k: 'const', value: 1 });
  const withRules = (name: string, rules: ActorPolicyDef): PolicyDef => {
    const actors = policy.actors.slice();
    actors[role] = rules;
    return { name: `${policy.name}+${name}`, extends: policy.name, actors };
  };
  const levers = def.levers.filter((l) => l.actors[role]);
  return [
    { id: 'policy', label: `the ${policy.name} policy's own play`, policy },
    ...levers.map((lever) => ({
      id: `always:${lever.id}`,
      label: `${lever.label} whenever it can be pulled`,
      policy: withRules(`always:${lever.id}`, { weights: def.levers.map((l) => (l.index === lever.index ? one : null)), otherwise: zero, otherwiseSource: '0', pass: zero }),
    })),
    { id: 'never', label: 'never pull a lever', policy: withRules('never', { weights: def.levers.map(() => null), otherwise: zero, otherwiseSource: '0', pass: one }) },
  ];
}

/**
 * Each fixed strategy of the role played from `node` to the end on the same `runs` seeds
 * `deriveSeed(base, j)`, the other actors on the policy; the best first (ties to the policy's own).
 */
function* rankStrategies(def: ScenarioDefinition, node: AnalysisNode, policy: PolicyDef, role: number, goal: Goal, runs: number, base: number): Generator<null, (StrategyEstimate & { readonly policy: PolicyDef })[]> {
  const estimates: (StrategyEstimate & { readonly policy: PolicyDef })[] = [];
  for (const s of roleStrategies(def, policy, role)) {
    const r = runnerWith(def, s.policy);
    let met = 0;
    const starts: RunStart[] = [];
    for (let from = 0; from < runs; from += MAX_LANES) {
      const size = Math.min(MAX_LANES, runs - from);
      starts.length = 0;
      for (let j = 0; j < size; j++) starts.push(runFromNode(node, base, from + j));
      runGroup(r, starts, (end) => void (met += goal.met(end.lanes, end.lane) ? 1 : 0));
      yield null;
    }
    estimates.push({ ...s, runs, met, proportion: tidy(met / runs), ci95: wilson(met, runs).map(tidy) as [number, number] });
  }
  return estimates.map((e, i) => ({ e, i })).sort((a, b) => b.e.met - a.e.met || a.i - b.i).map((x) => x.e);
}

/** Runs `steps` to its end, reporting `progress` at each of its steps. */
function* relay<P, R>(steps: Generator<unknown, R>, progress: P): Generator<P, R> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    yield progress;
  }
}

/** The base seed of the strategies' runs for base seed `seed`: unrelated to the search's and the evaluation's. */
export function strategyBase(seed: number): number {
  return (deriveSeed(searchBase(seed), 0xba5e) ^ 0x85ebca6b) >>> 0;
}

export const DEFAULT_STRATEGY_RUNS = 2000;

export interface PlayOptions {
  readonly policy: string;
  readonly goal: Goal;
  readonly role: number;
  /** Evaluation runs (default 200). */
  readonly runs?: number;
  /** Rollouts per decision of the role (default `DEFAULT_PLAY_BUDGET`). */
  readonly budget?: number;
  /** Base seed: evaluation run e has seed `deriveSeed(seed, e)`; the search uses `deriveSeed(searchBase(seed), j)`. */
  readonly seed?: number;
  /**
   * Runs per fixed strategy when choosing the rollouts' base (default `DEFAULT_STRATEGY_RUNS`);
   * 0: the policy's own play is the base (one step of lookahead over default play).
   */
  readonly strategyRuns?: number;
}

export interface PlayResult {
  readonly runs: number;
  readonly advisor: { readonly met: number; readonly proportion: number; readonly ci95: [number, number] };
  readonly policy: { readonly met: number; readonly proportion: number; readonly ci95: [number, number] };
  /** Advisor − policy, paired by evaluation seed. */
  readonly difference: PairedDifference;
  /** Decisions the advisor took with a choice of more than one move. */
  readonly decisions: number;
  /** How often the advisor chose each move, by id. */
  readonly chosen: Readonly<Record<string, number>>;
  readonly seeds: { readonly evaluation: number; readonly search: number; readonly strategies: number; readonly disjoint: boolean };
  readonly budget: number;
  /** The base of the rollouts: the role's later decisions in a rollout follow it. */
  readonly base: { readonly id: string; readonly label: string; readonly runs: number; readonly strategies: readonly StrategyEstimate[] };
}

/**
 * The advisor plays the role through whole runs on evaluation seeds (`deriveSeed(seed, e)`),
 * choosing every move by the search above (on search seeds it never evaluates on), the other
 * actors on their policy; default play on the same evaluation seeds is the comparison.
 */
export function* advisePlaySteps(compiled: Scenario, node: AnalysisNode, options: PlayOptions): Generator<{ readonly runs: number; readonly of: number }, PlayResult> {
  const { def } = compiled;
  const runs = options.runs ?? 200;
  const budget = options.budget ?? DEFAULT_PLAY_BUDGET;
  const base = options.seed ?? 1;
  const search = searchBase(base);
  const { goal, role, policy } = options;
  const playing = runner(def, policy);
  const reference = runner(def, policy);
  // The base of the rollouts: the best fixed strategy of the role, on seeds of its own.
  const strategyRuns = options.strategyRuns ?? DEFAULT_STRATEGY_RUNS;
  const strategySeed = strategyBase(base);
  const ranked = strategyRuns > 0 ? yield* relay(rankStrategies(def, node, playing.k.policy, role, goal, strategyRuns, strategySeed), { runs: 0, of: runs }) : [];
  const chosenBase = ranked[0] ?? { id: 'policy', label: `the ${policy} policy's own play`, policy: playing.k.policy };
  const rollouts = runnerWith(def, chosenBase.policy);
  const duels = duelBase(search);
  yield { runs: 0, of: runs };
  const tally = new PairedTally();
  const chosen: Record<string, number> = {};
  let decisions = 0;
  const advisorMet = new Uint8Array(MAX_LANES);
  const starts: RunStart[] = [];
  for (let from = 0; from < runs; from += MAX_LANES) {
    const size = Math.min(MAX_LANES, runs - from);
    const { k, L } = playing;
    startLanes(L, node, base, from, size);
    for (;;) {
      runToEnd(k, L, () => [], null, () => actorNow(L) === role);
      if (L.ended) break;
      const at = L.step;
      const moves: Action[] = [];
      for (let i = 0; i < size; i++) {
        const here: AnalysisNode = { state: store(L, i), atStart: false, moves: [] };
        const options = availableLevers(def, here.state, role).length > 0 ? candidates(compiled, here, policy) : null;
        let pick = options ? halve(rollouts, here, options, goal, budget, search)[0]! : null;
        // A fixed strategy's own move stays unless the search's pick beats it by more than the noise.
        const own = options && pick && chosenBase.id !== 'policy' ? options.find((c) => sameAction(c.action, baseMove(def, chosenBase.id, here))) : undefined;
        if (own && pick && own !== pick) {
          if (!beats(duel(rollouts, here, own, pick, goal, Math.max(1, Math.floor(budget / 2)), duels))) pick = own;
        }
        if (options && options.length > 1) decisions++;
        const action: Action = pick?.action ?? { type: 'pass' };
        chosen[pick?.id ?? 'pass'] = (chosen[pick?.id ?? 'pass'] ?? 0) + 1;
        moves.push(action);
      }
      // The lanes were stored, not changed: they take their moves and go on to the role's next turn.
      runToEnd(k, L, (i) => [{ step: at, action: moves[i]! }], null, () => L.step > at && actorNow(L) === role);
      if (L.ended) break;
    }
    for (let i = 0; i < size; i++) advisorMet[i] = goal.met(L, i) ? 1 : 0;
    starts.length = 0;
    for (let j = 0; j < size; j++) starts.push(runFromNode(node, base, from + j));
    runGroup(reference, starts, (end, j) => tally.add(advisorMet[j]!, goal.met(end.lanes, end.lane) ? 1 : 0));
    yield { runs: from + size, of: runs };
  }
  const side = (met: number) => ({ met, proportion: tidy(met / runs), ci95: wilson(met, runs).map(tidy) as [number, number] });
  const evaluation = new Set(Array.from({ length: runs }, (_, e) => deriveSeed(base, e)));
  let disjoint = true;
  for (let j = 0; j < budget && disjoint; j++) if (evaluation.has(deriveSeed(search, j))) disjoint = false;
  for (let j = 0; j < strategyRuns && disjoint; j++) if (evaluation.has(deriveSeed(strategySeed, j))) disjoint = false;
  for (let j = 0; j < Math.floor(budget / 2) && disjoint; j++) if (evaluation.has(deriveSeed(duels, j))) disjoint = false;
  return {
    runs, advisor: side(Math.round(tally.a)), policy: side(Math.round(tally.b)), difference: tally.summary(), decisions, chosen,
    seeds: { evaluation: base, search, strategies: strategySeed, disjoint }, budget,
    base: { id: chosenBase.id, label: chosenBase.label, runs: strategyRuns, strategies: ranked.map(({ policy: _, ...e }) => e) },
  };
}

/** The move a fixed strategy (`always:LEVER` or `never`) makes at `node`: the lever when it can be pulled, else pass. */
function baseMove(def: ScenarioDefinition, strategy: string, node: AnalysisNode): Action {
  if (!strategy.startsWith('always:')) return { type: 'pass' };
  const lever = strategy.slice('always:'.length);
  const actor = def.phases[def.rounds[node.state.g]!.phase]!.turnOrder[node.state.turn]!;
  return availableLevers(def, node.state, actor).some((l) => l.id === lever) ? { type: 'pull', lever } : { type: 'pass' };
}

const sameAction = (a: Action, b: Action): boolean => a.type === b.type && (a.type !== 'pull' || (b.type === 'pull' && a.lever === b.lever));

/** Lanes `0..size)` at the node, each on its evaluation seed (run `from + i`). */
function startLanes(L: RunLanes, node: AnalysisNode, base: number, from: number, size: number): void {
  if (node.atStart) {
    begin(L, size, (i) => ({ seed: deriveSeed(base, from + i), params: node.state.p }), null);
    return;
  }
  L.n = size;
  for (let i = 0; i < size; i++) load(L, i, node.state);
  for (let i = 0; i < size; i++) reroll(L, i, deriveSeed(base, from + i));
}

export function advisePlay(compiled: Scenario, node: AnalysisNode, options: PlayOptions): PlayResult {
  return finish(advisePlaySteps(compiled, node, options));
}

export function advisePlayAsync(compiled: Scenario, node: AnalysisNode, options: PlayOptions, control: AsyncControl<{ readonly runs: number; readonly of: number }> = {}): Promise<PlayResult> {
  return finishAsync(advisePlaySteps(compiled, node, options), control);
}
