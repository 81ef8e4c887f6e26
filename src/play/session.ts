/**
 * The model behind `parley play`, with no terminal in it: a tree of explored branches over
 * immutable simulation states. Every function returns a new `Session` and leaves the one it was
 * given untouched, so "undo" and "fork" are only a matter of which node is current.
 *
 * A node is a decision point of the role being played (or the end of the run). Its `entries`
 * lead from its parent's state (the initial state for the root) to its own: first the decision
 * that made it, then what the actors the role does not control did under the policy.
 *
 * Only `step` draws from a state's random stream; nothing here reads `Math.random` or the clock.
 */
import { compile, policyAction, runFrom, start, step, type CompiledScenario } from '../engine/engine.ts';
import { availableLevers, currentActor, evaluate } from '../engine/state.ts';
import { BranchCodeError, endedBefore, formatBranchCode, formatMove, moveRefused, type Move } from '../engine/branch-code.ts';
import { deriveSeed } from '../engine/rng.ts';
import { markedMoves } from '../analysis/node.ts';
import type { Action, Happening, PolicyChoice, Rejection, SimState, TraceEntry } from '../engine/types.ts';
import { playableActors, type ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';

/** The role that decides for every actor. */
export const FACILITATOR = 'facilitator';

export interface PlayNode {
  readonly id: number;
  readonly parent: number | null;
  /** Explored continuations, in the order they were first taken. */
  readonly children: readonly number[];
  /** From the parent's state (the initial state for the root) to `state`. */
  readonly entries: readonly TraceEntry[];
  /** The state at this node: the role's turn, or the end of the run. */
  readonly state: SimState;
  /** The role's decision that opens this node was left to the policy (`a`, `A`). */
  readonly delegated?: boolean;
}

export interface Session {
  readonly compiled: CompiledScenario;
  /** Seed of the run at its start (a reroll changes the seed of later states only). */
  readonly seed: number;
  readonly policy: string;
  readonly params: Readonly<Record<string, number>>;
  /** `facilitator` or the id of the actor being played. */
  readonly role: string;
  /** The state before the first decision, and the happenings that led to it. */
  readonly initial: SimState;
  readonly opening: readonly Happening[];
  /** Indexed by node id; the root is node 0. */
  readonly nodes: readonly PlayNode[];
  readonly current: number;
  /** Per node, the child last visited from it (what redo goes to). */
  readonly redoTo: Readonly<Record<number, number>>;
  /** The exercise being played, if any (saved with the session). */
  readonly exercise: ExerciseRef | null;
}

/** Which exercise a session plays: its id and the file it was read from. */
export interface ExerciseRef {
  readonly id: string;
  readonly file: string;
}

export interface SessionOptions {
  readonly seed: number;
  readonly role?: string;
  readonly policy?: string;
  readonly params?: Readonly<Record<string, number>>;
  /** Decisions from a branch code: replayed, and the session opens after the last of them. */
  readonly moves?: readonly Move[];
  readonly exercise?: ExerciseRef;
}

/** Roles a student may take: the facilitator, then the playable actors (every actor if none is marked). */
export function roles(def: ScenarioDefinition): { id: string; label: string }[] {
  return [{ id: FACILITATOR, label: 'Facilitator (decides for every actor)' }, ...playableActors(def).map((a) => ({ id: a.id, label: `${a.name} (${a.role})` }))];
}

function checkRole(def: ScenarioDefinition, role: string): void {
  if (role === FACILITATOR || def.actors.some((a) => a.id === role)) return;
  throw new UsageError(`unknown role \`${role}\``, `roles of ${def.id}: ${roles(def).map((r) => r.id).join(', ')}`, '--role');
}

/** Does the role decide for this actor? */
export function controls(def: ScenarioDefinition, role: string, actor: number): boolean {
  return actor >= 0 && (role === FACILITATOR || def.actors[actor]!.id === role);
}

/** Is it the role's decision now (not ended, the role controls the actor, and it has a lever)? */
export function isRoleTurn(session: Session, state: SimState = currentNode(session).state): boolean {
  const { def } = session.compiled;
  const actor = currentActor(def, state);
  return !state.ended && controls(def, session.role, actor) && availableLevers(def, state, actor).length > 0;
}

/**
 * Steps the actors the role does not control (and actors with nothing to pull) under the
 * policy until the role must decide or the run ends. Bounded by the scenario's step limit.
 */
function advance(compiled: CompiledScenario, from: SimState, role: string, policy: string, stopAt = Infinity): { state: SimState; entries: TraceEntry[] } {
  const { def } = compiled;
  let state = from;
  const entries: TraceEntry[] = [];
  for (let guard = 0; !state.ended && state.step < stopAt; guard++) {
    if (guard > def.maxSteps + 1) throw new Error(`play: more than ${def.maxSteps} steps without the role's turn`);
    const actor = currentActor(def, state);
    if (controls(def, role, actor) && availableLevers(def, state, actor).length > 0) break;
    const c = policyAction(compiled, state, policy);
    const result = step(compiled, state, c.action, c.auto ? 'auto' : 'policy', c.choice);
    if (result.type === 'rejected') throw new Error(`play: the policy's move was rejected: ${result.message}`);
    state = result.state;
    entries.push(result.entry);
  }
  return { state, entries };
}

/**
 * A new session from a seed, opened on the role's first decision. With `moves` (a branch
 * code's), the decisions are replayed (steps between them follow the policy) and the session
 * opens after the last one.
 */
export function createSession(compiled: CompiledScenario, options: SessionOptions): Session {
  const { def } = compiled;
  const role = options.role ?? FACILITATOR;
  checkRole(def, role);
  const policy = options.policy ?? 'default';
  const params = options.params ?? {};
  const { state: initial, opening } = start(compiled, options.seed, params);
  policyAction(compiled, initial, policy); // an unknown policy fails here, before anything else
  const moves = options.moves ?? [];
  const nodes: PlayNode[] = [];
  const redoTo: Record<number, number> = {};
  // Steps before the first move follow the policy for everyone when replaying a code.
  let seg = moves.length ? advance(compiled, initial, '', policy, moves[0]!.step) : advance(compiled, initial, role, policy);
  nodes.push({ id: 0, parent: null, children: [], entries: seg.entries, state: seg.state });
  for (let i = 0; i < moves.length; i++) {
    const move = moves[i]!;
    const from = nodes[nodes.length - 1]!;
    if (from.state.ended) throw endedBefore(from.state.step, move);
    if (from.state.step !== move.step) throw new BranchCodeError(`step ${move.step + 1}: the run is at step ${from.state.step + 1}`, { reason: 'replay', step: move.step + 1, move: formatMove(move) });
    const result = step(compiled, from.state, move.action, 'player');
    if (result.type === 'rejected') throw moveRefused(move, result.message);
    const next = moves[i + 1];
    const rest = next ? advance(compiled, result.state, '', policy, next.step) : advance(compiled, result.state, role, policy);
    const id = nodes.length;
    nodes[from.id] = { ...from, children: [id] };
    redoTo[from.id] = id;
    nodes.push({ id, parent: from.id, children: [], entries: [result.entry, ...rest.entries], state: rest.state });
  }
  return { compiled, seed: options.seed, policy, params, role, initial, opening, nodes, current: nodes.length - 1, redoTo, exercise: options.exercise ?? null };
}

export function currentNode(session: Session): PlayNode {
  return session.nodes[session.current]!;
}

const sameAction = (a: Action, b: Action): boolean => JSON.stringify(a) === JSON.stringify(b);

function addChild(session: Session, parentId: number, entries: readonly TraceEntry[], state: SimState, delegated = false): Session {
  const parent = session.nodes[parentId]!;
  const id = session.nodes.length;
  const nodes = session.nodes.slice();
  nodes[parentId] = { ...parent, children: [...parent.children, id] };
  nodes.push({ id, parent: parentId, children: [], entries, state, ...(delegated ? { delegated } : {}) });
  return { ...session, nodes, current: id, redoTo: { ...session.redoTo, [parentId]: id } };
}

function moveTo(session: Session, id: number): Session {
  const node = session.nodes[id]!;
  return { ...session, current: id, redoTo: node.parent === null ? session.redoTo : { ...session.redoTo, [node.parent]: id } };
}

/**
 * The role decides `action` at the current node; the actors it does not control follow. An
 * action already explored from this node goes back to that child (the same action from the same
 * state always gives the same branch); a new one forks a sibling. Rule violations come back as
 * a `Rejection` value.
 */
export function act(session: Session, action: Action): Session | Rejection {
  return decide(session, action, 'player');
}

/** `act`, recording who decided: the player, or the policy deciding for the player's role (`a`). */
function decide(session: Session, action: Action, by: 'player' | 'policy', choice?: PolicyChoice): Session | Rejection {
  const node = currentNode(session);
  const existing = by === 'player' ? node.children.find((c) => {
    const first = session.nodes[c]!.entries[0];
    return first !== undefined && first.by === 'player' && sameAction(first.action, action);
  }) : undefined;
  if (existing !== undefined) return moveTo(session, existing);
  if (action.type !== 'reroll' && !node.state.ended && !controls(session.compiled.def, session.role, currentActor(session.compiled.def, node.state))) {
    return { type: 'rejected', reason: 'not-actor', message: `it is not ${session.role}'s turn` };
  }
  const result = step(session.compiled, node.state, action, by, choice);
  if (result.type === 'rejected') return result;
  const rest = advance(session.compiled, result.state, session.role, session.policy);
  return addChild(session, node.id, [result.entry, ...rest.entries], rest.state, by === 'policy');
}

/**
 * Lets the policy decide for the role: this turn, or (with `toPhaseEnd`) every turn until the
 * phase changes or the run ends — so a facilitator need not decide 150 aftermath turns by hand.
 * The decisions are recorded as the policy's (the log says so), each in a node of its own that
 * the branch code lists, so that the code reopens this node.
 */
export function policyMove(session: Session, toPhaseEnd = false): Session | Rejection {
  const def = session.compiled.def;
  const phaseOf = (state: SimState) => def.rounds[state.g]!.phase;
  const startPhase = phaseOf(currentNode(session).state);
  let current = session;
  for (let guard = 0; guard <= def.maxSteps; guard++) {
    const state = currentNode(current).state;
    if (state.ended || (guard > 0 && (!toPhaseEnd || phaseOf(state) !== startPhase))) break;
    const chosen = policyAction(session.compiled, state, session.policy);
    const next = decide(current, chosen.action, 'policy', chosen.choice);
    if ('type' in next) return next;
    current = next;
  }
  return current;
}

/** Pulls a lever (optionally forcing one of its branches: "what if it went this way?"). */
export function pull(session: Session, lever: string, force?: string): Session | Rejection {
  return act(session, { type: 'pull', lever, ...(force ? { force } : {}) });
}

/**
 * A seed for "reroll from here" that is new among this node's explored rerolls. Derived from the
 * node's state, never from `Math.random`, so a session replays exactly.
 */
export function nextRerollSeed(session: Session, id = session.current): number {
  const node = session.nodes[id]!;
  const taken = new Set([node.state.seed, ...node.children.map((c) => session.nodes[c]!.entries[0]?.action).flatMap((a) => (a?.type === 'reroll' ? [a.seed] : []))]);
  for (let i = 0; ; i++) {
    const seed = deriveSeed(node.state.seed, node.state.step * 1009 + i);
    if (!taken.has(seed)) return seed;
  }
}

/** Rerolls the seed from the current node on (the turn does not pass). */
export function reroll(session: Session, seed = nextRerollSeed(session)): Session | Rejection {
  return act(session, { type: 'reroll', seed });
}

/**
 * The node opened by the last pull that drew its branch, on the path to `id`: that node itself,
 * or the nearest above it; null before any. A forced pull drew nothing, and the root opened
 * with no decision of the role.
 */
export function lastDrawn(session: Session, id = session.current): number | null {
  for (let n: number | null = id; n !== null; n = session.nodes[n]!.parent) {
    const node: PlayNode = session.nodes[n]!;
    const first = node.entries.find((e) => e.action.type !== 'reroll');
    if (node.parent === null || !first || (first.by !== 'player' && !node.delegated)) continue;
    if (first.action.type === 'pull' && first.action.force === undefined && (session.compiled.def.leverById.get(first.action.lever)?.branches.length ?? 0) > 1) return n;
  }
  return null;
}

/**
 * Draws the pull that opens node `id` (see `lastDrawn`) again: from the same state, the same
 * lever, after a reroll to a seed not yet tried there, so the draw is new. The result is a new
 * node beside the old one, which stays in the tree; the new node becomes current. What the
 * policy does after the pull follows the new seed too.
 */
export function redraw(session: Session, id: number): Session | Rejection {
  const node = session.nodes[id]!;
  const pullEntry = node.entries.find((e) => e.action.type !== 'reroll')!;
  const parent = node.parent!;
  const rerolled = step(session.compiled, session.nodes[parent]!.state, { type: 'reroll', seed: nextRerollSeed(session, parent) }, 'player');
  if (rerolled.type === 'rejected') return rerolled;
  const pulled = step(session.compiled, rerolled.state, pullEntry.action, pullEntry.by === 'player' ? 'player' : 'policy');
  if (pulled.type === 'rejected') return pulled;
  const rest = advance(session.compiled, pulled.state, session.role, session.policy);
  return addChild(session, parent, [rerolled.entry, pulled.entry, ...rest.entries], rest.state, node.delegated === true);
}

/**
 * Where the branches to nodes `a` and `b` part: the last node both paths share, and the first
 * node on each path after it (null where one node is on the other's path).
 */
export function forkOf(session: Session, a: number, b: number): { readonly at: number; readonly a: number | null; readonly b: number | null } {
  const pa = pathTo(session, a);
  const pb = pathTo(session, b);
  let k = 0;
  while (k < pa.length && k < pb.length && pa[k] === pb[k]) k++;
  return { at: pa[k - 1]!, a: pa[k] ?? null, b: pb[k] ?? null };
}

/** Back to the parent node; the branch stays in the tree for redo. */
export function undo(session: Session): Session {
  const parent = currentNode(session).parent;
  return parent === null ? session : { ...session, current: parent };
}

/** Forward to the child last visited from here (or the first explored). */
export function redo(session: Session): Session {
  const node = currentNode(session);
  const child = session.redoTo[node.id] ?? node.children[0];
  return child === undefined ? session : { ...session, current: child };
}

export function canUndo(session: Session): boolean {
  return currentNode(session).parent !== null;
}

export function canRedo(session: Session): boolean {
  return currentNode(session).children.length > 0;
}

/** Makes any node of the tree current (resume from there). */
export function goTo(session: Session, id: number): Session {
  if (!Number.isInteger(id) || id < 0 || id >= session.nodes.length) throw new RangeError(`no node ${id} in the tree`);
  return moveTo(session, id);
}

/**
 * Plays as another role. If the current actor is no longer the role's, the policy moves on to
 * the role's next decision (a new node, or the one already explored that way).
 */
export function setRole(session: Session, role: string): Session {
  checkRole(session.compiled.def, role);
  const next = { ...session, role };
  const node = currentNode(next);
  if (node.state.ended || isRoleTurn(next)) return next;
  const rest = advance(session.compiled, node.state, role, session.policy);
  // The policy's continuation from a node is always the same; it only stops at another turn.
  const existing = node.children.find((c) => {
    const { entries, delegated } = session.nodes[c]!;
    return !delegated && entries[0]?.by !== 'player' && entries.length === rest.entries.length;
  });
  if (existing !== undefined) return moveTo(next, existing);
  return addChild(next, node.id, rest.entries, rest.state);
}

/** Node ids from the root to `id`. */
export function pathTo(session: Session, id = session.current): number[] {
  const path: number[] = [];
  for (let n: number | null = id; n !== null; n = session.nodes[n]!.parent) path.push(n);
  return path.reverse();
}

/** Every trace entry from the start of the run to node `id`. */
export function entriesTo(session: Session, id = session.current): TraceEntry[] {
  return pathTo(session, id).flatMap((n) => session.nodes[n]!.entries);
}

/** The state before node `id`'s entries (its parent's, or the initial state). */
export function stateBefore(session: Session, id = session.current): SimState {
  const parent = session.nodes[id]!.parent;
  return parent === null ? session.initial : session.nodes[parent]!.state;
}

/**
 * The moves a branch code needs to reach node `id`: the player's decisions, and the role's turns
 * the player let the policy take (`a`, `A`) — those open a node of their own — so that the code
 * reopens this very node. The log still says they were the policy's.
 */
export function movesTo(session: Session, id = session.current): Move[] {
  return pathTo(session, id).flatMap((n) => {
    const node = session.nodes[n]!;
    return node.entries.flatMap((e, k) => (e.by === 'player' || (k === 0 && node.parent !== null && e.by === 'policy' && node.delegated) ? [{ step: e.step, action: e.action }] : []));
  });
}

/** The shareable branch code of node `id`: `parley play --branch CODE` reopens it. */
export function branchCode(session: Session, id = session.current): string {
  return formatBranchCode({ scenario: session.compiled.def.codeName ?? session.compiled.def.id, seed: session.seed, policy: session.policy, moves: movesTo(session, id) });
}

/**
 * Node `id` itself as a branch code for the analyses (`parley compare --branch CODE`): its moves,
 * marked when the policy moved on past the last of them (`markedMoves`).
 */
export function nodeBranchCode(session: Session, id = session.current): string {
  const moves = markedMoves(movesTo(session, id), session.nodes[id]!.state);
  return formatBranchCode({ scenario: session.compiled.def.codeName ?? session.compiled.def.id, seed: session.seed, policy: session.policy, moves });
}

/** How the run would end from `state` if every actor followed the policy (deterministic). */
export function projectedOutcome(session: Session, state: SimState): string {
  const { def } = session.compiled;
  if (state.ended) return def.outcomes[state.outcome]!.id;
  return runFrom(session.compiled, state, { policy: session.policy, executor: 'fast', trace: false }).outcome.id;
}

export interface Comparison {
  readonly a: number;
  readonly b: number;
  readonly rows: readonly { readonly label: string; readonly a: string; readonly b: string; readonly differs: boolean }[];
  /**
   * The outcome of each side: the real one where its run has ended, otherwise a projection —
   * how it would end if every actor followed the session's policy from there.
   */
  readonly outcome: { readonly a: OutcomeOf; readonly b: OutcomeOf };
}

export interface OutcomeOf {
  readonly label: string;
  readonly projected: boolean;
}

/** Two nodes side by side: where, tensions, derived values, relationship, stances; and each one's outcome, real or projected. */
export function compareNodes(session: Session, a: number, b: number): Comparison {
  const { def } = session.compiled;
  const sa = session.nodes[a]!.state;
  const sb = session.nodes[b]!.state;
  const rows: { label: string; a: string; b: string; differs: boolean }[] = [];
  const row = (label: string, x: string, y: string) => rows.push({ label, a: x, b: y, differs: x !== y });
  const where = (s: SimState) => {
    const r = def.rounds[s.g]!;
    return `${def.phases[r.phase]!.label} r${r.round} · ${stepLabel(s)}`;
  };
  row('At', where(sa), where(sb));
  row('Seed', String(sa.seed), String(sb.seed));
  // Rounded as the state panel rounds (half up, one decimal), so both show the same number.
  const fmt = (x: number) => {
    const r = Math.round(x * 10) / 10;
    return Number.isInteger(r) ? String(r) : r.toFixed(1);
  };
  for (const t of def.tensions) row(`${t.label} (${t.id})`, fmt(sa.t[t.index]!), fmt(sb.t[t.index]!));
  for (const d of def.derived) row(d.label, fmt(evaluate(d.value, sa)), fmt(evaluate(d.value, sb)));
  row('Relationship', def.relationship.labels[sa.rel]!, def.relationship.labels[sb.rel]!);
  for (const actor of def.actors) {
    if (!actor.stance) continue;
    row(`${actor.name} stance`, actor.stance.labels[sa.st[actor.index]!]!, actor.stance.labels[sb.st[actor.index]!]!);
  }
  const outcome = (s: SimState): OutcomeOf => ({ label: def.outcomes.find((x) => x.id === projectedOutcome(session, s))!.label, projected: !s.ended });
  return { a, b, rows, outcome: { a: outcome(sa), b: outcome(sb) } };
}

/** Builds a session of a scenario straight from its definition (tests, scripts). */
export function sessionOf(def: ScenarioDefinition, options: SessionOptions): Session {
  return createSession(compile(def), options);
}

/**
 * Where a state stands, in the numbering of transcripts and branch codes (decisions from 1):
 * `step 4` when the fourth decision is next, `after step 149` once the run has ended.
 */
export function stepLabel(s: SimState): string {
  return s.ended ? `after step ${s.step}` : `step ${s.step + 1}`;
}
