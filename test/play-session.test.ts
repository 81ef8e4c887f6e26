import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, currentActor, judgeExercise, leverOdds, loadExercise, loadScenario, parseBranchCode, run, ScenarioError, unavailableReason, type Rejection } from '../src/index.ts';
import { oddsArithmetic } from '../src/play/odds.ts';
import { checkpointsAt } from '../src/play/checkpoint.ts';
import {
  act, branchCode, canRedo, canUndo, compareNodes, createSession, currentNode, entriesTo, FACILITATOR, forkOf, goTo, lastDrawn, pathTo, policyMove, pull, redo, redraw, reroll, roles, setRole, undo,
  type Session,
} from '../src/play/session.ts';
import { loadSession, parseSessionText, saveSession, saveSessionFresh, sessionToJson } from '../src/play/save.ts';
import { nameCandidates, sessionFileName } from '../src/play/files.ts';
import { exportMarkdown, reopenCommand } from '../src/report/session-markdown.ts';
import { distribution } from '../src/play/distribution.ts';
import { runFrom } from '../src/engine/engine.ts';
import { deriveSeed } from '../src/engine/rng.ts';

const mini = compile(loadScenario('test/fixtures/mini.yaml'));
const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const json = (x: unknown) => JSON.stringify(x);

function ok(result: Session | Rejection): Session {
  if ('type' in result) throw new Error(result.message);
  return result;
}

const actorId = (s: Session) => mini.def.actors[currentActor(mini.def, currentNode(s).state)]?.id;

describe('play session', () => {
  it('opens on the first decision of the facilitator, who decides for every actor', () => {
    const s = createSession(mini, { seed: 42 });
    expect(s.role).toBe(FACILITATOR);
    expect(s.current).toBe(0);
    expect(currentNode(s).entries).toEqual([]);
    expect(actorId(s)).toBe('a');
    const s2 = ok(pull(s, 'praise'));
    expect(actorId(s2)).toBe('b');
    expect(currentNode(s2).entries.map((e) => e.by)).toEqual(['player']);
  });

  it('lets the policy play the actors the role does not control', () => {
    const s = createSession(mini, { seed: 42, role: 'b' });
    expect(actorId(s)).toBe('b');
    expect(currentNode(s).entries.map((e) => [e.actor, e.by])).toEqual([['a', 'policy']]);
    const s2 = ok(pull(s, 'praise'));
    expect(actorId(s2)).toBe('b');
    expect(currentNode(s2).entries.map((e) => e.actor)).toEqual(['b', 'm', 'a']);
  });

  it('lets the policy decide a turn, or every turn to the end of the phase, and the branch code still reproduces it', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const s = createSession(mini, { seed, role: FACILITATOR });
        const one = ok(policyMove(s));
        expect(currentNode(one).state.step).toBe(1);
        const toPhaseEnd = ok(policyMove(s, true));
        const state = currentNode(toPhaseEnd).state;
        expect(mini.def.rounds[state.g]!.phase).toBe(1);
        expect(state.step).toBe(9);
        // The same as a whole run under the policy up to that point.
        const whole = run(mini, { seed });
        expect(json(entriesTo(toPhaseEnd).map((e) => e.happenings))).toBe(json(whole.trace.slice(0, 9).map((e) => e.happenings)));
        const code = parseBranchCode(branchCode(toPhaseEnd));
        expect(json(run(mini, { seed: code.seed, moves: code.moves }).state)).toBe(json(whole.state));
      }),
      { numRuns: 15 },
    );
  });

  it('rejects moves against the rules as values and leaves the session as it was', () => {
    const s = createSession(mini, { seed: 1 });
    const before = json(sessionToJson(s));
    expect(pull(s, 'threaten')).toMatchObject({ type: 'rejected', reason: 'not-actor' });
    expect(pull(s, 'praise', 'nope')).toMatchObject({ type: 'rejected', reason: 'unknown-branch' });
    expect(json(sessionToJson(s))).toBe(before);
  });

  it('undoes and redoes along the path, keeps siblings, and reuses an explored action', () => {
    const s0 = createSession(mini, { seed: 7 });
    const s1 = ok(pull(s0, 'praise', 'warm'));
    const back = undo(s1);
    expect(back.current).toBe(0);
    expect(canUndo(back)).toBe(false);
    expect(canRedo(back)).toBe(true);
    expect(redo(back).current).toBe(s1.current);
    const s2 = ok(pull(back, 'praise', 'flat'));
    expect(currentNode(s2).parent).toBe(0);
    expect(s2.nodes[0]!.children).toEqual([1, 2]);
    expect(redo(undo(s2)).current).toBe(2);
    expect(redo(undo(goTo(s2, 1))).current).toBe(1);
    // The same action from the same node goes back to that child.
    expect(ok(pull(undo(s2), 'praise', 'warm')).current).toBe(1);
    expect(ok(pull(undo(s2), 'praise', 'warm')).nodes.length).toBe(3);
    expect(undo(s0)).toBe(s0);
    expect(redo(s1)).toBe(s1);
  });

  it('forks by forcing a branch and by rerolling; a reroll keeps the turn', () => {
    const s = createSession(mini, { seed: 3 });
    const forced = ok(pull(s, 'praise', 'flat'));
    const lever = currentNode(forced).entries[0]!.happenings.find((h) => h.type === 'lever');
    expect(lever).toMatchObject({ branch: 'flat', forced: true });
    const r1 = ok(reroll(s));
    const r2 = ok(reroll(undo(r1)));
    expect(currentNode(r1).state.seed).not.toBe(3);
    expect(currentNode(r2).state.seed).not.toBe(currentNode(r1).state.seed);
    expect(actorId(r1)).toBe('a');
    expect(currentNode(r1).state.step).toBe(0);
  });

  it('gives branch codes that reproduce the branch with run and reopen it with --branch', () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.nat(20), { maxLength: 12 }), fc.constantFrom('facilitator', 'a', 'b'), (seed, picks, role) => {
        let s = createSession(mini, { seed, role });
        for (const pick of picks) {
          const node = currentNode(s);
          if (node.state.ended) break;
          const actor = currentActor(mini.def, node.state);
          const levers = mini.def.levers.filter((l) => l.actors[actor]);
          const k = pick % (levers.length + 2);
          const next = k === levers.length ? reroll(s) : k === levers.length + 1 ? act(s, { type: 'pass' }) : pull(s, levers[k]!.id, pick % 3 === 0 ? levers[k]!.branches[0]!.id : undefined);
          if (!('type' in next)) s = next;
        }
        const code = parseBranchCode(branchCode(s));
        const reopened = createSession(mini, { seed: code.seed, role, moves: code.moves });
        expect(currentNode(reopened).state).toEqual(currentNode(s).state);
        expect(branchCode(reopened)).toBe(branchCode(s));
        // The whole run from the code continues the branch exactly.
        const full = run(mini, { seed: code.seed, moves: code.moves });
        const played = entriesTo(s);
        expect(full.trace.slice(0, played.length).map((e) => json(e.action))).toEqual(played.map((e) => json(e.action)));
      }),
      { numRuns: 60 },
    );
  });

  it('switching role hands the current actor to the policy when the role does not control it', () => {
    const s = createSession(mini, { seed: 11 });
    const asB = setRole(s, 'b');
    expect(actorId(asB)).toBe('b');
    expect(asB.current).toBe(1);
    expect(setRole(undo(asB), 'b').current).toBe(1);
    expect(setRole(s, 'a')).toMatchObject({ role: 'a', current: 0 });
    expect(() => setRole(s, 'zed')).toThrow(/unknown role `zed`/);
    expect(roles(mini.def).map((r) => r.id)).toEqual(['facilitator', 'a', 'b', 'm']);
  });

  it('compares two nodes row by row', () => {
    const s0 = createSession(mini, { seed: 5 });
    const s1 = ok(pull(s0, 'praise', 'warm'));
    const s2 = ok(pull(undo(s1), 'praise', 'flat'));
    const c = compareNodes(s2, 1, 2);
    const host = c.rows.find((r) => r.label === 'Hostility (HOST)')!;
    expect(host).toMatchObject({ a: '42', b: '49', differs: true });
    // Neither run has ended: the outcome is a projection, and says so.
    expect(c.rows.some((r) => r.label === 'Outcome')).toBe(false);
    expect(c.outcome.a.projected && c.outcome.b.projected).toBe(true);
    expect(pathTo(s2)).toEqual([0, 2]);
  });
});

describe('saved sessions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-play-'));

  function explored(): Session {
    let s = createSession(mini, { seed: 9, role: 'b' });
    s = ok(pull(s, 'praise', 'warm'));
    s = ok(reroll(s));
    s = ok(pull(undo(undo(s)), 'threaten'));
    return s;
  }

  it('round-trips the whole tree and the current node', () => {
    const s = explored();
    const file = join(dir, 'a.json');
    saveSession(s, file);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const back = loadSession(mini, file);
    expect(back.nodes.map((n) => [n.parent, n.children, n.state])).toEqual(s.nodes.map((n) => [n.parent, n.children, n.state]));
    expect(back.current).toBe(s.current);
    expect(branchCode(back)).toBe(branchCode(s));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ parley: 'play-session', version: 1, scenario: { id: 'mini' } });
  });

  const cases: [string, (text: string) => string, RegExp][] = [
    ['truncated JSON', (t) => t.slice(0, 40), /^.*a\.json:\d+:\d+: not a Parley session: the file is not valid JSON/],
    ['a foreign JSON file', () => '{"name": "something else"}', /not a Parley session file/],
    ['a newer format version', (t) => t.replace('"version": 1', '"version": 7'), /version 7 is not one this Parley reads[\s\S]*newer Parley/],
    ['another scenario', (t) => t.replace('"id": "mini"', '"id": "other"'), /for scenario `other`, not `mini`/],
    ['another version of the scenario', (t) => t.replace(/"hash": "[0-9a-f]{6}/, '"hash": "000000'), /another version of scenario `mini`/],
    ['a bad node', (t) => t.replace('"parent": null', '"parent": "x"'), /nodes\.0\.parent/],
    ['a step that does not replay', (t) => t.replace('"lever": "threaten"', '"lever": "call"'), /does not replay/],
  ];
  for (const [name, corrupt, message] of cases) {
    it(`refuses ${name} with a clear message`, () => {
      const s = explored();
      const file = join(dir, 'a.json');
      saveSession(s, file, true);
      const before = json(sessionToJson(s));
      writeFileSync(file, corrupt(readFileSync(file, 'utf8')));
      let error: unknown;
      try {
        loadSession(mini, file);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      expect((error as Error).message).toMatch(message);
      expect(json(sessionToJson(s))).toBe(before);
    });
  }

  it('says when the file is missing', () => {
    expect(() => loadSession(mini, join(dir, 'missing.json'))).toThrow(/missing\.json: no such session file/);
    expect(() => parseSessionText('[]', 'x.json')).toThrow(ScenarioError);
  });
});

describe('turns left to the policy', () => {
  it('are logged as the policy\'s, and the branch code still reopens the node they lead to', () => {
    let s = createSession(mini, { seed: 42 });
    for (let i = 0; i < 3; i++) {
      const next = policyMove(s);
      if ('type' in next) throw new Error(next.message);
      s = next;
    }
    const entries = entriesTo(s);
    expect(entries.filter((e) => e.by === 'player')).toEqual([]);
    const code = parseBranchCode(branchCode(s));
    expect(code.moves.length).toBe(3);
    const reopened = createSession(mini, { seed: code.seed, policy: code.policy, moves: code.moves });
    expect(currentNode(reopened).state).toEqual(currentNode(s).state);
    // Saved and loaded, the session keeps them as the policy's, and the same code.
    const dir = mkdtempSync(join(tmpdir(), 'parley-delegated-'));
    saveSession(s, join(dir, 's.json'));
    const back = loadSession(mini, join(dir, 's.json'));
    expect(branchCode(back)).toBe(branchCode(s));
    expect(entriesTo(back).map((e) => e.by)).toEqual(entries.map((e) => e.by));
  });
});

describe('file names for saves and exports', () => {
  it('names a session after its scenario, seed and role, and never takes a name already used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-names-'));
    const s = createSession(mini, { seed: 11 });
    expect(sessionFileName(s)).toBe('parley-mini-11.session.json');
    expect(sessionFileName(createSession(mini, { seed: 11, role: 'b' }))).toBe('parley-mini-11-b.session.json');
    const names = nameCandidates(dir, sessionFileName(s));
    expect(saveSessionFresh(s, names).path).toBe(join(dir, 'parley-mini-11.session.json'));
    writeFileSync(join(dir, 'parley-mini-11-2.session.json'), '{}');
    expect(saveSessionFresh(s, names).path).toBe(join(dir, 'parley-mini-11-3.session.json'));
    expect(readFileSync(join(dir, 'parley-mini-11-2.session.json'), 'utf8')).toBe('{}');
    expect(nameCandidates(dir, 'x-step4.md')(2)).toBe(join(dir, 'x-step4-2.md'));
  });
});

describe('the command that reopens a branch', () => {
  it('names a bundled scenario by id, and carries the role, parameters or exercise', () => {
    const pt = compile(loadScenario('petro-trump'));
    expect(reopenCommand(createSession(pt, { seed: 4 }), 'petro-trump:4:default')).toBe('parley play petro-trump --branch petro-trump:4:default');
    expect(reopenCommand(createSession(pt, { seed: 4, role: 'petro', params: { strike_appetite: 1 } }), 'C')).toBe('parley play petro-trump --branch C --role petro --set strike_appetite=1');
    expect(reopenCommand(createSession(pt, { seed: 4, role: 'petro', exercise: { id: 'security-compact', file: resolve('scenarios/exercises/security-compact.yaml') } }), 'C')).toBe('parley play --exercise security-compact --branch C');
    // An exercise of one's own is named by its file.
    expect(reopenCommand(createSession(pt, { seed: 4, role: 'petro', exercise: { id: 'security-compact', file: '/course/security-compact.yaml' } }), 'C')).toBe('parley play --exercise /course/security-compact.yaml --branch C');
    expect(reopenCommand(createSession(mini, { seed: 4 }), 'C')).toBe('parley play test/fixtures/mini.yaml --branch C');
  });
});

describe('Markdown export', () => {
  it('has the branch code, the steps and where it stands', () => {
    const s = ok(pull(createSession(mini, { seed: 42 }), 'praise', 'warm'));
    const md = exportMarkdown(s);
    expect(md).toContain('Branch code: `mini:42:default:1=praise+warm`');
    // Labels, not ids: what a person reads.
    expect(md).toContain('[1] Alpha pulls Praise forcing warm (chosen)');
    expect(md).toContain('| Hostility (`HOST`) | 42 |');
    expect(md).toMatch(/## Where it stands/);
  });
});

describe('outcome distribution from a node', () => {
  it('sums to n, gives Wilson intervals around each share, and does not depend on the chunk size', async () => {
    const s = createSession(mini, { seed: 4 });
    const progress: number[] = [];
    const a = await distribution(mini, currentNode(s).state, { n: 300, chunk: 64, onProgress: (d) => progress.push(d.n) });
    const b = await distribution(mini, currentNode(s).state, { n: 300, chunk: 1000 });
    expect(a).toEqual(b);
    expect(progress).toEqual([64, 128, 192, 256, 300]);
    expect(a.shares.reduce((x, o) => x + o.count, 0)).toBe(300);
    for (const o of a.shares) {
      expect(o.lo).toBeLessThanOrEqual(o.p);
      expect(o.hi).toBeGreaterThanOrEqual(o.p);
    }
    expect(a.shares.map((o) => o.outcome)).toEqual(['crisis', 'deal', 'muddle']);
  });

  it('counts exactly the outcomes of reseeded runs from the node, on every policy, mid-run and at the end', async () => {
    const petro = compile(loadScenario('petro-trump'));
    // Six decisions in, after a reroll: the node's seed is no longer the session's.
    let s = createSession(petro, { seed: 8 });
    for (let i = 0; i < 6; i++) s = policyMove(s) as Session;
    s = reroll(s, 77) as Session;
    const node = currentNode(s).state;
    expect(node.step).toBeGreaterThanOrEqual(6);
    expect(node.seed).toBe(77);
    for (const policy of ['default', 'random']) {
      const expected = petro.def.outcomes.map(() => 0);
      for (let i = 0; i < 300; i++) expected[runFrom(petro, node, { policy, reseed: deriveSeed(node.seed, i), executor: 'fast', trace: false }).state.outcome]!++;
      const d = await distribution(petro, node, { n: 300, policy });
      expect(d.shares.map((o) => o.count)).toEqual(expected);
    }
    const end = run(petro, { seed: 3, executor: 'fast', trace: false }).state;
    const done = await distribution(petro, end, { n: 50 });
    expect(done.shares.find((o) => o.count > 0)).toMatchObject({ outcome: petro.def.outcomes[end.outcome]!.id, count: 50 });
  });

  it('yields to the event loop between chunks and can be cancelled', async () => {
    const s = createSession(mini, { seed: 4 });
    const controller = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const pending = distribution(mini, currentNode(s).state, {
      n: 100_000, chunk: 50, signal: controller.signal,
      onProgress: (d) => { if (d.n >= 2000) controller.abort(); },
    });
    await expect(pending).rejects.toThrow(/abort/i);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('the classroom screen, in the session model', () => {
  const pt = compile(loadScenario('petro-trump'));

  it('odds as arithmetic: the modifiers give the value, the values rescaled give the engine\'s shares', () => {
    fc.assert(fc.property(seedArb, fc.integer({ min: 0, max: 40 }), (seed, steps) => {
      let s = createSession(pt, { seed });
      for (let i = 0; i < steps && !currentNode(s).state.ended; i++) s = ok(policyMove(s));
      const state = currentNode(s).state;
      if (state.ended) return;
      for (const lever of pt.def.levers) {
        if (unavailableReason(pt.def, state, currentActor(pt.def, state), lever) !== null) continue;
        const odds = leverOdds(pt.def, state, lever, true).odds;
        const a = oddsArithmetic(odds);
        for (const b of a.branches) {
          expect(b.share).toBeCloseTo(a.sum > 0 ? b.value / a.sum : 1 / odds.length, 12);
          expect(b.value).toBe(Math.min(1, Math.max(0, b.raw)));
        }
        expect(a.branches.reduce((n, b) => n + b.share, 0)).toBeCloseTo(1, 12);
        // Rescaling is shown exactly when it changes a number as shown.
        expect(a.rescaled).toBe(a.branches.some((b) => (b.value * 100).toFixed(1) !== (b.share * 100).toFixed(1)) || a.clamped);
      }
    }), { numRuns: 25 });
  });

  it('r draws the last pull again: the same lever from the same state, beside the old result, with a code that reopens it', () => {
    const s1 = ok(pull(createSession(mini, { seed: 42 }), 'praise'));
    expect(lastDrawn(s1)).toBe(1);
    const s2 = ok(redraw(s1, 1));
    const node = currentNode(s2);
    // A sibling of the old node, which stays.
    expect(node.parent).toBe(0);
    expect(s2.nodes[0]!.children).toEqual([1, 2]);
    expect(node.entries[0]!.action).toMatchObject({ type: 'reroll' });
    expect(node.entries[1]!.action).toEqual({ type: 'pull', lever: 'praise' });
    expect(node.entries[1]!.step).toBe(0);
    const draws = [s1.nodes[1]!, node].map((n) => n.entries.flatMap((e) => e.happenings).find((h) => h.type === 'lever'));
    expect(draws[0]!.type === 'lever' && draws[1]!.type === 'lever' && draws[0]!.draw !== draws[1]!.draw).toBe(true);
    // Again from the new node: a seed not tried there yet, a third sibling.
    const s3 = ok(redraw(s2, lastDrawn(s2)!));
    expect(s3.nodes[0]!.children).toHaveLength(3);
    expect(new Set(s3.nodes[0]!.children.map((c) => s3.nodes[c]!.state.seed)).size).toBe(3);
    const reopened = createSession(mini, { seed: 42, moves: parseBranchCode(branchCode(s3)).moves });
    expect(json(currentNode(reopened).state)).toBe(json(currentNode(s3).state));
    // A forced pull drew nothing, a one-branch lever has nothing to draw: the pull before them is the last drawn.
    const forced = ok(pull(s1, 'praise', 'flat'));
    expect(lastDrawn(forced)).toBe(1);
    expect(lastDrawn(createSession(mini, { seed: 42 }))).toBeNull();
  });

  it('finds where two branches split', () => {
    const s1 = ok(pull(createSession(mini, { seed: 5 }), 'praise', 'warm'));
    const s2 = ok(pull(s1, 'threaten'));
    const s3 = ok(pull(undo(undo(s2)), 'praise', 'flat'));
    expect(forkOf(s3, 2, 3)).toEqual({ at: 0, a: 1, b: 3 });
    expect(forkOf(s3, 1, 2)).toEqual({ at: 1, a: null, b: 2 });
  });

  it('says why a checkpoint named its outcome: the claimed rule holds, every rule before it fails', () => {
    for (let seed = 0; seed < 12; seed++) {
      let s = createSession(pt, { seed });
      const reports = [];
      while (!currentNode(s).state.ended) {
        const from = s.current;
        s = ok(policyMove(s));
        reports.push(...pathTo(s).slice(pathTo(s).indexOf(from) + 1).flatMap((id) => checkpointsAt(s, id)));
      }
      expect(reports.map((r) => r.final)).toEqual([false, true]);
      expect(reports.at(-1)!.outcome.index).toBe(currentNode(s).state.outcome);
      for (const r of reports) {
        if (r.parts.length) expect(r.join === 'or' ? r.parts.some((p) => p.held) : r.parts.every((p) => p.held)).toBe(true);
        for (const before of r.notHeld) {
          if (before.parts.length) expect(before.join === 'or' ? before.parts.every((p) => !p.held) : before.parts.some((p) => !p.held)).toBe(true);
        }
        expect(r.derived[0]!.label).toBe('Crisis index');
        expect(r.parts.every((p) => !/pulled\(|_/.test(p.text))).toBe(true);
      }
    }
  });
});

describe('an exercise session to hand in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-hand-in-'));

  it('the export carries the briefing, the objective, the score by requirement and by point, and the questions with room for answers', () => {
    const exercise = loadExercise('security-compact');
    let s = createSession(compile(exercise.def), { seed: exercise.config.seeds[0]!, policy: exercise.config.policy, params: exercise.params, role: 'petro', exercise: { id: exercise.id, file: exercise.file } });
    while (!currentNode(s).state.ended) s = ok(policyMove(s, true));
    const md = exportMarkdown(s, s.current, exercise);
    expect(md).toContain('## Exercise: As Petro: a security compact without extraditions');
    expect(md).toContain('### Briefing\n\nYou are Gustavo Petro');
    expect(md).toContain('### Objective\n\nLeave Washington with a security compact');
    expect(md).toMatch(/## Score\n\n\*\*Objective (met|not met) · score \d+ of 100\*\*/);
    expect(md).toMatch(/- \[[x ]\] No extraditions conceded/);
    expect(md).toMatch(/\| \d+ \| 60 \| the objective met \(every requirement\) \|/);
    expect(md).toMatch(/\| \d+ \| 40 \| the final outcome, [^|]+ \|/);
    expect(md).toContain('## Debrief questions\n\n1. Which lever did you pull first, and why?');
    expect(md).toContain('   *Your answer:*');
    // Labels, not ids, in what happened.
    expect(md).not.toMatch(/pulls [^\n]*\([a-z_]+\)/);
    // Without the exercise, the export is the plain branch.
    expect(exportMarkdown(s)).not.toContain('## Score');
  });

  it('objective parts: labels in the score, points of their own, and `when` or `parts`, not both', () => {
    const file = join(dir, 'parts.yaml');
    const head = `exercise: 1\ntitle: Parts\nscenario: ${resolve('test/fixtures/mini.yaml')}\nrole: b\nseeds: [7]\nbriefing: {basic: Hi}\nscoring: {objective: 50, outcomes: {deal: 20}}\n`;
    writeFileSync(file, `${head}objective:\n  description: Calm\n  parts:\n    - {label: Hostility at most 60, when: HOST <= 60, points: 10}\n    - {label: Never threatened, when: not pulled(threaten)}\n`);
    const exercise = loadExercise(file);
    expect(exercise.objectiveParts.map((p) => [p.label, p.points])).toEqual([['Hostility at most 60', 10], ['Never threatened', 0]]);
    let s = createSession(compile(exercise.def), { seed: 7, role: 'b' });
    while (!currentNode(s).state.ended) s = ok(act(s, { type: 'pass' }));
    const r = judgeExercise(exercise, currentNode(s).state);
    expect(r.requirements.map((x) => x.label)).toEqual(['Hostility at most 60', 'Never threatened']);
    expect(r.details).toEqual(r.requirements.map((x) => `${x.met ? 'met' : 'not met'}: ${x.label}`));
    expect(r.maxScore).toBe(80);
    expect(r.breakdown.map((b) => b.label)).toEqual(['the objective met (every requirement)', 'part: Hostility at most 60', expect.stringMatching(/^the final outcome, /)]);
    expect(r.score).toBe(r.breakdown.reduce((n, b) => n + b.points, 0));
    const issues = (text: string) => {
      writeFileSync(file, text);
      try {
        loadExercise(file);
      } catch (e) {
        return (e as ScenarioError).issues;
      }
      return [];
    };
    expect(issues(`${head}objective:\n  description: Calm\n  when: HOST <= 60\n  parts:\n    - {label: x, when: HOST <= 60}\n`)).toMatchObject([{ line: 11, path: 'objective.parts', message: 'give `when` or `parts`, not both' }]);
    // A part's condition is checked where it is written.
    expect(issues(`${head}objective:\n  description: Calm\n  parts:\n    - {label: x, when: HOST <= 60}\n    - {label: y, when: HOSTY <= 60}\n`)).toMatchObject([{ line: 12, path: 'objective.parts.1.when' }]);
  });
});
