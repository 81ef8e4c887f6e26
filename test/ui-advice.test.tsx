/**
 * The advice view (`w`, "what if I pull each?"): it opens at once, computes in the background,
 * then shows every move of the actor deciding here with its chance of the goal and a 95%
 * interval, and the difference against default play; Esc cancels it while it computes; the goal
 * can be changed; the session itself (its nodes, its draws) is never changed.
 */
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, loadScenario } from '../src/index.ts';
import { adviceKey, adviseHere, defaultAdviceGoal } from '../src/play/advice.ts';
import { branchCode, createSession, currentNode, type Session } from '../src/play/session.ts';
import { App, type AppProps } from '../ui/App.tsx';
import { ThemeContext } from '../ui/theme.ts';

const toy = compile(loadScenario('test/fixtures/advice-toy.yaml'));
const petro = compile(loadScenario('petro-trump'));
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

afterEach(() => cleanup());

function app(props: Partial<AppProps> & { size?: [number, number] } = {}) {
  const [width, height] = props.size ?? [80, 24];
  const r = render(
    <ThemeContext.Provider value={{ color: false }}>
      <App initial={props.initial ?? createSession(toy, { seed: 3 })} width={width} height={height} {...props} />
    </ThemeContext.Provider>,
  );
  const frame = () => stripVTControlCharacters(r.lastFrame() ?? '');
  const key = async (k: string) => {
    r.stdin.write(k);
    await tick(30);
    return frame();
  };
  /** Waits until the frame shows `text` (the computation runs in slices beside the test). */
  const until = async (text: string, ms = 20_000) => {
    for (let t = 0; t < ms && !frame().includes(text); t += 20) await tick(20);
    return frame();
  };
  return { ...r, frame, key, until };
}

describe('the advice view (w)', () => {
  it('opens at once, then shows each move with P(goal), its 95% interval and the difference against default play', async () => {
    const { key, until } = app();
    const opened = await key('w');
    expect(opened).toContain('What if Player pulls each?');
    expect(opened).toContain('Goal: the run ends in Ahead');
    const done = await until('An estimate from');
    // Every move of the player: both levers and passing, each with an interval.
    for (const move of ['Safe bet', 'Long shot', 'Pass (pull nothing)']) expect(done).toContain(`• ${move}`);
    expect(done.match(/P\(goal\) \d+\.\d% \(95% \d+\.\d–\d+\.\d\)/g)?.length).toBeGreaterThanOrEqual(1);
    expect(done).toContain('An estimate from 1,000 runs per move, every move on the same random numbers');
    expect(done).toContain('Your own play');
  });

  it('gives the same figures as the library, and the best lever by construction comes out better', async () => {
    const session = createSession(toy, { seed: 3 });
    const advice = await adviseHere(session, defaultAdviceGoal(session));
    const safe = advice.moves.find((m) => m.id === 'safe')!;
    const long = advice.moves.find((m) => m.id === 'long')!;
    const pass = advice.moves.find((m) => m.id === 'pass')!;
    expect(safe.goal.p).toBeGreaterThan(long.goal.p);
    expect(pass.vsPolicy.ci95[1]).toBeLessThan(0);
    expect(safe.goal.ci95[0]).toBeLessThan(safe.goal.p);
    // The view's line for the safe bet carries the library's figure.
    const { key, until } = app({ initial: session });
    await key('w');
    const shown = await until('An estimate from');
    expect(shown).toContain(`P(goal) ${(safe.goal.p * 100).toFixed(1)}%`);
  });

  it('Esc cancels it while it computes, and the session is left as it was', async () => {
    const session = createSession(petro, { seed: 1 });
    let quitWith: Session | null = null;
    const { stdin, frame, key, until } = app({ initial: session, onQuit: (s) => (quitWith = s) });
    stdin.write('w');
    await tick(5);
    expect(frame()).toContain('computing…');
    stdin.write('\u001b');
    const closed = await until('advice cancelled');
    expect(closed).toContain('advice cancelled');
    expect(closed).not.toContain('What if');
    // Nothing comes back later: the runs stopped.
    await tick(400);
    expect(frame()).not.toContain('What if');
    await until('Donald Trump decides');
    await key('q');
    expect(quitWith).not.toBeNull();
    expect(branchCode(quitWith!)).toBe(branchCode(session));
    expect(quitWith!.nodes.length).toBe(session.nodes.length);
    expect(currentNode(quitWith!).state).toBe(currentNode(session).state);
  });

  it('the goal can be changed: o opens the outcomes, Space ticks, Enter computes again', async () => {
    const { key, until } = app();
    await key('w');
    await until('An estimate from');
    const picker = await key('o');
    expect(picker).toContain('[x] Ahead');
    expect(picker).toContain('[ ] Behind');
    await key('j');
    await key(' ');
    await key('k');
    const ticked = await key(' ');
    expect(ticked).toContain('[ ] Ahead');
    expect(ticked).toContain('[x] Behind');
    await key('\r');
    const done = await until('An estimate from');
    expect(done).toContain('Goal: the run ends in Behind');
  });

  it('keeps computed advice per node and goal, and says when there is nothing to weigh', () => {
    const session = createSession(toy, { seed: 3 });
    const goal = defaultAdviceGoal(session);
    expect(goal).toEqual({ kind: 'outcomes', ids: ['ahead'] });
    expect(adviceKey(session, goal)).toBe(`${branchCode(session)}|ahead`);
    // petro-trump's default goal leaves out the escalations.
    expect(defaultAdviceGoal(createSession(petro, { seed: 1 }))).toEqual({ kind: 'outcomes', ids: ['strategic_reset', 'conditional_truce', 'cordial_but_thin'] });
  });

  it('fits 60×20: lines wrap, and the rest scrolls', async () => {
    const { key, until } = app({ size: [60, 20] });
    await key('w');
    const done = await until('An estimate from');
    for (const line of done.split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    expect(done).toMatch(/\d+–\d+\/\d+|scroll/);
    let scrolled = done;
    for (let i = 0; i < 4 && !scrolled.includes('An estimate, not'); i++) scrolled = await key(']');
    expect(scrolled).toContain('An estimate, not a certainty');
  });
});
