import { stripVTControlCharacters } from 'node:util';
import type { ReactElement } from 'react';
import { cleanup, render as renderInk } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, loadScenario } from '../src/index.ts';
import { createSession, currentNode, pull, type Session } from '../src/play/session.ts';
import { App, type AppProps } from '../ui/App.tsx';
import { ThemeContext } from '../ui/theme.ts';
import { Panel } from '../ui/Panel.tsx';
import { StatePanel } from '../ui/StatePanel.tsx';
import { LeversPanel } from '../ui/LeversPanel.tsx';
import { ExplainPanel } from '../ui/ExplainPanel.tsx';
import { LogPanel } from '../ui/LogPanel.tsx';
import { Header } from '../ui/Header.tsx';
import { Footer } from '../ui/Footer.tsx';
import { leverItems } from '../ui/view.ts';

const mini = compile(loadScenario('test/fixtures/mini.yaml'));
import { KEY, keyPresser, tick } from './support/keys.ts';

afterEach(() => cleanup());

/**
 * Frames as a person reads them, without colour and style codes: FORCE_COLOR (which some CI
 * runners set) would otherwise add them. `rawFrame` keeps them for the colour tests.
 */
function render(tree: ReactElement) {
  const r = renderInk(tree);
  return { ...r, lastFrame: () => { const f = r.lastFrame(); return f === undefined ? undefined : stripVTControlCharacters(f); }, rawFrame: () => r.lastFrame() ?? '' };
}

function ok(x: ReturnType<typeof pull>): Session {
  if ('type' in x) throw new Error(x.message);
  return x;
}

function app(props: Partial<AppProps> = {}, color = false) {
  const session = props.initial ?? createSession(mini, { seed: 42 });
  const r = render(
    <ThemeContext.Provider value={{ color }}>
      <App initial={session} width={80} height={24} {...props} />
    </ThemeContext.Provider>,
  );
  const press = keyPresser(r, () => r.lastFrame() ?? '');
  return { ...r, press, frame: () => r.lastFrame() ?? '' };
}

describe('panels', () => {
  it('Panel draws a titled box of exactly the given size and clips its lines', () => {
    const { lastFrame } = render(<Panel title="T" width={20} height={4} lines={[[{ t: 'one' }], [{ t: 'two' }], [{ t: 'three' }]]} />);
    const rows = lastFrame()!.split('\n');
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => [...r].length === 20)).toBe(true);
    expect(rows[0]).toMatch(/^┌─ T ─+ 1–2\/3 ┐$/);
    expect(rows[1]).toBe('│one               │');
  });

  it('Header shows the scenario, date, phase, round, step, seed, branch code and role', () => {
    const s = ok(pull(createSession(mini, { seed: 42 }), 'praise', 'warm'));
    const frame = render(<Header session={s} width={80} />).lastFrame()!;
    expect(frame).toContain('Mini');
    expect(frame).toContain('playing as Facilitator');
    expect(frame).toContain('Talks, round 1/3 · 2026-01-01 · step 2');
    expect(frame).toContain('seed 42');
    expect(frame).toContain('mini:42:default:1=praise+warm');
  });

  it('StatePanel shows each tension as a bar with its change, the crisis index, relationship and stances', () => {
    const s = ok(pull(createSession(mini, { seed: 42 }), 'praise', 'warm'));
    const frame = render(<StatePanel session={s} width={60} height={10} />).lastFrame()!;
    expect(frame).toMatch(/HOST +Hostility +█+░+ +42 ▼8/);
    expect(frame).toMatch(/MIL +Military threat +█+░+ +40 /);
    expect(frame).toMatch(/Crisis index +41 ▼4/);
    expect(frame).toMatch(/Relationship +Tense/);
    expect(frame).toMatch(/Alpha +calm/);
  });

  it('LeversPanel lists the levers with branch odds, and the reason for unavailable ones', () => {
    let s = createSession(mini, { seed: 42 });
    s = ok(pull(s, 'praise'));
    const items = leverItems(s);
    const frame = render(<LeversPanel session={s} items={items} selected={0} width={70} height={12} />).lastFrame()!;
    expect(frame).toContain('Beta decides');
    expect(frame).toMatch(/› Praise +warm 64% · flat 36%/);
    expect(frame).toMatch(/Threaten +heard 70% · ignored 30%/);
    // The arithmetic adds up: base, modifier, the value before rescaling, the share after.
    expect(frame).toContain('warm: base 60.0% +10pt (Channel) = 70.0% → 63.6%');
    expect(frame).toContain('flat: 40.0% → 36.4%');
    expect(frame).toContain('sum 110.0%; → is each ÷ 110.0%, to make 100%');
    const blocked = createSession(mini, { seed: 42, role: 'b' });
    const early = ok(pull(blocked, 'praise'));
    expect(leverItems(early).map((i) => [i.id, i.available])).toContainEqual(['pass', true]);
  });

  it('LeversPanel says why a lever is unavailable', () => {
    let s = createSession(mini, { seed: 1 });
    s = ok(pull(s, 'praise', 'warm'));
    s = ok(pull(s, 'praise', 'warm'));
    s = ok(pull(s, 'call'));
    s = ok(pull(s, 'praise', 'warm'));
    s = ok(pull(s, 'praise', 'warm'));
    s = ok(pull(s, 'call'));
    s = ok(pull(s, 'praise', 'warm'));
    s = ok(pull(s, 'praise', 'warm'));
    // The mediator used the call twice (max_uses 2) and has nothing left: the policy passed for it.
    expect(currentNode(s).entries.at(-1)).toMatchObject({ actor: 'm', by: 'auto' });
    const b = ok(pull(createSession(mini, { seed: 1 }), 'praise', 'warm'));
    const frame = render(<LeversPanel session={b} items={leverItems(b)} selected={0} width={70} height={12} />).lastFrame()!;
    expect(frame).toMatch(/Threaten +needs HOST > 30|Threaten +heard/);
  });

  it('ExplainPanel explains the last step: odds and what modified them, the draw, the branch and its effects', () => {
    const s = ok(pull(createSession(mini, { seed: 42 }), 'praise'));
    const frame = render(<ExplainPanel session={s} width={70} height={10} />).lastFrame()!;
    expect(frame).toContain('[1] Alpha: Praise');
    expect(frame).not.toContain('(praise)');
    expect(frame).toContain('warm: base 60.0% +10pt (Channel) = 70.0% → 63.6%');
    expect(frame).toMatch(/draw 0\.546 → warm: HOST 50→42/);
  });

  it('LogPanel keeps the newest lines at the bottom', () => {
    let s = createSession(mini, { seed: 42 });
    for (let i = 0; i < 6; i++) s = ok(pull(s, i % 3 === 2 ? 'call' : 'praise'));
    const frame = render(<LogPanel session={s} width={60} height={6} scroll={0} />).lastFrame()!;
    expect(frame).toMatch(/\[6\] Mediator: Back-channel call/);
    expect(frame).not.toContain('[1] Alpha');
  });

  it('Footer shows the status of the last action, or as many key hints as fit', () => {
    const hints: [string, string][] = [['?', 'keys'], ['q', 'quit'], ['x', 'a very long hint that will not fit']];
    expect(render(<Footer width={20} status={null} hints={hints} />).lastFrame()).toBe(' ? keys q quit');
    expect(render(<Footer width={30} status={{ text: 'saved', kind: 'info' }} hints={hints} />).lastFrame()).toContain('saved');
  });
});

describe('the play screen', () => {
  it('opens on the first decision at 80×24 with every panel, in exactly 23 rows', () => {
    const { frame } = app();
    const rows = frame().split('\n');
    expect(rows).toHaveLength(23);
    expect(rows.every((r) => [...r].length <= 80)).toBe(true);
    expect(frame()).toContain('seed 42');
    expect(frame()).toContain('Alpha decides');
    expect(frame()).toContain('State');
    expect(frame()).toContain('Last step');
    expect(frame()).toContain('Log');
  });

  it('uses the room of a larger screen', () => {
    const { frame } = app({ width: 120, height: 40 });
    const rows = frame().split('\n');
    expect(rows).toHaveLength(39);
    expect(Math.max(...rows.map((r) => [...r].length))).toBe(120);
  });

  it('pulls a lever with the arrows and Enter, and shows the seeded branch that follows', async () => {
    const { press } = app();
    const frame = await press(KEY.enter);
    expect(frame).toContain('Beta decides');
    expect(frame).toContain('code mini:42:default:1=praise');
    expect(frame).toMatch(/draw 0\.546 → warm/);
    const next = await press(KEY.down, KEY.enter);
    expect(next).toContain('1=praise,2=threaten');
  });

  it('undoes and redoes', async () => {
    const { press } = app();
    await press(KEY.enter);
    expect(await press('u')).toContain('Alpha decides');
    expect(await press('U')).toContain('Beta decides');
    expect(await press('u', 'u')).toContain('nothing to undo');
  });

  it('forces a branch with f', async () => {
    const { press } = app();
    expect(await press('f')).toContain('Force a branch of Praise');
    const frame = await press(KEY.down, KEY.enter);
    expect(frame).toContain('1=praise+flat');
    expect(frame).toContain('forced Praise → flat');
  });

  it('rerolls the seed from here with R, without using a turn', async () => {
    const { press } = app();
    const frame = await press('R');
    expect(frame).toMatch(/seed rerolled to \d+ from step 1 on/);
    expect(frame).toMatch(/code mini:42:default:1@\d+/);
    expect(frame).toContain('Alpha decides');
  });

  it('lets the policy decide a turn with a, and play to the end of the phase with A', async () => {
    const { press, frame } = app();
    expect(frame()).toContain('Alpha decides');
    const first = await press('a');
    // It says that it decided for the player's own role.
    expect(first).toContain('the default policy decided this turn for you');
    expect(first).toContain('Beta decides');
    // The phase ends at a checkpoint: its outcome opens first; Space continues.
    expect(await press('A')).toMatch(/Outcome[\s\S]*★/);
    const later = await press(' ');
    expect(later).toMatch(/the default policy decided for you \(as facilitator: \w+\) to step 10/);
    expect(later).toContain('Aftermath, round 1/4');
    // The log says the policy decided; the code lists those turns, so that it reopens right here.
    expect(later).toContain('Alpha: Praise (policy)');
    expect(later).toMatch(/code mini:42:default:\S*,\d+=praise/);
  });

  it('keeps the chosen lever, its odds and where the run stands in view at 80×24 on the default scenario', async () => {
    const pt = compile(loadScenario('petro-trump'));
    const { press, frame } = app({ initial: createSession(pt, { seed: 42 }) });
    expect(frame().split('\n')[0]).toMatch(/^ PARLEY  Eve of the meeting, round 1\/1 · step 1 +playing as Facilitator/);
    const at = await press(KEY.enter);
    expect(at).toContain('step 2');
    expect(at).toContain('said 100% (the only branch)');
    expect(await press('f')).toContain('has only one branch: nothing to force');
    // Far down the list the window follows the choice and the detail stays below it.
    const down = await press(KEY.down, KEY.down, KEY.down, KEY.down, KEY.down, KEY.down, KEY.down, KEY.down);
    expect(down).toMatch(/› \S/);
    expect(down).toMatch(/\d+–\d+\/\d+ ┐/);
    expect(down).toContain('code petro-trump:42:default:1=meeting_format');
  });

  it('says when the terminal is too small, and still quits with q', async () => {
    let quit = 0;
    const { frame, press } = app({ width: 40, height: 12, onQuit: () => quit++ });
    expect(frame().replace(/\s+/g, ' ')).toContain('Parley needs a terminal of at least 60×16; this one is 40×12.');
    await press('q');
    expect(quit).toBe(1);
  });

  it('scrolls the help when it does not fit, and says what Enter does once the run has ended', async () => {
    const { press } = app({ height: 17 });
    const help = await press('?');
    expect(help).toContain('↑↓ scroll');
    expect(help).not.toContain('q  Ctrl-C');
    // Scrolling stops at the last screenful, so one step back moves at once.
    const end = await press(...Array.from({ length: 40 }, () => KEY.down));
    expect(end).toContain('q  Ctrl-C');
    expect(end).toContain('g explains every');
    expect(await press(KEY.up)).not.toContain('g explains every');
    await press(KEY.esc);
    await press('A', ' ', 'A', ' ', 'A', ' ');
    expect(await press(KEY.enter)).toContain('the run has ended: u goes back a step');
  });

  it('asks before quitting with branches that are not saved; a save makes it quit at once', async () => {
    let quit = 0;
    let saved = 0;
    const { press } = app({ onQuit: () => quit++, onSave: () => `/tmp/x-${++saved}.session.json` });
    await press(KEY.enter);
    expect(await press('q')).toContain('branches not saved: s saves them; q again quits without saving');
    expect(quit).toBe(0);
    expect(await press('j')).not.toContain('branches not saved');
    await press('q');
    expect(quit).toBe(0);
    await press('q');
    expect(quit).toBe(1);
    const other = app({ onQuit: () => quit++, onSave: () => `/tmp/x-${++saved}.session.json` });
    await other.press(KEY.enter);
    expect(await other.press('s')).toContain('session saved to /tmp/x-');
    await other.press('q');
    expect(quit).toBe(2);
  });

  it('plays an exercise: the briefing first, the objective while playing, the debrief and score at the end', async () => {
    const exercise = {
      title: 'Keep it calm',
      objective: 'End without a crisis.',
      briefing: ['You are the facilitator of a small test.'],
      debrief: ['What would you change?'],
      judge: (state: { outcome: number }) => ({ met: state.outcome !== 0, score: state.outcome !== 0 ? 70 : 0, maxScore: 70, details: ['checked the final outcome'] }),
    };
    const { press, frame } = app({ exercise: exercise as never });
    expect(frame()).toContain('Briefing: Keep it calm');
    expect(frame()).toContain('You are the facilitator of a small test.');
    expect(frame()).toContain('Objective: End without a crisis.');
    expect(await press('?')).toContain('Keys');
    const playing = await press(KEY.esc);
    expect(playing).toContain('Alpha decides');
    expect(playing).toContain('o brief');
    expect(await press('p')).toContain('this exercise is played as Facilitator');
    expect(await press('o')).toContain('Objective: End without a crisis.');
    await press(KEY.esc);
    // The run ends: the outcome banner, then (Space) the debrief.
    expect(await press('A', ' ', 'A')).toContain('Final outcome');
    const end = await press(' ');
    expect(end).toContain('Debrief: Keep it calm');
    expect(end).toMatch(/Objective (met|not met) · score (0|70) of 70/);
    expect(end).toContain('1. What would you change?');
  });

  it('opens the branch tree with b, goes to an earlier node, and keeps the siblings', async () => {
    const { press } = app();
    await press(KEY.enter, 'u', 'f', KEY.down, KEY.enter);
    const tree = await press('b');
    expect(tree).toContain('Branch tree');
    // Numbered as the log numbers the decision, with its actor, lever and branch; n/N chosen.
    expect(tree).toMatch(/\[1\] Alpha: Praise → warm/);
    expect(tree).toMatch(/● \[1\] Alpha: Praise \(forced\) → flat/);
    expect(tree).toMatch(/ 2\/3 · /);
    const frame = await press(KEY.up, KEY.up, KEY.enter);
    expect(frame).toContain('at node 0');
    expect(frame).toContain('Alpha decides');
    expect(await press('b')).toMatch(/● start/);
    expect(await press(KEY.esc)).toContain('Alpha decides');
  });

  it('compares two nodes marked with c', async () => {
    const { press } = app();
    await press(KEY.enter);
    expect(await press('c')).toContain('marked as A');
    await press('u', 'f', KEY.down, KEY.enter);
    const frame = await press('c');
    expect(frame).toContain('Compare');
    // Named by the decision where the branches split, not by node numbers.
    expect(frame).toContain('step 1: Alpha — Praise → warm · Praise → flat (forced)');
    expect(frame).not.toMatch(/node \d/);
    expect(frame).toMatch(/Hostility \(HOST\) +42 +≠ 49/);
    expect(frame).toMatch(/Projection, not a result — if everyone follows the default policy/);
  });

  it('runs many seeded runs from here with m, shows progress, then the distribution', async () => {
    const { press, frames, frame } = app({ runs: 400 });
    await press('m');
    for (let i = 0; i < 50 && !frame().includes('runs from this node'); i++) await tick(20);
    expect(frame()).toContain('400 runs from this node');
    expect(frame()).toMatch(/Deal +[█▒·]+ +\d+\.\d%  \[\d+\.\d–\d+\.\d\]/);
    expect(frames.some((f) => /running… \d+\/400/.test(f))).toBe(true);
    expect(await press(KEY.esc)).toContain('Alpha decides');
  });

  it('switches role with p; the policy plays the others', async () => {
    const { press } = app();
    expect(await press('p')).toContain('Play as');
    const frame = await press(KEY.down, KEY.down, KEY.enter);
    expect(frame).toContain('now playing as Beta');
    expect(frame).toContain('playing as Beta');
    expect(frame).toContain('Beta decides');
  });

  it('saves with s, exports with e, and reports failures without losing the session', async () => {
    const saved: string[] = [];
    const { press } = app({
      onSave: (s) => {
        saved.push(String(currentNode(s).state.step));
        return '/tmp/x.json';
      },
      onExport: () => {
        throw new Error('cannot write /nope/x.md: its folder does not exist');
      },
    });
    await press(KEY.enter);
    expect(await press('s')).toContain('session saved to /tmp/x.json');
    expect(saved).toEqual(['1']);
    const frame = await press('e');
    expect(frame).toContain('cannot write /nope/x.md');
    expect(frame).toContain('Beta decides');
  });

  it('shows every key with ?, closes with Escape, and quits with q', async () => {
    let quit = 0;
    const { press } = app({ onQuit: () => quit++ });
    const help = await press('?');
    for (const k of ['Enter', 'u  U', 'f', 'r', 'R', 'b', 'm  +', 'g', 'y']) expect(help).toContain(k);
    expect(await press(KEY.esc)).toContain('Alpha decides');
    await press('q');
    expect(quit).toBe(1);
  });

  it('switches the lower panel between the last step and the log with Tab on short screens', async () => {
    const s = createSession(compile(loadScenario('test/fixtures/mini.yaml')), { seed: 42 });
    const { press } = app({ initial: s, height: 16 });
    expect(await press(KEY.enter)).toContain('Last step │ Log (Tab)');
    expect(await press(KEY.tab)).toContain('Log │ Last step (Tab)');
  });

  it('draws without colour codes when colour is off (NO_COLOR)', () => {
    const { rawFrame } = app({}, false);
    expect(rawFrame()).not.toMatch(/\u001B\[3\dm/);
  });
});
