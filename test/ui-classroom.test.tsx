/**
 * `parley play` as a student in a classroom meets it, at 80×24 (and 60×20): every result in view
 * (the draw, the branch it selected, a checkpoint's outcome), full words for levers and terms,
 * codes to copy, keys that say what they do, and an exercise's debrief with its score explained.
 */
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, loadExercise, loadScenario, judgeExercise } from '../src/index.ts';
import { branchCode, createSession, currentNode, type Session } from '../src/play/session.ts';
import { App, type AppProps } from '../ui/App.tsx';
import { ThemeContext } from '../ui/theme.ts';
import { briefingLines } from '../src/scenario/exercise.ts';

const pt = compile(loadScenario('petro-trump'));
const mini = compile(loadScenario('test/fixtures/mini.yaml'));
import { KEY, keyPresser } from './support/keys.ts';

afterEach(() => cleanup());

/**
 * What a panel says, read as a person reads wrapped text: the frame's columns `from`..`to`,
 * borders dropped, lines joined by a space.
 */
function text(frame: string, from = 0, to = Infinity): string {
  return frame.split('\n').map((r) => [...r].slice(from, to).join('').replace(/[│┌┐└┘]/g, ' ')).join(' ').replace(/\s+/g, ' ');
}

function app(props: Partial<AppProps> & { initial: Session }) {
  const r = render(
    <ThemeContext.Provider value={{ color: false }}>
      <App width={80} height={24} {...props} />
    </ThemeContext.Provider>,
  );
  const frame = () => stripVTControlCharacters(r.lastFrame() ?? '');
  const press = keyPresser(r, frame);
  return { ...r, press, frame };
}

/** Pulls the chosen lever until `until` holds of the frame (or `max` pulls). */
async function pullUntil(press: (...k: string[]) => Promise<string>, until: (f: string) => boolean, max = 40): Promise<string> {
  let f = '';
  for (let i = 0; i < max; i++) {
    f = await press(KEY.enter);
    if (until(f)) return f;
  }
  throw new Error(`never reached:\n${f}`);
}

describe('results at 80×24', () => {
  it('a checkpoint opens its outcome, why it held, and the crisis index; after it the last step keeps the outcome and the draw in view', async () => {
    const { press, frame } = app({ initial: createSession(pt, { seed: 7 }) });
    const banner = await pullUntil(press, (f) => f.includes('┌─ ▸ Outcome'));
    expect(banner).toContain('The White House meeting is over');
    expect(banner).toMatch(/★ \S/);
    expect(banner).toContain('Why: the rules are checked in order');
    expect(banner).toMatch(/✗ Militarised crisis — none of: /);
    // Enter (the key a student pulls with) does not close it unseen.
    expect(await press(KEY.enter)).toContain('┌─ ▸ Outcome');
    expect(frame()).toContain('Space or Esc continues');
    const back = await press(' ');
    const rows = back.split('\n');
    expect(rows).toHaveLength(23);
    expect(back).toMatch(/★ (Outcome: )?Cordial but thin/);
    expect(back).toMatch(/draw 0\.\d{3} → \S/);
    // Scrolling the last step never moves the outcome, the decision or the draw.
    const scrolled = await press(']', ']', ']');
    expect(scrolled).toMatch(/★ (Outcome: )?Cordial but thin/);
    expect(scrolled).toMatch(/draw 0\.\d{3} → \S/);
    expect(scrolled).toMatch(/Last step[^\n]*\d+–\d+\/\d+/);
    // The log names the outcome first.
    const log = await press('\t');
    expect(text(log, 33)).toMatch(/★ [^—]+ — outcome at the end of The White House meeting/);
  });

  it('odds add up on screen: base, modifiers, the value before rescaling, the share after, and the sum', async () => {
    const { press } = app({ initial: createSession(pt, { seed: 7 }) });
    const f = await press(KEY.enter, KEY.enter);
    expect(f).toContain('Sen. Rand Paul decides');
    // At 80×24 the arithmetic keeps every number (and the reasons, when they fit too).
    const said = text(f, 33);
    expect(said).toMatch(/A leaders' call: a '180-degree turn': base 4\.0% \+8pt (\(the back channel\) )?= 12\.0% → 10\.2%/);
    expect(said).toMatch(/The call lands: base 30\.0% \+8pt (\(mediator influence\) )?\+8pt (\(the back channel\) )?= 46\.0% → 39\.0%/);
    // The chosen lever's detail never says an available lever is unavailable.
    expect(said).not.toContain('Not available now');
    expect(said).toContain('No effect: 60.0% → 50.8%');
    expect(said).toContain('sum 118.0%; → is each ÷ 118.0%, to make 100%');
    // With room, each modifier says why (after the pull, the last step says it at any size).
    const wide = app({ initial: createSession(pt, { seed: 7 }), width: 120, height: 40 });
    const w = text(await wide.press(KEY.enter, KEY.enter), 50);
    expect(w).toContain('The call lands: base 30.0% +8pt (mediator influence) +8pt (the back channel) = 46.0% → 39.0%');
  });

  it('the chosen lever in full words: its whole label, and the whole reason it is unavailable', async () => {
    const { press } = app({ initial: createSession(pt, { seed: 7 }) });
    await press(KEY.enter);
    const f = await press(KEY.down, KEY.down, KEY.down);
    expect(text(f, 33)).toContain('Not available now: not during Eve of the meeting');
  });
});

describe('keys that say what they do', () => {
  it('an unknown key gets a one-line hint', async () => {
    const { press } = app({ initial: createSession(mini, { seed: 42 }) });
    expect(await press('x')).toContain('x does nothing here: ? lists the keys, g explains the terms');
  });

  it('a says it decides for the player\'s own role', async () => {
    const { press } = app({ initial: createSession(pt, { seed: 7, role: 'petro' }) });
    expect(await press('a')).toContain('the default policy decided this turn for you (Gustavo Petro)');
  });

  it('r draws the last pull again and keeps the old result beside it; R reseeds from here', async () => {
    const { press } = app({ initial: createSession(mini, { seed: 42 }) });
    await press(KEY.enter);
    const f = await press('r');
    expect(f).toMatch(/step 1 drawn again: 0\.\d{3} → (warm|flat) \(was 0\.546 → warm; b shows both\)/);
    expect(f).toMatch(/code mini:42:default:1@\d+,1=praise/);
    const tree = await press('b');
    expect(tree).toMatch(/\[1\] Alpha: Praise → warm/);
    expect(tree).toMatch(/● \[1\] Alpha: Praise → (warm|flat) \(drawn again\)/);
    await press(KEY.esc);
    expect(await press('R')).toMatch(/seed rerolled to \d+ from step 2 on/);
  });

  it('the tree numbers steps as the log does, and says which row of how many', async () => {
    const { press } = app({ initial: createSession(mini, { seed: 42 }) });
    const main = await press(KEY.enter, KEY.enter, KEY.enter, '\t');
    const tree = await press('b');
    for (const n of [1, 2, 3]) {
      expect(main).toContain(`[${n}]`);
      expect(tree).toContain(`[${n}]`);
    }
    expect(tree).toMatch(/● \[3\] Mediator: Back-channel call → ok/);
    expect(tree).toContain(' 4/4 · ');
  });
});

describe('words and codes', () => {
  it('g opens a glossary built from the scenario: tensions, values, states, outcomes and the screen\'s terms', async () => {
    const { press } = app({ initial: createSession(pt, { seed: 7 }), height: 200 });
    const g = await press('g');
    expect(g).toContain('Tensions (0 to 100; higher is worse)');
    const said = text(g);
    expect(said).toMatch(/MIL — Threat of US military action on Colombian soil\. Trump said .* Higher is worse\. Starts at 55 in this run \(55 \+ 20 \* params\.january_peak\); drifts back toward its baseline 45, closing 6% of the gap a week\./);
    expect(said).toMatch(/Crisis index — [^=]*= 25% Threat of US military action on Colombian soil \(MIL\) \+ 15%/);
    expect(said).toContain('Hostile — Public feud, threats and sanctions.');
    expect(said).toContain('Stances of Gustavo Petro');
    expect(said).toContain('Cordial but thin ("handshake thaw") — Warm tone');
    for (const term of ['draw —', 'branch —', 'policy —', 'facilitator —', 'reseeded —', 'Wilson interval —']) expect(said).toContain(term);
  });

  it('y shows the whole code, wrapped, with the command that reopens it, and copies it', async () => {
    const copied: string[] = [];
    const { press } = app({ initial: createSession(pt, { seed: 7 }), onCopy: (t) => (copied.push(t), true) });
    const before = await pullUntil(press, (f) => f.includes('y: whole code'));
    expect(before).toMatch(/code \S*…\S*  y: whole code/);
    await press(KEY.esc);
    const y = (await press('y')).replace(/│/g, '').split('\n').map((l) => l.trim()).join('');
    expect(copied).toHaveLength(1);
    expect(y).toContain(copied[0]!);
    expect(y).toContain(`parley play petro-trump --branch${copied[0]}`);
    expect(y).toContain('Also sent to the clipboard (OSC 52)');
  });

  it('compare is named by the deciding step, lists differences by full label, and marks the projection', async () => {
    const s = createSession(pt, { seed: 7 });
    const { press } = app({ initial: s });
    await press(KEY.enter, 'c', 'u', 'f', KEY.down, KEY.enter);
    const f = await press('c');
    expect(text(f)).toContain('step 1: Donald Trump — Meeting format → Closed door · Meeting format → Open press spray (forced)');
    expect(f).toMatch(/Personal hostility between the leaders \(HOST\) +38 +≠ /);
    expect(text(f)).toContain('Projection, not a result — if everyone follows the default policy from here');
    expect(branchCode(s)).toBe('petro-trump:7:default');
  });
});

describe('60×20', () => {
  it('drops the tension bars before it cuts lever names, and keeps the relationship in view', async () => {
    const { press, frame } = app({ initial: createSession(pt, { seed: 7 }), width: 60, height: 20 });
    expect(frame().split('\n').every((r) => [...r].length <= 60)).toBe(true);
    expect(frame()).not.toContain('█');
    expect(frame()).toMatch(/MIL +55 +NARC +70/);
    expect(frame()).toContain('Relationship Tense');
    for (const name of ['Meeting format', 'Praise Petro in public', 'Insult or accuse Petr']) expect(frame()).toContain(name);
    const later = await press(KEY.enter);
    expect(later).toMatch(/draw 0\.\d{3} → Closed door/);
  });
});

describe('an exercise to hand in', () => {
  it('the debrief shows the requirements in words and where each point came from', async () => {
    const exercise = loadExercise('security-compact');
    const view = { title: exercise.config.title, objective: exercise.config.objective.description, briefing: briefingLines(exercise), debrief: exercise.config.debrief, judge: (st: Parameters<typeof judgeExercise>[1]) => judgeExercise(exercise, st) };
    const s = createSession(compile(exercise.def), { seed: 11, role: 'petro', exercise: { id: exercise.id, file: exercise.file } });
    const { press } = app({ initial: s, exercise: view, height: 60 });
    await press(KEY.esc);
    let f = '';
    for (let i = 0; i < 12 && !f.includes('Debrief:'); i++) f = await press(currentNode(s).state.ended ? ' ' : 'A', ' ');
    expect(f).toContain('Debrief: As Petro: a security compact without extraditions');
    expect(f).toMatch(/[✓✗] No extraditions conceded/);
    expect(f).toMatch(/[✓✗] The relationship neither hostile nor broken at the end/);
    expect(f).not.toContain('pulled(');
    expect(f).toMatch(/\d+ of 60 +the objective met \(every requirement\)/);
    expect(f).toMatch(/\d+ of 40 +the final outcome, /);
    expect(f).toContain('Debrief questions (e exports them with room for your answers)');
  });
});
