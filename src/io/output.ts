/**
 * Every file Parley writes goes through here, under three rules:
 *
 * 1. **Never over an input.** A command's output may not be one of the files it reads (its
 *    scenario, a shard it merges, a session it reports on). Files are compared by device and
 *    inode, so `./a.json`, `a.json`, a hard link and a symbolic link to it are all the same file.
 * 2. **Never over a file the command did not make for this job.** An existing file is replaced
 *    only with `--force`, or when it is this job's own: a session's own save file, a resumed
 *    batch's summary. The caller says which with `replace`.
 * 3. **Whole or not at all.** The text goes to a new temporary file beside the target, created
 *    exclusively (`O_EXCL | O_NOFOLLOW`, a random name: a planted link is never followed), and is
 *    then *linked* into place when the target must not exist (two writers cannot both win: the
 *    second gets EEXIST) or *renamed* over it when it may be replaced. The temporary file is
 *    removed on every error, and file-system errors become input errors with a message (exit 2).
 *
 * Devices, pipes and the links that lead to them (/dev/null, /dev/stdout) are written in place:
 * renaming over them would replace the device with a file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../scenario/errors.ts';
import { writeAll } from './files.ts';
import { errnoReason } from './read.ts';

/**
 * A file's identity: the same device and inode is the same file, whatever the path. Size and
 * times tell a file from a later one that was given the same inode number after it was removed.
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size?: number;
  readonly mtimeMs?: number;
  readonly ctimeMs?: number;
}

export interface OutputOptions {
  /** The flag that named the file, for messages: `--out`, `--summary`, `--save`. */
  readonly flag: string;
  /** Files the command reads: the output may be none of them, even with `force`. */
  readonly inputs?: readonly (string | null | undefined)[];
  /**
   * May an existing file be replaced? `true` (the user said `--force`), or the identity of the
   * file as this job last wrote or opened it: that file, and no other, may be replaced.
   */
  readonly replace?: boolean | FileIdentity | null;
  /** What a person can do when the file exists (default: add --force or choose another name). */
  readonly existsHint?: string;
}

const sameFile = (a: FileIdentity, b: Stats): boolean =>
  a.dev === b.dev && a.ino === b.ino && (a.size === undefined || a.size === b.size) && (a.mtimeMs === undefined || a.mtimeMs === b.mtimeMs) && (a.ctimeMs === undefined || a.ctimeMs === b.ctimeMs);

const fullIdentity = (s: Stats): FileIdentity => ({ dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs });

function statOrNull(path: string, follow = true): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return null;
  }
}

/** The identity of the file at `path` (following links), or null when there is none. */
export function identityOf(path: string): FileIdentity | null {
  const s = statOrNull(path);
  return s ? fullIdentity(s) : null;
}

/** The descriptor that /dev/stdout, /dev/fd/N or /proc/self/fd/N stand for, or null. */
function standardDescriptor(path: string): number | null {
  const p = resolve(path);
  if (p === '/dev/stdout') return 1;
  if (p === '/dev/stderr') return 2;
  const m = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/.exec(p);
  return m ? Number(m[1]) : null;
}

/**
 * True when `path` is written in place: it exists and is not a regular file (a device, a pipe, a
 * socket), or it names a descriptor of this process (/dev/stdout, /dev/fd/3), which leads to the
 * terminal, a pipe or a file the shell opened for redirection.
 */
export function isSpecialFile(path: string): boolean {
  if (standardDescriptor(path) !== null) return true;
  const link = statOrNull(path, false);
  if (!link || link.isFile() || link.isDirectory()) return false;
  const target = statOrNull(path);
  return target !== null && !target.isFile() && !target.isDirectory();
}

export function writeError(path: string, flag: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'its folder does not exist' : errnoReason(error);
  const hint = code === 'ENOSPC' || code === 'EDQUOT' ? 'free some space, or write somewhere else; nothing was left half-written' : undefined;
  return new UsageError(`cannot write ${path}: ${reason}`, hint, flag);
}

function refuseInput(path: string, target: Stats, options: OutputOptions): void {
  for (const input of options.inputs ?? []) {
    if (input === null || input === undefined) continue;
    const s = statOrNull(input);
    if (s && s.dev === target.dev && s.ino === target.ino) {
      const same = resolve(input) === resolve(path) ? '' : ` (${input})`;
      throw new UsageError(`${path} is also an input of this command${same}: Parley never writes over what it reads`, 'choose another name for the output', options.flag);
    }
  }
}

/**
 * Checks, without creating anything, that `path` may be written under `options`: call it before
 * long work (a batch, a merge) so that a refusal comes first.
 */
export function checkOutput(path: string, options: OutputOptions): void {
  if (path.trim() === '') throw new UsageError('needs a file name, not an empty one', undefined, options.flag);
  // A link that leads nowhere is an existing entry all the same (replaced only with leave).
  const target = statOrNull(path) ?? statOrNull(path, false);
  if (target?.isDirectory()) throw new UsageError(`cannot write ${path}: it is a folder`, undefined, options.flag);
  if (target) refuseInput(path, target, options);
  if (target && !isSpecialFile(path)) {
    const { replace } = options;
    if (replace === true) return;
    if (replace && typeof replace === 'object' && sameFile(replace, target)) return;
    if (target.isSymbolicLink()) throw new UsageError(`${path} is a link to a file that does not exist`, 'add --force to replace the link, or choose another name', options.flag);
    if (replace && typeof replace === 'object') throw new UsageError(`${path} was replaced by another program since Parley last wrote it`, 'choose another name, so that neither file is lost', options.flag);
    throw new UsageError(`${path} already exists`, options.existsHint ?? `add --force to replace it, or choose another name`, options.flag);
  }
  if (!target) {
    const dir = statOrNull(dirname(resolve(path)));
    if (!dir) throw writeError(path, options.flag, Object.assign(new Error(), { code: 'ENOENT' }));
    if (!dir.isDirectory()) throw writeError(path, options.flag, Object.assign(new Error(), { code: 'ENOTDIR' }));
  }
}

const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Temporary files being written, removed if the process is interrupted: while there are any,
 * and nothing else handles SIGINT, SIGTERM or SIGHUP, those signals remove them and end the
 * process as the signal would have.
 */
const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
const onSignal = (signal: (typeof SIGNALS)[number]) => {
  for (const temp of live) unlinkQuietly(temp);
  process.exit(CODES[signal]);
};
const installed = new Set<string>();
function track(temp: string): void {
  live.add(temp);
  for (const signal of SIGNALS) {
    if (!installed.has(signal) && process.listenerCount(signal) === 0) {
      process.on(signal, onSignal);
      installed.add(signal);
    }
  }
}
function untrack(temp: string): void {
  live.delete(temp);
  if (live.size > 0) return;
  for (const signal of installed) process.off(signal, onSignal);
  installed.clear();
}

/**
 * An output file being written: data goes to a temporary file (or, for a device, straight to
 * it) until `commit` puts it in place. `abort` (or any failure) leaves nothing behind.
 */
export class OutputFile {
  readonly fd: number;
  private readonly temp: string | null;
  private readonly existed: boolean;
  /** The descriptor is the process's own (/dev/stdout): written to, never opened or closed. */
  private readonly borrowed: boolean;
  private done = false;

  private constructor(
    readonly path: string,
    private readonly options: OutputOptions,
  ) {
    checkOutput(path, options);
    const before = statOrNull(path, false);
    this.existed = before !== null;
    const own = standardDescriptor(path);
    this.borrowed = own !== null;
    if (own !== null || isSpecialFile(path)) {
      // Written where it is: the descriptor itself (a `>>` redirection keeps appending), or the
      // device or pipe opened without truncating or creating anything.
      this.temp = null;
      this.fd = own ?? this.attempt(() => openSync(path, constants.O_WRONLY));
      return;
    }
    // A short name beside the target (so that the rename stays on one file system).
    const temp = join(dirname(resolve(path)), `.${basename(path).slice(0, 100)}.${randomBytes(6).toString('hex')}.tmp`);
    this.fd = this.attempt(() => openSync(temp, TEMP_FLAGS, 0o666));
    this.temp = temp;
    track(temp);
    // A replaced file keeps its permissions (a private session file stays private).
    const old = statOrNull(path);
    if (old?.isFile()) this.attempt(() => fchmodSync(this.fd, old.mode & 0o7777));
  }

  /** Opens `path` for writing under `options` (checked first: see `checkOutput`). */
  static open(path: string, options: OutputOptions): OutputFile {
    return new OutputFile(path, options);
  }

  write(data: string | Uint8Array): void {
    this.attempt(() => writeAll(this.fd, data));
  }

  /**
   * Puts the file in place and returns its identity (null for a device). Fails, leaving the
   * target as it was, when another writer created or replaced it meanwhile.
   */
  commit(): FileIdentity | null {
    if (this.done) throw new Error('output already committed or aborted');
    if (this.temp === null) {
      if (!this.borrowed) this.attempt(() => closeSync(this.fd));
      this.done = true;
      return null;
    }
    const temp = this.temp;
    this.attempt(() => {
      fsyncSync(this.fd);
      closeSync(this.fd);
    });
    this.done = true;
    try {
      const existing = statOrNull(this.path);
      if (existing) {
        // May it be replaced? Checked again: another program may have made it since `open`.
        if (!this.existed && this.options.replace !== true) throw createdMeanwhile(this.path, this.options.flag);
        checkOutput(this.path, this.options);
        renameSync(temp, this.path);
      } else {
        linkInPlace(temp, this.path, this.options);
        unlinkQuietly(temp);
      }
      untrack(temp);
      const now = statOrNull(this.path);
      return now ? fullIdentity(now) : null;
    } catch (error) {
      unlinkQuietly(temp);
      untrack(temp);
      if (error instanceof UsageError) throw error;
      throw writeError(this.path, this.options.flag, error);
    }
  }

  /** Closes and removes what was written; the target is left as it was. Safe to call twice. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (!this.borrowed) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    if (this.temp !== null) {
      unlinkQuietly(this.temp);
      untrack(this.temp);
    }
  }

  private attempt<T>(f: () => T): T {
    try {
      return f();
    } catch (error) {
      this.abort();
      throw writeError(this.path, this.options.flag, error);
    }
  }
}

/**
 * Makes `path` name the temporary file, failing if `path` exists: a hard link does this
 * atomically. A file system without hard links gets a check and a rename instead.
 */
function linkInPlace(temp: string, path: string, options: OutputOptions): void {
  try {
    linkSync(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw createdMeanwhile(path, options.flag);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    if (statOrNull(path, false)) throw createdMeanwhile(path, options.flag);
    renameSync(temp, path);
  }
}

const createdMeanwhile = (path: string, flag: string): UsageError =>
  new UsageError(`${path} was created by another program while Parley was writing it`, 'nothing was replaced; choose another name', flag);

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Writes a whole file under the rules above; returns its identity (null for a device). */
export function writeOutput(path: string, data: string | Uint8Array, options: OutputOptions): FileIdentity | null {
  const out = OutputFile.open(path, options);
  try {
    out.write(data);
    return out.commit();
  } finally {
    out.abort();
  }
}

/**
 * Writes a new file at the first free name `candidates` gives (`name.md`, `name-2.md`, …): the
 * name is taken by the write itself, so two programs saving at the same moment get two files.
 */
export function writeFresh(candidates: (n: number) => string, data: string | Uint8Array, flag: string): { path: string; identity: FileIdentity | null } {
  for (let n = 1; n < 10_000; n++) {
    const path = candidates(n);
    if (statOrNull(path, false)) continue;
    try {
      return { path, identity: writeOutput(path, data, { flag }) };
    } catch (error) {
      // Taken between the look and the write: try the next name.
      if (error instanceof UsageError && statOrNull(path, false)) continue;
      throw error;
    }
  }
  throw new UsageError(`no free file name like ${candidates(1)}`, 'remove some old files', flag);
}
