/**
 * Names of `Object.prototype` members (`toString`, `valueOf`, `hasOwnProperty`, …) as every kind
 * of id: a scenario that uses them must validate and give exactly the results of the same
 * scenario with ordinary names — in `run` (both executors), in a batch's rows and summary, and
 * after `--resume`. An inherited method must never be read where a name was looked up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDesign, designPoints, runRange } from '../src/batch/design.ts';
import { chunkContext, runChunk, type BatchPlan } from '../src/batch/chunk.ts';
import { rowLayout } from '../src/batch/rows.ts';
import { runner } from '../src/analysis/runs.ts';
import { compile, run } from '../src/engine/engine.ts';
import type { ScenarioDefinition } from '../src/scenario/definition.ts';
import { loadScenarioText } from '../src/scenario/load.ts';
import { isParleyInputError } from '../src/scenario/errors.ts';
import { richDefinition, richScenarioInput } from './support/rich-scenario.ts';
import { createSession } from '../src/play/session.ts';
import { reopenCommand } from '../src/report/session-markdown.ts';
import { parseRow } from '../src/batch/rows.ts';
import { judgeExercise, loadExercise } from '../src/scenario/exercise.ts';

const ALL = Object.getOwnPropertyNames(Object.prototype);
/** Names an id can take at all (a letter first): `__proto__`, `__defineGetter__` … are refused by the id rule. */
const NAMES = ALL.filter((n) => /^[A-Za-z][A-Za-z0-9_]*$/.test(n));
/** Keys of a mapping: `constructor` is refused there as a key that could pollute prototypes. */
const KEY_NAMES = NAMES.filter((n) => n !== 'constructor');

describe('what the loader refuses', () => {
  it('refuses `__proto__`-like names and `constructor` as keys, with a message', () => {
    expect(NAMES).toEqual(expect.arrayContaining(['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString']));
    const mini = readFileSync('test/fixtures/mini.yaml', 'utf8');
    for (const name of ALL.filter((n) => !KEY_NAMES.includes(n))) {
      let message = '';
      try {
        loadScenarioText(mini.replace(/\bpush\b/g, name), 'p.yaml');
      } catch (error) {
        if (!isParleyInputError(error)) throw error;
        message = error.message;
      }
      expect(message, name).toMatch(/p\.yaml:\d+:\d+: /);
    }
  });
});

describe('lookups by name read own properties only', () => {
  const mini = readFileSync('test/fixtures/mini.yaml', 'utf8');

  it('a reopen command does not --set a parameter named toString that was not set', () => {
    const def = loadScenarioText(mini.replace(/\bpush\b/g, 'toString'), 'p.yaml');
    expect(reopenCommand(createSession(compile(def), { seed: 4 }), 'C')).toBe('parley play p.yaml --branch C');
  });

  it('a mediator damping an unknown lever `valueOf` is an error', () => {
    expect(() => loadScenarioText(mini.replace('levers: [threaten]', 'levers: [valueOf]'), 'p.yaml')).toThrow(/p\.yaml:\d+:\d+: unknown lever `valueOf`/);
  });

  it('an exercise scores an outcome named toString that has no points as 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-proto-'));
    writeFileSync(join(dir, 'river.yaml'), readFileSync('scenarios/river-dispute.yaml', 'utf8').replace(/\bfrozen_conflict\b/g, 'toString'));
    writeFileSync(join(dir, 'ex.yaml'), readFileSync('scenarios/exercises/river-treaty.yaml', 'utf8').replace('scenario: river-dispute', 'scenario: river.yaml'));
    const exercise = loadExercise(join(dir, 'ex.yaml'));
    const compiled = compile(exercise.def);
    const toString = exercise.def.outcomes.findIndex((o) => o.id === 'toString');
    const ends = Array.from({ length: 40 }, (_, seed) => run(compiled, { seed, policy: exercise.config.policy }).state).filter((s) => s.outcome === toString);
    expect(ends.length).toBeGreaterThan(0);
    for (const state of ends) expect(judgeExercise(exercise, state).score).toBe(0);
  });

  it('a JSONL row without its tension `toString` is malformed, not a function', () => {
    const layout = { params: [], checkpoints: ['hasOwnProperty'], tensions: ['toString'], outcomes: ['valueOf'], policy: 'default' };
    const row = '{"run":0,"point":0,"replicate":0,"seed":1,"params":{},"policy":"default","outcome":"valueOf","checkpoints":{},"tensions":{},"steps":1,"goldstein":0,"branch":"x"}';
    expect(() => parseRow(layout, row, 'jsonl')).toThrow(/bad tension/);
    expect(parseRow(layout, row.replace('"tensions":{}', '"tensions":{"toString":3}'), 'jsonl').checkpoints).toEqual(['']);
  });
});

/** Every ordinary name of a rich scenario's kinds (parameters, tensions, …) and the proto name it becomes. */
type Renaming = ReadonlyMap<string, string>;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function renamer(map: Renaming): (s: string) => string {
  if (map.size === 0) return (s) => s;
  const re = new RegExp(`\\b(${[...map.keys()].map(escape).join('|')})\\b`, 'g');
  return (s) => s.replace(re, (m) => map.get(m)!);
}
function deepRename(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => deepRename(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [f(k), deepRename(v, f)]));
  return value;
}

/**
 * The ordinary names of each kind in a rich scenario; whether the kind is a mapping's key; and
 * whether it shares its namespace with others: tensions, derived values, levers and events; and
 * phases, relationship and stance states, which expressions compare with each other.
 */
const KINDS: readonly { readonly names: readonly string[]; readonly key: boolean; readonly shared?: 'expr' | 'text' }[] = [
  { names: ['k0', 'k1'], key: true }, // parameters
  { names: ['T0', 'T1', 'T2'], key: true, shared: 'expr' }, // tensions
  { names: ['d0', 'd1'], key: true, shared: 'expr' }, // derived values
  { names: ['a0', 'a1', 'a2'], key: true }, // actors (and turn orders)
  { names: ['s0', 's1'], key: true, shared: 'text' }, // stance states
  { names: ['r0', 'r1', 'r2'], key: true, shared: 'text' }, // relationship states
  { names: ['p0', 'p1', 'p2'], key: false, shared: 'text' }, // phases
  { names: ['l0', 'l1', 'l2', 'l3'], key: true, shared: 'expr' }, // levers
  { names: ['b0', 'b1', 'b2'], key: true }, // lever branches
  { names: ['coop', 'hard'], key: false }, // tags
  { names: ['e0', 'e1'], key: true, shared: 'expr' }, // events
  { names: ['x0', 'x1', 'x2'], key: true }, // event branches
  { names: ['m0', 'm1'], key: true }, // mediators
  { names: ['c0', 'c1'], key: false }, // couplings
  { names: ['bad', 'mixed', 'calm'], key: false }, // outcomes
  { names: ['default'], key: true }, // policies
];

/** For each kind, maybe, one of its names becomes a proto name (distinct in the shared namespace). */
const renaming: fc.Arbitrary<Renaming> = fc
  .array(fc.record({ use: fc.boolean(), pick: fc.nat(), name: fc.nat() }), { minLength: KINDS.length, maxLength: KINDS.length })
  .map((choices) => {
    const map = new Map<string, string>();
    const shared = new Set<string>();
    KINDS.forEach((kind, i) => {
      const c = choices[i]!;
      if (!c.use) return;
      const pool = (kind.key ? KEY_NAMES : NAMES).filter((n) => !(kind.shared && shared.has(`${kind.shared}:${n}`)));
      const to = pool[c.name % pool.length]!;
      if (kind.shared) shared.add(`${kind.shared}:${to}`);
      map.set(kind.names[c.pick % kind.names.length]!, to);
    });
    return map;
  });

/** JSON without the content hash, functions and the random streams' internal state (named `s0`, `s1` …). */
const strip = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'hash' || k === 'r' || typeof v === 'function' ? undefined : typeof v === 'bigint' ? String(v) : v));

/**
 * BUG in src (found by the property below, which fails for some random seeds since the kernel
 * redesign, 3b85775): a run's result carries its outcome's definition, whose `when` is now a
 * compiled expression — an object with its IR — where it was a function (which JSON leaves out).
 * The IR holds names as process-wide codes (`codeOf` in src/scenario/ir.ts: numbered in the
 * order the process first meets them), so `JSON.stringify(run(…))` changes when a name is
 * renamed, and depends on what the process loaded before. The outputs of the CLI pick the
 * outcome's id and label and are not affected. Not fixed here (tests only): this test fails
 * until it is.
 */
describe('a run result’s JSON holds no compiled expression (an outcome rule is code, not data)', () => {
  it('gives the same JSON for a scenario with a relationship state renamed', () => {
    const text = readFileSync('test/fixtures/mini.yaml', 'utf8');
    const plain = compile(loadScenarioText(text, 'mini.yaml'));
    const renamed = compile(loadScenarioText(text.replace(/\bhostile\b/g, 'enemy'), 'mini.yaml'));
    // `crisis` is the outcome whose rule names the state: `MIL >= 70 or relationship == 'hostile'`.
    const seed = Array.from({ length: 200 }, (_, k) => k).find((k) => run(plain, { seed: k }).outcome.id === 'crisis');
    expect(seed).toBeDefined();
    const a = run(plain, { seed: seed! });
    const b = run(renamed, { seed: seed! });
    const json = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'hash' ? undefined : v));
    expect(json(b).replace(/\benemy\b/g, 'hostile')).toBe(json(a));
  });
});

describe('Object.prototype names as every kind of id', () => {
  it('give the results of ordinary names in run (both executors) and in batch rows', () => {
    let checked = 0;
    // Cases that compared runs to the end (the others stop on NaN, and check that the renamed scenario stops too).
    let compared = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), renaming, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed, map, runSeed) => {
        const raw = richScenarioInput(seed);
        const plain = richDefinition(raw);
        if (!plain) return;
        // Outputs name the policy; in the scenario, `default` is also a field (of parameters).
        const rename = renamer(map);
        const policy = map.get('default') ?? 'default';
        const input = deepRename(raw, renamer(new Map([...map].filter(([k]) => k !== 'default')))) as { policies: Record<string, unknown> };
        input.policies = Object.fromEntries(Object.entries(input.policies).map(([k, v]) => [k === 'default' ? policy : k, v]));
        const renamed = richDefinition(input);
        expect(renamed, `renamed with ${JSON.stringify([...map])}`).not.toBeNull();
        const proto = renamed!;
        checked++;
        for (const executor of ['xstate', 'fast'] as const) {
          let a;
          try {
            a = run(compile(plain), { seed: runSeed, executor });
          } catch (error) {
            // A generated expression may meet NaN in this run: then the renamed one stops there too.
            if (!isParleyInputError(error) || !/the run met /.test(error.message)) throw error;
            expect(() => run(compile(proto), { seed: runSeed, executor, policy })).toThrow(/the run met /);
            return;
          }
          const b = run(compile(proto), { seed: runSeed, executor, policy });
          expect(strip(b)).toBe(rename(strip(a)));
        }
        compared++;
        // A batch over every parameter: one set, the rest sampled, with rows in both formats.
        const params = plain.parameters.map((p) => p.id);
        for (const format of ['jsonl', 'csv'] as const) {
          const rows = (def: ScenarioDefinition, names: (s: string) => string, pol: string) => {
            // Three designs: defaults only; the first parameter set and the others sampled; the last swept.
            const kind = runSeed % 3;
            const first = params.length ? names(params[0]!) : null;
            const last = params.length ? names(params[params.length - 1]!) : null;
            const design = buildDesign(def, {
              seed: runSeed, policy: pol, runsPerPoint: 3, branch: null, shard: null,
              sweeps: kind === 2 && last ? [`${last}=0:1:3`] : [],
              set: kind === 1 && first ? { [first]: 0.25 } : {},
              sample: kind === 1 && params.length > 1 ? 'lhs:2' : null,
            });
            const plan: BatchPlan = { scenarioFile: 'x', hash: def.hash, policy: pol, seed: runSeed, runsPerPoint: 3, branch: null, format };
            const points = designPoints(def, design);
            const [start, end] = runRange(design);
            const ctx = chunkContext(runner(def, pol), rowLayout(def, pol));
            return runChunk(ctx, { plan, start, end, points: Object.fromEntries(points.map((p, i) => [i, p])) });
          };
          let a;
          try {
            a = rows(plain, (s) => s, 'default');
          } catch (error) {
            if (!isParleyInputError(error) || !/the run met /.test(error.message)) throw error;
            expect(() => rows(proto, rename, policy)).toThrow(/the run met /);
            continue;
          }
          const b = rows(proto, rename, policy);
          if (format === 'jsonl') for (const line of b.rows!.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
          expect(b.rows).not.toMatch(/native code|\[object /);
          expect(b.rows).toBe(rename(a.rows!));
          expect(strip(b.tallies)).toBe(strip(a.tallies));
        }
      }),
      { numRuns: 60 },
    );
    expect(checked).toBeGreaterThan(10);
    expect(compared).toBeGreaterThan(5);
  });
});

const BIN = resolve('bin/parley.js');
function parley(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the command line with Object.prototype names', () => {
  // The fixture with a name of Object.prototype for each kind of id it has.
  const MAP: Renaming = new Map([
    ['push', 'toString'], ['HOST', 'valueOf'], ['MIL', 'hasOwnProperty'], ['crisis', 'isPrototypeOf'],
    ['praise', 'propertyIsEnumerable'], ['warm', 'toLocaleString'], ['talks', 'constructor'], ['deal', 'toString'],
    ['muddle', 'valueOf'], ['incident', 'toLocaleString'], ['calm', 'hasOwnProperty'], ['tense', 'isPrototypeOf'],
  ]);
  const base = readFileSync('test/fixtures/mini.yaml', 'utf8');
  // A second parameter, so that a batch can set one, sweep one and sample another.
  const withParams = base.replace('parameters:\n', 'parameters:\n  valueOfx: {default: 0.2, range: [0, 1]}\n  zeta: {default: 0.3, range: [0, 1]}\n');
  const rename = renamer(new Map([...MAP, ['valueOfx', 'valueOf'], ['zeta', 'hasOwnProperty'], ['mini', 'mini']]));
  const proto = rename(withParams);
  const plain = withParams;

  it('validates, runs and batches with the results of ordinary names, and resumes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-proto-'));
    writeFileSync(join(dir, 'mini.yaml'), plain);
    const pdir = mkdtempSync(join(tmpdir(), 'parley-proto-'));
    writeFileSync(join(pdir, 'mini.yaml'), proto);
    expect(parley(pdir, 'validate', 'mini.yaml')).toMatchObject({ code: 0 });
    for (const executor of ['xstate', 'fast']) {
      const a = parley(dir, 'run', 'mini.yaml', '--seed', '7', '--executor', executor, '--json', '--set', 'push=0.9');
      const b = parley(pdir, 'run', 'mini.yaml', '--seed', '7', '--executor', executor, '--json', '--set', 'toString=0.9');
      expect(b.err).toBe('');
      expect(b.code).toBe(0);
      expect(b.out.replace(/"hash": ?"[0-9a-f]+"/g, '')).toBe(rename(a.out).replace(/"hash": ?"[0-9a-f]+"/g, ''));
    }
    for (const out of ['rows.jsonl', 'rows.csv']) {
      const args = (set: string, sweep: string) => ['batch', 'mini.yaml', '--runs', '40', '--seed', '3', '--set', set, '--sweep', sweep, '--sample', 'lhs:2', '--out', out, '--summary', `${out}.json`, '--workers', '1'];
      const a = parley(dir, ...args('zeta=0.5', 'push=0:1:3'));
      const b = parley(pdir, ...args('hasOwnProperty=0.5', 'toString=0:1:3'));
      expect(b.err).toBe('');
      expect(b.code).toBe(0);
      expect(a.code).toBe(0);
      const rows = readFileSync(join(pdir, out), 'utf8');
      expect(rows).not.toMatch(/native code/);
      if (out.endsWith('.jsonl')) for (const line of rows.trimEnd().split('\n')) JSON.parse(line);
      const noHash = (s: string) => s.replace(/"hash": ?"[0-9a-f]+"/g, '').replace(/"wallSeconds": [^,]+,|"runsPerSecond": [^,]+,/g, '');
      expect(noHash(rows)).toBe(noHash(rename(readFileSync(join(dir, out), 'utf8'))));
      expect(noHash(readFileSync(join(pdir, `${out}.json`), 'utf8'))).toBe(noHash(rename(readFileSync(join(dir, `${out}.json`), 'utf8'))));
      // Cut the file in the middle of its rows and resume: the same bytes come back.
      truncateSync(join(pdir, out), Math.floor(rows.length * 0.6));
      const r = parley(pdir, ...args('hasOwnProperty=0.5', 'toString=0:1:3'), '--resume');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(readFileSync(join(pdir, out), 'utf8')).toBe(rows);
    }
    // A policy named like a prototype member is a policy like any other; an unknown one is refused.
    const unknown = parley(pdir, 'run', 'mini.yaml', '--seed', '1', '--policy', 'valueOf');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown policy `valueOf`/);
  });
});
