/**
 * `parley advise`: the role's best move now for a goal, by rollouts on common random numbers,
 * checked against default play; with `--play`, the advisor plays the role through whole runs on
 * evaluation seeds and is compared with default play.
 */
import { UsageError, suggest } from '../scenario/errors.ts';
import { safeText } from '../scenario/safe-text.ts';
import { advise, advisePlay, DEFAULT_ADVISE_BUDGET, DEFAULT_PLAY_BUDGET, DEFAULT_STRATEGY_RUNS, type Advice, type PlayResult, type StrategyEstimate } from '../analysis/advise.ts';
import type { Goal } from '../analysis/goal.ts';
import { nodeWhereActs } from '../analysis/node.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { describeNode, int, nodeCode, parseCount, pct, provenance, resolveGoal, resolveSetup, type AnalysisFlags, type AnalysisSetup, writeJson } from './odds.ts';

export interface AdviseFlags extends AnalysisFlags {
  role?: string;
  outcome?: string;
  objective?: string;
  budget?: string;
  play?: boolean;
  runs?: string;
  baseRuns?: string;
  json?: boolean;
}

function roleIndex(def: ScenarioDefinition, id: string | undefined): number {
  if (id === undefined) throw new UsageError('needs --role ACTOR (or an exercise with a role)', `actors of ${def.id}: ${def.actors.map((a) => a.id).join(', ')}`, '--role');
  const index = def.actors.findIndex((a) => a.id === id);
  if (index < 0) throw new UsageError(`unknown role \`${id}\``, suggest(id, def.actors.map((a) => a.id), 'actor') ?? `actors of ${def.id}: ${def.actors.map((a) => a.id).join(', ')}`, '--role');
  return index;
}

const range = (ci: readonly [number, number]): string => `${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)}`;
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}`;

export function adviseCommand(scenarioRef: string | undefined, flags: AdviseFlags, explicitPolicy: boolean, out: NodeJS.WritableStream = process.stdout): void {
  if (flags.runs !== undefined && !flags.play) throw new UsageError('--runs goes with --play (evaluation runs)', 'add --play, or leave out --runs', '--runs');
  const budget = flags.budget === undefined ? (flags.play ? DEFAULT_PLAY_BUDGET : DEFAULT_ADVISE_BUDGET) : parseCount(flags.budget, '--budget', 2, 10_000_000, flags.play ? '192' : '6000');
  const runs = flags.runs === undefined ? 200 : parseCount(flags.runs, '--runs', 1, 1_000_000, '200');
  const strategyRuns = flags.baseRuns === undefined ? DEFAULT_STRATEGY_RUNS : parseCount(flags.baseRuns, '--base-runs', 0, 10_000_000, '2000');
  const setup = resolveSetup(scenarioRef, flags, explicitPolicy);
  const { def } = setup;
  const roleId = flags.role ?? (setup.exercise && setup.exercise.config.role !== 'facilitator' ? setup.exercise.config.role : undefined);
  const role = roleIndex(def, roleId);
  const goal = resolveGoal(setup, flags);
  if (!goal) throw new UsageError('needs a goal: --outcome IDS, --objective EXPR, or --exercise ID', `outcomes of ${def.id}: ${def.outcomes.map((o) => o.id).join(', ')}`, '--objective');
  if (flags.play) {
    const r = advisePlay(setup.compiled, setup.node, { policy: setup.policy, goal, role, runs, budget, seed: setup.seed, strategyRuns });
    if (flags.json) return writeJson(out, { ...provenance(setup), goal: { ...goal.spec, label: goal.label }, role: def.actors[role]!.id, play: r });
    out.write(safeText(formatPlay(setup, goal, role, r)));
    return;
  }
  // Advice is for a decision of the role: go on to its next turn with the node's own draws.
  const reached = nodeWhereActs(def, setup.policy, setup.node, role);
  if (!reached) throw new UsageError(`${def.actors[role]!.name} does not decide again before the run ends`, 'give the code of an earlier node', '--branch');
  const a = advise(setup.compiled, reached.node, { policy: setup.policy, goal, role, budget, seed: setup.seed, strategyRuns });
  const state = reached.node.state;
  if (flags.json) {
    return writeJson(out, {
      ...provenance(setup, state),
      goal: { ...goal.spec, label: goal.label },
      role: def.actors[role]!.id,
      skipped: reached.skipped,
      advice: a,
    });
  }
  out.write(safeText(formatAdvice(setup, goal, role, reached.skipped, nodeCode(setup, state, setup.node.moves), describeNode(setup, state), a)));
}

/** `always:border_plan 45.3%, always:kingpin_list 29.8%, policy 13.5%; the 9 others 0.0%`: the best five, then the rest in a word. */
function strategyList(strategies: readonly StrategyEstimate[]): string {
  const shown = strategies.slice(0, 5).filter((s, i) => i < 2 || s.proportion > 0);
  const rest = strategies.slice(shown.length);
  const top = rest.length ? Math.max(...rest.map((s) => s.proportion)) : 0;
  const tail = rest.length === 0 ? '' : rest.length === 1 ? `, ${rest[0]!.id} ${pct(rest[0]!.proportion)}` : `; the ${rest.length} others ${top === 0 ? '0.0%' : `at most ${pct(top)}`}`;
  return `${shown.map((s) => `${s.id} ${pct(s.proportion)}`).join(', ')}${tail}`;
}

function formatAdvice(setup: AnalysisSetup, goal: Goal, role: number, skipped: number, code: string, where: string, a: Advice): string {
  const { def } = setup;
  const actor = def.actors[role]!;
  const best = a.recommended;
  const lines = [
    `Advice — ${def.title} (${def.id}, ${def.hash.slice(0, 12)}) · for ${actor.name} (${actor.id}) · policy ${setup.policy}`,
    `Node: ${where}${skipped ? `, after ${skipped} decision${skipped === 1 ? '' : 's'} of the others by the policy from the given node` : ''} — ${code}`,
    `Goal: ${goal.label}`,
    '',
    `Recommended: ${best.id === 'pass' ? 'pass' : `${best.label} (${best.id})`}${a.then.strategies.length ? `, then ${a.then.label} (${a.then.id})` : ''}`,
    ...(a.then.strategies.length
      ? [`  (how ${actor.name} plays on: the best of ${a.then.strategies.length} fixed strategies from here on ${int(a.then.runs)} runs each: ${strategyList(a.then.strategies)})`]
      : []),
    `  P(goal) ${pct(a.check.advised.proportion)} (95% ${range(a.check.advised.ci95)}) against ${pct(a.check.policy.proportion)} (${range(a.check.policy.ci95)}) for default play:`,
    `  ${signed(a.check.difference.difference)} points, paired 95% ${signed(a.check.difference.ci95[0])}…${signed(a.check.difference.ci95[1])}, on ${int(a.check.runs)} seeds the search did not use (run j rerolls to deriveSeed(${a.seeds.check}, j) at the node).`,
    '',
    `Search: successive halving over ${a.moves.length} moves, ${int(a.moves.reduce((n, m) => n + m.runs, 0))} rollouts, on common seeds deriveSeed(${a.seeds.search}, j); ${actor.name} then on ${a.then.id === 'policy' ? 'the policy' : a.then.id}, the others on their policy.`,
    ...(a.duel
      ? [`  The halving's pick (${a.duel.pick}) against the strategy's own move (${a.duel.own}) on ${int(a.duel.runs)} more rollouts: ${signed(a.duel.advantage)} points, standard error ${(a.duel.se * 100).toFixed(1)}; kept: ${a.duel.kept}${a.duel.kept === a.duel.own ? ' (the pick must win by more than one standard error)' : ''}.`]
      : []),
    `  ${'move'.padEnd(22)} ${'chosen'.padStart(6)}  ${'runs'.padStart(6)}  ${'P(goal)'.padStart(7)}  95%`,
  ];
  for (const m of a.moves) lines.push(`  ${m.id.padEnd(22)} ${pct(m.policyP, 0).padStart(6)}  ${int(m.runs).padStart(6)}  ${pct(m.proportion).padStart(7)}  ${range(m.ci95)}${m.droppedIn === null ? '  (kept)' : m.droppedIn === 0 ? '  (lost the duel)' : `  (dropped in round ${m.droppedIn})`}`);
  lines.push('', '  ("chosen": how likely the policy is to choose the move here; search estimates of dropped moves rest on fewer runs)');
  return `${lines.join('\n')}\n`;
}

function formatPlay(setup: AnalysisSetup, goal: Goal, role: number, r: PlayResult): string {
  const { def } = setup;
  const actor = def.actors[role]!;
  const top = Object.entries(r.chosen).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([id, n]) => `${id} ${int(n)}`).join(', ');
  return [
    `Advisor play — ${def.title} (${def.id}, ${def.hash.slice(0, 12)}) · ${actor.name} (${actor.id}) played by the advisor, the others by policy ${setup.policy} · ${describeNode(setup)}`,
    `Goal: ${goal.label}`,
    `Evaluation: ${int(r.runs)} runs on seeds deriveSeed(${r.seeds.evaluation}, e); the search used seeds deriveSeed(${r.seeds.search}, j) and the strategies deriveSeed(${r.seeds.strategies}, j) (${r.seeds.disjoint ? 'none of them an evaluation seed' : 'some shared with the evaluation'}), ${int(r.budget)} rollouts per decision.`,
    r.base.strategies.length
      ? `Rollouts' base: ${r.base.label} (${r.base.id}), the best of ${r.base.strategies.length} fixed strategies of ${actor.name} on ${int(r.base.runs)} runs each: ${strategyList(r.base.strategies)}. At each decision the advisor looks one move ahead of it, and keeps the base's own move unless another beats it by more than one standard error on fresh seeds.`
      : `Rollouts' base: ${r.base.label} (--base-runs 0): at each decision the advisor looks one move ahead of default play.`,
    '',
    `  advisor          ${pct(r.advisor.proportion).padStart(6)}  95% ${range(r.advisor.ci95)}`,
    `  default policy   ${pct(r.policy.proportion).padStart(6)}  95% ${range(r.policy.ci95)}`,
    `  difference       ${signed(r.difference.difference).padStart(6)}  paired 95% ${signed(r.difference.ci95[0])}…${signed(r.difference.ci95[1])} points`,
    '',
    `Decisions with a choice: ${int(r.decisions)}; moves chosen most: ${top}.`,
    '',
  ].join('\n');
}
