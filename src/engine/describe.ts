/** Readable views of a simulation state, by name rather than index (JSON output, the TUI, reports). */
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { laneOfState } from './runs.ts';
import { currentActor } from './state.ts';
import type { SimState } from './types.ts';

export interface StateView {
  readonly phase: string;
  readonly round: number;
  readonly date: string;
  readonly step: number;
  readonly ended: boolean;
  /** Whose turn it is (empty once ended). */
  readonly actor: string;
  readonly seed: number;
  readonly tensions: Readonly<Record<string, number>>;
  readonly derived: Readonly<Record<string, number>>;
  readonly relationship: string;
  readonly stances: Readonly<Record<string, string>>;
  readonly goldstein: number;
  readonly checkpoints: readonly { readonly phase: string; readonly outcome: string }[];
  readonly outcome: string | null;
}

export function describeState(def: ScenarioDefinition, s: SimState): StateView {
  const checkpointPhases = def.phases.filter((p) => p.checkpoint);
  const actor = currentActor(def, s);
  const lane = laneOfState(def, s);
  return {
    phase: def.phases[def.rounds[s.g]!.phase]!.id,
    round: def.rounds[s.g]!.round,
    date: def.rounds[s.g]!.date,
    step: s.step,
    ended: s.ended,
    actor: actor >= 0 ? def.actors[actor]!.id : '',
    seed: s.seed,
    tensions: Object.fromEntries(def.tensions.map((t) => [t.id, s.t[t.index]!])),
    derived: Object.fromEntries(def.derived.map((d) => [d.id, d.value.fn(lane, 0)])),
    relationship: def.relationship.states[s.rel]!,
    stances: Object.fromEntries(def.actors.filter((a) => a.stance).map((a) => [a.id, a.stance!.states[s.st[a.index]!]!])),
    goldstein: s.gs,
    checkpoints: s.judged.map((o, i) => ({ phase: checkpointPhases[i]!.id, outcome: def.outcomes[o]!.id })),
    outcome: s.outcome >= 0 ? def.outcomes[s.outcome]!.id : null,
  };
}
