// Design points from a file (src/batch/design-file.ts): what SALib, EMA Workbench or a
// spreadsheet writes, checked line by line against the scenario's parameters.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDesignFile, readDesignFile } from '../src/batch/design-file.ts';
import { ParleyInputError } from '../src/scenario/errors.ts';
import { loadScenario } from '../src/scenario/load.ts';

const def = loadScenario('petro-trump');
const dir = mkdtempSync(join(tmpdir(), 'parley-design-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const issuesOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ParleyInputError) return e.issues.map((i) => `${i.line ?? '-'}:${i.column ?? '-'} ${i.message}${i.hint ? ` (${i.hint})` : ''}`);
    throw e;
  }
  throw new Error('no error');
};

describe('design files', () => {
  it('read comma, tab and space separated points with a header, comments and blank lines', () => {
    const csv = readDesignFile(file('a.csv', '# from SALib\nstrike_appetite,mediator_influence\n0.1,0.05\n\n0.9, 0.2\n'), def);
    expect(csv.params).toEqual(['strike_appetite', 'mediator_influence']);
    expect(csv.rows).toEqual([[0.1, 0.05], [0.9, 0.2]]);

    const spaced = readDesignFile(file('b.txt', 'strike_appetite mediator_influence\n1.000000000000000000e-01 5.0e-02\n'), def);
    expect(spaced.rows).toEqual([[0.1, 0.05]]);
    const tabbed = readDesignFile(file('c.tsv', '"strike_appetite"\t"mediator_influence"\n0.1\t0.05\n'), def);
    expect(tabbed.params).toEqual(['strike_appetite', 'mediator_influence']);
  });

  it('take the names of a numbers-only file (numpy savetxt) from --params', () => {
    const text = '1.0e-01 5.0e-02\n9.0e-01 2.0e-01\n';
    expect(issuesOf(() => readDesignFile(file('n.txt', text), def))[0]).toMatch(/1:1 the first line is numbers.*--params strike_appetite,eln_activity/);
    expect(readDesignFile(file('n.txt', text), def, ['strike_appetite', 'mediator_influence']).rows).toEqual([[0.1, 0.05], [0.9, 0.2]]);
  });

  it('report every problem at once, by line and column, with hints', () => {
    const text = 'strike_apetite,mediator_influence,mediator_influence\n0.5,0.1,0.1\n0.5,x,0.3\n0.5\n';
    expect(issuesOf(() => readDesignFile(file('bad.csv', text), def))).toEqual([
      '1:1 `strike_apetite` is not a parameter of petro-trump (did you mean `strike_appetite`?)',
      '1:35 `mediator_influence` names two columns',
      '3:5 `x` is not a number',
      '3:7 0.3 is outside the range of mediator_influence, [0, 0.2] (the scenario declares the range; rescale the sample to it)',
      '4:1 1 values, but line 1 names 3 parameters',
    ]);
    expect(issuesOf(() => readDesignFile(file('empty.csv', '# nothing\n'), def))[0]).toMatch(/has no points/);
  });

  it('write what they read', () => {
    const text = formatDesignFile(['strike_appetite', 'eln_activity'], [[0.25, 1], [0.75, 0.5]]);
    expect(readDesignFile(file('w.csv', text), def).rows).toEqual([[0.25, 1], [0.75, 0.5]]);
  });
});
