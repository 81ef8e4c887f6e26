/**
 * The lines of the advice view (`w`, "what if I pull each?"): each move of the actor deciding
 * here with its chance of the goal, its 95% interval and its paired difference against default
 * play, and the outcome picker that changes the goal. Plain functions, so tests can read them.
 */
import type { ScenarioDefinition } from '../src/index.ts';
import { adviceGoalLabel, type Advice, type AdviceGoal } from '../src/play/advice.ts';
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

export function adviceLines(def: ScenarioDefinition, view: AdviceState, width: number, policy: string, exercise: boolean): Line[] {
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
