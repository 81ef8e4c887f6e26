/**
 * The lines of the advice view (`w`, "what if I pull each?"): each move of the actor deciding
 * here with its chance of the goal, its 95% interval and its paired difference against default
 * play, and the outcome picker that changes the goal. Plain functions, so tests can read them.
 */
import type { ScenarioDefinition } from '../src/index.ts';
import { adviceGoalLabel, type Advice, type AdviceGoal, type Estimate } from '../src/play/advice.ts';
import { s, wrap, type Line, type Seg } from './text.ts';

/** What the view shows: the goal, and the computation's progress or its result. */
export interface AdviceState {
  readonly goal: AdviceGoal;
  readonly runs: number;
  /** Runs done per move so far. */
  readonly done: number;
  readonly result: Advice | null;
  readonly error: string | null;
}

const pc = (p: number): string => `${(p * 100).toFixed(1)}%`;
const range = (ci: readonly [number, number]): string => `${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)}`;
const points = (x: number): string => `${x >= 0.0005 ? '+' : x <= -0.0005 ? '−' : '±'}${Math.abs(x * 100).toFixed(1)}`;
const signed = (x: number): string => `${x < -0.00005 ? '−' : '+'}${Math.abs(x * 100).toFixed(1)}`;

const dim = (text: string, width: number): Line[] => wrap(text, width).map((l): Line => [s(l, { dim: true })]);

export function adviceLines(def: ScenarioDefinition, view: AdviceState, width: number, policy: string, exercise: boolean, command?: string): Line[] {
  const out: Line[] = [];
  const goal = adviceGoalLabel(def, view.goal);
  wrap(`Goal: ${goal}`, width).forEach((l, i) => out.push([s(l, i === 0 ? { bold: true } : {})]));
  out.push(...dim(exercise ? '(in an exercise the goal is its objective)' : 'o changes the goal (the outcomes that count).', width));
  out.push([]);
  const { result } = view;
  if (view.error) {
    out.push(...wrap(`Cannot compute the advice: ${view.error}`, width).map((l): Line => [s(l, { color: 'red' })]));
    return out;
  }
  if (!result) {
    const share = view.runs ? view.done / view.runs : 0;
    const text = `computing… ${view.done.toLocaleString('en-US')} of ${view.runs.toLocaleString('en-US')} runs per move `;
    const barW = Math.max(0, Math.min(30, width - [...text].length));
    const full = Math.round(share * barW);
    out.push([s(text, { bold: true }), s('█'.repeat(full) + '·'.repeat(barW - full), { color: 'cyan' })]);
    out.push(...dim('Keys keep working; Esc cancels. Your own play is not changed.', width));
    return out;
  }
  out.push(...wrap(`An estimate from ${result.runs.toLocaleString('en-US')} runs per move, every move on the same random numbers. Your own play is not changed.`, width).map((l): Line => [s(l, { color: 'yellow' })]));
  out.push(...wrap(`Each move of ${result.actor} here, then everyone on the ${policy} policy to the end.`, width).map((l): Line => [s(l)]));
  wrap(`Default play here (the ${policy} policy's own choice): P(goal) ${pc(result.policy.p)} (95% ${range(result.policy.ci95)})`, width).forEach((l) => out.push([s(l, { bold: true })]));
  out.push([]);
  for (const move of result.moves) {
    const lo = move.vsPolicy.ci95[0];
    const hi = move.vsPolicy.ci95[1];
    // A difference sure of its sign but under half a point in all its interval is no difference to a player.
    const tiny = Math.max(Math.abs(lo), Math.abs(hi)) < 0.005;
    const verdict = tiny ? 'about the same' : lo > 0 ? 'better' : hi < 0 ? 'worse' : 'no clear difference';
    const color = tiny ? undefined : lo > 0 ? 'green' : hi < 0 ? 'red' : undefined;
    wrap(move.id === 'pass' ? 'Pass (pull nothing)' : move.label, width - 2).forEach((l, i) => out.push([s(i === 0 ? '• ' : '  '), s(l, { bold: true })]));
    const figures: Seg[] = [s('    P(goal) '), s(pc(move.goal.p), { bold: true }), s(` (95% ${range(move.goal.ci95)})`, { dim: true })];
    const against: Seg[] = [s('    vs default '), s(`${points(move.vsPolicy.p)} pts`, { bold: true, ...(color ? { color } : {}) }), s(` (${signed(lo)}…${signed(hi)}) `, { dim: true }), s(verdict, color ? { color } : { dim: true })];
    const often = move.policyP > 0 && move.policyP < 0.005 ? 'under 1%' : `${Math.round(move.policyP * 100)}%`;
    const chosen = `    the ${policy} policy picks it here ${often} of the time`;
    const len = (segs: readonly Seg[]) => segs.reduce((n, x) => n + [...x.t].length, 0);
    if (len(figures) + len(against) - 2 <= width) out.push([...figures, s('  '), ...against.map((x, i) => (i === 0 ? s(x.t.trimStart()) : x))]);
    else out.push(figures, against);
    out.push([s(chosen, { dim: true })]);
  }
  out.push([]);
  out.push(...dim(`An estimate, not a certainty: run j of every move rerolls here to seed deriveSeed(${result.seed}, j), so the moves meet the same draws. "vs default": percentage points against default play on the same runs, with a paired 95% interval; an interval across 0 is no clear difference. Your own play, its draws and its branch tree are not changed.`, width));
  if (command) {
    out.push([]);
    out.push(...dim('The same runs, with every outcome\'s share and the interval independent runs would give:', width));
    out.push(...wrap(command, width).map((l): Line => [s(l, { color: 'cyan' })]));
  }
  return out;
}

/** The outcome picker: each outcome, ticked when it counts toward the goal. */
export function pickerLines(def: ScenarioDefinition, chosen: readonly string[], selected: number, width: number): Line[] {
  const out: Line[] = [];
  out.push(...dim('Which outcomes count as success? Space ticks or unticks, Enter computes, Esc goes back.', width));
  out.push([]);
  def.outcomes.forEach((o, i) => {
    const mark = chosen.includes(o.id) ? '[x] ' : '[ ] ';
    wrap(o.label, width - 6).forEach((l, k) => out.push([s(k === 0 ? (i === selected ? '▸ ' : '  ') + mark : '      '), s(l, i === selected ? { inverse: true } : {})]));
  });
  return out;
}

/**
 * What the lever list shows once `w` has turned the what-if odds on: each move's chance of the
 * goal in its own line, a line above the list that says what the figures are (or how far the
 * computation is), and in the chosen lever's detail how the move shifts each outcome.
 */
export interface WhatIf {
  readonly view: AdviceState;
}

/** Room the what-if column takes in a lever's line: `59%±3 ▲` (after the label's space). */
export const WHAT_IF_CELLS = 9;

/** An outcome's label without its explanation: `Strategic reset / security compact` → `Strategic reset`. */
export function shortOutcome(label: string): string {
  const cut = label.search(/ \(| \/ |: | — /);
  return cut > 0 ? label.slice(0, cut) : label;
}

/** Whether a paired difference is clearly better (1), clearly worse (−1) or neither (0), as the table's verdict. */
function clearSign(d: Estimate): -1 | 0 | 1 {
  const [lo, hi] = d.ci95;
  if (Math.max(Math.abs(lo), Math.abs(hi)) < 0.005) return 0;
  return lo > 0 ? 1 : hi < 0 ? -1 : 0;
}

/** The half-width of an interval in points: `3`, or `0.4` under one point. */
function halfWidth(ci: readonly [number, number]): string {
  const h = ((ci[1] - ci[0]) / 2) * 100;
  return h < 0.95 ? h.toFixed(1) : String(Math.round(h));
}

/** A move's cell: `59%±3 ▲` (▲ clearly better than default play, ▼ clearly worse), or a dot while it computes. */
export function whatIfCell(whatIf: WhatIf, id: string): Seg[] {
  const move = whatIf.view.result?.moves.find((m) => m.id === id);
  if (!move) return [s('·'.padStart(WHAT_IF_CELLS - 2) + '  ', { dim: true })];
  const text = `${Math.round(move.goal.p * 100)}%±${halfWidth(move.goal.ci95)}`;
  const sign = clearSign(move.vsPolicy);
  return [s(text.padStart(WHAT_IF_CELLS - 2), { bold: true, color: 'cyan' }), s(' '), s(sign > 0 ? '▲' : sign < 0 ? '▼' : ' ', sign ? { color: sign > 0 ? 'green' : 'red', bold: true } : {})];
}

/** The goal in a few words, from the outcomes' short labels: `Strategic reset, Conditional truce or Cordial but thin`. */
export function goalWords(def: ScenarioDefinition, goal: AdviceGoal): string {
  if (goal.kind === 'exercise') return 'the objective';
  const names = goal.ids.map((id) => shortOutcome(def.outcomes.find((o) => o.id === id)?.label ?? id));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0] ?? 'nothing';
}

/** The line above the list: what the column is, against what, for which goal (last: the line may be cut); or the progress, or the error. */
export function whatIfHeader(def: ScenarioDefinition, whatIf: WhatIf): Line {
  const { view } = whatIf;
  if (view.error) return [s(`what if: cannot compute: ${view.error}`, { color: 'red' })];
  const goal = s(` · goal: ${goalWords(def, view.goal)}`, { dim: true });
  if (!view.result) {
    const share = view.runs ? Math.floor((view.done / view.runs) * 100) : 0;
    return [s('P(goal) ', { bold: true, color: 'cyan' }), s(`computing ${share}%`, { bold: true }), s(' · Esc stops', { dim: true }), goal];
  }
  return [s('P(goal) ±95%', { bold: true, color: 'cyan' }), s(`, ▲▼ vs default ${Math.round(view.result.policy.p * 100)}%`), goal];
}

/** In the chosen lever's detail: how the move shifts each outcome against default play, in points. */
export function whatIfEffects(def: ScenarioDefinition, whatIf: WhatIf, id: string, width: number): Line[] {
  const move = whatIf.view.result?.moves.find((m) => m.id === id);
  if (!move) return [];
  const parts = def.outcomes.map((o) => {
    const d = move.outcomesVsPolicy[o.id];
    return `${shortOutcome(o.label)} ${d ? points(d.p) : '?'}`;
  });
  const lead = id === 'pass' ? 'If you pass' : 'If pulled';
  return wrap(`${lead}, vs default play (points, ${whatIf.view.result!.runs.toLocaleString('en-US')} runs each): ${parts.join(' · ')}`, width, 2).map((l): Line => [s(l, { color: 'cyan' })]);
}
