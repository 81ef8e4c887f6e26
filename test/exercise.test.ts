import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, formatIssue, judgeExercise, loadExercise, loadScenario, run, ScenarioError } from '../src/index.ts';
import { objectiveParts } from '../src/scenario/exercise.ts';

function parley(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const BUNDLED = ['security-compact', 'keep-the-channel', 'river-treaty'].map((id) => `scenarios/exercises/${id}.yaml`);

describe('exercises', () => {
  it.each(BUNDLED)('%s loads against its scenario', (file) => {
    const exercise = loadExercise(file);
    expect(exercise.config.seeds.length).toBeGreaterThan(0);
    expect(exercise.def.actors.some((a) => a.id === exercise.config.role)).toBe(true);
  });

  it('adds its injects to the scenario schedule', () => {
    const exercise = loadExercise('scenarios/exercises/keep-the-channel.yaml');
    const phase = exercise.def.phases.find((p) => p.id === 'aftermath')!;
    const boat = exercise.def.events.findIndex((e) => e.id === 'boat_strike');
    expect(exercise.def.schedule[phase.firstRound + 1]).toContain(boat);
    const result = run(compile(exercise.def), { seed: 3 });
    expect(result.trace.flatMap((e) => e.happenings).some((h) => h.type === 'event' && h.event === 'boat_strike' && h.scheduled)).toBe(true);
  });

  it('judges the objective on the final state and scores it', () => {
    const exercise = loadExercise('scenarios/exercises/river-treaty.yaml');
    const compiled = compile(exercise.def);
    const results = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => judgeExercise(exercise, run(compiled, { seed, policy: exercise.config.policy }).state));
    for (const r of results) {
      expect(r.maxScore).toBe(100);
      expect(r.score).toBe(r.met ? 100 : r.score);
      expect(r.details[0]).toMatch(/^(met|not met): final outcome \w+ \(wanted water_treaty\)$/);
    }
    expect(new Set(results.map((r) => r.met)).size).toBe(2);
  });

  it('reports every problem of a broken exercise with its place', () => {
    let issues: string[] = [];
    try {
      loadExercise('test/fixtures/exercises/broken.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      issues = (error as ScenarioError).issues.map((i) => formatIssue(i).replace('test/fixtures/exercises/', ''));
    }
    expect(issues).toEqual([
      'broken.yaml:4:7: unknown role `petrro`\n  hint: did you mean `petro`?',
      'broken.yaml:7:13: unknown event `boat_strikes`\n  hint: did you mean `boat_strike`?',
      'broken.yaml:7:50: round 9 is past the end of phase `meeting`, which has 4 rounds\n  hint: a round from 1 to 4',
      'broken.yaml:10:29: `kingpin_list` has no branch `joint_cel`\n  hint: did you mean `joint_cell`?',
      'broken.yaml:10:44: unknown name `HOTS`\n  hint: did you mean `HOST`?',
      'broken.yaml:11:14: unknown outcome `strategic_rest`\n  hint: did you mean `strategic_reset`?',
      'broken.yaml:14:14: unknown outcome `conditional_truse`\n  hint: did you mean `conditional_truce`?',
    ]);
  });

  it('refuses a role a student may not play, as play --role does, with the roles that may', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-exercise-role-'));
    try {
      const file = join(dir, 'adviser.yaml');
      writeFileSync(file, ['exercise: 1', 'title: As the foreign minister', 'scenario: petro-trump', 'role: villavicencio', 'seeds: [1]', 'objective: {description: calm, outcomes: [strategic_reset]}', 'briefing: {basic: Frame the agenda.}', 'debrief: [Why?]', ''].join('\n'));
      let issues: string[] = [];
      try {
        loadExercise(file);
      } catch (error) {
        issues = (error as ScenarioError).issues.map((i) => formatIssue(i).replace(`${dir}/`, ''));
      }
      expect(issues).toEqual(['adviser.yaml:4:7: `villavicencio` (FM Rosa Yolanda Villavicencio, adviser) cannot be played: advisers are not played unless the scenario marks them `playable: true`\n  hint: roles of petro-trump: facilitator, petro, trump, paul']);
      const cli = parley('validate', file);
      expect(cli.code).toBe(2);
      expect(cli.err).toContain('cannot be played: advisers are not played');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parley run --exercise reports the objective and the score, on the exercise seed', () => {
    const { code, out } = parley('run', '--exercise', 'keep-the-channel');
    expect(code).toBe(0);
    expect(out).toContain('Seed 3 · policy default');
    expect(out).toContain('Exercise: As the mediator: keep the relationship out of crisis (keep-the-channel) · role paul');
    expect(out).toMatch(/^Result: objective (met|not met) · score \d+ of 100$/m);
    const json = JSON.parse(parley('run', '--exercise', 'scenarios/exercises/keep-the-channel.yaml', '--seed', '5', '--json').out);
    expect(json.seed).toBe(5);
    expect(json.exercise).toMatchObject({ id: 'keep-the-channel', role: 'paul', maxScore: 100 });
    expect(typeof json.exercise.met).toBe('boolean');
  });

  it('parley run --exercise with a broken file exits 2 with every problem', () => {
    const { code, err } = parley('run', '--exercise', 'test/fixtures/exercises/broken.yaml');
    expect(code).toBe(2);
    expect(err.split('\n').filter((l) => l.startsWith('test/')).length).toBe(7);
    expect(parley('run', '--exercise', 'nope.yaml').err).toContain('nope.yaml: no such file');
    expect(parley('run', '--exercise', 'security-compct').err).toBe('security-compct: no bundled exercise `security-compct`, and no such file\n  hint: did you mean `security-compact`?\n');
  });

  it('parley run --exercise --branch replays a branch of the exercise', () => {
    const { code, out } = parley('run', '--exercise', 'security-compact', '--branch', 'petro-trump:11:default:4=show_record+lands_well');
    expect(code).toBe(0);
    expect(out).toContain('  [4] Gustavo Petro pulls Show the counter-narcotics record (show_record) forcing lands_well (chosen)');
    expect(out).toContain('Replay: parley run --exercise security-compact --branch petro-trump:11:default:4=show_record+lands_well');
    expect(out).toMatch(/^Result: objective (met|not met) · score \d+ of 100$/m);
  });

  it('splits an objective at its top-level ands only', () => {
    const def = loadScenario('petro-trump');
    const parts = (src: string) => objectiveParts(src, def).map((p) => p.source);
    expect(parts("HOST < 50 and (MIL > 3 and CHAN < 9) && relationship != 'tense'")).toEqual(['HOST < 50', '(MIL > 3 and CHAN < 9)', "relationship != 'tense'"]);
    expect(parts('HOST < 50')).toEqual(['HOST < 50']);
    // `or` binds looser than `and`: not a conjunction, so it stays whole.
    expect(parts('HOST < 50 or MIL > 3 and CHAN < 9')).toEqual(['HOST < 50 or MIL > 3 and CHAN < 9']);
    expect(parts('not pulled(extraditions)&&(HOST<50 or MIL>3)')).toEqual(['not pulled(extraditions)', '(HOST<50 or MIL>3)']);
    expect(parts('HOST > 999 and MIL > 999 ? false : true')).toEqual(['HOST > 999 and MIL > 999 ? false : true']);
    expect(parts('HOST > 999 and MIL > 3 or(CHAN > 1)')).toEqual(['HOST > 999 and MIL > 3 or(CHAN > 1)']);
    expect(parts('HOST > 1 and(MIL > 3)')).toEqual(['HOST > 1', '(MIL > 3)']);
  });

  it('says which part of the objective was met and which was not', () => {
    const { out } = parley('run', '--exercise', 'security-compact', '--seed', '11');
    const lines = out.split('\n').filter((l) => /^  (met|not met): /.test(l));
    // The exercise gives its objective as labelled parts: the labels, not the conditions.
    expect(lines.map((l) => l.replace(/^  (met|not met): /, ''))).toEqual([
      'A security compact — a joint intelligence cell or a border framework — agreed',
      'No extraditions conceded',
      'The relationship neither hostile nor broken at the end',
    ]);
    const result = /^Result: objective (met|not met)/m.exec(out)![1];
    expect(result === 'met').toBe(lines.every((l) => l.startsWith('  met: ')));
  });

  it('a folder that happens to bear a bundled id does not hide the bundled file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-ids-'));
    mkdirSync(join(dir, 'petro-trump'));
    mkdirSync(join(dir, 'security-compact'));
    const r = spawnSync(process.execPath, [resolve('bin/parley.js'), 'validate', 'petro-trump', 'security-compact'], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toBe('petro-trump: ok\nsecurity-compact: ok\n');
    expect(r.status).toBe(0);
  });

  it('parley validate checks exercise files too, by path or bundled id', () => {
    const ok = parley('validate', 'scenarios/exercises/river-treaty.yaml', 'security-compact');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('scenarios/exercises/river-treaty.yaml: ok\nsecurity-compact: ok\n');
    const bad = parley('validate', 'test/fixtures/exercises/broken.yaml');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('test/fixtures/exercises/broken.yaml:4:7: unknown role `petrro`\n  hint: did you mean `petro`?');
    expect(bad.err).not.toContain('missing required field');
  });
});
