/**
 * `parley odds`: outcome probabilities from any node (the start, or the end of a branch code),
 * exact when the rest of the tree is small enough, otherwise by adaptive Monte Carlo to a
 * precision. Also the pieces `compare` and `advise` share: where the analysis starts, its
 * seed, its policy and its goal.
 */
import { BranchCodeError, formatBranchCode, parseBranchCode, type Move } from '../engine/branch-code.ts';
import type { SimState } from '../engine/types.ts';
import { codeNames, loadScenario } from '../scenario/load.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';
import { loadExercise, type Exercise } from '../scenario/exercise.ts';
import { unknownPolicy } from '../engine/kernel.ts';
import { safeText } from '../scenario/safe-text.ts';
import { shellCommand } from '../io/files.ts';
import { ENGINE_VERSION } from '../version.ts';
import { codeNode, markedMoves, startNode, type AnalysisNode, type Scenario } from '../analysis/node.ts';
import { exerciseGoal, objectiveGoal, outcomeGoal, type Goal } from '../analysis/goal.ts';
import { DEFAULT_MAX_RUNS, DEFAULT_PRECISION, odds, type OddsResult } from '../analysis/odds.ts';
import { EXACT_BUDGET } from '../analysis/exact.ts';
import { parseSeed, parseSets } from './io.ts';
import { parseSetValues } from '../batch/design.ts';
import { safeJson } from '../scenario/safe-text.ts';

/** Where an analysis starts and what it runs: what `odds`, `compare` and `advise` read from their flags. */
export interface AnalysisSetup {
  readonly def: ScenarioDefinition;
  /** The scenario as the analyses take it (no statechart: these commands never load xstate). */
  readonly compiled: Scenario;
  /** How the command names the scenario (for commands that repeat it). */
  readonly ref: string;
  readonly policy: string;
  /** Parameter values by name, as given (with an exercise's). */
  readonly sets: Readonly<Record<string, number>>;
  readonly node: AnalysisNode;
  /** Base seed of the analysis' runs. */
  readonly seed: number;
  /** The branch code as given (trimmed), or null at the start. */
  readonly code: string | null;
  readonly exercise: Exercise | null;
}

export interface AnalysisFlags {
  branch?: string;
  seed?: string;
  policy?: string;
  set?: string[];
  exercise?: string;
}

/**
 * Reads the scenario, the branch code, the policy, the parameters and the seed. Without a code
 * the node is the start of the run of `--seed` (default: the exercise's first seed, or 1), and
 * runs begin from their own seeds; with one, the node is the code's end and `--seed` (default:
 * the code's seed) is the base seed of the runs, as in `parley batch --branch`.
 */
export function resolveSetup(scenarioRef: string | undefined, flags: AnalysisFlags, explicitPolicy: boolean): AnalysisSetup {
  const exercise = flags.exercise !== undefined ? loadExercise(flags.exercise) : null;
  let code = null;
  if (flags.branch !== undefined) {
    try {
      code = parseBranchCode(flags.branch);
    } catch (error) {
      throw new UsageError((error as Error).message, 'copy the branch code as Parley printed it, e.g. petro-trump:42:default:2=show_record', '--branch');
    }
  }
  let def: ScenarioDefinition;
  let ref: string;
  if (exercise) {
    def = exercise.def;
    ref = scenarioRef ?? exercise.def.file ?? exercise.def.id;
    if (scenarioRef !== undefined && loadScenario(scenarioRef).id !== exercise.def.id) throw new UsageError(`exercise \`${exercise.id}\` is played on its own scenario \`${exercise.def.id}\`, not \`${scenarioRef}\``, 'leave out the scenario argument', '--exercise');
  } else {
    ref = scenarioRef ?? code?.scenario ?? 'petro-trump';
    def = loadScenario(ref);
  }
  if (code && !codeNames(code.scenario, def)) throw new UsageError(`the branch code is for scenario \`${code.scenario}\`, not \`${def.codeName ?? def.id}\``, undefined, '--branch');
  let policy = flags.policy ?? exercise?.config.policy ?? 'default';
  if (code) {
    if (explicitPolicy && flags.policy !== code.policy) throw new UsageError(`${flags.policy} disagrees with the branch code's policy ${code.policy}`, 'runs from a branch continue under the policy that reached it; leave out --policy', '--policy');
    policy = code.policy;
  }
  if (!def.policies.has(policy)) throw unknownPolicy(def, policy);
  const sets = parseSetValues(def, { ...(exercise?.params ?? {}), ...parseSets(flags.set ?? []) });
  const params = def.parameters.map((p) => (Object.hasOwn(sets, p.id) ? sets[p.id]! : p.default));
  const seed = flags.seed !== undefined ? parseSeed(flags.seed) : (code?.seed ?? exercise?.config.seeds[0] ?? 1);
  let node: AnalysisNode;
  if (code) {
    try {
      node = codeNode(def, policy, code.seed, params, code.moves);
    } catch (error) {
      if (error instanceof BranchCodeError) throw new UsageError(`the branch code does not replay: ${error.message}`, 'check the code against the scenario (and its --set values) it was made with', '--branch');
      throw error;
    }
  } else node = startNode(def, seed, params);
  return { def, compiled: { def }, ref, policy, sets, node, seed, code: flags.branch?.trim() ?? null, exercise };
}

/** The goal the flags name (`--outcome`, `--objective`, or the exercise's objective), or null. */
export function resolveGoal(setup: AnalysisSetup, flags: { outcome?: string; objective?: string; checkpoint?: string }): Goal | null {
  if (flags.outcome !== undefined && flags.objective !== undefined) throw new UsageError('give --outcome or --objective, not both', 'an objective can name outcomes itself: --objective "…" is a condition over the final state', '--objective');
  if (flags.outcome !== undefined) return outcomeGoal(setup.def, flags.outcome.split(',').map((s) => s.trim()).filter((s) => s.length > 0), flags.checkpoint ?? null);
  if (flags.objective !== undefined) return objectiveGoal(setup.def, flags.objective);
  return setup.exercise ? exerciseGoal(setup.exercise) : null;
}

/** A node as a branch code: the code's moves, and a reroll to its own seed at a node past them (a no-op that marks the node, as `parley batch --branch` reads it). */
export function nodeCode(setup: AnalysisSetup, state: SimState, moves: readonly Move[]): string {
  const { def, policy } = setup;
  return formatBranchCode({ scenario: def.codeName ?? def.id, seed: setupSeedOf(setup), policy, moves: markedMoves(moves, state) });
}

/** The seed of the run the node belongs to (the code's, or the start's). */
function setupSeedOf(setup: AnalysisSetup): number {
  return setup.code ? parseBranchCode(setup.code).seed : setup.node.state.seed;
}

/** "from the start" or "from step N (after …)". */
export function describeNode(setup: AnalysisSetup, state: SimState = setup.node.state): string {
  const { def } = setup;
  if (state.ended) return `from the end of the run (step ${state.step})`;
  const round = def.rounds[state.g]!;
  const phase = def.phases[round.phase]!;
  const actor = def.phases[round.phase]!.turnOrder[state.turn];
  const who = actor === undefined ? '' : `, ${def.actors[actor]!.name} to decide`;
  const where = `${phase.label}, round ${round.round} of ${phase.rounds}${who}`;
  return setup.node.atStart && state === setup.node.state ? `from the start (${where})` : `from step ${state.step + 1} (${where})`;
}

/** One JSON document on `out` (safe for a terminal). */
export function writeJson(out: NodeJS.WritableStream, doc: Readonly<Record<string, unknown>>): void {
  out.write(`${safeJson(JSON.stringify(doc, null, 2))}\n`);
}

export const int = (n: number): string => n.toLocaleString('en-US');
export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;
const pts = (x: number, digits = 1): string => (x * 100).toFixed(digits);

/** A number flag between `lo` and `hi`. */
export function parseNumber(text: string, flag: string, lo: number, hi: number, example: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || x < lo || x > hi) throw new UsageError(`must be a number from ${lo} to ${hi}, not \`${text}\``, `e.g. ${flag} ${example}`, flag);
  return x;
}

/** A whole-number flag between `lo` and `hi`. */
export function parseCount(text: string, flag: string, lo: number, hi: number, example: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < lo || Number(t) > hi) throw new UsageError(`must be a whole number from ${int(lo)} to ${int(hi)}, not \`${text}\``, `e.g. ${flag} ${example}`, flag);
  return Number(t);
}

/** Provenance of an analysis' JSON: Parley's version, the scenario and its hash, the node, the policy and the parameters. */
export function provenance(setup: AnalysisSetup, state: SimState = setup.node.state, moves: readonly Move[] = setup.node.moves): Record<string, unknown> {
  const { def } = setup;
  return {
    parley: ENGINE_VERSION,
    scenario: { id: def.id, title: def.title, hash: def.hash },
    ...(setup.exercise ? { exercise: setup.exercise.id } : {}),
    node: { code: nodeCode(setup, state, moves), start: setup.node.atStart && state === setup.node.state, step: state.step + 1, actor: actorAt(def, state) },
    policy: setup.policy,
    params: Object.fromEntries(def.parameters.map((p) => [p.id, state.p[p.index]])),
  };
}

export function actorAt(def: ScenarioDefinition, s: SimState): string | null {
  if (s.ended) return null;
  const actor = def.phases[def.rounds[s.g]!.phase]!.turnOrder[s.turn];
  return actor === undefined ? null : def.actors[actor]!.id;
}

/** The `parley batch` command whose runs are an analysis' runs. */
export function batchCommand(setup: AnalysisSetup, runs: number): string {
  const sets = Object.entries(setup.sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const node = setup.node.atStart ? [] : ['--branch', setup.code ?? nodeCode(setup, setup.node.state, setup.node.moves)];
  return shellCommand(['parley', 'batch', setup.ref, '--runs', String(runs), '--seed', String(setup.seed), ...(setup.node.atStart ? ['--policy', setup.policy] : []), ...sets, ...node]);
}

export interface OddsFlags extends AnalysisFlags {
  checkpoint?: string;
  precision?: string;
  maxRuns?: string;
  exactBudget?: string;
  json?: boolean;
}

export function oddsCommand(scenarioRef: string | undefined, flags: OddsFlags, explicitPolicy: boolean, out: NodeJS.WritableStream = process.stdout): void {
  const precision = flags.precision === undefined ? DEFAULT_PRECISION : parseNumber(flags.precision, '--precision', 0, 0.5, '0.01');
  const maxRuns = flags.maxRuns === undefined ? DEFAULT_MAX_RUNS : parseCount(flags.maxRuns, '--max-runs', 1, 100_000_000, '20000');
  const budget = flags.exactBudget === undefined ? EXACT_BUDGET : parseCount(flags.exactBudget, '--exact-budget', 0, 100_000_000, '100000');
  const setup = resolveSetup(scenarioRef, flags, explicitPolicy);
  const r = odds(setup.compiled, setup.node, { policy: setup.policy, checkpoint: flags.checkpoint ?? null, precision, maxRuns, seed: setup.seed, exact: budget > 0, exactBudget: budget });
  if (flags.json) {
    writeJson(out, {
      ...provenance(setup),
      checkpoint: r.checkpoint,
      method: r.method,
      runs: r.runs,
      precision: r.precision,
      halfWidth: r.halfWidth,
      reached: r.reached,
      seedPlan: r.seedPlan ? { ...r.seedPlan, seed: 'run i has seed deriveSeed(base, i)', batch: batchCommand(setup, r.runs) } : null,
      exact: { nodes: r.nodes, budget, ...(r.notExact ? { notExact: r.notExact } : {}) },
      outcomes: Object.fromEntries(r.outcomes.map((o) => [o.id, { label: o.label, ...(o.count !== null ? { count: o.count } : {}), proportion: o.proportion, ci95: o.ci95 }])),
    });
    return;
  }
  out.write(safeText(formatOdds(setup, r)));
}

function formatOdds(setup: AnalysisSetup, r: OddsResult): string {
  const { def } = setup;
  const lines = [`Odds — ${def.title} (${def.id}, ${def.hash.slice(0, 12)}) · ${describeNode(setup)} · policy ${setup.policy}${r.checkpoint ? ` · outcome at the end of ${r.checkpoint}` : ''}`];
  if (setup.code) lines.push(`Node: ${setup.code}`);
  if (r.method === 'exact') {
    lines.push(r.runs === 0 && r.nodes === 0 && setup.node.state.ended ? 'Exact: the run has ended at this node.' : `Exact: the rest of the outcome tree enumerated (${int(r.nodes)} nodes; every policy choice, lever branch and event drawn with its probability).`);
  } else {
    lines.push(`Monte Carlo: ${int(r.runs)} runs; every outcome within ±${pts(r.halfWidth, 2)} points (95%)${r.reached ? `, as asked (±${pts(r.precision, 2)})` : `; ±${pts(r.precision, 2)} not reached within --max-runs ${int(r.runs)}`}.`);
    lines.push(`Seeds: run i has seed deriveSeed(${setup.seed}, i), i = 0 … ${int(r.runs - 1)}: the runs of \`${batchCommand(setup, r.runs)}\`.`);
    if (r.notExact) lines.push(`Not exact: ${r.notExact}.`);
  }
  lines.push('');
  const width = Math.max(7, ...r.outcomes.map((o) => o.label.length + o.id.length + 3));
  lines.push(`  ${'outcome'.padEnd(width)}  ${'p'.padStart(7)}  ${r.method === 'exact' ? '' : '95% interval'}`.trimEnd());
  for (const o of r.outcomes) {
    const name = `${o.label} (${o.id})`.padEnd(width);
    lines.push(r.method === 'exact' ? `  ${name}  ${pct(o.proportion, 2).padStart(7)}` : `  ${name}  ${pct(o.proportion).padStart(7)}  ${pts(o.ci95[0])}–${pts(o.ci95[1])}`);
  }
  return `${lines.join('\n')}\n`;
}
