/**
 * Runs start, take the moves of a branch and advance to their end (see kernel.ts): the one loop
 * that every run of the kernel goes through, a single traced run and a batch group alike.
 */
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { endedBefore, moveRefused, type Move } from './branch-code.ts';
import { candidatesOf, decide, rejectOn } from './decide.ts';
import { actorNow, advanceTurn, nonFinite, notFinite, type Kernel, type Log } from './kernel.ts';
import { pull, pullChosen } from './pull.ts';
import { drawBlock, drawLanes, seedStream, skipDraws } from './rng.ts';
import { endRound, fireScheduled } from './round-end.ts';
import type { RunLanes } from './runs.ts';
import type { Action, DecidedBy, Happening, PolicyChoice, TraceEntry } from './types.ts';

/**
 * Lanes `0..n)` start: parameter values, starting tensions, charts, an empty history, the
 * first round's draws from each seed, and its scheduled injects.
 */
export function begin(L: RunLanes, n: number, runs: (i: number) => { readonly seed: number; readonly params: readonly number[] }, log: Log): void {
  const def = L.def;
  L.n = n;
  L.g = 0;
  L.turn = 0;
  L.step = 0;
  L.ended = false;
  L.judgedCount = 0;
  const { nt, np, na, nh } = L;
  for (let i = 0; i < n; i++) {
    const { seed, params } = runs(i);
    L.p.set(params, i * np);
    L.rel[i] = def.relationship.initial;
    for (let a = 0; a < na; a++) L.st[i * na + a] = def.actors[a]!.stance?.initial ?? -1;
    L.cnt.fill(0, i * nh, (i + 1) * nh);
    L.last.fill(-1, i * nh, (i + 1) * nh);
    L.seed[i] = seed;
    L.gs[i] = 0;
    L.outcome[i] = -1;
    const r = seedStream(seed);
    L.rng.c[i] = r.c;
    L.rng.s0[i] = r.s0;
    L.rng.s1[i] = r.s1;
    L.rng.s2[i] = r.s2;
    for (const t of def.tensions) {
      const value = t.initial.fn(L, i);
      if (notFinite(value)) throw nonFinite(def, value, `the initial value of tension \`${t.id}\``, t.initialSource);
      L.t[i * nt + t.index] = value;
    }
  }
  drawLanes(L.rng, n, L.slots, L.u);
  for (let i = 0; i < n; i++) fireScheduled(L, i, log);
}

/**
 * Lane `i` changes its seed from this point on: the current round's block (and every later
 * one) is the new seed's block for this round, exactly as if the run had started with it.
 */
export function reroll(L: RunLanes, i: number, seed: number): void {
  L.seed[i] = seed;
  const block = drawBlock(skipDraws(seedStream(seed), L.g * L.slots), L.slots);
  L.u.set(block.u, i * L.slots);
  L.rng.c[i] = block.state.c;
  L.rng.s0[i] = block.state.s0;
  L.rng.s1[i] = block.state.s1;
  L.rng.s2[i] = block.state.s2;
}

/**
 * A move in lane `i` (a reroll, or a pull or pass that must be available), short of advancing
 * the turn: the caller advances once for all lanes. Returns whether the move takes a turn.
 */
export function takeMoveOn(k: Kernel, L: RunLanes, i: number, move: Move, log: Log): boolean {
  const { action } = move;
  const actor = actorNow(L);
  const rejected = rejectOn(L, i, actor, action);
  if (rejected) throw moveRefused({ step: L.step, action }, rejected.message);
  if (action.type === 'reroll') {
    reroll(L, i, action.seed);
    return false;
  }
  if (action.type === 'pass') return true;
  const lever = k.def.leverById.get(action.lever)!;
  const force = action.force === undefined ? -1 : lever.branches.findIndex((b) => b.id === action.force);
  k.w.group[0] = i;
  pull(k, L, actor, lever, 1, force, log);
  return true;
}

/**
 * Can these runs share a set of lanes? Their moves, if any, must fall on the same steps and be
 * of the same kind there (a reroll takes no turn, a pull or a pass does).
 */
export function inLockStep(moves: readonly (readonly Move[])[]): boolean {
  const first = moves[0] ?? [];
  const rerolls = (m: Move): boolean => m.action.type === 'reroll';
  return moves.every((ms) => ms.length === first.length && ms.every((m, i) => m.step === first[i]!.step && rerolls(m) === rerolls(first[i]!)));
}

/** The trace entry of a step taken at round `g`, step `step`, by `actor` (or -1 once ended). */
export function traceEntry(def: ScenarioDefinition, at: { readonly g: number; readonly step: number }, actor: number, action: Action, by: DecidedBy, choice: PolicyChoice | null | undefined, happenings: Happening[]): TraceEntry {
  const round = def.rounds[at.g]!;
  const phase = def.phases[round.phase]!.id;
  const who = actor >= 0 ? def.actors[actor]!.id : '';
  return choice
    ? { step: at.step, g: at.g, phase, round: round.round, date: round.date, actor: who, action, by, choice, happenings }
    : { step: at.step, g: at.g, phase, round: round.round, date: round.date, actor: who, action, by, happenings };
}

/**
 * Runs the lanes of `L` (already begun or loaded) to their end, under the policy except where
 * `moves` (by lane, sharing steps and kinds: `inLockStep`) say otherwise. With `steps` (one
 * lane), each step's trace entry is recorded, with its happenings. Returns false as soon as `stopped()` says
 * so (it is asked before every step); the lanes are then part-way.
 */
export function runToEnd(k: Kernel, L: RunLanes, moves: (i: number) => readonly Move[], steps: TraceEntry[] | null, stopped?: () => boolean): boolean {
  const def = k.def;
  const first = moves(0);
  const limit = def.maxSteps + first.length + 1;
  let next = 0;
  while (next < first.length && first[next]!.step < L.step) next++;
  for (let guard = 0; !L.ended; guard++) {
    if (guard > limit) throw new Error(`run exceeded ${limit} steps: the scenario's timeline should bound it`);
    if (stopped?.()) return false;
    const log: Happening[] | null = steps ? [] : null;
    const at = steps ? { g: L.g, step: L.step } : null;
    const actor = actorNow(L);
    if (next < first.length && first[next]!.step === L.step) {
      // A move of a branch: each run takes its own (rare: once per move per run).
      let turn = false;
      for (let i = 0; i < L.n; i++) turn = takeMoveOn(k, L, i, moves(i)[next]!, log);
      if (turn && advanceTurn(L)) endRound(k, L, log);
      steps?.push(traceEntry(def, at!, actor, first[next]!.action, 'player', null, log!));
      next++;
      continue;
    }
    const choice = decide(k, L, steps !== null, actor);
    const c = k.w.chosen[0]!;
    const action: Action = steps && c >= 0 ? { type: 'pull', lever: candidatesOf(def, L, actor)[c]!.id } : PASS;
    pullChosen(k, L, log, actor);
    if (advanceTurn(L)) endRound(k, L, log);
    steps?.push(traceEntry(def, at!, actor, action, choice ? 'policy' : 'auto', choice, log!));
  }
  if (next < first.length) throw endedBefore(L.step, first[next]!);
  return true;
}

const PASS: Action = Object.freeze({ type: 'pass' });
