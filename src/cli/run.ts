/** `parley run`: one seeded run, as a readable transcript or one JSON document. */
import { existsSync } from 'node:fs';
import { compile, run, type ExecutorName } from '../engine/engine.ts';
import { parseBranchCode, type Move } from '../engine/branch-code.ts';
import { describeState } from '../engine/describe.ts';
import { bundledScenarioIds, codeNames, loadScenario } from '../scenario/load.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { isParleyInputError, UnknownScenarioError, UsageError } from '../scenario/errors.ts';
import { shellCommand } from '../io/files.ts';
import { formatTranscript } from '../report/transcript.ts';
import { safeJson, safeText } from '../scenario/safe-text.ts';
import { ENGINE_VERSION } from '../version.ts';
import { parseSeed, parseSets, pickSeed } from './io.ts';
import { exerciseRef, injectKeys, judgeExercise, loadExercise, type Exercise } from '../scenario/exercise.ts';

export interface RunFlags {
  seed?: string;
  policy?: string;
  json?: boolean;
  set?: string[];
  branch?: string;
  executor?: string;
  exercise?: string;
  /** Refused: a run plays no role (see `refuseRole`). */
  role?: string;
}

export function runCommand(scenarioRef: string | undefined, flags: RunFlags, out: NodeJS.WritableStream = process.stdout, explicitPolicy = false): void {
  if (flags.role !== undefined) refuseRole(scenarioRef, flags);
  const executor = flags.executor ?? 'xstate';
  if (executor !== 'xstate' && executor !== 'fast') throw new UsageError(`must be xstate or fast, not \`${executor}\``, undefined, '--executor');
  let exercise: Exercise | null = null;
  let start: RunStart;
  if (flags.exercise !== undefined) {
    exercise = loadExercise(flags.exercise);
    checkExerciseScenario(scenarioRef, exercise);
    if (flags.branch !== undefined) {
      // A branch of the exercise: the code's seed, policy and moves, on the exercise's scenario.
      const code = resolveRunStart(exercise.def.file ?? exercise.def.id, flags, explicitPolicy);
      start = { ...code, def: exercise.def };
    } else {
      // Every section plays the exercise's seeds: the first one unless --seed names another.
      const seed = flags.seed === undefined ? exercise.config.seeds[0]! : parseSeed(flags.seed);
      start = { def: exercise.def, seed, policy: explicitPolicy ? (flags.policy ?? 'default') : exercise.config.policy, moves: [], picked: false };
    }
  } else {
    start = resolveRunStart(scenarioRef, flags, explicitPolicy);
  }
  const { def, seed, policy, moves, picked } = start;
  const compiled = compile(def);
  const params = { ...(exercise?.params ?? {}), ...parseSets(flags.set ?? []) };
  const result = run(compiled, { seed, policy, params, moves, executor: executor as ExecutorName });
  const judged = exercise ? judgeExercise(exercise, result.state) : null;
  if (flags.json) {
    const doc = {
      parley: ENGINE_VERSION,
      scenario: { id: def.id, title: def.title, hash: def.hash },
      seed,
      policy,
      params: Object.fromEntries(def.parameters.map((p) => [p.id, result.params[p.index]])),
      branchCode: result.branchCode,
      outcome: { id: result.outcome.id, label: result.outcome.label },
      final: describeState(def, result.state),
      ...(exercise && judged ? { exercise: { id: exercise.id, title: exercise.config.title, role: exercise.config.role, objective: exercise.config.objective.description, ...judged } } : {}),
      opening: result.opening,
      trace: result.trace,
    };
    writeJson(out, doc);
    return;
  }
  if (picked) out.write(`(seed ${seed} picked at random; add --seed ${seed} to repeat this run)\n`);
  // The branch code holds the seed, the policy and the choices; parameters and an exercise's
  // injects are not in it, so say what repeats this run when they matter.
  const sets = def.parameters.filter((p) => result.params[p.index] !== p.default).map((p) => `--set ${p.id}=${result.params[p.index]}`);
  const replay = exercise ? ['parley run --exercise', exerciseRef(exercise.id, exercise.file), '--branch', result.branchCode, ...(flags.set ?? []).map((x) => `--set ${x}`)].join(' ') : sets.length ? `parley run ${scenarioRef === undefined ? '' : `${scenarioRef} `}--branch ${result.branchCode} ${sets.join(' ')}` : undefined;
  out.write(formatTranscript(def, result, replay, exercise ? injectKeys(exercise) : undefined));
  if (exercise && judged) {
    const lines = [`Exercise: ${exercise.config.title} (${exercise.id}) · role ${exercise.config.role}`, `Objective: ${exercise.config.objective.description}`, ...judged.details.map((line) => `  ${line}`)];
    out.write(safeText(`\n${lines.join('\n')}\n`));
    out.write(`Result: objective ${judged.met ? 'met' : 'not met'} · score ${judged.score} of ${judged.maxScore}\n`);
  }
}

/**
 * Writes `JSON.stringify(doc, null, 2) + '\n'` a piece at a time: a long run's trace (200 actors
 * × 5,000 rounds) is more text than one string may hold. The document's arrays are written an
 * element at a time, in pieces of about 64 KB, each safe for a terminal (see `safeJson`).
 */
export function writeJson(out: NodeJS.WritableStream, doc: Readonly<Record<string, unknown>>): void {
  let buffer = '';
  const put = (text: string) => {
    buffer += text;
    if (buffer.length >= 65_536) {
      out.write(safeJson(buffer));
      buffer = '';
    }
  };
  const indent = (value: unknown, pad: string) => JSON.stringify(value, null, 2).replace(/\n/g, `\n${pad}`);
  const fields = Object.entries(doc).filter(([, v]) => v !== undefined && typeof v !== 'function');
  put('{');
  fields.forEach(([key, value], i) => {
    put(`${i ? ',' : ''}\n  ${JSON.stringify(key)}: `);
    if (!Array.isArray(value) || value.length === 0) return put(indent(value, '  '));
    put('[');
    value.forEach((item, j) => put(`${j ? ',' : ''}\n    ${item === undefined || typeof item === 'function' ? 'null' : indent(item, '    ')}`));
    put('\n  ]');
  });
  put(fields.length ? '\n}\n' : '}\n');
  out.write(safeJson(buffer));
}

/**
 * `run --role`: a run has no player, so it has no role. Says what the user likely wants: to play
 * as that actor (`play --role`), or to change how the actors choose (`--policy`).
 */
function refuseRole(scenarioRef: string | undefined, flags: RunFlags): never {
  const words = ['parley', 'play', ...(flags.exercise !== undefined ? ['--exercise', flags.exercise] : scenarioRef !== undefined ? [scenarioRef] : []), ...(flags.branch !== undefined ? ['--branch', flags.branch] : flags.seed !== undefined ? ['--seed', flags.seed] : []), '--role', flags.role!];
  throw new UsageError(
    '`parley run` plays no role: every actor decides by the policy',
    `to decide for ${flags.role} yourself, run \`${shellCommand(words)}\`; to change how the actors choose, give --policy NAME (default, random, or a policy of the scenario)`,
    '--role',
  );
}

/** An exercise brings its own scenario: a SCENARIO argument that names another one is a mistake. */
export function checkExerciseScenario(scenarioRef: string | undefined, exercise: Exercise): void {
  if (scenarioRef === undefined) return;
  if (loadScenario(scenarioRef).id !== exercise.def.id) {
    throw new UsageError(`exercise \`${exercise.id}\` is played on its own scenario \`${exercise.def.id}\`, not \`${scenarioRef}\``, 'leave out the scenario argument', '--exercise');
  }
}

/** Where a run or a played session starts: from `--branch CODE`, or from `--seed` (picked when absent). */
export interface RunStart {
  readonly def: ScenarioDefinition;
  readonly seed: number;
  readonly policy: string;
  readonly moves: readonly Move[];
  /** True when Parley picked the seed. */
  readonly picked: boolean;
}

/**
 * Reads `--branch`, `--seed` and `--policy` together and loads the scenario: a branch code names
 * its scenario (used when none is given), its seed and its policy, and a flag that disagrees
 * with it is an error. `explicitPolicy` says whether `--policy` was typed rather than defaulted.
 */
export function resolveRunStart(scenarioRef: string | undefined, flags: { seed?: string; policy?: string; branch?: string }, explicitPolicy = false): RunStart {
  if (flags.branch === undefined) {
    const picked = flags.seed === undefined;
    const def = loadScenario(scenarioRef);
    return { def, seed: picked ? pickSeed() : parseSeed(flags.seed!), policy: flags.policy ?? 'default', moves: [], picked };
  }
  let code;
  try {
    code = parseBranchCode(flags.branch);
  } catch (error) {
    throw new UsageError((error as Error).message, undefined, '--branch');
  }
  if (flags.seed !== undefined && parseSeed(flags.seed) !== code.seed) throw new UsageError(`${flags.seed} disagrees with the branch code's seed ${code.seed}`, 'leave out --seed', '--seed');
  if (explicitPolicy && flags.policy !== code.policy) throw new UsageError(`${flags.policy} disagrees with the branch code's policy ${code.policy}`, 'leave out --policy', '--policy');
  let def: ScenarioDefinition;
  try {
    def = loadScenario(scenarioRef ?? code.scenario);
  } catch (error) {
    // A code of a scenario file of one's own names the scenario, not where its file is.
    if (scenarioRef !== undefined || !isParleyInputError(error) || bundledScenarioIds().includes(code.scenario) || existsSync(code.scenario) || (error instanceof UnknownScenarioError && error.nearest !== undefined)) throw error;
    // A file of that name here is likely the one (the code names a scenario by its id).
    const near = ['.yaml', '.yml', '.json'].map((ext) => code.scenario + ext).find((f) => existsSync(f));
    throw new UsageError(`the branch code is for scenario \`${code.scenario}\`, which is not bundled: a code of a scenario file needs its file named`, `name its scenario file: parley run ${near !== undefined ? shellCommand([near]) : 'FILE'} --branch ${shellCommand([flags.branch])}`, '--branch');
  }
  if (!codeNames(code.scenario, def)) throw new UsageError(`the branch code is for scenario \`${code.scenario}\`, not \`${def.codeName ?? def.id}\``, undefined, '--branch');
  return { def, seed: code.seed, policy: code.policy, moves: code.moves, picked: false };
}
