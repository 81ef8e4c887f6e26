/**
 * Format 1.1, feature by feature, on its fixture (test/fixtures/v11/flights.yaml): what each
 * addition does in a run, and the message, line and column for each way of writing it wrong.
 * Format 1 files load as before (test/fingerprint.test.ts holds their outputs to the byte).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, formatIssue, isParleyInputError, leverOdds, loadScenario, loadScenarioText, replay, run, unavailableReason, validateScenarioFile, type Issue } from '../src/index.ts';
import { evaluate } from '../src/scenario/expr.ts';
import { lintFile } from '../src/analysis/lint.ts';
import { formatTranscript } from '../src/report/transcript.ts';
import { roundMoment } from '../src/scenario/dates.ts';
import { initialState } from '../src/engine/state.ts';
import { mini } from './support/mini.ts';

const FIXTURE = 'test/fixtures/v11/flights.yaml';
const flights = readFileSync(FIXTURE, 'utf8');
const def = loadScenario(FIXTURE);
const compiled = compile(def);
const dir = mkdtempSync(join(tmpdir(), 'parley-v11-'));

/** The fixture with some text replaced; each `from` must occur in it. */
function edit(...pairs: [string, string][]): string {
  let text = flights;
  for (const [from, to] of pairs) {
    if (!text.includes(from)) throw new Error(`fixture has no ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

/** Every message for `text`, as the CLI prints them. */
function messages(text: string): string[] {
  const file = join(dir, 'case.yaml');
  writeFileSync(file, text);
  return validateScenarioFile(file).map((i) => formatIssue(i).replace(file, 'case.yaml'));
}

/** The line and column of the first occurrence of `needle` (plus `offset` characters) in `text`. */
function at(text: string, needle: string, offset = 0): string {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`no ${needle}`);
  const before = text.slice(0, index + offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** The tension changes of the first pull of `lever` in a run. */
function firstPull(result: ReturnType<typeof run>, lever: string) {
  return result.trace.flatMap((e) => e.happenings).find((h) => h.type === 'lever' && h.lever === lever) as Extract<ReturnType<typeof run>['trace'][number]['happenings'][number], { type: 'lever' }> | undefined;
}

describe('effects written as expressions', () => {
  it('are evaluated when they apply: the tariff hits the economy by 20 + 10 × trade exposure', () => {
    for (const exposure of [0, 0.5, 1]) {
      const r = run(compiled, { seed: 3, params: { trade_exposure: exposure }, moves: [{ step: 0, action: { type: 'pull', lever: 'tariff' } }] });
      const econ = firstPull(r, 'tariff')!.effects.find((c) => c.tension === 'ECON')!;
      expect(econ.to - econ.from).toBeCloseTo(20 + 10 * exposure, 10);
    }
  });

  it('are clamped to 0..100 like numbers', () => {
    const text = edit(['ECON: "20 + 10 * params.trade_exposure"', 'ECON: "500 * params.trade_exposure"']);
    const r = run(compile(loadScenarioText(text, 'x.yaml')), { seed: 3, moves: [{ step: 0, action: { type: 'pull', lever: 'tariff' } }] });
    expect(firstPull(r, 'tariff')!.effects.find((c) => c.tension === 'ECON')!.to).toBe(100);
  });

  it('that fold to a number cost what a number costs', () => {
    const folded = loadScenarioText(edit(['ECON: "20 + 10 * params.trade_exposure"', 'ECON: "20 + 5"']), 'x.yaml');
    expect(folded.levers[0]!.effects).toEqual([{ tension: 0, delta: 25, expr: null, source: '20 + 5' }]);
    expect(folded.levers[0]!.exprEffects).toBe(false);
    expect(def.levers[0]!.exprEffects).toBe(true);
  });

  it('stop a run that meets NaN, naming the effect', () => {
    const text = edit(['ECON: "20 + 10 * params.trade_exposure"', 'ECON: "log(params.trade_exposure - 1)"']);
    expect(() => run(compile(loadScenarioText(text, 'x.yaml')), { seed: 3, moves: [{ step: 0, action: { type: 'pull', lever: 'tariff' } }] })).toThrow(/the run met NaN in the effect of lever `tariff` on `ECON`: `log\(params.trade_exposure - 1\)`/);
  });
});

describe('`actor` in a lever', () => {
  const accept = def.leverById.get('accept_flights')!;
  const s = initialState(def, 1, def.parameters.map((p) => p.default), null);
  const co = def.actors.findIndex((a) => a.id === 'co');
  const envoy = def.actors.findIndex((a) => a.id === 'envoy');

  it('names who pulls it, in its odds and its effects', () => {
    expect(leverOdds(def, s, accept, true, co).p).toEqual([0.6, 0.4]);
    expect(leverOdds(def, s, accept, true, envoy).p).toEqual([0.9, 0.1]);
    const r = run(compiled, { seed: 3 });
    const pulls = r.trace.flatMap((e) => e.happenings).flatMap((h) => (h.type === 'lever' && h.lever === 'accept_flights' && h.branch === 'accepted' ? [h] : []));
    for (const p of pulls) {
      const pride = p.effects.find((c) => c.tension === 'PRIDE');
      if (pride && pride.to < 100) expect(pride.to - pride.from).toBe(p.actor === 'co' ? 10 : 2);
    }
    expect(new Set(pulls.map((p) => p.actor))).toEqual(new Set(['co', 'envoy']));
  });

  it('is refused outside a lever, and compared only with ids of actors who may pull it', () => {
    const text = edit(
      ['heat: {value: 0.5 * ECON + 0.5 * PRIDE,', "heat: {value: \"if(actor == 'us', 1, 0) + 0.5 * ECON\","],
      ['{p: "if(actor == \'envoy\', 0.9, 0.6)"', '{p: "if(actor == \'us\', 0.9, 0.6)"'],
      ['{p: "if(actor == \'envoy\', 0.1, 0.4)"', '{p: "if(actor == \'envy\', 0.1, 0.4)"'],
    );
    const found = messages(text);
    expect(found).toEqual([
      `case.yaml:${at(text, 'actor ==')}: \`actor\` names the actor who pulls a lever: it can be used only in a lever's \`when\`, branch probabilities, modifiers and effects\n  hint: elsewhere no one is pulling a lever; compare a stance instead, e.g. \`stance(petro) == 'wary'\``,
      `case.yaml:${at(text, "'us', 0.9")}: \`us\` cannot pull this lever, so \`actor\` is never \`us\`\n  hint: its actors are: co, envoy`,
      `case.yaml:${at(text, "'envy'")}: unknown actor \`envy\`\n  hint: did you mean \`envoy\`?`,
    ]);
  });
});

describe('named conditions', () => {
  it('are read by name anywhere, and shown by name where a condition is explained', () => {
    expect(def.conditions.map((c) => c.id)).toEqual(['tariffs_on', 'escalating']);
    const lifted = def.leverById.get('tariff_lifted')!;
    const us = def.actors.findIndex((a) => a.id === 'us');
    const s = initialState(def, 1, def.parameters.map((p) => p.default), null);
    expect(unavailableReason(def, s, us, lifted)).toBe('needs tariffs_on and days_since(tariff) >= 0.5');
    // Pulled at step 1 (round 1), it can be lifted at step 7 (round 3, half a day later), and
    // `escalating` (which reads `tariffs_on`) is true in between.
    const r = run(compiled, { seed: 3, moves: [{ step: 0, action: { type: 'pull', lever: 'tariff' } }, { step: 6, action: { type: 'pull', lever: 'tariff_lifted' } }] });
    expect(r.trace[6]!.action).toEqual({ type: 'pull', lever: 'tariff_lifted' });
    const escalating = def.conditions[1]!.when;
    expect(evaluate(escalating, r.trace.length ? replay(compiled, 3, r.trace.slice(0, 3)) : s)).toBe(true);
    expect(evaluate(escalating, s)).toBe(false);
  });

  it('refuse a cycle, where it closes, with the chain', () => {
    const text = edit(['tariffs_on: pulled(tariff) and not pulled(tariff_lifted)', 'tariffs_on: pulled(tariff) and not escalating']);
    // Compiled in file order: `tariffs_on` reads `escalating`, which reads `tariffs_on` back.
    expect(messages(text)).toEqual([`case.yaml:${at(text, 'tariffs_on or heat')}: condition \`tariffs_on\` depends on itself: tariffs_on → escalating → tariffs_on\n  hint: a condition may not read itself, directly or through other conditions or derived values`]);
  });

  it('refuse a derived value that reads a condition that reads it back', () => {
    const text = edit(['heat: {value: 0.5 * ECON + 0.5 * PRIDE', 'heat: {value: "if(escalating, 1, 0) + 0.5 * PRIDE"']);
    expect(messages(text)[0]).toBe(`case.yaml:${at(text, 'heat > 70')}: \`heat\` cannot be used here: derived value \`heat\` reads condition \`escalating\`, which would read it back`);
  });

  it('suggest a condition for a misspelt name, and must not share a name', () => {
    const text = edit(['when: escalating and heat >= 80', 'when: escalatin and heat >= 80'], ['  heat: {value', '  tariffs_on: {value: 1, label: T}\n  heat: {value']);
    const found = messages(text).map((m) => m.split('\n'));
    expect(found).toContainEqual([`case.yaml:${at(text, 'tariffs_on: pulled')}: \`tariffs_on\` names both a derived value and a condition`, '  hint: ids of tensions, derived values, levers and events must be distinct']);
    expect(found).toContainEqual([`case.yaml:${at(text, 'escalatin and')}: unknown name \`escalatin\``, '  hint: did you mean `escalating`?']);
  });
});

describe('time', () => {
  it('days_since counts days, fractional, as elapsed_days does', () => {
    // Rounds of a quarter day: pulled in round 1, the lift is available from round 3 (0.5 days).
    const text = edit(['when: tariffs_on and days_since(tariff) >= 0.5', 'when: tariffs_on and days_since(tariff) == 0.5']);
    const d = loadScenarioText(text, 'x.yaml');
    const r = run(compile(d), { seed: 1, policy: 'default', moves: [{ step: 0, action: { type: 'pull', lever: 'tariff' } }] });
    const lifts = r.trace.filter((e) => e.action.type === 'pull' && e.action.lever === 'tariff_lifted');
    for (const e of lifts) expect(e.g).toBe(2);
    const options = r.trace.filter((e) => e.actor === 'us' && e.choice?.options.some((o) => o.option === 'tariff_lifted')).map((e) => e.g);
    expect(options).toEqual([2]);
  });

  it('a coupling per day scales with the round: a quarter of its effect in a 6-hour round, 7 times it in a week', () => {
    // The tariffs stay on: the United States pass at every later turn.
    const moves = [{ step: 0, action: { type: 'pull' as const, lever: 'tariff' } }, ...[3, 6, 9, 12, 15, 18].map((step) => ({ step, action: { type: 'pass' as const } }))];
    const r = run(compiled, { seed: 3, params: { trade_exposure: 0 }, moves });
    const growth = r.trace.flatMap((e) => e.happenings).flatMap((h) => (h.type === 'coupling' && h.coupling === 'pain_grows' ? [h.effects[0]!] : []));
    expect(growth.map((c) => +(c.to - c.from).toFixed(10))).toEqual([0.5, 0.5, 0.5, 0.5, 14, 14, 14]);
  });

  it('sub-day rounds show their clock time in transcripts', () => {
    expect(def.rounds.map(roundMoment)).toEqual(['2025-01-26 00:00', '2025-01-26 06:00', '2025-01-26 12:00', '2025-01-26 18:00', '2025-01-27', '2025-02-03', '2025-02-10']);
    const text = formatTranscript(def, run(compiled, { seed: 3 }));
    expect(text).toContain('The first day — round 2 of 4 — 2025-01-26 06:00');
    expect(text).toContain('The weeks after — round 1 of 3 — 2025-01-27\n');
  });
});

describe('outcome_at', () => {
  it('reads the outcome judged at an earlier checkpoint (`none` before it is judged)', () => {
    let backed = 0;
    for (let seed = 0; seed < 40; seed++) {
      const r = run(compiled, { seed, trace: false });
      const first = def.outcomes[r.state.judged[0]!]!.id;
      // At the first checkpoint itself, `outcome_at(first_day)` is `none`: it never judges `backed_down`.
      expect(first).not.toBe('backed_down');
      if (r.outcome.id !== 'rupture') expect(r.outcome.id === 'backed_down').toBe(first === 'deal');
      if (r.outcome.id === 'backed_down') backed++;
    }
    expect(backed).toBeGreaterThan(0);
  });

  it('is refused for a phase that is not an earlier checkpoint', () => {
    const unknown = edit(['outcome_at(first_day)', 'outcome_at(first_dya)']);
    expect(messages(unknown)).toEqual([`case.yaml:${at(unknown, 'first_dya')}: unknown phase \`first_dya\`\n  hint: did you mean \`first_day\`?`]);
    const last = edit(['outcome_at(first_day)', 'outcome_at(weeks)']);
    expect(messages(last)[0]).toMatch(new RegExp(`^case\\.yaml:${at(last, 'weeks)')}: \`weeks\` is the last phase: its outcome is the run's final outcome`));
    const notCheckpoint = edit(['outcome_at(first_day)', 'outcome_at(first_day)'], ['turn_order: [us, co, envoy], checkpoint: true}', 'turn_order: [us, co, envoy]}']);
    expect(messages(notCheckpoint)).toEqual([`case.yaml:${at(notCheckpoint, 'first_day)')}: phase \`first_day\` is not a checkpoint: no outcome is judged at its end\n  hint: add \`checkpoint: true\` to phase \`first_day\``]);
    const bad = edit(["outcome_at(first_day) == 'deal'", "outcome_at(first_day) == 'dael'"]);
    expect(messages(bad)[0]).toBe(`case.yaml:${at(bad, "'dael'")}: \`dael\` is not one of the states (rupture, backed_down, deal, muddle, none)\n  hint: did you mean \`deal\`?`);
  });
});

describe('policies that extend others', () => {
  it('inherit the weights they do not override', () => {
    const hawkish = def.policies.get('hawkish')!;
    const dflt = def.policies.get('default')!;
    const us = def.actors.findIndex((a) => a.id === 'us');
    const co = def.actors.findIndex((a) => a.id === 'co');
    const tariff = def.leverById.get('tariff')!.index;
    const lifted = def.leverById.get('tariff_lifted')!.index;
    expect(hawkish.extends).toBe('default');
    expect(hawkish.actors[us]!.weights[tariff]).toBe(dflt.actors[us]!.weights[tariff]);
    expect(hawkish.actors[us]!.weights[lifted]!.constant).toBe(0.1);
    expect(hawkish.actors[us]!.pass).toBe(dflt.actors[us]!.pass);
    expect(hawkish.actors[co]).toEqual(dflt.actors[co]);
  });

  it('refuse a cycle and an unknown policy', () => {
    const cycle = edit(['  default:\n    us:', '  default:\n    extends: hawkish\n    us:']);
    expect(messages(cycle)).toEqual([`case.yaml:${at(cycle, 'extends: default', 9)}: policies extend each other in a cycle: default → hawkish → default\n  hint: a policy may not inherit from itself, directly or through others: remove one \`extends\``]);
    const unknown = edit(['extends: default', 'extends: defualt']);
    expect(messages(unknown)).toEqual([`case.yaml:${at(unknown, 'defualt')}: unknown policy \`defualt\`\n  hint: did you mean \`default\`?`]);
  });

  it('lint warns of levers weighed only through the default `otherwise`', () => {
    const text = edit(['co: {weights: {accept_flights: 1, pass: 1}}', 'co: {weights: {pass: 1}}\n    envoy: {weights: {pass: 1}}'], ['  accept_flights:\n', '  hold_out:\n    label: Hold out\n    actors: [co]\n    branches: {held: {p: 1, effects: {PRIDE: 1}}}\n  accept_flights:\n']);
    const file = join(dir, 'lint.yaml');
    writeFileSync(file, text.replace('co: {weights: {pass: 1}}', 'co: {weights: {accept_flights: 1, pass: 1}}'));
    const found = lintFile(file, { runs: 0 }).filter((i: Issue) => i.message.includes('otherwise'));
    expect(found.map((i) => `${i.line}:${i.column}: ${i.message}`)).toEqual([
      `${at(text, 'co: {weights')}: policy \`default\` gives \`hold_out\` weight 1 for \`co\` only through the default \`otherwise\`: it is not named in its \`weights\``,
      `${at(text, 'hawkish:')}: policy \`hawkish\` gives \`hold_out\` weight 1 for \`co\` only through the default \`otherwise\`: it is not named in its \`weights\``,
    ]);
  });
});

describe('the format version', () => {
  it('refuses each 1.1 addition in a file that declares format 1, with the fix', () => {
    const text = edit(['format: 1.1', 'format: 1']);
    const found = messages(text);
    const hint = '  hint: write `format: 1.1` at the top of the file (Parley 1.1 and later read it)';
    expect(found).toEqual([
      `case.yaml:${at(text, 'conditions:')}: named \`conditions\` are new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, '"20 + 10')}: an effect written as an expression is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, 'days_since(tariff)')}: \`days_since\` is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, "actor == 'envoy', 0.9")}: \`actor\` is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, '"if(actor == \'co\'')}: an effect written as an expression is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, "actor == 'co'")}: \`actor\` is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, "actor == 'envoy', 0.1")}: \`actor\` is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, 'per: day,')}: \`per\` is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, 'extends: default', 9)}: \`extends\` is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
      `case.yaml:${at(text, 'outcome_at(first')}: \`outcome_at\` is new in format 1.1, and this file declares \`format: 1\`\n${hint}`,
    ]);
    expect(messages(edit(['format: 1.1', 'format: 2']))).toEqual(['case.yaml:4:9: `format` should be one of `1`, `1.1`, found the number 2']);
  });

  it('keeps the hash of a file that leaves `format` and `otherwise` out', () => {
    const a = loadScenarioText(mini, 'mini.yaml');
    const b = loadScenarioText(`format: 1\n${mini.replace('pass: 0.2}', 'pass: 0.2}\n      otherwise: 1')}`, 'mini.yaml');
    expect(b.hash).toBe(a.hash);
  });
});

describe('bad 1.1 input from the command line', () => {
  const BIN = resolve('bin/parley.js');
  it.each([
    ['an effect that is not an expression', ['ECON: "20 + 10 * params.trade_exposure"', 'ECON: "20 + + "'], '"20 + + "', 'syntax error', 8],
    ['an effect of the wrong type', ['ECON: "20 + 10 * params.trade_exposure"', 'ECON: "ECON > 3"'], 'ECON > 3', 'expected a number, found a condition'],
    ['a condition that is a number', ['tariffs_on: pulled(tariff) and not pulled(tariff_lifted)', 'tariffs_on: ECON + 1'], 'ECON + 1', 'expected a condition'],
    ['a named condition written as a bare number', ['escalating: tariffs_on or heat > 70', 'escalating: 5'], 'escalating: 5', 'should be a condition (an expression that is true or false), found the number 5', 12],
    ['an unknown coupling period', ['per: day,', 'per: month,'], 'month', '`per` should be one of `round`, `day`, `week`'],
    ['days_since of an unknown lever', ['days_since(tariff)', 'days_since(tarif)'], 'tarif)', 'unknown lever or event `tarif`'],
  ] as [string, string[], string, string, number?][])('%s: exit 2, with line and column', (_, [from, to], place, message, offset = 0) => {
    const text = edit([from!, to!]);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, [BIN, 'validate', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:${at(text, place, offset)}: `);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('mangled 1.1 input never crashes Parley', () => {
  it('loads, or every problem comes back with its place', () => {
    const mangled = fc
      .tuple(fc.nat({ max: flights.length }), fc.nat({ max: 40 }), fc.constantFrom('delete', 'duplicate', 'overwrite'), fc.string({ maxLength: 12, unit: fc.constantFrom(...' :-[]{},#"\'()actor_onextendsper.1'.split('')) }))
      .map(([i, len, how, junk]) => (how === 'delete' ? flights.slice(0, i) + flights.slice(i + len) : how === 'duplicate' ? flights.slice(0, i + len) + flights.slice(i, i + len) + flights.slice(i + len) : flights.slice(0, i) + junk + flights.slice(i + junk.length)));
    fc.assert(
      fc.property(mangled, (text) => {
        try {
          loadScenarioText(text, 'case.yaml');
        } catch (error) {
          if (!isParleyInputError(error)) throw error;
          for (const issue of error.issues as readonly Issue[]) {
            expect(issue.message.length).toBeGreaterThan(0);
            if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
