/**
 * The engine's operations over a compiled scenario: start a run, step it (xstate executor),
 * run it to the end under a policy with either executor, replay a trace or a branch code.
 */
import type { AnyStateMachine } from 'xstate';
import type { OutcomeDef, ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';
import { endedBefore, formatBranchCode, moveRefused, type Move } from './branch-code.ts';
import { runToEnd } from './advance.ts';
import { unknownPolicy } from './kernel.ts';
import { buildMachine, MachineRunner, machineStep } from './machine.ts';
import { load, store } from './runs.ts';
import { cloneState, defaultParams, initialState, policyChoice, runKit, type Choice } from './state.ts';
import type { Action, DecidedBy, Happening, PolicyChoice, SimState, StepResult, TraceEntry } from './types.ts';

/** A scenario compiled for both executors. Build it once, run it many times. */
export interface CompiledScenario {
  readonly def: ScenarioDefinition;
  /** The statechart (built when first asked for: batches and the kernel's runs never need it). */
  readonly machine: AnyStateMachine;
}

export function compile(def: ScenarioDefinition): CompiledScenario {
  let machine: AnyStateMachine | null = null;
  return {
    def,
    get machine() {
      return (machine ??= buildMachine(def));
    },
  };
}

export type ExecutorName = 'xstate' | 'fast';

/**
 * Parameter values by index from names; unknown names and values outside the declared range
 * are errors that list what is valid.
 */
export function resolveParams(def: ScenarioDefinition, values: Readonly<Record<string, number>> = {}): number[] {
  const params = defaultParams(def);
  for (const [name, value] of Object.entries(values)) {
    const p = def.parameters.find((x) => x.id === name);
    if (!p) throw new UsageError(`unknown parameter \`${name}\``, def.parameters.length ? `parameters of ${def.id}: ${def.parameters.map((x) => x.id).join(', ')}` : `${def.id} declares no parameters`, '--set');
    if (!Number.isFinite(value) || value < p.min || value > p.max) throw new UsageError(`${name} = ${value} is outside its range [${p.min}, ${p.max}]`, undefined, '--set');
    params[p.index] = value;
  }
  return params;
}

/** The state before the first decision, with the happenings of round 1's scheduled injects. */
export function start(compiled: CompiledScenario, seed: number, params: Readonly<Record<string, number>> = {}): { state: SimState; opening: Happening[] } {
  const opening: Happening[] = [];
  return { state: initialState(compiled.def, seed, resolveParams(compiled.def, params), opening), opening };
}

/**
 * One decision by the actor whose turn it is, through the xstate executor. Pure: `state` is
 * not changed. A move against the rules comes back as a `Rejection` value.
 */
export function step(compiled: CompiledScenario, state: SimState, action: Action, by: DecidedBy = 'player', choice?: PolicyChoice): StepResult {
  return machineStep(compiled.def, compiled.machine, state, action, by, choice);
}

/** What the policy would do now for the actor whose turn it is. */
export function policyAction(compiled: CompiledScenario, state: SimState, policy = 'default'): Choice {
  return policyChoice(compiled.def, state, policy);
}

export interface RunOptions {
  readonly seed: number;
  readonly policy?: string;
  readonly params?: Readonly<Record<string, number>>;
  /** Decisions that override the policy, by step (from a branch code). */
  readonly moves?: readonly Move[];
  readonly executor?: ExecutorName;
  /** Record the trace (default true). Batch runs turn it off. */
  readonly trace?: boolean;
}

export interface RunResult {
  readonly scenario: string;
  readonly seed: number;
  readonly policy: string;
  readonly params: readonly number[];
  readonly opening: readonly Happening[];
  readonly trace: readonly TraceEntry[];
  /** The state before the first decision. */
  readonly initial: SimState;
  readonly state: SimState;
  readonly outcome: OutcomeDef;
  readonly branchCode: string;
}

/** Runs to the end: policies decide except where `moves` say otherwise. Bounded by `def.maxSteps`. */
export function run(compiled: CompiledScenario, options: RunOptions): RunResult {
  const opening: Happening[] | null = options.trace ?? true ? [] : null;
  const state = initialState(compiled.def, options.seed, resolveParams(compiled.def, options.params), opening);
  return runFrom(compiled, state, { ...options, opening: opening ?? [] });
}

export interface ContinueOptions extends Omit<RunOptions, 'seed' | 'params'> {
  /** Reroll to this seed before continuing, so that runs from one node differ. */
  readonly reseed?: number;
  /** Happenings before the first decision (for the result). */
  readonly opening?: readonly Happening[];
}

/**
 * Runs from any state to the end (the state is not changed): "what happens from here?".
 * `moves` are by absolute step. With `reseed`, the first entry of the trace is the reroll.
 * The result's trace and branch code cover only what happened from `from` on: a caller that
 * continues a played branch prefixes its own moves.
 */
export function runFrom(compiled: CompiledScenario, from: SimState, options: ContinueOptions): RunResult {
  const { def } = compiled;
  const policyName = options.policy ?? 'default';
  if (!def.policies.has(policyName)) throw unknownPolicy(def, policyName);
  const record = options.trace ?? true;
  const moves: Move[] = options.reseed === undefined || from.ended ? [...(options.moves ?? [])] : [{ step: from.step, action: { type: 'reroll', seed: options.reseed } }, ...(options.moves ?? [])];
  const initial = cloneState(from);
  const { state, trace } = options.executor === 'fast' ? runKernel(compiled, from, policyName, moves, record) : runMachine(compiled, from, policyName, moves, record);
  return {
    scenario: def.id, seed: initial.seed, policy: policyName, params: initial.p, opening: options.opening ?? [], trace, initial, state,
    outcome: def.outcomes[state.outcome]!,
    branchCode: formatBranchCode({ scenario: def.codeName ?? def.id, seed: initial.seed, policy: policyName, moves }),
  };
}

/** The fast executor: the kernel's run to the end, on one lane. */
function runKernel(compiled: CompiledScenario, from: SimState, policy: string, moves: readonly Move[], record: boolean): { state: SimState; trace: TraceEntry[] } {
  const { def } = compiled;
  const { k, L } = runKit(def, policy);
  load(L, 0, from);
  const trace: TraceEntry[] | null = record ? [] : null;
  runToEnd(k, L, () => moves, trace);
  return { state: store(L, 0), trace: trace ?? [] };
}

/** The xstate executor: each decision an event of the statechart, the policy choosing where no move is given. */
function runMachine(compiled: CompiledScenario, from: SimState, policy: string, moves: readonly Move[], record: boolean): { state: SimState; trace: TraceEntry[] } {
  const { def } = compiled;
  let s = from;
  const trace: TraceEntry[] = [];
  const runner = new MachineRunner(def, compiled.machine, s);
  try {
    let next = 0;
    while (next < moves.length && moves[next]!.step < s.step) next++;
    const limit = def.maxSteps + moves.length + 1;
    for (let guard = 0; !s.ended; guard++) {
      if (guard > limit) throw new Error(`run exceeded ${limit} steps: the scenario's timeline should bound it`);
      const move = moves[next]?.step === s.step ? moves[next] : undefined;
      let action: Action;
      let by: DecidedBy;
      let choice: PolicyChoice | undefined;
      if (move) {
        next++;
        action = move.action;
        by = 'player';
      } else {
        const c = policyChoice(def, s, policy);
        action = c.action;
        by = c.auto ? 'auto' : 'policy';
        if (record) choice = c.choice;
      }
      const result = runner.step(action, by, choice);
      if (result.type === 'rejected') throw moveRefused({ step: s.step, action }, result.message);
      s = result.state;
      if (record) trace.push(result.entry);
    }
    if (next < moves.length) throw endedBefore(s.step, moves[next]!);
  } finally {
    runner.stop();
  }
  return { state: s, trace };
}

/** Replays a trace: a fold of `step` over its actions from the initial state. */
export function replay(compiled: CompiledScenario, seed: number, trace: readonly TraceEntry[], params: Readonly<Record<string, number>> = {}): SimState {
  let s = start(compiled, seed, params).state;
  for (const entry of trace) {
    const result = step(compiled, s, entry.action, entry.by, entry.choice);
    if (result.type === 'rejected') throw moveRefused({ step: entry.step, action: entry.action }, result.message);
    s = result.state;
  }
  return s;
}

/** The moves a branch code needs for a trace: every decision a person took, and every reroll. */
export function movesOf(trace: readonly TraceEntry[]): Move[] {
  return trace.filter((e) => e.by === 'player').map((e) => ({ step: e.step, action: e.action }));
}

export { cloneState };
