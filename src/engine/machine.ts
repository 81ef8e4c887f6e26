/**
 * The xstate executor: the scenario compiled into one statechart, and a pure `step` over it.
 *
 * The machine is parallel: a `phase` region (one state per phase, then `__end`), a
 * `relationship` region and one `stance_<actor>` region per actor with a stance chart. The
 * simulation state lives in context. One decision is one `ACT` event; the machine raises
 * `ROUND_END` (events, couplings, decay), `SETTLE` (the charts' guarded transitions, all
 * guards seeing the same end-of-round state) and `CLOSE` (checkpoint, next round or phase)
 * internally, so a single event performs the whole step. No `invoke` or `after`:
 * `xstate/graph` can walk the machine. The machine sequences; what each action does is the
 * kernel's phase function of the same name, run on the state as one lane (kernel.ts).
 * test/machine-kernel.test.ts holds its runs to the kernel's.
 *
 * A decision that does not end its round is taken by the phase region's `ACT` alone, built as a
 * machine of its own (`turnMachines`): xstate's cost per event grows with the number of regions,
 * so sending every decision through the whole machine made a run quadratic in actors.
 */
import { assign, createActor, enqueueActions, raise, setup, transition, type AnyActorRef, type AnyStateMachine, type StateValue } from 'xstate';
import type { ChartDef, ScenarioDefinition } from '../scenario/definition.ts';
import { reroll } from './advance.ts';
import { actorNow, advanceTurn, kernelFor, lastRoundOfPhase, lastTurnOfRound } from './kernel.ts';
import { rejectOn } from './decide.ts';
import { pull } from './pull.ts';
import { closeRound, roundEffects, takeTransition } from './round-end.ts';
import { laneOfState, loadOne, oneLane, store, storeOne, type RunLanes } from './runs.ts';
import { currentActor, resolveAction, traceEntry } from './state.ts';
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
  | { type: 'CLOSE' }
  /** Replaces the context (the runner's hand-over between its two actors); no state changes. */
  | { type: 'SYNC'; s: SimState };

export const END_STATE = '__end';
export const stanceRegion = (actorId: string): string => `stance_${actorId}`;

/**
 * For each built machine, its phase region's `ACT` as a machine of its own. A decision that does
 * not end its round changes nothing but the context (the phase moves on `CLOSE`, the charts on
 * `SETTLE`), so it is taken there: xstate's cost per event grows with the number of regions, and
 * with one stance region per actor a run through the whole machine was quadratic in actors.
 */
const turnMachines = new WeakMap<AnyStateMachine, AnyStateMachine>();

/** Builds the statechart of a scenario. Called once per scenario. */
export function buildMachine(def: ScenarioDefinition): AnyStateMachine {
  const m = setup({ types: {} as { context: Context; events: MachineEvent } });
  // The policy does not matter here: the machine's actions never choose.
  const k = kernelFor(def, 'random', 1);

  // The actions run one at a time: each takes the state in this lane (loaded only if it is not
  // the one the previous action stored) and stores the result.
  const scratch = oneLane(def);
  const mutate = (fn: (L: RunLanes, log: Happening[]) => void) =>
    assign(({ context }: { context: Context }) => {
      const L = loadOne(scratch, context.s);
      const log = context.log.slice();
      fn(L, log);
      return { s: storeOne(scratch), log };
    });

  // Every guard of one `SETTLE` reads the same state: it is made a lane once.
  const guards = oneLane(def);

  const act = {
    actions: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ACT') return;
      const action = (event as unknown as { action: Action }).action;
      const L = loadOne(scratch, context.s);
      const actor = actorNow(L);
      if (rejectOn(L, 0, actor, action)) return;
      // A decision starts a new step: its happenings start afresh.
      const log: Happening[] = [];
      if (action.type === 'pull') {
        const lever = def.leverById.get(action.lever)!;
        k.w.group[0] = 0;
        pull(k, L, actor, lever, 1, action.force === undefined ? -1 : lever.branches.findIndex((b) => b.id === action.force), log);
      }
      const roundDone = advanceTurn(L);
      enqueue.assign({ s: storeOne(scratch), log });
      if (roundDone) enqueue.raise({ type: 'ROUND_END' });
    }),
  };
  const sync = { actions: assign(({ event }: { event: MachineEvent }) => ({ s: (event as { s: SimState }).s, log: [] })) };

  const phaseStates: Record<string, object> = {};
  def.phases.forEach((phase, i) => {
    const next = def.phases[i + 1]?.id ?? END_STATE;
    const close = mutate((L, log) => closeRound(k, L, log));
    phaseStates[phase.id] = {
      on: {
        ACT: act,
        ROUND_END: { actions: [mutate((L, log) => roundEffects(k, L, log)), raise({ type: 'SETTLE' })] },
        SETTLE: { actions: raise({ type: 'CLOSE' }) },
        CLOSE: [{ guard: ({ context }: { context: Context }) => lastRoundOfPhase(def, context.s.g), target: next, actions: close }, { actions: close }],
      },
    };
  });
  phaseStates[END_STATE] = { type: 'final' };

  const chartRegion = (chart: ChartDef, actor: number) => ({
    initial: chart.states[chart.initial]!,
    states: Object.fromEntries(
      chart.states.map((name, i) => [
        name,
        {
          on: {
            SETTLE: chart.byState[i]!.map((t) => ({
              target: chart.states[t.to]!,
              guard: ({ context }: { context: Context }) => t.when.fn(loadOne(guards, context.s), 0),
              actions: mutate((L, log) => takeTransition(L, 0, actor, t, log)),
            })),
          },
        },
      ]),
    ),
  });

  const relationship = def.relationship;
  const regions: Record<string, object> = {
    phase: { initial: def.phases[0]!.id, states: phaseStates },
    relationship: chartRegion(relationship, -1),
  };
  for (const actor of def.actors) if (actor.stance) regions[stanceRegion(actor.id)] = chartRegion(actor.stance, actor.index);

  const machine = m.createMachine({
    id: `parley:${def.id}`,
    type: 'parallel',
    context: ({ input }: { input: unknown }) => input as Context,
    on: { SYNC: sync },
    states: regions,
  } as never) as unknown as AnyStateMachine;
  // A decision within a round: the phase region's `ACT`, the same in every phase.
  const turns = m.createMachine({
    id: `parley:${def.id}:turns`,
    context: ({ input }: { input: unknown }) => input as Context,
    on: { ACT: act, SYNC: sync },
  } as never) as unknown as AnyStateMachine;
  turnMachines.set(machine, turns);
  return machine;
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
 * A started actor of `machine` from the state `s` (with `value`). Errors thrown by its actions
 * are read from its snapshot (`contextOf`), not reported by xstate as unhandled.
 */
function startActor(machine: AnyStateMachine, value: StateValue, s: SimState): AnyActorRef {
  const actor = createActor(machine, { snapshot: machine.resolveState({ value, context: { s, log: [] } }) });
  actor.subscribe({ error: () => {} });
  return actor.start();
}

/** The context after an event; an error thrown by an action (a NaN met: bad input) is thrown again. */
function contextOf(snapshot: { status: string; error?: unknown; context: unknown }): Context {
  if (snapshot.status === 'error') throw snapshot.error;
  return snapshot.context as Context;
}

/**
 * One decision (a pull or a pass) through the statechart: the phase region alone when the
 * decision does not end the round, the whole machine when it does. `value` is the machine's
 * state value after it (the charts' regions, unchanged within a round, read from the state).
 */
function act(def: ScenarioDefinition, machine: AnyStateMachine, s: SimState, action: Action): Context & { value: () => StateValue } {
  const turns = turnMachines.get(machine);
  if (turns && !lastTurnOfRound(def, s.g, s.turn)) {
    const snapshot = turns.resolveState({ value: {}, context: { s, log: [] } });
    const [after] = transition(turns, snapshot, { type: 'ACT', action });
    const context = contextOf(after);
    return { ...context, value: () => stateValueOf(def, context.s) };
  }
  // Not `transition()`: it builds the machine's initial snapshot on every call, which for a
  // parallel machine takes time cubic in its regions. An actor restored from a snapshot does not.
  const actor = startActor(machine, stateValueOf(def, s), s);
  actor.send({ type: 'ACT', action });
  const after = actor.getSnapshot();
  actor.stop();
  const context = contextOf(after);
  return { ...context, value: () => after.value as StateValue };
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
): StepResult & { readonly value?: StateValue } {
  const resolved = resolveAction(def, s, action);
  if (resolved.type !== 'resolved') return resolved;
  if (action.type === 'reroll') return { type: 'stepped', state: rerolled(def, s, action.seed), entry: traceEntry(def, s, resolved.actor, action, by, choice, []) };
  const after = act(def, machine, s, action);
  return {
    type: 'stepped', state: after.s, entry: traceEntry(def, s, resolved.actor, action, by, choice, after.log),
    get value() {
      return after.value();
    },
  };
}

/**
 * The xstate executor for a whole run: two long-lived actors, as the statechart would run in an
 * application. The turns actor takes the decisions within a round, the whole machine's actor
 * the one that ends it; each gets the state the other left (`SYNC`) when its turn comes, so
 * the whole machine handles one event or two per round.
 */
export class MachineRunner {
  private readonly full: AnyActorRef;
  private readonly turns: AnyActorRef;
  /** Does each actor's context hold the current state? */
  private fullCurrent = true;
  private turnsCurrent = true;

  constructor(
    private readonly def: ScenarioDefinition,
    machine: AnyStateMachine,
    private current: SimState,
  ) {
    const turns = turnMachines.get(machine)!;
    this.full = startActor(machine, stateValueOf(def, current), current);
    this.turns = startActor(turns, {}, current);
  }

  get state(): SimState {
    return this.current;
  }

  step(action: Action, by: DecidedBy, choice?: PolicyChoice): StepResult {
    const { def } = this;
    const before = this.current;
    const resolved = resolveAction(def, before, action);
    if (resolved.type !== 'resolved') return resolved;
    let after: Context;
    if (action.type === 'reroll') {
      after = { s: rerolled(def, before, action.seed), log: [] };
      this.fullCurrent = this.turnsCurrent = false;
    } else {
      const mid = !lastTurnOfRound(def, before.g, before.turn);
      const actor = mid ? this.turns : this.full;
      if (!(mid ? this.turnsCurrent : this.fullCurrent)) actor.send({ type: 'SYNC', s: before });
      actor.send({ type: 'ACT', action });
      after = contextOf(actor.getSnapshot());
      this.turnsCurrent = mid;
      this.fullCurrent = !mid;
    }
    this.current = after.s;
    return { type: 'stepped', state: after.s, entry: traceEntry(def, before, currentActor(def, before), action, by, choice, after.log) };
  }

  stop(): void {
    this.full.stop();
    this.turns.stop();
  }
}

/** The state with its seed changed from this point on (see `reroll`). */
function rerolled(def: ScenarioDefinition, s: SimState, seed: number): SimState {
  const L = laneOfState(def, s);
  reroll(L, 0, seed);
  return store(L, 0);
}
