/** `parley run`: one seeded run, as a readable transcript or one JSON document. */
import type { Command } from 'commander';
import { compile, run, type ExecutorName } from '../engine/engine.ts';
import { describeState } from '../engine/describe.ts';
import { DEFAULT_SCENARIO } from '../scenario/load.ts';
import { UsageError } from '../scenario/errors.ts';
import { formatTranscript } from '../report/transcript.ts';
import { ENGINE_VERSION } from '../version.ts';
import { collect, parseSets, resolveRunStart } from './io.ts';

interface RunFlags {
  seed?: string;
  policy?: string;
  json?: boolean;
  set?: string[];
  branch?: string;
  executor?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario once from a seed and print what happened')
    .argument('[scenario]', 'bundled scenario id or path to a .yaml/.json file', DEFAULT_SCENARIO)
    .option('--seed <n>', 'seed, a whole number from 0 to 4294967295 (default: picked and printed)')
    .option('--policy <name>', 'how actors choose: default, random, or a policy of the scenario', 'default')
    .option('--set <name=value>', 'set a scenario parameter (repeatable)', collect, [])
    .option('--branch <code>', 'replay a branch code (its seed, policy and choices)')
    .option('--executor <name>', 'xstate (reference) or fast', 'xstate')
    .option('--json', 'print one JSON document instead of the transcript')
    .action((scenario: string, flags: RunFlags) => runCommand(scenario, flags));
}

export function runCommand(scenarioRef: string, flags: RunFlags, out: NodeJS.WritableStream = process.stdout): void {
  const executor = flags.executor ?? 'xstate';
  if (executor !== 'xstate' && executor !== 'fast') throw new UsageError(`must be xstate or fast, not \`${executor}\``, undefined, '--executor');
  const { def, seed, policy, moves, picked } = resolveRunStart(scenarioRef, flags);
  const compiled = compile(def);
  const result = run(compiled, { seed, policy, params: parseSets(flags.set ?? []), moves, executor: executor as ExecutorName });
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
      opening: result.opening,
      trace: result.trace,
    };
    out.write(JSON.stringify(doc, null, 2) + '\n');
    return;
  }
  if (picked) out.write(`(seed ${seed} picked at random; add --seed ${seed} to repeat this run)\n`);
  out.write(formatTranscript(def, result));
}
