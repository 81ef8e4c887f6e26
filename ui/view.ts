/**
 * What each panel of the play screen shows, as plain functions from a session to lines. The
 * components only lay these out; tests can check the content without a terminal.
 */
import type { BranchOdds, Happening, ScenarioDefinition, SimState, TraceEntry } from '../src/index.ts';
import { availableLevers, currentActor, evaluate, leverOdds, unavailableReason } from '../src/play/ui-support.ts';
import { actionLine, formatHappening } from '../src/report/transcript.ts';
import { branchCode, currentNode, entriesTo, FACILITATOR, pathTo, stateBefore, stepLabel, type Comparison, type Session } from '../src/play/session.ts';
import type { Distribution } from '../src/play/distribution.ts';
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
  const shown = cells(code) <= codeRoom ? code : cells(head) + 12 <= codeRoom ? head + tail(code.slice(head.length), codeRoom - cells(head)) : tail(code, codeRoom);
  const second: Line = [s(seed, { color: 'yellow', bold: true }), s('  code ', { dim: true }), s(shown)];
  return [first, second];
}

/**
 * Tension bars (id, label when there is room, value, change since the last step), derived values
 * such as the crisis index, the relationship and each actor's stance.
 */
export function stateLines(session: Session, width: number): Line[] {
  const { def } = session.compiled;
  const now = currentNode(session).state;
  const before = stateBefore(session);
  const idW = Math.min(10, Math.max(...def.tensions.map((t) => cells(t.id))));
  const tail = 12; // ' 100.0 ▲10.5'
  const barW = Math.max(6, Math.min(24, Math.floor((width - idW - tail) * 0.45)));
  const labelW = width - idW - 1 - barW - tail - 1;
  const change = (value: number, prev: number): Seg => {
    const d = delta(value - prev);
    return s(' ' + pad(d ? (value > prev ? '▲' : '▼') + d.slice(1) : '', 5), { color: value > prev ? 'red' : 'green', bold: true });
  };
  const value = (x: number) => s(' ' + num(Math.round(x * 10) / 10).padStart(5));
  const lines: Line[] = def.tensions.map((t) => {
    const v = now.t[t.index]!;
    return [
      s(pad(t.id, idW) + ' ', { bold: true }),
      ...(labelW >= 8 ? [s(pad(t.label, labelW) + ' ', { dim: true })] : []),
      s(bar(v, labelW >= 8 ? barW : width - idW - 1 - tail), { color: v >= 70 ? 'red' : v >= 40 ? 'yellow' : 'green' }),
      value(v),
      change(v, before.t[t.index]!),
    ];
  });
  const derivedW = Math.max(...def.derived.map((d) => cells(d.label)), 8);
  for (const d of def.derived) {
    const v = evaluate(d.value, now);
    lines.push([s(pad(d.label, Math.min(derivedW, width - tail)), { bold: true, color: 'magenta' }), value(v), change(v, evaluate(d.value, before))]);
  }
  const nameW = Math.min(16, Math.max(12, ...def.actors.filter((a) => a.stance).map((a) => cells(a.name))));
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

/** The levers the current actor may ever pull (available first), then passing. Empty once ended. */
export function leverItems(session: Session): LeverItem[] {
  const { def } = session.compiled;
  const state = currentNode(session).state;
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

function branchLabel(def: ScenarioDefinition, lever: string, branch: string): string {
  return def.levers.find((l) => l.id === lever)?.branches.find((b) => b.id === branch)?.label ?? branch;
}

/** One line per lever: a marker, the label, and each branch's probability (or why not). */
export function leverRows(session: Session, items: readonly LeverItem[], selected: number, width: number): Line[] {
  const { def } = session.compiled;
  const labelW = Math.min(22, Math.floor(width * 0.4), Math.max(6, ...items.map((i) => cells(i.label))));
  return items.map((item, i) => {
    const mark = i === selected ? '› ' : '  ';
    const label = s(mark + pad(item.label, labelW) + ' ', i === selected ? { bold: true, inverse: true } : item.available ? {} : { dim: true });
    if (!item.available) return [label, s(item.reason ?? '', { dim: true })];
    if (item.id === 'pass') return [label, s('no draw', { dim: true })];
    // Short of room, each branch goes by its id (`lands_well`), which the scenario keeps short
    // and distinct; the detail under the list has the labels and what changed the odds.
    const full = item.odds.map((o) => `${branchLabel(def, item.id, o.branch)} ${pct(o.p)}`).join(' · ');
    const short = cells(full) > width - labelW - 3;
    const name = (o: BranchOdds) => (short ? o.branch : branchLabel(def, item.id, o.branch));
    return [label, ...item.odds.flatMap((o, k) => [s(k ? (short ? ' ' : ' · ') : '', { dim: true }), s(name(o) + ' '), s(pct(o.p), { bold: true, color: 'yellow' })])];
  });
}

/** The chosen lever's description and, for each branch, its odds and what changed them. */
export function leverDetail(session: Session, items: readonly LeverItem[], selected: number, width: number): Line[] {
  const { def } = session.compiled;
  const chosen = items[selected];
  if (!chosen || !chosen.available || chosen.id === 'pass') return [];
  // The odds first: on a small screen they are what the player needs to decide.
  const lines: Line[] = [];
  for (const o of chosen.odds) for (const l of wrap(oddsDetail(def, chosen.id, o), width, 4)) lines.push([s(l)]);
  if (chosen.odds.length > 1) lines.push([s('(after the modifiers, the branches are rescaled to add up to 100%)', { dim: true })]);
  if (chosen.description) for (const l of wrap(chosen.description.trim(), width)) lines.push([s(l, { dim: true })]);
  return lines;
}

/** The lever list, then a blank line and the chosen lever's detail. */
export function leverLines(session: Session, items: readonly LeverItem[], selected: number, width: number): Line[] {
  const detail = leverDetail(session, items, selected, width);
  return [...leverRows(session, items, selected, width), ...(detail.length ? [[], ...detail] : [])];
}

/** `Lands well 63.6%: base 60.0% +10pt (Channel)`. */
export function oddsDetail(def: ScenarioDefinition, lever: string, o: BranchOdds): string {
  // A lever with one branch always takes it: modifiers cannot change that, so do not list them.
  if ((def.leverById.get(lever)?.branches.length ?? 0) === 1) return `${branchLabel(def, lever, o.branch)} 100% (the only branch)`;
  const mods = o.modifiers.filter((m) => m.add !== 0 || m.mul !== 1).map((m) => `${m.mul !== 1 ? `×${+m.mul.toFixed(3)} ` : ''}${m.add !== 0 ? `${m.add > 0 ? '+' : '−'}${num(Math.round(Math.abs(m.add) * 1000) / 10)}pt ` : ''}(${m.why})`);
  const p = `${(o.p * 100).toFixed(1)}%`;
  return `${branchLabel(def, lever, o.branch)} ${p}${mods.length ? `: base ${(o.base * 100).toFixed(1)}% ${mods.join(' ')}` : ''}`;
}

function styledHappening(def: ScenarioDefinition, h: Happening, width: number): Line[] {
  const color = h.type === 'event' ? 'magenta' : h.type === 'relationship' || h.type === 'stance' ? 'cyan' : h.type === 'checkpoint' ? 'green' : undefined;
  const text = formatHappening(def, h, '  ');
  if (h.type === 'lever') {
    const out: Line[] = [];
    for (const o of h.odds) for (const l of wrap('  ' + oddsDetail(def, h.lever, o), width, 4)) out.push([s(l)]);
    const drawn = `  ${h.forced ? 'forced' : `draw ${h.draw.toFixed(3)}`} → ${branchLabel(def, h.lever, h.branch)}`;
    const effects = h.effects.map((c) => `${c.tension} ${num(c.from)}→${num(c.to)}`).join(', ');
    for (const l of wrap(drawn + (effects ? `: ${effects}` : ''), width, 4)) out.push([s(l, { bold: true, color: 'yellow' })]);
    for (const d of h.damped) for (const l of wrap(`  mediator ${actorName(def, def.mediators.find((m) => m.id === d.mediator)?.label ?? d.mediator)} damps ${d.tension} increases ×${d.factor}`, width, 4)) out.push([s(l, { color: 'cyan' })]);
    return out;
  }
  return text.flatMap((t) => wrap(t, width, 4)).map((l) => [s(l, color ? { color } : {})]);
}

function entryLines(def: ScenarioDefinition, e: TraceEntry, width: number): Line[] {
  const head = actionLine(def, e).trim();
  const out: Line[] = wrap(head, width, 4).map((l) => [s(l, { bold: e.by === 'player' })]);
  for (const h of e.happenings) {
    if (h.type === 'round') out.push([s(`— ${def.phases.find((p) => p.id === h.phase)?.label ?? h.phase}, round ${h.round} · ${h.date}`, { dim: true })]);
    else out.push(...styledHappening(def, h, width));
  }
  return out;
}

/** Why the last step went as it did: the decision, odds and what modified them, the draw, events. */
export function explainLines(session: Session, width: number): Line[] {
  const { def } = session.compiled;
  const node = currentNode(session);
  if (node.parent === null && node.entries.length === 0) {
    const out: Line[] = [[s(`${def.title}: start`, { bold: true })]];
    for (const l of wrap(def.summary.trim(), width)) out.push([s(l, { dim: true })]);
    for (const h of session.opening) out.push(...styledHappening(def, h, width));
    out.push([], [s('Pick a lever with ↑↓ and press Enter.', { dim: true })]);
    return out;
  }
  return node.entries.flatMap((e) => entryLines(def, e, width));
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
      else if (h.type === 'event' || h.type === 'relationship' || h.type === 'stance' || h.type === 'checkpoint') out.push(...styledHappening(def, h, width).slice(0, 1).map((l) => [s('  '), ...l]));
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
  out.push([], [s('u undo · b branch tree · m run many from here · e export', { dim: true })]);
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

/** Short label of a node: the decision that made it. */
export function nodeLabel(session: Session, id: number): string {
  const { def } = session.compiled;
  const node = session.nodes[id]!;
  const first = node.entries[0];
  let text: string;
  if (node.parent === null) text = 'start';
  else if (!first || first.by !== 'player') text = 'policy plays on';
  else if (first.action.type === 'reroll') text = `reroll → seed ${first.action.seed}`;
  else if (first.action.type === 'pass') text = `${actorName(def, first.actor)} passes`;
  else {
    const lever = first.happenings.find((h) => h.type === 'lever');
    const label = def.levers.find((l) => l.id === (first.action as { lever: string }).lever)?.label ?? '';
    text = `${actorName(def, first.actor)}: ${label}${lever && lever.type === 'lever' ? ` → ${branchLabel(def, lever.lever, lever.branch)}${lever.forced ? ' (forced)' : ''}` : ''}`;
  }
  const st = node.state;
  return `${text}  [${stepLabel(st)}${st.ended ? ` · ${def.outcomes[st.outcome]!.label}` : ''}]`;
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

export function compareLines(session: Session, cmp: Comparison, width: number): Line[] {
  const labelW = Math.min(22, Math.max(8, ...cmp.rows.map((r) => cells(r.label))));
  const colW = Math.max(10, Math.floor((width - labelW - 5) / 2));
  const out: Line[] = [
    [s(pad('', labelW) + '  '), s(pad(`A: node ${cmp.a}`, colW), { bold: true }), s('   '), s(pad(`B: node ${cmp.b}`, colW), { bold: true })],
    [s(pad('', labelW) + '  '), s(pad(nodeLabel(session, cmp.a), colW), { dim: true }), s('   '), s(pad(nodeLabel(session, cmp.b), colW), { dim: true })],
  ];
  for (const r of cmp.rows) {
    const style = r.differs ? { bold: true, color: 'yellow' } : {};
    out.push([s(pad(r.label, labelW) + '  '), s(pad(r.a, colW), style), s(r.differs ? ' ≠ ' : '   ', { bold: true }), s(pad(r.b, colW), style)]);
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

export const KEYS: readonly (readonly [string, string])[] = [
  ['↑ ↓  j k', 'choose a lever (or an item in a list)'],
  ['Enter', 'pull the chosen lever (or go to the chosen node / option)'],
  ['f', 'force a branch of the chosen lever ("what if it went this way?")'],
  ['r', 'reroll the seed from here on (does not use a turn)'],
  ['a  A', 'let the policy decide this turn (a) or every turn to the end of the phase (A)'],
  ['u  U', 'undo: back to the previous decision (the branch stays in the tree); U or Ctrl-R redoes'],
  ['b', 'branch tree: go to any explored node; c marks two nodes to compare'],
  ['c', 'compare the current node with the one marked in the tree'],
  ['m  +', 'run many seeded runs from here: outcomes with 95% intervals; + doubles the runs'],
  ['p', 'play as another role (facilitator, or one actor)'],
  ['o', 'in an exercise: the briefing and the objective again'],
  ['s  e', 'save the session (reopen with --load FILE); export this branch as Markdown'],
  ['Tab', 'switch the lower panel between the last step and the log; PgUp PgDn scroll the log'],
  ['? Esc', 'this help; Esc closes the open window'],
  ['q  Ctrl-C', 'quit (asks again when new branches are not saved)'],
];

export function helpLines(width: number): Line[] {
  const out: Line[] = KEYS.map(([k, what]) => [s(pad(k, 12), { bold: true, color: 'cyan' }), s(pad(what, Math.max(10, width - 12)))]);
  out.push([], [s('Each lever shows the probability of each of its branches from the current state; the', { dim: true })]);
  out.push([s('"Last step" panel explains the draw, what changed the odds, and what followed.', { dim: true })]);
  return out;
}
