/** `parley graph`: the scenario's statechart as Mermaid or Graphviz DOT, for a slide or a handout. */
import type { Command } from 'commander';
import { writeFileAtomic } from '../io/files.ts';
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../report/graph.ts';
import { UsageError } from '../scenario/errors.ts';
import { DEFAULT_SCENARIO, loadScenario } from '../scenario/load.ts';

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('draw the statechart (phases, relationship, stances, levers, events) as Mermaid or DOT')
    .argument('[scenario]', 'bundled scenario id or path to a .yaml/.json file', DEFAULT_SCENARIO)
    .option('--format <format>', 'mermaid (stateDiagram-v2) or dot (Graphviz)', 'mermaid')
    .option('--out <file>', 'write to this file instead of standard output')
    .action((scenario: string, flags: { format: string; out?: string }) => {
      if (!(GRAPH_FORMATS as readonly string[]).includes(flags.format)) {
        throw new UsageError(`must be ${GRAPH_FORMATS.join(' or ')}, not \`${flags.format}\``, undefined, '--format');
      }
      const text = renderGraph(loadScenario(scenario), flags.format as GraphFormat);
      if (flags.out === undefined) process.stdout.write(text);
      else writeFileAtomic(flags.out, text, '--out');
    });
}
