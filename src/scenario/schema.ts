/**
 * The scenario format, version 1.1: the single source of truth. TypeScript types are inferred
 * from these schemas, the JSON Schema shipped in `schema/` is generated from them
 * (`npm run build` writes it), and their descriptions document every field.
 *
 * Version 1.1 adds, and only a file that says `format: 1.1` may use: effects written as
 * expressions, `actor` in a lever's expressions, named `conditions`, `days_since`, `outcome_at`,
 * a coupling's `per`, and a policy's `extends`. Every file of version 1 loads as it did.
 *
 * This is the *validated config*: what the author wrote, with types checked. Names are resolved
 * and defaults filled by `normalize.ts`; nothing after normalisation looks at these types.
 */
import * as z from 'zod';
import { isValidDate } from './dates.ts';

/** Longest id: ids are typed in expressions and compared for "did you mean". */
export const MAX_ID_LENGTH = 64;

/** Names usable in expressions: tensions, levers, branches, actors, states, parameters … */
const Id = z
  .string()
  .max(MAX_ID_LENGTH, { error: `an id is at most ${MAX_ID_LENGTH} characters long` })
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, {
    error: 'an id must start with a letter and contain only letters, digits and `_`',
  })
  .describe('An identifier: a letter, then letters, digits or `_`.');

/** An expression over named values, or a plain number. */
const Expr = z
  .union([z.number(), z.boolean(), z.string().min(1)])
  .describe(
    'A number, or an expression over tensions, derived values, named conditions, `params.NAME`, `round`, `phase`, `relationship`, `elapsed_days`, `round_weeks`, `stance(actor)`, `pulled(lever[, branch])`, `count(id[, branch])`, `since(id[, branch])`, `days_since(id[, branch])`, `fired(event[, branch])`, `active(mediator)`, `outcome_at(phase)`, `actor` (in a lever) and the functions min, max, clamp, abs, sqrt, exp, log, pow, logistic, weekly, if.',
  );

const Cite = z.array(Id).describe('Ids of entries in `sources` that support this value.');
const Judgement = z
  .boolean()
  .describe('True when the value is the author\'s judgement call rather than a sourced fact.');

const Doc = {
  cite: Cite.optional(),
  judgement: Judgement.optional(),
};

const Effects = z
  .record(
    Id,
    z.union([
      z.number().min(-100).max(100),
      z.string().min(1).describe('An expression (format 1.1), evaluated when the effect applies.'),
    ]),
  )
  .describe('Changes to tensions, e.g. `{HOST: -5, NARC: +3}`; results are clamped to 0..100. Format 1.1: a change may be an expression, e.g. `{ECON: "20 + 10 * params.trade_exposure"}`, evaluated when it applies (every change of one `effects` map on the same state).');

const Cameo = z
  .string()
  .regex(/^\d{2,4}$/, { error: 'a CAMEO code is 2 to 4 digits, written as a string with its leading zero (e.g. "051")' })
  .describe('CAMEO event code (a string, keep leading zeros). Its Goldstein weight comes from `data/cameo-goldstein.tsv`.');

export const SourceSchema = z
  .strictObject({
    id: Id,
    title: z.string().min(1),
    url: z.string().optional(),
    date: z.string().optional(),
    note: z.string().optional(),
  })
  .describe('A source that facts in the scenario cite by id.');

export const ParameterSchema = z
  .strictObject({
    default: z.number().describe('Value used unless a run sets another.'),
    range: z.tuple([z.number(), z.number()]).describe('[min, max]: the values researchers may sweep.'),
    kind: z
      .enum(['switch', 'integer', 'real'])
      .optional()
      .describe('What values it takes (default `real`): `switch` is 0 or 1 (range [0, 1]), `integer` whole numbers in the range. Latin hypercube samples and sweeps respect it.'),
    label: z.string().optional(),
    doc: z.string().optional(),
    ...Doc,
  })
  .describe('A named uncertainty that expressions read as `params.NAME`.');

export const TensionSchema = z
  .strictObject({
    initial: z
      .union([z.number().min(0).max(100), z.string().min(1)])
      .describe('Value at the start, 0..100 (higher is worse); or an expression over `params.NAME`, e.g. `55 + 25 * params.january_peak`, clamped to 0..100.'),
    label: z.string().min(1),
    doc: z.string().optional(),
    decay: z
      .strictObject({
        toward: z.number().min(0).max(100).describe('Baseline the tension relaxes toward.'),
        per_week: z.number().min(0).max(1).describe('Fraction of the distance to the baseline closed per week of game time.'),
      })
      .optional()
      .describe('Relaxation toward a baseline between shocks, applied at the end of every round in proportion to its length.'),
    ...Doc,
  })
  .describe('A 0..100 dimension of the relationship; expressions read it by its id.');

export const DerivedSchema = z
  .strictObject({
    value: Expr.describe('Expression; may use tensions and derived values declared before this one.'),
    label: z.string().min(1),
    doc: z.string().optional(),
    ...Doc,
  })
  .describe('A value computed from tensions (e.g. a crisis index); expressions read it by its id.');

const Transition = z
  .strictObject({
    from: z.union([Id, z.array(Id).min(1), z.literal('*')]).describe('State(s) the transition leaves; `*` for any other state.'),
    to: Id,
    when: Expr.describe('Guard: the transition is taken at the end of a round when this holds.'),
    why: z.string().optional(),
    ...Doc,
  })
  .describe('A guarded transition. At the end of each round the first transition (in file order) whose `from` matches and whose guard holds is taken.');

const StateInfo = z.strictObject({
  label: z.string().optional(),
  description: z.string().optional(),
});

export const StatechartSchema = z
  .strictObject({
    initial: Id,
    states: z.record(Id, StateInfo.nullable()).describe('The states, each with an optional label and description.'),
    transitions: z.array(Transition).default([]),
    ...Doc,
  })
  .describe('A statechart whose guarded transitions are evaluated at the end of every round.');

export const ActorSchema = z
  .strictObject({
    name: z.string().min(1),
    role: z.enum(['principal', 'mediator', 'adviser', 'spoiler', 'institution', 'observer']),
    side: z.string().optional(),
    description: z.string().optional(),
    goals: z.array(z.string()).optional(),
    constraints: z.array(z.string()).optional(),
    red_lines: z.array(z.string()).optional(),
    playable: z.boolean().optional().describe('Whether a student may take this role in play (default: principals and mediators).'),
    stance: StatechartSchema.optional().describe("The actor's stance statechart; expressions read it as `stance(actor)`."),
    ...Doc,
  })
  .describe('Someone who acts in the scenario or whose stance matters.');

export const PhaseSchema = z
  .strictObject({
    id: Id,
    label: z.string().min(1),
    description: z.string().optional(),
    rounds: z.number().int().min(1).max(1000),
    round_days: z.number().min(0).max(366).default(0).describe('Game-time length of a round in days (0 for rounds within one day).'),
    turn_order: z.array(Id).min(1).describe('Actors who decide, in order, each round.'),
    checkpoint: z.boolean().default(false).describe('Judge the outcome rules at the end of this phase (the last phase is always judged).'),
    ...Doc,
  })
  .describe('A stretch of the timeline made of rounds.');

const BranchSchema = z
  .strictObject({
    label: z.string().optional(),
    description: z.string().optional(),
    p: Expr.describe('Base probability (a number or an expression), before modifiers; the branches are then clamped to 0..1 and renormalised.'),
    effects: Effects.optional(),
    cameo: Cameo.optional(),
    salience: z.number().min(0).max(1).optional().describe('Weight of this event in the Goldstein score (default 1).'),
    tags: z.array(Id).optional().describe('Tags that mediators and expressions can target, e.g. `success`.'),
    ...Doc,
  })
  .describe('One discrete outcome of a lever or event.');

const ModifierSchema = z
  .strictObject({
    branch: Id,
    add: Expr.optional(),
    mul: Expr.optional(),
    when: Expr.optional(),
    why: z.string().optional(),
    ...Doc,
  })
  .describe('Shifts a branch probability while `when` holds: p ← p × mul + add.');

export const LeverSchema = z
  .strictObject({
    label: z.string().min(1),
    description: z.string().optional(),
    actors: z.array(Id).min(1).describe('Actors who may pull the lever.'),
    phases: z.array(Id).optional().describe('Phases in which it may be pulled (default: all).'),
    when: Expr.optional().describe('Precondition (default: always).'),
    unavailable: z
      .string()
      .min(1)
      .optional()
      .describe("What players are told while `when` does not hold, in words (e.g. `only in the meeting, or within two weeks of an ICE incident`); without it they see the condition itself."),
    max_uses: z.number().int().min(1).optional().describe('How many times it may be pulled in one run.'),
    tags: z.array(Id).optional().describe('Tags for mediators and policies, e.g. `de_escalation`, `cooperative`.'),
    effects: Effects.optional().describe('Effects applied whichever branch is drawn.'),
    branches: z.record(Id, BranchSchema),
    modifiers: z.array(ModifierSchema).optional(),
    ...Doc,
  })
  .describe('A move an actor can make, with discrete probabilistic branches.');

const Targets = {
  levers: z.array(Id).optional().describe('Levers affected (default: all, or those with `lever_tag`).'),
  lever_tag: Id.optional().describe('Only levers carrying this tag.'),
};

export const MediatorSchema = z
  .strictObject({
    actor: Id,
    label: z.string().min(1),
    description: z.string().optional(),
    active_when: Expr.describe('The channel is active while this holds.'),
    modifiers: z
      .array(
        z.strictObject({
          ...Targets,
          branch_tag: Id.describe('Branches affected: those carrying this tag.'),
          add: Expr.optional(),
          mul: Expr.optional(),
          why: z.string().optional(),
        }),
      )
      .default([]),
    damping: z
      .array(
        z.strictObject({
          ...Targets,
          tension: Id,
          factor: z.number().min(0).max(1).describe('Increases of `tension` from the affected levers are multiplied by this.'),
          why: z.string().optional(),
        }),
      )
      .default([]),
    ...Doc,
  })
  .describe("An actor's channel that, while active, shifts branch probabilities or damps effects.");

export const EventSchema = z
  .strictObject({
    label: z.string().min(1),
    description: z.string().optional(),
    hazard: Expr.optional().describe('Probability that it fires in a round (evaluated at the end of the round); omit for scheduled-only events.'),
    phases: z.array(Id).optional().describe('Phases in which the hazard applies (default: all).'),
    effects: Effects.optional(),
    cameo: Cameo.optional(),
    salience: z.number().min(0).max(1).optional(),
    branches: z.record(Id, BranchSchema).optional().describe('Optional sub-outcomes drawn when the event fires.'),
    ...Doc,
  })
  .describe('An exogenous inject.');

export const ScheduleSchema = z
  .strictObject({
    event: Id,
    phase: Id,
    round: z.number().int().min(1),
    note: z.string().optional(),
  })
  .describe('Fires an event at the start of a given round.');

export const CouplingSchema = z
  .strictObject({
    id: Id,
    label: z.string().optional(),
    when: Expr,
    effects: Effects.optional(),
    per: z
      .enum(['round', 'day', 'week'])
      .optional()
      .describe('Format 1.1: `effects` are per round (the default), or per `day` or `week` of game time, scaled by the length of the round (nothing in a round of 0 days).'),
    cap: z.record(Id, z.number().min(0).max(100)).optional().describe('Upper limits applied while `when` holds.'),
    floor: z.record(Id, z.number().min(0).max(100)).optional().describe('Lower limits applied while `when` holds.'),
    ...Doc,
  })
  .describe('A rule applied at the end of every round, in file order.');

const ActorPolicySchema = z
  .strictObject({
    weights: z.record(Id, Expr).default({}).describe('Weight of each lever (and of `pass`); negative weights count as 0.'),
    otherwise: Expr.optional().describe('Weight of available levers not named in `weights` (default 1, or the weight in the policy it `extends`).'),
  })
  .describe("One actor's weights under the policy.");

export const PolicySchema = z
  .object({
    extends: Id.optional().describe("Format 1.1: another policy whose weights this one starts from; an actor's `weights` here replace those levers' weights there, and its `otherwise` replaces the other's."),
  })
  .catchall(ActorPolicySchema)
  .describe('How each actor chooses when no person decides for it, by actor id. Actors not listed choose uniformly.');

export const OutcomeRuleSchema = z
  .strictObject({
    id: Id,
    label: z.string().min(1),
    definition: z.string().optional(),
    when: Expr.optional().describe('Omit on the last rule, which catches every other state.'),
    ...Doc,
  })
  .describe('The first rule whose condition holds names the outcome.');

export const ScenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    format: z.literal([1, 1.1]).default(1).describe('Version of the scenario format: 1, or 1.1 to use what 1.1 adds (effects as expressions, `actor`, `conditions`, `days_since`, `outcome_at`, a coupling\'s `per`, a policy\'s `extends`).'),
    title: z.string().min(1),
    summary: z.string().min(1),
    description: z.string().optional(),
    start: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date as YYYY-MM-DD', abort: true })
      .refine(isValidDate, { error: (issue) => `\`${String(issue.input)}\` is not a calendar date` })
      .describe('Date of the first round.'),
    sources: z.array(SourceSchema).default([]),
    parameters: z.record(Id, ParameterSchema).default({}),
    tensions: z.record(Id, TensionSchema),
    derived: z.record(Id, DerivedSchema).default({}),
    conditions: z
      .record(Id, z.union([z.boolean(), z.string().min(1)]).describe('A condition (true/false).'))
      .optional()
      .describe('Format 1.1: named conditions, e.g. `talks_broke_down: "pulled(walk_out) or fired(strike)"`. Any expression may use one by its name; a condition may read other conditions, but not itself.'),
    actors: z.record(Id, ActorSchema),
    relationship: StatechartSchema,
    phases: z.array(PhaseSchema).min(1),
    levers: z.record(Id, LeverSchema),
    mediators: z.record(Id, MediatorSchema).default({}),
    events: z.record(Id, EventSchema).default({}),
    schedule: z.array(ScheduleSchema).default([]),
    couplings: z.array(CouplingSchema).default([]),
    policies: z.record(Id, PolicySchema).default({}),
    outcomes: z.array(OutcomeRuleSchema).min(1),
  })
  .describe('A Parley scenario (format 1.1).');

export type ScenarioConfig = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type LeverConfig = z.output<typeof LeverSchema>;
export type BranchConfig = z.output<typeof BranchSchema>;
export type EventConfig = z.output<typeof EventSchema>;
export type StatechartConfig = z.output<typeof StatechartSchema>;
export type ExprSource = z.output<typeof Expr>;

/** The JSON Schema of the scenario format, for editors (`yaml-language-server`). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
