/** Shared pieces of the command line: argument parsing, printing issues, exit statuses. */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { formatIssue, isParleyInputError, UnknownScenarioError, UsageError, type Issue } from '../scenario/errors.ts';
import { MAX_SEED } from '../engine/types.ts';
import { parseBranchCode, type Move } from '../engine/branch-code.ts';
import { bundledScenarioIds, codeNames, loadScenario } from '../scenario/load.ts';
import { shellCommand } from '../io/files.ts';
import { safeJson } from '../scenario/safe-text.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';

/** Exit statuses: 0 success, 1 an internal error (with a stack), 2 bad input. */
export const EXIT = { ok: 0, internal: 1, input: 2 } as const;

export function parseSeed(text: string, flag = '--seed'): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > MAX_SEED) {
    throw new UsageError(`must be a whole number from 0 to ${MAX_SEED}, not \`${text}\``, undefined, flag);
  }
  return Number(text);
}

/** A seed for when the user gave none: the only place Parley draws unseeded randomness. */
export function pickSeed(): number {
  return randomInt(0, 2 ** 31);
}

/** `name=value` pairs from repeated `--set` options. */
export function parseSets(pairs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(pair);
    if (!m) throw new UsageError(`takes NAME=VALUE, not \`${pair}\``, 'e.g. --set strike_appetite=0.8', '--set');
    const value = Number(m[2]);
    if (!Number.isFinite(value) || m[2]!.trim() === '') throw new UsageError(`${m[1]}: \`${m[2]}\` is not a number`, undefined, '--set');
    out[m[1]!] = value;
  }
  return out;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function printIssues(issues: readonly Issue[], stream: NodeJS.WritableStream = process.stderr): void {
  for (const issue of issues) stream.write(formatIssue(issue) + '\n');
}

/** One file's result in the `--json` report of `validate` and `lint`. */
export interface FileReport {
  readonly file: string;
  /** False when the file could not be loaded (its problems are then the loader's, all errors). */
  readonly loaded: boolean;
  readonly problems: readonly Issue[];
}

/**
 * The `--json` report of `validate` and `lint`: one document on standard output, every
 * problem with its place, severity and hint, for editors and CI annotations.
 */
export function jsonReport(command: 'validate' | 'lint', files: readonly FileReport[]): string {
  let errors = 0;
  let warnings = 0;
  const out = files.map((f) => ({
    file: f.file,
    loaded: f.loaded,
    problems: f.problems.map((i) => {
      const severity = i.severity ?? 'error';
      if (severity === 'warning') warnings++;
      else errors++;
      return { severity, line: i.line ?? null, column: i.column ?? null, path: i.path ?? null, message: i.message, hint: i.hint ?? null };
    }),
  }));
  return `${safeJson(JSON.stringify({ format: 'parley-problems', version: 1, command, errors, warnings, files: out }, null, 2))}\n`;
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
