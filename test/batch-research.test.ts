/**
 * Research outputs of `parley batch`: paired seeds across design points, rows that replay with
 * `parley run`, summaries for studies (groups, cells, paired contrasts), per-round trajectories,
 * Parquet, progress lines for batch jobs, parameter kinds, `--extend`, merge messages.
 * Everything runs the built CLI on real files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveSeed } from '../src/engine/rng.ts';

const MINI = resolve('test/fixtures/mini.yaml');
const BIN = resolve('bin/parley.js');

function parley(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'parley-research-'));
const read = (path: string) => readFileSync(path, 'utf8');

/** CSV rows of a row file as objects (no field of these scenarios holds a comma or a quote). */
function csvRows(path: string): Record<string, string>[] {
  const lines = read(path).trimEnd().split('\n').filter((l) => !l.startsWith('#'));
  const names = lines[0]!.split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
}

describe('paired designs', () => {
  it('gives replicate r of every design point the same seed, and a one-point batch the seeds it always had', () => {
    const dir = tmp();
    expect(parley(dir, 'batch', MINI, '--runs', '4', '--seed', '3', '--sweep', 'push=0:1:3', '--out', 'p.csv', '--summary', 's.json').code).toBe(0);
    const rows = csvRows(join(dir, 'p.csv'));
    expect(rows).toHaveLength(12);
    for (const r of rows) expect(Number(r.seed)).toBe(deriveSeed(3, Number(r.replicate)));
    expect(parley(dir, 'batch', MINI, '--runs', '4', '--seed', '3', '--sweep', 'push=0:1:3', '--seeds', 'independent', '--out', 'i.csv', '--summary', 'i.json').code).toBe(0);
    const independent = csvRows(join(dir, 'i.csv'));
    for (const r of independent) expect(Number(r.seed)).toBe(deriveSeed(3, Number(r.run)));
    expect(JSON.parse(read(join(dir, 'i.json'))).command).toContain('independent');
    // One point: run i is replicate i, so both ways give deriveSeed(S, i).
    expect(parley(dir, 'batch', MINI, '--runs', '5', '--seed', '3', '--out', 'one.csv', '--summary', 'one.json').code).toBe(0);
    csvRows(join(dir, 'one.csv')).forEach((r, i) => expect(Number(r.seed)).toBe(deriveSeed(3, i)));
    expect(Object.keys(csvRows(join(dir, 'one.csv'))[0]!)).not.toContain('replay');
  });

  it('refuses --seeds with another value, with a hint', () => {
    const r = parley(tmp(), 'batch', MINI, '--runs', '4', '--seeds', 'shared');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--seeds.*expected paired or independent, not `shared`/);
  });

  it('refuses to resume a file of the engine before paired seeds, and says why', () => {
    const dir = tmp();
    expect(parley(dir, 'batch', MINI, '--runs', '50', '--seed', '3', '--sweep', 'push=0:1:3', '--out', 'r.csv', '--summary', 's.json').code).toBe(0);
    const text = read(join(dir, 'r.csv'));
    const version = JSON.parse(text.split('\n')[0]!.slice(2)).parley as string;
    const old = text.split('\n').slice(0, 40).join('\n').replace(`"parley":"${version}"`, '"parley":"0.3.0"').replace(/"seeds":"paired",/, '') + '\n';
    writeFileSync(join(dir, 'r.csv'), old);
    const r = parley(dir, 'batch', MINI, '--runs', '50', '--seed', '3', '--sweep', 'push=0:1:3', '--out', 'r.csv', '--summary', 's.json', '--resume');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`the batch was run by Parley engine 0.3.0, this is ${version}`);
    expect(r.err).toContain('replicate r of every point has the same seed');
    expect(read(join(dir, 'r.csv'))).toBe(old);
  });
});

describe('rows that replay', () => {
  /** Replays rows with `parley run --json` and compares outcome and final tensions. */
  function replays(dir: string, file: string, scenario: string | null, every: number): number {
    const rows = csvRows(join(dir, file));
    let checked = 0;
    for (let i = 0; i < rows.length; i += every) {
      const row = rows[i]!;
      expect(row.replay).toMatch(/^--branch \S+/);
      const args = ['run', ...(scenario ? [scenario] : []), '--json', ...row.replay!.split(' ')];
      const r = parley(dir, ...args);
      expect(r.code, r.err).toBe(0);
      const doc = JSON.parse(r.out) as { outcome: { id: string }; final: { tensions: Record<string, number> } };
      expect(doc.outcome.id).toBe(row.outcome);
      for (const [id, value] of Object.entries(doc.final.tensions)) expect(String(value), id).toBe(row[`tension.${id}`]);
      checked++;
    }
    return checked;
  }

  it('repeats swept and sampled rows of a bundled scenario exactly', () => {
    const dir = tmp();
    const r = parley(dir, 'batch', 'petro-trump', '--runs', '2', '--seed', '8', '--sweep', 'mediator_influence=0:0.2:2', '--sample', 'lhs:3', '--out', 'rows.csv', '--summary', 's.json');
    expect(r.code, r.err).toBe(0);
    const rows = csvRows(join(dir, 'rows.csv'));
    expect(rows).toHaveLength(12);
    // The sampled values make the code alone replay another run: the replay column carries them.
    expect(rows[3]!.replay).toContain('--set mediator_influence=');
    expect(replays(dir, 'rows.csv', null, 3)).toBe(4);
  });

  it('repeats the rows of a scenario file with --set', () => {
    const dir = tmp();
    expect(parley(dir, 'batch', MINI, '--runs', '3', '--seed', '2', '--set', 'push=0.9', '--out', 'rows.csv', '--summary', 's.json').code).toBe(0);
    expect(csvRows(join(dir, 'rows.csv'))[0]!.replay).toContain('--set push=0.9');
    expect(replays(dir, 'rows.csv', MINI, 1)).toBe(3);
  });
});
