/**
 * What Parley reads back of its own batch files — the header of a row file and a summary — is
 * checked with the same zod discipline as a scenario: strict types, whole counts of at least 0,
 * lengths that agree with the layout, a design whose numbers add up, and no unknown fields.
 * A file that fails is an input error naming the file and the field (exit 2), never a stack.
 */
import * as z from 'zod';
import { MAX_SEED } from '../engine/types.ts';
import { UsageError } from '../scenario/errors.ts';
import { MAX_POINTS, MAX_RUNS, MAX_SHARDS, MAX_SWEEP_STEPS, type Design } from './design.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const Name = z.string().regex(NAME, { error: 'expected a name (a letter, then letters, digits or `_`)' });
/** A whole number from 0 (int() keeps it a safe integer). */
const Count = z.number().int().min(0);
const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** Finite: zod refuses NaN and ±Infinity for z.number(). */
const Finite = z.number();
const Text = z.string().max(100_000);

const DesignObject = z.strictObject({
  seed: int(0, MAX_SEED),
  // Optional so that a file of an engine before paired seeds is read, and refused for its engine version.
  seeds: z.enum(['paired', 'independent']).optional(),
  policy: Text.min(1),
  runsPerPoint: int(1, MAX_RUNS),
  set: z.record(Name, Finite),
  sweep: z.array(z.strictObject({ param: Name, from: Finite, to: Finite, steps: int(2, MAX_SWEEP_STEPS) })).max(1000),
  sample: z.strictObject({ method: z.literal('lhs'), points: int(1, MAX_POINTS), params: z.array(Name).min(1).max(100_000) }).nullable(),
  branch: Text.nullable(),
  points: int(1, MAX_POINTS),
  runs: int(1, MAX_RUNS),
  shard: z.strictObject({ k: int(1, MAX_SHARDS), n: int(1, MAX_SHARDS), start: Count, end: Count }).nullable(),
  exercise: z.strictObject({ id: Text.min(1), hash: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected a SHA-256 content hash' }), seeds: z.array(int(0, MAX_SEED)).min(1).max(100_000) }).optional(),
  list: z.strictObject({
    source: z.enum(['file', 'sobol', 'morris', 'oat']),
    params: z.array(Name).min(1).max(100_000),
    points: int(1, MAX_POINTS),
    hash: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected a SHA-256 content hash' }),
    file: Text.min(1).optional(),
    size: int(1, MAX_POINTS).optional(),
    levels: int(2, 1000).optional(),
  }).optional(),
});

type Ctx = z.RefinementCtx;
const problem = (ctx: Ctx, path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

function duplicates(ctx: Ctx, path: (string | number)[], names: readonly string[]): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) problem(ctx, [...path, i], `\`${n}\` is listed twice`);
    seen.add(n);
  });
}

/** The numbers of a design must add up: points from the sweeps and the sample, runs, the shard's slice. */
function checkDesign(d: z.infer<typeof DesignObject>, ctx: Ctx, at: (string | number)[]): void {
  let points = d.list ? d.list.points : d.sample ? d.sample.points : 1;
  for (const s of d.sweep) points *= s.steps;
  if (d.points !== points) problem(ctx, [...at, 'points'], `is ${d.points}, but the ${d.list ? 'list' : 'sweeps and the sample'} make${d.list ? 's' : ''} ${points} points`);
  if (d.list && (d.sweep.length || d.sample)) problem(ctx, [...at, 'list'], 'a list of points does not combine with sweeps or a sample');
  if (d.list) duplicates(ctx, [...at, 'list', 'params'], [...d.list.params]);
  if (d.runs !== d.points * d.runsPerPoint) problem(ctx, [...at, 'runs'], `is ${d.runs}, but ${d.points} points × ${d.runsPerPoint} runs make ${d.points * d.runsPerPoint}`);
  const fixedNames = [...Object.keys(d.set), ...d.sweep.map((s) => s.param)];
  duplicates(ctx, [...at, 'sweep'], fixedNames);
  const fixed = new Set(fixedNames);
  if (d.sample) {
    duplicates(ctx, [...at, 'sample', 'params'], d.sample.params);
    d.sample.params.forEach((p, i) => {
      if (fixed.has(p)) problem(ctx, [...at, 'sample', 'params', i], `\`${p}\` is both sampled and set or swept`);
    });
  }
  d.sweep.forEach((s, i) => {
    if (s.from === s.to) problem(ctx, [...at, 'sweep', i], 'FROM and TO are equal');
  });
  if (d.shard) {
    const { k, n, start, end } = d.shard;
    if (k > n) problem(ctx, [...at, 'shard', 'k'], `is ${k}, more than n (${n})`);
    else if (start !== Math.floor(((k - 1) * d.runs) / n) || end !== Math.floor((k * d.runs) / n)) {
      problem(ctx, [...at, 'shard'], `runs ${start}–${end} are not slice ${k} of ${n} of ${d.runs} runs`);
    }
  }
}

const Scenario = z.strictObject({ id: Text.min(1), hash: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected a SHA-256 content hash' }) });
const Command = z.array(Text).max(10_000);

const HeaderSchema = z
  .strictObject({
    format: z.literal('parley-batch-rows'),
    version: z.literal(1),
    parley: Text,
    scenario: Scenario,
    command: Command,
    design: DesignObject,
    columns: z.array(Text).min(7).max(1_000_000),
  })
  .superRefine((h, ctx) => {
    checkDesign(h.design, ctx, ['design']);
    const layout = layoutOfColumns(h.columns);
    if (!layout) {
      problem(ctx, ['columns'], 'are not the columns of a Parley row file (run, point, replicate, seed, param.*, policy, outcome, checkpoint.*, tension.*, steps, goldstein, [met, score,] branch[, replay])');
      return;
    }
    if (layout.judged !== (h.design.exercise !== undefined)) problem(ctx, ['columns'], h.design.exercise ? 'lack `met` and `score`, which the rows of an exercise carry' : 'have `met` and `score`, but the design runs no exercise');
    const params = new Set(layout.params);
    designParams(h.design).forEach(([path, p]) => {
      if (!params.has(p)) problem(ctx, ['design', ...path], `\`${p}\` is not a parameter of the columns`);
    });
  });

/** Parameters a design names, with where it names them. */
function designParams(d: Design | z.infer<typeof DesignObject>): [(string | number)[], string][] {
  return [
    ...Object.keys(d.set).map((p): [(string | number)[], string] => [['set', p], p]),
    ...d.sweep.map((s, i): [(string | number)[], string] => [['sweep', i, 'param'], s.param]),
    ...(d.sample?.params ?? []).map((p, i): [(string | number)[], string] => [['sample', 'params', i], p]),
    ...(d.list?.params ?? []).map((p, i): [(string | number)[], string] => [['list', 'params', i], p]),
  ];
}

/** The names in the columns of a row file, or null when they are not a row file's columns. */
function layoutOfColumns(columns: readonly string[]): { params: string[]; checkpoints: string[]; tensions: string[]; judged: boolean } | null {
  let i = 0;
  const fixed = (...names: string[]) => names.every((n) => columns[i++] === n);
  const prefixed = (prefix: string) => {
    const out: string[] = [];
    const seen = new Set<string>();
    while (i < columns.length && columns[i]!.startsWith(prefix)) {
      const name = columns[i++]!.slice(prefix.length);
      if (!NAME.test(name) || seen.has(name)) return null;
      seen.add(name);
      out.push(name);
    }
    return out;
  };
  if (!fixed('run', 'point', 'replicate', 'seed')) return null;
  const params = prefixed('param.');
  if (!params || !fixed('policy', 'outcome')) return null;
  const checkpoints = prefixed('checkpoint.');
  const tensions = checkpoints && prefixed('tension.');
  if (!tensions || !fixed('steps', 'goldstein')) return null;
  const judged = columns[i] === 'met';
  if ((judged && !fixed('met', 'score')) || !fixed('branch')) return null;
  if (i < columns.length && columns[i] === 'replay') i++;
  if (i !== columns.length) return null;
  return { params, checkpoints: checkpoints!, tensions, judged };
}

const Proportion = z.strictObject({ count: Count, proportion: Finite.nullable(), ci95: z.tuple([Finite, Finite]) });
const MeanInterval = z.strictObject({ mean: Finite.nullable(), sd: Finite.nullable(), ci95: z.tuple([Finite, Finite]).nullable() });
const Objective = z.strictObject({
  met: Proportion,
  score: z.strictObject({
    mean: Finite.nullable(), sd: Finite.nullable(), ci95: z.tuple([Finite, Finite]).nullable(), min: Finite.nullable(), max: Finite.nullable(),
    distribution: z.array(z.strictObject({ score: Finite, count: Count, proportion: Finite.nullable() })).max(1_000_000),
  }),
});
const Stats = {
  runs: Count,
  outcomes: z.record(Name, Proportion),
  checkpoints: z.record(Name, z.record(Name, Proportion)),
  tensions: z.record(Name, MeanInterval),
  goldstein: MeanInterval,
  steps: z.strictObject({ mean: Finite.nullable() }),
  objective: Objective.optional(),
};
const QUANTUM_SQUARED = 1e-6;
const clip = (digits: string): string => (digits.length > 24 ? `${digits.slice(0, 12)}…(${digits.length} digits)` : digits);

/** An exact integer sum, as decimal text (a BigInt). */
const Big = z.string().regex(/^-?\d{1,400}$/, { error: 'expected a whole number written as text' });
const Exact = z.strictObject({
  n: Count,
  outcomes: z.array(Count),
  checkpoints: z.array(z.array(Count)),
  steps: Count,
  tensions: z.array(z.tuple([Big, Big])),
  goldstein: z.tuple([Big, Big]),
  objective: z.strictObject({ met: Count, scores: z.array(z.tuple([Finite, Count])).max(1_000_000) }).optional(),
});
const Layout = z.strictObject({ params: z.array(Name), checkpoints: z.array(Name), tensions: z.array(Name), outcomes: z.array(Name).min(1), policy: Text.min(1), exercise: Text.min(1).optional() });

const SummarySchema = z
  .strictObject({
    format: z.literal('parley-batch-summary'),
    version: z.literal(1),
    parley: Text,
    scenario: Scenario,
    command: Command,
    design: DesignObject,
    layout: Layout,
    quantum: z.literal(1e-3),
    expected: Count,
    complete: z.boolean(),
    ...Stats,
    points: z.array(z.strictObject({ point: Count, params: z.record(Name, Finite), ...Stats, groups: z.record(Name, Proportion).optional(), exact: Exact })),
    groups: z.record(Name, z.strictObject({ outcomes: z.array(Name).min(1), count: Count, proportion: Finite.nullable(), ci95: z.tuple([Finite, Finite]) })).optional(),
    // Cells and contrasts are read back as they are (a merge makes them again from the points).
    cells: z.array(z.record(z.string(), z.unknown())).max(MAX_POINTS).optional(),
    contrasts: z.array(z.record(z.string(), z.unknown())).max(MAX_POINTS * 100).optional(),
    contrastsNote: Text.optional(),
    wallSeconds: Finite.nullable(),
    runsPerSecond: Finite.nullable(),
    workers: int(1, 256).optional(),
    shards: z.array(z.strictObject({ file: Text, shard: Text.nullable(), runs: Count, wallSeconds: Finite.nullable() })).optional(),
  })
  .superRefine((s, ctx) => {
    const { design: d, layout: l } = s;
    checkDesign(d, ctx, ['design']);
    for (const key of ['params', 'checkpoints', 'tensions', 'outcomes'] as const) duplicates(ctx, ['layout', key], l[key]);
    if (l.policy !== d.policy) problem(ctx, ['layout', 'policy'], `is \`${l.policy}\`, but the design's policy is \`${d.policy}\``);
    if ((l.exercise === undefined) !== (d.exercise === undefined) || (d.exercise && l.exercise !== d.exercise.id)) problem(ctx, ['layout', 'exercise'], `should name the design's exercise (${d.exercise ? `\`${d.exercise.id}\`` : 'none'})`);
    const params = new Set(l.params);
    designParams(d).forEach(([path, p]) => {
      if (!params.has(p)) problem(ctx, ['design', ...path], `\`${p}\` is not a parameter of the layout`);
    });
    const [start, end] = d.shard ? [d.shard.start, d.shard.end] : [0, d.runs];
    if (s.expected !== end - start) problem(ctx, ['expected'], `is ${s.expected}, but the design's ${d.shard ? 'shard' : 'batch'} has ${end - start} runs`);
    let runs = 0;
    let previous = -1;
    s.points.forEach((p, i) => {
      const at = ['points', i];
      const e = p.exact;
      if (p.point <= previous) problem(ctx, [...at, 'point'], `is ${p.point}, after point ${previous}: points must be in increasing order`);
      previous = p.point;
      const first = Math.max(start, p.point * d.runsPerPoint);
      const last = Math.min(end, (p.point + 1) * d.runsPerPoint);
      if (p.point >= d.points || e.n > last - first) problem(ctx, [...at, 'exact', 'n'], `is ${e.n}, but point ${p.point} has ${Math.max(0, last - first)} runs in this ${d.shard ? 'shard' : 'batch'}`);
      runs += e.n;
      const keys = Object.keys(p.params);
      if (keys.length !== l.params.length || keys.some((k, j) => k !== l.params[j])) problem(ctx, [...at, 'params'], `should name the layout's parameters (${l.params.join(', ') || 'none'})`);
      const counts = (path: (string | number)[], row: readonly number[]) => {
        if (row.length !== l.outcomes.length) problem(ctx, path, `has ${row.length} counts for the layout's ${l.outcomes.length} outcomes`);
        else if (row.reduce((a, b) => a + b, 0) !== e.n) problem(ctx, path, `counts ${row.reduce((a, b) => a + b, 0)} runs, not n = ${e.n}`);
      };
      counts([...at, 'exact', 'outcomes'], e.outcomes);
      if ((e.objective === undefined) !== (d.exercise === undefined)) problem(ctx, [...at, 'exact', 'objective'], d.exercise ? 'is missing: the batch runs an exercise' : 'is there, but the batch runs no exercise');
      else if (e.objective) {
        const judged = e.objective.scores.reduce((a, [, runs]) => a + runs, 0);
        if (judged !== e.n || e.objective.met > e.n) problem(ctx, [...at, 'exact', 'objective'], `counts ${judged} scored runs and ${e.objective.met} that met the objective, for n = ${e.n}`);
        e.objective.scores.forEach(([score], j) => {
          if (j > 0 && score <= e.objective!.scores[j - 1]![0]) problem(ctx, [...at, 'exact', 'objective', 'scores', j], 'scores must be listed once each, lowest first');
        });
      }
      if (e.checkpoints.length !== l.checkpoints.length) problem(ctx, [...at, 'exact', 'checkpoints'], `has ${e.checkpoints.length} rows for the layout's ${l.checkpoints.length} checkpoints`);
      else e.checkpoints.forEach((row, c) => counts([...at, 'exact', 'checkpoints', c], row));
      if (e.tensions.length !== l.tensions.length) problem(ctx, [...at, 'exact', 'tensions'], `has ${e.tensions.length} sums for the layout's ${l.tensions.length} tensions`);
      [...e.tensions, e.goldstein].forEach(([sum, squares], j) => {
        const where = [...at, 'exact', ...(j < e.tensions.length ? ['tensions', j] : ['goldstein'])];
        if (!/^-?\d+$/.test(sum) || !/^-?\d+$/.test(squares)) return; // reported by the schema
        if (squares.startsWith('-')) problem(ctx, [...where, 1], 'a sum of squares cannot be negative');
        // n values whose sum is S have a sum of squares of at least S²/n, and a mean that is a number.
        else if (BigInt(sum) ** 2n > BigInt(e.n) * BigInt(squares)) problem(ctx, where, `the sum ${clip(sum)} and the sum of squares ${clip(squares)} cannot both come from ${e.n} values`);
        else if (!Number.isFinite((Number(squares) * QUANTUM_SQUARED) / Math.max(1, e.n))) problem(ctx, [...where, 1], `${clip(squares)} is too large for ${e.n} values`);
      });
    });
    if (runs > s.expected) problem(ctx, ['points'], `count ${runs} runs, more than the ${s.expected} expected`);
    if (s.complete !== (runs === s.expected)) problem(ctx, ['complete'], `is ${s.complete}, but the points count ${runs} of ${s.expected} runs`);
  });

/** `points[3].exact.n`. */
function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || 'the document';
}

/** A value in a few characters, for a message. */
function found(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return `${typeof value === 'string' ? 'the text ' : ''}${text.length > 40 ? `${text.slice(0, 37)}…` : text}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  int: 'a whole number', number: 'a number', string: 'text', boolean: 'true or false', object: 'a mapping', record: 'a mapping', array: 'a list', tuple: 'a list', null: 'null',
});

function issueText(issue: z.core.$ZodIssue): string {
  const where = `\`${pathText(issue.path)}\``;
  switch (issue.code) {
    case 'invalid_type':
      return `${where} should be ${TYPE_WORDS[issue.expected] ?? issue.expected}, found ${found(issue.input)}`;
    case 'too_small':
    case 'too_big':
      return `${where} is ${found(issue.input)}, ${issue.code === 'too_small' ? 'below the minimum' : 'above the maximum'} ${String(issue.code === 'too_small' ? issue.minimum : issue.maximum)}`;
    case 'unrecognized_keys':
      return `${where} has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.slice(0, 5).map((k) => `\`${k.slice(0, 40)}\``).join(', ')}`;
    case 'invalid_value':
      return `${where} should be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, found ${found(issue.input)}`;
    case 'custom':
      return `${where} ${issue.message}`;
    default: {
      // Our own messages read "expected …": say it the way the cases above do.
      const what = issue.message.startsWith('expected ') ? ` should be ${issue.message.slice('expected '.length)}` : `: ${issue.message}`;
      return `${where}${what}${'input' in issue ? `, found ${found(issue.input)}` : ''}`;
    }
  }
}

/** Parses `doc` with `schema`, or throws a UsageError naming the file and the first problems. */
function checked<T>(schema: z.ZodType<T>, doc: unknown, file: string, what: string, hint: string): T {
  const result = schema.safeParse(doc, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues;
  const shown = issues.slice(0, 3).map(issueText);
  const more = issues.length > 3 ? `\n  (and ${issues.length - 3} more problem${issues.length > 4 ? 's' : ''})` : '';
  return fail(file, `not a valid ${what}:\n  - ${shown.join('\n  - ')}${more}`, hint);
}

function fail(file: string, message: string, hint: string): never {
  throw new UsageError(message, hint, file);
}

/** The header of a row file (`RowsHeader` of rows.ts), checked; `hint` says what to do with a damaged file. */
export function checkHeaderDoc<T>(file: string, doc: unknown, hint: string): T {
  return checked(HeaderSchema, doc, file, 'Parley row file header', hint) as T;
}

/** A summary, checked (the caller has checked its format marker and version). */
export function checkSummaryDoc<T>(file: string, doc: unknown): T {
  return checked(SummarySchema, doc, file, 'Parley batch summary', 'summaries are the files `parley batch --summary FILE` writes; this one was changed or damaged') as T;
}
