/**
 * A lock file beside an output that one process writes at a time: `rows.csv.lock`, holding who
 * holds it (host, boot, pid and the process's start time, a token, when and what). A second
 * batch on the same file — a requeued Slurm task whose old task is still alive, a resume typed
 * twice — is refused with a message naming the holder, instead of both appending rows.
 *
 * The record is written to a temporary file and linked into place, so a lock file is never seen
 * empty or half-written. A lock whose holder is gone is stale and is taken over: on the same host
 * and boot, a pid that no longer runs, or that now belongs to another process (its start time
 * differs), or to this very process. Taking over is itself done under a second, short-lived lock
 * (`rows.csv.lock.break`), so two processes that find the same stale lock cannot both take it.
 * On another host Parley cannot tell, so it says how to remove the lock by hand.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readFileSync, readSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../scenario/errors.ts';
import { writeError } from './output.ts';

interface LockRecord {
  readonly parley: 'lock';
  readonly host: string;
  readonly boot: string | null;
  readonly pid: number;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid. */
  readonly start: string | null;
  readonly token: string;
  readonly since: string;
  readonly command: string;
}

export interface Lock {
  readonly path: string;
  /** Removes the lock if it is still this process's. Safe to call more than once. */
  release(): void;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/** The lock's record; 'absent' when there is none; null when the file is not a readable lock. */
function readRecord(path: string): LockRecord | null | 'absent' {
  let fd: number;
  try {
    // Never follow a link, never wait on a FIFO someone put there.
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : null;
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    const buffer = Buffer.alloc(16 * 1024);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const r = JSON.parse(buffer.subarray(0, n).toString('utf8')) as Partial<LockRecord>;
    return r && r.parley === 'lock' && typeof r.host === 'string' && Number.isSafeInteger(r.pid) && typeof r.token === 'string' ? (r as LockRecord) : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** This boot of this machine (Linux), to tell a lock from before a reboot. */
const bootId = (): string | null => readProc('/proc/sys/kernel/random/boot_id')?.trim() ?? null;

/** When process `pid` started, in clock ticks since boot (Linux: field 22 of /proc/PID/stat). */
function processStart(pid: number): string | null {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) is in brackets and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

/** Is `pid` a running process on this host? EPERM means it runs, as another user. */
function processRuns(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock's holder is certainly gone (it is on this host). */
function isStale(held: LockRecord, me: LockRecord): boolean {
  if (held.host !== me.host) return false;
  if (held.boot && me.boot && held.boot !== me.boot) return true;
  if (held.pid === me.pid) return true;
  if (!processRuns(held.pid)) return true;
  const start = held.start ? processStart(held.pid) : null;
  return start !== null && start !== held.start;
}

/** Writes `text` to a new file and links it in at `path`; false when `path` exists. */
function createWhole(path: string, text: string, flag: string): boolean {
  const temp = join(dirname(path), `.parley-${randomBytes(8).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o644);
  } catch (error) {
    throw lockError(path, flag, error);
  }
  // Closed exactly once: a second close of a number the system has since given to another file
  // (a worker thread's, or the rows this batch is about to open) would close that file instead.
  let open = true;
  try {
    writeSync(fd, text);
    open = false;
    closeSync(fd);
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw lockError(path, flag, error);
  } finally {
    if (open) {
      try {
        closeSync(fd);
      } catch {
        // the write failed and so may the close: nothing more to do
      }
    }
    unlinkQuietly(temp);
  }
}

function lockError(path: string, flag: string, error: unknown): UsageError {
  const e = writeError(path, flag, error);
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return e;
  return new UsageError(e.issues[0]!.message, `a batch takes a lock file beside --out, so its folder must be writable (${dirname(path)})`, flag);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/** The lock file's path: beside the file the link leads to, so every link to one file shares one lock. */
export function lockPath(target: string): string {
  try {
    return `${realpathSync(target)}.lock`;
  } catch {
    return `${join(realpathSync(dirname(target)), basename(target))}.lock`;
  }
}

/**
 * Takes the lock for `target` (at `target.lock`), or throws a `UsageError` naming who holds it.
 * `since` is a time stamp for people reading the lock file; `command` what holds it.
 */
export function acquireLock(target: string, flag: string, command: string, since: string): Lock {
  let path: string;
  try {
    path = lockPath(target);
  } catch (error) {
    throw writeError(target, flag, error);
  }
  const me: LockRecord = { parley: 'lock', host: hostname(), boot: bootId(), pid: process.pid, start: processStart(process.pid), token: randomBytes(8).toString('hex'), since, command };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createWhole(path, JSON.stringify(me) + '\n', flag)) {
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          const held = readRecord(path);
          if (held !== null && held !== 'absent' && held.token === me.token) unlinkQuietly(path);
        },
      };
    }
    const held = readRecord(path);
    if (held === 'absent') continue;
    if (held !== null && isStale(held, me)) {
      if (!breakStale(path, held.token, flag)) pause(10);
      continue;
    }
    let kind = '';
    try {
      kind = lstatSync(path).isFile() ? '' : ' (it is not a regular file)';
    } catch {
      continue;
    }
    const who = held ? `process ${held.pid} on ${held.host}${held.since ? ` since ${held.since}` : ''}${held.command ? ` (${held.command.length > 120 ? `${held.command.slice(0, 119)}…` : held.command})` : ''}` : `another process (${path} is not a readable lock${kind})`;
    throw new UsageError(
      `${target} is being written by ${who}: two batches on one file would mix their rows`,
      held && held.host !== me.host
        ? `wait for it to finish; if it is no longer running (check on ${held.host}), remove ${path} and run the command again`
        : `wait for it to finish; if it is no longer running, remove ${path} and run the command again`,
      flag,
    );
  }
  throw new UsageError(`cannot take the lock ${path}: other processes keep taking it`, `remove ${path} if no batch is writing ${target}`, flag);
}

/**
 * Removes the stale lock holding `token`, under the break lock, so that of two processes that
 * found it only one removes it (the other would otherwise remove the first one's fresh lock).
 */
function breakStale(path: string, token: string, flag: string): boolean {
  const breaker = `${path}.break`;
  if (!createWhole(breaker, `${process.pid}\n`, flag)) {
    // Someone is breaking it now; a break lock older than a few seconds was left by a crash.
    try {
      if (Date.now() - lstatSync(breaker).mtimeMs > 10_000) unlinkQuietly(breaker); // clock-ok: age of a lock file
    } catch {
      // gone
    }
    return false;
  }
  try {
    const held = readRecord(path);
    if (held !== null && held !== 'absent' && held.token === token) unlinkQuietly(path);
    return true;
  } finally {
    unlinkQuietly(breaker);
  }
}

/** Waits `ms` milliseconds without spinning (only while another process breaks a stale lock). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
