import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LINT_RUNS, LINT_TURN_BUDGET, lintFile } from '../src/analysis/lint.ts';

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const DIR = 'test/fixtures/lint';

/** Each fixture plants one defect in test/fixtures/mini.yaml; lint finds it, where it is, and nothing else. */
const PLANTED: { fixture: string; severity: 'error' | 'warning'; line: number; column: number; message: RegExp }[] = [
  { fixture: 'unreachable-state', severity: 'error', line: 20, column: 89, message: /relationship state `allied` cannot be reached from the initial state `tense`/ },
  { fixture: 'dead-end-state', severity: 'warning', line: 15, column: 82, message: /stance of `a` `angry` has no transition out/ },
  { fixture: 'untouched-tension', severity: 'warning', line: 12, column: 3, message: /tension `TRADE` is never changed/ },
  { fixture: 'unused-actor', severity: 'warning', line: 18, column: 3, message: /actor `o` is in no turn order/ },
  { fixture: 'unused-parameter', severity: 'warning', line: 9, column: 3, message: /parameter `knob` is not read by any expression/ },
  { fixture: 'unused-source', severity: 'warning', line: 7, column: 10, message: /source `s2` is never cited/ },
  { fixture: 'dead-event', severity: 'error', line: 69, column: 3, message: /event `rumour` has no `hazard` and is not in the `schedule`/ },
  { fixture: 'lever-never-available', severity: 'warning', line: 45, column: 3, message: /lever `ultimatum` was never available in \d+ sampled runs/ },
  { fixture: 'zero-branch', severity: 'warning', line: 36, column: 7, message: /branch `praise.cold` had probability 0 every time the lever was pulled/ },
  { fixture: 'event-never-fires', severity: 'warning', line: 69, column: 3, message: /event `quake` never fired in \d+ sampled runs/ },
  { fixture: 'outcome-never-reached', severity: 'warning', line: 84, column: 10, message: /outcome `miracle` was never reached/ },
];

/** Findings about chart transitions that the sampled runs never take (mini has three: its thresholds are never reached). */
const UNTAKEN = /^the transition from .* was never taken in \d+ sampled runs/;

describe('lint', () => {
  it('finds in the mini fixture the others are built from only the transitions its sampled runs never take', () => {
    const findings = lintFile('test/fixtures/mini.yaml', { runs: 100 });
    expect(findings.map((f) => [f.severity, f.line, f.column, f.path, f.message])).toEqual([
      ['warning', 14, 110, 'actors.a.stance.transitions.0', 'the transition from `calm` to `angry` was never taken in 200 sampled runs (random and default policies), though runs were in `calm`'],
      ['warning', 14, 152, 'actors.a.stance.transitions.1', 'the transition from `angry` to `calm` was never taken in 200 sampled runs (random and default policies): no run was ever in that state'],
      ['warning', 21, 7, 'relationship.transitions.0', 'the transition from `tense` to `hostile` was never taken in 200 sampled runs (random and default policies), though runs were in `tense`'],
    ]);
    // The hints give the expression to write, whole.
    expect(findings[0]!.hint).toBe("its guard `HOST > 70` never held while `stance(a) == 'calm'`; a coupling, a cap or a floor may keep it out of reach");
    expect(findings[1]!.hint).toBe("`stance(a) == 'angry'` never held at the end of a round: check the transitions into `angry` first");
    expect(findings[2]!.hint).toContain("never held while `relationship == 'tense'`");
    expect(lintFile('test/fixtures/mini.yaml', { runs: 0 })).toEqual([]);
  });

  for (const p of PLANTED) {
    it(`finds the planted defect in ${p.fixture}.yaml at ${p.line}:${p.column}`, () => {
      const findings = lintFile(`${DIR}/${p.fixture}.yaml`, { runs: 100 }).filter((f) => !UNTAKEN.test(f.message));
      expect(findings).toHaveLength(1);
      const [f] = findings;
      expect(f!.message).toMatch(p.message);
      expect(f!.severity).toBe(p.severity);
      expect([f!.line, f!.column]).toEqual([p.line, p.column]);
      expect(f!.file).toBe(`${DIR}/${p.fixture}.yaml`);
      expect(f!.hint).toBeTruthy();
    });
  }

  it('reports every rule after one that always holds, once each, as errors', () => {
    const findings = lintFile(`${DIR}/shadowed-outcome.yaml`, { runs: 100 }).filter((f) => !UNTAKEN.test(f.message));
    expect(findings.map((f) => [f.severity, f.line, f.column, f.message.split(':')[0]])).toEqual([
      ['error', 84, 10, 'outcome `deal` can never be reached'],
      ['error', 85, 10, 'outcome `muddle` can never be reached'],
    ]);
  });

  it('gives the same findings every time (fixed seeds)', () => {
    expect(lintFile(`${DIR}/zero-branch.yaml`, { runs: 50 })).toEqual(lintFile(`${DIR}/zero-branch.yaml`, { runs: 50 }));
  });

  it('finds no errors in the bundled scenarios', () => {
    for (const id of ['petro-trump', 'river-dispute']) {
      expect(lintFile(id).filter((f) => f.severity === 'error')).toEqual([]);
    }
  });
});

describe('parley lint', () => {
  it('exits 0 on clean files, 1 on errors, with file:line:col, severity and hint', () => {
    const clean = parley('lint', 'river-dispute', 'test/fixtures/mini.yaml', '--runs', '0');
    expect(clean.code).toBe(0);
    expect(clean.err).toContain('river-dispute: clean');
    const sampled = parley('lint', 'river-dispute', '--runs', '50');
    expect(sampled.code).toBe(0);
    expect(sampled.out).toContain("warning: the transition from `crisis` to `strained` was never taken in 100 sampled runs (random and default policies), though runs were in `crisis`\n  hint: its guard `danger < 60` never held while `relationship == 'crisis'`, or an earlier transition out of `crisis` (to `clash`) took every run first");
    const warn = parley('lint', `${DIR}/unused-source.yaml`, '--runs', '0');
    expect(warn.code).toBe(0);
    expect(warn.out).toBe(`${DIR}/unused-source.yaml:7:10: warning: source \`s2\` is never cited\n  hint: cite it where it supports a value (\`cite: [s2]\`), or remove it\n`);
    const err = parley('lint', `${DIR}/dead-event.yaml`, '--runs', '0');
    expect(err.code).toBe(1);
    expect(err.out).toMatch(/^test\/fixtures\/lint\/dead-event\.yaml:69:3: error: event `rumour`/);
    expect(err.err).toContain('1 error, 0 warnings');
  });

  it('reports as one JSON document with --json, with the same exit statuses', () => {
    const r = parley('lint', '--json', '--runs', '0', `${DIR}/dead-event.yaml`, `${DIR}/unused-source.yaml`, 'river-dispute');
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ format: 'parley-problems', version: 1, command: 'lint', errors: 1, warnings: 1 });
    expect(report.files.map((f: { file: string; loaded: boolean; problems: unknown[] }) => [f.file, f.loaded, f.problems.length])).toEqual([
      [`${DIR}/dead-event.yaml`, true, 1],
      [`${DIR}/unused-source.yaml`, true, 1],
      ['river-dispute', true, 0],
    ]);
    expect(report.files[1].problems[0]).toEqual({
      severity: 'warning', line: 7, column: 10, path: expect.any(String), message: 'source `s2` is never cited', hint: 'cite it where it supports a value (`cite: [s2]`), or remove it',
    });
    const broken = parley('lint', '--json', '--runs', '0', 'test/fixtures/broken-scenario.yaml', 'river-dispute');
    expect(broken.code).toBe(2);
    const b = JSON.parse(broken.out);
    expect(b.files[0]).toMatchObject({ file: 'test/fixtures/broken-scenario.yaml', loaded: false });
    expect(b.files[0].problems.length).toBe(b.errors);
    expect(b.files[0].problems[0]).toMatchObject({ severity: 'error', line: expect.any(Number), column: expect.any(Number), hint: 'did you mean `eln`?' });
    expect(b.files[1]).toMatchObject({ file: 'river-dispute', loaded: true, problems: [] });
  });

  it('shows the linter\'s own defaults in its help (read from lint-limits.ts, without loading the linter)', () => {
    const help = parley('lint', '--help');
    expect(help.code).toBe(0);
    expect(help.out.replace(/\s+/g, ' ')).toContain(`(default: ${DEFAULT_LINT_RUNS}, fewer for long scenarios: at most ${LINT_TURN_BUDGET.toLocaleString('en')} turns in all)`);
  });

  it('exits 2 on bad input: a broken file, an unknown id, a bad flag', () => {
    const broken = parley('lint', 'test/fixtures/broken-scenario.yaml');
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/broken-scenario\.yaml:\d+:\d+: /);
    const missing = parley('lint', 'river-dispute', 'no-such-scenario', '--runs', '10');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no bundled scenario `no-such-scenario`');
    expect(parley('lint', 'river-dispute', '--runs', 'many').code).toBe(2);
    expect(parley('lint').code).toBe(2);
  });
});
