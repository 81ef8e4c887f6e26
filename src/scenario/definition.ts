/**
 * The normalised scenario definition: names resolved to indices, expressions compiled,
 * defaults filled. This is what both executors run; nothing here is checked again later.
 */
import type { Expr, Scope } from './expr.ts';
import type { ScenarioConfig } from './schema.ts';

/** A change to a tension (or, in a cap or a floor, a limit). */
export interface Effect {
  readonly tension: number;
  /** The change, when it is a number (or an expression that folds to one). */
  readonly delta: number;
  /** The change as an expression (format 1.1), evaluated when it applies; null when `delta` says it. */
  readonly expr: Expr<'number'> | null;
  /** The expression as written (for messages), or ''. */
  readonly source: string;
}

export interface Cited {
  readonly cite: readonly string[];
  readonly judgement: boolean;
}

export interface BranchDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly label: string;
  readonly description: string;
  readonly p: Expr<'number'>;
  /** The expression as written, for explanations. */
  readonly pSource: string;
  readonly effects: readonly Effect[];
  readonly cameo: string | null;
  /** Goldstein weight of the CAMEO code times salience (0 without a code). */
  readonly goldstein: number;
  readonly tags: readonly string[];
  readonly historyKey: number;
}

export interface ModifierDef {
  readonly branch: number;
  readonly add: Expr<'number'> | null;
  readonly mul: Expr<'number'> | null;
  readonly when: Expr<'boolean'> | null;
  /** Shown in explanations: the author's `why`, or the condition. */
  readonly why: string;
}

export interface LeverDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly label: string;
  readonly description: string;
  /** By actor index: may that actor pull it? */
  readonly actors: readonly boolean[];
  /** By phase index: may it be pulled then? */
  readonly phases: readonly boolean[];
  readonly when: Expr<'boolean'> | null;
  readonly whenSource: string;
  /** The author's words for why `when` does not hold, or '' to show the condition. */
  readonly unavailable: string;
  readonly maxUses: number;
  readonly tags: readonly string[];
  readonly effects: readonly Effect[];
  readonly branches: readonly BranchDef[];
  readonly modifiers: readonly ModifierDef[];
  readonly historyKey: number;
  /** Does one of its effects, or of its branches', say its change with an expression? */
  readonly exprEffects: boolean;
}

export interface MediatorModifierDef {
  /** By lever index. */
  readonly levers: readonly boolean[];
  readonly branchTag: string;
  readonly add: Expr<'number'> | null;
  readonly mul: Expr<'number'> | null;
  readonly why: string;
}

export interface DampingDef {
  readonly levers: readonly boolean[];
  readonly tension: number;
  readonly factor: number;
  readonly why: string;
}

export interface MediatorDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly actor: number;
  readonly label: string;
  readonly description: string;
  readonly active: Expr<'boolean'>;
  readonly modifiers: readonly MediatorModifierDef[];
  readonly damping: readonly DampingDef[];
}

export interface EventDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly label: string;
  readonly description: string;
  readonly hazard: Expr<'number'> | null;
  readonly hazardSource: string;
  readonly phases: readonly boolean[];
  readonly effects: readonly Effect[];
  readonly cameo: string | null;
  readonly goldstein: number;
  /** Empty when the event has no sub-outcomes. */
  readonly branches: readonly BranchDef[];
  readonly historyKey: number;
}

export interface CouplingDef extends Cited {
  readonly id: string;
  readonly label: string;
  readonly when: Expr<'boolean'>;
  readonly effects: readonly Effect[];
  /** Its effects per round, day or week of game time. */
  readonly per: 'round' | 'day' | 'week';
  /** By global round: what its effects are multiplied by (the round's days or weeks); null for effects per round. */
  readonly scale: readonly number[] | null;
  /** Does one of its effects say its change with an expression? */
  readonly exprEffects: boolean;
  readonly cap: readonly Effect[];
  readonly floor: readonly Effect[];
}

export interface TransitionDef {
  readonly from: number;
  readonly to: number;
  readonly when: Expr<'boolean'>;
  readonly whenSource: string;
  readonly why: string;
}

export interface ChartDef {
  readonly states: readonly string[];
  readonly labels: readonly string[];
  readonly descriptions: readonly string[];
  readonly initial: number;
  readonly transitions: readonly TransitionDef[];
  /** Transitions leaving each state, in file order. */
  readonly byState: readonly (readonly TransitionDef[])[];
}

export interface ActorDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly name: string;
  readonly role: string;
  readonly side: string;
  readonly description: string;
  readonly goals: readonly string[];
  readonly constraints: readonly string[];
  readonly redLines: readonly string[];
  readonly playable: boolean;
  readonly stance: ChartDef | null;
}

export interface PhaseDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly label: string;
  readonly description: string;
  readonly rounds: number;
  readonly roundDays: number;
  readonly turnOrder: readonly number[];
  /** Outcome rules are judged at its end (always true for the last phase). */
  readonly checkpoint: boolean;
  /** Global index of its first round. */
  readonly firstRound: number;
}

export interface ActorPolicyDef {
  /** By lever index: the weight expression, or null to use `otherwise`. */
  readonly weights: readonly (Expr<'number'> | null)[];
  readonly otherwise: Expr<'number'>;
  /** `otherwise` as written (here or in the policy it extends), or '' for the default 1. */
  readonly otherwiseSource: string;
  readonly pass: Expr<'number'> | null;
}

export interface PolicyDef {
  readonly name: string;
  /** The policy it starts from (`extends`), or null. */
  readonly extends: string | null;
  /** By actor index; null where the actor chooses uniformly among available levers. */
  readonly actors: readonly (ActorPolicyDef | null)[];
}

export interface OutcomeDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly label: string;
  readonly definition: string;
  readonly when: Expr<'boolean'> | null;
}

export interface RoundDef {
  readonly phase: number;
  /** 1-based round within its phase. */
  readonly round: number;
  /** Game days elapsed at the start of the round. */
  readonly days: number;
  /** Length of the round in weeks. */
  readonly weeks: number;
  /** Date of the round, YYYY-MM-DD. */
  readonly date: string;
  /** Time of day at its start, HH:MM, in a phase of rounds shorter than a day (or that start part-way through one); '' otherwise. */
  readonly clock: string;
}

export interface ParameterDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly label: string;
  readonly doc: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** What values it takes: `switch` 0 or 1, `integer` whole numbers, `real` any in the range. */
  readonly kind: 'switch' | 'integer' | 'real';
  /** Whether the file declares the kind (a switch-like parameter without one is warned about when sampled or swept). */
  readonly declaredKind: boolean;
}

export interface TensionDef extends Cited {
  readonly id: string;
  readonly index: number;
  readonly label: string;
  readonly doc: string;
  /** Starting value: reads only parameters (a constant unless the author wrote an expression). */
  readonly initial: Expr<'number'>;
  readonly initialSource: string;
  readonly decay: { readonly toward: number; readonly perWeek: number } | null;
}

export interface DerivedDef {
  readonly id: string;
  readonly label: string;
  readonly value: Expr<'number'>;
}

/** A named condition (format 1.1): expressions read it by its name. */
export interface ConditionDef {
  readonly id: string;
  readonly when: Expr<'boolean'>;
  /** The condition as written, for explanations. */
  readonly source: string;
}

export interface SourceDef {
  readonly id: string;
  readonly title: string;
  readonly url: string;
  readonly date: string;
  readonly note: string;
}

/** A scenario ready to run: the output of `compileScenario` / `loadScenario`. */
export interface ScenarioDefinition {
  /** The file name without extension. */
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly description: string;
  readonly start: string;
  /** SHA-256 of the canonical JSON of the validated config. */
  readonly hash: string;
  /** Where it was read from, if from a file. */
  readonly file: string | null;
  /**
   * How branch codes name it (default: the id): a file of one's own whose id is also a bundled
   * scenario's is named by its file name, so that its codes never replay on the bundled one.
   */
  readonly codeName?: string;
  readonly config: ScenarioConfig;
  readonly sources: readonly SourceDef[];
  readonly parameters: readonly ParameterDef[];
  readonly tensions: readonly TensionDef[];
  readonly derived: readonly DerivedDef[];
  readonly conditions: readonly ConditionDef[];
  /** Version of the format the file declares: 1 or 1.1. */
  readonly format: number;
  readonly actors: readonly ActorDef[];
  readonly relationship: ChartDef;
  readonly phases: readonly PhaseDef[];
  readonly rounds: readonly RoundDef[];
  readonly levers: readonly LeverDef[];
  readonly mediators: readonly MediatorDef[];
  readonly events: readonly EventDef[];
  /** By global round: events scheduled at its start. */
  readonly schedule: readonly (readonly number[])[];
  readonly couplings: readonly CouplingDef[];
  readonly policies: ReadonlyMap<string, PolicyDef>;
  readonly outcomes: readonly OutcomeDef[];
  /** Size of the history arrays (levers, their branches, events, their branches). */
  readonly historySize: number;
  /** Uniform draws per round: two per actor (policy, branch), two per event (hazard, branch). */
  readonly slotCount: number;
  /** Upper bound on decisions in one run. */
  readonly maxSteps: number;
  /** By actor index: the levers that actor may pull, in file order. */
  readonly leversByActor: readonly (readonly LeverDef[])[];
  /** By actor, then phase index: the levers that actor may pull in that phase, in file order. */
  readonly leversByActorPhase: readonly (readonly (readonly LeverDef[])[])[];
  readonly leverById: ReadonlyMap<string, LeverDef>;
  /** By lever index: what active mediators may do to its pulls (resolved at load for the kernel). */
  readonly mediation: readonly LeverMediation[];
  /** By global round: the decay at its end (none in rounds of zero weeks). */
  readonly decayByRound: readonly (readonly RoundDecay[])[];
  /** The names expressions may use: for compiling expressions that belong with the scenario (exercise objectives). */
  readonly scope: Scope;
}

/** The mediator rules that touch one lever, in mediator order, so a pull does not search for them. */
export interface LeverMediation {
  /** Mediators with modifiers for this lever: each modifier with the lever's branches that carry its tag. */
  readonly modifiers: readonly { readonly mediator: MediatorDef; readonly rules: readonly { readonly rule: MediatorModifierDef; readonly branches: readonly number[] }[] }[];
  /** Mediators that damp this lever's pulls, with the rules that apply to it. */
  readonly damping: readonly { readonly mediator: MediatorDef; readonly rules: readonly DampingDef[] }[];
}

/** Decay of one tension over one round: the gap to `toward` closes by `fraction`. */
export interface RoundDecay {
  readonly tension: number;
  readonly toward: number;
  /** 1 − (1 − per-week rate)^weeks. */
  readonly fraction: number;
}

/** Slots of a round's uniform draws. Stable for a scenario, so draws do not shift when choices change. */
export const slot = {
  policy: (actor: number) => 2 * actor,
  branch: (actor: number) => 2 * actor + 1,
  hazard: (def: ScenarioDefinition, event: number) => 2 * def.actors.length + 2 * event,
  eventBranch: (def: ScenarioDefinition, event: number) => 2 * def.actors.length + 2 * event + 1,
};

/** The actors a student may play: those marked playable (principals and mediators unless the file says), or every actor if none is. */
export function playableActors(def: ScenarioDefinition): readonly ActorDef[] {
  const playable = def.actors.filter((a) => a.playable);
  return playable.length ? playable : def.actors;
}

/** Why a student may not play `actor`, in words (`it is marked \`playable: false\``), or null when they may. */
export function unplayableReason(def: ScenarioDefinition, actor: ActorDef): string | null {
  if (playableActors(def).includes(actor)) return null;
  return def.config.actors[actor.id]?.playable === false ? 'it is marked `playable: false`' : `${actor.role}s are not played unless the scenario marks them \`playable: true\``;
}
