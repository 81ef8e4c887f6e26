/**
 * Exact outcome probabilities from a node, by enumerating the rest of the outcome tree: every
 * draw of a run — a policy's choice among its options (a random or weighted policy chooses by
 * a draw too), a lever's branch, an event's hazard and its branch — is split into the branches
 * it can take, each with its probability, and the kernel itself takes each branch.
 *
 * A draw decides by comparing a uniform number with thresholds (cumulative weights, cumulative
 * branch odds, a hazard), and each draw slot is read at most once a round (an actor decides at
 * most once a round; an event fires at most once a round), so a branch is taken by putting a
 * number inside its interval into the draw's slot before the kernel reads it. The thresholds
 * are the kernel's own: the policy's explained choice (`decide`), a lever's odds (`leverOddsOn`),
 * and for events the hazard and odds the kernel logs when the event fires (probed by a draw of 0).
 *
 * States at the start of a round do not depend on the draws before them, so equal ones are
 * enumerated once. The enumeration stops, returning null, past a budget of expanded nodes.
 */
import { candidatesOf, decide } from '../engine/decide.ts';
import { actorNow, advanceTurn, kernelFor, lanesOf, type Kernel } from '../engine/kernel.ts';
import { leverOddsOn, pullChosen } from '../engine/pull.ts';
import { endRound, roundEffects } from '../engine/round-end.ts';
import { load, store, type RunLanes } from '../engine/runs.ts';
import type { Happening, SimState } from '../engine/types.ts';
import { slot, type ScenarioDefinition } from '../scenario/definition.ts';

export interface ExactOptions {
  readonly policy: string;
  /** Index among the checkpoints whose outcome counts, or -1 for the final outcome. */
  readonly checkpoint: number;
  /** Most nodes to expand before giving up. */
  readonly budget: number;
  /**
   * True when the node is the start of a run whose first round's scheduled injects are still to
   * be drawn (a batch's runs from the start): those must then have no branches.
   */
  readonly atStart?: boolean;
}

export type ExactResult =
  | { readonly type: 'exact'; readonly p: readonly number[]; readonly nodes: number }
  | { readonly type: 'too-big'; readonly nodes: number }
  | { readonly type: 'unsupported'; readonly why: string };

/** Default node budget: about a quarter of a second on the small fixtures. */
export const EXACT_BUDGET = 20_000;

class TooBig extends Error {}

/**
 * Why the tree from `state` cannot be enumerated exactly, or null: a scheduled inject with
 * branches draws its branch as its round begins, from the seed, before any decision of the
 * round, which this enumeration does not split.
 */
export function exactUnsupported(def: ScenarioDefinition, state: SimState, atStart: boolean): string | null {
  for (let g = atStart ? state.g : state.g + 1; g < def.rounds.length; g++) {
    for (const e of def.schedule[g]!) if (def.events[e]!.branches.length > 1) return `the scheduled event \`${def.events[e]!.id}\` draws one of its branches as round ${g + 1} begins`;
  }
  return null;
}

/**
 * A rough upper bound on the number of nodes below `state` (log10), to the end or to the end of
 * checkpoint `checkpoint` (index among the checkpoints), to skip enumerations that cannot fit the
 * budget without trying them.
 */
export function treeSizeBound(def: ScenarioDefinition, state: SimState, checkpoint = -1): number {
  let log = 0;
  const branches = (n: number) => Math.log10(Math.max(1, n));
  const phase = checkpoint >= 0 ? def.phases.filter((p) => p.checkpoint)[checkpoint] : undefined;
  const end = phase ? phase.firstRound + phase.rounds : def.rounds.length;
  for (let g = state.g; g < end; g++) {
    const phase = def.rounds[g]!.phase;
    const order = def.phases[phase]!.turnOrder;
    for (let t = g === state.g ? state.turn : 0; t < order.length; t++) {
      const levers = def.leversByActorPhase[order[t]!]?.[phase] ?? [];
      const most = Math.max(1, ...levers.map((l) => l.branches.length));
      log += branches(levers.length + 1) + branches(most);
    }
    for (const e of def.events) if (e.hazard && e.phases[phase]) log += branches(1 + Math.max(1, e.branches.length));
  }
  return log;
}

/** Exact outcome probabilities (by outcome index) from `state`, or why there are none. */
export function exactOdds(def: ScenarioDefinition, state: SimState, options: ExactOptions): ExactResult {
  const why = exactUnsupported(def, state, options.atStart ?? false);
  if (why) return { type: 'unsupported', why };
  const e = new Enumeration(def, options);
  try {
    const p = e.value(state);
    return { type: 'exact', p: Array.from(p), nodes: e.nodes };
  } catch (error) {
    if (error instanceof TooBig) return { type: 'too-big', nodes: e.nodes };
    throw error;
  }
}

/** One branch of a step: its probability and the state it leads to. */
type Child = readonly [number, SimState];

class Enumeration {
  nodes = 0;
  private readonly k: Kernel;
  private readonly L: RunLanes;
  private readonly memo = new Map<string, Float64Array>();
  private readonly outcomes: number;

  constructor(
    private readonly def: ScenarioDefinition,
    private readonly options: ExactOptions,
  ) {
    this.k = kernelFor(def, options.policy, 1);
    this.L = lanesOf(this.k);
    this.L.n = 1;
    this.outcomes = def.outcomes.length;
  }

  /** Probabilities of each outcome from `s`. */
  value(s: SimState): Float64Array {
    const c = this.options.checkpoint;
    if (s.ended) return this.point(c < 0 ? s.outcome : s.judged[c]!);
    if (c >= 0 && s.judged.length > c) return this.point(s.judged[c]!);
    const key = s.turn === 0 ? keyOf(s) : null;
    if (key !== null) {
      const known = this.memo.get(key);
      if (known) return known;
    }
    if (++this.nodes > this.options.budget) throw new TooBig();
    const out = new Float64Array(this.outcomes);
    for (const [p, child] of this.children(s)) {
      const v = this.value(child);
      for (let o = 0; o < out.length; o++) out[o] = out[o]! + p * v[o]!;
    }
    if (key !== null) this.memo.set(key, out);
    return out;
  }

  private point(o: number): Float64Array {
    const v = new Float64Array(this.outcomes);
    v[o] = 1;
    return v;
  }

  private reload(s: SimState): RunLanes {
    load(this.L, 0, s);
    return this.L;
  }

  /** The branches of the decision at `s` (and of the end of the round, when it is the round's last). */
  private children(s: SimState): Child[] {
    const { k, def } = this;
    const L = this.reload(s);
    const actor = actorNow(L);
    const policySlot = slot.policy(actor);
    const branchSlot = slot.branch(actor);
    const out: Child[] = [];
    for (const [pChoice, draw] of choiceSplits(k, L, actor)) {
      // The kernel chooses with the draw put in its slot.
      this.reload(s).u[policySlot] = draw;
      decide(k, L, false, actor);
      const c = k.w.chosen[0]!;
      if (c < 0) {
        this.after(pChoice, out);
        continue;
      }
      const lever = candidatesOf(def, L, actor)[c]!;
      const p = leverOddsOn(k, L, 0, lever, actor).map((o) => o.p);
      for (const [pBranch, u] of pickSplits(p)) {
        const lane = this.reload(s);
        lane.u[policySlot] = draw;
        lane.u[branchSlot] = u;
        k.w.chosen[0] = c;
        pullChosen(k, lane, null, actor);
        this.after(pChoice * pBranch, out);
      }
    }
    return out;
  }

  /** The lane has taken its decision: the turn moves on, and the round ends if it was its last. */
  private after(p: number, out: Child[]): void {
    const L = this.L;
    if (!advanceTurn(L)) {
      out.push([p, store(L, 0)]);
      return;
    }
    const before = store(L, 0);
    const phase = this.def.rounds[before.g]!.phase;
    const events = this.def.events.filter((e) => e.hazard && e.phases[phase] && before.last[e.historyKey] !== before.g).map((e) => e.index);
    this.roundEnd(before, events, 0, [], p, out);
  }

  /**
   * The end of the round from `before`, the first `j` eligible events' draws fixed by `draws`
   * (slot, value pairs): event j's hazard and odds are read from the kernel's log with its
   * hazard draw at 0 (it fires if its hazard is above 0), then each of its branches is taken.
   */
  private roundEnd(before: SimState, events: readonly number[], j: number, draws: readonly (readonly [number, number])[], p: number, out: Child[]): void {
    const { k, def } = this;
    // Each combination of the round's events counts as a node: they multiply as decisions do.
    if (++this.nodes > this.options.budget) throw new TooBig();
    if (j === events.length) {
      const L = this.reload(before);
      for (const [at, u] of draws) L.u[at] = u;
      endRound(k, L, null);
      out.push([p, store(L, 0)]);
      return;
    }
    const event = def.events[events[j]!]!;
    const hazardSlot = slot.hazard(def, event.index);
    const branchSlot = slot.eventBranch(def, event.index);
    const L = this.reload(before);
    for (const [at, u] of draws) L.u[at] = u;
    L.u[hazardSlot] = 0;
    const log: Happening[] = [];
    roundEffects(k, L, log);
    const fired = log.find((h): h is Extract<Happening, { type: 'event' }> => h.type === 'event' && h.event === event.id && !h.scheduled);
    const hazard = fired?.hazard ?? 0;
    if (hazard < 1) this.roundEnd(before, events, j + 1, [...draws, [hazardSlot, (1 + hazard) / 2]], p * (1 - hazard), out);
    if (hazard <= 0) return;
    const fires: [number, number] = [hazardSlot, hazard / 2];
    if (fired!.odds.length === 0) {
      this.roundEnd(before, events, j + 1, [...draws, fires], p * hazard, out);
      return;
    }
    for (const [pBranch, u] of pickSplits(fired!.odds.map((o) => o.p))) this.roundEnd(before, events, j + 1, [...draws, fires, [branchSlot, u]], p * hazard * pBranch, out);
  }
}

/**
 * The policy's options at a decision: for each option with weight, its probability and a draw
 * inside its interval (the kernel picks option o when draw × total falls below the cumulative
 * weight, options in order, then passing). One branch, of probability 1, when nothing is drawn.
 */
function choiceSplits(k: Kernel, L: RunLanes, actor: number): (readonly [number, number])[] {
  const choice = decide(k, L, true, actor);
  if (!choice) return [[1, 0]];
  const total = choice.options.reduce((sum, o) => sum + o.weight, 0);
  if (!(total > 0)) return [[1, 0]];
  const out: (readonly [number, number])[] = [];
  let acc = 0;
  for (const o of choice.options) {
    const from = acc;
    acc += o.weight;
    if (o.weight > 0) out.push([o.weight / total, (from + acc) / 2 / total]);
  }
  return out;
}

/** `pick`'s branches for probabilities `p` (cumulative, in order): each with weight, its probability and a draw inside its interval. */
function pickSplits(p: readonly number[]): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  let acc = 0;
  for (let b = 0; b < p.length; b++) {
    const from = acc;
    acc += p[b]!;
    const to = b === p.length - 1 ? 1 : acc;
    if (p[b]! > 0 && to > from) out.push([p[b]!, (from + to) / 2]);
  }
  return out;
}

/** What the rest of a run from the start of a round depends on: the state but its seed, draws, random stream and Goldstein sum. */
function keyOf(s: SimState): string {
  return `${s.g}|${s.step}|${s.rel}|${s.t.join(',')}|${s.p.join(',')}|${s.st.join(',')}|${s.cnt.join(',')}|${s.last.join(',')}|${s.judged.join(',')}`;
}
