import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MINI = 'test/fixtures/mini.yaml';

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('parley run', () => {
  it('prints the same transcript, byte for byte, for the same seed', () => {
    const a = parley('run', MINI, '--seed', '42');
    const b = parley('run', MINI, '--seed', '42');
    expect(a.code).toBe(0);
    expect(a.err).toBe('');
    expect(a.out).toBe(b.out);
    expect(a.out).toContain('Seed 42 · policy default · branch code mini:42:default');
    expect(a.out).toMatch(/\[1\] Alpha pulls Praise \(praise\)/);
    expect(a.out).toMatch(/odds: warm 63\.6% \[base 60\.0%; \+10pt \(Channel\)\], flat 36\.4%/);
    expect(a.out).toMatch(/^Outcome: \w+/m);
    expect(a.out).toMatch(/^Final: relationship \w+/m);
  });

  it('runs the bundled default scenario when none is named, the same bytes every time', () => {
    const a = parley('run', '--seed', '42');
    expect(a.code).toBe(0);
    expect(a.out).toBe(parley('run', 'petro-trump', '--seed', '42').out);
    expect(a.out).toMatch(/^Parley [\d.]+ — Petro at the White House \(petro-trump, [0-9a-f]{12}\)$/m);
    expect(a.out).toContain('Eve of the meeting — round 1 of 1 — 2026-02-02');
    expect(a.out).toContain('The White House meeting — round 1 of 4 — 2026-02-03');
    expect(a.out).toMatch(/^Outcome: .+ \((militarised_crisis|public_blow_up|strategic_reset|conditional_truce|cordial_but_thin)\)$/m);
  });

  it('gives another run for another seed', () => {
    expect(parley('run', MINI, '--seed', '1').out).not.toBe(parley('run', MINI, '--seed', '2').out);
  });

  it('picks a seed when none is given, prints it, and that seed repeats the run', () => {
    const first = parley('run', MINI);
    const seed = /\(seed (\d+) picked at random; add --seed \1 to repeat this run\)/.exec(first.out)?.[1];
    expect(seed).toMatch(/^\d+$/);
    const again = parley('run', MINI, '--seed', seed!);
    expect(first.out.split('\n').slice(1).join('\n')).toBe(again.out);
  });

  it('prints one JSON document with provenance, the trace, the final state and the outcome', () => {
    const { code, out } = parley('run', MINI, '--seed', '7', '--json');
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({ parley: expect.any(String), seed: 7, policy: 'default', scenario: { id: 'mini', title: 'Mini' }, branchCode: 'mini:7:default' });
    expect(doc.scenario.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.trace.length).toBe(17);
    expect(doc.final.ended).toBe(true);
    expect(doc.outcome.id).toBe(doc.final.outcome);
    expect(Object.keys(doc.final.tensions)).toEqual(['HOST', 'MIL']);
  });

  it('gives the same run from both executors', () => {
    expect(parley('run', MINI, '--seed', '5', '--executor', 'fast').out).toBe(parley('run', MINI, '--seed', '5').out);
  });

  it('replays a branch code, choices and forced branches included', () => {
    const { code, out } = parley('run', MINI, '--branch', 'mini:42:random:1=praise+flat,5=-');
    expect(code).toBe(0);
    expect(out).toContain('branch code mini:42:random:1=praise+flat,5=-');
    expect(out).toContain('[1] Alpha pulls Praise (praise) forcing flat (chosen)');
    expect(out).toContain('[5] Beta passes (chosen)');
  });

  it('applies --set parameters and shows them', () => {
    const { code, out } = parley('run', MINI, '--seed', '3', '--set', 'push=1');
    expect(code).toBe(0);
    expect(out).toContain('Parameters: push=1');
    // The branch code does not carry parameters: the Replay line does, and repeats the run.
    const replay = /^Replay: parley run (.+)$/m.exec(out)![1]!;
    expect(replay).toBe(`${MINI} --branch mini:3:default --set push=1`);
    expect(parley('run', ...replay.split(' ')).out).toBe(out);
    expect(parley('run', MINI, '--seed', '3').out).not.toContain('Replay:');
  });

  it('numbers steps in branch codes as the transcript does', () => {
    const { out } = parley('run', MINI, '--seed', '42');
    const third = /^  \[3\] (\w+) pulls .+ \((\w+)\)/m.exec(out)!;
    const forced = parley('run', MINI, '--branch', `mini:42:default:3=${third[2]}`);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(new RegExp(`^  \\[3\\] ${third[1]} pulls .+ \\(${third[2]}\\) \\(chosen\\)`, 'm'));
  });
});

describe('bad input to the command line', () => {
  it.each([
    [['run', MINI, '--seed', '-1'], /^--seed: must be a whole number from 0 to 4294967295, not `-1`$/m],
    [['run', MINI, '--seed', 'abc'], /--seed: must be a whole number from 0 to 4294967295, not `abc`/],
    [['run', MINI, '--seed', '4294967296'], /--seed: must be a whole number from 0 to 4294967295, not `4294967296`/],
    [['run', MINI, '--seed', '1.5'], /--seed: must be a whole number/],
    [['run', MINI, '--sed', '4'], /^parley: unknown option '--sed'\n\(Did you mean one of --seed, --set\?\)/],
    [['rnu'], /unknown command 'rnu'\n\(Did you mean run\?\)/],
    [['run', MINI, '--policy', 'nope'], /--policy: unknown policy `nope`\n  hint: policies of mini: random, default/],
    [['run', MINI, '--set', 'pusj=1'], /--set: unknown parameter `pusj`\n  hint: parameters of mini: push/],
    [['run', MINI, '--set', 'push=2'], /--set: push = 2 is outside its range \[0, 1\]/],
    [['run', MINI, '--set', 'push'], /--set: takes NAME=VALUE, not `push`/],
    [['run', MINI, '--executor', 'turbo'], /--executor: must be xstate or fast, not `turbo`/],
    [['run', 'no-such-scenario'], /no-such-scenario: no bundled scenario `no-such-scenario`, and no such file/],
    [['run', 'missing/file.yaml'], /missing\/file\.yaml: no such file/],
    [['run', 'test'], /test: is a directory, not a scenario file/],
    [['run', MINI, '--branch', 'mini:x:default'], /bad seed `x` in the branch code/],
    [['run', MINI, '--branch', 'other:1:default'], /the branch code is for scenario `other`, not `mini`/],
    // A scenario named on the command line is not overridden by the code's, even the default one.
    [['run', 'petro-trump', '--branch', 'river-dispute:1:default'], /the branch code is for scenario `river-dispute`, not `petro-trump`/],
    [['play', 'petro-trump', '--branch', 'river-dispute:1:default'], /the branch code is for scenario `river-dispute`, not `petro-trump`/],
    [['play', 'river-dispute', '--load', 'test/fixtures/sessions/ana.session.json'], /exercise `mini-deal` is played on its own scenario `mini`, not `river-dispute`/],
    [['run', MINI, '--branch', 'mini:1:default:1=threaten'], /step 1: Alpha cannot pull `threaten`/],
    [['run', MINI, '--branch', 'mini:1:default:0=praise'], /bad move `0=praise` in the branch code: steps count from 1, as the transcript numbers them/],
    [['validate'], /missing required argument 'files'/],
    [['run', '--branch', 'mini:1:default', MINI, '--policy', 'random'], /--policy: random disagrees with the branch code's policy default\n  hint: leave out --policy/],
    [['run', 'river-dispute', '--exercise', 'security-compact'], /--exercise: exercise `security-compact` is played on its own scenario `petro-trump`, not `river-dispute`/],
    [['run', '--exercise', 'keep-the-channel', '--branch', 'river-dispute:1:default'], /the branch code is for scenario `river-dispute`, not `petro-trump`/],
    [['play', 'river-dispute', '--exercise', 'security-compact'], /--exercise: exercise `security-compact` is played on its own scenario `petro-trump`, not `river-dispute`/],
  ])('parley %j exits 2 with a clear message and no stack', (args, message) => {
    const { code, err, out } = parley(...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
    expect(out).toBe('');
  });
});

describe('output to a reader that goes away', () => {
  it('stops quietly with status 0 when the pipe closes (as `parley run --json | head -c 100` does)', () => {
    // The shell's own pipe: head reads 100 bytes and exits; parley must not print an EPIPE stack.
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" bin/parley.js run --json --seed 1 | head -c 100 >/dev/null`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!existsSync('/dev/full'))('says so, without a stack, when standard output cannot be written (a full disk)', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" bin/parley.js run --seed 1 > /dev/full`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('parley: cannot write to standard output: ENOSPC: no space left on device, write\n');
    expect(r.status).toBe(2);
  });
});

describe('parley validate', () => {
  it('says ok for valid files and exits 0', () => {
    const { code, out } = parley('validate', MINI);
    expect(code).toBe(0);
    expect(out).toBe(`${MINI}: ok\n`);
  });

  it('reports every problem in every file and exits 2', () => {
    const { code, out, err } = parley('validate', MINI, 'test/fixtures/broken-scenario.yaml', 'nope.yaml');
    expect(code).toBe(2);
    expect(out).toBe(`${MINI}: ok\n`);
    expect(err).toContain(
      [
        'test/fixtures/broken-scenario.yaml:8:25: unknown name `eln_risk`\n  hint: did you mean `eln`?',
        'test/fixtures/broken-scenario.yaml:14:35: unknown state `cordail`\n  hint: did you mean `cordial`?',
        'test/fixtures/broken-scenario.yaml:23:36: unknown tension `hots`\n  hint: did you mean `host`?',
      ].join('\n'),
    );
    expect(err).toContain('nope.yaml: no such file');
    expect(err).toMatch(/2 of 3 files have problems\n$/);
  });

  it('reports as one JSON document with --json', () => {
    const { code, out, err } = parley('validate', '--json', MINI, 'test/fixtures/broken-scenario.yaml', 'nope.yaml');
    expect(code).toBe(2);
    expect(err).toBe('');
    const report = JSON.parse(out);
    expect(report).toMatchObject({ format: 'parley-problems', version: 1, command: 'validate', errors: 4, warnings: 0 });
    expect(report.files[0]).toEqual({ file: MINI, loaded: true, problems: [] });
    expect(report.files[1].problems.map((p: { line: number; column: number; message: string; hint: string }) => [p.line, p.column, p.message, p.hint])).toEqual([
      [8, 25, 'unknown name `eln_risk`', 'did you mean `eln`?'],
      [14, 35, 'unknown state `cordail`', 'did you mean `cordial`?'],
      [23, 36, 'unknown tension `hots`', 'did you mean `host`?'],
    ]);
    expect(report.files[2]).toMatchObject({ file: 'nope.yaml', loaded: false, problems: [{ severity: 'error', line: null, message: expect.stringContaining('no such file') }] });
  });
});

describe('startup', () => {
  it('never loads Ink or React for non-interactive commands', () => {
    // Follow the static imports of the built command; Ink may only be reached through dynamic import().
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // The bundle may be minified: `import{a as b}from"./chunk-X.js";` several to a line.
      expect(text).not.toMatch(/from\s*["'](ink|react|ink-testing-library)["']/);
      // Ink and React are bundled into play's own chunks: their code must not be reached either.
      expect(text, file).not.toMatch(/reconcilerVersion|ink-text/);
      for (const m of text.matchAll(/(?:^|[;\n])\s*import\s*(?:[^;()'"]*?from\s*)?["'](\.\/[^"']+)["']/g)) visit(join(dirname(file), m[1]!));
    };
    visit('dist/cli.js');
    expect(seen.size).toBeGreaterThan(4);
  });
});
