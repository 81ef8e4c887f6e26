/**
 * The xstate executor: the scenario compiled into one statechart, and a pure `step` over it.
 *
 * The machine is parallel: a `phase` region (one state per phase, then `__end`), a
 * `relationship` region and one `stance_<actor>` region per actor with a stance chart. The
 * simulation state lives in context. One decision is one `ACT` event; the machine raises
 * `ROUND_END` (events, couplings, decay), `SETTLE` (the charts' guarded transitions, all
 * guards seeing the same end-of-round state) and `CLOSE` (checkpoint, next round or phase)
 * internally, so a single `transition()` call performs the whole step. No `invoke` or
 * `after`: `xstate/graph` can walk the machine.
 */
import { assign, createActor, enqueueActions, raise, setup, transition, type AnyActorRef, type AnyStateMachine, type StateValue } from 'xstate';
import type { ChartDef, ScenarioDefinition, TransitionDef } from '../scenario/definition.ts';
import { resolveAction, traceEntry } from './actions.ts';
import { advanceTurn, applyPull, checkpoint, cloneState, lastRoundOfPhase, nextRound, reroll, roundEffects } from './kernel.ts';
import type { Action, DecidedBy, Happening, PolicyChoice, SimState, StepResult } from './types.ts';

interface Context {
  s: SimState;
  /** Happenings of the step being taken. */
  log: Happening[];
}

type MachineEvent =
  | { type: 'ACT'; action: Action }
  | { type: 'ROUND_END' }
  | { type: 'SETTLE' }
  | { type: 'CLOSE' };

export const END_STATE = '__end';
export const stanceRegion = (actorId: string): string => `stance_${actorId}`;

/** Builds the statechart of a scenario. Called once per scenario. */
export function buildMachine(def: ScenarioDefinition): AnyStateMachine {
  const m = setup({ types: {} as { context: Context; events: MachineEvent } });

  const mutate = (fn: (s: SimState, log: Happening[]) => void) =>
    assign(({ context }: { context: Context }) => {
      const s = cloneState(context.s);
      const log = context.log.slice();
      fn(s, log);
      return { s, log };
    });

  const phaseStates: Record<string, object> = {};
  def.phases.forEach((phase, i) => {
    const next = def.phases[i + 1]?.id ?? END_STATE;
    const close = mutate((s, log) => {
      if (phase.checkpoint) checkpoint(def, s, log);
      if (!s.ended) nextRound(def, s, log);
    });
    phaseStates[phase.id] = {
      on: {
        ACT: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'ACT') return;
            const resolved = resolveAction(def, context.s, (event as unknown as { action: Action }).action);
            if (resolved.type !== 'resolved') return;
            const s = cloneState(context.s);
            // A decision starts a new step: its happenings start afresh.
            const log: Happening[] = [];
            if (resolved.lever) applyPull(def, s, resolved.actor, resolved.lever, resolved.force, log);
            const roundDone = advanceTurn(def, s);
            enqueue.assign({ s, log });
            if (roundDone) enqueue.raise({ type: 'ROUND_END' });
          }),
        },
        ROUND_END: { actions: [mutate((s, log) => roundEffects(def, s, log)), raise({ type: 'SETTLE' })] },
        SETTLE: { actions: raise({ type: 'CLOSE' }) },
        CLOSE: [
          { guard: ({ context }: { context: Context }) => lastRoundOfPhase(def, context.s), target: next, actions: close },
          { actions: mutate((s, log) => nextRound(def, s, log)) },
        ],
      },
    };
  });
  phaseStates[END_STATE] = { type: 'final' };

  const chartRegion = (chart: ChartDef, take: (s: SimState, t: TransitionDef) => Happening) => ({
    initial: chart.states[chart.initial]!,
    states: Object.fromEntries(
      chart.states.map((name, i) => [
        name,
        {
          on: {
            SETTLE: chart.byState[i]!.map((t) => ({
              target: chart.states[t.to]!,
              guard: ({ context }: { context: Context }) => t.when(context.s),
              actions: mutate((s, log) => log.push(take(s, t))),
            })),
          },
        },
      ]),
    ),
  });

  const relationship = def.relationship;
  const regions: Record<string, object> = {
    phase: { initial: def.phases[0]!.id, states: phaseStates },
    relationship: chartRegion(relationship, (s, t) => {
      s.rel = t.to;
      return { type: 'relationship', from: relationship.states[t.from]!, to: relationship.states[t.to]!, why: t.why };
    }),
  };
  for (const actor of def.actors) {
    const chart = actor.stance;
    if (!chart) continue;
    regions[stanceRegion(actor.id)] = chartRegion(chart, (s, t) => {
      s.st[actor.index] = t.to;
      return { type: 'stance', actor: actor.id, from: chart.states[t.from]!, to: chart.states[t.to]!, why: t.why };
    });
  }

  return m.createMachine({
    id: `parley:${def.id}`,
    type: 'parallel',
    context: ({ input }: { input: unknown }) => input as Context,
    states: regions,
  } as never) as unknown as AnyStateMachine;
}

/** The machine's state value for a simulation state. */
export function stateValueOf(def: ScenarioDefinition, s: SimState): Record<string, string> {
  const value: Record<string, string> = {
    phase: s.ended ? END_STATE : def.phases[def.rounds[s.g]!.phase]!.id,
    relationship: def.relationship.states[s.rel]!,
  };
  for (const actor of def.actors) if (actor.stance) value[stanceRegion(actor.id)] = actor.stance.states[s.st[actor.index]!]!;
  return value;
}

/**
 * The xstate executor's step: pure, returns the next state and its trace entry, or a
 * `Rejection` when the action breaks the rules.
 */
export function machineStep(
  def: ScenarioDefinition,
  machine: AnyStateMachine,
  s: SimState,
  action: Action,
  by: DecidedBy = 'player',
  choice?: PolicyChoice,
): StepResult & { value?: StateValue } {
  const resolved = resolveAction(def, s, action);
  if (resolved.type !== 'resolved') return resolved;
  if (action.type === 'reroll') {
    const next = cloneState(s);
    reroll(def, next, action.seed);
    return { type: 'stepped', state: next, entry: traceEntry(def, s, action, by, choice, []) };
  }
  const snapshot = machine.resolveState({ value: stateValueOf(def, s), context: { s, log: [] } });
  const [after] = transition(machine, snapshot, { type: 'ACT', action });
  const context = after.context as Context;
  return { type: 'stepped', state: context.s, entry: traceEntry(def, s, action, by, choice, context.log), value: after.value };
}

/**
 * A running xstate executor for a whole run: one actor receives every decision, as the
 * statechart would run in an application. Cheaper than `machineStep`, which rebuilds a
 * snapshot for every step so that it can be pure.
 */
export class MachineRunner {
  private actor: AnyActorRef;

  constructor(
    private readonly def: ScenarioDefinition,
    private readonly machine: AnyStateMachine,
    state: SimState,
  ) {
    this.actor = this.restore(state);
  }

  private restore(s: SimState): AnyActorRef {
    const snapshot = this.machine.resolveState({ value: stateValueOf(this.def, s), context: { s, log: [] } });
    const actor = createActor(this.machine, { snapshot });
    actor.start();
    return actor;
  }

  get state(): SimState {
    return (this.actor.getSnapshot().context as Context).s;
  }

  get value(): StateValue {
    return this.actor.getSnapshot().value as StateValue;
  }

  step(action: Action, by: DecidedBy, choice?: PolicyChoice): StepResult {
    const before = this.state;
    const resolved = resolveAction(this.def, before, action);
    if (resolved.type !== 'resolved') return resolved;
    if (action.type === 'reroll') {
      const next = cloneState(before);
      reroll(this.def, next, action.seed);
      this.actor.stop();
      this.actor = this.restore(next);
      return { type: 'stepped', state: next, entry: traceEntry(this.def, before, action, by, choice, []) };
    }
    this.actor.send({ type: 'ACT', action });
    const context = this.actor.getSnapshot().context as Context;
    return { type: 'stepped', state: context.s, entry: traceEntry(this.def, before, action, by, choice, context.log) };
  }

  stop(): void {
    this.actor.stop();
  }
}
