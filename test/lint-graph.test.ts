import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintFile } from '../src/analysis/lint.ts';

const DIR = 'test/fixtures/lint';

describe('lint over the compiled statechart (xstate/graph)', () => {
  it('reports a transition whose guard is always false, at the guard', () => {
    // The sampled checks leave it to the static one (they report only mini's own untaken transitions, lines 14 and 21).
    const findings = lintFile(`${DIR}/dead-transition.yaml`, { runs: 50 }).filter((f) => !(/^the transition from .* was never taken in/.test(f.message) && (f.line === 14 || f.line === 21)));
    expect(findings.map((f) => [f.severity, f.line, f.column, f.message])).toEqual([
      ['error', 24, 42, 'the transition to `hostile` is never taken: its guard `false` is always false'],
    ]);
    expect(findings[0]!.hint).toBeTruthy();
  });

  it('does not count a transition that is never taken as a way into its target', () => {
    // unreachable-state.yaml, plus a transition into `allied` that is switched off.
    const text = readFileSync(`${DIR}/unreachable-state.yaml`, 'utf8').replace(
      '    - {from: tense, to: hostile, when: crisis >= 65}\n',
      '    - {from: tense, to: hostile, when: crisis >= 65}\n    - {from: tense, to: allied, when: 1 > 2}\n',
    );
    const file = join(mkdtempSync(join(tmpdir(), 'parley-lint-')), 'switched-off.yaml');
    writeFileSync(file, text);
    const findings = lintFile(file, { runs: 0 });
    expect(findings.map((f) => [f.severity, f.line, f.message.split(':')[0]])).toEqual([
      ['error', 20, 'relationship state `allied` cannot be reached from the initial state `tense`'],
      ['error', 23, 'the transition to `allied` is never taken'],
    ]);
  });

  it('reports a lever whose actors decide in none of its phases, once, as an error', () => {
    const findings = lintFile(`${DIR}/lever-never-on-turn.yaml`, { runs: 50 }).filter((f) => !/^the transition from .* was never taken in/.test(f.message));
    expect(findings.map((f) => [f.severity, f.line, f.column, f.message])).toEqual([
      ['error', 44, 3, 'lever `veto` can never be pulled: its actors (`m`) decide in none of its phases'],
    ]);
  });
});
