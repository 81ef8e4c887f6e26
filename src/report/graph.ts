/**
 * The statechart of a scenario as a diagram for a slide or a handout: the timeline of phases
 * (with their rounds, the levers each actor may pull and the events that may fire), the
 * relationship chart and each actor's stance chart, every transition labelled with its guard,
 * the outcome rules in the order they are tried, and the mediators' channels.
 * Two formats: Mermaid (`stateDiagram-v2`) and Graphviz DOT (`digraph`).
 *
 * Pure: the same definition gives the same text.
 */
import type { ChartDef, PhaseDef, ScenarioDefinition } from '../scenario/definition.ts';
import { safeText } from '../scenario/safe-text.ts';

export type GraphFormat = 'mermaid' | 'dot';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['mermaid', 'dot'];

/** One region of the diagram: states, an initial state, labelled edges. */
interface Region {
  readonly key: string;
  readonly title: string;
  readonly nodes: readonly { readonly id: string; readonly label: string; readonly lines: readonly string[] }[];
  /** The state a chart starts in; null for a region that is a list (the mediators). */
  readonly initial: string | null;
  readonly edges: readonly { readonly from: string; readonly to: string | null; readonly label: string }[];
}

/** What the diagram shows, independent of the format. */
export function graphRegions(def: ScenarioDefinition): Region[] {
  const regions: Region[] = [timeline(def), chartRegion('rel', 'Relationship', def.relationship)];
  for (const actor of def.actors) {
    if (actor.stance) regions.push(chartRegion(`st${actor.index}`, `Stance of ${actor.name}`, actor.stance));
  }
  regions.push(outcomeRegion(def));
  if (def.mediators.length) regions.push(mediatorRegion(def));
  return regions;
}

/** The outcome rules in the order they are tried: the first whose condition holds is the outcome. */
function outcomeRegion(def: ScenarioDefinition): Region {
  const id = (i: number) => `out_${def.outcomes[i]!.id}`;
  const nodes = def.outcomes.map((o, i) => {
    const when = def.config.outcomes[i]?.when;
    return { id: id(i), label: o.label, lines: [when === undefined ? 'otherwise (always holds)' : `when ${String(when)}`] };
  });
  const edges = def.outcomes.slice(1).map((_, i) => ({ from: id(i), to: id(i + 1), label: 'else' }));
  return { key: 'outcomes', title: 'Outcomes (first rule that holds)', nodes, initial: id(0), edges };
}

/** Each mediator's channel: whose it is, when it is active, the odds it shifts and the increases it damps. */
function mediatorRegion(def: ScenarioDefinition): Region {
  const targets = (t: { levers?: readonly string[] | undefined; lever_tag?: string | undefined }) =>
    t.levers ? `levers ${t.levers.join(', ')}` : t.lever_tag ? `${t.lever_tag} levers` : 'every lever';
  const why = (text: string | undefined) => (text ? ` (${text})` : '');
  const nodes = def.mediators.map((m) => {
    const raw = def.config.mediators[m.id]!;
    const lines = [`${def.actors[m.actor]!.name}, active while ${String(raw.active_when)}`];
    for (const r of raw.modifiers) {
      const change = [r.mul !== undefined ? `×${String(r.mul)}` : '', r.add !== undefined ? `+${String(r.add)}` : ''].filter(Boolean).join(' ');
      lines.push(`${r.branch_tag} branches of ${targets(r)}: ${change || 'no change'}${why(r.why)}`);
    }
    for (const d of raw.damping) lines.push(`damps ${d.tension} increases from ${targets(d)} ×${d.factor}${why(d.why)}`);
    return { id: `med_${m.id}`, label: m.label, lines };
  });
  return { key: 'mediators', title: 'Mediators', nodes, initial: null, edges: [] };
}

function timeline(def: ScenarioDefinition): Region {
  const nodes = def.phases.map((phase) => ({ id: `ph_${phase.id}`, label: phase.label, lines: phaseLines(def, phase) }));
  const edges = def.phases.map((phase, i) => {
    const next = def.phases[i + 1];
    const after = `after ${plural(phase.rounds, 'round')}`;
    const judged = next ? (phase.checkpoint ? '; outcome judged' : '') : '; final outcome judged';
    return { from: `ph_${phase.id}`, to: next ? `ph_${next.id}` : null, label: after + judged };
  });
  return { key: 'timeline', title: 'Timeline', nodes, initial: `ph_${def.phases[0]!.id}`, edges };
}

/** Rounds, then per actor the levers available in the phase, then the events that can fire. */
function phaseLines(def: ScenarioDefinition, phase: PhaseDef): string[] {
  const days = phase.roundDays === 0 ? 'within a day' : `${phase.roundDays} day${phase.roundDays === 1 ? '' : 's'} each`;
  const lines = [`${plural(phase.rounds, 'round')}, ${days}`];
  for (const a of phase.turnOrder) {
    const actor = def.actors[a]!;
    const levers = def.leversByActor[a]!.filter((l) => l.phases[phase.index]).map((l) => l.label);
    lines.push(`${actor.name}: ${levers.length ? levers.join(', ') : 'no levers'}`);
  }
  const hazards = def.events.filter((e) => e.hazard && e.phases[phase.index]).map((e) => e.label);
  if (hazards.length) lines.push(`may happen: ${hazards.join(', ')}`);
  const scheduled: string[] = [];
  for (let r = 0; r < phase.rounds; r++) {
    for (const e of def.schedule[phase.firstRound + r] ?? []) scheduled.push(`${def.events[e]!.label} (round ${r + 1})`);
  }
  if (scheduled.length) lines.push(`scheduled: ${scheduled.join(', ')}`);
  return lines;
}

function chartRegion(key: string, title: string, chart: ChartDef): Region {
  const id = (i: number) => `${key}_${chart.states[i]!}`;
  const nodes = chart.states.map((_, i) => ({ id: id(i), label: chart.labels[i]!, lines: chart.descriptions[i] ? [chart.descriptions[i]!] : [] }));
  const edges = chart.byState.flatMap((out) =>
    out.map((t, j) => ({ from: id(t.from), to: id(t.to), label: out.length > 1 ? `(${j + 1}) ${t.whenSource}` : t.whenSource })),
  );
  return { key, title, nodes, initial: id(chart.initial), edges };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function renderGraph(def: ScenarioDefinition, format: GraphFormat): string {
  return format === 'mermaid' ? mermaid(def) : dot(def);
}

/**
 * Text safe inside Mermaid labels: control characters escaped (see safe-text.ts), characters with a meaning in the syntax or in HTML become
 * Mermaid entity codes (`#35;`), line breaks become spaces.
 */
export function escapeMermaid(text: string): string {
  return safeText(text).replace(/\s+/g, ' ').replace(/[#;"<>{}:|\\`&[\]]/g, (c) => `#${c.codePointAt(0)};`);
}

function mermaid(def: ScenarioDefinition): string {
  const out = ['stateDiagram-v2'];
  const regions = graphRegions(def);
  out.push(`  state "${escapeMermaid(def.title)}" as scenario {`);
  regions.forEach((region, i) => {
    if (i > 0) out.push('    --');
    out.push(`    state "${escapeMermaid(region.title)}" as ${region.key} {`);
    for (const node of region.nodes) {
      out.push(`      state "${escapeMermaid(node.label)}" as ${node.id}`);
      for (const line of node.lines) out.push(`      ${node.id} : ${escapeMermaid(line)}`);
    }
    if (region.initial !== null) out.push(`      [*] --> ${region.initial}`);
    for (const edge of region.edges) out.push(`      ${edge.from} --> ${edge.to ?? '[*]'} : ${escapeMermaid(edge.label)}`);
    out.push('    }');
  });
  out.push('  }');
  return out.join('\n') + '\n';
}

/** Text safe inside a double-quoted DOT string (control characters escaped, see safe-text.ts); `\n` ends a centred line. */
export function escapeDot(text: string): string {
  return safeText(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n');
}

function dot(def: ScenarioDefinition): string {
  const q = (text: string) => `"${escapeDot(text)}"`;
  const out = [
    `digraph ${q(`parley_${def.id}`)} {`,
    `  graph [label=${q(def.title)}, labelloc=t, fontname="Helvetica", rankdir=LR, compound=true];`,
    '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const region of graphRegions(def)) {
    out.push(`  subgraph ${q(`cluster_${region.key}`)} {`);
    out.push(`    label=${q(region.title)};`);
    if (region.initial !== null) out.push(`    ${q(`${region.key}__start`)} [shape=point, width=0.12, label=""];`);
    for (const node of region.nodes) {
      // Left-justified detail lines (`\l`) under the state's label.
      const detail = node.lines.map((l) => `${escapeDot(l)}\\l`).join('');
      out.push(`    ${q(node.id)} [label="${escapeDot(node.label)}${detail ? `\\n${detail}` : ''}"];`);
    }
    if (region.initial !== null) out.push(`    ${q(`${region.key}__start`)} -> ${q(region.initial)};`);
    let hasEnd = false;
    for (const edge of region.edges) {
      if (edge.to === null) hasEnd = true;
      out.push(`    ${q(edge.from)} -> ${q(edge.to ?? `${region.key}__end`)} [label=${q(edge.label)}];`);
    }
    if (hasEnd) out.push(`    ${q(`${region.key}__end`)} [shape=doublecircle, width=0.15, label=""];`);
    out.push('  }');
  }
  out.push('}');
  return out.join('\n') + '\n';
}
