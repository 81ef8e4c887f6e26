/**
 * The play screen under a hostile user and a slow terminal: keys typed while a frame is drawn
 * arrive as one input and are each handled (q among them quits), a failed save says what went
 * wrong in words, and text from the scenario never reaches the terminal as control characters.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, loadScenario } from '../src/index.ts';
import { createSession, currentNode } from '../src/play/session.ts';
import { UsageError } from '../src/scenario/errors.ts';
import { App, splitKeys, type AppProps } from '../ui/App.tsx';
import { ThemeContext } from '../ui/theme.ts';

const mini = compile(loadScenario('test/fixtures/mini.yaml'));
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

afterEach(() => cleanup());

function app(props: Partial<AppProps> = {}) {
  const r = render(
    <ThemeContext.Provider value={{ color: false }}>
      <App initial={props.initial ?? createSession(mini, { seed: 42 })} width={80} height={24} {...props} />
    </ThemeContext.Provider>,
  );
  /** Writes `chunk` at once, as a terminal delivers keys typed during a redraw. */
  const burst = async (chunk: string) => {
    const before = r.frames.length;
    r.stdin.write(chunk);
    // A new frame, however busy the machine (other tests run beside this one).
    for (let i = 0; i < 50 && r.frames.length === before; i++) await tick(10);
    await tick();
    return stripVTControlCharacters(r.lastFrame() ?? '');
  };
  return { ...r, burst };
}

describe('keys typed during a redraw', () => {
  it('are split into keys: Enter, Tab and Ctrl letters included; escape sequences pass as they are', () => {
    const none = { upArrow: false } as Parameters<typeof splitKeys>[1];
    expect(splitKeys('jj\rq', none).map(([i, k]) => [i, k.return, k.ctrl])).toEqual([['j', false, false], ['j', false, false], ['\r', true, false], ['q', false, false]]);
    expect(splitKeys('a\u0003', none)[1]).toEqual(['c', expect.objectContaining({ ctrl: true })]);
    expect(splitKeys('\t', { ...none, tab: true })).toEqual([['\t', { ...none, tab: true }]]);
    expect(splitKeys('U', none)[0]![0]).toBe('U');
  });

  it('each act, in order, on the result of the one before', async () => {
    const seen: number[] = [];
    const { burst } = app({ onQuit: (s) => seen.push(currentNode(s).state.step) });
    // Down to the second lever, pull it, and quit: all in one input.
    await burst('j\rq');
    expect(seen).toEqual([1]);
  });

  it('never lose q: it quits even at the end of a burst', async () => {
    let quit = 0;
    const { burst } = app({ onQuit: () => quit++ });
    await burst('jjkkjq');
    expect(quit).toBe(1);
  });

  it('keep asking once before quitting with unsaved branches, and quit on the second q of a burst', async () => {
    let quit = 0;
    const { burst } = app({ onQuit: () => quit++, onSave: () => '/tmp/x.json' });
    await burst('\r');
    expect(await burst('q')).toContain('branches not saved');
    expect(quit).toBe(0);
    await burst('jq');
    expect(quit).toBe(0);
    await burst('qq');
    expect(quit).toBe(1);
  });
});

describe('a failed save', () => {
  it('says what went wrong in words, never a raw errno', async () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const { burst } = app({ onSave: () => { throw full; } });
    await burst('\r');
    const frame = await burst('s');
    expect(frame).toContain('cannot save: no space left on the device');
    expect(frame).not.toContain('ENOSPC');
  });

  it("shows a Parley error's message and hint", async () => {
    const { burst } = app({ onSave: () => { throw new UsageError('it already exists; saves never replace another file', 'give --save a new name', 'x.json'); } });
    await burst('\r');
    expect(await burst('s')).toContain('cannot save: x.json: it already exists; saves never replace');
  });
});

describe('scenario text on the play screen', () => {
  it('shows control characters and bidi overrides as escapes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-ui-'));
    const file = join(dir, 'hostile.yaml');
    writeFileSync(file, readFileSync('test/fixtures/mini.yaml', 'utf8')
      .replace('title: Mini', 'title: "Mini \\e]52;c;aGVsbG8=\\a \\e[2J"')
      .replace('label: Praise', 'label: "Pr\\u202Eaise\\e[2J"')
      .replace('{name: Alpha,', '{name: "Al\\e]0;pwned\\apha",'));
    const hostile = compile(loadScenario(file));
    // Even text that did not pass through the loader (an exercise's, a message) is escaped on screen.
    const r = app({ initial: createSession(hostile, { seed: 42 }), notice: 'note \u001b[2J\u202e' });
    const frames = [r.lastFrame() ?? '', await r.burst('\r'), await r.burst('?')];
    for (const f of frames) {
      expect(f).not.toMatch(/\u001b\]|\u001b\[2J|\u202e|\u0007/);
    }
    expect(frames[0]).toContain('Mini \\x1b]52;c;aGVsbG8=\\x07');
    expect(frames[0]).toContain('note \\x1b[2J\\u202e');
  });
});
