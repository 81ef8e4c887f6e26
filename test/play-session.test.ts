import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, currentActor, loadScenario, parseBranchCode, run, ScenarioError, type Rejection } from '../src/index.ts';
import {
  act, branchCode, canRedo, canUndo, compareNodes, createSession, currentNode, entriesTo, FACILITATOR, goTo, pathTo, policyMove, pull, redo, reroll, roles, setRole, undo,
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
    expect(md).toContain('[1] Alpha pulls Praise (praise) forcing warm (chosen)');
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
