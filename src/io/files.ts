/**
 * Reading row files line by line with a bounded buffer, writing whole buffers to a descriptor,
 * and shell words for the commands Parley prints. Output files themselves are written by
 * `./output.ts`.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

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
