/**
 * The `parley` command. Every command is declared in commands.ts and imports what carries it
 * out only when it runs, so that each command loads only what it uses and starts fast.
 *
 * Exit statuses: 0 success, 2 bad input (a scenario, a flag, a file) with a clear message and
 * no stack trace, 1 an internal error with its stack.
 */
import { Command, CommanderError } from 'commander';
import { isParleyInputError } from '../scenario/errors.ts';
import { BranchCodeError } from '../engine/branch-code.ts';
import { ENGINE_VERSION } from '../version.ts';
import { EXIT, printIssues } from './io.ts';
import { registerCommands } from './commands.ts';

export function buildProgram(): Command {
  const program = new Command('parley')
    .description('Seeded diplomatic scenario simulation: play, validate and batch-run scenarios.')
    .version(ENGINE_VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`parley: ${text.replace(/^error: /, '')}`) });
  registerCommands(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  // `parley run | head`: when the reader goes away, stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    // A full disk or a closed descriptor: the user's environment, not a bug.
    process.stderr.write(`parley: cannot write to standard output: ${error.message}\n`);
    process.exit(EXIT.input);
  });
  // Standard error gone too (`parley … 2>&1 | head`, a closed descriptor): nothing more can be
  // told there, so the command goes on and ends with its own status instead of an internal error.
  process.stderr.on('error', () => {});
  try {
    await buildProgram().parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    return reportError(error);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    return EXIT.input;
  }
  if (isParleyInputError(error)) {
    printIssues(error.issues);
    return EXIT.input;
  }
  if (error instanceof BranchCodeError) {
    process.stderr.write(`parley: ${error.message}\n`);
    return EXIT.input;
  }
  process.stderr.write(`parley: internal error — please report it with the command you ran\n${error instanceof Error ? error.stack : String(error)}\n`);
  return EXIT.internal;
}
