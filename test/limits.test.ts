import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit, mini } from './support/mini.ts';
import { formatIssue, isParleyInputError, loadScenarioText } from '../src/index.ts';
import { formatFinding } from '../src/cli/lint.ts';
import { levenshtein, suggest } from '../src/scenario/errors.ts';
import { DEFAULT_LINT_RUNS, lintFile, lintRuns, type LintProgress } from '../src/analysis/lint.ts';

// Small or valid-looking inputs that used to hang, blow memory or crash: each is refused fast,
// with one clear message placed in the file.

/** Every message for `text` as the CLI prints it, or [] when it loads. */
function messages(text: string): string[] {
  try {
    loadScenarioText(text, 'case.yaml');
    return [];
  } catch (error) {
    if (!isParleyInputError(error)) throw error;
    return error.issues.map(formatIssue);
  }
}

/** Messages, and the time taken in milliseconds. */
function timed(text: string): { messages: string[]; ms: number } {
  const started = performance.now();
  const result = messages(text);
  return { messages: result, ms: performance.now() - started };
}

describe('inputs small on disk', () => {
  it('150,000 keys in one mapping: refused at once, with the limit', () => {
    const { messages: m, ms } = timed(mini + 'extra:\n' + Array.from({ length: 150_000 }, (_, i) => `  k${i}: 1\n`).join(''));
    expect(m).toEqual(['case.yaml:85:3: this mapping has 150000 keys; at most 2000 are allowed in one mapping\n  hint: a scenario needs far fewer: split it, or check that the file is the one you meant']);
    expect(ms).toBeLessThan(15_000);
  });

  it('finds duplicate keys among many in linear time', () => {
    const keys = Array.from({ length: 1999 }, (_, i) => `  k${i}: 1\n`).join('');
    const { messages: m, ms } = timed(mini + 'extra:\n' + keys + '  k5: 2\n');
    expect(m[0]).toBe('case.yaml:2084:3: duplicate key: each key may appear only once in a mapping');
    expect(ms).toBeLessThan(5_000);
  });

  it('a 30,000-character id and a typo of it: the id is refused, no did-you-mean is computed, the name is clipped', () => {
    const long = 'X'.repeat(30_000);
    const data = JSON.parse(JSON.stringify(loadScenarioText(mini, 'mini.yaml').config)) as Record<string, Record<string, unknown>>;
    data.tensions![long] = { initial: 1, label: 'L' };
    (data.levers!.call as { when?: string }).when = `pulled(${long.slice(0, -1)}Y)`;
    const { messages: m, ms } = timed(JSON.stringify(data));
    expect(m.length).toBeGreaterThan(0);
    for (const message of m) expect(message.length).toBeLessThan(400);
    expect(m.join('\n')).toContain(`invalid name \`${'X'.repeat(60)}…\`: an id is at most 64 characters long`);
    expect(ms).toBeLessThan(5_000);
  });

  it('an id referred to by a long name gets no did-you-mean, and the message is clipped', () => {
    const m = messages(edit(['actors: [m]', `actors: [${'m'.repeat(100_000)}]`]));
    expect(m).toEqual(['case.yaml:46:14: item 1 of `actors`: an id is at most 64 characters long']);
  });

  it('names a megabyte long are clipped in messages', () => {
    const m = messages(edit(['effects: {HOST: -3}', `effects: {${'N'.repeat(1 << 20)}: -3}`]));
    expect(m).toEqual([`case.yaml:50:28: invalid name \`${'N'.repeat(60)}…\`: an id is at most 64 characters long`]);
  });

  it('names the tag of a `!!binary` value', () => {
    expect(messages(edit(['value: 0.5*HOST + 0.5*MIL', 'value: !!binary aGVsbG8=']))).toEqual([
      'case.yaml:12:28: the tag `!!binary` is not supported\n  hint: scenario values are plain text, numbers, true/false, lists and mappings: remove the tag',
    ]);
  });

  it('refuses a document nested deeper than the limit, naming it', () => {
    const m = messages(mini + `extra: ${'['.repeat(70)}${']'.repeat(70)}\n`);
    expect(m[0]).toMatch(/^case\.yaml:84:\d+: the document is nested too deeply: more than 64 levels of lists and mappings/);
  });
});

describe('missing required fields', () => {
  it.each([
    ['p', ['flat: {p: 0.4, effects: {HOST: -1}}', 'flat: {effects: {HOST: -1}}'], 'case.yaml:34:13: missing required field `p`'],
    ['initial', ['MIL: {initial: 40, label: Military threat}', 'MIL: {label: Military threat}'], 'case.yaml:10:8: missing required field `initial`'],
    ['when', ['{from: calm, to: angry, when: HOST > 70}', '{from: calm, to: angry}'], 'case.yaml:14:110: missing required field `when`'],
  ] as [string, [string, string], string][])('a missing `%s` gives one message and no follow-on error', (_, pair, expected) => {
    expect(messages(edit(pair))).toEqual([expected]);
  });
});

/** The textbook optimal-string-alignment distance, to check the banded one against. */
function fullDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[x.length]![y.length]!;
}

describe('did you mean', () => {
  it('the bounded edit distance is the full one up to its bound, and bound + 1 beyond', () => {
    const word = fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'b', 'c', 'A', '_') });
    fc.assert(
      fc.property(word, word, fc.nat({ max: 14 }), (a, b, max) => {
        const full = fullDistance(a, b);
        expect(levenshtein(a, b)).toBe(full);
        expect(levenshtein(a, b, max)).toBe(full <= max ? full : max + 1);
      }),
      { numRuns: 3000 },
    );
  });

  it('still suggests the closest short name', () => {
    expect(suggest('HOTS', ['HOST', 'MIL'])).toBe('did you mean `HOST`?');
    expect(suggest('eln', ['eln_risk', 'other'])).toBe('did you mean `eln_risk`?');
  });

  it('compares no long names, so a long typo costs nothing', () => {
    const long = 'x'.repeat(100_000);
    const started = performance.now();
    expect(suggest(`${long}y`, [long, `${long}z`], 'tension')).toBe(`valid tensions: \`${'x'.repeat(60)}…\`, \`${'x'.repeat(60)}…\``);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('expressions', () => {
  const derived = (value: string) => edit(['value: 0.5*HOST + 0.5*MIL', `value: "${value}"`]);
  const TOO_DEEP = 'the expression is nested too deeply: more than 500 levels';

  it.each([
    ['a 6,000-term flat sum', Array(6000).fill('1').join('+'), 'case.yaml:12:20: the expression is 11999 characters long; at most 10000 are allowed'],
    ['a 3,000-term flat sum', Array(3000).fill('1').join('+'), `case.yaml:12:20: ${TOO_DEEP}`],
    ['5,000 unary minus signs', `${'-'.repeat(5000)}1`, `case.yaml:12:20: ${TOO_DEEP}`],
    ['a 999-term flat sum', Array(999).fill('1').join('+'), `case.yaml:12:20: ${TOO_DEEP}`],
    ['1,999 unary minus signs', `${'-'.repeat(1999)}1`, `case.yaml:12:20: ${TOO_DEEP}`],
    ['999 nested brackets', `${'('.repeat(999)}1${')'.repeat(999)}`, `case.yaml:12:520: ${TOO_DEEP}`],
    ['599 nested calls', `${'abs('.repeat(599)}1${')'.repeat(599)}`, `case.yaml:12:2023: ${TOO_DEEP}`],
    ['a 600-term chain of `and`', `if(${Array(600).fill('HOST > 1').join(' and ')}, 1, 0)`, `case.yaml:12:20: ${TOO_DEEP}`],
  ])('%s is refused with its place, not a stack overflow', (_, value, expected) => {
    const m = messages(derived(value));
    expect(m).toHaveLength(1);
    expect(m[0]).toContain(expected);
  });

  it('counts the levels of the derived values an expression reads', () => {
    const chain = ['  d0: {value: HOST, label: d}'];
    for (let i = 1; i <= 13; i++) chain.push(`  d${i}: {value: "${[`d${i - 1}`, ...Array(40).fill('1')].join('+')}", label: d}`);
    const m = messages(edit(['derived:\n', `derived:\n${chain.join('\n')}\n`]));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(new RegExp(`^case\\.yaml:25:\\d+: ${TOO_DEEP}`));
  });

  it('any flat chain or nesting up to 10,000 deep compiles or is refused with a message', () => {
    const op = fc.constantFrom('+', '-', '*', '/', ' and ', ' or ', '<', '==');
    const shape = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 10_000 }), op).map(([n, o]) => Array(n).fill(o.trim() === 'and' || o.trim() === 'or' ? 'true' : 'HOST').join(o)),
      fc.tuple(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom('-', '+', '!', 'not ')).map(([n, u]) => `${u.repeat(n)}${u === '!' || u === 'not ' ? 'true' : 'MIL'}`),
      fc.tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom(['(', ')'], ['abs(', ')'], ['min(1,', ')'], ['if(true,', ',0)'])).map(([n, [l, r]]) => `${l!.repeat(n)}HOST${r!.repeat(n)}`),
    );
    fc.assert(
      fc.property(shape, (value) => {
        for (const m of messages(derived(value))) expect(m).toMatch(/^case\.yaml:\d+:\d+: /);
      }),
      { numRuns: 150 },
    );
  });
});

describe('NaN and infinite values', () => {
  it.each([
    ['a tension starting at 0/0', ['MIL: {initial: 40,', 'MIL: {initial: "0/0",'], 'case.yaml:10:19: this part of the expression is not a number (NaN)'],
    ['a probability of 0/0', ['flat: {p: 0.4,', 'flat: {p: "0/0",'], 'case.yaml:34:18: this part of the expression is not a number (NaN)'],
    ['a hazard of 1/0', ['hazard: weekly(0.5 * exp((MIL - 50) / 25))', 'hazard: "0.1 + 1/0"'], 'case.yaml:61:20: this part of the expression is infinite'],
    ['a hazard divided by zero', ['hazard: weekly(0.5 * exp((MIL - 50) / 25))', 'hazard: weekly(MIL / (1 - 1))'], 'case.yaml:61:27: this part divides by zero'],
    ['a weight of log(-1)', ['pass: 0.2}', 'pass: "log(-1)"}'], 'case.yaml:79:83: this part of the expression is not a number (NaN)'],
    ['a modifier of sqrt(-1)', ['add: 0.1 * params.push', 'add: 0.1 * sqrt(-1) * params.push'], 'case.yaml:43:36: this part of the expression is not a number (NaN)'],
    ['a derived value of pow(10, 400)', ['value: 0.5*HOST + 0.5*MIL', 'value: "HOST + pow(10, 400)"'], 'case.yaml:12:27: this part of the expression is infinite'],
  ] as [string, [string, string], string][])('%s is refused with the place of the part', (_, pair, expected) => {
    const m = messages(edit(pair));
    expect(m).toHaveLength(1);
    expect(m[0]).toContain(expected);
  });

  it('names `.nan` and `.inf` written as numbers', () => {
    expect(messages(edit(['flat: {p: 0.4,', 'flat: {p: .nan,']))).toEqual(['case.yaml:34:17: `p` should be a finite number, found NaN\n  hint: `.nan` and `.inf` are not numbers a scenario can use']);
  });

  it('leaves finite arithmetic, comparisons with infinity and weekly(1/0) alone', () => {
    expect(messages(edit(['when: HOST > 30', 'when: HOST > 30 and since(praise) < 1/0'], ['hazard: weekly(0.5 * exp((MIL - 50) / 25))', 'hazard: weekly(1/0)']))).toEqual([]);
  });
});

describe('limits of valid-looking scenarios', () => {
  it('refuses more than 200 branches on one lever, fast', () => {
    const many = `{${Array.from({ length: 1999 }, (_, i) => `b${i}: {p: 0}`).join(', ')}, ok: {p: 1}}`;
    const { messages: m, ms } = timed(edit(['    branches:\n      ok: {p: 1, effects: {HOST: -3}}\n', `    branches: ${many}\n`]));
    expect(m).toEqual(['case.yaml:49:5: there are 2000 branches; at most 200 are allowed\n  hint: a lever or event needs a few: merge branches with the same effects']);
    expect(ms).toBeLessThan(10_000);
  });

  it('refuses runs of more than 50,000 turns and more than 500 actors', () => {
    const ids = Array.from({ length: 600 }, (_, i) => `x${i}`);
    const m = messages(
      edit(
        ['  m: {name: Mediator, role: mediator}\n', `  m: {name: Mediator, role: mediator}\n${ids.map((a) => `  ${a}: {name: X, role: observer}\n`).join('')}`],
        ['rounds: 4, round_days: 7, turn_order: [a, b]}', `rounds: 100, round_days: 7, turn_order: [a, b, ${ids.join(', ')}]}`],
      ),
    );
    expect(m).toEqual([
      'case.yaml:13:1: there are 603 actors; at most 500 are allowed\n  hint: a scenario needs a handful: merge minor actors into one',
      `case.yaml:624:1: a run has 60209 turns (rounds × actors in the turn order, over all phases); at most 50000 are allowed\n  hint: shorten the phases, lengthen their rounds (\`round_days\`), or take actors out of the turn orders`,
    ]);
  });
});

describe('lint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-limits-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const phases = Array.from({ length: 5 }, (_, i) => `  - {id: after${i}, label: Aftermath, rounds: ${i === 4 ? 990 : 1000}, round_days: 7, turn_order: [a, b]}\n`).join('');
  const long = edit(['  - {id: after, label: Aftermath, rounds: 4, round_days: 7, turn_order: [a, b]}\n', phases], ['{event: summit, phase: after, round: 2}', '{event: summit, phase: after0, round: 2}']);

  it('samples fewer runs of a 5,000-round scenario, and says so before it starts', () => {
    expect(lintRuns(17, undefined, 2)).toBe(DEFAULT_LINT_RUNS);
    expect(lintRuns(149, undefined, 2)).toBe(DEFAULT_LINT_RUNS);
    expect(lintRuns(9_989, undefined, 2)).toBe(15);
    expect(lintRuns(50_000, undefined, 2)).toBe(3);
    expect(lintRuns(9_989, 40, 2)).toBe(40);
    const progress: LintProgress[] = [];
    const started = performance.now();
    lintFile(file('long.yaml', long), { onProgress: (p) => progress.push(p) });
    expect(progress[0]).toEqual({ done: 0, total: 30, runs: 15, requested: 200, turns: 9_989 });
    expect(progress.at(-1)!.done).toBe(30);
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it('clips the expressions its findings quote', () => {
    const guard = `false and ${Array(30).fill('HOST > 1').join(' and ')}`;
    const path = file('guard.yaml', edit(['{from: calm, to: angry, when: HOST > 70}', `{from: calm, to: angry, when: "${guard}"}`]));
    const [finding] = lintFile(path, { runs: 0 }).filter((f) => f.message.includes('never taken'));
    expect(finding!.message).toBe(`the transition to \`angry\` is never taken: its guard \`${guard.slice(0, 60)}…\` is always false`);
  });

  it.each([
    ['a hazard', ['hazard: weekly(0.5 * exp((MIL - 50) / 25))', 'hazard: "(MIL - MIL) / (HOST - HOST)"'], /^case\.yaml:61:13: error: the hazard of `incident` was NaN \(not a number\) in the sampled runs \(run \d+ stopped on it, in round \d+\)/],
    ['a probability', ['flat: {p: 0.4,', 'flat: {p: "0.4 * (HOST - HOST) / (MIL - MIL)",'], /^case\.yaml:34:17: error: the probability of `praise\.flat` was NaN/],
    ['a weight', ['pass: 0.2}', 'pass: "since(threaten)"}'], /^case\.yaml:79:82: error: the weight of passing for `b` in policy `default` was Infinity/],
    ['a starting tension', ['MIL: {initial: 40,', 'MIL: {initial: "(params.push - 0.5) / (params.push - 0.5)",'], /^case\.yaml:10:18: error: the starting value of `MIL` was NaN/],
  ] as [string, [string, string], RegExp][])('reports NaN or Infinity in %s, with the expression’s place', (_, pair, expected) => {
    const path = file('case.yaml', edit(pair));
    const findings = lintFile(path, { runs: 20 }).map((f) => formatFinding(f).replace(path, 'case.yaml'));
    expect(findings.filter((f) => expected.test(f))).toHaveLength(1);
    expect(findings.filter((f) => /probability 0/.test(f))).toEqual([]);
    // The sample stopped there: nothing it did not reach is reported as never happening.
    expect(findings.filter((f) => /never (available|reached|fired)/.test(f))).toEqual([]);
  });
});
