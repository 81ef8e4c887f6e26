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
