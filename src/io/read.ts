/**
 * Reading a file the user named, bounded: at most `maxBytes` are ever read, whatever the file
 * says its size is. A device (/dev/zero), a pipe or a FIFO reports size 0, so a size check alone
 * lets it fill memory; this reads in blocks and stops one byte past the limit.
 *
 * The text must be UTF-8. Other encodings are named (UTF-16 from its byte-order mark), and bytes
 * that are not UTF-8 are reported with their line and column instead of being replaced silently.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../scenario/errors.ts';

/** Why a file could not be read: a message for a person, and where, when it has a place. */
export interface ReadProblem {
  readonly message: string;
  readonly hint?: string;
  readonly line?: number;
  readonly column?: number;
  /** The errno code, when the operating system refused. */
  readonly code?: string;
}

export class ReadFailure extends Error {
  override readonly name = 'ReadFailure';
  constructor(readonly problem: ReadProblem) {
    super(problem.message);
  }
}

const MiB = 1024 * 1024;

/** A size for a message: `2 MiB`, `512 KiB`, `300 bytes`. */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** The errno codes a user can meet, in words. */
export function errnoReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'it is a folder';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EROFS': return 'the file system is read-only';
    case 'EEXIST': return 'it already exists';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'the disk quota is exceeded';
    case 'EFBIG': return 'the file is too large for the file system';
    case 'ENAMETOOLONG': return 'the name is too long';
    case 'ELOOP': return 'too many symbolic links';
    case 'EMFILE':
    case 'ENFILE': return 'too many open files';
    case 'EIO': return 'an input/output error';
    case 'EBUSY': return 'the file is busy';
    case 'ETXTBSY': return 'the file is in use';
    case 'EXDEV': return 'it is on another file system';
    default: return code ? `${code}` : (error as Error)?.message ?? String(error);
  }
}

/**
 * Reads the whole of `path` as UTF-8 text, at most `maxBytes` bytes; throws `ReadFailure` with
 * a message for a person otherwise (no such file, a folder, too large, not UTF-8, …).
 * `what` names the kind of file in messages: "scenario files", "session files".
 */
export function readTextBounded(path: string, maxBytes: number, what = 'files'): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReadFailure({ message: code === 'ENOENT' ? 'no such file' : `cannot read it: ${errnoReason(error)}`, ...(code ? { code } : {}) });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ReadFailure({ message: 'is a folder, not a file', code: 'EISDIR' });
    const tooLarge = (): never => {
      const size = stat.isFile() ? `${formatBytes(stat.size)}` : `larger than ${formatBytes(maxBytes)}`;
      throw new ReadFailure({ message: `the file is ${size}; ${what} are limited to ${formatBytes(maxBytes)}`, ...(stat.isFile() ? {} : { hint: 'it is not a regular file (a device or a pipe?)' }) });
    };
    if (stat.isFile() && stat.size > maxBytes) tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    const block = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, block, 0, block.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        throw new ReadFailure({ message: `cannot read it: ${errnoReason(error)}`, ...(code ? { code } : {}) });
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) tooLarge();
      chunks.push(Buffer.from(block.subarray(0, n)));
    }
    return decodeUtf8(Buffer.concat(chunks, total));
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text, with a byte-order mark dropped; other encodings and stray bytes are refused with a place. */
export function decodeUtf8(bytes: Uint8Array): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ReadFailure({ message: 'the file is UTF-16 text; Parley reads UTF-8', hint: 'save it as UTF-8 (most editors: "Save with encoding")', line: 1, column: 1 });
  }
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    const at = firstInvalidUtf8(body);
    const before = new TextDecoder('utf-8').decode(body.subarray(0, at));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    const zeros = body.subarray(0, Math.min(body.length, 4096)).filter((b) => b === 0).length;
    throw new ReadFailure({
      message: zeros > 0 ? 'the file is binary or UTF-16, not UTF-8 text' : `byte 0x${body[at]!.toString(16).padStart(2, '0')} is not UTF-8 text`,
      hint: 'save the file as UTF-8',
      line,
      column,
    });
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong forms and surrogates.
    if (n === 2 && ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f))) return i;
    if (n === 3 && ((c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f))) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

/**
 * A JSON file the user named, read bounded: a file that cannot be read, or is not JSON, is an
 * input error naming it (`notJson` is the message then, with its hint).
 */
export function readJsonFile(file: string, maxBytes: number, what: string, notJson: { message: string; hint?: string }): unknown {
  let text: string;
  try {
    text = readTextBounded(file, maxBytes, what);
  } catch (error) {
    if (!(error instanceof ReadFailure)) throw error;
    const { message, hint, line, column } = error.problem;
    throw new UsageError(`cannot read it: ${message}${line !== undefined ? ` (line ${line}${column !== undefined ? `, column ${column}` : ''})` : ''}`, hint, file);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(notJson.message, notJson.hint, file);
  }
}
