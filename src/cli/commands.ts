/**
 * Every command of `parley`: its arguments, options and help. What carries a command out is in
 * a module of its own (run.ts, batch.ts, …), imported only when that command runs, so that a
 * command loads only what it uses: `parley run` never loads the batch code, the worker pool, the
 * linter, the graph renderer or Ink, and `parley --version` loads none of them, nor the scenario
 * loader. This module imports only what the help shows.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_SCENARIO } from '../paths.ts';
import { DEFAULT_LINT_RUNS, LINT_TURN_BUDGET } from '../analysis/lint-limits.ts';
import type { RunFlags } from './run.ts';
import type { BatchFlags } from './batch.ts';
import type { MergeFlags } from './merge.ts';
import type { PlayFlags } from './play.ts';
import type { ReportFlags } from './report.ts';
import type { SensitivityFlags } from './sensitivity.ts';
import type { OddsFlags } from './odds.ts';
import type { CompareFlags } from './compare.ts';
import type { AdviseFlags } from './advise.ts';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerCommands(program: Command): void {
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
    .addOption(new Option('--role <id>', 'not for run: every actor follows the policy (see play --role)').hideHelp())
    .action(async (scenario: string | undefined, flags: RunFlags, command: Command) => {
      const { runCommand } = await import('./run.ts');
      runCommand(scenario, flags, process.stdout, command.getOptionValueSource('policy') === 'cli');
    });

  program
    .command('batch')
    .description('run a scenario many times (replicates, sweeps, samples) and write tidy rows and a summary')
    .argument('[scenario]', `bundled scenario id or path to a .yaml/.json file (default: the branch code's, or ${DEFAULT_SCENARIO})`)
    .option('--runs <n>', 'replicates per design point')
    .option('--seed <n>', 'base seed; run i gets its own seed derived from it (default: the branch code\'s seed, or picked and recorded)')
    .option('--seeds <paired|independent>', 'paired (default): replicate r of every design point has the same seed; independent: each run its own')
    .option('--policy <name>', 'how actors choose: default, random, or a policy of the scenario')
    .option('--set <name=value>', 'fix a parameter (repeatable)', collect, [])
    .option('--sweep <name=from:to:steps>', 'grid over a parameter, both ends included (repeatable)', collect, [])
    .option('--sample <lhs:K>', 'K Latin hypercube points over the parameters not set or swept')
    .option('--workers <n>', 'worker threads (default: the number of cores); the output does not depend on it')
    .option('--shard <k/n>', 'run only the k-th of n slices of the run indices (merge with `parley merge`)')
    .option('--out <file>', 'write one row per run, .csv or .jsonl, in run order')
    .option('--summary <file>', 'write the summary JSON there (default: standard output)')
    .option('--quiet', 'no progress on standard error (by default a bar on a terminal, else a line every 30 s and one at the end)')
    .option('--record <what>', 'record more than one row per run: `rounds` (one row per run and round, to --rounds FILE)')
    .option('--rounds <file>', 'where the rows of rounds go (.csv or .jsonl), with --record rounds')
    .option('--group <name=id+id…>', 'an outcome group: its share, per point, per swept value and in the contrasts (repeatable)', collect, [])
    .option('--resume', 'finish an interrupted batch: same command, same --out')
    .option('--extend', 'add replicates to a finished batch: its command with a larger --runs, same --out; the rows and summary become those of the larger batch')
    .option('--force', 'start again over an existing --out, and replace an existing --summary')
    .option('--branch <code>', 'start every run from the node after the branch code\'s last move (or at its final reroll)')
    .option('--exercise <id|file>', "run an exercise: its scenario, parameters, policy and injects, its seeds first; report how often the objective is met and the scores")
    .option('--design <file>', 'run the points of a file: one column per parameter (named on its first line), one row per point — e.g. a sample matrix SALib or EMA Workbench wrote')
    .option('--params <a,b,…>', 'with --design, the names of its columns when its first line is numbers (numpy savetxt)')
    .action(async (scenario: string | undefined, flags: BatchFlags) => {
      const { batchCommand } = await import('./batch.ts');
      await batchCommand(scenario, flags);
    });

  program
    .command('odds')
    .description('outcome probabilities from any node: exact when the rest of the tree is small, else Monte Carlo to a precision')
    .argument('[scenario]', `bundled scenario id or path to a .yaml/.json file (default: the branch code's, or ${DEFAULT_SCENARIO})`)
    .option('--branch <code>', 'from the node after the branch code\'s last move (default: the start)')
    .option('--set <name=value>', 'set a scenario parameter (repeatable)', collect, [])
    .option('--policy <name>', 'how actors choose from the node on (default: the branch code\'s, or default)')
    .option('--checkpoint <phase>', 'the outcome judged at the end of this checkpoint phase instead of the final one')
    .option('--precision <x>', 'stop once every outcome\'s 95% interval is within ±x (0.01 is ±1 point)', '0.01')
    .option('--max-runs <n>', 'stop after this many runs even if the precision is not reached', '100000')
    .option('--seed <n>', 'base seed: run i has seed deriveSeed(n, i) (default: the branch code\'s seed, or 1)')
    .option('--exact-budget <n>', 'most tree nodes an exact enumeration may expand; 0 for Monte Carlo only', '20000')
    .option('--json', 'print one JSON document (outcomes keyed by id with proportion and ci95, as in the batch summary)')
    .action(async (scenario: string | undefined, flags: OddsFlags, command: Command) => {
      const { oddsCommand } = await import('./odds.ts');
      oddsCommand(scenario, flags, command.getOptionValueSource('policy') === 'cli');
    });

  program
    .command('compare')
    .description("every move of the actor deciding at a node, continued under the policy on the same seeds: P(goal), outcome shares, paired differences")
    .argument('[scenario]', `bundled scenario id or path to a .yaml/.json file (default: the branch code's or the exercise's, or ${DEFAULT_SCENARIO})`)
    .option('--branch <code>', "the node: right after the branch code's last move (default: the start)")
    .option('--outcome <ids>', 'goal: the run ends in one of these outcomes (comma-separated)')
    .option('--objective <expr>', 'goal: a condition over the final state, e.g. "HOST < 40 and relationship == \'cordial\'"')
    .option('--exercise <id|file>', "the exercise's scenario, parameters and policy, and its objective as the goal")
    .option('--runs <n>', 'runs per move (the same seeds for every move)', '2000')
    .option('--seed <n>', "base seed: run j rerolls to deriveSeed(n, j) at the node (default: the branch code's seed, or 1)")
    .option('--set <name=value>', 'set a scenario parameter (repeatable)', collect, [])
    .option('--policy <name>', "how actors choose after the move (default: the branch code's, or default)")
    .option('--json', 'print one JSON document')
    .action(async (scenario: string | undefined, flags: CompareFlags, command: Command) => {
      const { compareCommand } = await import('./compare.ts');
      compareCommand(scenario, flags, command.getOptionValueSource('policy') === 'cli');
    });

  program
    .command('advise')
    .description("the role's best move now for a goal, by rollouts on common random numbers; --play: the advisor plays whole runs")
    .argument('[scenario]', `bundled scenario id or path to a .yaml/.json file (default: the branch code's or the exercise's, or ${DEFAULT_SCENARIO})`)
    .option('--role <id>', "the actor advised (default: the exercise's role)")
    .option('--branch <code>', "the node: right after the branch code's last move (default: the start); the others play on by policy to the role's turn")
    .option('--outcome <ids>', 'goal: the run ends in one of these outcomes (comma-separated)')
    .option('--objective <expr>', 'goal: a condition over the final state')
    .option('--exercise <id|file>', "the exercise's scenario, parameters, policy and role, and its objective as the goal")
    .option('--budget <n>', `rollouts per decision (default: ${6000} for advice, ${192} with --play)`)
    .option('--play', 'let the advisor play the role through whole runs on evaluation seeds, against default play')
    .option('--runs <n>', 'evaluation runs with --play (default: 200)')
    .option('--base-runs <n>', "runs per fixed strategy of the role when choosing how it plays on in the rollouts (default: 2000; 0: as the policy would)")
    .option('--seed <n>', "base seed of the check (or evaluation) runs (default: the branch code's seed, the exercise's first seed, or 1)")
    .option('--set <name=value>', 'set a scenario parameter (repeatable)', collect, [])
    .option('--policy <name>', "how the other actors choose (default: the branch code's or the exercise's, or default)")
    .option('--json', 'print one JSON document')
    .action(async (scenario: string | undefined, flags: AdviseFlags, command: Command) => {
      const { adviseCommand } = await import('./advise.ts');
      adviseCommand(scenario, flags, command.getOptionValueSource('policy') === 'cli');
    });

  program
    .command('merge')
    .description('combine the summaries (or, with --rows, the row files) of the shards of a batch')
    .argument('<files...>', 'summary files of `parley batch --summary`, or row files with --rows')
    .option('--rows', 'merge row files (.csv or .jsonl) in run order instead of summaries')
    .option('--out <file>', 'where to write the merged file (never over an input, nor over an existing file without --force)')
    .option('--force', 'replace an existing --out file (never an input)')
    .action(async (files: string[], flags: MergeFlags) => {
      const { mergeCommand } = await import('./merge.ts');
      await mergeCommand(files, flags);
    });

  program
    .command('validate')
    .description('check scenario and exercise files and report every problem')
    .argument('<files...>', 'scenario or exercise files (.yaml or .json), or bundled ids')
    .option('--json', 'one JSON report on standard output (for editors and CI)')
    .action(async (files: string[], flags: { json?: boolean }) => {
      const { validateCommand } = await import('./validate.ts');
      validateCommand(files, flags);
    });

  program
    .command('scenarios')
    .description('list the bundled scenarios and exercises')
    .action(async () => {
      const { scenariosCommand } = await import('./scenarios.ts');
      scenariosCommand();
    });

  program
    .command('play')
    .description('step through the seeded outcome branches of a scenario in the terminal')
    .argument('[scenario]', `bundled scenario id or path to a .yaml/.json file (default: the session's, the branch code's or the exercise's, or ${DEFAULT_SCENARIO})`)
    .option('--seed <n>', 'seed, a whole number from 0 to 4294967295 (default: picked and shown)')
    .option('--role <id>', 'play as this actor (default: facilitator, who decides for every actor)')
    .option('--branch <code>', 'open a shared branch code at its last decision')
    .option('--load <file>', 'open a session saved with `s` (s then saves back to it)')
    .option('--save <file>', 'where s saves the session (default: parley-SCENARIO-SEED[-ROLE].session.json, never over another file)')
    .option('--policy <name>', 'how the actors you do not play choose', 'default')
    .option('--set <name=value>', 'set a scenario parameter (repeatable)', collect, [])
    .option('--exercise <id|file>', 'play an exercise: its briefing first, its objective while playing, the debrief and score at the end')
    .action(async (scenario: string | undefined, flags: PlayFlags, command: Command) => {
      const { playCommand } = await import('./play.ts');
      await playCommand(scenario, flags, command.getOptionValueSource('policy') === 'cli');
    });

  program
    .command('schema')
    .description('print the JSON Schema of the scenario (or exercise) format, for yaml-language-server and other editors')
    .argument('[format]', 'scenario or exercise', 'scenario')
    .option('--out <file>', 'write it to this file instead of standard output (never over an existing file without --force)')
    .option('--force', 'replace an existing --out file')
    .action(async (format: string, flags: { out?: string; force?: boolean }) => {
      const { schemaCommand } = await import('./schema.ts');
      schemaCommand(format, flags);
    });

  program
    .command('sensitivity')
    .description('which parameters move a measure: Sobol indices, Morris elementary effects or one at a time, run as a batch')
    .argument('[scenario]', `bundled scenario id or path to a .yaml/.json file (default: ${DEFAULT_SCENARIO})`)
    .option('--measure <m>', 'an outcome, outcomes joined by + (name=a+b names the group), a tension (its mean final value), or goldstein')
    .option('--method <name>', 'sobol (first-order and total indices), morris (μ*, σ) or oat (a tornado)', 'sobol')
    .option('--params <a,b,…>', 'the parameters to vary (default: every parameter with a range that --set does not fix)')
    .option('--size <n>', 'sobol: base points (n·(d+2) design points; default 256); morris: trajectories (default 20)')
    .option('--levels <n>', 'morris: grid levels, even (default 4)')
    .option('--runs <n>', 'replicates per design point; the measure is their mean', '100')
    .option('--seed <n>', 'base seed: replicate r of every point has seed deriveSeed(n, r); Morris trajectories and the bootstrap use it too')
    .option('--policy <name>', 'how actors choose: default, random, or a policy of the scenario')
    .option('--set <name=value>', 'fix a parameter (repeatable)', collect, [])
    .option('--bootstrap <n>', 'bootstrap resamples for the intervals', '1000')
    .option('--workers <n>', 'worker threads (default: the number of cores)')
    .option('--shard <k/n>', 'run only the k-th of n slices; merge the summaries, then --from merged.json')
    .option('--out <file>', 'the batch\'s rows (.csv, .jsonl or .parquet), one per run')
    .option('--summary <file>', 'the batch\'s summary JSON (what --from reads)')
    .option('--result <file>', 'write the indices as JSON there')
    .option('--export-design <file>', 'write the design points (one column per parameter) there, and the measured Y beside it (FILE-y.csv), as SALib reads them')
    .option('--from <summary>', 'compute the indices from a finished analysis\'s (merged) summary, without running')
    .option('--json', 'print the result as one JSON document')
    .option('--resume', 'finish an interrupted analysis: same command, same --out')
    .option('--force', 'start again over an existing --out, and replace existing files')
    .option('--quiet', 'no progress lines')
    .action(async (scenario: string | undefined, flags: SensitivityFlags) => {
      const { sensitivityCommand } = await import('./sensitivity.ts');
      await sensitivityCommand(scenario, flags);
    });

  program
    .command('report')
    .description('one self-contained HTML file of a study: outcome shares, sweeps with interval ribbons, provenance')
    .argument('<inputs...>', 'summary files of `parley batch --summary`')
    .option('--out <file>', 'the HTML file to write (never over an input, nor over an existing file without --force)')
    .option('--title <text>', 'the report\'s title')
    .option('--group <name=id+id>', 'show a group of outcomes as one measure, e.g. settled=strategic_reset+conditional_truce (repeatable)', collect, [])
    .option('--force', 'replace an existing --out file')
    .action(async (inputs: string[], flags: ReportFlags) => {
      const { reportCommand } = await import('./report.ts');
      await reportCommand(inputs, flags);
    });

  program
    .command('graph')
    .description('draw the statechart (phases, relationship, stances, levers, events, outcome rules, mediators) as Mermaid or DOT')
    .argument('[scenario]', 'bundled scenario id or path to a .yaml/.json file', DEFAULT_SCENARIO)
    .option('--format <format>', 'mermaid (stateDiagram-v2) or dot (Graphviz)', 'mermaid')
    .option('--out <file>', 'write to this file instead of standard output (never over an existing file without --force)')
    .option('--force', 'replace an existing --out file')
    .action(async (scenario: string, flags: { format: string; out?: string; force?: boolean }) => {
      const { graphCommand } = await import('./graph.ts');
      graphCommand(scenario, flags);
    });

  program
    .command('lint')
    .description('check that scenarios behave as intended: unreachable states and outcomes, unused names, levers never available …')
    .argument('<files...>', 'scenario or exercise files (.yaml or .json), or bundled ids')
    .option('--runs <n>', `sampled runs per policy (random and default); 0 for static checks only (default: ${DEFAULT_LINT_RUNS}, fewer for long scenarios: at most ${LINT_TURN_BUDGET.toLocaleString('en')} turns in all)`)
    .option('--json', 'one JSON report on standard output (for editors and CI)')
    .action(async (files: string[], flags: { runs?: string; json?: boolean }) => {
      const { lintCommand } = await import('./lint.ts');
      lintCommand(files, flags);
    });

  program
    .command('cameo')
    .description('look up CAMEO event codes by number or by words, with their Goldstein weights')
    .argument('[query...]', 'a code (0834), the first digits of codes (08), or words of the description (mediation); none lists every code')
    .option('--json', 'one JSON document on standard output')
    .action(async (query: string[], flags: { json?: boolean }) => {
      const { cameoCommand } = await import('./cameo.ts');
      cameoCommand(query, flags);
    });

  program
    .command('debrief')
    .description("compare a class's saved sessions: paths, outcomes, objectives, scores, and default play")
    .argument('<sessions...>', 'session files saved with `s` in parley play')
    .option('--runs <n>', 'seeded runs of default play to compare with', '2000')
    .option('--out <file>', 'write the Markdown report to a file instead of standard output (never over an existing file without --force)')
    .option('--force', 'replace an existing --out file')
    .option('--exercise <id|file>', "the class's exercise, when the sessions' saved path does not lead to it")
    .option('--scenario <id|file>', "the class's scenario (sessions without an exercise), when the saved path does not lead to it")
    .option('--html', 'write a self-contained HTML page instead (the paths, the class against default play with intervals, the scores) — for a projector; needs --out FILE.html')
    .action(async (files: string[], flags: { runs: string; out?: string; force?: boolean; exercise?: string; scenario?: string; html?: boolean }) => {
      const { debriefCommand } = await import('./debrief.ts');
      await debriefCommand(files, flags);
    });
}
