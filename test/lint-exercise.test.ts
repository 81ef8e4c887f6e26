import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lintFile } from '../src/analysis/lint.ts';

const DIR = 'test/fixtures/lint';

function parley(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** One planted defect per exercise fixture (on test/fixtures/mini.yaml): lint finds it, where it is, and nothing else. */
const PLANTED = [
  { fixture: 'exercise-never-met', line: 8, column: 3, message: /^the objective was never met in 100 sampled runs under the `default` policy, nor in 100 of random play$/ },
  { fixture: 'exercise-always-met', line: 8, column: 3, message: /^the objective was met in all 100 sampled runs of random play/ },
  { fixture: 'exercise-duplicate-seed', line: 6, column: 15, message: /^seed 4 is listed twice$/ },
];

describe('lint of exercises', () => {
  for (const p of PLANTED) {
    it(`finds the planted defect in ${p.fixture}.yaml at ${p.line}:${p.column}`, () => {
      const findings = lintFile(`${DIR}/${p.fixture}.yaml`, { runs: 100 });
      expect(findings).toHaveLength(1);
      const [f] = findings;
      expect(f!.message).toMatch(p.message);
      expect([f!.severity, f!.line, f!.column, f!.file]).toEqual(['warning', p.line, p.column, `${DIR}/${p.fixture}.yaml`]);
      expect(f!.hint).toBeTruthy();
    });
  }

  it('finds nothing in the bundled exercises (by id) or the debrief fixture', () => {
    for (const ref of ['security-compact', 'keep-the-channel', 'river-treaty', 'test/fixtures/exercises/mini-deal.yaml']) expect([ref, lintFile(ref, { runs: 100 })]).toEqual([ref, []]);
  });

  it('runs from the command line: warnings exit 0, a broken exercise exits 2 with file:line:col', () => {
    const ok = parley('lint', 'keep-the-channel', `${DIR}/exercise-duplicate-seed.yaml`, '--runs', '20');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`${DIR}/exercise-duplicate-seed.yaml:6:15: warning: seed 4 is listed twice\n  hint: two sections would play the same run: use distinct seeds\n`);
    expect(ok.err).toContain('keep-the-channel: clean');
    const broken = parley('lint', 'test/fixtures/exercises/broken.yaml', '--runs', '0');
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/^test\/fixtures\/exercises\/broken\.yaml:4:7: unknown role `petrro`/m);
    expect(broken.err).not.toContain('    at ');
  });
});
