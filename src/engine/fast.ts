/**
 * The fast executor: the same compiled definition stepped through flat tables instead of the
 * statechart, on a state it owns and changes in place, with no actor, no snapshot and no trace
 * unless asked for. Batch runs and exact analysis use it; a differential test requires its
 * traces to equal the xstate executor's.
 */
import type { ScenarioDefinition, TransitionDef } from '../scenario/definition.ts';
import type { ResolvedAction } from './actions.ts';
import { advanceTurn, applyPull, checkpoint, lastRoundOfPhase, nextRound, roundEffects, type Log } from './kernel.ts';
import type { SimState } from './types.ts';

/** The statechart flattened: for each chart, the guarded transitions leaving each state. */
export interface FlatTables {
  readonly relationship: readonly (readonly TransitionDef[])[];
  /** By actor: the stance chart's table, or null. */
  readonly stances: readonly ((readonly (readonly TransitionDef[])[]) | null)[];
  /** By phase: judge the outcome rules at its end? */
  readonly checkpoint: readonly boolean[];
}

export function flatten(def: ScenarioDefinition): FlatTables {
  return {
    relationship: def.relationship.byState,
    stances: def.actors.map((a) => a.stance?.byState ?? null),
    checkpoint: def.phases.map((p) => p.checkpoint),
  };
}

function firstEnabled(table: readonly TransitionDef[], s: SimState): TransitionDef | null {
  for (const t of table) if (t.when(s)) return t;
  return null;
}

/**
 * Applies a resolved decision to `s` in place, with everything that follows in the round.
 * The end of the round is mirrored for many runs at once by batch/lockstep.ts: change both.
 */
export function fastApply(def: ScenarioDefinition, tables: FlatTables, s: SimState, resolved: ResolvedAction, log: Log): void {
  if (resolved.lever) applyPull(def, s, resolved.actor, resolved.lever, resolved.force, log);
  if (!advanceTurn(def, s)) return;
  roundEffects(def, s, log);
  // Every guard sees the same end-of-round state; then the transitions are taken.
  const rel = firstEnabled(tables.relationship[s.rel]!, s);
  let moves: (TransitionDef | null)[] | null = null;
  for (let a = 0; a < tables.stances.length; a++) {
    const table = tables.stances[a];
    if (!table) continue;
    const t = firstEnabled(table[s.st[a]!]!, s);
    if (t) (moves ??= new Array(tables.stances.length).fill(null))[a] = t;
  }
  if (rel) {
    log?.push({ type: 'relationship', from: def.relationship.states[s.rel]!, to: def.relationship.states[rel.to]!, why: rel.why });
    s.rel = rel.to;
  }
  if (moves) {
    for (let a = 0; a < moves.length; a++) {
      const t = moves[a];
      if (!t) continue;
      const chart = def.actors[a]!.stance!;
      log?.push({ type: 'stance', actor: def.actors[a]!.id, from: chart.states[s.st[a]!]!, to: chart.states[t.to]!, why: t.why });
      s.st[a] = t.to;
    }
  }
  if (lastRoundOfPhase(def, s) && tables.checkpoint[def.rounds[s.g]!.phase]) checkpoint(def, s, log);
  if (!s.ended) nextRound(def, s, log);
}
