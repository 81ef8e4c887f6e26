import { lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSpecialFile, writeFileAtomic } from '../src/io/files.ts';

describe('writing output files', () => {
  it('replaces a regular file atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-out-'));
    const file = join(dir, 'summary.json');
    writeFileAtomic(file, 'one\n', '--summary');
    writeFileAtomic(file, 'two\n', '--summary');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
  });

  it('writes a device such as /dev/null in place instead of renaming a file over it', () => {
    expect(isSpecialFile('/dev/null')).toBe(true);
    writeFileAtomic('/dev/null', 'discarded\n', '--summary');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('writes through a link (as /dev/stdout is, redirected to a file) and keeps the link', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-out-'));
    writeFileSync(join(dir, 'target.json'), 'old\n');
    symlinkSync(join(dir, 'target.json'), join(dir, 'link.json'));
    expect(isSpecialFile(join(dir, 'link.json'))).toBe(true);
    writeFileAtomic(join(dir, 'link.json'), 'new\n', '--summary');
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'target.json'), 'utf8')).toBe('new\n');
  });
});
