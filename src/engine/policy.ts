/**
 * How actors choose when no person decides for them. A policy gives each available lever (and
 * passing) a weight; one seeded draw per actor per round picks among them. `random` is uniform
 * over the available levers; a scenario's `default` (or any named policy) gives weights by
 * expression, and actors it does not list choose uniformly.
 */
import { slot, type PolicyDef, type ScenarioDefinition } from '../scenario/definition.ts';
import { availableLevers } from './kernel.ts';
import type { Action, PolicyChoice, SimState } from './types.ts';

export interface Choice {
  readonly action: Action;
  readonly auto: boolean;
  readonly choice?: PolicyChoice;
}

const PASS: Action = { type: 'pass' };

export function choose(def: ScenarioDefinition, s: SimState, actor: number, policy: PolicyDef, explain: boolean): Choice {
  const levers = availableLevers(def, s, actor);
  if (levers.length === 0) return { action: PASS, auto: true };
  const draw = s.u[slot.policy(actor)]!;
  const rules = policy.actors[actor];
  const weights = new Array<number>(levers.length + 1);
  let total = 0;
  for (let i = 0; i < levers.length; i++) {
    const w = rules ? (rules.weights[levers[i]!.index] ?? rules.otherwise)(s) : 1;
    total += weights[i] = w > 0 ? w : 0;
  }
  const pass = rules?.pass ? rules.pass(s) : 0;
  total += weights[levers.length] = pass > 0 ? pass : 0;
  let index = levers.length;
  if (total > 0) {
    let acc = 0;
    const target = draw * total;
    index = weights.length - 1;
    for (let i = 0; i < weights.length - 1; i++) {
      acc += weights[i]!;
      if (target < acc) {
        index = i;
        break;
      }
    }
    // Skip trailing zero weights that the fallback would land on.
    while (index > 0 && weights[index] === 0) index--;
  }
  const action: Action = index < levers.length ? { type: 'pull', lever: levers[index]!.id } : PASS;
  if (!explain) return { action, auto: false };
  return {
    action,
    auto: false,
    choice: {
      policy: policy.name,
      options: [...levers.map((l, i) => ({ option: l.id, weight: weights[i]! })), ...(rules?.pass ? [{ option: 'pass', weight: weights[levers.length]! }] : [])],
      draw,
    },
  };
}
