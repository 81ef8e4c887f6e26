/**
 * How actors choose when no person decides for them. A policy gives each available lever (and
 * passing) a weight; one seeded draw per actor per round picks among them. `random` is uniform
 * over the available levers; a scenario's `default` (or any named policy) gives weights by
 * expression, and actors it does not list choose uniformly.
 *
 * This runs once per decision in batch runs, so it allocates nothing it does not return.
 */
import { slot, type LeverDef, type PolicyDef, type ScenarioDefinition } from '../scenario/definition.ts';
import type { UsageError } from '../scenario/errors.ts';
import { nonFinite, notFinite, usable } from './kernel.ts';
import type { Action, PolicyChoice, SimState } from './types.ts';

export interface Choice {
  readonly action: Action;
  readonly auto: boolean;
  /** The lever the action pulls, or null for a pass. */
  readonly lever: LeverDef | null;
  readonly choice?: PolicyChoice;
}

const PASS: Action = Object.freeze({ type: 'pass' });
const AUTO_PASS: Choice = Object.freeze({ action: PASS, auto: true, lever: null });
const POLICY_PASS: Choice = Object.freeze({ action: PASS, auto: false, lever: null });
/** One frozen choice per lever, so that choosing allocates nothing. */
const pullChoices = new WeakMap<LeverDef, Choice>();

function pullChoice(lever: LeverDef): Choice {
  let choice = pullChoices.get(lever);
  if (!choice) pullChoices.set(lever, (choice = Object.freeze({ action: Object.freeze({ type: 'pull', lever: lever.id }), auto: false, lever })));
  return choice;
}

// Scratch space for one decision (decisions never nest).
let weights = new Float64Array(32);
let options: LeverDef[] = [];

/**
 * Which of `n` options (weights `weights[0..n)`, then passing with `passWeight`; `total` is
 * their sum, added in that order) the draw picks: index `n` means pass.
 */
export function pickOption(weights: Float64Array, n: number, passWeight: number, total: number, draw: number): number {
  if (!(total > 0)) return n;
  const target = draw * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (weights[i]! > 0) last = i;
    acc += weights[i]!;
    if (target < acc) return i;
  }
  // Rounding at the very top of the range: the last option with weight.
  return passWeight > 0 ? n : last;
}

/** A policy weight that is NaN or ±Infinity (see `nonFinite`). */
export function weightError(def: ScenarioDefinition, policy: PolicyDef, actor: number, option: string, value: number): UsageError {
  return nonFinite(def, value, `the weight of \`${option}\` for \`${def.actors[actor]!.id}\` in policy \`${policy.name}\``);
}

/**
 * An actor's choice under a policy (with `explain`, how it was made).
 * Mirrored for many runs at once by batch/lockstep.ts: change both.
 */
export function choose(def: ScenarioDefinition, s: SimState, actor: number, policy: PolicyDef, explain: boolean): Choice {
  // The actor's levers for this phase: only the use count and the precondition remain to check.
  const candidates = def.leversByActorPhase[actor]?.[def.rounds[s.g]!.phase] ?? [];
  if (weights.length <= candidates.length) weights = new Float64Array(candidates.length * 2 + 1);
  const rules = policy.actors[actor];
  let n = 0;
  let total = 0;
  for (const lever of candidates) {
    if (!usable(s, lever)) continue;
    const w = rules ? (rules.weights[lever.index] ?? rules.otherwise)(s) : 1;
    if (notFinite(w)) throw weightError(def, policy, actor, lever.id, w);
    const weight = w > 0 ? w : 0;
    options[n] = lever;
    weights[n++] = weight;
    total += weight;
  }
  if (n === 0) return AUTO_PASS;
  const pass = rules?.pass ? rules.pass(s) : 0;
  if (notFinite(pass)) throw weightError(def, policy, actor, 'pass', pass);
  const passWeight = pass > 0 ? pass : 0;
  total += passWeight;
  const draw = s.u[slot.policy(actor)]!;
  const index = pickOption(weights, n, passWeight, total, draw);
  const choice = index < n ? pullChoice(options[index]!) : POLICY_PASS;
  if (!explain) return choice;
  const listed: { option: string; weight: number }[] = [];
  for (let i = 0; i < n; i++) listed.push({ option: options[i]!.id, weight: weights[i]! });
  if (rules?.pass) listed.push({ option: 'pass', weight: passWeight });
  return { action: choice.action, auto: false, lever: choice.lever, choice: { policy: policy.name, options: listed, draw } };
}

