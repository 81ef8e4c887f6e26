/**
 * Text from files reaches the terminal with its control characters escaped: an ESC sequence in a
 * scenario's title or labels (an OSC 52 clipboard write, a clear-screen), a bell, a carriage
 * return or a bidi override never reaches the terminal as such, in `run`, `graph`, `validate`,
 * `debrief`, the play screen or an export. The definition keeps the raw text for its hash.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, loadScenario, run } from '../src/index.ts';
import { formatTranscript } from '../src/report/transcript.ts';
import { renderGraph } from '../src/report/graph.ts';
import { safeDeep, safeJson, safeText } from '../src/scenario/safe-text.ts';
import { formatIssue } from '../src/scenario/errors.ts';

const OSC52 = '\u001b]52;c;aGVsbG8=\u0007';
const CLEAR = '\u001b[2J';
const RLO = '\u202e';
/** Anything a terminal would obey: C0 but newline and tab, DEL, C1, bidi controls. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function hostileScenario(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-term-'));
  const file = join(dir, 'hostile.yaml');
  const text = readFileSync('test/fixtures/mini.yaml', 'utf8')
    .replace('title: Mini', 'title: "Mini \\e]52;c;aGVsbG8=\\a \\e[2J \\u202Eevil \\x9b31m"')
    .replace('label: Praise', 'label: "Praise\\e[2J\\rPWNED"')
    .replace('{name: Alpha,', '{name: "Al\\u202Epha",')
    .replace("label: Crisis, when", 'label: "Crisis\\e]0;title\\a", when')
    .replace('states: {cordial: {label: Cordial}', 'states: {cordial: {label: "Cor\\e[31mdial"}');
  writeFileSync(file, text);
  return { dir, file };
}

function parley(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/parley.js'), ...args], { encoding: 'utf8', timeout: 30_000, ...(cwd ? { cwd } : {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('safeText', () => {
  it('shows control characters and bidi overrides as escapes, and keeps newlines and tabs', () => {
    expect(safeText(`a${OSC52}b`)).toBe('a\\x1b]52;c;aGVsbG8=\\x07b');
    expect(safeText(`x${CLEAR}y`)).toBe('x\\x1b[2Jy');
    expect(safeText(`${RLO}abc`)).toBe('\\u202eabc');
    expect(safeText('a\u009b31mb\u007f')).toBe('a\\x9b31mb\\x7f');
    expect(safeText('over\rwrite')).toBe('over\\x0dwrite');
    expect(safeText('line\r\nnext\tcol\n')).toBe('line\nnext\tcol\n');
    expect(safeText('Petro — “Trump” é 日本')).toBe('Petro — “Trump” é 日本');
  });

  it('is idempotent and leaves nothing a terminal obeys', () => {
    for (let c = 0; c < 0x2100; c++) {
      const once = safeText(`<${String.fromCharCode(c)}>`);
      expect(UNSAFE.test(once)).toBe(false);
      expect(safeText(once)).toBe(once);
    }
  });

  it('keeps JSON meaning the same while escaping what JSON leaves raw (DEL, C1, bidi)', () => {
    const value = { t: `a\u009b31m\u202e\u007f${OSC52}`, n: 1 };
    const json = safeJson(JSON.stringify(value));
    expect(json).not.toMatch(UNSAFE);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('copies on write: clean values come back identical, shared parts stay shared', () => {
    const clean = { a: ['x', { b: 'y' }], m: new Map([['k', { c: 'z' }]]) };
    expect(safeDeep(clean)).toBe(clean);
    const shared = { label: `L${CLEAR}` };
    const dirty = { list: [shared], byId: new Map([['l', shared]]), fn: () => 1, raw: `R${CLEAR}` };
    const out = safeDeep(dirty, new Set(['raw']));
    expect(out).not.toBe(dirty);
    expect(out.list[0]).toBe(out.byId.get('l'));
    expect(out.list[0]!.label).toBe('L\\x1b[2J');
    expect(out.fn).toBe(dirty.fn);
    expect(out.raw).toBe(dirty.raw);
    expect(dirty.list[0]!.label).toBe(`L${CLEAR}`);
  });
});

describe('scenario text on the terminal', () => {
  const { dir, file } = hostileScenario();
  const def = loadScenario(file);

  it('loads the texts for display escaped, and keeps the raw config for the hash', () => {
    expect(def.title).toBe('Mini \\x1b]52;c;aGVsbG8=\\x07 \\x1b[2J \\u202eevil \\x9b31m');
    expect(def.config.title).toContain(OSC52);
    expect(def.levers.find((l) => l.id === 'praise')!.label).toBe('Praise\\x1b[2J\\x0dPWNED');
    expect(def.leverById.get('praise')).toBe(def.levers.find((l) => l.id === 'praise'));
    expect(def.hash).toMatch(/^[0-9a-f]{64}$/);
    // Clean scenarios are not copied.
    const mini = loadScenario('test/fixtures/mini.yaml');
    expect(mini.leverById.get('praise')).toBe(mini.levers[0]);
  });

  it('run prints no control character (transcript and JSON)', () => {
    const r = parley(['run', file, '--seed', '3']);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(UNSAFE);
    expect(r.out).toContain('Mini \\x1b]52;c;aGVsbG8=\\x07 \\x1b[2J \\u202eevil');
    expect(r.out).toContain('Al\\u202epha pulls Praise\\x1b[2J\\x0dPWNED');
    const json = parley(['run', file, '--seed', '3', '--json']);
    expect(json.code).toBe(0);
    expect(json.out).not.toMatch(UNSAFE);
    expect(formatTranscript(def, run(compile(def), { seed: 3 }))).not.toMatch(UNSAFE);
  });

  it('graph prints no control character, in Mermaid and in DOT', () => {
    for (const format of ['mermaid', 'dot']) {
      const r = parley(['graph', file, '--format', format]);
      expect(r.code).toBe(0);
      expect(r.out).not.toMatch(UNSAFE);
      expect(renderGraph(def, format as 'mermaid' | 'dot')).not.toMatch(UNSAFE);
    }
    // Each format's own syntax is escaped as well: Mermaid entity codes, DOT backslashes.
    expect(parley(['graph', file]).out).toContain('state "Mini #92;x1b#93;52#59;c#59;aGVsbG8=#92;x07');
    expect(parley(['graph', file, '--format', 'dot']).out).toContain('label="Mini \\\\x1b]52;c;aGVsbG8=\\\\x07');
  });

  it('messages that echo names from a file escape them (validate, lint, any command)', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(file, 'utf8').replace('title:', '"x\\e]52;c;aGk=\\a\\u202E": 1\ntitle:'));
    const r = parley(['validate', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown field `x\\x1b]52;c;aGk=\\x07\\u202e`');
    expect(r.err).not.toMatch(UNSAFE);
    const json = parley(['validate', bad, '--json']);
    expect(json.code).toBe(2);
    expect(json.out).not.toMatch(UNSAFE);
    const lint = parley(['lint', bad]);
    expect(lint.code).toBe(2);
    expect(lint.err + lint.out).not.toMatch(UNSAFE);
    expect(formatIssue({ file: `f${CLEAR}`, message: `m${RLO}`, hint: `h${OSC52}` })).not.toMatch(UNSAFE);
  });

  it('play without a terminal prints the transcript escaped', () => {
    const r = parley(['play', file, '--seed', '3']);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(UNSAFE);
  });
});
