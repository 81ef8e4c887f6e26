/**
 * Exercises: a scenario set up for a class — the student's role, an objective, the seeds every
 * section plays, scheduled injects, briefings at two levels, debrief questions and a score.
 * Exercise files are YAML (or JSON) data like scenarios, validated with the same messages.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { scenariosDir } from '../paths.ts';
import * as z from 'zod';
import { playableActors, unplayableReason, type ScenarioDefinition } from './definition.ts';
import { isParleyInputError, ScenarioError, suggest, type Issue } from './errors.ts';
import { compileExpr, ExprError, type EvalState, type Expr } from './expr.ts';
import { laneOf } from './lanes.ts';
import { loadScenario, resolveScenarioPath, scenarioIdOf, validateScenarioFile, zodIssue } from './load.ts';
import { readDataFile, type ParsedFile, type PathSegment } from './parse.ts';

const Id = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: 'an id must start with a letter and contain only letters, digits and `_`' });

export const ExerciseSchema = z
  .strictObject({
    $schema: z.string().optional(),
    exercise: z.literal(1).describe('Marks the file as a Parley exercise, format 1.'),
    title: z.string().min(1),
    scenario: z.string().min(1).describe('A bundled scenario id, or a path relative to this file.'),
    role: z.string().min(1).describe("The student's role: an actor id, or `facilitator`."),
    policy: z.string().default('default').describe('How the actors the student does not play choose.'),
    params: z.record(Id, z.number()).default({}).describe('Parameter values every section plays with.'),
    seeds: z.array(z.number().int().min(0).max(2 ** 32 - 1)).min(1).describe('The seeds every section plays, so that all sections face the same odds.'),
    injects: z
      .array(z.strictObject({ event: Id, phase: Id, round: z.number().int().min(1), note: z.string().optional() }))
      .default([])
      .describe('Events fired at the start of a given round, on top of the scenario schedule.'),
    objective: z
      .strictObject({
        description: z.string().min(1),
        when: z.union([z.string().min(1), z.boolean()]).optional().describe('A condition over the final state, in the scenario expression language.'),
        parts: z
          .array(
            z.strictObject({
              label: z.string().min(1).describe('What the part asks, in words: the debrief and the score show it instead of the condition.'),
              when: z.union([z.string().min(1), z.boolean()]).describe('The part as a condition over the final state, in the scenario expression language.'),
              points: z.number().min(0).default(0).describe('Points for this part on its own, whether or not the whole objective is met.'),
            }),
          )
          .min(1)
          .optional()
          .describe('The condition as labelled parts that must all hold: `when` in a form a debrief reads in words. Give `when` or `parts`, not both.'),
        outcomes: z.array(Id).min(1).optional().describe('Outcomes that meet the objective.'),
        checkpoint: Id.optional().describe('Phase whose checkpoint outcome counts for `outcomes` (default: the final outcome).'),
      })
      .describe('What the student must achieve: a condition (`when`, or its labelled `parts`), a set of outcomes, or both.'),
    briefing: z.strictObject({ basic: z.string().min(1), advanced: z.string().optional() }),
    debrief: z.array(z.string().min(1)).default([]).describe('Questions for the debrief.'),
    scoring: z
      .strictObject({
        objective: z.number().min(0).default(60).describe('Points for meeting the objective.'),
        outcomes: z.record(Id, z.number()).default({}).describe('Points by final outcome.'),
      })
      .default({ objective: 60, outcomes: {} }),
  })
  .describe('A Parley exercise (format 1).');

export type ExerciseConfig = z.output<typeof ExerciseSchema>;

export interface Exercise {
  /** The file name without extension. */
  readonly id: string;
  readonly file: string;
  readonly config: ExerciseConfig;
  /** The scenario, with the exercise's injects added to its schedule. */
  readonly def: ScenarioDefinition;
  readonly params: Readonly<Record<string, number>>;
  readonly objectiveWhen: Expr<'boolean'> | null;
  /**
   * The objective's condition in parts, so a debrief can say which part failed: its `parts`, or
   * its `when` split at the top-level `and`s (labelled in words made from the condition).
   */
  readonly objectiveParts: readonly ObjectivePart[];
  readonly objectiveOutcomes: ReadonlySet<number> | null;
  /** Index among the scenario's checkpoints whose outcome counts; -1 for the final outcome. */
  readonly checkpoint: number;
}

export interface ObjectivePart {
  /** The condition as written. */
  readonly source: string;
  /** The author's label, or the condition in words. */
  readonly label: string;
  readonly fn: Expr<'boolean'>;
  /** Points for this part on its own (0 unless the file gives them). */
  readonly points: number;
}

export interface ExerciseResult {
  readonly met: boolean;
  readonly score: number;
  readonly maxScore: number;
  /** One line per requirement, `met: …` or `not met: …` (the condition, or its label). */
  readonly details: readonly string[];
  /** Each requirement of the objective in words, and whether it held. */
  readonly requirements: readonly { readonly label: string; readonly met: boolean }[];
  /** Where the score came from: the objective, parts with points of their own, the outcome. */
  readonly breakdown: readonly ScoreLine[];
}

/** One source of points: what it rewards, the points earned, the most it could give. */
export interface ScoreLine {
  readonly label: string;
  readonly points: number;
  readonly maxPoints: number;
}

/** An exercise file by path, or a bundled one by id (`keep-the-channel`) or by its listed name (`exercises/keep-the-channel.yaml`). */
const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

export function resolveExercisePath(ref: string): string {
  if (isFile(ref)) return ref;
  const base = join(scenariosDir(), 'exercises');
  for (const candidate of [join(scenariosDir(), ref), join(base, ref), join(base, `${ref}.yaml`)]) if (isFile(candidate)) return candidate;
  return ref;
}

/** How a command names an exercise: its bundled id, or the path of an exercise file of one's own. */
export function exerciseRef(id: string, file: string): string {
  return bundledExerciseIds().includes(id) && resolve(resolveExercisePath(id)) === resolve(file) ? id : file;
}

/** The ids of the bundled exercises (`scenarios/exercises/*.yaml`). */
export function bundledExerciseIds(): string[] {
  const dir = join(scenariosDir(), 'exercises');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).map((f) => f.replace(/\.(ya?ml|json)$/, '')).sort() : [];
}

/** Does the document say it is an exercise (`exercise: 1`) rather than a scenario? */
export function isExerciseData(data: unknown): boolean {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && Object.prototype.hasOwnProperty.call(data, 'exercise');
}

/** The file `ref` names, read: an exercise (a path or a bundled exercise id) or a scenario. */
export function readScenarioOrExercise(ref: string): ParsedFile {
  const exercise = resolveExercisePath(ref);
  return readDataFile(isFile(exercise) ? exercise : resolveScenarioPath(ref));
}

/**
 * Every problem in a scenario or an exercise file (recognised by its `exercise:` field), without
 * throwing: the list is empty when the file is valid.
 */
export function validateFile(ref: string): Issue[] {
  let parsed: ParsedFile;
  try {
    parsed = readScenarioOrExercise(ref);
  } catch (error) {
    if (isParleyInputError(error)) return [...error.issues];
    throw error;
  }
  if (!isExerciseData(parsed.data)) return validateScenarioFile(parsed.file);
  try {
    loadExercise(parsed.file);
    return [];
  } catch (error) {
    if (isParleyInputError(error)) return [...error.issues];
    throw error;
  }
}

/** Loads and checks an exercise file and the scenario it uses. Throws `ScenarioError` with every problem. */
/**
 * What an exercise is, as one string: its settings as written (injects, objective, seeds …) and
 * its scenario's hash. Two loads of an unchanged file give the same; an edit changes it.
 */
export function exerciseFingerprint(exercise: Exercise): string {
  return createHash('sha256').update(JSON.stringify(exercise.config)).update('\u0000').update(exercise.def.hash).digest('hex');
}

/** The exercise's injects as `ROUND:EVENT` (global round from 0), for transcripts to mark them. */
export function injectKeys(exercise: Exercise): Set<string> {
  const keys = new Set<string>();
  for (const inject of exercise.config.injects) {
    const phase = exercise.def.phases.find((p) => p.id === inject.phase);
    if (phase) keys.add(`${phase.firstRound + inject.round - 1}:${inject.event}`);
  }
  return keys;
}

export function loadExercise(ref: string): Exercise {
  const file = resolveExercisePath(ref);
  if (!existsSync(file) && !/[\\/]|\.(ya?ml|json)$/.test(ref)) {
    const ids = bundledExerciseIds();
    throw new ScenarioError([{ file: ref, message: `no bundled exercise \`${ref}\`, and no such file`, hint: suggest(ref, ids, 'exercise') ?? `bundled exercises: ${ids.join(', ')}` }]);
  }
  const parsed = readDataFile(file);
  const result = ExerciseSchema.safeParse(parsed.data);
  if (!result.success) throw new ScenarioError(result.error.issues.flatMap((i) => zodIssue(parsed, i, ExerciseSchema)));
  const config = result.data;
  const issues: Issue[] = [];
  const report = (path: PathSegment[], message: string, hint?: string, key = false) => issues.push({ file, ...parsed.locate(path, { key }), path: path.join('.'), message, ...(hint ? { hint } : {}) });

  const scenarioRef = /[\\/]|\.(ya?ml|json)$/.test(config.scenario) && !isAbsolute(config.scenario) ? join(dirname(file), config.scenario) : config.scenario;
  let def: ScenarioDefinition;
  try {
    resolveScenarioPath(scenarioRef);
    def = loadScenario(scenarioRef);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    report(['scenario'], `the scenario \`${config.scenario}\` cannot be used: ${error.issues[0]?.message ?? 'invalid'}`, error.issues.length > 1 ? `run \`parley validate ${scenarioRef}\` for all ${error.issues.length} problems` : error.issues[0]?.hint);
    throw new ScenarioError(issues);
  }

  const actorIds = def.actors.map((a) => a.id);
  const playable = ['facilitator', ...playableActors(def).map((a) => a.id)];
  const actor = def.actors.find((a) => a.id === config.role);
  if (config.role !== 'facilitator' && !actor) report(['role'], `unknown role \`${config.role}\``, suggest(config.role, ['facilitator', ...actorIds], 'role'));
  else if (actor && unplayableReason(def, actor)) report(['role'], `\`${actor.id}\` (${actor.name}, ${actor.role}) cannot be played: ${unplayableReason(def, actor)}`, `roles of ${def.id}: ${playable.join(', ')}`);
  if (!def.policies.has(config.policy)) report(['policy'], `unknown policy \`${config.policy}\``, suggest(config.policy, def.policies.keys(), 'policy'));
  for (const [name, value] of Object.entries(config.params)) {
    const p = def.parameters.find((x) => x.id === name);
    if (!p) report(['params', name], `unknown parameter \`${name}\``, suggest(name, def.parameters.map((x) => x.id), 'parameter'), true);
    else if (value < p.min || value > p.max) report(['params', name], `${name} = ${value} is outside its range [${p.min}, ${p.max}]`);
  }

  const schedule = def.schedule.map((events) => [...events]);
  config.injects.forEach((inject, i) => {
    const event = def.events.findIndex((e) => e.id === inject.event);
    const phase = def.phases.find((p) => p.id === inject.phase);
    if (event < 0) report(['injects', i, 'event'], `unknown event \`${inject.event}\``, suggest(inject.event, def.events.map((e) => e.id), 'event'));
    if (!phase) report(['injects', i, 'phase'], `unknown phase \`${inject.phase}\``, suggest(inject.phase, def.phases.map((p) => p.id), 'phase'));
    else if (inject.round > phase.rounds) report(['injects', i, 'round'], `round ${inject.round} is past the end of phase \`${phase.id}\`, which has ${phase.rounds} round${phase.rounds === 1 ? '' : 's'}`, `a round from 1 to ${phase.rounds}`);
    else if (event >= 0 && !schedule[phase.firstRound + inject.round - 1]!.includes(event)) schedule[phase.firstRound + inject.round - 1]!.push(event);
  });

  const objective = config.objective;
  let objectiveWhen: Expr<'boolean'> | null = null;
  if (objective.when === undefined && objective.parts === undefined && objective.outcomes === undefined) report(['objective'], 'an objective needs `when` (or its `parts`), `outcomes`, or both');
  if (objective.when !== undefined && objective.parts !== undefined) report(['objective', 'parts'], 'give `when` or `parts`, not both', '`parts` is `when` split into labelled conditions that must all hold', true);
  const compileAt = (source: string | boolean, path: PathSegment[]): Expr<'boolean'> | null => {
    try {
      return compileExpr(source, def.scope, 'boolean');
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      for (const p of error.problems) issues.push({ file, ...parsed.locate(path, { offset: p.offset }), path: path.join('.'), message: p.message, ...(p.hint ? { hint: p.hint } : {}) });
      return null;
    }
  };
  let parts: ObjectivePart[] = [];
  if (objective.when !== undefined) {
    objectiveWhen = compileAt(objective.when, ['objective', 'when']);
    if (objectiveWhen && typeof objective.when === 'string') parts = objectiveParts(objective.when, def);
  } else if (objective.parts !== undefined) {
    const compiled = objective.parts.map((part, i) => compileAt(part.when, ['objective', 'parts', i, 'when']));
    parts = objective.parts.flatMap((part, i) => (compiled[i] ? [{ source: String(part.when), label: part.label.trim(), fn: compiled[i]!, points: part.points }] : []));
    if (parts.length === objective.parts.length) objectiveWhen = compileExpr(parts.map((p) => `(${p.source})`).join(' and '), def.scope, 'boolean');
  }
  const outcomeIds = def.outcomes.map((o) => o.id);
  const objectiveOutcomes = objective.outcomes ? new Set(objective.outcomes.map((o) => outcomeIds.indexOf(o))) : null;
  objective.outcomes?.forEach((o, i) => {
    if (!outcomeIds.includes(o)) report(['objective', 'outcomes', i], `unknown outcome \`${o}\``, suggest(o, outcomeIds, 'outcome'));
  });
  const checkpoints = def.phases.filter((p) => p.checkpoint).map((p) => p.id);
  let checkpoint = -1;
  if (objective.checkpoint !== undefined) {
    checkpoint = checkpoints.indexOf(objective.checkpoint);
    if (checkpoint < 0) report(['objective', 'checkpoint'], `\`${objective.checkpoint}\` is not a checkpoint phase`, `checkpoints of ${def.id}: ${checkpoints.join(', ')}`);
  }
  for (const o of Object.keys(config.scoring.outcomes)) {
    if (!outcomeIds.includes(o)) report(['scoring', 'outcomes', o], `unknown outcome \`${o}\``, suggest(o, outcomeIds, 'outcome'), true);
  }
  if (issues.length > 0) throw new ScenarioError(issues);

  return {
    id: scenarioIdOf(file), file, config, def: { ...def, schedule }, params: config.params,
    objectiveWhen, objectiveParts: parts, objectiveOutcomes, checkpoint,
  };
}

/**
 * A condition split at its top level (outside parentheses and quotes): `a and (b or c) and not
 * d` → `and` of `a`, `(b or c)`, `not d`; `a or b and c` → `or` of `a`, `b and c` (`and` binds
 * tighter). A condition with `? :` at the top, or with one part, comes back whole (`join` null).
 */
export function splitCondition(source: string): { readonly join: 'and' | 'or' | null; readonly parts: readonly string[] } {
  const cuts: Record<'and' | 'or', [number, number][]> = { and: [], or: [] };
  let depth = 0;
  let quote = '';
  // A word operator starts where the previous character cannot belong to a name.
  const wordAt = (i: number, word: string) => source.startsWith(word, i) && !/[\w.]/.test(source[i - 1] ?? ' ') && !/[\w]/.test(source[i + word.length] ?? ' ');
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0) {
      if (c === '?') return { join: null, parts: [source.trim()] };
      const or = source.startsWith('||', i) ? 2 : wordAt(i, 'or') ? 2 : 0;
      const and = source.startsWith('&&', i) ? 2 : wordAt(i, 'and') ? 3 : 0;
      if (or) cuts.or.push([i, or]);
      if (and) cuts.and.push([i, and]);
      if (or || and) i += (or || and) - 1;
    }
  }
  const join = cuts.or.length ? 'or' : cuts.and.length ? 'and' : null;
  if (!join) return { join: null, parts: [source.trim()] };
  const parts: string[] = [];
  let from = 0;
  for (const [at, width] of cuts[join]) {
    parts.push(source.slice(from, at));
    from = at + width;
  }
  parts.push(source.slice(from));
  const trimmed = parts.map((p) => p.trim()).filter((p) => p.length > 0);
  return trimmed.length > 1 ? { join, parts: trimmed } : { join: null, parts: [source.trim()] };
}

/**
 * `a and (b or c) and not d` → `a`, `(b or c)`, `not d`: the conjuncts at the top level, each
 * compiled on its own and put in words. One part is the whole condition.
 */
export function objectiveParts(source: string, def: ScenarioDefinition): ObjectivePart[] {
  const part = (p: string): ObjectivePart => ({ source: p, label: conditionInWords(p, def), fn: compileExpr(p, def.scope, 'boolean'), points: 0 });
  const split = splitCondition(source);
  if (split.join !== 'and') return [part(source.trim())];
  try {
    return split.parts.map(part);
  } catch {
    return [part(source.trim())];
  }
}

/**
 * A condition in the words of the scenario, for people who do not read its code: levers,
 * branches, tensions, derived values, outcomes and chart states by their labels, comparisons
 * as symbols. `pulled(kingpin_list.joint_cell) and HOST <= 40` → `pulled “Kingpin list and
 * joint cell: Joint intelligence cell” and Personal hostility (HOST) ≤ 40`. Whatever it does not
 * know stays as written.
 */
export function conditionInWords(source: string, def: ScenarioDefinition): string {
  const lever = (id: string) => def.leverById.get(id);
  const branchOf = (l: string, b: string) => lever(l)?.branches.find((x) => x.id === b)?.label ?? b;
  const ref = (l: string, b?: string) => (lever(l) ? `“${lever(l)!.label}${b ? `: ${branchOf(l, b)}` : ''}”` : `${l}${b ? `.${b}` : ''}`);
  const event = (id: string) => def.events.find((e) => e.id === id)?.label;
  const stateLabel = (chart: { states: readonly string[]; labels: readonly string[] } | null | undefined, state: string) => {
    const i = chart?.states.indexOf(state) ?? -1;
    return i >= 0 ? chart!.labels[i]! : state;
  };
  let text = source.trim().replace(/\s+/g, ' ');
  text = text.replace(/\b(pulled|fired)\(\s*(\w+)\s*(?:[.,]\s*(\w+)\s*)?\)/g, (m, fn: string, id: string, b?: string) => {
    if (fn === 'pulled' && lever(id)) return `pulled ${ref(id, b)}`;
    const e = def.events.find((x) => x.id === id);
    if (fn === 'fired' && e) return `“${e.label}${b ? `: ${e.branches.find((x) => x.id === b)?.label ?? b}` : ''}” happened`;
    return m;
  });
  text = text.replace(/\b(since|count)\(\s*(\w+)\s*(?:[.,]\s*(\w+)\s*)?\)/g, (m, fn: string, id: string, b?: string) => {
    const what = lever(id) ? ref(id, b) : event(id) ? `“${event(id)}”` : null;
    if (!what) return m;
    return fn === 'since' ? `rounds since ${what}` : `times ${what} ${lever(id) ? 'was pulled' : 'happened'}`;
  });
  text = text.replace(/\brelationship\s*(==|!=)\s*'(\w+)'/g, (_m, op: string, st: string) => `relationship ${op === '==' ? 'is' : 'is not'} ${stateLabel(def.relationship, st)}`);
  text = text.replace(/\bstance\(\s*(\w+)\s*\)\s*(==|!=)\s*'(\w+)'/g, (m, a: string, op: string, st: string) => {
    const actor = def.actors.find((x) => x.id === a);
    return actor ? `${actor.name} ${op === '==' ? 'is' : 'is not'} ${stateLabel(actor.stance, st)}` : m;
  });
  const names = new Map<string, string>([...def.tensions.map((t) => [t.id, `${t.label} (${t.id})`] as const), ...def.derived.map((d) => [d.id, d.label] as const)]);
  // Bare names of tensions and derived values, outside the quotes the steps above wrote.
  text = text.split(/(“[^”]*”)/).map((chunk, i) => (i % 2 ? chunk : chunk.replace(/\b[A-Za-z_]\w*\b/g, (w) => names.get(w) ?? w))).join('');
  return text.replace(/>=/g, '≥').replace(/<=/g, '≤').replace(/!=/g, '≠').replace(/==/g, '=').replace(/&&/g, 'and').replace(/\|\|/g, 'or').replace(/!(?=[^=])/g, 'not ');
}

/** The briefing as paragraphs: the basic level, then the advanced one. */
export function briefingLines(exercise: Exercise): string[] {
  const { basic, advanced } = exercise.config.briefing;
  return [basic.trim(), ...(advanced ? ['', `Going further: ${advanced.trim()}`] : [])];
}

/** The objective's outcome requirement in words: `the final outcome is Deal or Muddle`. */
function outcomeRequirement(exercise: Exercise): string {
  const { def, config } = exercise;
  const phase = exercise.checkpoint < 0 ? null : def.phases.find((p) => p.id === config.objective.checkpoint)?.label;
  const wanted = [...(exercise.objectiveOutcomes ?? [])].map((i) => def.outcomes[i]?.label ?? '?');
  return `${phase ? `the outcome at the end of ${phase}` : 'the final outcome'} is ${wanted.length > 1 ? `${wanted.slice(0, -1).join(', ')} or ${wanted.at(-1)}` : wanted[0]}`;
}

/** What the objective asks, requirement by requirement, in words (labels where the file gives them). */
export function objectiveRequirements(exercise: Exercise): string[] {
  const parts = exercise.objectiveParts.length ? exercise.objectiveParts.map((p) => p.label) : exercise.objectiveWhen ? [String(exercise.config.objective.when)] : [];
  return [...parts, ...(exercise.objectiveOutcomes ? [outcomeRequirement(exercise)] : [])];
}

/** Whether the final state meets the objective, and the score: how many points came from what. */
export function judgeExercise(exercise: Exercise, state: { readonly ended: boolean; readonly outcome: number; readonly judged: readonly number[] } & EvalState): ExerciseResult {
  const { def, config } = exercise;
  const details: string[] = [];
  const requirements: { label: string; met: boolean }[] = [];
  const breakdown: ScoreLine[] = [];
  let met = state.ended;
  if (!state.ended) {
    details.push('the run has not ended');
    requirements.push({ label: 'the run has ended', met: false });
  }
  let partPoints = 0;
  if (exercise.objectiveWhen) {
    const lane = laneOf(state);
    const ok = exercise.objectiveWhen.fn(lane, 0);
    const parts = exercise.objectiveParts.length > 0 ? exercise.objectiveParts : [{ source: String(config.objective.when), label: String(config.objective.when), fn: exercise.objectiveWhen, points: 0 }];
    const labelled = config.objective.parts !== undefined;
    for (const part of parts) {
      const held = part.fn.fn(lane, 0);
      details.push(`${held ? 'met' : 'not met'}: ${labelled ? part.label : part.source}`);
      requirements.push({ label: part.label, met: held });
      if (part.points > 0) {
        const earned = held && state.ended ? part.points : 0;
        partPoints += earned;
        breakdown.push({ label: `part: ${part.label}`, points: earned, maxPoints: part.points });
      }
    }
    met &&= ok;
  }
  const label = (i: number) => def.outcomes[i]?.label ?? 'none yet';
  if (exercise.objectiveOutcomes) {
    const outcome = exercise.checkpoint < 0 ? state.outcome : (state.judged[exercise.checkpoint] ?? -1);
    const ok = exercise.objectiveOutcomes.has(outcome);
    const where = exercise.checkpoint < 0 ? 'final outcome' : `outcome at the end of ${config.objective.checkpoint}`;
    details.push(`${ok ? 'met' : 'not met'}: ${where} ${def.outcomes[outcome]?.id ?? 'none yet'} (wanted ${config.objective.outcomes!.join(' or ')})`);
    requirements.push({ label: `${outcomeRequirement(exercise)} (it was ${label(outcome)})`, met: ok });
    met &&= ok;
  }
  const outcomeId = state.outcome >= 0 ? def.outcomes[state.outcome]!.id : null;
  const outcomePoints = outcomeId !== null && Object.hasOwn(config.scoring.outcomes, outcomeId) ? config.scoring.outcomes[outcomeId]! : 0;
  const bestOutcome = Math.max(0, ...Object.values(config.scoring.outcomes));
  breakdown.unshift({ label: 'the objective met (every requirement)', points: met ? config.scoring.objective : 0, maxPoints: config.scoring.objective });
  if (bestOutcome > 0) {
    const table = Object.entries(config.scoring.outcomes).map(([id, n]) => `${def.outcomes.find((o) => o.id === id)?.label ?? id} ${n}`).join(', ');
    breakdown.push({ label: `the final outcome, ${state.outcome >= 0 ? label(state.outcome) : 'none yet'} (${table})`, points: outcomePoints, maxPoints: bestOutcome });
  }
  const maxScore = breakdown.reduce((n, line) => n + line.maxPoints, 0);
  return { met, score: (met ? config.scoring.objective : 0) + partPoints + outcomePoints, maxScore, details, requirements, breakdown };
}

/** The JSON Schema of the exercise format. */
export function exerciseJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ExerciseSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
