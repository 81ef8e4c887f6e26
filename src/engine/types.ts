/**
 * The engine's public data: simulation state, actions, trace entries and rejections.
 * Everything here is plain JSON-serialisable data, so a state can be saved, forked (copied)
 * and compared byte for byte.
 */
import type { EvalState } from '../scenario/expr.ts';
import type { RngState } from './rng.ts';

/**
 * The whole simulation state, the random stream included. Treat it as immutable: `step`
 * returns a new state and never changes the one it was given.
 */
export interface SimState extends EvalState {
  /** Seed of the random stream from this point on (a reroll changes it). */
  seed: number;
  /** Global round index (0-based across phases). */
  g: number;
  /** Index of the next actor to decide in the phase's turn order. */
  turn: number;
  /** Decisions taken so far. */
  step: number;
  t: number[];
  p: number[];
  rel: number;
  st: number[];
  cnt: number[];
  last: number[];
  /** This round's uniform draws, by slot. */
  u: number[];
  /** The random stream's state after this round's block. */
  r: RngState;
  /** Sum of the Goldstein weights of the events so far. */
  gs: number;
  /** Outcome index judged at each checkpoint so far, in order. */
  judged: number[];
  /** Final outcome index, -1 until the run has ended. */
  outcome: number;
  ended: boolean;
}

/** What the actor whose turn it is does. */
export type Action =
  | { readonly type: 'pull'; readonly lever: string; /** Force this branch instead of drawing ("what if"). */ readonly force?: string }
  | { readonly type: 'pass' }
  /** Change the seed from here on, without using a turn. */
  | { readonly type: 'reroll'; readonly seed: number };

/** Who decided an action. */
export type DecidedBy = 'player' | 'policy' | 'auto';

export interface TensionChange {
  readonly tension: string;
  readonly from: number;
  readonly to: number;
}

/** One branch's probability and how it came about. */
export interface BranchOdds {
  readonly branch: string;
  readonly base: number;
  readonly modifiers: readonly { readonly source: string; readonly why: string; readonly add: number; readonly mul: number }[];
  /** After modifiers, clamping and renormalisation. */
  readonly p: number;
}

/** Something that happened within a step; the explanation of "why". */
export type Happening =
  | {
      readonly type: 'lever';
      readonly actor: string;
      readonly lever: string;
      readonly odds: readonly BranchOdds[];
      readonly draw: number;
      readonly branch: string;
      readonly forced: boolean;
      readonly effects: readonly TensionChange[];
      readonly damped: readonly { readonly mediator: string; readonly tension: string; readonly factor: number }[];
      readonly goldstein: number;
    }
  | {
      readonly type: 'event';
      readonly event: string;
      readonly scheduled: boolean;
      readonly hazard: number | null;
      readonly draw: number | null;
      readonly branch: string | null;
      readonly odds: readonly BranchOdds[];
      readonly effects: readonly TensionChange[];
      readonly goldstein: number;
    }
  | { readonly type: 'coupling'; readonly coupling: string; readonly effects: readonly TensionChange[] }
  | { readonly type: 'decay'; readonly effects: readonly TensionChange[] }
  | { readonly type: 'relationship'; readonly from: string; readonly to: string; readonly why: string }
  | { readonly type: 'stance'; readonly actor: string; readonly from: string; readonly to: string; readonly why: string }
  /** A new round begins (its scheduled injects follow). */
  | { readonly type: 'round'; readonly g: number; readonly phase: string; readonly round: number; readonly date: string }
  | { readonly type: 'checkpoint'; readonly phase: string; readonly outcome: string; readonly final: boolean };

/** How a policy chose: every option's weight and the draw. */
export interface PolicyChoice {
  readonly policy: string;
  readonly options: readonly { readonly option: string; readonly weight: number }[];
  readonly draw: number;
}

/** One step of a run: an actor's decision (or a reroll) and everything that followed from it. */
export interface TraceEntry {
  readonly step: number;
  /** Global round index. */
  readonly g: number;
  readonly phase: string;
  readonly round: number;
  readonly date: string;
  readonly actor: string;
  readonly action: Action;
  readonly by: DecidedBy;
  readonly choice?: PolicyChoice;
  readonly happenings: readonly Happening[];
}

export type RejectionReason = 'ended' | 'unknown-lever' | 'not-actor' | 'wrong-phase' | 'condition' | 'used-up' | 'unknown-branch' | 'bad-seed';

/** A rule violation: returned as a value, never thrown. */
export interface Rejection {
  readonly type: 'rejected';
  readonly reason: RejectionReason;
  readonly message: string;
}

export type StepResult = { readonly type: 'stepped'; readonly state: SimState; readonly entry: TraceEntry } | Rejection;

export const MAX_SEED = 2 ** 32 - 1;

export function isSeed(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEED;
}
