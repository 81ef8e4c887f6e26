/**
 * Exercises: a scenario set up for a class — the student's role, an objective, the seeds every
 * section plays, scheduled injects, briefings at two levels, debrief questions and a score.
 * Exercise files are YAML (or JSON) data like scenarios, validated with the same messages.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { scenariosDir } from '../paths.ts';
import * as z from 'zod';
import type { ScenarioDefinition } from './definition.ts';
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
        outcomes: z.array(Id).min(1).optional().describe('Outcomes that meet the objective.'),
        checkpoint: Id.optional().describe('Phase whose checkpoint outcome counts for `outcomes` (default: the final outcome).'),
      })
      .describe('What the student must achieve: a condition, a set of outcomes, or both.'),
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
  /** The objective's `when` split at its top-level `and`s, so a debrief can say which part failed. */
  readonly objectiveParts: readonly { readonly source: string; readonly fn: Expr<'boolean'> }[];
  readonly objectiveOutcomes: ReadonlySet<number> | null;
  /** Index among the scenario's checkpoints whose outcome counts; -1 for the final outcome. */
  readonly checkpoint: number;
}

export interface ExerciseResult {
  readonly met: boolean;
  readonly score: number;
  readonly maxScore: number;
  readonly details: readonly string[];
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
  if (config.role !== 'facilitator' && !actorIds.includes(config.role)) report(['role'], `unknown role \`${config.role}\``, suggest(config.role, ['facilitator', ...actorIds], 'role'));
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
  if (objective.when === undefined && objective.outcomes === undefined) report(['objective'], 'an objective needs `when`, `outcomes`, or both');
  if (objective.when !== undefined) {
    try {
      objectiveWhen = compileExpr(objective.when, def.scope, 'boolean');
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      for (const p of error.problems) issues.push({ file, ...parsed.locate(['objective', 'when'], { offset: p.offset }), path: 'objective.when', message: p.message, ...(p.hint ? { hint: p.hint } : {}) });
    }
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
    objectiveWhen, objectiveParts: objectiveWhen && typeof objective.when === 'string' ? objectiveParts(objective.when, def) : [], objectiveOutcomes, checkpoint,
  };
}

/**
 * `a and (b or c) and not d` → `a`, `(b or c)`, `not d`: the conjuncts at the top level
 * (outside parentheses and quotes), each compiled on its own. One part is the whole condition.
 */
export function objectiveParts(source: string, def: ScenarioDefinition): { source: string; fn: Expr<'boolean'> }[] {
  const whole = () => [{ source: source.trim(), fn: compileExpr(source, def.scope, 'boolean') }];
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let from = 0;
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
      // `or` and `? :` bind looser than `and`: with one at the top level, this is no conjunction.
      if (c === '?' || source.startsWith('||', i) || wordAt(i, 'or')) return whole();
      const width = source.startsWith('&&', i) ? 2 : wordAt(i, 'and') ? 3 : 0;
      if (width) {
        parts.push(source.slice(from, i));
        i += width - 1;
        from = i + 1;
      }
    }
  }
  parts.push(source.slice(from));
  const trimmed = parts.map((p) => p.trim()).filter((p) => p.length > 0);
  try {
    return trimmed.map((p) => ({ source: p, fn: compileExpr(p, def.scope, 'boolean') }));
  } catch {
    return whole();
  }
}

/** The briefing as paragraphs: the basic level, then the advanced one. */
export function briefingLines(exercise: Exercise): string[] {
  const { basic, advanced } = exercise.config.briefing;
  return [basic.trim(), ...(advanced ? ['', `Going further: ${advanced.trim()}`] : [])];
}

/** Whether the final state meets the objective, and the score. */
export function judgeExercise(exercise: Exercise, state: { readonly ended: boolean; readonly outcome: number; readonly judged: readonly number[] } & EvalState): ExerciseResult {
  const { def, config } = exercise;
  const details: string[] = [];
  let met = state.ended;
  if (!state.ended) details.push('the run has not ended');
  if (exercise.objectiveWhen) {
    const lane = laneOf(state);
    const ok = exercise.objectiveWhen.fn(lane, 0);
    const parts = exercise.objectiveParts.length > 0 ? exercise.objectiveParts : [{ source: String(config.objective.when), fn: exercise.objectiveWhen }];
    for (const part of parts) details.push(`${part.fn.fn(lane, 0) ? 'met' : 'not met'}: ${part.source}`);
    met &&= ok;
  }
  if (exercise.objectiveOutcomes) {
    const outcome = exercise.checkpoint < 0 ? state.outcome : (state.judged[exercise.checkpoint] ?? -1);
    const ok = exercise.objectiveOutcomes.has(outcome);
    const where = exercise.checkpoint < 0 ? 'final outcome' : `outcome at the end of ${config.objective.checkpoint}`;
    details.push(`${ok ? 'met' : 'not met'}: ${where} ${def.outcomes[outcome]?.id ?? 'none yet'} (wanted ${config.objective.outcomes!.join(' or ')})`);
    met &&= ok;
  }
  const outcomeId = state.outcome >= 0 ? def.outcomes[state.outcome]!.id : null;
  const outcomePoints = outcomeId !== null && Object.hasOwn(config.scoring.outcomes, outcomeId) ? config.scoring.outcomes[outcomeId]! : 0;
  const maxScore = config.scoring.objective + Math.max(0, ...Object.values(config.scoring.outcomes));
  return { met, score: (met ? config.scoring.objective : 0) + outcomePoints, maxScore, details };
}

/** The JSON Schema of the exercise format. */
export function exerciseJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ExerciseSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
