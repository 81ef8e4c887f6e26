/**
 * `parley batch --extend`: more replicates for a finished batch. Afterwards its rows and summary
 * are those of a fresh batch of the larger size (byte for byte, and the same statistics), an
 * interrupted extension leaves the old rows as they were, and what cannot be extended is refused.
 * Everything runs the built CLI on real files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renumberRow } from '../src/batch/resume.ts';
import { slowScenario } from './support/slow-scenario.ts';

const MINI = resolve('test/fixtures/mini.yaml');
const PETRO = resolve('scenarios/petro-trump.yaml');
const BIN = resolve('bin/parley.js');

function parley(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}
/** Standard error without the design's warnings (a switch sampled without a kind, say). */
const errors = (err: string) => err.replace(/^parley: warning: .*\n/gm, '');
const tmp = () => mkdtempSync(join(tmpdir(), 'parley-extend-'));
const read = (path: string) => readFileSync(path, 'utf8');
/** A summary's statistics: everything but the clock and the threads. */
const stats = (path: string) => {
  const { wallSeconds, runsPerSecond, workers, ...rest } = JSON.parse(read(path)) as Record<string, unknown>;
  void wallSeconds, runsPerSecond, workers;
  return rest;
};

describe('--extend', () => {
  const cases: [string, string, string[], string][] = [
    ['mini, a sweep, CSV, 1 worker', MINI, ['--seed', '4', '--sweep', 'push=0:1:3', '--workers', '1'], 'r.csv'],
    ['petro-trump, a sweep and a sample, JSONL, 2 workers', PETRO, ['--seed', '8', '--sweep', 'mediator_influence=0:0.2:2', '--sample', 'lhs:3', '--workers', '2'], 'r.jsonl'],
    ['petro-trump, a sweep with a group (paired contrasts), 2 workers', PETRO, ['--seed', '5', '--sweep', 'mediator_influence=0:0.2:3', '--group', 'calm=strategic_reset+conditional_truce', '--workers', '2'], 'r.csv'],
    ['one point with independent seeds', MINI, ['--seed', '2', '--seeds', 'independent'], 'r.csv'],
  ];
  it.each(cases)('gives the rows and summary of a fresh batch of the larger size: %s', (_, scenario, args, rows) => {
    const grown = tmp();
    const fresh = tmp();
    expect(parley(grown, 'batch', scenario, ...args, '--runs', '30', '--out', rows, '--summary', 's.json', '--quiet').code).toBe(0);
    const before = read(join(grown, rows));
    const step1 = parley(grown, 'batch', scenario, ...args, '--runs', '45', '--out', rows, '--summary', 's.json', '--extend', '--quiet');
    expect(errors(step1.err)).toBe('');
    expect(step1.code).toBe(0);
    // And once more: an extended batch is a finished batch like any other.
    const step2 = parley(grown, 'batch', scenario, ...args, '--runs', '70', '--out', rows, '--summary', 's.json', '--extend', '--quiet');
    expect(errors(step2.err)).toBe('');
    expect(step2.code).toBe(0);
    expect(parley(fresh, 'batch', scenario, ...args, '--runs', '70', '--out', rows, '--summary', 's.json', '--quiet').code).toBe(0);
    expect(read(join(grown, rows))).toBe(read(join(fresh, rows)));
    expect(read(join(grown, rows))).not.toBe(before);
    expect(stats(join(grown, 's.json'))).toEqual(stats(join(fresh, 's.json')));
    expect(readdirSync(grown).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
  }, 120_000);

  it('refuses what it cannot extend, saying why, and changes nothing', () => {
    const dir = tmp();
    const base = ['batch', MINI, '--seed', '4', '--sweep', 'push=0:1:3', '--quiet'];
    expect(parley(dir, ...base, '--runs', '20', '--out', 'r.csv', '--summary', 's.json').code).toBe(0);
    const rows = read(join(dir, 'r.csv'));
    const summary = read(join(dir, 's.json'));
    const refused = (args: string[], message: RegExp) => {
      const r = parley(dir, ...base, ...args);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    };
    refused(['--runs', '30', '--extend'], /--extend needs --out FILE/);
    refused(['--runs', '20', '--out', 'r.csv', '--extend'], /r\.csv holds a batch of 20 runs per point: --extend needs a larger --runs, not 20/);
    refused(['--runs', '10', '--out', 'r.csv', '--extend'], /needs a larger --runs, not 10/);
    refused(['--runs', '30', '--out', 'r.csv', '--extend', '--resume'], /give --extend alone, not with --resume/);
    refused(['--runs', '30', '--out', 'r.csv', '--extend', '--record', 'rounds', '--rounds', 'ro.csv'], /--extend does not extend a rounds file/);
    refused(['--runs', '30', '--out', 'r.parquet', '--extend'], /needs CSV or JSONL rows/);
    refused(['--runs', '30', '--out', 'r.csv', '--extend', '--shard', '1/2'], /not to a shard/);
    refused(['--runs', '30', '--out', 'r.csv', '--extend', '--seeds', 'independent'], /needs paired seeds when there are several design points/);
    refused(['--runs', '30', '--out', 'missing.csv', '--extend'], /missing\.csv does not exist/);
    // Another design: the flags that differ are named.
    const other = parley(dir, 'batch', MINI, '--seed', '5', '--sweep', 'push=0:1:3', '--runs', '30', '--out', 'r.csv', '--extend', '--quiet');
    expect(other.code).toBe(2);
    expect(other.err).toContain('--seed: the file has 4, this command 5');
    // An unfinished batch is finished first.
    writeFileSync(join(dir, 'cut.csv'), rows.split('\n').slice(0, 2 + 33).join('\n') + '\n');
    const cut = parley(dir, ...base, '--runs', '30', '--out', 'cut.csv', '--extend');
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/cut\.csv holds 33 of the 60 runs of its batch: it is not finished/);
    expect(cut.err).toMatch(/--runs 20 .*--resume/);
    expect(read(join(dir, 'r.csv'))).toBe(rows);
    expect(read(join(dir, 's.json'))).toBe(summary);
  }, 120_000);

  it('leaves the old rows as they were when it is interrupted, and can be run again', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'slow.yaml'), slowScenario());
    const args = ['batch', 'slow.yaml', '--seed', '3', '--out', 'rows.csv', '--workers', '1'];
    expect(parley(dir, ...args, '--runs', '2').code).toBe(0);
    const old = read(join(dir, 'rows.csv'));
    const child = spawn(process.execPath, [BIN, ...args, '--runs', '200', '--extend'], { cwd: dir });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', r));
    // Once the new file is being written (beside the old one), the batch is inside its chunks.
    const deadline = Date.now() + 30_000;
    while (!readdirSync(dir).some((f) => f.endsWith('.tmp')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(err).toMatch(/^parley: interrupted \(SIGTERM\) after [\d,]+ of the 198 new runs; rows\.csv is as it was \(2 runs per point\)\.\nTo extend it, run the same command again:\n  parley batch slow\.yaml .*--runs 200 .*--extend\n$/);
    expect(read(join(dir, 'rows.csv'))).toBe(old);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
    // Run again (with fewer runs, to be quick): the rows of a fresh batch.
    const again = parley(dir, ...args, '--runs', '4', '--extend');
    expect(again.err).toBe('');
    const fresh = tmp();
    writeFileSync(join(fresh, 'slow.yaml'), slowScenario());
    expect(parley(fresh, ...args, '--runs', '4').code).toBe(0);
    expect(read(join(dir, 'rows.csv'))).toBe(read(join(fresh, 'rows.csv')));
  }, 240_000);
});

describe('renumberRow', () => {
  it('changes the run index of a CSV or JSONL row and nothing else, and refuses another run\'s row', () => {
    expect(renumberRow('12,0,12,99,x', 'csv', 12, 40)).toBe('40,0,12,99,x');
    expect(renumberRow('{"run":12,"point":0}', 'jsonl', 12, 40)).toBe('{"run":40,"point":0}');
    expect(renumberRow('120,0,12,99,x', 'csv', 12, 40)).toBeNull();
    expect(renumberRow('{"run":1,"point":0}', 'jsonl', 12, 40)).toBeNull();
  });
});

