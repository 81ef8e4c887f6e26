import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Interrupts } from '../src/cli/batch.ts';

const MINI = resolve('test/fixtures/mini.yaml');
const BIN = resolve('bin/parley.js');

function parley(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'parley-batch-'));
const read = (path: string) => readFileSync(path, 'utf8');
const body = (path: string) => read(path).split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('{"format"')).join('\n');
const json = (path: string) => JSON.parse(read(path)) as Record<string, unknown>;
/**
 * The statistics of a summary, without timing and provenance of the command, and without the
 * paired contrasts, which only a whole batch counts (a merge says so in `contrastsNote`).
 */
const stats = (s: Record<string, unknown>) => {
  const { wallSeconds, runsPerSecond, workers, command, shards, contrasts, contrastsNote, ...rest } = s;
  void wallSeconds, runsPerSecond, workers, command, shards, contrasts, contrastsNote;
  return rest;
};

/** Runs the same batch in a fresh folder (same relative paths, so headers match). */
function batchIn(args: string[]) {
  const dir = tmp();
  const r = parley(dir, 'batch', MINI, ...args);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return dir;
}

describe('parley batch: determinism', () => {
  it('writes byte-identical rows and equal statistics with 1 and 2 workers', () => {
    const args = ['--runs', '3000', '--seed', '42', '--sweep', 'push=0:1:3', '--out', 'rows.csv', '--summary', 'summary.json'];
    const one = batchIn([...args, '--workers', '1']);
    const two = batchIn([...args, '--workers', '2']);
    expect(read(join(two, 'rows.csv'))).toBe(read(join(one, 'rows.csv')));
    expect(stats(json(join(two, 'summary.json')))).toEqual(stats(json(join(one, 'summary.json'))));
    const lines = read(join(one, 'rows.csv')).trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 9000);
    expect(lines.slice(2).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: 9000 }, (_, i) => i));
  });

  it('writes JSONL the same way, with a provenance header first', () => {
    const args = ['--runs', '1500', '--seed', '5', '--out', 'rows.jsonl', '--summary', 's.json'];
    const one = batchIn([...args, '--workers', '1']);
    const two = batchIn([...args, '--workers', '2']);
    const text = read(join(one, 'rows.jsonl'));
    expect(read(join(two, 'rows.jsonl'))).toBe(text);
    const [header, first] = text.split('\n').slice(0, 2).map((l) => JSON.parse(l));
    expect(header).toMatchObject({ format: 'parley-batch-rows', parley: expect.any(String), scenario: { id: 'mini', hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(header.command).toEqual(['parley', 'batch', MINI, '--runs', '1500', '--seed', '5', '--policy', 'default', '--out', 'rows.jsonl', '--summary', 's.json']);
    expect(header.design).toMatchObject({ seed: 5, runsPerPoint: 1500, points: 1, runs: 1500, shard: null });
    expect(Object.keys(first)).toEqual(['run', 'point', 'replicate', 'seed', 'params', 'policy', 'outcome', 'checkpoints', 'tensions', 'steps', 'goldstein', 'branch']);
    expect(first.branch).toBe(`mini:${first.seed}:default`);
  });

  it('gives a summary with outcomes keyed by id (count, proportion, Wilson ci95), per point and overall, on stdout by default', () => {
    const dir = tmp();
    const r = parley(dir, 'batch', MINI, '--runs', '400', '--seed', '1', '--sweep', 'push=0:1:2');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const s = JSON.parse(r.out);
    expect(Object.keys(s.outcomes)).toEqual(['crisis', 'deal', 'muddle']);
    let total = 0;
    for (const o of Object.values(s.outcomes) as { count: number; proportion: number; ci95: [number, number] }[]) {
      total += o.count;
      expect(o.proportion).toBeCloseTo(o.count / 800, 9);
      expect(o.ci95[0]).toBeLessThanOrEqual(o.proportion);
      expect(o.ci95[1]).toBeGreaterThanOrEqual(o.proportion);
    }
    expect(total).toBe(800);
    expect(s.points).toHaveLength(2);
    expect(s.points.map((p: { params: unknown }) => p.params)).toEqual([{ push: 0 }, { push: 1 }]);
    expect(s.tensions.HOST).toMatchObject({ mean: expect.any(Number), ci95: [expect.any(Number), expect.any(Number)] });
    // The talks checkpoint judges every run: its outcomes are keyed like the final ones and count all 800.
    const talks = s.checkpoints.talks as Record<string, { count: number; proportion: number }>;
    expect(Object.keys(talks)).toEqual(['crisis', 'deal', 'muddle']);
    expect(Object.values(talks).reduce((sum, o) => sum + o.count, 0)).toBe(800);
    expect(s).toMatchObject({ runs: 800, expected: 800, complete: true, wallSeconds: expect.any(Number), runsPerSecond: expect.any(Number) });
  });
});

describe('parley batch: shards and merge', () => {
  it('merges shard summaries and shard rows into exactly the unsharded result', () => {
    const args = ['--runs', '700', '--seed', '9', '--sweep', 'push=0:1:3'];
    const whole = batchIn([...args, '--out', 'rows.csv', '--summary', 'summary.json']);
    const dir = tmp();
    for (const k of [1, 2, 3]) expect(parley(dir, 'batch', MINI, ...args, '--shard', `${k}/3`, '--out', `r${k}.csv`, '--summary', `s${k}.json`).code).toBe(0);
    const m1 = parley(dir, 'merge', 's3.json', 's1.json', 's2.json', '--out', 'merged.json');
    expect(m1.err).toBe('');
    expect(m1.code).toBe(0);
    // A special file needs no .json name (standard output redirected to a file, as `> m.txt` does).
    const fd = openSync(join(dir, 'stdout.txt'), 'w');
    const toStdout = spawnSync(process.execPath, [BIN, 'merge', 's1.json', 's2.json', 's3.json', '--out', '/dev/stdout'], { cwd: dir, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    closeSync(fd);
    expect(toStdout.stderr).toBe('');
    expect(toStdout.status).toBe(0);
    expect((json(join(dir, 'stdout.txt')) as { runs: number }).runs).toBe(2100);
    const m2 = parley(dir, 'merge', '--rows', 'r2.csv', 'r3.csv', 'r1.csv', '--out', 'merged.csv');
    expect(m2.err).toBe('');
    expect(m2.code).toBe(0);
    expect(body(join(dir, 'merged.csv'))).toBe(body(join(whole, 'rows.csv')));
    const merged = json(join(dir, 'merged.json'));
    expect(stats(merged)).toEqual(stats(json(join(whole, 'summary.json'))));
    expect((merged.shards as { file: string; shard: string }[]).map((s) => [s.file, s.shard])).toEqual([['s1.json', '1/3'], ['s2.json', '2/3'], ['s3.json', '3/3']]);
    const header = JSON.parse(read(join(dir, 'merged.csv')).split('\n')[0]!.slice(2));
    expect(header.design).toEqual(JSON.parse(read(join(whole, 'rows.csv')).split('\n')[0]!.slice(2)).design);
  });

  it('refuses overlapping, missing, incomplete or foreign inputs, and writes nothing', () => {
    const dir = tmp();
    const args = ['--runs', '300', '--seed', '2'];
    for (const k of [1, 2]) parley(dir, 'batch', MINI, ...args, '--shard', `${k}/2`, '--out', `r${k}.csv`, '--summary', `s${k}.json`);
    parley(dir, 'batch', MINI, '--runs', '300', '--seed', '3', '--shard', '2/2', '--out', 'other.csv', '--summary', 'other.json');
    writeFileSync(join(dir, 'notes.csv'), 'a,b\n1,2\n');
    copyFileSync(join(dir, 'r2.csv'), join(dir, 'cut.csv'));
    truncateSync(join(dir, 'cut.csv'), statSync(join(dir, 'cut.csv')).size - 500);
    const cases: [string[], RegExp][] = [
      [['merge', '--rows', 'r1.csv', 'r1.csv', '--out', 'm.csv'], /overlaps/],
      [['merge', '--rows', 'r2.csv', '--out', 'm.csv'], /runs 0–149 are missing/],
      [['merge', '--rows', 'r1.csv', 'cut.csv', '--out', 'm.csv'], /cut\.csv holds runs 150–\d+ of its shard's 150–299/],
      // The shard is finished where it is now, not where its header says it was written.
      [['merge', '--rows', 'r1.csv', 'cut.csv', '--out', 'm.csv'], /finish it first: parley batch \S+ --runs 300 .*--out cut\.csv .*--resume\n/],
      [['merge', 's1.json', 's2.json', '--out', 'm.csv'], /m\.csv: a merged summary is JSON, so its name must end in \.json/],
      [['merge', '--rows', 'r1.csv', 'notes.csv', '--out', 'm.csv'], /notes\.csv: not a Parley row file/],
      [['merge', '--rows', 'r1.csv', 'other.csv', '--out', 'm.csv'], /other\.csv is not a shard of the same batch as r1\.csv: --seed: the first has \d+, this one 3/],
      [['merge', '--rows', 'r1.csv', 'r2.csv', '--out', 'm.jsonl'], /r1\.csv holds CSV rows; --out m\.jsonl asks for JSONL/],
      [['merge', 's1.json', 's1.json', '--out', 'm.json'], /overlaps/],
      [['merge', 's1.json', 'other.json', '--out', 'm.json'], /not a shard of the same batch/],
      [['merge', 's1.json', 'r2.csv', '--out', 'm.json'], /r2\.csv: not a Parley batch summary/],
      [['merge', 's1.json', 's2.json', '--out', 'nowhere/m.json'], /cannot write nowhere\/m\.json: its folder does not exist/],
    ];
    for (const [argv, message] of cases) {
      const r = parley(dir, ...argv);
      expect(r.err, argv.join(' ')).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
      expect(existsSync(join(dir, 'm.csv')) || existsSync(join(dir, 'm.json')) || existsSync(join(dir, 'm.jsonl'))).toBe(false);
    }
  });
});

describe('parley batch: from a branch', () => {
  it('takes a code that ends in a reroll as its branch point: the runs share what comes before it', () => {
    const dir = batchIn(['--runs', '40', '--seed', '3', '--branch', 'mini:5:default:1=praise+warm,3@77', '--out', 'rows.jsonl']);
    const rows = read(join(dir, 'rows.jsonl')).trimEnd().split('\n').slice(1).map((l) => JSON.parse(l) as { seed: number; branch: string; outcome: string; steps: number });
    rows.forEach((row) => expect(row.branch).toBe(`mini:5:default:1=praise+warm,3@${row.seed}`));
    for (const row of rows.slice(0, 5)) {
      const replay = parley(dir, 'run', MINI, '--branch', row.branch, '--json');
      expect(replay.code).toBe(0);
      expect((JSON.parse(replay.out) as { outcome: { id: string } }).outcome.id).toBe(row.outcome);
    }
  });
});

describe('parley batch: interruption and --resume', () => {
  it('finishes a file cut in the middle of a line into the bytes of an uninterrupted run', () => {
    const args = ['--runs', '2000', '--seed', '11', '--sweep', 'push=0:1:2', '--out', 'rows.csv', '--summary', 'summary.json'];
    const whole = batchIn(args);
    for (const [format, cut] of [['csv', 0.37], ['jsonl', 0.81]] as const) {
      const fmtArgs = args.map((a) => (a === 'rows.csv' ? `rows.${format}` : a));
      const ref = format === 'csv' ? whole : batchIn(fmtArgs);
      const dir = tmp();
      copyFileSync(join(ref, `rows.${format}`), join(dir, `rows.${format}`));
      const size = statSync(join(dir, `rows.${format}`)).size;
      truncateSync(join(dir, `rows.${format}`), Math.floor(size * cut) + 3);
      const r = parley(dir, 'batch', MINI, ...fmtArgs, '--resume', '--workers', '2');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(read(join(dir, `rows.${format}`))).toBe(read(join(ref, `rows.${format}`)));
      expect(stats(json(join(dir, 'summary.json')))).toEqual(stats(json(join(ref, 'summary.json'))));
    }
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('stops cleanly on %s with a valid partial file and the command to resume, which finishes it exactly', async (signal, status) => {
    const args = ['--runs', '40000', '--seed', '4', '--out', 'rows.csv', '--summary', 'summary.json'];
    const dir = tmp();
    const child = spawn(process.execPath, [BIN, 'batch', MINI, ...args, '--workers', '1'], { cwd: dir });
    const closed = new Promise<number | null>((r) => child.on('close', r));
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const rows = join(dir, 'rows.csv');
    const deadline = Date.now() + 20_000;
    while (!(existsSync(rows) && statSync(rows).size > 20_000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill(signal);
    const code = await closed;
    expect(code).toBe(status);
    expect(err).toMatch(new RegExp(`^parley: interrupted \\(${signal}\\) after [\\d,]+ of 40,000 runs; rows\\.csv holds them, in order\\.\\nTo finish the batch, run:\\n  parley batch .* --resume\\n$`));
    const text = read(rows);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').slice(2);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(40_000);
    lines.forEach((l, i) => expect(l.startsWith(`${i},`)).toBe(true));
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);
    const wrong = parley(dir, 'batch', MINI, ...args.map((a) => (a === '40000' ? '4000' : a)), '--resume');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('--runs: the file has 40000, this command 4000');
    expect(read(rows)).toBe(text);
    const resumed = parley(dir, 'batch', MINI, ...args, '--resume', '--workers', '2');
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    const whole = batchIn(args);
    expect(read(rows)).toBe(read(join(whole, 'rows.csv')));
    expect(stats(json(join(dir, 'summary.json')))).toEqual(stats(json(join(whole, 'summary.json'))));
  }, 60_000);

  it('takes a stop that arrives twice at once (as `timeout` sends it to the process and its group) as one stop', () => {
    const interrupts = new Interrupts();
    expect(interrupts.receive('SIGTERM', 10_000)).toBe('stop');
    expect(interrupts.receive('SIGTERM', 10_001)).toBe('same');
    expect(interrupts.receive('SIGINT', 10_900)).toBe('same');
    expect(interrupts.signal).toBe('SIGTERM');
    // A second Ctrl-C, later, quits at once.
    expect(interrupts.receive('SIGINT', 11_000)).toBe('quit');
  });

  it('refuses to resume after the scenario file changed, and says what would finish the batch', () => {
    const dir = tmp();
    const scenario = join(dir, 'mini.yaml');
    copyFileSync(MINI, scenario);
    const args = ['batch', 'mini.yaml', '--runs', '50', '--seed', '1', '--out', 'rows.csv'];
    expect(parley(dir, ...args).code).toBe(0);
    writeFileSync(scenario, read(scenario).replace(/initial: 40/, 'initial: 41'));
    const rows = read(join(dir, 'rows.csv'));
    const r = parley(dir, ...args, '--resume');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/rows\.csv is not this batch's output:\n  - scenario mini has changed since the batch started/);
    expect(r.err).toContain('hint: restore the scenario file (and Parley) the batch started with to finish it, or start a new batch with another --out');
    expect(read(join(dir, 'rows.csv'))).toBe(rows);
  });

  it('records a picked seed so that --resume without --seed continues the same batch', () => {
    const dir = tmp();
    const first = parley(dir, 'batch', MINI, '--runs', '600', '--out', 'rows.jsonl', '--summary', 's.json');
    expect(first.code).toBe(0);
    const header = JSON.parse(read(join(dir, 'rows.jsonl')).split('\n')[0]!);
    const seed = header.design.seed as number;
    expect(header.command).toContain(String(seed));
    const full = read(join(dir, 'rows.jsonl'));
    truncateSync(join(dir, 'rows.jsonl'), Math.floor(full.length / 2));
    expect(parley(dir, 'batch', MINI, '--runs', '600', '--out', 'rows.jsonl', '--summary', 's.json', '--resume').code).toBe(0);
    expect(read(join(dir, 'rows.jsonl'))).toBe(full);
  });
});

describe('parley batch: bad input', () => {
  const dir = tmp();
  parley(dir, 'batch', MINI, '--runs', '200', '--seed', '1', '--out', 'existing.csv', '--summary', 'existing.json');
  writeFileSync(join(dir, 'foreign.csv'), 'id,value\n1,2\n');
  mkdirSync(join(dir, 'folder.csv'));
  const before = () => [read(join(dir, 'existing.csv')), read(join(dir, 'existing.json')), read(join(dir, 'foreign.csv'))];
  const original = before();

  it.each([
    [['--runs', '0'], /--runs: the number of runs must be a whole number of at least 1, not `0`/],
    [['--runs', '-3'], /not `-3`/],
    [['--runs', '2.5'], /not `2\.5`/],
    [[], /--runs is required/],
    [['--runs', '5', '--set', 'nope=1'], /--set: unknown parameter `nope`\n  hint: valid parameters of mini: push \[0, 1\]/],
    [['--runs', '5', '--set', 'push=3'], /push = 3 is outside the declared range of push, \[0, 1\]/],
    [['--runs', '5', '--sweep', 'push=0:1'], /--sweep: expected NAME=FROM:TO:STEPS/],
    [['--runs', '5', '--sweep', 'push=0:9:3'], /TO 9 is outside the declared range/],
    [['--runs', '5', '--sample', 'lhs:x'], /--sample: expected lhs:K/],
    [['--runs', '5', '--shard', '3/2'], /--shard: `3\/2`: K must be from 1 to N \(2\)/],
    [['--runs', '5', '--policy', 'nope'], /unknown policy `nope`/],
    [['--runs', '5', '--workers', '0'], /--workers: the number of workers must be a whole number/],
    [['--runs', '5', '--branch', 'mini:1:default:99=praise'], /--branch: the branch code does not replay/],
    [['--runs', '5', '--branch', 'other:1:default'], /the branch code is for scenario `other`, not `mini`/],
    [['--runs', '5', '--out', 'rows.txt'], /--out: rows\.txt: the file name must end in \.csv or \.jsonl/],
    [['--runs', '5', '--out', 'missing/rows.csv'], /cannot write missing\/rows\.csv: its folder does not exist/],
    [['--runs', '5', '--out', 'folder.csv'], /cannot write folder\.csv: it is a folder/],
    [['--runs', '5', '--summary', 'missing/s.json'], /cannot write missing\/s\.json: its folder does not exist/],
    [['--runs', '5', '--out', 'existing.csv'], /existing\.csv already exists\n  hint: add --resume/],
    [['--runs', '5', '--summary', 'existing.json'], /--summary: existing\.json already exists\n  hint: add --force to replace it, or choose another name/],
    // --resume with no rows to resume starts a new batch, which must not replace another's summary.
    [['--runs', '5', '--out', 'fresh.csv', '--summary', 'existing.json', '--resume'], /--summary: existing\.json already exists/],
    [['--runs', '5', '--branch', 'mini:1:default:99@5'], /--branch: the branch code does not replay: the run ended after step \d+, before the move at step 99/],
    [['--runs', '5', '--resume'], /--resume needs --out FILE/],
    [['--runs', '300', '--seed', '1', '--out', 'existing.csv', '--resume'], /existing\.csv is not this batch's output:\n  - --runs: the file has 200, this command 300/],
    [['--runs', '200', '--seed', '2', '--out', 'existing.csv', '--resume'], /--seed: the file has 1, this command 2/],
    [['--runs', '200', '--seed', '1', '--out', 'foreign.csv', '--resume'], /foreign\.csv: not a Parley row file/],
  ] as [string[], RegExp][])('%j: a clear message, exit 2, no stack, no file touched', (args, message) => {
    const r = parley(dir, 'batch', MINI, ...args);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
    expect(before()).toEqual(original);
    expect(existsSync(join(dir, 'rows.csv')) || existsSync(join(dir, 'rows.txt')) || existsSync(join(dir, 'missing'))).toBe(false);
  });
});
