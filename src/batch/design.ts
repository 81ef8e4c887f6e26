/**
 * The design of a batch: which parameter values (design points) are run, how many replicates
 * each, with which seeds, and which slice of the run indices this process runs (a shard).
 *
 * Points are the grid of the sweeps (first sweep slowest) crossed with the Latin hypercube
 * samples (fastest); run index `i` is replicate `r = i mod N` of point `⌊i / N⌋`. Its seed is
 * `deriveSeed(base, r)` (paired seeds, the default: replicate r of every point draws the same
 * random numbers, so a contrast between points is not blurred by different luck), or
 * `deriveSeed(base, i)` with `--seeds independent`. A batch of one point gets the same seeds
 * either way.
 */
import { deriveSeed } from '../engine/rng.ts';
import type { ParameterDef, ScenarioDefinition } from '../scenario/definition.ts';
import { suggest, UsageError } from '../scenario/errors.ts';
import { latinHypercube } from './lhs.ts';
import { exerciseSeed } from '../analysis/exercise-runs.ts';

export type SeedPairing = 'paired' | 'independent';
export const SEED_PAIRINGS: readonly SeedPairing[] = ['paired', 'independent'];

/**
 * Seed of run `index` of a batch with base seed `seed` and `runsPerPoint` replicates per point:
 * an exercise's runs play its own seeds first (replicate r plays seed r, see `exerciseSeed`),
 * then, as every other batch, the derived seed of the replicate (paired) or of the run.
 */
export function runSeed(d: { readonly seed: number; readonly seeds?: SeedPairing; readonly runsPerPoint: number; readonly exercise?: { readonly seeds: readonly number[] } }, index: number): number {
  const replicate = index % d.runsPerPoint;
  return exerciseSeed(d.exercise?.seeds ?? [], replicate, () => deriveSeed(d.seed, d.seeds === 'independent' ? index : replicate));
}

export function parseSeedPairing(text: string | undefined): SeedPairing {
  if (text === undefined) return 'paired';
  const t = text.trim();
  if (t === 'paired' || t === 'independent') return t;
  throw new UsageError(`expected paired or independent, not \`${text}\``, 'paired (the default): replicate r of every design point has the same seed; independent: every run its own', '--seeds');
}

export interface SweepSpec {
  readonly param: string;
  readonly from: number;
  readonly to: number;
  readonly steps: number;
}

export interface SampleSpec {
  readonly method: 'lhs';
  readonly points: number;
  /** Parameters sampled: every declared one not fixed by --set or swept, in declaration order. */
  readonly params: readonly string[];
}

export interface ShardSpec {
  readonly k: number;
  readonly n: number;
  /** First run index of the slice. */
  readonly start: number;
  /** One past its last run index. */
  readonly end: number;
}

/** Everything that decides the rows of a batch (recorded in every output file's header). */
export interface Design {
  readonly seed: number;
  /** How runs get their seeds: `paired` (replicate r of every point the same) or `independent` (by run index). */
  readonly seeds: SeedPairing;
  readonly policy: string;
  readonly runsPerPoint: number;
  readonly set: Readonly<Record<string, number>>;
  readonly sweep: readonly SweepSpec[];
  readonly sample: SampleSpec | null;
  readonly branch: string | null;
  /** Number of design points. */
  readonly points: number;
  /** Runs of the whole batch (all shards). */
  readonly runs: number;
  readonly shard: ShardSpec | null;
  /** A batch of an exercise's runs (`--exercise`): absent otherwise. */
  readonly exercise?: ExerciseSpec;
  /** Points given as a list (`--design FILE`, or a sensitivity analysis's design): absent otherwise. */
  readonly list?: ListSpec;
}

/**
 * Design points given one by one: from a file (`parley batch --design FILE`) or made by a
 * sensitivity method (`parley sensitivity`). Each point sets `params` (in this order); the
 * other parameters take `set` or their defaults. The points themselves are not in the design
 * (a Sobol design has tens of thousands): `hash` is the SHA-256 of their text as
 * `formatDesignFile` writes it, so that a resume, a shard or a merge runs the same points.
 */
export interface ListSpec {
  readonly source: 'file' | 'sobol' | 'morris' | 'oat';
  readonly params: readonly string[];
  readonly points: number;
  readonly hash: string;
  /** The file, as given (source `file`). */
  readonly file?: string;
  /** Sobol: base points; Morris: trajectories. */
  readonly size?: number;
  /** Morris: grid levels. */
  readonly levels?: number;
}

/** The points of a list design, with the text they are hashed as. */
export interface PointList {
  readonly spec: ListSpec;
  readonly rows: readonly (readonly number[])[];
}

/**
 * The exercise a batch runs: replicate r of each point plays the exercise's seed r while there
 * is one, then the batch's own seed (see `runSeed`); its parameters are in `set`.
 */
export interface ExerciseSpec {
  readonly id: string;
  /** SHA-256 of the exercise file's text: a resumed batch runs the same exercise. */
  readonly hash: string;
  readonly seeds: readonly number[];
}

export const MAX_POINTS = 1_000_000;
/** Runs of a whole batch: days of computing (about 20,000 runs/s on 2 cores); memory does not grow with runs. */
export const MAX_RUNS = 10_000_000_000;
/**
 * The summary holds every design point's statistics, and is built and written in memory: at
 * most 128 MiB of it, for which a batch stays under 1 GiB (measured on petro-trump: 21,648
 * points, a 91 MiB summary, 0.73 GB peak; 30,000 points, 126 MiB, 0.98 GB; `lhs:1000000` ran
 * out of heap).
 */
export const SUMMARY_BUDGET = 128 * 1024 * 1024;

/**
 * Bytes of summary per design point, estimated high: measured about 650 + 150 per statistic
 * of a point (petro-trump 4.4 KB for 26, river-dispute 2.8 KB for 14, the mini fixture 2.0 KB for 9).
 */
export function summaryBytesPerPoint(def: ScenarioDefinition): number {
  const checkpoints = def.phases.filter((p) => p.checkpoint && p.index < def.phases.length - 1).length;
  return 1000 + 200 * (def.outcomes.length * (1 + checkpoints) + def.tensions.length + def.parameters.length);
}

const count = (n: number) => n.toLocaleString('en-US');
export const MAX_SWEEP_STEPS = 100_000;
export const MAX_SHARDS = 100_000;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function parameter(def: ScenarioDefinition, name: string, flag: string): ParameterDef {
  const p = def.parameters.find((x) => x.id === name);
  if (!p) {
    const valid = def.parameters.length ? `valid parameters of ${def.id}: ${def.parameters.map((x) => `${x.id} [${x.min}, ${x.max}]`).join(', ')}` : `${def.id} declares no parameters`;
    const close = suggest(name, def.parameters.map((x) => x.id), 'parameter');
    throw new UsageError(`unknown parameter \`${name}\``, close?.startsWith('did you mean') ? `${close} ${valid}` : valid, flag);
  }
  return p;
}

function inRange(p: ParameterDef, value: number, flag: string, what = `${p.id} = ${value}`): void {
  if (!(value >= p.min && value <= p.max)) throw new UsageError(`${what} is outside the declared range of ${p.id}, [${p.min}, ${p.max}]`, undefined, flag);
}

export function parseRuns(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1) throw new UsageError(`the number of runs must be a whole number of at least 1, not \`${text}\``, 'e.g. --runs 1000', '--runs');
  const n = Number(t);
  if (n > MAX_RUNS) throw new UsageError(`${text} is more than ${count(MAX_RUNS)} runs`, 'that many runs take days (about 20,000 runs/s on 2 cores); give fewer', '--runs');
  return n;
}

export function parseSetValues(def: ScenarioDefinition, sets: Readonly<Record<string, number>>): Record<string, number> {
  for (const [name, value] of Object.entries(sets)) {
    const p = parameter(def, name, '--set');
    if (!Number.isFinite(value)) throw new UsageError(`${name} = ${value} is not a finite number`, `a value in [${p.min}, ${p.max}]`, '--set');
    inRange(p, value, '--set');
  }
  return { ...sets };
}

/** `name=from:to:steps`, e.g. `push=0:1:5` for 0, 0.25, 0.5, 0.75, 1. */
export function parseSweep(def: ScenarioDefinition, text: string): SweepSpec {
  const m = /^([^=]+)=([^:]*):([^:]*):([^:]*)$/.exec(text.trim());
  if (!m) throw new UsageError(`expected NAME=FROM:TO:STEPS, not \`${text}\``, 'e.g. --sweep push=0:1:5 for 0, 0.25, 0.5, 0.75, 1', '--sweep');
  const [, name, fromText, toText, stepsText] = m as unknown as [string, string, string, string, string];
  if (!NAME.test(name)) throw new UsageError(`\`${name}\` is not a parameter name`, undefined, '--sweep');
  const p = parameter(def, name, '--sweep');
  const from = Number(fromText);
  const to = Number(toText);
  if (fromText.trim() === '' || !Number.isFinite(from)) throw new UsageError(`\`${text}\`: FROM \`${fromText}\` is not a number`, undefined, '--sweep');
  if (toText.trim() === '' || !Number.isFinite(to)) throw new UsageError(`\`${text}\`: TO \`${toText}\` is not a number`, undefined, '--sweep');
  if (!/^\d+$/.test(stepsText.trim()) || Number(stepsText) < 2 || Number(stepsText) > MAX_SWEEP_STEPS) {
    throw new UsageError(`\`${text}\`: STEPS must be a whole number from 2 to ${MAX_SWEEP_STEPS}, not \`${stepsText}\``, 'STEPS counts the values, both ends included; for a single value use --set', '--sweep');
  }
  if (from === to) throw new UsageError(`\`${text}\`: FROM and TO are equal`, `use --set ${name}=${from}`, '--sweep');
  inRange(p, from, '--sweep', `\`${text}\`: FROM ${from}`);
  inRange(p, to, '--sweep', `\`${text}\`: TO ${to}`);
  const spec = { param: name, from, to, steps: Number(stepsText) };
  if (p.kind === 'switch' && spec.steps !== 2) throw new UsageError(`\`${text}\`: ${name} is a switch (0 or 1)`, `sweep it as ${name}=0:1:2`, '--sweep');
  if (p.kind === 'integer') {
    const off = sweepValues(spec).find((v) => !Number.isInteger(v));
    if (off !== undefined) throw new UsageError(`\`${text}\`: ${name} takes whole numbers, and this sweep gives ${off}`, `choose STEPS so that (TO − FROM) / (STEPS − 1) is whole, e.g. ${name}=${from}:${to}:${Math.abs(to - from) + 1}`, '--sweep');
  }
  return spec;
}

/**
 * `a + (b - a)·t` computed as `plain` was; where that overflows (a range as wide as doubles
 * allow: `b - a` is Infinity), a form that cannot. Always inside [a, b] (or [b, a]).
 */
function between(plain: number, a: number, b: number, t: number): number {
  const v = Number.isFinite(plain) ? plain : a * (1 - t) + b * t;
  return Math.min(Math.max(a, b), Math.max(Math.min(a, b), v));
}

/** The values of a sweep, both ends exact, the rest rounded to 12 significant digits; all finite. */
export function sweepValues(s: SweepSpec): number[] {
  return Array.from({ length: s.steps }, (_, i) => {
    if (i === 0) return s.from;
    if (i === s.steps - 1) return s.to;
    const t = i / (s.steps - 1);
    return between(Number(between(s.from + ((s.to - s.from) * i) / (s.steps - 1), s.from, s.to, t).toPrecision(12)), s.from, s.to, t);
  });
}

/** `lhs:K`: K Latin hypercube points over the parameters not fixed by --set or --sweep. */
export function parseSample(def: ScenarioDefinition, text: string, fixed: ReadonlySet<string>): SampleSpec {
  const m = /^lhs:(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`expected lhs:K, not \`${text}\``, 'e.g. --sample lhs:50 for 50 Latin hypercube points', '--sample');
  const k = Number(m[1]);
  if (k < 1 || k > MAX_POINTS) throw new UsageError(`\`${text}\`: K must be from 1 to ${MAX_POINTS}`, undefined, '--sample');
  const params = def.parameters.filter((p) => !fixed.has(p.id)).map((p) => p.id);
  if (params.length === 0) {
    throw new UsageError(`\`${text}\`: no parameter is left to sample`, def.parameters.length ? 'every parameter is fixed by --set or --sweep' : `${def.id} declares no parameters`, '--sample');
  }
  return { method: 'lhs', points: k, params };
}

/** `k/n`: the k-th of n equal, contiguous slices of the run indices (1 ≤ k ≤ n). */
export function parseShard(text: string, runs: number): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`expected K/N, not \`${text}\``, 'e.g. --shard 3/8 for the third of eight slices', '--shard');
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > MAX_SHARDS) throw new UsageError(`\`${text}\`: N must be from 1 to ${MAX_SHARDS}`, undefined, '--shard');
  if (k < 1 || k > n) throw new UsageError(`\`${text}\`: K must be from 1 to N (${n})`, `the shards of ${n} are 1/${n} … ${n}/${n}`, '--shard');
  return { k, n, start: Math.floor(((k - 1) * runs) / n), end: Math.floor((k * runs) / n) };
}

export interface DesignInput {
  readonly seed: number;
  readonly seeds?: SeedPairing;
  readonly policy: string;
  readonly runsPerPoint: number;
  readonly set: Readonly<Record<string, number>>;
  readonly sweeps: readonly string[];
  readonly sample: string | null;
  readonly branch: string | null;
  readonly shard: string | null;
  readonly exercise?: ExerciseSpec;
  readonly list?: PointList;
}

/** Validates the flags of a batch against the scenario and fixes its design. */
export function buildDesign(def: ScenarioDefinition, input: DesignInput): Design {
  const set = parseSetValues(def, input.set);
  const sweep: SweepSpec[] = [];
  for (const text of input.sweeps) {
    const s = parseSweep(def, text);
    if (Object.hasOwn(set, s.param)) throw new UsageError(`${s.param} is both set and swept`, `drop --set ${s.param}=… or --sweep ${text}`, '--sweep');
    if (sweep.some((x) => x.param === s.param)) throw new UsageError(`${s.param} is swept twice`, 'give one --sweep per parameter', '--sweep');
    sweep.push(s);
  }
  const fixed = new Set([...Object.keys(set), ...sweep.map((s) => s.param)]);
  const sample = input.sample === null ? null : parseSample(def, input.sample, fixed);
  const list = input.list?.spec;
  if (list) {
    if (sweep.length || sample) throw new UsageError('a list of design points does not combine with --sweep or --sample', 'put every point in the list', sweep.length ? '--sweep' : '--sample');
    const both = list.params.filter((p) => Object.hasOwn(set, p));
    if (both.length) throw new UsageError(`${both.join(', ')} ${both.length > 1 ? 'are' : 'is'} both set and given by the design's points`, `drop --set ${both[0]}=…`, '--set');
  }
  let points = list ? list.points : sample ? sample.points : 1;
  for (const s of sweep) points = Math.min(points * s.steps, MAX_POINTS + 1);
  const flag = sample ? '--sample' : '--sweep';
  if (points > MAX_POINTS) throw new UsageError(`the design has more than ${count(MAX_POINTS)} points`, 'use fewer sweep steps or sample points', flag);
  const perPoint = summaryBytesPerPoint(def);
  if (points * perPoint > SUMMARY_BUDGET) {
    const most = Math.floor(SUMMARY_BUDGET / perPoint);
    const others = points / (sample ? sample.points : 1);
    throw new UsageError(
      `the design has ${count(points)} points: their summary would take about ${Math.ceil((points * perPoint) / 2 ** 20)} MiB, and summaries are limited to ${SUMMARY_BUDGET / 2 ** 20} MiB`,
      `${def.id} allows at most ${count(most)} points (about ${count(perPoint)} bytes each)${sample && others <= most ? `: --sample lhs:${Math.floor(most / others)}` : ''}; for more, run several batches with different --seed`,
      flag,
    );
  }
  const runs = points * input.runsPerPoint;
  if (runs > MAX_RUNS) throw new UsageError(`the design has ${count(runs)} runs (${count(points)} points × ${count(input.runsPerPoint)}), more than ${count(MAX_RUNS)}`, 'lower --runs', '--runs');
  // Sums of steps are plain numbers: exact while below 2^53.
  if (runs * (def.maxSteps + 1) > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${count(runs)} runs of up to ${count(def.maxSteps)} steps could not be counted exactly`, `at most ${count(Math.floor(Number.MAX_SAFE_INTEGER / (def.maxSteps + 1)))} runs for ${def.id}`, '--runs');
  }
  const shard = input.shard === null ? null : parseShard(input.shard, runs);
  return { seed: input.seed, seeds: input.seeds ?? 'paired', policy: input.policy, runsPerPoint: input.runsPerPoint, set, sweep, sample, branch: input.branch, points, runs, shard, ...(input.exercise ? { exercise: input.exercise } : {}), ...(list ? { list } : {}) };
}

/** Whether a design's rows need a `replay` column: its points set parameters that the branch code does not carry. */
export function replayColumn(design: Design): boolean {
  return Object.keys(design.set).length > 0 || design.sweep.length > 0 || design.sample !== null || design.list !== undefined;
}

/**
 * A unit coordinate `u` in [0, 1) as a value of parameter `p`, by its kind: a switch is 0 below
 * 0.5 and 1 above (so the strata split evenly), an integer the whole number of its stratum, a
 * real the point of the range.
 */
export function sampled(p: Pick<ParameterDef, 'kind' | 'min' | 'max'>, u: number): number {
  if (p.kind === 'switch') return u < 0.5 ? 0 : 1;
  if (p.kind === 'integer') return Math.min(p.max, Math.floor(p.min + (p.max - p.min + 1) * u));
  return between(p.min + (p.max - p.min) * u, p.min, p.max, u);
}

/** Does `p` look like a 0/1 switch that does not say it is one? */
const looksLikeSwitch = (p: ParameterDef) => !p.declaredKind && p.min === 0 && p.max === 1 && (p.default === 0 || p.default === 1);

/** Warnings about a design: a parameter that looks like a 0/1 switch, without a kind, sampled or swept over values between. */
export function designWarnings(def: ScenarioDefinition, design: Design): string[] {
  const out: string[] = [];
  const hint = 'if it is a switch, declare `kind: switch` in the scenario\'s parameters (then it takes 0 or 1); `kind: real` says it is not';
  for (const s of design.sweep) {
    const p = def.parameters.find((x) => x.id === s.param)!;
    if (looksLikeSwitch(p) && sweepValues(s).some((v) => v !== 0 && v !== 1)) out.push(`${p.id} looks like a 0/1 switch (range [0, 1], default ${p.default}, no kind) and --sweep gives it values between; ${hint}`);
  }
  for (const id of design.sample?.params ?? []) {
    const p = def.parameters.find((x) => x.id === id)!;
    if (looksLikeSwitch(p)) out.push(`${p.id} looks like a 0/1 switch (range [0, 1], default ${p.default}, no kind) and --sample draws it anywhere in [0, 1]; ${hint}`);
  }
  return out;
}

/** First and one-past-last run index this process runs. */
export function runRange(design: Design): [number, number] {
  return design.shard ? [design.shard.start, design.shard.end] : [0, design.runs];
}

/** Parameter values of every design point, by parameter index. */
export function designPoints(def: ScenarioDefinition, design: Design, list?: PointList): number[][] {
  // Own properties only: a parameter named `toString` must not read Object.prototype's.
  const base = def.parameters.map((p) => (Object.hasOwn(design.set, p.id) ? design.set[p.id]! : p.default));
  const index = (id: string) => def.parameters.find((p) => p.id === id)!.index;
  if (design.list) {
    if (!list || list.spec.hash !== design.list.hash) throw new Error('designPoints: the design lists its points, and they were not given');
    const at = design.list.params.map(index);
    return list.rows.map((row) => {
      const next = base.slice();
      at.forEach((i, k) => (next[i] = row[k]!));
      return next;
    });
  }
  let points: number[][] = [base];
  for (const s of design.sweep) {
    const i = index(s.param);
    const values = sweepValues(s);
    points = points.flatMap((pt) => values.map((v) => {
      const next = pt.slice();
      next[i] = v;
      return next;
    }));
  }
  if (design.sample) {
    const dims = design.sample.params.map((id) => def.parameters[index(id)]!);
    const unit = latinHypercube(design.sample.points, dims.length, design.seed);
    points = points.flatMap((pt) => unit.map((u) => {
      const next = pt.slice();
      dims.forEach((p, d) => (next[p.index] = sampled(p, u[d]!)));
      return next;
    }));
  }
  return points;
}
