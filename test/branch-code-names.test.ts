/**
 * Branch codes always replay: a scenario id of any characters is percent-encoded where needed
 * (the bundled ids need none, so their codes are unchanged), and a file of one's own whose id is
 * a bundled scenario's is named by its file name, so that its code never replays on the bundled
 * scenario.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeScenario, formatBranchCode, parseBranchCode, type BranchCode } from '../src/engine/branch-code.ts';
import { bundledScenarioIds, loadScenario, run, compile } from '../src/index.ts';

const BIN = resolve('bin/parley.js');
const MINI = resolve('test/fixtures/mini.yaml');

function parley(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const codeOf = (out: string): string => /branch code (\S+)/.exec(out)![1]!;

describe('scenario ids in branch codes', () => {
  it('leave the bundled ids and plain ids as they are', () => {
    for (const id of [...bundledScenarioIds(), 'mini', 'a.b_c-d', 'X9']) expect(encodeScenario(id)).toBe(id);
    expect(formatBranchCode({ scenario: 'petro-trump', seed: 42, policy: 'default', moves: [{ step: 3, action: { type: 'pull', lever: 'show_record', force: 'lands_well' } }] })).toBe('petro-trump:42:default:4=show_record+lands_well');
  });

  it('percent-encode every other character, and a leading `_`, `.` or `-`', () => {
    expect(encodeScenario('my scenario')).toBe('my%20scenario');
    expect(encodeScenario('a:b')).toBe('a%3Ab');
    expect(encodeScenario('сценарий')).toBe('%D1%81%D1%86%D0%B5%D0%BD%D0%B0%D1%80%D0%B8%D0%B9');
    expect(encodeScenario('-x')).toBe('%2Dx');
    expect(encodeScenario('50%,done')).toBe('50%25%2Cdone');
  });

  it('round-trip: every code parses back to what was formatted', () => {
    const id = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 30 }), fc.constantFrom(...bundledScenarioIds()));
    const move = fc.oneof(
      fc.record({ step: fc.nat(50), action: fc.constant({ type: 'pass' as const }) }),
      fc.record({ step: fc.nat(50), action: fc.record({ type: fc.constant('reroll' as const), seed: fc.nat() }) }),
      fc.record({ step: fc.nat(50), action: fc.record({ type: fc.constant('pull' as const), lever: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/) }) }),
    );
    fc.assert(
      fc.property(id, fc.nat(), fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), fc.array(move, { maxLength: 5 }), (scenario, seed, policy, raw) => {
        // Steps in order, one decision per step (a reroll may come before the decision of its step).
        const moves = [...raw].sort((a, b) => a.step - b.step || (a.action.type === 'reroll' ? -1 : 1)).filter((m, i, all) => i === 0 || m.step !== all[i - 1]!.step);
        const code: BranchCode = { scenario, seed, policy, moves };
        const text = formatBranchCode(code);
        expect(text).toMatch(/^[A-Za-z0-9%][A-Za-z0-9_.%-]*:\d+:/);
        expect(parseBranchCode(text)).toEqual(code);
      }),
      { numRuns: 500 },
    );
  });

  it('refuse malformed escapes and overlong names with a short message', () => {
    expect(() => parseBranchCode('a%E2:1:default')).toThrow(/bad scenario `a%E2` in the branch code/);
    expect(() => parseBranchCode('a%zz:1:default')).toThrow(/bad scenario/);
    const long = `${'x'.repeat(100_000)}:1:default`;
    let message = '';
    try {
      parseBranchCode(long);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/bad scenario `x+…`/);
    expect(message.length).toBeLessThan(300);
  });
});

describe('codes of scenario files of one own', () => {
  it.each(['сценарий', 'my scenario', 'a:b', '_under'])('replay for a file named %s.yaml', (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-codes-'));
    copyFileSync(MINI, join(dir, `${name}.yaml`));
    const first = parley(['run', `./${name}.yaml`, '--seed', '4'], dir);
    expect(first.code).toBe(0);
    const code = codeOf(first.out);
    expect(code).toBe(`${encodeScenario(name)}:4:default`);
    const again = parley(['run', `./${name}.yaml`, '--branch', code], dir);
    expect(again.err).toBe('');
    expect(again.out).toBe(first.out);
    // Without the file, the code says so instead of failing on its own syntax.
    const alone = parley(['run', '--branch', code], dir);
    expect(alone.code).toBe(2);
    expect(alone.err).toContain(`the branch code is for scenario \`${name}\`, which is not bundled: a code of a scenario file needs its file named`);
  });

  it('name a local file that shares a bundled id by its file name, and never replay it on the bundled scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-codes-'));
    copyFileSync(MINI, join(dir, 'petro-trump.yaml'));
    const local = parley(['run', './petro-trump.yaml', '--seed', '4'], dir);
    expect(local.code).toBe(0);
    expect(codeOf(local.out)).toBe('petro-trump.yaml:4:default');
    // The code alone opens the local file (the current folder), not the bundled scenario.
    const replayed = parley(['run', '--branch', 'petro-trump.yaml:4:default'], dir);
    expect(replayed.out).toBe(local.out);
    // A bundled code is refused on the local file, and the local code on the bundled scenario.
    expect(parley(['run', './petro-trump.yaml', '--branch', 'petro-trump:4:default'], dir).err).toContain('the branch code is for scenario `petro-trump`, not `petro-trump.yaml`');
    expect(parley(['run', 'petro-trump', '--branch', 'petro-trump.yaml:4:default'], dir).err).toContain('the branch code is for scenario `petro-trump.yaml`, not `petro-trump`');
    // The bundled scenario's codes are as they were.
    const bundled = parley(['run', 'petro-trump', '--seed', '4'], dir);
    expect(codeOf(bundled.out)).toBe('petro-trump:4:default');
    expect(run(compile(loadScenario('petro-trump')), { seed: 4 }).branchCode).toBe('petro-trump:4:default');
  });
});
