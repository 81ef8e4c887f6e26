import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, isParleyInputError, loadScenario, loadScenarioText, parseBranchCode, BranchCodeError, type Issue } from '../src/index.ts';
import { createSession, pull } from '../src/play/session.ts';
import { parseSessionText, sessionFromFile, sessionToJson } from '../src/play/save.ts';

// Untrusted input, mangled at random: every outcome is either a loaded value or Parley's own
// input error with a place and a message — never a crash, never a hang.
const mini = readFileSync('test/fixtures/mini.yaml', 'utf8');

/** Deletes, duplicates or overwrites a slice of the text, or cuts it short. */
const mangled = (text: string) =>
  fc
    .tuple(fc.nat({ max: text.length }), fc.nat({ max: 40 }), fc.constantFrom('delete', 'duplicate', 'overwrite', 'cut'), fc.string({ maxLength: 12, unit: fc.constantFrom(...' :-[]{},#&*!|>\'"%@`\n\tabc012.'.split('')) }))
    .map(([at, len, how, junk]) => {
      if (how === 'cut') return text.slice(0, at);
      if (how === 'delete') return text.slice(0, at) + text.slice(at + len);
      if (how === 'duplicate') return text.slice(0, at + len) + text.slice(at, at + len) + text.slice(at + len);
      return text.slice(0, at) + junk + text.slice(at + junk.length);
    });

function expectInputError(error: unknown): void {
  if (!isParleyInputError(error)) throw error;
  expect(error.issues.length).toBeGreaterThan(0);
  for (const issue of error.issues as readonly Issue[]) {
    expect(issue.file).toBeTruthy();
    expect(issue.message.length).toBeGreaterThan(0);
    if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
    if (issue.column !== undefined) expect(issue.column).toBeGreaterThanOrEqual(1);
  }
}

describe('mangled input never crashes Parley', () => {
  it('a scenario file: it loads, or every problem comes back with its place', () => {
    fc.assert(
      fc.property(mangled(mini), (text) => {
        try {
          loadScenarioText(text, 'case.yaml');
        } catch (error) {
          expectInputError(error);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a saved session: it loads and replays, or is refused with a message', () => {
    const compiled = compile(loadScenario('test/fixtures/mini.yaml'));
    let s = createSession(compiled, { seed: 7 });
    for (const lever of ['praise', 'threaten']) {
      const next = pull(s, lever);
      if (!('type' in next)) s = next;
    }
    const saved = JSON.stringify(sessionToJson(s), null, 1);
    fc.assert(
      fc.property(mangled(saved), (text) => {
        try {
          sessionFromFile(compiled, parseSessionText(text, 'x.session.json'), 'x.session.json');
        } catch (error) {
          expectInputError(error);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a branch code: it parses, or says what is wrong', () => {
    fc.assert(
      fc.property(mangled('petro-trump:42:default:4=show_record+lands_well,5=-,7@99'), (text) => {
        try {
          parseBranchCode(text);
        } catch (error) {
          if (!(error instanceof BranchCodeError)) throw error;
          expect(error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });
});

/** The fixture with `value` as the expression of one number-valued field, or of a condition. */
const sites: readonly ((value: string) => string)[] = [
  (v) => mini.replace('value: 0.5*HOST + 0.5*MIL', `value: "${v}"`),
  (v) => mini.replace('flat: {p: 0.4,', `flat: {p: "${v}",`),
  (v) => mini.replace('hazard: weekly(0.5 * exp((MIL - 50) / 25))', `hazard: "${v}"`),
  (v) => mini.replace('pass: 0.2}', `pass: "${v}"}`),
  (v) => mini.replace('MIL: {initial: 40,', `MIL: {initial: "${v}",`),
  (v) => mini.replace('when: HOST > 30', `when: "${v}"`),
];

describe('hostile expressions never crash Parley', () => {
  it('long and deeply nested expressions load, or are refused with a place — never a stack overflow', () => {
    const token = fc.constantFrom('(', ')', '-', '+', '*', '/', 'not ', ' and ', '<', '1', '0.5', 'HOST', 'crisis', 'abs(', ',', 'params.push');
    const leaf = fc.constantFrom('1', 'HOST', 'crisis', 'params.push', 'true', 'pulled(praise)');
    const n = fc.integer({ min: 1, max: 3000 });
    const deep = fc.oneof(
      fc.tuple(n, fc.constantFrom('-', '+', 'not ', '!', '- '), leaf).map(([k, u, x]) => `${u.repeat(k)}${x}`),
      fc.tuple(n, fc.constantFrom(['(', ')'], ['abs(', ')'], ['min(1,', ')'], ['if(true,1,', ')'], ['-(', ')']), leaf).map(([k, [l, r], x]) => `${l!.repeat(k)}${x}${r!.repeat(k)}`),
      fc.tuple(n, fc.constantFrom(' + ', '*', '-', '/', ' and ', ' or ', ' < '), leaf).map(([k, op, x]) => Array(k + 1).fill(x).join(op)),
    );
    // A deep or long shape, sometimes with stray tokens around it.
    const expression = fc.tuple(fc.array(token, { maxLength: 4 }), deep, fc.array(token, { maxLength: 4 })).map(([a, b, c]) => `${a.join('')}${b}${c.join('')}`);
    fc.assert(
      fc.property(expression, fc.nat({ max: sites.length - 1 }), (value, site) => {
        try {
          loadScenarioText(sites[site]!(value), 'case.yaml');
        } catch (error) {
          expectInputError(error);
          for (const issue of (error as { issues: readonly Issue[] }).issues) expect(issue.message.length).toBeLessThan(400);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a constant that is NaN or infinite where a number is needed is refused, with its place', () => {
    type Term = { text: string; value: number };
    const { term } = fc.letrec<{ term: Term }>((tie) => ({
      term: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom<Term>({ text: '0', value: 0 }, { text: '1', value: 1 }, { text: '10', value: 10 }, { text: '400', value: 400 }),
        fc.tuple(tie('term'), fc.constantFrom('+', '-', '*', '/'), tie('term')).map(([a, op, b]): Term => ({
          text: `(${a.text} ${op} ${b.text})`,
          value: op === '+' ? a.value + b.value : op === '-' ? a.value - b.value : op === '*' ? a.value * b.value : a.value / b.value,
        })),
        fc.tuple(fc.constantFrom('log', 'sqrt', 'exp', '-'), tie('term')).map(([f, a]): Term => ({
          text: f === '-' ? `-${a.text}` : `${f}(${a.text})`,
          value: f === 'log' ? Math.log(a.value) : f === 'sqrt' ? Math.sqrt(a.value) : f === 'exp' ? Math.exp(a.value) : -a.value,
        })),
        fc.tuple(tie('term'), tie('term')).map(([a, b]): Term => ({ text: `pow(${a.text}, ${b.text})`, value: Math.pow(a.value, b.value) })),
      ),
    }));
    fc.assert(
      fc.property(term, fc.nat({ max: sites.length - 2 }), (t, site) => {
        let refused: readonly Issue[] = [];
        try {
          loadScenarioText(sites[site]!(t.text), 'case.yaml');
        } catch (error) {
          expectInputError(error);
          refused = (error as { issues: readonly Issue[] }).issues;
        }
        if (!Number.isFinite(t.value)) {
          expect(refused.some((i) => /not a number \(NaN\)|is infinite|divides by zero/.test(i.message) && i.line !== undefined && i.column !== undefined)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
