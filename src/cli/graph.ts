/** `parley graph`: the scenario's statechart as Mermaid or Graphviz DOT, for a slide or a handout. */
import { checkOutput, writeOutput } from '../io/output.ts';
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../report/graph.ts';
import { UsageError } from '../scenario/errors.ts';
import { loadScenario } from '../scenario/load.ts';

export function graphCommand(scenario: string, flags: { format: string; out?: string; force?: boolean }): void {
  if (!(GRAPH_FORMATS as readonly string[]).includes(flags.format)) {
    throw new UsageError(`must be ${GRAPH_FORMATS.join(' or ')}, not \`${flags.format}\``, undefined, '--format');
  }
  const def = loadScenario(scenario);
  const output = { flag: '--out', inputs: [def.file], replace: flags.force === true };
  if (flags.out !== undefined) checkOutput(flags.out, output);
  const text = renderGraph(def, flags.format as GraphFormat);
  if (flags.out === undefined) process.stdout.write(text);
  else writeOutput(flags.out, text, output);
}
