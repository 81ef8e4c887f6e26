import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, linkSync, openSync, realpathSync, rmSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutput, identityOf, isSpecialFile, OutputFile, writeFresh, writeOutput } from '../src/io/output.ts';
import { acquireLock, lockPath } from '../src/io/lock.ts';
import { isParleyInputError } from '../src/scenario/errors.ts';

const BIN = new URL('../bin/parley.js', import.meta.url).pathname;
const fresh = () => mkdtempSync(join(tmpdir(), 'parley-out-'));
const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

function inputError(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (!isParleyInputError(error)) throw error;
    return error.message;
  }
  throw new Error('expected an input error');
}

describe('writing output files', () => {
  it('creates a new file whole, and refuses to replace an existing one without leave', () => {
    const dir = fresh();
    const file = join(dir, 'summary.json');
    writeOutput(file, 'one\n', { flag: '--summary' });
    expect(inputError(() => writeOutput(file, 'two\n', { flag: '--summary' }))).toMatch(/summary\.json already exists\n {2}hint: add --force/);
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    writeOutput(file, 'two\n', { flag: '--summary', replace: true });
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(temps(dir)).toEqual([]);
  });

  it('replaces its own file (by identity) and no other put there since', () => {
    const dir = fresh();
    const file = join(dir, 's.session.json');
    const mine = writeOutput(file, 'v1\n', { flag: 'save' });
    const again = writeOutput(file, 'v2\n', { flag: 'save', replace: mine });
    expect(readFileSync(file, 'utf8')).toBe('v2\n');
    // Another program replaces the file: this session's next save must not destroy it.
    writeFileSync(join(dir, 'other'), 'theirs\n');
    spawnSync('mv', [join(dir, 'other'), file]);
    expect(inputError(() => writeOutput(file, 'v3\n', { flag: 'save', replace: again }))).toMatch(/was replaced by another program/);
    expect(readFileSync(file, 'utf8')).toBe('theirs\n');
  });

  it('never writes over an input, compared by inode: ./x, x, a hard link and a symbolic link are one file', () => {
    const dir = fresh();
    const input = join(dir, 'mini.yaml');
    writeFileSync(input, 'title: x\n');
    linkSync(input, join(dir, 'hard.yaml'));
    symlinkSync(input, join(dir, 'soft.yaml'));
    for (const out of [input, `${dir}/./mini.yaml`, join(dir, 'hard.yaml'), join(dir, 'soft.yaml')]) {
      expect(inputError(() => writeOutput(out, 'summary\n', { flag: '--summary', inputs: [input], replace: true }))).toMatch(/is also an input of this command/);
    }
    expect(readFileSync(input, 'utf8')).toBe('title: x\n');
  });

  it('writes a device such as /dev/null in place instead of renaming a file over it', () => {
    expect(isSpecialFile('/dev/null')).toBe(true);
    writeOutput('/dev/null', 'discarded\n', { flag: '--summary' });
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('writes /dev/stdout in place, even when the shell redirected it to a file', () => {
    const dir = fresh();
    const target = join(dir, 'redirected.json');
    const fd = openSync(target, 'w');
    const r = spawnSync(process.execPath, [BIN, 'schema', 'exercise', '--out', '/dev/stdout'], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(target, 'utf8'))).toHaveProperty('$schema');
    expect(readdirSync(dir)).toEqual(['redirected.json']);
  });

  it('does not follow a planted symbolic link at a temporary name, and leaves no temporary file', () => {
    const dir = fresh();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    // The names older versions used (`<out>.<pid>.tmp`) and any guessable one lead nowhere now.
    symlinkSync(victim, join(dir, `out.json.${process.pid}.tmp`));
    writeOutput(join(dir, 'out.json'), 'data\n', { flag: '--out' });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(join(dir, 'out.json'), 'utf8')).toBe('data\n');
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a full device is a message with a hint, not a stack', () => {
    expect(inputError(() => writeOutput('/dev/full', 'x'.repeat(100_000), { flag: '--save' }))).toMatch(/cannot write \/dev\/full: no space left on the device\n {2}hint: free some space/);
  });

  it('an output that fails half way leaves the target as it was and no temporary file', () => {
    const dir = fresh();
    const file = join(dir, 'rows.csv');
    writeFileSync(file, 'old\n');
    const out = OutputFile.open(file, { flag: '--out', replace: true });
    out.write('half of it');
    out.abort();
    expect(readFileSync(file, 'utf8')).toBe('old\n');
    expect(temps(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['rows.csv']);
  });

  it('checks a folder, a missing folder and an existing file before anything is created', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'sub'));
    expect(inputError(() => checkOutput(join(dir, 'sub'), { flag: '--out' }))).toMatch(/it is a folder/);
    expect(inputError(() => checkOutput(join(dir, 'nowhere', 'x.json'), { flag: '--out' }))).toMatch(/its folder does not exist/);
    rmdirSync(join(dir, 'sub'));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a file another program creates while Parley writes is kept: the second writer fails, nothing is replaced', () => {
    const dir = fresh();
    const file = join(dir, 'parley-mini-1.session.json');
    const out = OutputFile.open(file, { flag: 'save' });
    out.write('mine\n');
    writeFileSync(file, 'another session\n');
    expect(inputError(() => out.commit())).toMatch(/was created by another program while Parley was writing it/);
    expect(readFileSync(file, 'utf8')).toBe('another session\n');
    expect(temps(dir)).toEqual([]);
  });

  it('writeFresh takes the next name when the first is taken', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.md'), 'theirs\n');
    const { path, identity } = writeFresh((n) => join(dir, n === 1 ? 'a.md' : `a-${n}.md`), 'mine\n', 'export');
    expect(path).toBe(join(dir, 'a-2.md'));
    expect(identity).toEqual(identityOf(path));
    expect(readFileSync(join(dir, 'a.md'), 'utf8')).toBe('theirs\n');
  });

  it('keeps a link that is not under /dev as an existing file: replaced only with leave', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'target.json'), 'old\n');
    symlinkSync(join(dir, 'target.json'), join(dir, 'link.json'));
    expect(isSpecialFile(join(dir, 'link.json'))).toBe(false);
    expect(inputError(() => writeOutput(join(dir, 'link.json'), 'new\n', { flag: '--out' }))).toMatch(/already exists/);
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
  });
});

describe('the batch lock', () => {
  const record = (pid: number) => JSON.stringify({ parley: 'lock', host: hostname(), boot: null, pid, start: null, token: 'x', since: '2026-01-01T00:00:00Z', command: 'parley batch mini --out rows.csv' });

  it('refuses while its holder runs, naming it; is removed on release, and only its own', () => {
    const dir = fresh();
    const out = join(dir, 'rows.csv');
    // The holder: a process that runs (this one's parent).
    writeFileSync(`${out}.lock`, record(process.ppid));
    expect(inputError(() => acquireLock(out, '--out', 'c', 'now'))).toMatch(new RegExp(`rows\\.csv is being written by process ${process.ppid} on .* since 2026-01-01T00:00:00Z \\(parley batch mini --out rows\\.csv\\): two batches on one file would mix their rows\\n {2}hint: wait for it to finish; if it is no longer running, remove .*rows\\.csv\\.lock`));
    writeFileSync(`${out}.lock`, '');
    expect(inputError(() => acquireLock(out, '--out', 'c', 'now'))).toMatch(/is being written by another process \(.*rows\.csv\.lock is not a readable lock\)/);
    rmSync(`${out}.lock`);
    const lock = acquireLock(out, '--out', 'parley batch …', 'now');
    expect(JSON.parse(readFileSync(`${out}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, command: 'parley batch …' });
    lock.release();
    expect(existsSync(`${out}.lock`)).toBe(false);
    // A file put at the lock's name after release is not removed by a second release.
    writeFileSync(`${out}.lock`, 'not mine\n');
    lock.release();
    expect(readFileSync(`${out}.lock`, 'utf8')).toBe('not mine\n');
  });

  it('takes over a lock whose process is gone, or whose pid is now this process (a restarted container)', () => {
    const dir = fresh();
    const out = join(dir, 'rows.csv');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (const pid of [dead, process.pid]) {
      writeFileSync(`${out}.lock`, record(pid));
      const lock = acquireLock(out, '--out', 'c', 'now');
      expect(JSON.parse(readFileSync(`${out}.lock`, 'utf8')).token).not.toBe('x');
      lock.release();
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never waits on a FIFO at the lock\'s name, and shares one lock among links to one file', () => {
    const dir = fresh();
    const out = join(dir, 'rows.csv');
    spawnSync('mkfifo', [`${out}.lock`]);
    expect(inputError(() => acquireLock(out, '--out', 'c', 'now'))).toMatch(/not a readable lock \(it is not a regular file\)/);
    rmSync(`${out}.lock`);
    writeFileSync(out, '');
    symlinkSync(out, join(dir, 'link.csv'));
    expect(lockPath(join(dir, 'link.csv'))).toBe(lockPath(out));
    expect(lockPath(join(dir, 'new.csv'))).toBe(join(realpathSync(dir), 'new.csv.lock'));
  });
});
