/**
 * Outputs that must not change by a byte unless a change of the engine's semantics says so (and
 * then the engine version moves): the SHA-256 of the rows of 3,000 batch runs under every policy
 * of both bundled scenarios, of a sweep and of a branch batch, of 30 traced runs from both
 * executors, and of play's outcome distributions from a node.
 *
 * To record new figures after a deliberate change: PARLEY_FINGERPRINT=write npx vitest run test/fingerprint.test.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, loadScenario, run, runFrom, start, step, type CompiledScenario } from '../src/index.ts';
import { distribution } from '../src/play/distribution.ts';

const FILE = join(import.meta.dirname, 'fixtures', 'fingerprint.json');
const writing = process.env.PARLEY_FINGERPRINT === 'write';
const recorded: Record<string, string> = writing ? {} : JSON.parse(readFileSync(FILE, 'utf8'));
const measured: Record<string, string> = {};
const dir = mkdtempSync(join(tmpdir(), 'parley-fingerprint-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (writing) writeFileSync(FILE, JSON.stringify(measured, null, 2) + '\n');
});

const BIN = resolve('bin/parley.js');
const parley = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function check(name: string, text: string): void {
  measured[name] = sha(text);
  if (!writing) expect(measured[name], name).toBe(recorded[name]);
}

/** The rows of a batch (without the header line, which names the output file). */
function rows(args: string[]): string {
  const out = join(dir, `rows-${Object.keys(measured).length}.csv`);
  const r = parley(['batch', ...args, '--out', out, '--summary', join(dir, 'summary.json'), '--workers', '1', '--force']);
  expect(r.status, r.stderr).toBe(0);
  const text = readFileSync(out, 'utf8');
  return text.slice(text.indexOf('\n') + 1);
}

const scenarios = ['petro-trump', 'river-dispute'] as const;
const compiled = new Map<string, CompiledScenario>(scenarios.map((id) => [id, compile(loadScenario(id))]));

describe('outputs are the same bytes as recorded', () => {
  for (const id of scenarios) {
    const policies = ['random', ...compiled.get(id)!.def.policies.keys()].filter((p, i, all) => all.indexOf(p) === i);
    for (const policy of policies) {
      it(`${id}: rows of 3,000 runs under ${policy}`, () => {
        check(`rows ${id} ${policy}`, rows([id, '--runs', '3000', '--seed', '11', '--policy', policy]));
      });
    }
  }

  it('petro-trump: rows of a sweep with a Latin hypercube sample', () => {
    check('rows petro-trump sweep', rows(['petro-trump', '--runs', '40', '--seed', '5', '--sweep', 'mediator_influence=0:0.2:4', '--sample', 'lhs:5']));
  });

  it('petro-trump: rows of a branch batch (moves, then each run rerolled)', () => {
    const r = run(compiled.get('petro-trump')!, { seed: 77 });
    const first = r.trace.find((e) => e.action.type === 'pull')!;
    const code = `petro-trump:77:default:${first.step + 1}=${first.action.type === 'pull' ? first.action.lever : ''},${first.step + 3}=-`;
    check('rows petro-trump branch', rows(['--branch', code, '--runs', '2000', '--seed', '9']));
  });

  it('30 traced runs, from both executors, are the same trace', () => {
    const traces: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = scenarios[i % 2]!;
      const c = compiled.get(id)!;
      const policies = [...c.def.policies.keys()];
      const options = { seed: 1000 + i * 7919, policy: policies[i % policies.length]! };
      const x = run(c, { ...options, executor: 'xstate' });
      const f = run(c, { ...options, executor: 'fast' });
      const text = JSON.stringify({ opening: x.opening, trace: x.trace, state: x.state, code: x.branchCode });
      expect(JSON.stringify({ opening: f.opening, trace: f.trace, state: f.state, code: f.branchCode })).toBe(text);
      traces.push(text);
    }
    check('traced runs', traces.join('\n'));
  });

  it('a played branch with forced branches and a reroll, continued to the end', () => {
    const c = compiled.get('petro-trump')!;
    let { state } = start(c, 4242);
    const entries: unknown[] = [];
    for (const action of [{ type: 'pass' }, { type: 'reroll', seed: 99 }, { type: 'pass' }] as const) {
      const r = step(c, state, action);
      if (r.type === 'rejected') throw new Error(r.message);
      state = r.state;
      entries.push(r.entry);
    }
    const rest = runFrom(c, state, { policy: 'hawkish' });
    check('played branch', JSON.stringify({ entries, state, rest: rest.trace, outcome: rest.outcome.id }));
  });

  it("play's outcome distribution from the start and from a node", async () => {
    const parts: string[] = [];
    for (const id of scenarios) {
      const c = compiled.get(id)!;
      const from = run(c, { seed: 3 }).trace[4]!;
      let { state } = start(c, 3);
      for (let i = 0; i < from.step; i++) {
        const r = step(c, state, run(c, { seed: 3 }).trace[i]!.action);
        if (r.type === 'rejected') throw new Error(r.message);
        state = r.state;
      }
      for (const s of [start(c, 3).state, state]) parts.push(JSON.stringify(await distribution(c, s, { n: 1500 })));
    }
    check('distributions', parts.join('\n'));
  });
});
