/**
 * A run as readable text: every step with its round and phase, the actor, the lever, each
 * branch's probability and the draw, tension changes, events, mediator effects, chart moves,
 * checkpoints, and at the end the outcome and the final tensions. Plain text, no colour.
 */
import type { RunResult } from '../engine/engine.ts';
import { describeState } from '../engine/describe.ts';
import type { BranchOdds, Happening, TensionChange, TraceEntry } from '../engine/types.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { ENGINE_VERSION } from '../version.ts';
import { safeText } from '../scenario/safe-text.ts';
import { roundMoment } from '../scenario/dates.ts';
import { describeCameo } from '../scenario/cameo.ts';

/** One decimal, without a trailing `.0`. */
export const num = (x: number): string => {
  const text = x.toFixed(1);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
};
export const pct = (p: number): string => `${(p * 100).toFixed(1)}%`;
const signed = (x: number): string => (x >= 0 ? `+${num(x)}` : `−${num(-x)}`);

/** Tension changes as `MIL 55→60`; changes too small to show at one decimal are left out. */
export function formatChanges(changes: readonly TensionChange[]): string {
  return changes
    .filter((c) => num(c.from) !== num(c.to))
    .map((c) => `${c.tension} ${num(c.from)}→${num(c.to)}`)
    .join(', ');
}

export function formatOdds(odds: readonly BranchOdds[], name: (branch: string) => string = (b) => b): string {
  return odds
    .map((o) => {
      const mods = o.modifiers.filter((m) => m.add !== 0 || m.mul !== 1).map((m) => `${m.mul !== 1 ? `×${+m.mul.toFixed(3)}` : ''}${m.add !== 0 ? signed(m.add * 100) + 'pt' : ''} ${m.source === '' ? '' : `(${m.why})`}`.trim());
      return `${name(o.branch)} ${pct(o.p)}${mods.length ? ` [base ${pct(o.base)}; ${mods.join('; ')}]` : ''}`;
    })
    .join(', ');
}

function actorName(def: ScenarioDefinition, id: string): string {
  return def.actors.find((a) => a.id === id)?.name ?? id;
}

function leverLabel(def: ScenarioDefinition, id: string): string {
  return def.levers.find((l) => l.id === id)?.label ?? id;
}

/** ` · CAMEO 057 (Sign formal agreement)` for a branch (or event) with a CAMEO code, else nothing. */
function cameoNote(code: string | null | undefined): string {
  return code ? ` · CAMEO ${describeCameo(code)}` : '';
}

/** A chart's state by its label. */
function stateLabel(chart: { readonly states: readonly string[]; readonly labels: readonly string[] }, state: string): string {
  const i = chart.states.indexOf(state);
  return i >= 0 ? chart.labels[i]! : state;
}

/** A lever's branch by its label (its id if it has none). */
export function branchLabel(def: ScenarioDefinition, lever: string, branch: string): string {
  return def.leverById.get(lever)?.branches.find((b) => b.id === branch)?.label ?? branch;
}

/** How happenings read: `labels` names branches and mediators by their labels (for people: play, exports); `inject` marks an event an exercise scheduled. */
export interface HappeningStyle {
  readonly labels?: boolean;
  readonly inject?: boolean;
}

/** The lines for happenings that are not the lever pull itself. */
export function formatHappening(def: ScenarioDefinition, h: Happening, indent = '    ', style: HappeningStyle = {}): string[] {
  const { labels = false, inject = false } = style;
  switch (h.type) {
    case 'lever': {
      const changes = formatChanges(h.effects);
      const single = h.odds.length === 1;
      const cameo = cameoNote(def.leverById.get(h.lever)?.branches.find((b) => b.id === h.branch)?.cameo);
      const lines = [
        ...(single ? [] : [`${indent}odds: ${formatOdds(h.odds, labels ? (b) => branchLabel(def, h.lever, b) : undefined)}`]),
        `${indent}${single ? '' : `${h.forced ? 'forced' : `draw ${h.draw.toFixed(3)}`} → ${labels ? branchLabel(def, h.lever, h.branch) : h.branch}`}${changes ? `${single ? '' : ': '}${changes}` : single ? 'no change' : ''}${cameo}`,
      ];
      for (const d of h.damped) lines.push(`${indent}mediator ${labels ? (def.mediators.find((m) => m.id === d.mediator)?.label ?? d.mediator) : d.mediator} damps ${d.tension} increases ×${d.factor}`);
      return lines;
    }
    case 'event': {
      const event = def.events.find((e) => e.id === h.event);
      const label = event?.label ?? h.event;
      const how = h.scheduled ? (inject ? 'inject' : 'scheduled') : `hazard ${pct(h.hazard ?? 0)}, draw ${(h.draw ?? 0).toFixed(3)}`;
      const name = (b: string) => (labels ? (event?.branches.find((x) => x.id === b)?.label ?? b) : b);
      const branch = h.branch ? ` → ${name(h.branch)} (${formatOdds(h.odds, name)})` : '';
      const cameo = cameoNote((h.branch ? event?.branches.find((b) => b.id === h.branch)?.cameo : null) ?? event?.cameo);
      return [`${indent}event: ${label} (${how})${branch}${h.effects.length ? `: ${formatChanges(h.effects)}` : ''}${cameo}`];
    }
    case 'coupling':
      return [`${indent}coupling ${h.coupling}: ${formatChanges(h.effects)}`];
    case 'decay': {
      const changes = formatChanges(h.effects);
      return changes ? [`${indent}decay: ${changes}`] : [];
    }
    case 'relationship': {
      const name = (st: string) => (labels ? stateLabel(def.relationship, st) : st);
      return [`${indent}relationship: ${name(h.from)} → ${name(h.to)} (${h.why})`];
    }
    case 'stance': {
      const chart = def.actors.find((a) => a.id === h.actor)?.stance;
      const name = (st: string) => (labels && chart ? stateLabel(chart, st) : st);
      return [`${indent}stance of ${actorName(def, h.actor)}: ${name(h.from)} → ${name(h.to)} (${h.why})`];
    }
    case 'round':
      return [];
    case 'checkpoint': {
      const o = def.outcomes.find((x) => x.id === h.outcome);
      const phase = def.phases.find((p) => p.id === h.phase)?.label ?? h.phase;
      return [`${indent}${h.final ? 'final outcome' : 'checkpoint'} at the end of ${phase}: ${o?.label ?? h.outcome}`];
    }
  }
}

/** The line saying what was decided at a step (with `labels`, without the lever's id). */
export function actionLine(def: ScenarioDefinition, e: TraceEntry, labels = false): string {
  const who = actorName(def, e.actor);
  const a = e.action;
  if (a.type === 'reroll') return `  [${e.step + 1}] seed rerolled to ${a.seed} from here on`;
  if (a.type === 'pass') return `  [${e.step + 1}] ${who} passes${e.by === 'auto' ? ' (no lever available)' : e.by === 'player' ? ' (chosen)' : ''}`;
  const how = e.by === 'player' ? ' (chosen)' : e.choice ? ` (policy ${e.choice.policy}, draw ${e.choice.draw.toFixed(3)} over ${e.choice.options.length} option${e.choice.options.length === 1 ? '' : 's'})` : '';
  return `  [${e.step + 1}] ${who} pulls ${leverLabel(def, a.lever)}${labels ? '' : ` (${a.lever})`}${a.force ? ` forcing ${labels ? branchLabel(def, a.lever, a.force) : a.force}` : ''}${how}`;
}

/** Lines of one step: the decision and everything that followed from it. */
/**
 * An entry's lines: its action, then what happened. `injects` are an exercise's scheduled events
 * as `ROUND:EVENT` (global round from 0, as `injectKeys` gives them): they read "(inject)".
 */
export function formatEntry(def: ScenarioDefinition, e: TraceEntry, labels = false, injects: ReadonlySet<string> = NO_INJECTS): string[] {
  let g = e.g;
  return [
    actionLine(def, e, labels),
    ...e.happenings.flatMap((h) => {
      if (h.type === 'round') g = h.g;
      return formatHappening(def, h, '    ', { labels, inject: h.type === 'event' && h.scheduled && injects.has(`${g}:${h.event}`) });
    }),
  ];
}

const NO_INJECTS: ReadonlySet<string> = new Set();

function tensionLine(def: ScenarioDefinition, values: Readonly<Record<string, number>>, derived: Readonly<Record<string, number>>): string {
  const parts = def.tensions.map((t) => `${t.id} ${num(values[t.id]!)}`);
  for (const d of def.derived) parts.push(`${d.id} ${num(derived[d.id]!)}`);
  return parts.join('  ');
}

/**
 * The whole transcript of a run. `replay` is the command that repeats it when the branch code
 * alone does not (parameters set on the command line, an exercise's injects). `injects` are the
 * events an exercise added to the schedule, as `ROUND:EVENT` (global round from 0): they read
 * "(inject)" instead of "(scheduled)".
 */
export function formatTranscript(def: ScenarioDefinition, result: RunResult, replay?: string, injects: ReadonlySet<string> = new Set()): string {
  const out: string[] = [];
  const start = describeState(def, result.initial);
  out.push(`Parley ${ENGINE_VERSION} — ${def.title} (${def.id}, ${def.hash.slice(0, 12)})`);
  out.push(`Seed ${result.seed} · policy ${result.policy} · branch code ${result.branchCode}`);
  const changed = def.parameters.filter((p) => result.params[p.index] !== p.default);
  if (changed.length) out.push(`Parameters: ${changed.map((p) => `${p.id}=${result.params[p.index]}`).join(', ')}`);
  if (replay) out.push(`Replay: ${replay}`);
  out.push('');
  out.push(`Start ${def.start} · relationship ${start.relationship}${Object.keys(start.stances).length ? ` · stances ${Object.entries(start.stances).map(([a, s]) => `${a} ${s}`).join(', ')}` : ''}`);
  out.push(`  ${tensionLine(def, start.tensions, start.derived)}`);
  let g = -1;
  const header = (e: { g: number }) => {
    if (e.g === g) return;
    g = e.g;
    const round = def.rounds[g]!;
    const phase = def.phases[round.phase]!;
    out.push('', `${phase.label} — round ${round.round} of ${phase.rounds} — ${roundMoment(round)}`);
  };
  const injected = (h: Happening) => h.type === 'event' && h.scheduled && injects.has(`${g}:${h.event}`);
  if (result.opening.length) {
    header({ g: 0 });
    for (const h of result.opening) out.push(...formatHappening(def, h, '  ', { inject: injected(h) }));
  }
  for (const entry of result.trace) {
    header(entry);
    out.push(actionLine(def, entry));
    for (const h of entry.happenings) {
      if (h.type === 'round') header(h);
      else out.push(...formatHappening(def, h, '    ', { inject: injected(h) }));
    }
  }
  const end = describeState(def, result.state);
  out.push('', `Outcome: ${result.outcome.label} (${result.outcome.id})`);
  if (result.outcome.definition) out.push(`  ${result.outcome.definition.trim()}`);
  const checkpoints = end.checkpoints.slice(0, -1);
  for (const c of checkpoints) out.push(`  at the end of ${def.phases.find((p) => p.id === c.phase)!.label}: ${def.outcomes.find((o) => o.id === c.outcome)!.label}`);
  out.push(`Final: relationship ${end.relationship}${Object.keys(end.stances).length ? ` · stances ${Object.entries(end.stances).map(([a, s]) => `${a} ${s}`).join(', ')}` : ''} · Goldstein ${signed(end.goldstein)}`);
  out.push(`  ${tensionLine(def, end.tensions, end.derived)}`);
  // The definition's texts are safe already (see load.ts); the id is a file name, the replay a path.
  return safeText(out.join('\n') + '\n');
}
