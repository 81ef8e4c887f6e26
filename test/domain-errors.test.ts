/**
 * Errors that front ends decide on carry what they decide by as fields, beside a message that
 * stays as it was: a branch code's reason, step and move; an unknown policy's name and the
 * scenario's policies; an unknown scenario's nearest bundled id.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BranchCodeError, compile, loadScenario, parseBranchCode, run, UnknownPolicyError, UnknownScenarioError, UsageError, isParleyInputError } from '../src/index.ts';
import { createSession } from '../src/play/session.ts';

const MINI = resolve('test/fixtures/mini.yaml');
const mini = compile(loadScenario(MINI));

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function branchError(f: () => unknown): BranchCodeError {
  const error = thrown(f);
  expect(error).toBeInstanceOf(BranchCodeError);
  return error as BranchCodeError;
}

describe('BranchCodeError', () => {
  it.each([
    ['mini:1', { reason: 'syntax' }],
    ['mini:x:default', { reason: 'syntax' }],
    ['mini:1:default:4=praise+', { reason: 'syntax', move: '4=praise+' }],
    ['mini:1:default:0=praise', { reason: 'syntax', step: 0, move: '0=praise' }],
    ['mini:1:default:5=praise,4=-', { reason: 'syntax', step: 4, move: '4=-' }],
    ['mini:1:default:3=-+x', { reason: 'syntax', step: 3, move: '3=-+x' }],
  ])('of a code that does not parse (%s) says so, and where', (code, details) => {
    expect(branchError(() => parseBranchCode(code)).details).toEqual(details);
  });

  it('of a session whose code does not replay gives the step and the move', () => {
    const refused = branchError(() => createSession(mini, { seed: 1, moves: [{ step: 0, action: { type: 'pull', lever: 'threaten' } }] }));
    expect(refused.message).toMatch(/^step 1: Alpha cannot pull `threaten`/);
    expect(refused.details).toEqual({ reason: 'replay', step: 1, move: '1=threaten' });
    const late = branchError(() => createSession(mini, { seed: 1, moves: [{ step: 999, action: { type: 'pass' } }] }));
    expect(late.message).toBe('the run ended after step 17, before the move at step 1000');
    expect(late.details).toEqual({ reason: 'ended-early', step: 1000, move: '1000=-' });
  });

  it('of a run that does not replay gives the reason and the step', () => {
    expect(branchError(() => run(mini, { seed: 1, moves: [{ step: 0, action: { type: 'pull', lever: 'threaten' } }] }))).toMatchObject({ reason: 'replay', step: 1 });
    expect(branchError(() => run(mini, { seed: 1, moves: [{ step: 999, action: { type: 'pass' } }] }))).toMatchObject({ reason: 'ended-early', step: 1000 });
  });
});

describe('UnknownPolicyError and UnknownScenarioError', () => {
  it('are input errors with the names a front end needs, and the same messages', () => {
    const policy = new UnknownPolicyError('nope', ['default', 'random'], 'mini');
    expect(policy).toBeInstanceOf(UsageError);
    expect(isParleyInputError(policy)).toBe(true);
    expect(policy.message).toBe('--policy: unknown policy `nope`\n  hint: policies of mini: default, random');
    expect([policy.policy, policy.known, policy.flag]).toEqual(['nope', ['default', 'random'], '--policy']);
    const near = thrown(() => loadScenario('petro-trunp'));
    expect(near).toBeInstanceOf(UnknownScenarioError);
    expect((near as UnknownScenarioError).nearest).toBe('petro-trump');
    expect((near as Error).message).toBe('petro-trunp: no bundled scenario `petro-trunp`, and no such file\n  hint: did you mean `petro-trump`?');
    expect((thrown(() => loadScenario('zzzzzzzz')) as UnknownScenarioError).nearest).toBeUndefined();
  });
});

describe('the command line decides by the fields', () => {
  const parley = (...args: string[]) => spawnSync(process.execPath, [resolve('bin/parley.js'), ...args], { encoding: 'utf8', timeout: 60_000 });

  it('batch: a branch code whose last move ends the run leaves nothing to vary', () => {
    const last = run(mini, { seed: 1 }).trace.at(-1)!;
    const move = last.action.type === 'pull' ? `${last.step + 1}=${last.action.lever}` : `${last.step + 1}=-`;
    const r = parley('batch', MINI, '--runs', '5', '--branch', `mini:1:default:${move}`);
    expect(r.stderr).toBe("--branch: the branch code's last move ends the run: there is nothing left to vary\n  hint: give the code of a node before the end\n");
    expect(r.status).toBe(2);
  });

  it('batch: an unknown policy names the scenario\'s', () => {
    const r = parley('batch', MINI, '--runs', '5', '--policy', 'nope');
    expect(r.stderr).toMatch(/--policy: unknown policy `nope`\n {2}hint: policies of mini: /);
    expect(r.status).toBe(2);
  });

  it('run: a code of a scenario that is not bundled asks for its file, unless a bundled id is close', () => {
    expect(parley('run', '--branch', 'my-own:1:default').stderr).toContain('the branch code is for scenario `my-own`, which is not bundled: a code of a scenario file needs its file named');
    expect(parley('run', '--branch', 'petro-trunp:1:default').stderr).toContain('no bundled scenario `petro-trunp`, and no such file\n  hint: did you mean `petro-trump`?');
  });
});
