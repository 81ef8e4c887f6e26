/**
 * The debrief over a class's saved sessions kept as fixtures (test/fixtures/sessions/): three
 * students of the `mini-deal` exercise on the mini scenario, who take the same first decision
 * and then part ways, and one session saved with an older version of the scenario.
 *
 * Regenerate the fixtures (after a deliberate change of the session format or of mini.yaml):
 *   PARLEY_REGEN_SESSIONS=1 npx vitest run test/debrief-fixtures.test.ts
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, loadExercise, type Rejection } from '../src/index.ts';
import { act, createSession, currentNode, policyMove, pull, type Session } from '../src/play/session.ts';
import { saveSession } from '../src/play/save.ts';
import { debriefMarkdown } from '../src/report/debrief.ts';

const DIR = 'test/fixtures/sessions';
const EXERCISE = 'test/fixtures/exercises/mini-deal.yaml';
const CLASS = ['ana', 'ben', 'cai'].map((name) => `${DIR}/${name}.session.json`);

describe.runIf(process.env.PARLEY_REGEN_SESSIONS)('regenerate the session fixtures', () => {
  it('writes ana, ben, cai and stale', () => {
    const exercise = loadExercise(EXERCISE);
    const compiled = compile(exercise.def);
    const ok = (x: Session | Rejection): Session => {
      if ('type' in x) throw new Error(x.message);
      return x;
    };
    const open = () => createSession(compiled, { seed: exercise.config.seeds[0]!, policy: exercise.config.policy, params: exercise.params, role: 'b', exercise: { id: exercise.id, file: EXERCISE } });
    const toEnd = (s: Session) => {
      let x = s;
      while (!currentNode(x).state.ended) x = ok(policyMove(x, true));
      return x;
    };
    // Threatens whenever it can, and passes otherwise, to the end.
    const hawk = (s: Session) => {
      let x = s;
      while (!currentNode(x).state.ended) {
        const threat = pull(x, 'threaten');
        x = 'type' in threat ? ok(act(x, { type: 'pass' })) : threat;
      }
      return x;
    };
    // Everyone threatens first; then ana praises, ben waits, cai keeps threatening.
    const first = () => ok(pull(open(), 'threaten'));
    const students: Record<string, Session> = {
      ana: toEnd(ok(pull(first(), 'praise'))),
      ben: toEnd(ok(act(first(), { type: 'pass' }))),
      cai: hawk(first()),
    };
    for (const [name, s] of Object.entries(students)) saveSession(s, `${DIR}/${name}.session.json`);
    const stale = JSON.parse(readFileSync(`${DIR}/ana.session.json`, 'utf8')) as { scenario: { hash: string } };
    stale.scenario.hash = '0'.repeat(64);
    writeFileSync(`${DIR}/stale.session.json`, JSON.stringify(stale, null, 1) + '\n');
    const text = readFileSync(`${DIR}/ana.session.json`, 'utf8');
    writeFileSync(`${DIR}/truncated.session.json`, text.slice(0, text.length >> 1));
  });
});

function parley(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(process.env.PARLEY_REGEN_SESSIONS)('debrief over saved sessions (fixtures)', () => {
  const md = debriefMarkdown(CLASS, 200);
  const section = (title: string) => md.split(`## ${title}\n\n`)[1]!.split('\n## ')[0]!;

  it('heads the report with the exercise, its role and the objective', () => {
    expect(md.split('## Results')[0]).toBe(
      '# Debrief: As Beta: a deal with at most one threat\n\n' +
        'Scenario `mini` (Mini), exercise `mini-deal`, role b; 3 sessions.\n\n' +
        '**Objective:** As Beta, end the aftermath with a deal, threatening at most once.\n\n' +
        'It asks that:\n\n- times “Threaten” was pulled ≤ 1\n- the final outcome is Deal\n\n',
    );
  });

  it("gives each student's outcome, objective and score", () => {
    expect(section('Results')).toBe(
      [
        '| student | seed | role | outcome | objective | score | decisions |',
        '|---|---|---|---|---|---|---|',
        '| ana | 7 | b | Deal | met | 100 of 100 | 7 |',
        '| ben | 7 | b | Deal | met | 100 of 100 | 7 |',
        '| cai | 7 | b | Deal | not met | 40 of 100 | 7 |',
        '',
      ].join('\n'),
    );
  });

  it('finds where the paths first diverged: the common prefix, then each next decision', () => {
    expect(section('Where the paths diverged')).toBe(
      [
        'Every student took the same first 1 decision:',
        '- step 2: Beta pulls Threaten → heard',
        '',
        '- **ana** then: step 5: Beta pulls Praise → flat',
        '- **ben** then: step 5: Beta passes',
        '- **cai** then: step 5: Beta pulls Threaten → ignored',
        '',
      ].join('\n'),
    );
    expect(section('Each path')).toContain('### cai\n\n1. step 2: Beta pulls Threaten → heard\n1. step 5: Beta pulls Threaten → ignored\n1. step 8: Beta passes\n');
    // Each student's score, requirement by requirement and point by point, as the screen showed it.
    expect(section('Each path')).toContain('- [ ] times “Threaten” was pulled ≤ 1\n- [x] the final outcome is Deal (it was Deal)\n\nScore 40 of 100: 0 of 60 for the objective met (every requirement); 40 of 40 for the final outcome, Deal (Deal 40, Muddle 10).\n');
  });

  it("sets the class's outcomes against default play, with intervals, then the questions", () => {
    const rows = section('The class against default play').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| outcome'));
    expect(rows.map((r) => r.split(' | ').slice(0, 2).join(' | '))).toEqual(['| Crisis | 0 of 3', '| Deal | 3 of 3', '| Muddle | 0 of 3']);
    for (const r of rows) expect(r).toMatch(/ \d+\.\d% \[\d+\.\d%, \d+\.\d%\] \|$/);
    expect(md.endsWith('## Questions\n\n1. When did you first praise, and why then?\n2. Did a threat ever pay off?\n')).toBe(true);
  });

  it('runs from the command line, deterministically', () => {
    const a = parley('debrief', ...CLASS, '--runs', '50');
    expect(a.code).toBe(0);
    expect(a.out).toBe(debriefMarkdown(CLASS, 50));
  });

  it('bounds --runs: a million runs of default play at most', () => {
    const r = parley('debrief', ...CLASS, '--runs', '1000001');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--runs: 1000001 is more than 1,000,000 runs of default play\n {2}hint: /);
  });

  it("finds a class's files when the sessions were collected elsewhere, or says where to put them", () => {
    // An instructor collects the sessions in a folder of their own, on another computer.
    const folder = mkdtempSync(join(tmpdir(), 'parley-class-'));
    const copies = CLASS.map((f) => {
      const to = join(folder, basename(f));
      copyFileSync(f, to);
      return to;
    });
    const lost = spawnSync(process.execPath, [resolve('bin/parley.js'), 'debrief', ...copies.map((c) => basename(c)), '--runs', '20'], { cwd: folder, encoding: 'utf8' });
    expect(lost.status).toBe(2);
    expect(lost.stderr).toBe("ana.session.json: cannot find the session's exercise `mini-deal` (saved as test/fixtures/exercises/mini-deal.yaml)\n  hint: put mini-deal.yaml next to the session file, or say where it is: --exercise FILE\n");
    const told = spawnSync(process.execPath, [resolve('bin/parley.js'), 'debrief', ...copies.map((c) => basename(c)), '--runs', '50', '--exercise', resolve(EXERCISE)], { cwd: folder, encoding: 'utf8' });
    expect(told.status).toBe(0);
    expect(told.stdout).toBe(debriefMarkdown(CLASS, 50));
    // The exercise and its scenario next to the sessions, in the same layout, are found there.
    mkdirSync(join(folder, 'test', 'fixtures', 'exercises'), { recursive: true });
    copyFileSync(EXERCISE, join(folder, 'test', 'fixtures', 'exercises', 'mini-deal.yaml'));
    copyFileSync('test/fixtures/mini.yaml', join(folder, 'test', 'fixtures', 'mini.yaml'));
    const found = spawnSync(process.execPath, [resolve('bin/parley.js'), 'debrief', ...copies, '--runs', '50'], { encoding: 'utf8', cwd: tmpdir() });
    expect(found.stderr).toBe('');
    expect(found.stdout.split('## Results')[0]).toBe(debriefMarkdown(CLASS, 50).split('## Results')[0]);
  });

  it('refuses a session saved with another version of the scenario, and a truncated one, with exit 2', () => {
    const stale = parley('debrief', CLASS[0]!, `${DIR}/stale.session.json`, '--runs', '10');
    expect(stale.code).toBe(2);
    expect(stale.err).toContain(`${DIR}/stale.session.json: the session was saved with another version of scenario \`mini\``);
    expect(stale.out).toBe('');
    const cut = parley('debrief', `${DIR}/truncated.session.json`);
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/^test\/fixtures\/sessions\/truncated\.session\.json:\d+:\d+: not a Parley session: the file is not valid JSON/);
    expect(cut.err).not.toContain('    at ');
  });
});
