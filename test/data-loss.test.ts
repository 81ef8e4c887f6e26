// Nothing a user wrote or produced is lost: every command that writes refuses to write over its
// own inputs (compared by inode) and over files it did not make for this job, and two batches on
// one row file cannot both run. Each case here lost a file before.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, linkSync, mkdtempSync, openSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSession } from '../src/play/session.ts';
import { saveSession } from '../src/play/save.ts';
import { compile } from '../src/engine/engine.ts';
import { loadScenario } from '../src/scenario/load.ts';

const MINI = resolve('test/fixtures/mini.yaml');
const BIN = resolve('bin/parley.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'parley-loss-'));
const read = (path: string) => readFileSync(path, 'utf8');

function parley(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function refused(r: { code: number | null; err: string }, message: RegExp): void {
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
}

describe('commands never write over their own inputs', () => {
  const dir = tmp();
  copyFileSync(MINI, join(dir, 'mini.yaml'));
  linkSync(join(dir, 'mini.yaml'), join(dir, 'hard-link-to-mini.csv'));
  parley(dir, 'batch', 'mini.yaml', '--runs', '100', '--seed', '1', '--shard', '1/2', '--out', 'r1.csv', '--summary', 's1.json');
  parley(dir, 'batch', 'mini.yaml', '--runs', '100', '--seed', '1', '--shard', '2/2', '--out', 'r2.csv', '--summary', 's2.json');
  const s = saveSession(createSession(compile(loadScenario(join(dir, 'mini.yaml'))), { seed: 3 }), join(dir, 'a.session.json'));
  void s;
  const files = ['mini.yaml', 'r1.csv', 'r2.csv', 's1.json', 's2.json', 'a.session.json'];
  const snapshot = () => files.map((f) => read(join(dir, f)));
  const original = snapshot();

  it.each([
    [['merge', 's1.json', 's2.json', '--out', './s1.json'], /--out: \.\/s1\.json is also an input of this command: Parley never writes over what it reads\n {2}hint: choose another name/],
    [['merge', 's1.json', 's2.json', '--out', './s1.json', '--force'], /is also an input of this command/],
    [['merge', '--rows', 'r1.csv', 'r2.csv', '--out', './r2.csv'], /--out: \.\/r2\.csv is also an input of this command/],
    [['debrief', 'a.session.json', '--out', 'a.session.json', '--runs', '10'], /a\.session\.json is also an input of this command/],
    // The scenario the session led to (found beside it, not named on the command line) is an input too.
    [['debrief', 'a.session.json', '--out', 'mini.yaml', '--runs', '10', '--force'], /mini\.yaml is also an input of this command/],
    [['graph', 'mini.yaml', '--out', 'mini.yaml', '--force'], /mini\.yaml is also an input of this command/],
    [['graph', 'mini.yaml', '--out', 's1.json'], /s1\.json already exists\n {2}hint: add --force/],
    [['schema', '--out', 's1.json'], /s1\.json already exists/],
    [['merge', 's1.json', 's2.json', '--out', 's2.json.bak', '--rows'], /.*/],
    [['batch', 'mini.yaml', '--runs', '100', '--seed', '1', '--shard', '1/2', '--out', 'r1.csv', '--summary', 'mini.yaml', '--resume'], /--summary: mini\.yaml is also an input of this command/],
    [['batch', 'mini.yaml', '--runs', '100', '--seed', '1', '--shard', '1/2', '--out', 'r1.csv', '--summary', 's2.json', '--resume'], /s2\.json already exists\n {2}hint: it is not the summary of this batch/],
    [['batch', 'mini.yaml', '--runs', '5', '--out', 'new.csv', '--summary', './new.csv'], /--summary and --out name the same file/],
    [['batch', 'mini.yaml', '--runs', '5', '--out', 'hard-link-to-mini.csv', '--force'], /--out: hard-link-to-mini\.csv is also an input of this command \(mini\.yaml\)/],
    [['batch', 'mini.yaml', '--runs', '5', '--out', 'r1.csv', '--resume', '--force'], /give --resume .* or --force .*, not both/],
  ] as [string[], RegExp][])('%j is refused (exit 2), every file kept', (args, message) => {
    const r = parley(dir, ...args);
    if (args.includes('s2.json.bak')) {
      // A .bak name for row files is not CSV or JSONL: refused for that reason, nothing written.
      expect(r.code).toBe(2);
    } else refused(r, message);
    expect(snapshot()).toEqual(original);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock') || f.startsWith('.'))).toEqual([]);
  });

  it('a merge may be run again over its own earlier output, never over another file', () => {
    const work = tmp();
    for (const f of ['mini.yaml', 'r1.csv', 'r2.csv', 's1.json', 's2.json']) copyFileSync(join(dir, f), join(work, f));
    for (let i = 0; i < 2; i++) {
      expect(parley(work, 'merge', 's1.json', 's2.json', '--out', 'all.json').code).toBe(0);
      expect(parley(work, 'merge', '--rows', 'r1.csv', 'r2.csv', '--out', 'all.csv').code).toBe(0);
    }
    writeFileSync(join(work, 'notes.json'), '{"mine": true}\n');
    refused(parley(work, 'merge', 's1.json', 's2.json', '--out', 'notes.json'), /--out: notes\.json already exists\n {2}hint: add --force to replace it/);
    expect(read(join(work, 'notes.json'))).toBe('{"mine": true}\n');
    // A summary of one shard is not the merged summary: kept too.
    refused(parley(work, 'merge', 's1.json', 's2.json', '--out', 'all.json', '--force', '--rows'), /.+/);
  });

  it('a resumed batch rewrites its own summary, and --force replaces another file', () => {
    const work = tmp();
    copyFileSync(MINI, join(work, 'mini.yaml'));
    const args = ['batch', 'mini.yaml', '--runs', '300', '--seed', '4', '--out', 'r.csv', '--summary', 's.json'];
    expect(parley(work, ...args).code).toBe(0);
    const whole = read(join(work, 's.json'));
    expect(parley(work, ...args, '--resume').code).toBe(0);
    expect(JSON.parse(read(join(work, 's.json'))).runs).toBe(JSON.parse(whole).runs);
    writeFileSync(join(work, 'notes.json'), '{"mine": true}\n');
    refused(parley(work, ...args.slice(0, -1), 'notes.json', '--resume'), /notes\.json already exists/);
    expect(read(join(work, 'notes.json'))).toBe('{"mine": true}\n');
    // --force starts the batch again over its rows and replaces the summary.
    const r = parley(work, ...args.slice(0, -1), 'notes.json', '--force');
    expect(r.code).toBe(0);
    expect(JSON.parse(read(join(work, 'notes.json')))).toHaveProperty('format', 'parley-batch-summary');
  });
});

describe('one batch per row file', () => {
  it('two resumes of the same batch started together: one runs, the other is refused; the rows are exact', async () => {
    const dir = tmp();
    const args = [BIN, 'batch', 'petro-trump', '--runs', '10000', '--seed', '9', '--workers', '1', '--out', 'rows.csv'];
    // The batch as it should be, in one piece.
    const whole = tmp();
    expect(spawnSync(process.execPath, args, { cwd: whole, stdio: 'ignore' }).status).toBe(0);
    // Start it, stop it part way, then resume it twice at once (a requeued task whose old one still runs).
    const first = spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 700));
    first.kill('SIGKILL');
    await new Promise((r) => first.on('exit', r));
    // The killed batch left its lock; its process is gone, so the lock is stale and is taken over.
    const both = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ code: number | null; err: string }>((done) => {
            const child = spawn(process.execPath, [...args, '--resume'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('exit', (code) => done({ code, err }));
          }),
      ),
    );
    const codes = both.map((b) => b.code).sort();
    expect(codes, both.map((b) => b.err).join('\n')).toEqual([0, 2]);
    expect(both.find((b) => b.code === 2)!.err).toMatch(/rows\.csv is being written by process \d+ on .*: two batches on one file would mix their rows\n {2}hint: wait for it to finish/);
    expect(read(join(dir, 'rows.csv'))).toBe(read(join(whole, 'rows.csv')));
    expect(existsSync(join(dir, 'rows.csv.lock'))).toBe(false);
  }, 120_000);
});

describe('play --save', () => {
  it('refuses an existing file (another session) before the screen opens', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'theirs.session.json'), '{"theirs": true}\n');
    // A pseudo-terminal, so that play is interactive.
    const driver = String.raw`
import os, pty, sys, json
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data: break
    out += data
_, st = os.waitpid(pid, 0)
print(json.dumps({'exit': os.waitstatus_to_exitcode(st), 'out': out.decode('utf-8', 'replace')}))
`;
    const r = spawnSync('python3', ['-c', driver, process.execPath, BIN, 'play', MINI, '--seed', '1', '--save', 'theirs.session.json'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    const { exit, out } = JSON.parse(r.stdout) as { exit: number; out: string };
    expect(out).toMatch(/theirs\.session\.json already exists\r?\n {2}hint: another session may be saved there: it is never replaced/);
    expect(exit).toBe(2);
    expect(read(join(dir, 'theirs.session.json'))).toBe('{"theirs": true}\n');
  });
});

/** A 256 KiB file system (root only, where mount is allowed); null elsewhere. */
function tinyDisk(): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = tmp();
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]).status === 0 ? dir : null;
}

describe('a full disk', () => {
  const disk = tinyDisk();
  it.runIf(disk !== null)('stops a batch with a message and a resume command; the rows written stay resumable; nothing half-made is left', () => {
    const dir = disk!;
    try {
      const r = parley(dir, 'batch', MINI, '--runs', '20000', '--seed', '1', '--out', 'rows.csv', '--summary', 's.json');
      refused(r, /--out: cannot write rows\.csv: no space left on the device; rows\.csv keeps the rows written so far\n {2}hint: make room, then finish the batch with: parley batch .* --out rows\.csv --summary s\.json --resume/);
      expect(readdirSync(dir).sort()).toEqual(['rows.csv']);
      // A new file that cannot even take its header is removed again.
      refused(parley(dir, 'batch', MINI, '--runs', '5', '--out', 'other.csv'), /cannot write other\.csv: no space left on the device\n {2}hint: free some space/);
      refused(parley(dir, 'schema', '--out', 'schema.json'), /cannot write schema\.json: no space left on the device/);
      expect(readdirSync(dir).sort()).toEqual(['rows.csv']);
      // Room again: the batch finishes from where it stopped, as if it had never stopped.
      const partial = read(join(dir, 'rows.csv'));
      const whole = tmp();
      expect(parley(whole, 'batch', MINI, '--runs', '20000', '--seed', '1', '--out', 'rows.csv', '--summary', 's.json').code).toBe(0);
      expect(read(join(whole, 'rows.csv')).startsWith(partial.slice(0, partial.lastIndexOf('\n') + 1))).toBe(true);
    } finally {
      spawnSync('umount', [dir]);
    }
  });
});

describe('what the review of the writer found', () => {
  it('--out /dev/stdout appends to a file the shell opened with >>', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'log.txt'), 'IMPORTANT\n');
    const fd = openSync(join(dir, 'log.txt'), 'a');
    const r = spawnSync(process.execPath, [BIN, 'schema', 'exercise', '--out', '/dev/stdout'], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    expect(r.status).toBe(0);
    expect(read(join(dir, 'log.txt'))).toMatch(/^IMPORTANT\n\{/);
  });

  it('batch --force starts a new file: a hard link to the old one keeps the old rows', () => {
    const dir = tmp();
    expect(parley(dir, 'batch', MINI, '--runs', '50', '--seed', '1', '--out', 'rows.csv').code).toBe(0);
    linkSync(join(dir, 'rows.csv'), join(dir, 'backup.csv'));
    const old = read(join(dir, 'backup.csv'));
    expect(parley(dir, 'batch', MINI, '--runs', '5', '--seed', '1', '--out', 'rows.csv', '--force').code).toBe(0);
    expect(read(join(dir, 'backup.csv'))).toBe(old);
    expect(read(join(dir, 'rows.csv')).trimEnd().split('\n')).toHaveLength(2 + 5);
  });

  it('merge does not take a whole batch\'s own output for an earlier merge', () => {
    const dir = tmp();
    for (const k of ['1', '2']) expect(parley(dir, 'batch', MINI, '--runs', '40', '--seed', '9', '--shard', `${k}/2`, '--out', `r${k}.csv`, '--summary', `s${k}.json`).code).toBe(0);
    expect(parley(dir, 'batch', MINI, '--runs', '40', '--seed', '9', '--out', 'full.csv', '--summary', 'full.json').code).toBe(0);
    const before = [read(join(dir, 'full.json')), read(join(dir, 'full.csv'))];
    refused(parley(dir, 'merge', 's1.json', 's2.json', '--out', 'full.json'), /full\.json already exists/);
    refused(parley(dir, 'merge', '--rows', 'r1.csv', 'r2.csv', '--out', 'full.csv'), /full\.csv already exists/);
    expect([read(join(dir, 'full.json')), read(join(dir, 'full.csv'))]).toEqual(before);
  });

  it('a FIFO as --out gets the rows and no error at the end', () => {
    const dir = tmp();
    spawnSync('mkfifo', [join(dir, 'fifo.csv')]);
    const r = spawnSync('sh', ['-c', `cat fifo.csv > got.csv & ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} batch ${JSON.stringify(MINI)} --runs 20 --seed 1 --out fifo.csv --summary s.json; echo "rc=$?"; wait`], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toContain('rc=0');
    expect(r.stderr).toBe('');
    expect(read(join(dir, 'got.csv')).trimEnd().split('\n')).toHaveLength(22);
  });

  it('a replaced file keeps its permissions; a link that leads nowhere is kept without --force', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'g.mmd'), 'old\n', { mode: 0o600 });
    expect(parley(dir, 'graph', MINI, '--out', 'g.mmd', '--force').code).toBe(0);
    expect(statSync(join(dir, 'g.mmd')).mode & 0o777).toBe(0o600);
    symlinkSync(join(dir, 'nowhere.mmd'), join(dir, 'dangling.mmd'));
    refused(parley(dir, 'graph', MINI, '--out', 'dangling.mmd'), /dangling\.mmd is a link to a file that does not exist\n {2}hint: add --force to replace the link/);
  });

  it('an interrupted row merge leaves no temporary file', async () => {
    const dir = tmp();
    // Two big shards (a merge of them takes a while), then Ctrl-C in the middle of the merge.
    for (const k of ['1', '2']) expect(parley(dir, 'batch', MINI, '--runs', '150000', '--seed', '2', '--shard', `${k}/2`, '--out', `r${k}.csv`, '--workers', '2').code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'merge', '--rows', 'r1.csv', 'r2.csv', '--out', 'all.csv'], { cwd: dir, stdio: 'ignore' });
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (readdirSync(dir).some((f) => f.endsWith('.tmp'))) {
          clearInterval(poll);
          child.kill('SIGINT');
          done();
        }
      }, 20);
    });
    const code = await new Promise((r) => child.on('exit', (c, s) => r(c ?? s)));
    expect(code).toBe(130);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
