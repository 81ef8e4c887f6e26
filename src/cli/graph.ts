/** `parley graph`: the scenario's statechart as Mermaid or Graphviz DOT, for a slide or a handout. */
import type { Command } from 'commander';
import { checkOutput, writeOutput } from '../io/output.ts';
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../report/graph.ts';
import { UsageError } from '../scenario/errors.ts';
import { DEFAULT_SCENARIO, loadScenario } from '../scenario/load.ts';

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('draw the statechart (phases, relationship, stances, levers, events) as Mermaid or DOT')
    .argument('[scenario]', 'bundled scenario id or path to a .yaml/.json file', DEFAULT_SCENARIO)
    .option('--format <format>', 'mermaid (stateDiagram-v2) or dot (Graphviz)', 'mermaid')
    .option('--out <file>', 'write to this file instead of standard output (never over an existing file without --force)')
    .option('--force', 'replace an existing --out file')
    .action((scenario: string, flags: { format: string; out?: string; force?: boolean }) => {
      if (!(GRAPH_FORMATS as readonly string[]).includes(flags.format)) {
        throw new UsageError(`must be ${GRAPH_FORMATS.join(' or ')}, not \`${flags.format}\``, undefined, '--format');
      }
      const def = loadScenario(scenario);
      const output = { flag: '--out', inputs: [def.file], replace: flags.force === true };
      if (flags.out !== undefined) checkOutput(flags.out, output);
      const text = renderGraph(def, flags.format as GraphFormat);
      if (flags.out === undefined) process.stdout.write(text);
      else writeOutput(flags.out, text, output);
    });
}
