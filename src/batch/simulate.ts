/**
 * The batch's inner loop: one run on the fast executor's kernel, with no trace, no result
 * object and nothing shared between runs. It takes the same decisions as `run(…, { executor:
 * 'fast', trace: false })` (a test checks that they agree), and skips re-checking the policy's
 * choices, which `choose` only makes among available levers.
 */
import type { PolicyDef, ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';
import type { CompiledScenario } from '../engine/engine.ts';
import { resolveAction, type ResolvedAction } from '../engine/actions.ts';
import { BranchCodeError, type Move } from '../engine/branch-code.ts';
import { fastApply, type FlatTables } from '../engine/fast.ts';
import { currentActor, initialState, reroll } from '../engine/kernel.ts';
import { choose } from '../engine/policy.ts';
import type { SimState } from '../engine/types.ts';

export interface BatchKernel {
  readonly def: ScenarioDefinition;
  readonly tables: FlatTables;
  readonly policy: PolicyDef;
}

export function batchKernel(compiled: CompiledScenario, policyName: string): BatchKernel {
  const policy = compiled.def.policies.get(policyName);
  if (!policy) throw new UsageError(`unknown policy \`${policyName}\``, `policies of ${compiled.def.id}: ${[...compiled.def.policies.keys()].join(', ')}`, '--policy');
  return { def: compiled.def, tables: compiled.tables, policy };
}

/** A move of a branch code, taken in place: a reroll, or a pull or pass that must be available. */
export function takeMove(k: BatchKernel, s: SimState, move: Move): void {
  if (move.action.type === 'reroll') return reroll(k.def, s, move.action.seed);
  const resolved = resolveAction(k.def, s, move.action);
  if (resolved.type !== 'resolved') throw new BranchCodeError(`step ${s.step + 1}: ${resolved.message}`);
  fastApply(k.def, k.tables, s, resolved, null);
}

/** Runs to the end from `seed` with parameter values `params`; `moves` override the policy by step. */
export function simulate(k: BatchKernel, params: readonly number[], seed: number, moves: readonly Move[]): SimState {
  const { def, tables, policy } = k;
  const s = initialState(def, seed, params, null);
  let next = 0;
  const limit = def.maxSteps + moves.length + 1;
  for (let guard = 0; !s.ended; guard++) {
    if (guard > limit) throw new Error(`run exceeded ${limit} steps: the scenario's timeline should bound it`);
    const move = next < moves.length && moves[next]!.step === s.step ? moves[next]! : null;
    if (move) {
      next++;
      takeMove(k, s, move);
      continue;
    }
    const actor = currentActor(def, s);
    const resolved: ResolvedAction = { type: 'resolved', actor, lever: choose(def, s, actor, policy, false).lever, force: -1 };
    fastApply(def, tables, s, resolved, null);
  }
  if (next < moves.length) throw new BranchCodeError(`the run ended after step ${s.step}, before the move at step ${moves[next]!.step + 1}`);
  return s;
}
