/** `parley schema`: the JSON Schema of the scenario format, for editors and validators. */
import type { Command } from 'commander';
import { writeFileAtomic } from '../batch/files.ts';
import { scenarioJsonSchema } from '../scenario/schema.ts';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of the scenario format (for yaml-language-server and other editors)')
    .option('--out <file>', 'write it to this file instead of standard output')
    .action((flags: { out?: string }) => {
      const text = JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
      if (flags.out === undefined) process.stdout.write(text);
      else writeFileAtomic(flags.out, text, '--out');
    });
}
