/** `parley run`: one seeded run, as a readable transcript or one JSON document. */
import type { Command } from 'commander';
import { compile, run, type ExecutorName } from '../engine/engine.ts';
import { describeState } from '../engine/describe.ts';
import { DEFAULT_SCENARIO, loadScenario } from '../scenario/load.ts';
import { UsageError } from '../scenario/errors.ts';
import { formatTranscript } from '../report/transcript.ts';
import { safeJson, safeText } from '../scenario/safe-text.ts';
import { ENGINE_VERSION } from '../version.ts';
import { collect, parseSeed, parseSets, resolveRunStart, type RunStart } from './io.ts';
import { exerciseRef, judgeExercise, loadExercise, type Exercise } from '../scenario/exercise.ts';

interface RunFlags {
  seed?: string;
  policy?: string;
  json?: boolean;
  set?: string[];
  branch?: string;
  executor?: string;
  exercise?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario once from a seed and print what happened')
    .argument('[scenario]', `bundled scenario id or path to a .yaml/.json file (default: the branch code's or the exercise's, or ${DEFAULT_SCENARIO})`)
    .option('--seed <n>', 'seed, a whole number from 0 to 4294967295 (default: picked and printed)')
    .option('--policy <name>', 'how actors choose: default, random, or a policy of the scenario', 'default')
    .option('--set <name=value>', 'set a scenario parameter (repeatable)', collect, [])
    .option('--branch <code>', 'replay a branch code (its seed, policy and choices)')
    .option('--executor <name>', 'xstate (reference) or fast', 'xstate')
    .option('--exercise <id|file>', "run under an exercise: its scenario, seeds, policy, parameters and injects; report the objective and the score")
    .option('--json', 'print one JSON document instead of the transcript')
    .action((scenario: string | undefined, flags: RunFlags, command: Command) => runCommand(scenario, flags, process.stdout, command.getOptionValueSource('policy') === 'cli'));
}

export function runCommand(scenarioRef: string | undefined, flags: RunFlags, out: NodeJS.WritableStream = process.stdout, explicitPolicy = false): void {
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
  out.write(formatTranscript(def, result, replay));
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

/** An exercise brings its own scenario: a SCENARIO argument that names another one is a mistake. */
export function checkExerciseScenario(scenarioRef: string | undefined, exercise: Exercise): void {
  if (scenarioRef === undefined) return;
  if (loadScenario(scenarioRef).id !== exercise.def.id) {
    throw new UsageError(`exercise \`${exercise.id}\` is played on its own scenario \`${exercise.def.id}\`, not \`${scenarioRef}\``, 'leave out the scenario argument', '--exercise');
  }
}
