/**
 * NaN and ±Infinity met at run time stop the run with an input error that names the expression:
 * a tension `initial: "0/0"` made `batch` fail with "The number NaN cannot be converted to a
 * BigInt", and NaN probabilities, hazards and weights were silently taken as 0 or uniform.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGroup, runner } from '../src/analysis/runs.ts';
import { compile, loadScenarioText, run, start, step } from '../src/index.ts';
import { createSession } from '../src/play/session.ts';

const MINI = readFileSync(resolve('test/fixtures/mini.yaml'), 'utf8');
const BIN = resolve('bin/parley.js');

const cases = [
  // Only at run time: a constant such as `0/0` is refused when the file is loaded.
  ['a tension', 'initial: 50, label: Hostility', 'initial: "(params.push - 0.5) / (params.push - 0.5)", label: Hostility', 'the run met NaN in the initial value of tension `HOST`: `(params.push - 0.5) / (params.push - 0.5)`'],
  ['a branch probability', 'warm: {p: 0.6,', 'warm: {p: "0/(HOST-HOST)",', 'the run met NaN in the probability of branch `warm` of lever `praise`: `0/(HOST-HOST)`'],
  ['a mediator\'s modifier', 'branch_tag: success, add: 0.1}', 'branch_tag: success, add: "0/(MIL-MIL)"}', 'the run met NaN in the probability of branch `warm` of lever `praise`: `0.6`'],
  ['a hazard', 'hazard: weekly(0.5 * exp((MIL - 50) / 25))', 'hazard: "0 * (1 / (MIL - MIL))"', 'the run met NaN in the hazard of event `incident`: `0 * (1 / (MIL - MIL))`'],
  ['a policy weight', 'praise: 1 - HOST / 100', 'praise: (HOST - HOST) / (MIL - MIL)', 'the run met NaN in the weight of `praise` for `b` in policy `default`'],
] as const;

describe.each(cases)('NaN or Infinity in %s', (_, from, to, message) => {
  const text = MINI.replace(from, to);
  const compiled = compile(loadScenarioText(text, 'bad.yaml'));
  const error = { name: 'UsageError', issues: [expect.objectContaining({ file: 'bad.yaml', message })] };

  it.each(['xstate', 'fast'] as const)('stops a run on the %s executor with an input error that names it', (executor) => {
    expect(() => run(compiled, { seed: 1, executor })).toThrow(expect.objectContaining(error));
  });

  it('stops the batch loop with the same error', () => {
    const runs = Array.from({ length: 20 }, (_, i) => ({ params: [0.5], seed: i, moves: [] }));
    expect(() => runGroup(runner(compiled.def, 'default'), runs, () => {})).toThrow(expect.objectContaining(error));
  });
});

describe('on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-nan-'));
  writeFileSync(join(dir, 'bad.yaml'), MINI.replace(cases[0][1], cases[0][2]));
  const parley = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });

  it.each([
    ['batch', ['batch', 'bad.yaml', '--runs', '10', '--seed', '1']],
    ['batch on workers', ['batch', 'bad.yaml', '--runs', '5000', '--seed', '1', '--workers', '2']],
    ['run', ['run', 'bad.yaml', '--seed', '1']],
    ['run --executor fast', ['run', 'bad.yaml', '--seed', '1', '--executor', 'fast', '--json']],
  ])('%s exits 2 and names the tension', (_, args) => {
    const r = parley(...args);
    expect(r.stderr).toBe(`bad.yaml: ${cases[0][3]}\n  hint: the expression divides by zero or overflows for these values; make it give a finite number\n`);
    expect(r.status).toBe(2);
  });

  it('a step of play (the xstate executor, one decision) stops with the error too', () => {
    const compiled = compile(loadScenarioText(MINI.replace(cases[1][1], cases[1][2]), 'bad.yaml'));
    expect(() => step(compiled, start(compiled, 1).state, { type: 'pull', lever: 'praise' })).toThrow(cases[1][3]);
  });

  it('play cannot start a session on it', () => {
    const compiled = compile(loadScenarioText(MINI.replace(cases[0][1], cases[0][2]), 'bad.yaml'));
    expect(() => createSession(compiled, { seed: 1 } as Parameters<typeof createSession>[1])).toThrow(cases[0][3]);
  });
});
