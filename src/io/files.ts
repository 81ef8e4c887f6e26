/**
 * File handling shared by `parley batch` and `parley merge`: appending whole lines, atomic
 * replacement, reading a row file line by line with a bounded buffer, and turning file-system
 * errors about a path the user gave into clear input errors.
 */
import { closeSync, createReadStream, existsSync, fstatSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { UsageError } from '../scenario/errors.ts';

/** A word of a command line as a POSIX shell reads it: quoted unless it is plainly safe. */
const shellWord = (w: string): string => (/^[A-Za-z0-9_./:=@+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** A command line to print for a person to copy. */
export const shellCommand = (words: readonly string[]): string => words.map(shellWord).join(' ');

/** Writes all of `data`; a string is encoded on the way out, without a buffer on the heap. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  if (typeof data === 'string') {
    const written = writeSync(fd, data);
    if (written === Buffer.byteLength(data)) return;
    data = Buffer.from(data).subarray(written);
  }
  const buffer = data;
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'its folder does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'EEXIST') return 'it already exists';
  return (error as Error).message;
}

export function unwritable(path: string, flag: string, error: unknown): UsageError {
  return new UsageError(`cannot write ${path}: ${reason(error)}`, undefined, flag);
}

/** Fails early, without creating anything, when `path` could not be written later. */
export function checkWritable(path: string, flag: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw unwritable(path, flag, Object.assign(new Error(), { code: 'EISDIR' }));
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOENT' });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw unwritable(path, flag, error);
  }
}

/** Writes `text` to `target` (errors name `path`, the file the user asked for). */
function writeWhole(target: string, path: string, text: string, flag: string): void {
  let fd: number;
  try {
    fd = openSync(target, 'w');
  } catch (error) {
    throw unwritable(path, flag, error);
  }
  try {
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * True when `path` exists and is not itself a regular file: a device such as /dev/null, a pipe,
 * or a link such as /dev/stdout (which may lead to a regular file when output is redirected).
 * Such a path is written in place: renaming a new file over it would replace the link or fail.
 */
export function isSpecialFile(path: string): boolean {
  try {
    return !lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Writes a whole file atomically: a temporary file beside it, then a rename. A target that is
 * not a regular file (/dev/null, /dev/stdout, a pipe) is written in place: renaming over it
 * would replace the device with a file.
 */
export function writeFileAtomic(path: string, text: string, flag: string): void {
  if (isSpecialFile(path)) {
    writeWhole(path, path, text, flag);
    return;
  }
  const temp = `${path}.${process.pid}.tmp`;
  writeWhole(temp, path, text, flag);
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw unwritable(path, flag, error);
  }
}

/** Length of the file up to and including its last newline (a partial last line is left out). */
export function completeLength(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const block = Buffer.alloc(65536);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - block.length);
      const n = readSync(fd, block, 0, end - start, start);
      const nl = block.subarray(0, n).lastIndexOf(10);
      if (nl >= 0) return start + nl + 1;
      end = start;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

/** The complete lines of the first `length` bytes of a file, streamed. */
export async function* readLines(path: string, length?: number): AsyncGenerator<string> {
  if (length === 0) return;
  const stream = createReadStream(path, { encoding: 'utf8', ...(length !== undefined ? { end: length - 1 } : {}) });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** The first two lines of a file (for its header), reading at most 1 MiB. */
export function headLines(path: string): [string | undefined, string | undefined] {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, n).toString('utf8');
    const lines = text.split('\n');
    // A line is only taken when it is complete.
    return [lines.length > 1 ? lines[0] : undefined, lines.length > 2 ? lines[1] : undefined];
  } finally {
    closeSync(fd);
  }
}
