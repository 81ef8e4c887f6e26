/**
 * Nodes of the outcome tree: the state a branch code leads to, and where the runs that analyse
 * it start. Every analysis from a node (odds, lever comparisons, advice) starts run `i` there
 * with a reroll to its own seed, exactly as `parley batch --branch CODE --seed BASE` does, so
 * that its runs can be reproduced by a batch.
 */
import { actorNow } from '../engine/kernel.ts';
import { begin, runToEnd } from '../engine/advance.ts';
import type { Move } from '../engine/branch-code.ts';
import { deriveSeed } from '../engine/rng.ts';
import { load, store } from '../engine/runs.ts';
import type { SimState } from '../engine/types.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { runner, type RunStart } from './runs.ts';

/** What the analyses need of a scenario: its definition (a `CompiledScenario` is one; so is `{ def }`, without the statechart). */
export interface Scenario {
  readonly def: ScenarioDefinition;
}

/** A node: the state where the analysed runs start, and how it was reached. */
export interface AnalysisNode {
  /** The state at the node (before the decision at `state.step`). */
  readonly state: SimState;
  /** True when the node is the start of a run (no branch code): runs then begin from their own seed, as a batch's runs do. */
  readonly atStart: boolean;
  /** The moves that lead to it from the start of its seed's run (a code's moves, its last reroll dropped). */
  readonly moves: readonly Move[];
}

/** Any state as a node (a play session's current state, say): runs from it reroll there to their own seeds. */
export function nodeAt(state: SimState): AnalysisNode {
  return { state, atStart: false, moves: [] };
}

/** The start of a run of `seed` with parameter values `params` (by index). */
export function startNode(def: ScenarioDefinition, seed: number, params: readonly number[]): AnalysisNode {
  const { L } = runner(def, 'random');
  begin(L, 1, () => ({ seed, params }), null);
  return { state: store(L, 0), atStart: true, moves: [] };
}

/**
 * The node a branch code names: the state right after its last move, or, for a code that ends
 * in a reroll (`…,7@99`), the state at that reroll's step (the reroll is dropped: each analysed
 * run rerolls there to its own seed). Throws the engine's `BranchCodeError` when a move does not
 * replay.
 */
export function codeNode(def: ScenarioDefinition, policy: string, seed: number, params: readonly number[], codeMoves: readonly Move[]): AnalysisNode {
  const moves = codeMoves.slice();
  const last = moves[moves.length - 1];
  const rerollsLast = last?.action.type === 'reroll';
  const step = !last ? 0 : rerollsLast ? last.step : last.step + 1;
  while (rerollsLast && moves.length && moves[moves.length - 1]!.action.type === 'reroll' && moves[moves.length - 1]!.step === step) moves.pop();
  const { k, L } = runner(def, policy);
  begin(L, 1, () => ({ seed, params }), null);
  // Every move kept falls before `step`, so all are taken when the loop stops there.
  runToEnd(k, L, () => moves, null, () => L.step >= step);
  return { state: store(L, 0), atStart: false, moves };
}

/**
 * The node where `actor` next decides, going on from `node` under `policy` with the node's own
 * draws (no reroll: what play would show next), or null when the run ends first. A node where
 * `actor` decides already is returned as it is.
 */
export function nodeWhereActs(def: ScenarioDefinition, policy: string, node: AnalysisNode, actor: number): { node: AnalysisNode; skipped: number } | null {
  const { k, L } = runner(def, policy);
  const from = node.state;
  L.n = 1;
  load(L, 0, from);
  if (actorNow(L) === actor) return { node, skipped: 0 };
  runToEnd(k, L, () => [], null, () => L.step > from.step && actorNow(L) === actor);
  if (L.ended) return null;
  return { node: { state: store(L, 0), atStart: false, moves: node.moves }, skipped: L.step - from.step };
}

/**
 * The moves that name the node at `state` in a branch code: `moves` (those that lead to it),
 * then a reroll to the state's own seed at its step when the policy went on past them (a no-op
 * that marks the node, as `codeNode` and `parley batch --branch` read it).
 */
export function markedMoves(moves: readonly Move[], state: SimState): readonly Move[] {
  const last = moves[moves.length - 1];
  const next = last ? last.step + (last.action.type === 'reroll' ? 0 : 1) : 0;
  return state.step === next ? moves : [...moves, { step: state.step, action: { type: 'reroll', seed: state.seed } }];
}

/** Where run `i` of an analysis from `node` starts: its own seed from the node on (`deriveSeed(base, i)`), then `extra` moves at the node's step. */
export function runFromNode(node: AnalysisNode, base: number, i: number, extra: readonly Move[] = []): RunStart {
  const seed = deriveSeed(base, i);
  const s = node.state;
  if (node.atStart && extra.length === 0) return { params: s.p, seed, moves: NO_MOVES };
  if (node.atStart) return { params: s.p, seed, moves: extra };
  return { from: s, params: s.p, seed: s.seed, moves: [{ step: s.step, action: { type: 'reroll', seed } }, ...extra] };
}

const NO_MOVES: readonly Move[] = [];
