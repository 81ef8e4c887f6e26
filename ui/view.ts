/**
 * What each panel of the play screen shows, as plain functions from a session to lines. The
 * components only lay these out; tests can check the content without a terminal.
 */
import type { BranchOdds, Happening, ScenarioDefinition, SimState, TraceEntry } from '../src/index.ts';
import { availableLevers, currentActor, evaluate, leverOdds, unavailableReason } from '../src/play/ui-support.ts';
import { branchLabel, formatHappening } from '../src/report/transcript.ts';
import { reopenCommand } from '../src/report/session-markdown.ts';
import type { CheckpointReport } from '../src/play/checkpoint.ts';
import { oddsArithmetic } from '../src/play/odds.ts';
import { branchCode, currentNode, entriesTo, FACILITATOR, forkOf, pathTo, stateBefore, stepLabel, type Comparison, type Session } from '../src/play/session.ts';
import type { Distribution } from '../src/play/distribution.ts';
import { whatIfCell, whatIfEffects, whatIfHeader, WHAT_IF_CELLS, type WhatIf } from './advice-view.ts';
import { bar, cells, delta, num, pad, pct, s, tail, wrap, type Line, type Seg } from './text.ts';

export const actorName = (def: ScenarioDefinition, id: string): string => def.actors.find((a) => a.id === id)?.name ?? id;

export function roleLabel(session: Session): string {
  return session.role === FACILITATOR ? 'Facilitator' : actorName(session.compiled.def, session.role);
}

function where(def: ScenarioDefinition, state: SimState): string {
  const r = def.rounds[state.g]!;
  const phase = def.phases[r.phase]!;
  return `${phase.label}, round ${r.round}/${phase.rounds} · ${r.date}`;
}

const CODE_HINT = '  y: whole code';

/** Two lines: scenario, phase, round, date, step and role; then the seed and the branch code. */
export function headerLines(session: Session, width: number): Line[] {
  const { def } = session.compiled;
  const state = currentNode(session).state;
  const right = ` playing as ${roleLabel(session)} `;
  // Where the run stands matters more than the title, which the player knows: the title goes
  // first when the line is short of room, then the date.
  const room = Math.max(0, width - cells(right) - 8);
  const r = def.rounds[state.g]!;
  const phase = def.phases[r.phase]!;
  const candidates = [
    ` ${def.title} · ${where(def, state)} · ${stepLabel(state)}`,
    ` ${where(def, state)} · ${stepLabel(state)}`,
    ` ${phase.label}, round ${r.round}/${phase.rounds} · ${stepLabel(state)}`,
  ];
  const left = candidates.find((c) => cells(c) <= room) ?? candidates[candidates.length - 1]!;
  const first: Line = [s(' PARLEY ', { bold: true, inverse: true }), s(pad(left, room), { bold: true }), s(right, { color: 'cyan', bold: true })];
  const seed = ` seed ${state.seed}${state.seed !== session.seed ? ` (from ${session.seed})` : ''}`;
  // A long code keeps its head (scenario, seed, policy) and its latest moves.
  const code = branchCode(session);
  const codeRoom = Math.max(10, width - cells(seed) - 8);
  const head = code.split(':').slice(0, 3).join(':') + ':';
  const whole = cells(code) <= codeRoom;
  // A code that does not fit says how to see it whole (and copy it): y.
  const fitIn = whole ? codeRoom : Math.max(4, codeRoom - cells(CODE_HINT));
  const shown = whole ? code : cells(head) + 12 <= fitIn ? head + tail(code.slice(head.length), fitIn - cells(head)) : tail(code, fitIn);
  const second: Line = [s(seed, { color: 'yellow', bold: true }), s('  code ', { dim: true }), s(shown), ...(whole ? [] : [s(CODE_HINT, { color: 'cyan' })])];
  return [first, second];
}

/**
 * Tension bars (id, label when there is room, value, change since the last step), derived values
 * such as the crisis index, the relationship and each actor's stance. The label has the room
 * before the bar (a bar of at least 8 cells); a narrow panel drops the bars and sets the tensions
 * in two columns, so that what has a name keeps it.
 */
export function stateLines(session: Session, width: number): Line[] {
  const { def } = session.compiled;
  const now = currentNode(session).state;
  const before = stateBefore(session);
  const idW = Math.min(10, Math.max(...def.tensions.map((t) => cells(t.id))));
  const tail = 12; // ' 100.0 ▲10.5'
  const change = (value: number, prev: number): Seg => {
    const d = delta(value - prev);
    return s(' ' + pad(d ? (value > prev ? '▲' : '▼') + d.slice(1) : '', 5), { color: value > prev ? 'red' : 'green', bold: true });
  };
  const value = (x: number) => s(' ' + num(Math.round(x * 10) / 10).padStart(5));
  const heat = (v: number) => ({ color: v >= 70 ? 'red' : v >= 40 ? 'yellow' : 'green' });
  const lines: Line[] = [];
  const room = width - idW - 1 - tail;
  if (room < 8) {
    // No room for bars: id, whole value and change, two tensions a line (`MIL   55▼4 `), so that
    // the relationship and the stances below stay on screen too.
    const narrow = (i: number): Line => {
      const t = def.tensions[i]!;
      const v = now.t[t.index]!;
      const d = Math.round(v) - Math.round(before.t[t.index]!);
      return [s(pad(t.id, idW) + ' ', { bold: true }), s(String(Math.round(v)).padStart(3), heat(v)), s(pad(d ? `${d > 0 ? '▲' : '▼'}${Math.abs(d)}` : '', 3), { color: d > 0 ? 'red' : 'green', bold: true })];
    };
    const perLine = width >= 2 * (idW + 7) ? 2 : 1;
    for (let i = 0; i < def.tensions.length; i += perLine) lines.push(perLine === 2 && i + 1 < def.tensions.length ? [...narrow(i), ...narrow(i + 1)] : narrow(i));
  } else {
    const longest = Math.max(...def.tensions.map((t) => cells(t.label)));
    const barW = Math.max(8, Math.min(24, room - longest - 1));
    const labelW = room - barW - 1;
    for (const t of def.tensions) {
      const v = now.t[t.index]!;
      lines.push([
        s(pad(t.id, idW) + ' ', { bold: true }),
        ...(labelW >= 6 ? [s(pad(t.label, labelW) + ' ', { dim: true })] : []),
        s(bar(v, labelW >= 6 ? barW : room), heat(v)),
        value(v),
        change(v, before.t[t.index]!),
      ]);
    }
  }
  const derivedW = Math.max(...def.derived.map((d) => cells(d.label)), 8);
  for (const d of def.derived) {
    const v = evaluate(d.value, now);
    lines.push([s(pad(d.label, Math.min(derivedW, width - tail)), { bold: true, color: 'magenta' }), value(v), change(v, evaluate(d.value, before))]);
  }
  const nameW = Math.min(16, Math.max(12, ...def.actors.filter((a) => a.stance).map((a) => cells(a.name))), Math.max(6, width - 12));
  const relChanged = now.rel !== before.rel;
  lines.push([s(pad('Relationship', nameW) + ' '), s(def.relationship.labels[now.rel]!, { bold: true, color: 'cyan' }), s(relChanged ? ` (was ${def.relationship.labels[before.rel]})` : '', { dim: true })]);
  for (const a of def.actors) {
    if (!a.stance) continue;
    const st = now.st[a.index]!;
    const was = before.st[a.index]!;
    lines.push([s(pad(a.name, nameW) + ' '), s(a.stance.labels[st]!, { color: 'cyan' }), s(st !== was ? ` (was ${a.stance.labels[was]})` : '', { dim: true })]);
  }
  return lines;
}

export interface LeverItem {
  /** Lever id, or `pass`. */
  readonly id: string;
  readonly label: string;
  readonly available: boolean;
  readonly reason: string | null;
  readonly odds: readonly BranchOdds[];
  readonly description: string;
}

/** Lever lists already worked out, by state (a state never changes). */
const itemsOf = new WeakMap<SimState, LeverItem[]>();

/** The levers the current actor may ever pull (available first), then passing. Empty once ended. */
export function leverItems(session: Session): LeverItem[] {
  const state = currentNode(session).state;
  let items = itemsOf.get(state);
  if (!items) itemsOf.set(state, (items = leverItemsOf(session, state)));
  return items;
}

function leverItemsOf(session: Session, state: SimState): LeverItem[] {
  const { def } = session.compiled;
  const actor = currentActor(def, state);
  if (actor < 0) return [];
  const items: LeverItem[] = def.levers
    .filter((l) => l.actors[actor])
    .map((l) => {
      const reason = unavailableReason(def, state, actor, l);
      return { id: l.id, label: l.label, available: reason === null, reason, odds: reason === null ? leverOdds(def, state, l, true).odds : [], description: l.description };
    });
  items.sort((a, b) => Number(b.available) - Number(a.available));
  if (availableLevers(def, state, actor).length > 0) items.push({ id: 'pass', label: 'Pass', available: true, reason: null, odds: [], description: 'do nothing this round' });
  return items;
}

/** `60.0%`: odds and shares to one decimal, so the arithmetic can be checked. */
const pct1 = (p: number): string => `${(p * 100).toFixed(1)}%`;

/**
 * One line per lever: a marker, the label, and each branch's probability (or why not). The
 * label has the room first; the branches' labels follow when they fit, else their shares alone
 * (the detail under the list names them).
 */
export function leverRows(session: Session, items: readonly LeverItem[], selected: number, width: number, whatIf: WhatIf | null = null): Line[] {
  const { def } = session.compiled;
  const labelW = whatIf ? Math.max(6, Math.min(Math.max(...items.map((i) => cells(i.label))), width - 3 - WHAT_IF_CELLS)) : leverLabelWidth(items, width);
  return items.map((item, i) => {
    const mark = i === selected ? '› ' : '  ';
    const label = s(mark + pad(item.label, labelW) + ' ', i === selected ? { bold: true, inverse: true } : item.available ? {} : { dim: true });
    if (!item.available) return [label, s(item.reason ?? '', { dim: true })];
    // With the what-if odds on, each move's chance of the goal; its branches' odds stay in the detail.
    if (whatIf) return [label, ...whatIfCell(whatIf, item.id)];
    if (item.id === 'pass') return [label, s('no draw', { dim: true })];
    const full = item.odds.map((o) => `${branchLabel(def, item.id, o.branch)} ${pct(o.p)}`).join(' · ');
    if (cells(full) <= width - labelW - 3) return [label, ...item.odds.flatMap((o, k) => [s(k ? ' · ' : '', { dim: true }), s(branchLabel(def, item.id, o.branch) + ' '), s(pct(o.p), { bold: true, color: 'yellow' })])];
    return [label, ...item.odds.flatMap((o, k) => [s(k ? ' ' : ''), s(pct(o.p), { bold: true, color: 'yellow' })])];
  });
}

/** Room for the levers' labels in the list: the longest label, less room for the shares. */
function leverLabelWidth(items: readonly LeverItem[], width: number): number {
  const shares = (item: LeverItem) => item.odds.map((o) => pct(o.p)).join(' ');
  const oddsW = Math.max(7, ...items.filter((i) => i.available && i.id !== 'pass').map((i) => cells(shares(i))));
  return Math.max(6, Math.min(Math.max(...items.map((i) => cells(i.label))), width - 2 - 1 - Math.min(oddsW, 16)));
}

/**
 * The chosen lever in full words: its label when the list cut it, then either each branch's
 * odds as arithmetic or the whole reason it is unavailable, then its description. Wrapped, never cut.
 */
export function leverDetail(session: Session, items: readonly LeverItem[], selected: number, width: number, terse = false, whatIf: WhatIf | null = null, effects = true): Line[] {
  const { def } = session.compiled;
  const chosen = items[selected];
  if (!chosen) return [];
  const lines: Line[] = [];
  const labelW = whatIf ? width - 3 - WHAT_IF_CELLS : leverLabelWidth(items, width);
  if (cells(chosen.label) > labelW) for (const l of wrap(chosen.label, width)) lines.push([s(l, { bold: true })]);
  const shifts = whatIf && effects && chosen.available ? whatIfEffects(def, whatIf, chosen.id, width) : [];
  if (chosen.id === 'pass') {
    lines.push([s('Pass: do nothing this round (no draw).', { dim: true })], ...shifts);
    return lines;
  }
  // The odds first: on a small screen they are what the player needs to decide.
  if (chosen.available) {
    lines.push(...oddsLines(def, chosen.id, chosen.odds, width, '', terse));
    if (terse && chosen.odds.some((o) => o.modifiers.some((m) => m.add !== 0 || m.mul !== 1))) lines.push([s('(why each modifier applies: after the pull, in the last step)', { dim: true })]);
    lines.push(...shifts);
  } else for (const l of wrap(`Not available now: ${chosen.reason ?? ''}`, width, 2)) lines.push([s(l, { color: 'red' })]);
  if (chosen.description) for (const l of wrap(chosen.description.trim(), width)) lines.push([s(l, { dim: true })]);
  return lines;
}

/** The lever list (under the what-if line when the odds are on), then a blank line and the chosen lever's detail. */
export function leverLines(session: Session, items: readonly LeverItem[], selected: number, width: number, whatIf: WhatIf | null = null): Line[] {
  const detail = leverDetail(session, items, selected, width, false, whatIf);
  return [...(whatIf ? [whatIfHeader(session.compiled.def, whatIf)] : []), ...leverRows(session, items, selected, width, whatIf), ...(detail.length ? [[], ...detail] : [])];
}

/**
 * A branch's odds as arithmetic: `The call lands: base 30.0% +8.0pt (mediator influence)
 * = 38.0% → 35.2%` — the base, each modifier, the value before rescaling and, when rescaling
 * changes it, the share after.
 */
export function oddsDetail(def: ScenarioDefinition, lever: string, o: BranchOdds, all: readonly BranchOdds[] = [o], terse = false): string {
  const name = branchLabel(def, lever, o.branch);
  // A lever with one branch always takes it: modifiers cannot change that, so do not list them.
  if ((def.leverById.get(lever)?.branches.length ?? 0) === 1) return `${name} 100% (the only branch)`;
  const a = oddsArithmetic(all);
  const b = a.branches.find((x) => x.branch === o.branch) ?? oddsArithmetic([o]).branches[0]!;
  const mods = b.modifiers.map((m) => `${m.mul !== 1 ? `×${+m.mul.toFixed(3)} ` : ''}${m.add !== 0 ? `${m.add > 0 ? '+' : '−'}${num(Math.round(Math.abs(m.add) * 1000) / 10)}pt ` : ''}${terse ? '' : `(${m.why})`}`.trim());
  const value = b.raw !== b.value ? `${pct1(b.raw)}, counted as ${pct1(b.value)}` : pct1(b.value);
  const sum = mods.length ? `base ${pct1(b.base)} ${mods.join(' ')} = ${value}` : value;
  return `${name}: ${sum}${a.rescaled ? ` → ${pct1(b.share)}` : ''}`;
}

/** Every branch of a lever as arithmetic (`oddsDetail`), then the rescaling step when it changes a number. */
export function oddsLines(def: ScenarioDefinition, lever: string, odds: readonly BranchOdds[], width: number, indent = '', terse = false): Line[] {
  const out: Line[] = [];
  for (const o of odds) for (const l of wrap(indent + oddsDetail(def, lever, o, odds, terse), width, 4)) out.push([s(l)]);
  const a = oddsArithmetic(odds);
  if (odds.length > 1 && a.rescaled) {
    const note = a.sum > 0 ? `sum ${pct1(a.sum)}; → is each ÷ ${pct1(a.sum)}, to make 100%` : 'all are 0%: each branch gets an equal share (→)';
    for (const l of wrap(indent + note + (a.clamped ? '; below 0% counts as 0%, above 100% as 100%' : ''), width, 4)) out.push([s(l, { dim: true })]);
  }
  return out;
}

/** A node made by `r`: a reroll, then the same pull again at the same step. */
function redrawn(node: Session['nodes'][number]): boolean {
  const [first, second] = node.entries;
  return first?.action.type === 'reroll' && second !== undefined && second.step === first.step;
}

/** `mediator The Rand Paul channel damps HOST increases ×0.67`. */
function dampingLines(def: ScenarioDefinition, h: Extract<Happening, { type: 'lever' }>, width: number): Line[] {
  return h.damped.flatMap((d) => wrap(`  mediator ${def.mediators.find((m) => m.id === d.mediator)?.label ?? d.mediator} damps ${d.tension} increases ×${d.factor}`, width, 4).map((l): Line => [s(l, { color: 'cyan' })]));
}

function styledHappening(def: ScenarioDefinition, h: Happening, width: number): Line[] {
  const color = h.type === 'event' ? 'magenta' : h.type === 'relationship' || h.type === 'stance' ? 'cyan' : h.type === 'checkpoint' ? 'green' : undefined;
  if (h.type === 'lever') {
    const out: Line[] = [];
    for (const l of drawLines(def, h, width)) out.push([s(l, { bold: true, color: 'yellow' })]);
    if (h.odds.length > 1) out.push(...oddsLines(def, h.lever, h.odds, width, '  '));
    out.push(...dampingLines(def, h, width));
    return out;
  }
  if (h.type === 'checkpoint') return wrap(checkpointText(def, h), width, 4).map((l) => [s(l, { bold: true, color: 'green' })]);
  return formatHappening(def, h, '  ', { labels: true }).flatMap((t) => wrap(t, width, 4)).map((l) => [s(l, color ? { color } : {})]);
}

/** `draw 0.507 → Closed door: HOST 40→38`: what the draw selected, and its effects. */
function drawLines(def: ScenarioDefinition, h: Extract<Happening, { type: 'lever' }>, width: number): string[] {
  const single = (def.leverById.get(h.lever)?.branches.length ?? 0) === 1;
  const drawn = `  ${h.forced ? 'forced (no draw) ' : single ? '' : `draw ${h.draw.toFixed(3)} `}→ ${branchLabel(def, h.lever, h.branch)}`;
  const effects = h.effects.map((c) => `${c.tension} ${num(c.from)}→${num(c.to)}`).join(', ');
  return wrap(drawn + (effects ? `: ${effects}` : ': no change') + (single ? ' (the only branch: no draw)' : ''), width, 4);
}

/** `★ Cordial but thin — outcome at the end of The White House`: the outcome first. */
function checkpointText(def: ScenarioDefinition, h: Extract<Happening, { type: 'checkpoint' }>): string {
  const o = def.outcomes.find((x) => x.id === h.outcome);
  const phase = def.phases.find((p) => p.id === h.phase)?.label ?? h.phase;
  return `★ ${o?.label ?? h.outcome} — ${h.final ? 'final outcome' : 'outcome'} at the end of ${phase}`;
}

/** `[3] Gustavo Petro: Praise Trump in public`, with who decided when it was not the player. */
function decisionText(def: ScenarioDefinition, e: TraceEntry, delegated = false): string {
  const who = actorName(def, e.actor);
  const a = e.action;
  const by = e.by === 'player' ? '' : e.by === 'auto' ? ' (no lever available)' : delegated ? ' (the policy, for you)' : ' (policy)';
  if (a.type === 'reroll') return `[${e.step + 1}] seed rerolled to ${a.seed} from here on`;
  if (a.type === 'pass') return `[${e.step + 1}] ${who} passes${by}`;
  return `[${e.step + 1}] ${who}: ${def.leverById.get(a.lever)?.label ?? a.lever}${a.force ? ' (forced)' : ''}${by}`;
}

function entryLines(def: ScenarioDefinition, e: TraceEntry, width: number): Line[] {
  const out: Line[] = wrap(decisionText(def, e), width, 4).map((l) => [s(l, { bold: e.by === 'player' })]);
  for (const h of e.happenings) {
    if (h.type === 'round') out.push([s(`— ${def.phases.find((p) => p.id === h.phase)?.label ?? h.phase}, round ${h.round} · ${h.date}`, { dim: true })]);
    else out.push(...styledHappening(def, h, width));
  }
  return out;
}

/**
 * Why the last step went as it did, in two parts: `pinned` — the outcome of any checkpoint, the
 * decision, the draw and the branch it selected — stays on screen; `lines` — the odds as
 * arithmetic, what followed, the other actors' moves — scrolls.
 */
export function explainParts(session: Session, width: number): { pinned: Line[]; lines: Line[] } {
  const node = currentNode(session);
  let byWidth = explained.get(node);
  if (!byWidth) explained.set(node, (byWidth = new Map()));
  let parts = byWidth.get(width);
  if (!parts) byWidth.set(width, (parts = explainNode(session, width)));
  return parts;
}

/** Explanations already laid out, by node and width (a node never changes). */
const explained = new WeakMap<Session['nodes'][number], Map<number, { pinned: Line[]; lines: Line[] }>>();

function explainNode(session: Session, width: number): { pinned: Line[]; lines: Line[] } {
  const { def } = session.compiled;
  const node = currentNode(session);
  if (node.parent === null && node.entries.length === 0) {
    const lines: Line[] = [];
    for (const l of wrap(def.summary.trim(), width)) lines.push([s(l, { dim: true })]);
    for (const h of session.opening) lines.push(...styledHappening(def, h, width));
    lines.push([], ...wrap('Pick a lever with ↑↓ and press Enter; g explains every term.', width).map((l): Line => [s(l, { dim: true })]));
    return { pinned: [[s(`${def.title}: start`, { bold: true })]], lines };
  }
  const pinned: Line[] = [];
  // A checkpoint's outcome stays in view (its phase scrolls with the rest).
  for (const e of node.entries) {
    for (const h of e.happenings) {
      if (h.type !== 'checkpoint') continue;
      const label = def.outcomes.find((o) => o.id === h.outcome)?.label ?? h.outcome;
      const long = `★ ${h.final ? 'Final outcome' : 'Outcome'}: ${label}`;
      pinned.push(...wrap(cells(long) <= width ? long : `★ ${label}`, width, 4).map((l): Line => [s(l, { bold: true, color: 'green' })]));
    }
  }
  // The decision that made this node: after a re-draw, the pull that follows its reroll.
  const k = redrawn(node) ? 1 : 0;
  const lines: Line[] = [];
  node.entries.forEach((e, i) => {
    if (i < k) return;
    if (i > k) {
      lines.push(...entryLines(def, e, width));
      return;
    }
    const reroll = k === 1 ? node.entries[0]!.action : null;
    const head = decisionText(def, e, node.delegated) + (reroll && reroll.type === 'reroll' ? ` — drawn again (seed ${reroll.seed})` : '');
    pinned.push(...wrap(head, width, 4).map((l): Line => [s(l, { bold: true })]));
    for (const h of e.happenings) {
      if (h.type === 'lever') {
        pinned.push(...drawLines(def, h, width).map((l): Line => [s(l, { bold: true, color: 'yellow' })]));
        if (h.odds.length > 1) lines.push(...oddsLines(def, h.lever, h.odds, width, '  '));
        lines.push(...dampingLines(def, h, width));
      } else if (h.type === 'round') lines.push([s(`— ${def.phases.find((p) => p.id === h.phase)?.label ?? h.phase}, round ${h.round} · ${h.date}`, { dim: true })]);
      else lines.push(...styledHappening(def, h, width));
    }
  });
  return { pinned, lines };
}

/** The last step explained, as one list of lines (pinned part first). */
export function explainLines(session: Session, width: number): Line[] {
  const { pinned, lines } = explainParts(session, width);
  return [...pinned, ...lines];
}

/** The whole branch so far, one line per decision and per thing that happened (append-only). */
export function logLines(session: Session, width: number): Line[] {
  const { def } = session.compiled;
  const out: Line[] = [[s(`Start ${def.start}: relationship ${def.relationship.labels[session.initial.rel]}`, { dim: true })]];
  for (const h of session.opening) out.push(...styledHappening(def, h, width).slice(0, 1));
  let g = -1;
  for (const e of entriesTo(session)) {
    if (e.g !== g) {
      g = e.g;
      const r = def.rounds[g]!;
      out.push([s(`${def.phases[r.phase]!.label} ${r.round} · ${r.date}`, { dim: true })]);
    }
    out.push(logAction(def, e));
    for (const h of e.happenings) {
      if (h.type === 'lever') out.push([s(`    → ${branchLabel(def, h.lever, h.branch)}${h.forced ? ' (forced)' : ''}${h.effects.length ? ': ' + h.effects.map((c) => `${c.tension} ${num(c.from)}→${num(c.to)}`).join(', ') : ''}`, { color: 'yellow' })]);
      else if (h.type === 'checkpoint') out.push(...wrap(checkpointText(def, h), width - 2, 2).map((l): Line => [s('  '), s(l, { bold: true, color: 'green' })]));
      else if (h.type === 'event' || h.type === 'relationship' || h.type === 'stance') out.push(...styledHappening(def, h, width).slice(0, 1).map((l) => [s('  '), ...l]));
    }
  }
  const state = currentNode(session).state;
  if (state.ended) out.push([s(`Outcome: ${def.outcomes[state.outcome]!.label}`, { bold: true, color: 'green' })]);
  return out;
}

function logAction(def: ScenarioDefinition, e: TraceEntry): Line {
  const n = s(`[${e.step + 1}] `, { dim: true });
  const who = actorName(def, e.actor);
  const by = e.by === 'player' ? s('') : s(e.by === 'auto' ? ' (no lever available)' : ' (policy)', { dim: true });
  const a = e.action;
  if (a.type === 'reroll') return [n, s(`seed rerolled to ${a.seed}`, { bold: true, color: 'yellow' })];
  if (a.type === 'pass') return [n, s(`${who} passes`, { bold: e.by === 'player' }), by];
  return [n, s(`${who}: ${def.levers.find((l) => l.id === a.lever)?.label ?? a.lever}`, { bold: e.by === 'player' }), by];
}

/** What to show instead of levers once the run has ended. */
export function endLines(session: Session, width: number): Line[] {
  const { def } = session.compiled;
  const o = def.outcomes[currentNode(session).state.outcome]!;
  const out: Line[] = [[s('Outcome: ', { bold: true }), s(o.label, { bold: true, color: 'green' })]];
  if (o.definition) for (const l of wrap(o.definition.trim(), width)) out.push([s(l, { dim: true })]);
  out.push([], ...wrap('u undo · b branch tree · r draw the last pull again · m run many from here · e export · y branch code', width).map((l): Line => [s(l, { dim: true })]));
  return out;
}

/**
 * The banner a checkpoint opens: the outcome, its definition, the rules before it that did not
 * hold, which parts of its own rule held, and the derived values (the crisis index) then.
 */
export function outcomeBannerLines(reports: readonly CheckpointReport[], width: number): Line[] {
  const out: Line[] = [];
  for (const r of reports) {
    if (out.length) out.push([]);
    out.push(...wrap(`${r.final ? 'The run has ended' : `${r.phase} is over`} (step ${r.step}). ${r.final ? 'Final outcome' : 'Outcome'}:`, width).map((l): Line => [s(l, { bold: true })]));
    out.push(...wrap(`★ ${r.outcome.label}`, width, 2).map((l): Line => [s(l, { bold: true, color: 'green' })]));
    if (r.outcome.definition) out.push(...wrap(r.outcome.definition.trim(), width).map((l): Line => [s(l, { dim: true })]));
    out.push([]);
    if (r.notHeld.length) {
      out.push(...wrap('Why: the rules are checked in order, and the first that holds names the outcome.', width).map((l): Line => [s(l, { bold: true })]));
      for (const rule of r.notHeld) {
        // What kept an earlier outcome away: the parts that failed (all of them, for an `or`).
        const failed = rule.parts.filter((p) => !p.held);
        const what = rule.join === 'or' || failed.length === rule.parts.length ? `none of: ${rule.parts.map((p) => p.text).join(' · ')}` : `missing ${failed.map((p) => p.text).join(' · ')}`;
        out.push(...wrap(`✗ ${rule.outcome.label} — ${what}`, width, 4).map((l): Line => [s(l, { dim: true })]));
      }
    }
    if (r.parts.length === 0) out.push(...wrap(`✓ ${r.outcome.label} — the outcome of every other state.`, width, 4).map((l): Line => [s(l, { color: 'green' })]));
    else {
      out.push(...wrap(`✓ ${r.outcome.label} — ${r.join === 'or' ? 'any' : 'every'} part holds:`, width, 4).map((l): Line => [s(l, { color: 'green' })]));
      for (const part of r.parts) out.push(...wrap(`    ${part.held ? '✓' : '✗'} ${part.text}`, width, 6).map((l): Line => [s(l, { color: part.held ? 'green' : 'red' })]));
    }
    if (r.derived.length) out.push([], ...wrap(`At the checkpoint: ${r.derived.map((d) => `${d.label} ${num(Math.round(d.value * 10) / 10)}`).join(' · ')}`, width, 2).map((l): Line => [s(l)]));
  }
  return out;
}

export interface TreeRow {
  readonly id: number;
  readonly indent: number;
  readonly text: string;
  readonly onPath: boolean;
  readonly current: boolean;
  /** The first node of an alternative branch (a sibling of the node above its indent). */
  readonly branchStart: boolean;
}

/**
 * Short label of a node: the decision that made it, numbered as the log numbers it —
 * `[3] Gustavo Petro: Praise Trump in public → said` — and the outcome once the run has ended.
 */
export function nodeLabel(session: Session, id: number): string {
  const { def } = session.compiled;
  const node = session.nodes[id]!;
  if (node.parent === null) return `start${node.state.ended ? ` · ${def.outcomes[node.state.outcome]!.label}` : ''}`;
  const k = redrawn(node) ? 1 : 0;
  const first = node.entries[k];
  let text: string;
  if (!first) text = 'no decision';
  else if (first.action.type === 'reroll') text = `[${first.step + 1}] seed rerolled to ${first.action.seed}`;
  else {
    text = decisionText(def, first, node.delegated);
    const lever = first.happenings.find((h) => h.type === 'lever');
    if (lever && lever.type === 'lever') text += ` → ${branchLabel(def, lever.lever, lever.branch)}`;
    if (k === 1) text += ' (drawn again)';
    if (first.by !== 'player' && !node.delegated) text = `policy plays on: ${text}`;
  }
  const st = node.state;
  return `${text}${st.ended ? ` · ends: ${def.outcomes[st.outcome]!.label}` : ''}`;
}

/**
 * The explored tree, depth first: a first child continues its parent's column; other children
 * (the alternatives explored at that node) follow their parent, indented.
 */
export function treeRows(session: Session): TreeRow[] {
  const path = new Set(pathTo(session));
  const rows: TreeRow[] = [];
  const visit = (id: number, indent: number) => {
    // Iterative along first children keeps long chains flat (no recursion depth per step).
    let n: number | undefined = id;
    while (n !== undefined) {
      const node: Session['nodes'][number] = session.nodes[n]!;
      rows.push({ id: n, indent, text: nodeLabel(session, n), onPath: path.has(n), current: n === session.current, branchStart: n === id && indent > 0 });
      node.children.slice(1).forEach((c) => visit(c, indent + 1));
      n = node.children[0];
    }
  };
  visit(0, 0);
  return rows;
}

/**
 * The first line the tree shows when it opens on row `selected` in `rows` lines of room: the
 * last fork on the way to it (a node with several explored continuations) in view with it.
 */
export function treeOpenScroll(session: Session, tree: readonly TreeRow[], selected: number, rows: number): number {
  const id = tree[selected]?.id ?? 0;
  const forks = pathTo(session, id).filter((n) => n !== id && session.nodes[n]!.children.length > 1);
  const fork = forks.length ? tree.findIndex((r) => r.id === forks.at(-1)) : -1;
  const centred = Math.max(0, selected - Math.floor(rows / 2));
  const from = fork >= 0 && fork < centred && selected - fork < rows ? fork : centred;
  return Math.max(0, Math.min(from, Math.max(0, tree.length - rows)));
}

/** What the decision that opens node `id` chose: `Praise Trump in public` or `Back-channel call → The call lands`. */
function choiceOf(session: Session, id: number | null): string {
  if (id === null) return '(the same node)';
  const { def } = session.compiled;
  const node = session.nodes[id]!;
  const k = redrawn(node) ? 1 : 0;
  const e = node.entries[k];
  if (!e) return 'no decision';
  if (e.action.type === 'reroll') return `seed rerolled to ${e.action.seed}`;
  if (e.action.type === 'pass') return `${e.by === 'player' ? '' : 'policy: '}pass`;
  const lever = e.happenings.find((h) => h.type === 'lever');
  const label = def.leverById.get(e.action.lever)?.label ?? e.action.lever;
  const branch = lever && lever.type === 'lever' ? branchLabel(def, lever.lever, lever.branch) : '';
  return `${e.by === 'player' ? '' : 'policy: '}${label}${branch ? ` → ${branch}` : ''}${e.action.force ? ' (forced)' : k ? ' (drawn again)' : ''}`;
}

/**
 * Two branches compared by the decision where they split — `step 3: Gustavo Petro — Praise
 * Trump in public · Denounce the strikes` — then what differs, with full labels, what is the
 * same, and each one's outcome: real where the run has ended, marked as a projection otherwise.
 */
export function compareLines(session: Session, cmp: Comparison, width: number): Line[] {
  const { def } = session.compiled;
  const fork = forkOf(session, cmp.a, cmp.b);
  const out: Line[] = [];
  const para = (text: string, style: Omit<Seg, 't'> = {}, indent = 2) => out.push(...wrap(text, width, indent).map((l): Line => [s(l, style)]));
  const firstA = fork.a === null ? null : session.nodes[fork.a]!.entries.find((e) => e.action.type !== 'reroll') ?? session.nodes[fork.a]!.entries[0];
  const firstB = fork.b === null ? null : session.nodes[fork.b]!.entries.find((e) => e.action.type !== 'reroll') ?? session.nodes[fork.b]!.entries[0];
  const at = firstA ?? firstB;
  if (at) para(`step ${at.step + 1}: ${actorName(def, at.actor)} — ${choiceOf(session, fork.a)} · ${choiceOf(session, fork.b)}`, { bold: true });
  else para('the same node on both sides', { bold: true });
  const side = (name: string, id: number, first: number | null) => para(`${name}: ${choiceOf(session, first)}, now ${stepLabel(session.nodes[id]!.state)}`, { dim: true }, 5);
  side('A', cmp.a, fork.a);
  side('B', cmp.b, fork.b);
  out.push([]);
  const differs = cmp.rows.filter((r) => r.differs);
  const same = cmp.rows.filter((r) => !r.differs);
  const valueW = Math.min(22, Math.max(4, ...differs.flatMap((r) => [cells(r.a), cells(r.b)])));
  const labelW = Math.max(12, width - 2 * valueW - 5);
  out.push([s(pad(differs.length ? 'What differs' : 'Nothing differs', labelW), { bold: true }), s(' ' + pad('A', valueW), { bold: true }), s('   '), s(pad('B', valueW), { bold: true })]);
  for (const r of differs) {
    const label = wrap(r.label, labelW, 2);
    label.forEach((l, i) => out.push(i === label.length - 1 ? [s(pad(l, labelW)), s(' ' + pad(r.a, valueW), { bold: true, color: 'yellow' }), s(' ≠ ', { bold: true }), s(pad(r.b, valueW), { bold: true, color: 'yellow' })] : [s(l)]));
  }
  const outcome = cmp.outcome;
  out.push([]);
  if (!outcome.a.projected && !outcome.b.projected) {
    out.push([s(pad('Outcome', labelW), { bold: true }), s(' ' + pad(outcome.a.label, valueW), { bold: true, color: 'green' }), s(outcome.a.label === outcome.b.label ? ' = ' : ' ≠ '), s(pad(outcome.b.label, valueW), { bold: true, color: 'green' })]);
  } else {
    const o = (x: { label: string; projected: boolean }) => (x.projected ? `${x.label} (projected)` : `${x.label} (the real outcome: the run has ended)`);
    para(`Projection, not a result — if everyone follows the ${session.policy} policy from here: A → ${o(outcome.a)}; B → ${o(outcome.b)}.`, { dim: true });
  }
  if (same.length) {
    out.push([]);
    para(`The same on both: ${same.map((r) => `${r.label} ${r.a}`).join(' · ')}`, { dim: true });
  }
  return out;
}

export function distributionLines(dist: Distribution | null, total: number, width: number, done: boolean): Line[] {
  if (!dist) return [[s(`starting ${total} runs…`, { dim: true })]];
  // Whole outcome names where the screen allows (the bar gives up room first), and a count column.
  const longest = Math.max(8, ...dist.shares.map((o) => cells(o.label)));
  const barW = Math.max(16, Math.min(50, width - longest - 36));
  const labelW = Math.max(8, Math.min(longest, width - barW - 36));
  const out: Line[] = [];
  const progress = dist.n / dist.total;
  out.push([s(done ? `${dist.n} runs from this node, each reseeded from seed ${dist.base}` : `running… ${dist.n}/${dist.total} `, { bold: !done }), s(done ? '' : bar(progress * 100, Math.max(10, width - 40)), { color: 'cyan' })]);
  out.push([]);
  for (const o of dist.shares) {
    const lo = Math.round(o.lo * barW);
    const hi = Math.round(o.hi * barW);
    const p = Math.round(o.p * barW);
    const cellsOf = Array.from({ length: barW }, (_, i) => (i < p ? '█' : i < hi && i >= lo ? '▒' : '·')).join('');
    out.push([s(pad(o.label, labelW) + ' '), s(cellsOf, { color: 'green' }), s(` ${(o.p * 100).toFixed(1).padStart(5)}%`, { bold: true }), s(`  [${(o.lo * 100).toFixed(1)}–${(o.hi * 100).toFixed(1)}]`, { dim: true }), s(`  ${String(o.count).padStart(String(dist.n).length)} runs`, { dim: true })]);
  }
  out.push([], [s('█ share  ▒ 95% Wilson interval', { dim: true })]);
  return out;
}

/** An exercise's verdict on a state, as the debrief shows it. */
export interface ExerciseJudgement {
  readonly met: boolean;
  readonly score: number;
  readonly maxScore: number;
  readonly details: readonly string[];
  /** Each requirement in words (the exercise's labels), and whether it held. */
  readonly requirements?: readonly { readonly label: string; readonly met: boolean }[];
  /** Where the points came from. */
  readonly breakdown?: readonly { readonly label: string; readonly points: number; readonly maxPoints: number }[];
}

/**
 * An exercise's debrief: whether the objective was met, each requirement in words, where the
 * score came from, and the questions (an export gives room for the answers).
 */
export function debriefLines(exercise: { readonly debrief: readonly string[] }, result: ExerciseJudgement): (string | Line)[] {
  const out: (string | Line)[] = [[s(`Objective ${result.met ? 'met' : 'not met'} · score ${result.score} of ${result.maxScore}`, { bold: true, color: result.met ? 'green' : 'red' })]];
  if (result.requirements?.length) {
    out.push('', [s('What the objective asked:', { bold: true })]);
    for (const r of result.requirements) out.push(`${r.met ? '✓' : '✗'} ${r.label}`);
  } else out.push(...result.details.map((d) => `  ${d}`));
  if (result.breakdown?.length) {
    out.push('', [s('Where the score came from:', { bold: true })]);
    const w = Math.max(...result.breakdown.map((b) => `${b.points} of ${b.maxPoints}`.length));
    for (const b of result.breakdown) out.push(`${`${b.points} of ${b.maxPoints}`.padStart(w)}  ${b.label}`);
  }
  if (exercise.debrief.length) {
    out.push('', [s('Debrief questions (e exports them with room for your answers):', { bold: true })]);
    exercise.debrief.forEach((q, i) => out.push(`${i + 1}. ${q}`));
  }
  out.push('', 'Esc closes; u goes back, r draws the last pull again, b opens the tree to try another branch.');
  return out;
}

/** The glossary's entries on the screen's own words. */
const TERMS: readonly (readonly [string, string])[] = [
  ['draw', 'a random number from 0 to 1 (seeded, so a run repeats exactly). The branches share the range 0–1 in order, each as wide as its share: the draw falls in one of them and selects it.'],
  ['branch', 'one way a lever pull can turn out, with its probability and its effects on the tensions.'],
  ['base', "a branch's probability before modifiers; a modifier adds points (+8pt) or multiplies (×0.8)."],
  ['rescaling', 'after the modifiers, the branches of a lever add up to more or less than 100%; each is divided by their sum, so the shares add up to 100% (→ shows the share).'],
  ['policy', 'how the actors you do not play choose: weights over their available levers, and a draw among them. `a` and `A` let it choose for you too.'],
  ['facilitator', 'the role that decides for every actor; another role plays one actor and the policy plays the rest.'],
  ['checkpoint', "the end of a phase where the outcome rules are judged: the first rule that holds names the outcome."],
  ['reseeded', 'started again from the same state with a different seed, so the later draws differ (R, and the many runs of m).'],
  ['re-draw', 'the same pull again with a new draw (r); the old result stays in the branch tree beside it.'],
  ['branch code', 'the scenario, seed, policy and your decisions in one string: `parley play --branch CODE` reopens the same node.'],
  ['Wilson interval', 'the range that holds the true share of an outcome with 95% confidence, given the runs made (m).'],
  ['P(goal) ±', "with the what-if odds on (w): the share of runs that reach the goal if this move is made here and everyone then follows the policy (1,000 runs per move), ± half the width of its 95% interval. Every move is tried on the same random numbers, so the moves differ only by what they do."],
  ['▲ ▼', 'clearly better (▲) or worse (▼) than default play here: the 95% interval of the difference, run by run on the same random numbers, lies above (or below) zero and reaches past half a point. No mark: no clear difference. W shows the differences in points.'],
  ['default play', "what the policy would do here for the actor deciding: its own choice, weighted by how likely it is to make each move."],
];

/**
 * The glossary (`g`), built from the scenario: each tension with its label, what it means, that
 * higher is worse, its baseline and decay; the derived values in words; relationship states,
 * stances and outcomes with their definitions; then the screen's own terms.
 */
export function glossaryLines(def: ScenarioDefinition, width: number, start?: SimState): Line[] {
  const out: Line[] = [];
  const head = (text: string) => out.push(...(out.length ? [[] as Line] : []), [s(text, { bold: true, color: 'cyan' })]);
  const entry = (term: string, text: string) => {
    const lines = wrap(`${term} — ${text}`, width, 4);
    lines.forEach((l, i) => out.push(i === 0 ? [s(l.slice(0, cells(term)), { bold: true }), s(l.slice(cells(term)))] : [s(l)]));
  };
  head('Tensions (0 to 100; higher is worse)');
  for (const t of def.tensions) {
    const decay = t.decay ? `drifts back toward its baseline ${num(t.decay.toward)}, closing ${num(Math.round(t.decay.perWeek * 1000) / 10)}% of the gap a week` : 'does not drift back by itself';
    const constant = /^\s*-?[0-9.]+\s*$/.test(t.initialSource);
    const starts = start && !constant ? `${num(Math.round(start.t[t.index]! * 10) / 10)} in this run (${t.initialSource.trim()})` : t.initialSource.trim();
    entry(t.id, `${t.label}. ${t.doc ? `${t.doc.trim()} ` : ''}Higher is worse. Starts at ${starts}; ${decay}.`);
  }
  if (def.derived.length) {
    head('Derived values');
    for (const d of def.derived) {
      const config = (def.config.derived as Record<string, { value: string | number; doc?: string }> | undefined)?.[d.id];
      entry(d.label, `${config?.doc ? `${config.doc.trim()} ` : ''}= ${formulaInWords(def, String(config?.value ?? ''))}`);
    }
  }
  head('Relationship states (worst to best as the scenario lists them)');
  def.relationship.states.forEach((_, i) => entry(def.relationship.labels[i]!, def.relationship.descriptions[i] || '(no description)'));
  for (const a of def.actors) {
    if (!a.stance) continue;
    head(`Stances of ${a.name}`);
    a.stance.states.forEach((_, i) => entry(a.stance!.labels[i]!, a.stance!.descriptions[i] || '(no description)'));
  }
  head('Outcomes (judged in this order; the first whose rule holds)');
  for (const o of def.outcomes) entry(o.label, o.definition.trim() || '(no definition)');
  head('On this screen');
  for (const [term, text] of TERMS) entry(term, text);
  return out;
}

/**
 * A derived value's formula in words: a weighted sum of tensions (`0.25*MIL + 0.15*NARC`) as
 * `25% Threat of … (MIL) + 15% …`; any other formula as written, with names by their labels.
 */
function formulaInWords(def: ScenarioDefinition, source: string): string {
  const terms = source.split('+').map((t) => /^\s*([0-9.]+)\s*\*\s*([A-Za-z_]\w*)\s*$/.exec(t));
  const tension = (id: string) => def.tensions.find((t) => t.id === id);
  if (terms.every((m) => m && tension(m[2]!))) return terms.map((m) => `${num(Number(m![1]) * 100)}% ${tension(m![2]!)!.label} (${m![2]})`).join(' + ');
  return source.trim().replace(/\s+/g, ' ');
}

/** The branch code whole, wrapped, with the command that reopens it and how to copy it. */
export function codeLines(session: Session, width: number, copied: boolean | null): Line[] {
  const code = branchCode(session);
  const out: Line[] = [[s('Branch code of this node (send it to a classmate):', { bold: true })]];
  for (const l of wrap(code, width)) out.push([s(l, { color: 'yellow', bold: true })]);
  out.push([], [s('Reopen it with:', { bold: true })]);
  for (const l of wrap(reopenCommand(session, code), width)) out.push([s(l)]);
  out.push([]);
  const note = copied === true
    ? 'Also sent to the clipboard (OSC 52). Terminals that do not take it (and tmux without `set -g set-clipboard on`) ignore it: then select the code above.'
    : copied === false
      ? 'This terminal cannot take it on the clipboard: select the code above with the mouse (or e exports it to a file).'
      : 'Select the code above with the mouse to copy it (or e exports it to a file).';
  for (const l of wrap(note, width)) out.push([s(l, { dim: true })]);
  return out;
}

export const KEYS: readonly (readonly [string, string])[] = [
  ['↑ ↓  j k', 'choose a lever (or an item in a list)'],
  ['Enter', 'pull the chosen lever (or go to the chosen node / option)'],
  ['f', 'force a branch of the chosen lever ("what if it went this way?")'],
  ['r', 'draw the last pull again: the same lever from the same state, a new draw; the old result stays in the tree'],
  ['R', 'reroll the seed from here on: every later draw changes (does not use a turn)'],
  ['a  A', 'let the policy decide for your own role: this turn (a), or every turn to the end of the phase (A)'],
  ['u  U', 'undo: back to the previous decision (the branch stays in the tree); U or Ctrl-R redoes'],
  ['b', 'branch tree: go to any explored node; c marks two nodes to compare'],
  ['c', 'compare the current node with the one marked (c again elsewhere, or in the tree)'],
  ['m  +', 'run many seeded runs from here: outcomes with 95% intervals; + doubles the runs'],
  ['w', 'what if, on or off: each lever\'s line shows its chance of the goal (the exercise\'s objective, or the outcomes you pick in W with o), ± the half-width of its 95% interval, and ▲ or ▼ when it is clearly better or worse than default play — from 1,000 runs per move on the same random numbers, computed in the background at every node you reach (Esc stops it); your own play is not changed'],
  ['W', 'the what-if table: each move with P(goal), its 95% interval and the paired difference against default play; o there changes the goal'],
  ['g', 'glossary: every tension, value, state, outcome and term on the screen'],
  ['y', 'the whole branch code, the command that reopens it, and a copy to the clipboard'],
  ['p', 'play as another role (facilitator, or one actor)'],
  ['o', 'in an exercise: the briefing and the objective again'],
  ['s  e', 'save the session (reopen with --load FILE); export this branch as Markdown'],
  ['PgUp PgDn  [ ]', 'scroll the last step (or the log)'],
  ['Tab', 'switch the lower panel between the last step and the log'],
  ['? Esc', 'this help; Esc closes the open window'],
  ['q  Ctrl-C', 'quit (asks again when new branches are not saved)'],
];

export function helpLines(width: number): Line[] {
  const keyW = 16;
  const out: Line[] = [];
  for (const [k, what] of KEYS) {
    wrap(what, Math.max(10, width - keyW)).forEach((l, i) => out.push([s(pad(i ? '' : k, keyW), { bold: true, color: 'cyan' }), s(l)]));
  }
  out.push([], ...wrap('Each lever shows the probability of each of its branches from the current state; the "Last step" panel shows the draw, the branch it selected, and the arithmetic of the odds. g explains every term.', width).map((l): Line => [s(l, { dim: true })]));
  return out;
}
