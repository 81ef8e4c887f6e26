/**
 * Forged batch files: a summary given to `parley merge`, or the header of a row file given to
 * `merge --rows` or `batch --resume`, changed in any way — keys deleted, types changed, huge
 * numbers, NaN-like text, nested junk — is an input error that names the file (exit 2), never a
 * stack trace, and never merged as if it were sound.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../src/cli/merge.ts';
import { checkSummary } from '../src/batch/summary.ts';
import { readForResume } from '../src/batch/resume.ts';
import { readHeader, rowLayout, type RowsHeader } from '../src/batch/rows.ts';
import { newAccumulator } from '../src/batch/summary.ts';
import { isParleyInputError } from '../src/scenario/errors.ts';
import { loadScenario } from '../src/scenario/load.ts';

const BIN = resolve('bin/parley.js');
const MINI = resolve('test/fixtures/mini.yaml');
function parley(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a JSON document. */
function paths(doc: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...at, k]));
  return out;
}

const junk: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>('01x', 'NaN', 'Infinity', '-Infinity', '1e999', '', ' 7', '0x10', 1e308, -1e308, -1, 0.5, 2 ** 53, 2 ** 64, -0, null, true, [], {}, [[[[]]]], { a: { b: { c: [1, '2'] } } }, 'x'.repeat(5000), '-5', '99999999999999999999999'),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** One change to a document: delete a key or item, replace a value, or add a key (perhaps a prototype name). */
const mutation = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('delete', 'replace', 'replace', 'add'),
  key: fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', 'extra', 'n', 'point'),
  value: junk,
});

function mutate(doc: Json, changes: readonly { pick: number; kind: string; key: string; value: Json }[]): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  for (const c of changes) {
    const all = paths(copy);
    const path = all[c.pick % all.length]!;
    if (path.length === 0) continue;
    const parent = path.slice(0, -1).reduce<Json>((x, k) => (x as Record<string | number, Json>)[k]!, copy) as Record<string | number, Json> | Json[];
    const last = path[path.length - 1]!;
    if (c.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else if (c.kind === 'replace') (parent as Record<string | number, Json>)[last] = c.value;
    else if (!Array.isArray(parent)) Object.defineProperty(parent, c.key, { value: c.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Runs `f`; an error must be an input error that names `file`. */
async function inputErrorOrNothing(f: () => unknown, file: string): Promise<string | null> {
  try {
    await f();
    return null;
  } catch (error) {
    if (!isParleyInputError(error)) throw error;
    expect(error.message).toContain(file);
    return error.message;
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-forged-'));
  for (const [k, ext] of [[1, 'csv'], [2, 'csv'], [1, 'jsonl'], [2, 'jsonl']] as const) {
    const r = parley(dir, 'batch', MINI, '--runs', '6', '--seed', '4', '--sweep', 'push=0:1:2', '--shard', `${k}/2`, '--out', `r${k}.${ext}`, '--summary', `s${k}${ext === 'csv' ? '' : 'j'}.json`);
    expect(r.err).toBe('');
  }
});

describe('forged summaries', () => {
  it('are input errors naming the file, whatever was changed', async () => {
    const real = JSON.parse(readFileSync(join(dir, 's1.json'), 'utf8')) as Json;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (changes) => {
        const forged = mutate(real, changes);
        writeFileSync(join(dir, 'f.json'), JSON.stringify(forged));
        const message = await inputErrorOrNothing(() => mergeCommand([join(dir, 'f.json'), join(dir, 's2.json')], { out: join(dir, 'm.json'), force: true }, []), 'f.json');
        if (message !== null) refused++;
      }),
      { numRuns: 300 },
    );
    expect(refused).toBeGreaterThan(200);
  });

  it.each([
    ['a count given as text', (d: any) => (d.points[0].exact.outcomes[0] = '01x'), /`points\[0\]\.exact\.outcomes\[0\]` should be a number, found the text "01x"/],
    ['a missing layout', (d: any) => delete d.layout, /`layout` should be a mapping, found nothing/],
    ['a point that is null', (d: any) => (d.points[0] = null), /`points\[0\]` should be a mapping, found null/],
    ['a shard that is a number', (d: any) => (d.design.shard = 5), /`design\.shard` should be a mapping, found 5/],
    ['sums that are not numbers', (d: any) => (d.points[0].exact.tensions[0] = ['x', 'y']), /`points\[0\]\.exact\.tensions\[0\]\[0\]` should be a whole number written as text, found the text "x"/],
    ['checkpoints that are null', (d: any) => (d.points[0].exact.checkpoints = null), /`points\[0\]\.exact\.checkpoints` should be a list, found null/],
    ['a scenario that is null', (d: any) => (d.scenario = null), /`scenario` should be a mapping, found null/],
    ['params that are null', (d: any) => (d.points[0].params = null), /`points\[0\]\.params` should be a mapping, found null/],
    ['counts that do not add up', (d: any) => (d.points[0].exact.outcomes[0] += 1), /`points\[0\]\.exact\.outcomes` counts \d+ runs, not n = \d+/],
    ['a huge n', (d: any) => (d.points[0].exact.n = 1e300), /`points\[0\]\.exact\.n` is 1e\+300, above the maximum/],
    ['one outcome too few', (d: any) => d.points[0].exact.outcomes.pop(), /has 2 counts for the layout's 3 outcomes/],
    ['a design whose runs do not add up', (d: any) => (d.design.runs = 13), /`design\.runs` is 13, but 2 points × 6 runs make 12/],
    ['an unknown field', (d: any) => (d.points[0].exact.extra = 1), /`points\[0\]\.exact` has unknown field `extra`/],
    ['sums no runs could give', (d: any) => (d.points[0].exact.goldstein = ['9'.repeat(400), '9'.repeat(400)]), /`points\[0\]\.exact\.goldstein` the sum 999999999999…\(400 digits\) and the sum of squares .* cannot both come from \d+ values/],
    ['a sum of squares too large for a mean', (d: any) => (d.points[0].exact.goldstein = ['0', '9'.repeat(400)]), /`points\[0\]\.exact\.goldstein\[1\]` 999999999999…\(400 digits\) is too large for \d+ values/],
    ['a parameter named toString', (d: any) => (d.points[0].params = { toString: 1 }), /`points\[0\]\.params` should name the layout's parameters \(push\)/],
  ])('%s', async (_, change, message) => {
    const doc = JSON.parse(readFileSync(join(dir, 's1.json'), 'utf8'));
    change(doc);
    const m = await inputErrorOrNothing(() => checkSummary('f.json', doc), 'f.json');
    expect(m).toMatch(/^f\.json: not a valid Parley batch summary:\n {2}- /);
    expect(m).toMatch(message);
  });

  it('merge exits 2 with the message, not a stack', () => {
    const doc = JSON.parse(readFileSync(join(dir, 's1.json'), 'utf8'));
    doc.points[0].exact.outcomes[0] = '01x';
    writeFileSync(join(dir, 'count.json'), JSON.stringify(doc));
    const r = parley(dir, 'merge', 'count.json', 's2.json', '--out', 'm.json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^count\.json: not a valid Parley batch summary:\n {2}- `points\[0\]\.exact\.outcomes\[0\]` should be a number, found the text "01x"\n {2}hint: /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('merge refuses shards whose layouts differ', async () => {
    const doc = JSON.parse(readFileSync(join(dir, 's2.json'), 'utf8'));
    doc.layout.tensions.reverse();
    writeFileSync(join(dir, 'swapped.json'), JSON.stringify(doc));
    expect(await inputErrorOrNothing(() => mergeCommand([join(dir, 's1.json'), join(dir, 'swapped.json')], { out: join(dir, 'm.json'), force: true }, []), 'swapped.json')).toMatch(/not a shard of the same batch as .*s1\.json: the columns differ/);
  });
});

describe('forged row headers', () => {
  const forge = (file: string, doc: Json, csv: boolean) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const rest = text.slice(text.indexOf('\n') + 1);
    return `${csv ? '# ' : ''}${JSON.stringify(doc)}\n${rest}`;
  };

  it('are input errors naming the file, in merge --rows and in --resume', async () => {
    const def = loadScenario(MINI);
    const layout = rowLayout(def, 'default');
    let refused = 0;
    for (const [file, csv] of [['r1.csv', true], ['r1.jsonl', false]] as const) {
      const real = readHeader(join(dir, file)).header as unknown as Json;
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (changes) => {
          const forged = join(dir, `f${csv ? '.csv' : '.jsonl'}`);
          writeFileSync(forged, forge(file, mutate(real, changes), csv));
          const merged = await inputErrorOrNothing(() => mergeCommand([forged, join(dir, csv ? 'r2.csv' : 'r2.jsonl')], { out: join(dir, `m${csv ? '.csv' : '.jsonl'}`), rows: true, force: true }, []), forged);
          const expected = { header: real as unknown as RowsHeader, format: csv ? ('csv' as const) : ('jsonl' as const), layout, range: [0, 6] as [number, number] };
          const resumed = await inputErrorOrNothing(() => readForResume(forged, expected, (p) => newAccumulator(layout, p)), forged);
          if (merged !== null || resumed !== null) refused++;
        }),
        { numRuns: 150 },
      );
    }
    expect(refused).toBeGreaterThan(200);
  });

  it('resume and merge --rows exit 2 with the message, not a stack', () => {
    const header = readHeader(join(dir, 'r1.csv')).header as unknown as { design: { shard: unknown } };
    header.design.shard = { k: 1, n: 2, start: 0, end: 'x' };
    writeFileSync(join(dir, 'bad.csv'), forge('r1.csv', header as unknown as Json, true));
    for (const args of [['merge', '--rows', 'bad.csv', 'r2.csv', '--out', 'm.csv'], ['batch', MINI, '--runs', '6', '--seed', '4', '--sweep', 'push=0:1:2', '--shard', '1/2', '--out', 'bad.csv', '--resume']]) {
      const r = parley(dir, ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^bad\.csv: not a valid Parley row file header:\n {2}- `design\.shard\.end` should be a number, found the text "x"\n/);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('names a first line without a line end for what it is', () => {
    writeFileSync(join(dir, 'long.csv'), `# ${'x'.repeat(600)}`);
    const r = parley(dir, 'merge', '--rows', 'long.csv', 'r2.csv', '--out', 'm.csv');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^long\.csv: not a Parley row file \(its first line does not end: the file is 602 bytes with no line break\)/);
    writeFileSync(join(dir, 'empty.csv'), '');
    expect(parley(dir, 'merge', '--rows', 'empty.csv', 'r2.csv', '--out', 'm.csv').err).toMatch(/^empty\.csv: not a Parley row file \(it is empty\)/);
  });
});
