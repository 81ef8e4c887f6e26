/**
 * A lock file beside an output that one process writes at a time: `rows.csv.lock`, created
 * exclusively, holding who holds it (host, pid, a token, when and what). A second batch on the
 * same file — a requeued Slurm task whose old task is still alive, a resume typed twice — is
 * refused with a message naming the holder, instead of both appending rows.
 *
 * A lock whose holder is gone is stale: on the same host, a pid that no longer runs; it is taken
 * over. On another host Parley cannot tell, so it says how to remove the lock by hand.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../scenario/errors.ts';
import { ReadFailure, readTextBounded } from './read.ts';
import { writeError } from './output.ts';

interface LockRecord {
  readonly parley: 'lock';
  readonly host: string;
  readonly pid: number;
  readonly token: string;
  readonly since: string;
  readonly command: string;
}

export interface Lock {
  readonly path: string;
  /** Removes the lock if it is still this process's. Safe to call more than once. */
  release(): void;
}

function readRecord(path: string): LockRecord | null | 'absent' {
  let text: string;
  try {
    text = readTextBounded(path, 64 * 1024, 'lock files');
  } catch (error) {
    if (error instanceof ReadFailure && error.problem.code === 'ENOENT') return 'absent';
    return null;
  }
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    return r && r.parley === 'lock' && typeof r.host === 'string' && Number.isSafeInteger(r.pid) && typeof r.token === 'string' ? (r as LockRecord) : null;
  } catch {
    return null;
  }
}

/** Is `pid` a running process on this host? EPERM means it runs, as another user. */
export function processRuns(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock for `target` (at `target.lock`), or throws a `UsageError` naming who holds it.
 * `since` is a time stamp for people reading the lock file; `command` what holds it.
 */
export function acquireLock(target: string, flag: string, command: string, since: string): Lock {
  const path = `${target}.lock`;
  const me: LockRecord = { parley: 'lock', host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex'), since, command };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(path, flag, error);
      const held = readRecord(path);
      if (held === 'absent') continue;
      if (held && held.host === me.host && !processRuns(held.pid)) {
        // Stale: its process is gone (killed, or the machine rebooted). Take it over.
        try {
          unlinkSync(path);
        } catch {
          // another process took it over first; try again
        }
        continue;
      }
      const who = held ? `process ${held.pid} on ${held.host}${held.since ? ` since ${held.since}` : ''}` : 'another process (the lock file is unreadable)';
      throw new UsageError(
        `${target} is being written by ${who}: two batches on one file would mix their rows`,
        held && held.host !== me.host
          ? `wait for it to finish; if it is no longer running (check on ${held.host}), remove ${path} and run the command again`
          : `wait for it to finish; if it is no longer running, remove ${path} and run the command again`,
        flag,
      );
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
    } catch (error) {
      closeSync(fd);
      unlinkSafely(path, me.token);
      throw writeError(path, flag, error);
    }
    closeSync(fd);
    let released = false;
    return {
      path,
      release: () => {
        if (released) return;
        released = true;
        unlinkSafely(path, me.token);
      },
    };
  }
  throw new UsageError(`cannot take the lock ${path}: other processes keep taking it`, `remove ${path} if no batch is writing ${target}`, flag);
}

/** Removes the lock only if it still holds `token` (a lock taken over as stale is not ours). */
function unlinkSafely(path: string, token: string): void {
  const held = readRecord(path);
  if (held !== null && held !== 'absent' && held.token !== token) return;
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
