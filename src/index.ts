/**
 * Parley's library API: the same operations as the command line, for scripts and notebooks.
 *
 * ```ts
 * import { loadScenario, compile, run, start, step } from 'parley';
 * const compiled = compile(loadScenario('petro-trump'));
 * const result = run(compiled, { seed: 42 });            // to the end, under the default policy
 * console.log(result.outcome.id, result.branchCode);
 *
 * let { state } = start(compiled, 42);                     // or step by step
 * const next = step(compiled, state, { type: 'pull', lever: 'show_record' });
 * if (next.type === 'rejected') console.log(next.message); else state = next.state;
 * ```
 */
export { loadScenario, loadScenarioText, validateScenarioFile, bundledScenarioIds, resolveScenarioPath, DEFAULT_SCENARIO } from './scenario/load.ts';
export { normalizeScenario, canonicalJson } from './scenario/normalize.ts';
/** For the build: parsed copies of the bundled files (see scripts/build.mjs). */
export { preparse } from './scenario/parse.ts';
/** When a round starts, as a person reads it: its date, and the time of day in rounds shorter than a day. */
export { roundMoment } from './scenario/dates.ts';
export { ScenarioSchema, scenarioJsonSchema, type ScenarioConfig, type ScenarioInput } from './scenario/schema.ts';
export type * from './scenario/definition.ts';
export { ParleyInputError, ScenarioError, UsageError, UnknownPolicyError, UnknownScenarioError, isParleyInputError, formatIssue, type Issue } from './scenario/errors.ts';
export { compile, start, step, run, runFrom, replay, movesOf, policyAction, resolveParams, type CompiledScenario, type RunOptions, type ContinueOptions, type RunResult, type ExecutorName } from './engine/engine.ts';
export { availableLevers, unavailableReason, leverOdds, currentActor, cloneState } from './engine/state.ts';
export { describeState, type StateView } from './engine/describe.ts';
export { runner, runGroup, forEachRun, countOutcomes, type Runner, type RunStart, type RunEnd } from './analysis/runs.ts';
export { parseBranchCode, formatBranchCode, formatMove, BranchCodeError, type BranchCode, type BranchCodeDetails, type BranchCodeReason, type Move } from './engine/branch-code.ts';
export { roundDraws, deriveSeed } from './engine/rng.ts';
export type * from './engine/types.ts';
export { isSeed, MAX_SEED } from './engine/types.ts';
export { formatTranscript } from './report/transcript.ts';
export { ENGINE_VERSION } from './version.ts';
export { wilson } from './stats/stats.ts';
export { loadExercise, judgeExercise, ExerciseSchema, exerciseJsonSchema, type Exercise, type ExerciseConfig, type ExerciseResult } from './scenario/exercise.ts';
export { odds, oddsAsync, oddsSteps, widestHalf, MIN_RUNS, DEFAULT_PRECISION, DEFAULT_MAX_RUNS, type OddsOptions, type OddsResult, type OddsProgress, type OutcomeOdds, type SeedPlan } from './analysis/odds.ts';
export { exactOdds, treeSizeBound, EXACT_BUDGET, type ExactOptions, type ExactResult } from './analysis/exact.ts';
export { startNode, codeNode, nodeAt, nodeWhereActs, runFromNode, type AnalysisNode } from './analysis/node.ts';
export { outcomeGoal, objectiveGoal, exerciseGoal, checkpointIndex, type Goal, type GoalSpec } from './analysis/goal.ts';
export { finish, finishAsync, type AsyncControl } from './analysis/steps.ts';
export { compareLevers, compareLeversAsync, compareSteps, movesAt, DEFAULT_COMPARE_RUNS, type CompareOptions, type CompareResult, type CompareProgress, type CompareRun, type Arm, type Share } from './analysis/compare.ts';
export { PairedTally, type PairedDifference } from './analysis/paired.ts';
export { advise, adviseAsync, adviseSteps, advisePlay, advisePlayAsync, advisePlaySteps, searchBase, strategyBase, roleStrategies, DEFAULT_ADVISE_BUDGET, DEFAULT_PLAY_BUDGET, DEFAULT_STRATEGY_RUNS, type AdviseOptions, type Advice, type MoveEstimate, type PlayOptions, type PlayResult, type Strategy, type StrategyEstimate } from './analysis/advise.ts';
