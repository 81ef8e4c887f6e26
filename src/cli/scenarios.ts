/** `parley scenarios`: the bundled scenarios, one line each. */
import type { Command } from 'commander';
import { bundledScenarioIds, loadScenario } from '../scenario/load.ts';

export function registerScenarios(program: Command): void {
  program
    .command('scenarios')
    .description('list the bundled scenarios')
    .action(() => {
      const ids = bundledScenarioIds();
      const width = Math.max(0, ...ids.map((id) => id.length));
      for (const id of ids) {
        const def = loadScenario(id);
        process.stdout.write(`${id.padEnd(width)}  ${def.title} — ${def.summary.split('\n')[0]!.trim()}\n`);
      }
    });
}
