// Instructor tooling of scenario format 1.1, as a user meets it through the built CLI: CAMEO
// look-ups and descriptions, YAML pitfalls, consistent roles, injects and graphs, and
// `batch --exercise` with lint's exercise checks on the same code path.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleExercise } from '../src/analysis/exercise-runs.ts';
import { lookupCameo } from '../src/scenario/cameo.ts';
import { isParleyInputError } from '../src/scenario/errors.ts';
import { flowCommaPitfalls, parseDataText } from '../src/scenario/parse.ts';
import { loadExercise } from '../src/scenario/exercise.ts';
import { compile, loadScenario } from '../src/index.ts';
import { createSession, currentNode, policyMove } from '../src/play/session.ts';
import { exportMarkdown } from '../src/report/session-markdown.ts';

function parley(args: readonly string[], cwd?: string) {
  const bin = join(import.meta.dirname, '..', 'bin', 'parley.js');
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, ...(cwd ? { cwd } : {}) });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'parley-tools-'));
const mini = readFileSync('test/fixtures/mini.yaml', 'utf8');
const river = readFileSync('scenarios/river-dispute.yaml', 'utf8');

/** A copy of `text` with `from` replaced (which must occur), written to a fresh folder. */
function variant(text: string, from: string, to: string, name = 'case.yaml'): string {
  expect(text).toContain(from);
  const file = join(tmp(), name);
  writeFileSync(file, text.replace(from, to));
  return file;
}

describe('parley cameo', () => {
  it('looks a code up by number, with its description and Goldstein weight', () => {
    const r = parley(['cameo', '0834']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('code  Goldstein  description\n0834   +5.0      Accede to demands for change in institutions, regime\n');
  });

  it('lists the codes under a root, indented by depth, and finds a code that lost its leading zero', () => {
    const root = parley(['cameo', '05']);
    expect(root.out.split('\n')[1]).toBe('05     +3.5  ENGAGE IN DIPLOMATIC COOPERATION');
    expect(root.out).toContain('\n057    +8.0    Sign formal agreement\n');
    expect(root.out.split('\n').slice(1, -1).every((l) => l.startsWith('05'))).toBe(true);
    expect(parley(['cameo', '834']).out).toContain('0834   +5.0      Accede to demands');
  });

  it('finds codes by words, in any case, every word required', () => {
    const r = parley(['cameo', 'MEDIATE']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('code  Goldstein  description\n039    +5.0    Express intent to mediate\n045    +5.0    Mediate\n');
    const two = parley(['cameo', 'formal', 'agreement', '--json']);
    const doc = JSON.parse(two.out);
    expect(doc).toMatchObject({ format: 'parley-cameo', version: 1, query: 'formal agreement' });
    expect(doc.codes).toContainEqual({ code: '057', description: 'Sign formal agreement', goldstein: 8 });
    expect(doc.codes.every((c: { description: string }) => /formal/i.test(c.description) && /agreement/i.test(c.description))).toBe(true);
  });

  it('says so when nothing matches (exit 1), and refuses a query no code could match (exit 2)', () => {
    const none = parley(['cameo', 'xylophone']);
    expect(none.code).toBe(1);
    expect(none.out).toBe('no CAMEO code matches `xylophone`\n');
    const long = parley(['cameo', 'x'.repeat(300)]);
    expect(long.code).toBe(2);
    expect(long.err).toMatch(/^cameo: the query is 300 characters long; at most 200\n {2}hint: /);
  });
});

describe('CAMEO codes in files, transcripts and findings', () => {
  it('an unquoted code is one error at its place, with the code quoted as it was typed', () => {
    const file = variant(river, 'cameo: "057"', 'cameo: 0834');
    const r = parley(['validate', file]);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toBe(`${file}:110:93: \`cameo\` is the number 834 here: YAML reads an unquoted 0834 as a number, without its leading zero; a CAMEO code is text`);
    expect(lines[1]).toBe('  hint: quote the code: cameo: "0834" (`parley cameo 0834` says what it means)');
    expect(lines.filter((l) => l.includes('110:'))).toHaveLength(1);
  });

  it('an unknown code names the nearest one with its description', () => {
    const r = parley(['validate', variant(river, 'cameo: "057"', 'cameo: "0579"')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown CAMEO code "0579"\n  hint: did you mean "057" (Sign formal agreement)? `parley cameo 05` lists the codes under 05');
  });

  it('a transcript shows each coded branch and event with its description', () => {
    const r = parley(['run', 'river-dispute', '--seed', '3']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('draw 0.171 → agreed: WATER 55→40, MISTRUST 50→40 · CAMEO 057 (Sign formal agreement)\n');
  });
});

describe('consistent roles, injects and graphs', () => {
  it('play --role refuses an adviser and a `playable: false` actor, and lists exactly the playable roles', () => {
    const roles = '  hint: roles of petro-trump: facilitator, petro, trump, paul\n';
    const adviser = parley(['play', 'petro-trump', '--seed', '1', '--role', 'villavicencio']);
    expect(adviser.code).toBe(2);
    expect(adviser.err).toBe('--role: `villavicencio` (FM Rosa Yolanda Villavicencio, adviser) cannot be played: advisers are not played unless the scenario marks them `playable: true`\n' + roles);
    const marked = parley(['play', 'petro-trump', '--seed', '1', '--role', 'security_cooperation']);
    expect(marked.code).toBe(2);
    expect(marked.err).toMatch(/^--role: `security_cooperation` \(.*\) cannot be played: it is marked `playable: false`\n/);
    expect(marked.err).toContain(roles);
    const typo = parley(['play', 'petro-trump', '--seed', '1', '--role', 'petroo']);
    expect(typo.err).toBe('--role: unknown role `petroo`\n  hint: did you mean `petro`? roles of petro-trump: facilitator, petro, trump, paul\n');
    const fine = parley(['play', 'petro-trump', '--seed', '1', '--role', 'paul']);
    expect(fine.code).toBe(0);
    const exercise = parley(['play', '--exercise', 'keep-the-channel', '--role', 'eln']);
    expect(exercise.code).toBe(2);
    expect(exercise.err).toContain('cannot be played');
  });

  it('run --role points to play and to --policy (exit 2)', () => {
    const r = parley(['run', 'river-dispute', '--seed', '4', '--role', 'arvenia']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('--role: `parley run` plays no role: every actor decides by the policy\n  hint: to decide for arvenia yourself, run `parley play river-dispute --seed 4 --role arvenia`; to change how the actors choose, give --policy NAME (default, random, or a policy of the scenario)\n');
    expect(r.out).toBe('');
  });

  it("an exercise's injects read (inject), the scenario's own schedule (scheduled)", () => {
    const r = parley(['run', '--exercise', 'keep-the-channel']);
    expect(r.code).toBe(0);
    const aftermath2 = r.out.slice(r.out.indexOf('Aftermath — round 2 of'), r.out.indexOf('Aftermath — round 3 of'));
    expect(aftermath2).toMatch(/event: Lethal US strike on a drug boat \(inject\) → /);
    expect(r.out.match(/\(inject\)/g)).toHaveLength(1);
    const plain = parley(['run', 'petro-trump', '--seed', '3']);
    expect(plain.out).not.toContain('(inject)');
    // A played branch exported as Markdown reads them the same way.
    const exercise = loadExercise('keep-the-channel');
    let session = createSession(compile(exercise.def), { seed: 3, role: 'paul', exercise: { id: exercise.id, file: exercise.file } });
    for (let i = 0; i < 40 && !currentNode(session).state.ended; i++) session = policyMove(session, true) as typeof session;
    const md = exportMarkdown(session, session.current, exercise);
    expect(md.match(/event: Lethal US strike on a drug boat \(inject\) → /g)).toHaveLength(1);
    expect(exportMarkdown(createSession(compile(loadScenario('petro-trump')), { seed: 3, role: 'paul' })).includes('(inject)')).toBe(false);
  });

  it('graph draws the outcome rules in order and the mediators, in both formats', () => {
    const mermaid = parley(['graph', 'river-dispute']);
    expect(mermaid.code).toBe(0);
    expect(mermaid.out).toContain('    state "Outcomes (first rule that holds)" as outcomes {\n      state "Armed clash" as out_armed_clash\n      out_armed_clash : when relationship == \'clash\'\n');
    expect(mermaid.out).toContain('      out_armed_clash --> out_water_treaty : else\n');
    expect(mermaid.out).toContain('      out_frozen_conflict : otherwise (always holds)\n');
    expect(mermaid.out).toContain('    state "Mediators" as mediators {\n      state "The envoy\'s channel" as med_envoy_channel\n');
    expect(mermaid.out).toContain('med_envoy_channel : damps RHET increases from rhetoric levers ×0.75 (the envoy calms the press)\n');
    const dot = parley(['graph', 'river-dispute', '--format', 'dot']);
    expect(dot.out).toContain('  subgraph "cluster_outcomes" {\n');
    expect(dot.out).toContain('"out_water_treaty" -> "out_interim_deal" [label="else"];');
    expect(dot.out).toContain('  subgraph "cluster_mediators" {\n    label="Mediators";\n    "med_envoy_channel" [label="The envoy\'s channel\\nUN Special Envoy Amara Diallo, active while RHET <= 70');
    expect(dot.out).not.toContain('mediators__start');
  });
});

describe('YAML pitfalls: a sentence split at a comma', () => {
  it('warns at the item that looks like the rest of a sentence, with the text to quote', () => {
    const file = variant(mini, 'b: {name: Beta, role: principal}', 'b: {name: Beta, role: principal, goals: [reduce strikes, keep aid, and trade], constraints: [keep aid (economic, military) flowing, "quoted, and fine"]}');
    const r = parley(['lint', file, '--runs', '0']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `${file}:15:70: warning: the item \`and trade\` starts with \`and\`: it looks like the rest of \`keep aid\`, split at a comma\n` +
        '  hint: inside `[…]` and `{…}` a comma always ends an item: if it is one item, quote it: "keep aid, and trade"\n' +
        `${file}:15:116: warning: the item \`military) flowing\` closes a parenthesis the item before it opened: it looks like the rest of \`keep aid (economic\`, split at a comma\n` +
        '  hint: inside `[…]` and `{…}` a comma always ends an item: if it is one item, quote it: "keep aid (economic, military) flowing"\n',
    );
  });

  it('warns about a thousands comma in a list', () => {
    const file = variant(mini, 'b: {name: Beta, role: principal}', 'b: {name: Beta, role: principal, goals: [deploy 1,000 troops]}');
    const r = parley(['lint', file, '--runs', '0', '--json']);
    expect(r.code).toBe(0);
    const problems = JSON.parse(r.out).files[0].problems;
    expect(problems.map((p: { line: number; column: number; severity: string; message: string }) => [p.severity, p.line, p.column, p.message])).toEqual([
      ['warning', 15, 53, 'the item `000 troops` continues a number written with a thousands comma: it looks like the rest of `deploy 1`, split at a comma'],
    ]);
  });

  it('finds nothing in lists of names and in flow mappings of fields', () => {
    expect(parley(['lint', 'test/fixtures/mini.yaml', '--runs', '0']).out).toBe('');
    expect(parley(['lint', 'river-dispute', '--runs', '0']).out).toBe('');
  });
});

describe('parley batch --exercise', () => {
  const summaryOf = (dir: string) => {
    const doc = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    delete doc.wallSeconds;
    delete doc.runsPerSecond;
    delete doc.workers;
    return doc;
  };

  it('reports how often the objective is met and the scores; 1 and 2 workers give the same summary and rows', () => {
    const one = tmp();
    const two = tmp();
    const args = ['batch', '--exercise', 'keep-the-channel', '--runs', '300', '--seed', '11', '--out', 'rows.csv', '--summary', 'summary.json'];
    expect(parley([...args, '--workers', '1'], one).code).toBe(0);
    expect(parley([...args, '--workers', '2'], two).code).toBe(0);
    expect(readFileSync(join(one, 'rows.csv'), 'utf8')).toBe(readFileSync(join(two, 'rows.csv'), 'utf8'));
    const s = summaryOf(one);
    expect(s).toEqual(summaryOf(two));
    expect(s.command).toEqual(['parley', 'batch', '--exercise', 'keep-the-channel', '--runs', '300', '--seed', '11', '--policy', 'default', '--out', 'rows.csv', '--summary', 'summary.json']);
    expect(s.design.exercise).toMatchObject({ id: 'keep-the-channel', seeds: [3, 5, 8] });
    const o = s.objective;
    expect(o.met.count).toBeGreaterThan(0);
    expect(o.met.count).toBeLessThan(300);
    expect(o.met.proportion).toBeCloseTo(o.met.count / 300, 9);
    expect(o.met.ci95[0]).toBeLessThan(o.met.proportion);
    expect(o.met.ci95[1]).toBeGreaterThan(o.met.proportion);
    expect(o.score.distribution.reduce((n: number, d: { count: number }) => n + d.count, 0)).toBe(300);
    const mean = o.score.distribution.reduce((n: number, d: { score: number; count: number }) => n + d.score * d.count, 0) / 300;
    expect(o.score.mean).toBeCloseTo(mean, 6);
    // Runs that met the objective score at least its points (60 in keep-the-channel): the two agree.
    expect(o.score.distribution.filter((d: { score: number }) => d.score >= 60).reduce((n: number, d: { count: number }) => n + d.count, 0)).toBe(o.met.count);
    // The rows: the exercise's seeds first, then derived seeds; each run judged.
    const rows = readFileSync(join(one, 'rows.csv'), 'utf8').split('\n');
    expect(rows[1]!.endsWith(',goldstein,met,score,branch')).toBe(true);
    expect(rows.slice(2, 5).map((r) => r.split(',')[3])).toEqual(['3', '5', '8']);
    expect(rows.slice(2, -1).filter((r) => r.includes(',true,')).length).toBe(o.met.count);
  });

  it("counts what lint's exercise check counts: the same runs, the same judgement", () => {
    const dir = tmp();
    expect(parley(['batch', '--exercise', 'keep-the-channel', '--runs', '120', '--seed', '20260101', '--policy', 'random', '--summary', 'summary.json'], dir).code).toBe(0);
    const exercise = loadExercise('keep-the-channel');
    const sampled = sampleExercise(exercise, { policy: 'random', base: 20_260_101, runs: 120 });
    expect(summaryOf(dir).objective.met.count).toBe(sampled.met);
    expect(summaryOf(dir).points[0].exact.objective).toEqual(JSON.parse(JSON.stringify(sampled.tally().objective)));
  });

  it('resumes an interrupted exercise batch to the same rows and summary, and merges its shards exactly', () => {
    const whole = tmp();
    const exerciseFile = join(import.meta.dirname, 'fixtures', 'exercises', 'mini-deal.yaml');
    const full = ['batch', '--exercise', exerciseFile, '--runs', '400', '--seed', '5', '--out', 'rows.jsonl', '--summary', 'summary.json'];
    expect(parley(full, whole).code).toBe(0);
    const rows = readFileSync(join(whole, 'rows.jsonl'), 'utf8');
    expect(rows.split('\n')[1]).toMatch(/^\{"run":0,.*"goldstein":[-\d.e]+,"met":(true|false),"score":\d+,"branch":"mini:7:default"\}$/);
    const cut = tmp();
    writeFileSync(join(cut, 'rows.jsonl'), rows);
    truncateSync(join(cut, 'rows.jsonl'), Math.floor(statSync(join(cut, 'rows.jsonl')).size / 2));
    expect(parley([...full, '--resume'], cut).code).toBe(0);
    expect(readFileSync(join(cut, 'rows.jsonl'), 'utf8')).toBe(rows);
    expect(summaryOf(cut)).toEqual(summaryOf(whole));
    const shards = tmp();
    for (const k of [1, 2]) expect(parley(['batch', '--exercise', exerciseFile, '--runs', '400', '--seed', '5', '--shard', `${k}/2`, '--summary', `s${k}.json`], shards).code).toBe(0);
    expect(parley(['merge', 's1.json', 's2.json', '--out', 'summary.json'], shards).code).toBe(0);
    const merged = summaryOf(shards);
    expect(merged.objective).toEqual(summaryOf(whole).objective);
    expect(merged.points[0].exact).toEqual(summaryOf(whole).points[0].exact);
  });

  it('refuses bad input with exit 2: --branch with it, another scenario, an unknown exercise, a broken file', () => {
    const both = parley(['batch', '--exercise', 'keep-the-channel', '--runs', '5', '--branch', 'petro-trump:1:default']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--branch: give --exercise or --branch, not both');
    const other = parley(['batch', 'river-dispute', '--exercise', 'keep-the-channel', '--runs', '5']);
    expect(other.code).toBe(2);
    expect(other.err).toContain('is played on its own scenario `petro-trump`, not `river-dispute`');
    const unknown = parley(['batch', '--exercise', 'keep-the-chanel', '--runs', '5']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('did you mean `keep-the-channel`?');
    const broken = parley(['batch', '--exercise', 'test/fixtures/exercises/broken.yaml', '--runs', '5']);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/broken\.yaml:\d+:\d+: /);
    expect(broken.err).not.toMatch(/\n\s+at /);
  });
});

describe('bad input never crashes the new checks', () => {
  it('flow lists at random: every warning has a place inside the text', () => {
    const word = fc.stringMatching(/^[a-z0-9() ]{0,12}$/);
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), fc.array(fc.tuple(word, word), { maxLength: 4 }), (items, pairs) => {
        const text = `title: t\nlist: [${items.join(', ')}]\nmap: {${pairs.map(([k, v]) => (v ? `${k}: ${v}` : k)).join(', ')}}\n`;
        try {
          parseDataText('case.yaml', text);
        } catch (error) {
          if (isParleyInputError(error)) return;
          throw error;
        }
        const lines = text.split('\n');
        for (const issue of flowCommaPitfalls('case.yaml', text)) {
          expect(issue.severity).toBe('warning');
          expect(issue.line).toBeGreaterThanOrEqual(2);
          expect(issue.column).toBeGreaterThanOrEqual(1);
          expect(issue.column!).toBeLessThanOrEqual(lines[issue.line! - 1]!.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a CAMEO query of any text gives codes that match it, never an error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (query) => {
        for (const e of lookupCameo(query)) expect(e.code).toMatch(/^\d{1,4}$/);
      }),
      { numRuns: 300 },
    );
  });

  it('a mangled exercise for batch --exercise: exit 2 with file:line:col, never a stack', () => {
    const text = readFileSync('scenarios/exercises/river-treaty.yaml', 'utf8');
    for (const [from, to] of [['seeds: [1, 2, 3]', 'seeds: [1, 2, -3]'], ['role: envoy', 'role: envoi'], ['phase', 'phaze'], ['objective:', 'objective: [']] as const) {
      if (!text.includes(from)) continue;
      const file = variant(text, from, to, 'exercise.yaml');
      const r = parley(['batch', '--exercise', file, '--runs', '3']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/exercise\.yaml:\d+:\d+: /);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
