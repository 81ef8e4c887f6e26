/**
 * A stop reaches a chunk in flight: with 100,000 branches on one lever, a batch used to finish
 * every chunk it had started and honoured SIGTERM 213 s after it arrived.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextFor, runChunk, type BatchPlan, type ChunkTask } from '../src/batch/chunk.ts';
import { executeBatch } from '../src/batch/execute.ts';
import { runGroup, runner } from '../src/analysis/runs.ts';
import { loadScenario } from '../src/index.ts';
import { slowScenario } from './support/slow-scenario.ts';

const MINI = resolve('test/fixtures/mini.yaml');
const BIN = resolve('bin/parley.js');
const def = loadScenario(MINI);
const plan: BatchPlan = { scenarioFile: MINI, hash: def.hash, policy: 'default', seed: 7, runsPerPoint: 1000, branch: null, format: 'csv' };
const task = (start: number, end: number): ChunkTask => ({ plan, start, end, points: { 0: [0.5] } });

describe('a chunk cut short', () => {
  const ctx = contextFor(plan);
  const whole = runChunk(ctx, task(0, 300));

  it('stops before its first run when the flag is already set', () => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(stop, 0, 1);
    expect(runChunk(ctx, task(0, 300), { stop })).toMatchObject({ start: 0, end: 0, rows: '', tallies: [] });
  });

  it('hands over whole runs, the first ones of the chunk, when its time slice is over', () => {
    const parts: string[] = [];
    let at = 0;
    while (at < 300) {
      const r = runChunk(ctx, task(at, 300), { sliceMs: 0 });
      expect(r.end).toBeGreaterThan(at);
      expect(r.end).toBeLessThan(300 + 1);
      parts.push(r.rows!);
      at = r.end;
    }
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toBe(whole.rows);
  });

  it('drops the lock-step group that the stop interrupts', () => {
    const kernel = runner(def, 'default');
    const runs = Array.from({ length: 20 }, (_, i) => ({ params: [0.5], seed: i, moves: [] }));
    let asked = 0;
    let visited = 0;
    expect(runGroup(kernel, runs, () => visited++, () => ++asked > 5)).toBe(false);
    expect(asked).toBe(6);
    expect(visited).toBe(0);
    expect(runGroup(kernel, runs, () => visited++, () => false)).toBe(true);
    expect(visited).toBe(20);
  });

  it('ends the batch on the main thread at a run boundary, with the rows before it', async () => {
    const controller = new AbortController();
    let text = '';
    const outcome = await executeBatch({
      plan, points: [[0.5]], from: 0, to: 1000, workers: 1, workerFile: '', chunkSize: 100, signal: controller.signal,
      onChunk: (r) => {
        text += r.rows;
        if (r.end >= 200) controller.abort();
      },
    });
    expect(outcome.interrupted).toBe(true);
    expect(outcome.done).toBeGreaterThanOrEqual(200);
    expect(outcome.done).toBeLessThan(1000);
    expect(text).toBe(runChunk(ctx, task(0, outcome.done)).rows);
  });
});

describe('parley batch on a slow scenario', () => {
  it.each([1, 2])('stops within a second of SIGTERM with %i worker(s), and --resume gives the bytes of an uninterrupted run', async (workers) => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-stop-'));
    writeFileSync(join(dir, 'slow.yaml'), slowScenario());
    const args = ['batch', 'slow.yaml', '--runs', '300', '--seed', '3', '--out', 'rows.csv'];
    const child = spawn(process.execPath, [BIN, ...args, '--workers', String(workers)], { cwd: dir });
    let exited = false;
    const closed = new Promise<number | null>((r) => child.on('close', (code) => ((exited = true), r(code))));
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const rows = join(dir, 'rows.csv');
    const deadline = Date.now() + 30_000;
    // Once the header and a first row are there, the batch is inside its chunks.
    while (!exited && !(existsSync(rows) && readFileSync(rows, 'utf8').split('\n').length > 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(exited, err).toBe(false);
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(Date.now() - sent).toBeLessThan(1500);
    expect(err).toMatch(/^parley: interrupted \(SIGTERM\) after [\d,]+ of 300 runs; rows\.csv holds them, in order\.\nTo finish the batch, run:\n  parley batch slow\.yaml .*--out rows\.csv --resume\n$/);
    const partial = readFileSync(rows, 'utf8');
    expect(partial.endsWith('\n')).toBe(true);
    const done = partial.trimEnd().split('\n').length - 1;
    expect(done).toBeLessThan(300);
    const resumed = spawnSync(process.execPath, [BIN, ...args, '--resume'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    const fresh = mkdtempSync(join(tmpdir(), 'parley-stop-'));
    writeFileSync(join(fresh, 'slow.yaml'), slowScenario());
    expect(spawnSync(process.execPath, [BIN, ...args], { cwd: fresh, encoding: 'utf8', timeout: 120_000 }).status).toBe(0);
    expect(readFileSync(rows, 'utf8')).toBe(readFileSync(join(fresh, 'rows.csv'), 'utf8'));
    expect(statSync(rows).size).toBeGreaterThan(partial.length);
  }, 240_000);
});

describe('a scenario file that changes while the workers start', () => {
  const changed = { file: MINI, message: 'the scenario file changed while the batch was starting; run it again' };

  it('is an input error that says to run the batch again', async () => {
    // The main thread runs with the scenario it loaded before the change; a worker thread loads the changed file.
    const run = executeBatch({ plan: { ...plan, hash: 'f'.repeat(64) }, context: contextFor(plan), points: [[0.5]], from: 0, to: 100, workers: 2, workerFile: resolve('dist/batch-worker.js'), onChunk: () => {} });
    await expect(run).rejects.toMatchObject({ name: 'ParleyInputError', issues: [changed] });
  });

  it('is the same error when the main thread loads it too', async () => {
    const run = executeBatch({ plan: { ...plan, hash: 'f'.repeat(64) }, points: [[0.5]], from: 0, to: 100, workers: 2, workerFile: resolve('dist/batch-worker.js'), onChunk: () => {} });
    await expect(run).rejects.toMatchObject({ issues: [changed] });
  });
});

describe('standard error closed early', () => {
  it('leaves the exit status to the command (2 for a missing file), not an internal error', async () => {
    const child = spawn(process.execPath, [BIN, 'validate', '/nonexistent/parley.yaml']);
    child.stderr.destroy();
    expect(await new Promise((r) => child.on('close', r))).toBe(2);
  });
});
