import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit, mini } from './support/mini.ts';
import { formatIssue, loadScenario, loadScenarioText, ScenarioError, validateScenarioFile } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-loader-'));

/** Every message for `text`, formatted as the CLI prints them, with the file name shortened. */
function messages(text: string, name = 'case.yaml'): string[] {
  const file = join(dir, name);
  writeFileSync(file, text);
  return validateScenarioFile(file).map((i) => formatIssue(i).replace(file, name));
}

describe('loading a scenario file', () => {
  it('loads the fixture and names it after the file', () => {
    const def = loadScenario('test/fixtures/mini.yaml');
    expect(def.id).toBe('mini');
    expect(def.tensions.map((t) => t.id)).toEqual(['HOST', 'MIL']);
    expect(def.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same content hash whatever the order of fields', () => {
    const a = loadScenarioText('title: T\nsummary: S\n' + mini.split('\n').slice(2).join('\n'), 'a.yaml');
    const b = loadScenarioText('summary: S\ntitle: T\n' + mini.split('\n').slice(2).join('\n'), 'b.yaml');
    expect(a.hash).toBe(b.hash);
  });

  it('reads JSON as well as YAML', () => {
    const def = loadScenario('test/fixtures/mini.yaml');
    const json = join(dir, 'mini-json.json');
    writeFileSync(json, JSON.stringify(def.config));
    expect(loadScenario(json).hash).toBe(def.hash);
  });
});

describe('files that cannot be read', () => {
  it('reports a missing file, and only while it is missing', () => {
    const file = join(dir, 'nope.yaml');
    expect(validateScenarioFile(file).map(formatIssue)).toEqual([
      `${file}: no such file\n  hint: check the path, or run \`parley scenarios\` for the bundled ids`,
    ]);
    // `messages` writes the file before validating it, so it cannot see a missing file; written
    // at the same path, the file is read: a valid one has no messages, a broken one is reported
    // under its short name (the helper's shortening, which every test below relies on).
    expect(messages(mini, 'nope.yaml')).toEqual([]);
    const broken = messages('title: A\ntitle: B\n', 'nope.yaml');
    expect(broken).toEqual(['nope.yaml:2:1: duplicate key: each key may appear only once in a mapping']);
    expect(broken.join('\n')).not.toContain(dir);
  });

  it('reports a directory', () => {
    mkdirSync(join(dir, 'folder.yaml'), { recursive: true });
    expect(validateScenarioFile(join(dir, 'folder.yaml'))[0]!.message).toBe('is a directory, not a scenario file');
  });

  it('reports an unknown bundled id with a suggestion', () => {
    const issues = validateScenarioFile('mini-fixture-that-does-not-exist');
    expect(issues[0]!.message).toBe('no bundled scenario `mini-fixture-that-does-not-exist`, and no such file');
  });

  it.each([
    ['an empty file', '', 'case.yaml: the file is empty\n  hint: a scenario starts with `title:`; see scenarios/README.md'],
    ['only whitespace', '  \n\n', 'case.yaml: the file is empty\n  hint: a scenario starts with `title:`; see scenarios/README.md'],
    ['a list at the top level', '- a\n- b\n', 'case.yaml:1:1: expected a mapping of fields at the top level, found a list\n  hint: a scenario starts with `title:`; see scenarios/README.md'],
    ['a number at the top level', '42\n', 'case.yaml:1:1: expected a mapping of fields at the top level, found a number\n  hint: a scenario starts with `title:`; see scenarios/README.md'],
    ['a duplicate key', 'title: A\ntitle: B\n', 'case.yaml:2:1: duplicate key: each key may appear only once in a mapping'],
    ['a __proto__ key', 'title: A\nactors:\n  __proto__: {name: x}\n', 'case.yaml:3:3: the key `__proto__` is not allowed\n  hint: rename it'],
    ['a constructor key', 'constructor: 1\n', 'case.yaml:1:1: the key `constructor` is not allowed\n  hint: rename it'],
  ])('reports %s', (_, text, expected) => {
    expect(messages(text)).toEqual([expected]);
  });

  it('reports invalid YAML with its place', () => {
    const [message] = messages('title: x\nsummary: [unclosed\n');
    expect(message).toMatch(/^case\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('refuses an alias bomb without expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`b${i}: &b${i} [${Array(10).fill(i === 1 ? '*a' : `*b${i - 1}`).join(', ')}]`);
    const started = performance.now();
    expect(messages(lines.join('\n'))).toEqual(['case.yaml: too many alias expansions (more than 200); the file looks like an alias bomb']);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('refuses a document nested too deeply, without crashing', () => {
    const [message] = messages(`title: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(message).toMatch(/^case\.yaml:1:\d+: the document is nested too deeply to read \(at most 64 levels of lists and mappings\)$/);
  });

  it('refuses a file larger than the limit before parsing it', () => {
    const [message] = messages('title: x\n' + `#${'x'.repeat(1000)}\n`.repeat(2500));
    expect(message).toBe('case.yaml: the file is 2.4 MiB; scenario and exercise files are limited to 2 MiB');
  });
});

describe('problems in the document', () => {
  it('reports wrong types and out-of-range numbers with line and column', () => {
    expect(messages(edit(['rounds: 3, turn', 'rounds: three, turn'], ['initial: 40, label: Military threat', 'initial: 140, label: Military threat']))).toEqual([
      'case.yaml:10:18: `initial` is 140, above the maximum 100',
      'case.yaml:25:39: `rounds` should be a number, found the text "three"',
    ]);
  });

  it('reports an unknown field with the closest valid one', () => {
    const found = messages(edit(['    branches:\n      heard', '    brnaches:\n      heard']));
    expect(found[0]).toBe('case.yaml:36:5: missing required field `branches` (a mapping)');
    expect(found).toContain('case.yaml:39:5: unknown field `brnaches`\n  hint: did you mean `branches`?');
  });

  it('reports a missing required field at its parent', () => {
    expect(messages(edit(['title: Mini\n', '']))).toEqual(['case.yaml:1:1: missing required field `title` (text)']);
  });

  it('explains a comma inside a flow mapping', () => {
    expect(messages(edit(['when: "crisis < 40 and pulled(praise, warm)"', 'when: crisis < 40 and pulled(praise, warm)']))).toEqual([
      'case.yaml:82:64: syntax error: Expected )',
      'case.yaml:82:66: unknown field `warm)`\n  hint: inside `{ … }` a comma ends a value: put quotes around an expression that contains commas, or write `pulled(lever.branch)`',
    ]);
  });

  it('reports every name and expression problem at once, each with a hint', () => {
    const text = edit(
      ['push: {default: 0.5', 'push: {default: 1.5'],
      ['when: HOST > 30', 'when: HOTS > 30'],
      ['effects: {HOST: -8}', 'effects: {HOTS: -8}'],
      ['cameo: "138"', 'cameo: "1389"'],
      ['turn_order: [a, b]}', 'turn_order: [a, c]}'],
      ['branch: heard, add: 0.1 * params.push', 'branch: herd, add: 0.1 * params.psh'],
      ['active_when: HOST <= 60', 'active_when: HOST <= 60 and stance(a) == "angy"'],
      ['hazard: weekly(0.5 * exp((MIL - 50) / 25))', 'hazard: weekly(0.5 * exp((MIL - 50) / 25)'],
      ['{id: ratchet, when: HOST > 70', '{id: ratchet, when: HOST + 70'],
      ["relationship == 'hostile'", "relationship == 'hostle'"],
    );
    expect(messages(text)).toEqual([
      'case.yaml:7:19: the default 1.5 is outside the range [0, 1]',
      'case.yaml:26:77: unknown actor `c`\n  hint: did you mean `a`?',
      'case.yaml:33:32: unknown tension `HOTS`\n  hint: did you mean `HOST`?',
      'case.yaml:38:11: unknown name `HOTS`\n  hint: did you mean `HOST`?',
      'case.yaml:40:60: unknown CAMEO code "1389"\n  hint: did you mean "138" (Threaten to use military force, not specified below)? `parley cameo 13` lists the codes under 13',
      'case.yaml:43:18: unknown branch `herd` of lever `threaten`\n  hint: did you mean `heard`?',
      'case.yaml:43:42: unknown parameter `psh`\n  hint: did you mean `push`?',
      'case.yaml:55:46: `angy` is not one of the states (calm, angry)\n  hint: did you mean `angry`?',
      'case.yaml:61:46: syntax error: Expected )',
      'case.yaml:74:25: expected a condition (true/false), found a number\n  hint: compare it, e.g. `MIL > 50`',
      "case.yaml:81:68: `hostle` is not one of the states (cordial, tense, hostile)\n  hint: did you mean `hostile`?",
    ]);
  });

  it('refuses a mediator whose activity depends on a mediator’s, directly or through derived values', () => {
    const text = edit(
      ['crisis: {value: 0.5*HOST + 0.5*MIL, label: Crisis index}', 'crisis: {value: 0.5*HOST + 0.5*MIL, label: Crisis index}\n  pull: {value: "if(active(channel), 10, 0)", label: Pull}\n  drag: {value: pull + 1, label: Drag}'],
      ['active_when: HOST <= 60', 'active_when: HOST <= 60 and drag < 5 and crisis < 90 and not active(channel)'],
    );
    expect(messages(text)).toEqual([
      'case.yaml:57:33: `drag` cannot be used here: it depends on `active(…)`, and whether a mediator is active cannot depend on whether one is',
      'case.yaml:57:66: `active` cannot be used here: whether a mediator is active cannot depend on whether one is',
    ]);
  });

  it('reports structural and name problems together, without problems that only follow from them', () => {
    const text = edit(['rounds: 3, turn', 'rounds: three, turn'], ['effects: {HOST: -8}', 'effects: {HOTS: -8}'], ['when: HOST > 30', 'when: HOTS > 30\n    colour: red']);
    expect(messages(text).map((m) => m.split('\n')[0])).toEqual([
      'case.yaml:25:39: `rounds` should be a number, found the text "three"',
      'case.yaml:33:32: unknown tension `HOTS`',
      'case.yaml:38:11: unknown name `HOTS`',
      'case.yaml:39:5: unknown field `colour`',
    ]);
  });

  it('reports an impossible start date together with missing sections, and explains a top-level id', () => {
    const text = edit(['title: Mini\n', 'id: mini\n'], ['start: ' + /^start: (\S+)/m.exec(mini)![1], 'start: 2026-02-30']).replace(/^outcomes:[\s\S]*$/m, '');
    expect(messages(text)).toEqual([
      'case.yaml:1:1: missing required field `title` (text)',
      'case.yaml:1:1: missing required field `outcomes` (a list)',
      "case.yaml:1:1: unknown field `id`\n  hint: a scenario's id is its file name (case); remove this line",
      expect.stringMatching(/^case\.yaml:\d+:8: `start`: `2026-02-30` is not a calendar date$/),
    ]);
    expect(messages(edit(['start: ' + /^start: (\S+)/m.exec(mini)![1], 'start: 26-2-3']))).toEqual([expect.stringMatching(/^case\.yaml:\d+:8: `start`: expected a date as YYYY-MM-DD$/)]);
  });

  it('reports an impossible date together with the name problems the rest of the file has', () => {
    const text = edit(['start: ' + /^start: (\S+)/m.exec(mini)![1], 'start: 2026-02-30'], ['when: HOST > 30', 'when: HOTS > 30']);
    expect(messages(text).map((m) => m.split('\n')[0])).toEqual([
      expect.stringMatching(/^case\.yaml:\d+:8: `start`: `2026-02-30` is not a calendar date$/),
      expect.stringMatching(/^case\.yaml:\d+:\d+: unknown name `HOTS`$/),
    ]);
  });

  it('points to the CAMEO table for a code with no near neighbour', () => {
    const text = mini.replace(/cameo: "(\d+)"/, 'cameo: "58"');
    expect(text).not.toBe(mini);
    expect(messages(text)).toEqual([expect.stringMatching(/^case\.yaml:\d+:\d+: unknown CAMEO code "58"\n  hint: the codes and their Goldstein weights are in data\/cameo-goldstein\.tsv/)]);
  });

  it('suggests the tension an author meant by a prefix', () => {
    const text = edit(['effects: {HOST: -8}', 'effects: {HOST_level: -8}']);
    expect(messages(text)).toEqual(['case.yaml:33:32: unknown tension `HOST_level`\n  hint: did you mean `HOST`?']);
  });

  it('requires branch probabilities that add up to 1', () => {
    expect(messages(edit(['warm: {p: 0.6', 'warm: {p: 0.7']))).toEqual([
      'case.yaml:32:5: the branch probabilities add up to 1.1, not 1\n  hint: adjust them so they add up to 1 (modifiers are applied on top and renormalised)',
    ]);
  });

  it('requires a catch-all last outcome rule', () => {
    expect(messages(edit(['  - {id: muddle, label: Muddle}', '  - {id: muddle, label: Muddle, when: HOST > 1}']))).toEqual([
      'case.yaml:83:39: the last outcome rule must have no `when`\n  hint: it catches every state the rules above do not, so that every run ends in exactly one outcome',
    ]);
  });

  it('rejects reserved words as ids and shared names', () => {
    const text = edit(['  HOST: {initial: 50', '  round: {initial: 1, label: R}\n  HOST: {initial: 50'], ['  summit:\n', '  praise:\n'], ['{event: summit,', '{event: praise,']);
    expect(messages(text).map((m) => m.split('\n')[0])).toEqual([
      'case.yaml:9:3: `round` is a reserved word and cannot name a tension',
      'case.yaml:69:3: `praise` names both a lever and an event',
      'case.yaml:83:59: unknown lever `praise`',
    ]);
  });

  it('throws ScenarioError with every issue from the library API', () => {
    expect(() => loadScenarioText('title: 1\n', 'x.yaml')).toThrow(ScenarioError);
    try {
      loadScenarioText('title: 1\n', 'x.yaml');
    } catch (error) {
      expect((error as ScenarioError).issues.length).toBeGreaterThan(3);
    }
  });
});

describe("the build's parsed copies of the bundled files", () => {
  it('give the same scenario as parsing its YAML, and places for findings', async () => {
    const { readFileSync } = await import('node:fs');
    const { loadScenario, loadScenarioText } = await import('../src/scenario/load.ts');
    const { parseDataText } = await import('../src/scenario/parse.ts');
    const file = 'scenarios/petro-trump.yaml';
    const text = readFileSync(file, 'utf8');
    // The same bytes are read from the copy; one more newline is parsed as YAML.
    const fromCopy = loadScenario(file);
    const fromYaml = loadScenarioText(`${text}\n`, file);
    expect(fromCopy.hash).toBe(fromYaml.hash);
    expect(parseDataText(file, text).locate(['levers', 'show_record'])).toEqual(parseDataText(file, `${text}\n`).locate(['levers', 'show_record']));
    expect(parseDataText(file, text).locate(['levers', 'show_record']).line).toBeGreaterThan(1);
  });

  it('are not made when JSON cannot carry the data exactly', async () => {
    const { preparse } = await import('../src/scenario/parse.ts');
    expect(preparse('x.yaml', 'a: .nan\n')).toBeNull();
    expect(preparse('x.yaml', 'a: -0.0\n')).toBeNull();
    expect(preparse('x.yaml', 'a: .inf\n')).toBeNull();
    expect(preparse('x.yaml', 'a: [1, 2.5, "x", true, null]\n')).toMatchObject({ json: '{"a":[1,2.5,"x",true,null]}' });
  });
});
