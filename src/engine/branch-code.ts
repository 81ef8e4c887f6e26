/**
 * Branch codes: a short, shareable text that reproduces a run exactly — the scenario, the seed,
 * the policy, and every decision that did not come from the policy, by step:
 *
 *     petro-trump:42:default:4=show_record+lands_well,5=-,7@99
 *
 * `4=show_record` pulls a lever at step 4, `+branch` forces its branch, `5=-` passes,
 * `7@99` rerolls the seed to 99 before step 7. Steps not listed follow the policy. Steps count
 * decisions from 1, as transcripts, the play screen and debriefs number them (`[4]`); a `Move`
 * holds the engine's 0-based step.
 *
 * The scenario is named by its id, the file name of the scenario without extension. An id with
 * characters other than letters, digits, `_`, `.` and `-` (`сценарий`, `my scenario`, `a:b`), or
 * starting with one of `_.-`, is percent-encoded as UTF-8 (`my%20scenario`), so that every code
 * parses back to its scenario; the bundled ids need no encoding, so their codes are unchanged.
 */
import { safeText } from '../scenario/safe-text.ts';
import { isSeed, type Action } from './types.ts';

export interface Move {
  readonly step: number;
  readonly action: Action;
}

export interface BranchCode {
  readonly scenario: string;
  readonly seed: number;
  readonly policy: string;
  readonly moves: readonly Move[];
}

/** Why a branch code cannot be used. */
export type BranchCodeReason =
  /** The text is not a branch code: a part or a move is malformed, or the moves are not in step order. */
  | 'syntax'
  /** A move does not replay: the rules refuse it where the run is (its lever is not available, no such branch, …). */
  | 'replay'
  /** The run ended before a move of the code. */
  | 'ended-early';

/** What a `BranchCodeError` says besides its message, for a front end to decide on. */
export interface BranchCodeDetails {
  readonly reason: BranchCodeReason;
  /** The step of the move at fault, counted from 1 as the code writes it. */
  readonly step?: number;
  /** The move at fault as the code writes it (`4=show_record`), or the text that should have been one. */
  readonly move?: string;
}

/** A branch code that cannot be used: it does not parse, or it does not replay on its scenario. */
export class BranchCodeError extends Error {
  override readonly name = 'BranchCodeError';
  readonly reason: BranchCodeReason;
  readonly step?: number;
  readonly move?: string;

  constructor(message: string, details: BranchCodeDetails) {
    super(message);
    this.reason = details.reason;
    if (details.step !== undefined) this.step = details.step;
    if (details.move !== undefined) this.move = details.move;
  }

  /** The details as a plain value (they cross the worker-thread boundary as one). */
  get details(): BranchCodeDetails {
    return { reason: this.reason, ...(this.step !== undefined ? { step: this.step } : {}), ...(this.move !== undefined ? { move: this.move } : {}) };
  }
}

/** A move of a code that the rules refuse where the run is (`why` is the rejection's message). */
export function moveRefused(move: Move, why: string): BranchCodeError {
  return new BranchCodeError(`step ${move.step + 1}: ${why}`, { reason: 'replay', step: move.step + 1, move: formatMove(move) });
}

/** A move of a code after the run's end, which came after decision `steps`. */
export function endedBefore(steps: number, move: Move): BranchCodeError {
  return new BranchCodeError(`the run ended after step ${steps}, before the move at step ${move.step + 1}`, { reason: 'ended-early', step: move.step + 1, move: formatMove(move) });
}

const ID = /^[A-Za-z][A-Za-z0-9_]*$/;
/** A scenario as a code writes it: letters, digits, `_.-` and `%XX`, starting with a letter, a digit or `%XX`. */
const SCENARIO = /^(?:[A-Za-z0-9]|%[0-9A-Fa-f]{2})(?:[A-Za-z0-9_.-]|%[0-9A-Fa-f]{2})*$/;
/** Longer scenario names are refused (a file name is at most 255 bytes, 765 characters encoded). */
const SCENARIO_MAX = 1024;

/** The scenario id as a branch code writes it: percent-encoded where needed. */
export function encodeScenario(id: string): string {
  let out = '';
  for (const ch of id) {
    if (/^[A-Za-z0-9]$/.test(ch) || (out !== '' && /^[_.-]$/.test(ch))) out += ch;
    else for (const byte of new TextEncoder().encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Text from a code, for a message: control characters escaped, and cut when long. */
const shown = (text: string): string => safeText(text.length > 80 ? `${text.slice(0, 77)}…` : text);

/** A move as a branch code writes it: `4=show_record`, `4=show_record+lands_well`, `5=-`, `7@99`. */
export function formatMove({ step, action }: Move): string {
  const n = step + 1;
  if (action.type === 'reroll') return `${n}@${action.seed}`;
  if (action.type === 'pass') return `${n}=-`;
  return `${n}=${action.lever}${action.force ? `+${action.force}` : ''}`;
}

export function formatBranchCode(code: BranchCode): string {
  const moves = code.moves.map(formatMove);
  return [encodeScenario(code.scenario), code.seed, code.policy, ...(moves.length ? [moves.join(',')] : [])].join(':');
}

const SYNTAX: BranchCodeDetails = { reason: 'syntax' };

export function parseBranchCode(text: string): BranchCode {
  const trimmed = text.trim();
  const parts = trimmed.split(':');
  if (parts.length < 3 || parts.length > 4) throw new BranchCodeError(`\`${shown(trimmed)}\` is not a branch code: expected SCENARIO:SEED:POLICY[:MOVES], e.g. petro-trump:42:default:4=show_record`, SYNTAX);
  const [scenarioText, seedText, policy, movesText] = parts as [string, string, string, string | undefined];
  const badScenario = () => new BranchCodeError(`bad scenario \`${shown(scenarioText)}\` in the branch code: letters, digits, \`_.-\` and %XX escapes (as Parley prints it)`, SYNTAX);
  if (scenarioText.length > SCENARIO_MAX || !SCENARIO.test(scenarioText)) throw badScenario();
  let scenario: string;
  try {
    scenario = decodeURIComponent(scenarioText);
  } catch {
    throw badScenario();
  }
  const seed = Number(seedText);
  if (!/^\d+$/.test(seedText) || !isSeed(seed)) throw new BranchCodeError(`bad seed \`${shown(seedText)}\` in the branch code: a whole number from 0 to 4294967295`, SYNTAX);
  if (!ID.test(policy)) throw new BranchCodeError(`bad policy \`${shown(policy)}\` in the branch code`, SYNTAX);
  const moves: Move[] = [];
  let lastStep = -1;
  let lastWasDecision = false;
  for (const item of movesText ? movesText.split(',') : []) {
    const m = /^(\d+)(?:=(-|[A-Za-z][A-Za-z0-9_]*)(?:\+([A-Za-z][A-Za-z0-9_]*))?|@(\d+))$/.exec(item);
    if (!m) throw new BranchCodeError(`bad move \`${shown(item)}\` in the branch code: expected STEP=LEVER, STEP=LEVER+BRANCH, STEP=- or STEP@SEED`, { reason: 'syntax', move: item });
    if (Number(m[1]) < 1) throw new BranchCodeError(`bad move \`${item}\` in the branch code: steps count from 1, as the transcript numbers them`, { reason: 'syntax', step: 0, move: item });
    const step = Number(m[1]) - 1;
    if (step < lastStep || (step === lastStep && lastWasDecision)) throw new BranchCodeError(`moves in a branch code must be in step order (at \`${item}\`)`, { reason: 'syntax', step: step + 1, move: item });
    if (m[4] !== undefined) {
      const newSeed = Number(m[4]);
      if (!isSeed(newSeed)) throw new BranchCodeError(`bad seed in \`${item}\``, { reason: 'syntax', step: step + 1, move: item });
      moves.push({ step, action: { type: 'reroll', seed: newSeed } });
      lastWasDecision = false;
    } else {
      if (m[3] !== undefined && m[2] === '-') throw new BranchCodeError(`\`${item}\`: a pass has no branch to force`, { reason: 'syntax', step: step + 1, move: item });
      moves.push({ step, action: m[2] === '-' ? { type: 'pass' } : { type: 'pull', lever: m[2]!, ...(m[3] ? { force: m[3] } : {}) } });
      lastWasDecision = true;
    }
    lastStep = step;
  }
  return { scenario, seed, policy, moves };
}
