/**
 * Research outputs of `parley batch`: paired seeds across design points, rows that replay with
 * `parley run`, summaries for studies (groups, cells, paired contrasts), per-round trajectories,
 * Parquet, progress lines for batch jobs, parameter kinds, `--extend`, merge messages.
 * Everything runs the built CLI on real files.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('summaries for studies', () => {
  it('pairs with Newcombe: the interval holds the difference, and pairing narrows it', async () => {
    const { newcombePaired, newcombeIndependent, wilson } = await import('../src/stats/stats.ts');
    // 100 pairs: 40 both, 5 only the first, 15 only the second, 40 neither.
    const paired = newcombePaired(40, 5, 15, 100);
    expect(paired.difference).toBeCloseTo(-0.1, 12);
    expect(paired.ci95[0]).toBeLessThan(-0.1);
    expect(paired.ci95[1]).toBeGreaterThan(-0.1);
    const independent = newcombeIndependent(45, 100, 55, 100);
    expect(paired.ci95[1] - paired.ci95[0]).toBeLessThan(independent.ci95[1] - independent.ci95[0]);
    // Without correlation (φ = 0) the paired interval is the independent one.
    const flat = newcombePaired(25, 25, 25, 100);
    const flatIndependent = newcombeIndependent(50, 100, 50, 100);
    expect(flat.ci95[0]).toBeCloseTo(flatIndependent.ci95[0], 12);
    expect(wilson(0, 10)[0]).toBe(0);
  });

  it('gives groups with Wilson intervals, cells by swept value, paired contrasts and a chart line per swept value; a merge of shards gives the same groups and cells', () => {
    const dir = tmp();
    const args = ['--runs', '300', '--seed', '4', '--sweep', 'push=0:1:3', '--group', 'calm=deal'];
    const r = parley(dir, 'batch', MINI, ...args, '--summary', 'whole.json');
    expect(r.code, r.err).toBe(0);
    const whole = JSON.parse(read(join(dir, 'whole.json')));
    const outcomes = Object.keys(whole.outcomes);
    expect(whole.groups.calm.outcomes).toEqual(['deal']);
    expect(whole.groups.calm.count).toBe(whole.outcomes.deal.count);
    expect(whole.cells.map((c: { sweep: Record<string, number> }) => c.sweep.push)).toEqual([0, 0.5, 1]);
    expect(whole.cells[1].runs).toBe(300);
    expect(whole.contrasts).toHaveLength(2);
    const c = whole.contrasts[0];
    expect(c).toMatchObject({ param: 'push', from: 0, to: 0.5, pairs: 300, method: 'newcombe-paired-10' });
    const m = c.measures.calm;
    expect(m.from).toBe(whole.cells[0].groups.calm.proportion);
    expect(m.to).toBe(whole.cells[1].groups.calm.proportion);
    expect(m.exact.both + m.exact.fromOnly).toBe(whole.cells[0].groups.calm.count);
    expect(m.ci95[0]).toBeLessThanOrEqual(m.difference);
    expect(Object.keys(c.measures)).toEqual([...outcomes, 'calm']);
    // Shards: groups and cells merge exactly; contrasts need the whole batch.
    for (const k of [1, 2, 3]) expect(parley(dir, 'batch', MINI, ...args, '--shard', `${k}/3`, '--summary', `s${k}.json`).code).toBe(0);
    expect(JSON.parse(read(join(dir, 's1.json'))).contrastsNote).toMatch(/shard/);
    expect(parley(dir, 'merge', 's3.json', 's1.json', 's2.json', '--out', 'merged.json').code).toBe(0);
    const merged = JSON.parse(read(join(dir, 'merged.json')));
    expect(merged.groups).toEqual(whole.groups);
    expect(merged.cells).toEqual(whole.cells);
    expect(merged.contrasts).toBeUndefined();
    expect(merged.contrastsNote).toMatch(/merge/);
  });

  it('refuses a group of an unknown outcome, naming the outcomes', () => {
    const r = parley(tmp(), 'batch', MINI, '--runs', '3', '--group', 'calm=deal+peace');
    expect(r.code).toBe(2);
    expect(r.err).toContain('`peace` in --group calm is not an outcome');
    expect(r.err).toMatch(/hint: the outcomes: /);
  });

  it('draws one chart line per swept value', async () => {
    const { outcomeChart } = await import('../src/cli/batch.ts');
    const dir = tmp();
    expect(parley(dir, 'batch', MINI, '--runs', '50', '--seed', '1', '--sweep', 'push=0:1:5', '--group', 'calm=deal', '--summary', 's.json').code).toBe(0);
    const chart = outcomeChart(JSON.parse(read(join(dir, 's.json'))));
    expect(chart).toContain('calm (deal) by swept value:');
    for (const v of ['0', '0.25', '0.5', '0.75', '1']) expect(chart).toMatch(new RegExp(`^  push=${v.replace('.', '\\.')} +[█▏▎▍▌▋▊▉ ]* +\\d+\\.\\d%  \\[`, 'm'));
  });
});

describe('--record rounds', () => {
  const args = ['--runs', '40', '--seed', '6', '--sweep', 'push=0:1:3', '--summary', 's.json', '--record', 'rounds'];

  it('writes one row per run and round, whose last round is the run\'s final state, the same with 2 workers', () => {
    const one = tmp();
    const two = tmp();
    expect(parley(one, 'batch', MINI, ...args, '--out', 'r.csv', '--rounds', 'rounds.csv', '--workers', '1').code).toBe(0);
    expect(parley(two, 'batch', MINI, ...args, '--out', 'r.csv', '--rounds', 'rounds.csv', '--workers', '2').code).toBe(0);
    expect(read(join(two, 'rounds.csv'))).toBe(read(join(one, 'rounds.csv')));
    const rounds = csvRows(join(one, 'rounds.csv'));
    const rows = csvRows(join(one, 'r.csv'));
    const perRun = rounds.filter((r) => r.run === '0').length;
    expect(perRun).toBe(7); // mini: 3 rounds of talks, 4 of aftermath
    expect(rounds).toHaveLength(rows.length * perRun);
    expect(Object.keys(rounds[0]!)).toEqual(['run', 'point', 'replicate', 'round', 'phase', 'phase_round', 'date', 'tension.HOST', 'tension.MIL', 'derived.crisis', 'relationship', 'stance.a', 'levers', 'events', 'goldstein']);
    for (const row of rows) {
      const own = rounds.filter((r) => r.run === row.run);
      expect(own.map((r) => Number(r.round))).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const last = own[own.length - 1]!;
      expect(last['tension.HOST']).toBe(row['tension.HOST']);
      expect(last['tension.MIL']).toBe(row['tension.MIL']);
      // The rounds' Goldstein sums add up to the run's (to rounding).
      expect(own.reduce((s, r) => s + Number(r.goldstein), 0)).toBeCloseTo(Number(row.goldstein), 6);
    }
    expect(rounds.some((r) => r.levers!.includes('praise'))).toBe(true);
  });

  it('resumes with the rows: both files go back to the last run both hold, and end as an uninterrupted batch', () => {
    const whole = tmp();
    expect(parley(whole, 'batch', MINI, ...args, '--out', 'r.jsonl', '--rounds', 'rounds.csv').code).toBe(0);
    const rowsText = read(join(whole, 'r.jsonl'));
    const roundsText = read(join(whole, 'rounds.csv'));
    const cut = tmp();
    // The rows stop after run 70; the rounds part-way through run 52.
    writeFileSync(join(cut, 'r.jsonl'), rowsText.split('\n').slice(0, 1 + 71).join('\n') + '\n{"run":71,"po');
    writeFileSync(join(cut, 'rounds.csv'), roundsText.split('\n').slice(0, 2 + 52 * 7 + 3).join('\n') + '\n');
    const r = parley(cut, 'batch', MINI, ...args, '--out', 'r.jsonl', '--rounds', 'rounds.csv', '--resume', '--force');
    expect(r.code).toBe(2); // --resume and --force together are refused
    const again = parley(cut, 'batch', MINI, ...args, '--out', 'r.jsonl', '--rounds', 'rounds.csv', '--resume');
    expect(again.code, again.err).toBe(0);
    expect(read(join(cut, 'rounds.csv'))).toBe(roundsText);
    expect(read(join(cut, 'r.jsonl'))).toBe(rowsText);
  });

  it('needs --rounds with --record rounds, and --out with them', () => {
    expect(parley(tmp(), 'batch', MINI, '--runs', '3', '--record', 'rounds').err).toMatch(/--record rounds needs --rounds FILE/);
    expect(parley(tmp(), 'batch', MINI, '--runs', '3', '--record', 'rounds', '--rounds', 'x.csv').err).toMatch(/--rounds needs --out FILE/);
    expect(parley(tmp(), 'batch', MINI, '--runs', '3', '--record', 'steps', '--rounds', 'x.csv').err).toMatch(/only thing --record records is `rounds`/);
  });
});

describe('shards of rounds, and merge messages', () => {
  it('merges the rounds of shards into the whole batch\'s rounds', () => {
    const dir = tmp();
    const args = ['--runs', '30', '--seed', '2', '--sweep', 'push=0:1:2', '--record', 'rounds'];
    expect(parley(dir, 'batch', MINI, ...args, '--out', 'r.csv', '--rounds', 'rounds.csv', '--summary', 's.json').code).toBe(0);
    for (const k of [1, 2, 3]) expect(parley(dir, 'batch', MINI, ...args, '--shard', `${k}/3`, '--out', `r${k}.csv`, '--rounds', `rounds${k}.csv`, '--summary', `s${k}.json`).code).toBe(0);
    const m = parley(dir, 'merge', '--rows', 'rounds2.csv', 'rounds1.csv', 'rounds3.csv', '--out', 'merged.csv');
    expect(m.code, m.err).toBe(0);
    const body = (f: string) => read(join(dir, f)).split('\n').slice(2).join('\n');
    expect(body('merged.csv')).toBe(body('rounds.csv'));
    // A shard cut short is named, with the command that finishes it.
    writeFileSync(join(dir, 'rounds2.csv'), read(join(dir, 'rounds2.csv')).split('\n').slice(0, 30).join('\n') + '\n');
    const cut = parley(dir, 'merge', '--rows', 'rounds1.csv', 'rounds2.csv', 'rounds3.csv', '--out', 'm2.csv');
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/rounds2\.csv holds the rounds of runs 20–2\d of its shard's 20–39/);
    expect(cut.err).toContain('--rounds rounds2.csv --resume');
  });

  it('names the fields that differ when summaries of different designs are merged', () => {
    const dir = tmp();
    expect(parley(dir, 'batch', MINI, '--runs', '30', '--seed', '2', '--shard', '1/2', '--summary', 'a.json').code).toBe(0);
    expect(parley(dir, 'batch', MINI, '--runs', '40', '--seed', '3', '--shard', '2/2', '--summary', 'b.json').code).toBe(0);
    const r = parley(dir, 'merge', 'a.json', 'b.json', '--out', 'm.json');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--seed: the first has 2, this one 3');
    expect(r.err).toContain('--runs: the first has 30, this one 40');
  });
});

describe('progress for batch jobs', () => {
  function batchLog(dir: string, env: Record<string, string>, ...args: string[]) {
    const r = spawnSync(process.execPath, [BIN, 'batch', MINI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
    return { code: r.status, err: r.stderr };
  }

  it('prints progress lines and one at the end when standard error is a file; --quiet prints none', () => {
    const dir = tmp();
    const r = batchLog(dir, { PARLEY_PROGRESS_SECONDS: '0.05' }, '--runs', '60000', '--seed', '1', '--workers', '1', '--out', 'r.csv', '--summary', 's.json');
    expect(r.code).toBe(0);
    const lines = r.err.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^parley: [\d,]+ of 60,000 runs \(\d+\.\d%\) · ([\d,]+|…) runs\/s · ETA (\d+ s|\d+ min|…)$/);
    expect(lines.at(-1)).toMatch(/^parley: done: 60,000 of 60,000 runs in \d+\.\d s · [\d,]+ runs\/s after start-up$/);
    expect(r.err).not.toContain('\r');
    expect(batchLog(dir, { PARLEY_PROGRESS_SECONDS: '0.05' }, '--runs', '2000', '--seed', '1', '--quiet', '--summary', 'q.json').err).toBe('');
  });

  it('reports a resumed batch\'s own part and rate', () => {
    const dir = tmp();
    expect(batchLog(dir, {}, '--runs', '20000', '--seed', '1', '--out', 'r.csv', '--summary', 's.json').code).toBe(0);
    const text = read(join(dir, 'r.csv'));
    writeFileSync(join(dir, 'r.csv'), text.split('\n').slice(0, 2 + 15000).join('\n') + '\n');
    const r = batchLog(dir, { PARLEY_PROGRESS_SECONDS: '30' }, '--runs', '20000', '--seed', '1', '--out', 'r.csv', '--summary', 's.json', '--resume');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^parley: done: 20,000 of 20,000 runs in .*; resumed after 15,000, this process ran 5,000\n$/);
    const summary = JSON.parse(read(join(dir, 's.json')));
    // The rate is the resumed part's: 5,000 runs in the process's time.
    expect(Math.abs(summary.runsPerSecond - 5000 / summary.wallSeconds)).toBeLessThanOrEqual(1);
  });
});

describe('Parquet', () => {
  async function readParquet(path: string) {
    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const bytes = readFileSync(path);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const meta = parquetMetadata(file);
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    return { meta, rows, kv: Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value])) };
  }

  it('writes typed columns with the provenance in the key-value metadata, the same values as the CSV, and rounds too', async () => {
    const dir = tmp();
    const args = ['--runs', '200', '--seed', '9', '--sweep', 'push=0:1:2', '--record', 'rounds', '--summary', 's.json'];
    expect(parley(dir, 'batch', MINI, ...args, '--out', 'r.csv', '--rounds', 'ro.csv').code).toBe(0);
    const p = parley(dir, 'batch', MINI, ...args, '--out', 'r.parquet', '--rounds', 'ro.parquet', '--force');
    expect(p.code, p.err).toBe(0);
    const { meta, rows, kv } = await readParquet(join(dir, 'r.parquet'));
    const csv = csvRows(join(dir, 'r.csv'));
    expect(rows).toHaveLength(csv.length);
    const types = Object.fromEntries(meta.schema.slice(1).map((e) => [e.name, e.type]));
    expect(types).toMatchObject({ run: 'INT64', seed: 'INT64', 'param.push': 'DOUBLE', outcome: 'BYTE_ARRAY', 'tension.HOST': 'DOUBLE', steps: 'INT32', goldstein: 'DOUBLE', replay: 'BYTE_ARRAY' });
    rows.forEach((r, i) => {
      const c = csv[i]!;
      expect(String(r.run)).toBe(c.run);
      expect(String(r.seed)).toBe(c.seed);
      expect(String(r['tension.HOST'])).toBe(c['tension.HOST']);
      expect(r.outcome).toBe(c.outcome);
      expect(r.replay).toBe(c.replay);
    });
    expect(kv['parley.scenario.id']).toBe('mini');
    expect(kv['parley.scenario.hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(kv['parley.design']!)).toMatchObject({ seed: 9, seeds: 'paired', runsPerPoint: 200 });
    expect(JSON.parse(kv['parley.command']!)).toContain('r.parquet');
    expect(JSON.parse(kv.parley!).format).toBe('parley-batch-rows');
    const rounds = await readParquet(join(dir, 'ro.parquet'));
    expect(rounds.rows).toHaveLength(csvRows(join(dir, 'ro.csv')).length);
    expect(rounds.kv['parley.engine']).toBe(JSON.parse(kv.parley!).parley);
  });

  it('merges CSV shards into Parquet, and refuses to resume into Parquet', async () => {
    const dir = tmp();
    const args = ['--runs', '100', '--seed', '9', '--sweep', 'push=0:1:2'];
    expect(parley(dir, 'batch', MINI, ...args, '--out', 'whole.parquet', '--summary', 'w.json').code).toBe(0);
    for (const k of [1, 2]) expect(parley(dir, 'batch', MINI, ...args, '--shard', `${k}/2`, '--out', `r${k}.csv`, '--summary', `s${k}.json`).code).toBe(0);
    const m = parley(dir, 'merge', '--rows', 'r2.csv', 'r1.csv', '--out', 'merged.parquet');
    expect(m.code, m.err).toBe(0);
    expect((await readParquet(join(dir, 'merged.parquet'))).rows).toEqual((await readParquet(join(dir, 'whole.parquet'))).rows);
    const r = parley(dir, 'batch', MINI, ...args, '--out', 'whole.parquet', '--resume');
    expect(r.code).toBe(2);
    expect(r.err).toContain('a Parquet file is written whole');
    expect(r.err).toContain('parley merge --rows rows.csv --out rows.parquet');
  });
});

describe('parameter kinds', () => {
  /** The mini fixture with parameters of each kind added. */
  function kinded(dir: string, kinds: string): string {
    const text = read(MINI).replace('  push: {default: 0.5, range: [0, 1], judgement: true}', `  push: {default: 0.5, range: [0, 1], judgement: true}\n${kinds}`);
    const file = join(dir, 'kinds.yaml');
    writeFileSync(file, text);
    return file;
  }

  it('samples a switch as 0 or 1 and an integer as whole numbers, and sweeps them only over such values', () => {
    const dir = tmp();
    const file = kinded(dir, '  peak: {default: 0, range: [0, 1], kind: switch}\n  seats: {default: 2, range: [1, 5], kind: integer}\n  wide: {default: 0.5, range: [0, 1], kind: real}');
    const r = parley(dir, 'batch', file, '--runs', '1', '--seed', '3', '--sample', 'lhs:40', '--out', 'r.csv', '--summary', 's.json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    const rows = csvRows(join(dir, 'r.csv'));
    const peaks = rows.map((x) => Number(x['param.peak']));
    expect(new Set(peaks)).toEqual(new Set([0, 1]));
    expect(peaks.filter((v) => v === 1)).toHaveLength(20); // the strata split evenly
    const seats = rows.map((x) => Number(x['param.seats']));
    expect(new Set(seats)).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(rows.some((x) => !Number.isInteger(Number(x['param.wide'])))).toBe(true);
    const bad = parley(dir, 'batch', file, '--runs', '1', '--sweep', 'peak=0:1:5');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/peak is a switch \(0 or 1\)[\s\S]*sweep it as peak=0:1:2/);
    const uneven = parley(dir, 'batch', file, '--runs', '1', '--sweep', 'seats=1:5:4');
    expect(uneven.code).toBe(2);
    expect(uneven.err).toMatch(/seats takes whole numbers, and this sweep gives 2\.33333[\s\S]*hint: .*seats=1:5:5/);
    expect(parley(dir, 'batch', file, '--runs', '1', '--sweep', 'seats=1:5:5', '--summary', 'k.json').code).toBe(0);
  });

  it('warns when a parameter that looks like a switch, without a kind, is sampled or swept between 0 and 1', () => {
    const dir = tmp();
    const file = kinded(dir, '  peak: {default: 0, range: [0, 1]}');
    const r = parley(dir, 'batch', file, '--runs', '1', '--sample', 'lhs:4', '--summary', 's.json');
    expect(r.code).toBe(0);
    expect(r.err).toContain('parley: warning: peak looks like a 0/1 switch (range [0, 1], default 0, no kind) and --sample draws it anywhere in [0, 1]');
    expect(parley(dir, 'batch', file, '--runs', '1', '--sweep', 'peak=0:1:2', '--summary', 's2.json').err).toBe('');
  });

  it('refuses a switch whose range is not [0, 1], with the place in the file', () => {
    const dir = tmp();
    const file = kinded(dir, '  peak: {default: 0, range: [0, 2], kind: switch}');
    const r = parley(dir, 'validate', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/kinds\.yaml:\d+:\d+.*a switch has the range \[0, 1\] and a default of 0 or 1/);
  });
});

describe('the cluster recipe', () => {
  const parallel = spawnSync('sh', ['-c', 'command -v parallel'], { encoding: 'utf8' }).status === 0;
  if (!parallel) console.warn('GNU parallel is not installed: the test of the cluster recipe is skipped (.ci/run installs it)');

  it.skipIf(!parallel)('runs the GNU parallel recipe with 4 shards on this machine, and the merge equals the whole batch', () => {
    const dir = tmp();
    // `npm link` puts a `parley` on PATH; a shim in a folder of its own does the same here.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'parley'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const batch = `parley batch ${MINI} --runs 500 --seed 20260101 --sweep push=0:1:3 --shard {}/4 --workers 1 --out rows-{}.csv --summary summary-{}.json --resume`;
    const r = spawnSync('sh', ['-c', `seq 1 4 | parallel -j 4 -S : --workdir . '${batch}' && parley merge summary-*.json --out summary.json && parley merge --rows rows-*.csv --out rows.csv`], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(parley(dir, 'batch', MINI, '--runs', '500', '--seed', '20260101', '--sweep', 'push=0:1:3', '--out', 'whole.csv', '--summary', 'whole.json').code).toBe(0);
    const body = (f: string) => read(join(dir, f)).split('\n').slice(2).join('\n');
    expect(body('rows.csv')).toBe(body('whole.csv'));
    const strip = (f: string) => {
      const { wallSeconds, runsPerSecond, workers, command, shards, contrasts, contrastsNote, ...rest } = JSON.parse(read(join(dir, f)));
      void wallSeconds, runsPerSecond, workers, command, shards, contrasts, contrastsNote;
      return rest;
    };
    expect(strip('summary.json')).toEqual(strip('whole.json'));
  });
});
