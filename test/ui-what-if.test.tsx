/**
 * "What if I pull each?" in the play screen. `w`: each lever's line gets its chance of the goal
 * with the half-width of its 95% interval and ▲/▼ against default play, computed in the
 * background and cached per node; Esc stops it; the chosen lever's detail shows how the move
 * shifts each outcome when there is room; with the worker thread `parley play` uses, keys go on
 * while it computes. `W`: the table with intervals and paired differences, whose goal can be
 * changed. The session itself (its nodes, its draws) is never changed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, loadScenario } from '../src/index.ts';
import { adviceKey, adviceRequest, adviseHere, defaultAdviceGoal, inThreadAdviser, requestedExercise, type Adviser } from '../src/play/advice.ts';
import { playAdviser, workerAdviser } from '../src/play/advice-client.ts';
import { exerciseFingerprint, loadExercise } from '../src/scenario/exercise.ts';
import { branchCode, createSession, currentNode, nodeBranchCode, setRole, type Session } from '../src/play/session.ts';
import { App, type AppProps } from '../ui/App.tsx';
import { ThemeContext } from '../ui/theme.ts';
import { KEY, keyPresser, tick } from './support/keys.ts';

const toy = compile(loadScenario('test/fixtures/advice-toy.yaml'));
const petro = compile(loadScenario('petro-trump'));

afterEach(() => cleanup());

function app(props: Partial<AppProps> & { size?: [number, number] } = {}) {
  const [width, height] = props.size ?? [80, 24];
  const r = render(
    <ThemeContext.Provider value={{ color: false }}>
      <App initial={props.initial ?? createSession(toy, { seed: 3 })} width={width} height={height} {...props} />
    </ThemeContext.Provider>,
  );
  const frame = () => stripVTControlCharacters(r.lastFrame() ?? '');
  const press = keyPresser(r, frame);
  /** Waits until the frame shows `text` (the computation runs beside the test). */
  const until = async (text: string | RegExp, ms = 30_000) => {
    const has = () => (typeof text === 'string' ? frame().includes(text) : text.test(frame()));
    for (let t = 0; t < ms && !has(); t += 20) await tick(20);
    return frame();
  };
  return { ...r, frame, press, until };
}

/** What the lever panel (the right half) says, read as a person reads wrapped text. */
const panelText = (frame: string, from: number) => frame.split('\n').map((r) => [...r].slice(from).join('').replace(/[│┌┐└┘]/g, ' ')).join(' ').replace(/\s+/g, ' ');

/** The line of the frame that shows `label` (a lever's line in the list). */
const lineOf = (frame: string, label: string) => frame.split('\n').find((l) => l.includes(label)) ?? '';

describe('what-if odds on the lever list (w)', () => {
  it('fills each move\'s line with P(goal) ± the interval\'s half-width, as the library computes it, and ▲▼ against default play', async () => {
    const session = createSession(toy, { seed: 3 });
    const advice = await adviseHere(session, defaultAdviceGoal(session));
    const { press, until } = app({ initial: session });
    const started = await press('w');
    expect(started).toMatch(/P\(goal\) computing \d+%/);
    expect(started).toContain('what if on');
    const done = await until('±95%');
    expect(done).toContain(`vs default ${Math.round(advice.policy.p * 100)}%`);
    expect(done).toContain('goal: Ahead');
    for (const move of advice.moves) {
      const label = move.id === 'pass' ? 'Pass' : move.label;
      const half = ((move.goal.ci95[1] - move.goal.ci95[0]) / 2) * 100;
      expect(lineOf(done, label)).toContain(`${Math.round(move.goal.p * 100)}%±${half < 0.95 ? half.toFixed(1) : Math.round(half)}`);
    }
    // The safe bet wins more often than default play, passing never gets ahead.
    expect(lineOf(done, 'Safe bet')).toMatch(/▲/);
    expect(lineOf(done, 'Pass')).toMatch(/▼/);
    // Turned off, the lines show the branches' odds again.
    const off = await press('w');
    expect(off).not.toContain('P(goal)');
    expect(off).toContain('what-if odds off');
    expect(lineOf(off, 'Safe bet')).toMatch(/70%/);
  });

  it('follows the student from node to node, and a node seen before shows its figures at once (cached)', async () => {
    const { press, until } = app({ initial: createSession(toy, { seed: 3, role: 'p' }) });
    await press('w');
    const first = await until('±95%');
    const firstLine = lineOf(first, 'Safe bet');
    // A pull moves on: the next node computes in its turn.
    await press(KEY.enter);
    await until(/computing|±95%/);
    const second = await until('±95%');
    expect(second).toContain('Player decides');
    // Back to the first node: its figures come from the cache, in the first frame.
    const back = await press('u');
    expect(back).toContain('±95%');
    expect(back).not.toContain('computing');
    expect(lineOf(back, 'Safe bet')).toBe(firstLine);
  });

  it('Esc stops a computation under way, and the session is left as it was', async () => {
    const session = createSession(petro, { seed: 1 });
    let quitWith: Session | null = null;
    const { stdin, frame, press, until } = app({ initial: session, onQuit: (s) => (quitWith = s) });
    stdin.write('w');
    await until('computing');
    const stopped = await press(KEY.esc);
    expect(stopped).toContain('what-if odds stopped');
    expect(stopped).not.toContain('P(goal)');
    await tick(300);
    expect(frame()).not.toContain('P(goal)');
    await press('q');
    expect(quitWith).not.toBeNull();
    expect(currentNode(quitWith!).state).toBe(currentNode(session).state);
    expect(quitWith!.nodes.length).toBe(session.nodes.length);
  });

  it('shows in the chosen lever\'s detail how the move shifts each outcome, when the list leaves room', async () => {
    const { press, until } = app({ size: [100, 40] });
    await press('w');
    const done = await until('±95%');
    expect(panelText(done, 42)).toMatch(/If pulled, vs default play \(points, 1,000 runs each\): Ahead \+\d+\.\d · Behind −\d+\.\d/);
    const pass = await press(KEY.down, KEY.down);
    expect(panelText(pass, 42)).toMatch(/If you pass, vs default play \(points, 1,000 runs each\): Ahead −\d+\.\d/);
  });

  it('the table (W) ends with the parley compare command that makes the same runs, and the command gives the same figures', async () => {
    const session = createSession(toy, { seed: 3, role: 'p' });
    const advice = await adviseHere(session, defaultAdviceGoal(session));
    const { press, until } = app({ initial: session, size: [120, 60] });
    await press('W');
    const table = await until('parley compare');
    const command = table.split('\n').map((l) => l.replace(/[│]/g, '').trim()).find((l) => l.startsWith('parley compare'))!;
    expect(command).toBe(`parley compare test/fixtures/advice-toy.yaml --branch advice-toy:3:default --seed 3 --runs 1000 --outcome ahead`);
    const json = JSON.parse(execFileSync(process.execPath, ['bin/parley.js', ...command.split(' ').slice(1), '--json'], { encoding: 'utf8' })) as { moves: { id: string; goal: { proportion: number } }[] };
    for (const move of advice.moves) expect(json.moves.find((m) => m.id === move.id)!.goal.proportion).toBe(move.goal.p);
  });

  it('the glossary explains the column and its marks', async () => {
    const { press } = app({ size: [100, 60] });
    const glossary = panelText(await press('g'), 0);
    expect(glossary).toMatch(/P\(goal\) ± — with the what-if odds on \(w\): the share of runs that reach the goal/);
    expect(glossary).toMatch(/▲ ▼ — clearly better \(▲\) or worse \(▼\) than default play/);
  });

  it('says why there is nothing to weigh once the run has ended', async () => {
    const { press } = app();
    await press('A');
    const ended = await press(' ');
    expect(ended).toContain('Run ended');
    expect(await press('w')).toContain('the run has ended: there is no move to weigh');
  });
});

describe('the advice thread (what `parley play` uses)', () => {
  const workerFile = resolve('dist/advice-worker.js');

  it('gives the same advice as this thread, byte for byte', async () => {
    const adviser = workerAdviser(workerFile, inThreadAdviser(petro));
    try {
      for (const [compiled, seed] of [[toy, 3], [petro, 1]] as const) {
        const session = createSession(compiled, { seed });
        const goal = defaultAdviceGoal(session);
        const here = await adviseHere(session, goal, { runs: 300 });
        const there = await adviser.advise(adviceRequest(session, goal, 300));
        expect(JSON.stringify(there)).toBe(JSON.stringify(here));
      }
    } finally {
      adviser.close();
    }
  });

  it('an aborted request rejects at once, and the thread goes on serving the next', async () => {
    const adviser = workerAdviser(workerFile, inThreadAdviser(petro));
    try {
      const session = createSession(petro, { seed: 1 });
      const controller = new AbortController();
      const first = adviser.advise(adviceRequest(session, defaultAdviceGoal(session), 5000), { signal: controller.signal });
      controller.abort();
      await expect(first).rejects.toThrow();
      const next = await adviser.advise(adviceRequest(session, defaultAdviceGoal(session), 200));
      expect(next.runs).toBe(200);
    } finally {
      adviser.close();
    }
  });

  it('computes on this thread what it cannot serve: a scenario changed on disk since play began (from then on), or one not in a file', async () => {
    const calls: string[] = [];
    const fallback: Adviser = { advise: (request) => (calls.push('fallback'), inThreadAdviser(toy).advise(request)), close: () => {} };
    const session = createSession(toy, { seed: 3 });
    const request = adviceRequest(session, defaultAdviceGoal(session), 100);
    const noFileAdviser = workerAdviser(workerFile, fallback);
    try {
      const noFile = await noFileAdviser.advise({ ...request, scenario: { ...request.scenario, file: null } });
      expect(calls).toEqual(['fallback']);
      expect(noFile.runs).toBe(100);
      // The worker still serves the file that matches.
      await noFileAdviser.advise(request);
      expect(calls).toEqual(['fallback']);
    } finally {
      noFileAdviser.close();
    }
    calls.length = 0;
    const adviser = workerAdviser(workerFile, fallback);
    try {
      const changed = await adviser.advise({ ...request, scenario: { ...request.scenario, hash: '0'.repeat(64) } });
      expect(calls).toEqual(['fallback']);
      expect(JSON.stringify(changed)).toBe(JSON.stringify(await inThreadAdviser(toy).advise(request)));
      await adviser.advise(request);
      expect(calls).toEqual(['fallback', 'fallback']);
    } finally {
      adviser.close();
    }
  });

  it('an exercise edited since play began: its objective and injects as play began are used, and a request that names only its file is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-whatif-'));
    try {
      const file = join(dir, 'toy-exercise.yaml');
      const text = ['exercise: 1', 'title: Toy', `scenario: ${resolve('test/fixtures/advice-toy.yaml')}`, 'role: p', 'seeds: [3]', 'objective:', '  description: get ahead', '  outcomes: [ahead]', 'briefing: {basic: Get ahead.}', 'debrief: [Why?]', ''].join('\n');
      writeFileSync(file, text);
      const exercise = loadExercise(file);
      const session = createSession(compile(exercise.def), { seed: 3, role: 'p', exercise: { id: exercise.id, file } });
      const before = await inThreadAdviser({ def: exercise.def }, exercise).advise(adviceRequest(session, { kind: 'exercise', description: 'get ahead' }, 200));
      // The instructor changes the objective while the student plays.
      writeFileSync(file, text.replace('outcomes: [ahead]', 'outcomes: [behind]'));
      const adviser = playAdviser({ def: exercise.def }, exercise);
      try {
        const after = await adviser.advise(adviceRequest(session, { kind: 'exercise', description: 'get ahead' }, 200));
        expect(JSON.stringify(after)).toBe(JSON.stringify(before));
      } finally {
        adviser.close();
      }
      const request = adviceRequest(session, { kind: 'exercise', description: 'get ahead' }, 200);
      expect(() => requestedExercise({ ...request, exercise: { file, fingerprint: exerciseFingerprint(exercise) } })).toThrow(/toy-exercise\.yaml has changed since play began: restart parley play/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys each node apart, even nodes the policy reached after a change of role (their moves are the same)', () => {
    const first = createSession(petro, { seed: 1 });
    const goal = defaultAdviceGoal(first);
    const keys = new Set([adviceKey(first, goal)]);
    let s = first;
    for (const role of ['petro', 'trump', 'paul']) {
      s = setRole(s, role);
      keys.add(adviceKey(s, goal));
      expect(branchCode(s)).toBe(branchCode(first));
    }
    expect(keys.size).toBe(4);
  });

  it('keeps keys working while it computes: the selection moves before the figures arrive', async () => {
    const adviser = workerAdviser(workerFile, inThreadAdviser(petro));
    try {
      // Petro's first decision in the meeting: eleven moves, 1,000 runs each, about a second of work.
      const session = createSession(petro, { seed: 1, role: 'petro' });
      const { press, until } = app({ initial: session, adviser });
      await press(KEY.enter);
      await until('The White House meeting');
      await press('w');
      const moved = await press(KEY.down, KEY.down);
      expect(moved).toContain('computing');
      expect(lineOf(moved, '›')).toContain('Extradition package');
      const done = await until('±95%');
      expect(done).toMatch(/\d+%±\d/);
    } finally {
      adviser.close();
    }
  });
});

describe('the what-if table (W)', () => {
  it('opens at once, then shows each move with P(goal), its 95% interval and the difference against default play', async () => {
    const { press, until } = app();
    const opened = await press('W');
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
    const { press, until } = app({ initial: session });
    await press('W');
    const shown = await until('An estimate from');
    expect(shown).toContain(`P(goal) ${(safe.goal.p * 100).toFixed(1)}%`);
  });

  it('Esc cancels it while it computes, and the session is left as it was', async () => {
    const session = createSession(petro, { seed: 1 });
    let quitWith: Session | null = null;
    const { stdin, frame, press, until } = app({ initial: session, onQuit: (s) => (quitWith = s) });
    stdin.write('W');
    expect(await until('computing…')).toContain('computing…');
    stdin.write('\u001b');
    const closed = await until('what-if cancelled');
    expect(closed).toContain('what-if cancelled');
    expect(closed).not.toContain('What if');
    // Nothing comes back later: the runs stopped.
    await tick(400);
    expect(frame()).not.toContain('What if');
    await until('Donald Trump decides');
    await press('q');
    expect(quitWith).not.toBeNull();
    expect(branchCode(quitWith!)).toBe(branchCode(session));
    expect(quitWith!.nodes.length).toBe(session.nodes.length);
    expect(currentNode(quitWith!).state).toBe(currentNode(session).state);
  });

  it('the goal can be changed: o opens the outcomes, Space ticks, Enter computes again', async () => {
    const { press, until } = app();
    await press('W');
    await until('An estimate from');
    const picker = await press('o');
    expect(picker).toContain('[x] Ahead');
    expect(picker).toContain('[ ] Behind');
    await press('j');
    await press(' ');
    await press('k');
    const ticked = await press(' ');
    expect(ticked).toContain('[ ] Ahead');
    expect(ticked).toContain('[x] Behind');
    await press('\r');
    const done = await until('An estimate from');
    expect(done).toContain('Goal: the run ends in Behind');
  });

  it('keeps computed advice per node and goal, and says when there is nothing to weigh', () => {
    const session = createSession(toy, { seed: 3 });
    const goal = defaultAdviceGoal(session);
    expect(goal).toEqual({ kind: 'outcomes', ids: ['ahead'] });
    expect(adviceKey(session, goal)).toBe(`${nodeBranchCode(session)}|ahead`);
    // petro-trump's default goal leaves out the escalations.
    expect(defaultAdviceGoal(createSession(petro, { seed: 1 }))).toEqual({ kind: 'outcomes', ids: ['strategic_reset', 'conditional_truce', 'cordial_but_thin'] });
  });

  it('fits 60×20: lines wrap, and the rest scrolls', async () => {
    const { press, until } = app({ size: [60, 20] });
    await press('W');
    const done = await until('An estimate from');
    for (const line of done.split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    expect(done).toMatch(/\d+–\d+\/\d+|scroll/);
    let scrolled = done;
    for (let i = 0; i < 4 && !scrolled.includes('An estimate, not'); i++) scrolled = await press(']');
    expect(scrolled).toContain('An estimate, not a certainty');
  });
});
