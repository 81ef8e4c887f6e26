/**
 * What a report shows, from the files a study produced: batch summaries (and sensitivity results)
 * turned into figures and a provenance table. Reading is checked like every other input: a file
 * that is not a Parley output is refused with its name and what was expected.
 */
import type { SummaryDoc } from '../batch/summary.ts';
import type { Design } from '../batch/design.ts';
import type { OutcomeGroup } from '../batch/study.ts';
import { outcomeShares, sweepLines, type Figure, type OutcomeCounts, type SeriesPoint } from './figures.ts';
import { shellCommand } from '../io/files.ts';

/** One line of the provenance table. */
export interface Provenance {
  readonly file: string;
  readonly kind: string;
  readonly scenario: string;
  readonly hash: string;
  readonly engine: string;
  readonly command: string;
  readonly design: string;
  readonly runs: number;
}

/** Counts of a measure (outcome or group) in a tally of outcome counts. */
function measureCount(counts: Readonly<Record<string, number>>, measure: string, groups: readonly OutcomeGroup[]): number {
  const g = groups.find((x) => x.name === measure);
  return g ? g.outcomes.reduce((s, o) => s + (counts[o] ?? 0), 0) : counts[measure] ?? 0;
}

const countsOf = (p: { outcomes: Record<string, { count: number }> }): Record<string, number> => Object.fromEntries(Object.entries(p.outcomes).map(([k, v]) => [k, v.count]));

/** A design in a few words: `3 × 2 sweep, 200 runs per point, seed 1, policy default`. */
export function describeDesign(d: Design): string {
  const parts: string[] = [];
  if (d.sweep.length) parts.push(`sweep ${d.sweep.map((w) => `${w.param} ${w.from}…${w.to} (${w.steps})`).join(' × ')}`);
  if (d.sample) parts.push(`${d.sample.method} ${d.sample.points} points over ${d.sample.params.join(', ')}`);
  if (d.list) parts.push(`${d.list.points} listed points (${d.list.source}${d.list.file ? ` ${d.list.file}` : ''}) over ${d.list.params.join(', ')}`);
  if (d.exercise) parts.push(`exercise ${d.exercise.id}`);
  const set = Object.entries(d.set);
  if (set.length) parts.push(`set ${set.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (d.branch) parts.push(`from branch ${d.branch}`);
  parts.push(`${d.runsPerPoint} runs per point`, `seed ${d.seed}${d.seeds === 'independent' ? ' (independent seeds)' : d.points > 1 ? ' (paired across points)' : ''}`, `policy ${d.policy}`);
  if (d.shard) parts.push(`shard ${d.shard.k}/${d.shard.n}`);
  return parts.join('; ');
}

/** A provenance line of any Parley output that records its scenario, engine, command and design. */
export function provenanceOf(file: string, kind: string, doc: { scenario: { id: string; hash: string }; parley: string; command: readonly string[]; design: Design }, runs: number): Provenance {
  return { file, kind, scenario: doc.scenario.id, hash: doc.scenario.hash, engine: doc.parley, command: shellCommand(doc.command), design: describeDesign(doc.design), runs };
}

/** The figures of one batch summary: outcome shares, and for sweeps each measure against the swept values. */
export function summaryFigures(s: SummaryDoc, asked: readonly OutcomeGroup[], prefix: string): Figure[] {
  const outcomes = s.layout.outcomes;
  // The batch's own groups (`parley batch --group`), then those the report adds.
  const own = Object.entries(s.groups ?? {}).map(([name, g]) => ({ name, outcomes: g.outcomes }));
  const groups = [...own, ...asked.filter((g) => !own.some((o) => o.name === g.name))];
  const figures: Figure[] = [];
  const moments: OutcomeCounts[] = [
    ...Object.entries(s.checkpoints).map(([phase, byOutcome]) => ({ when: `end of ${phase}`, counts: countsOf({ outcomes: byOutcome }), runs: s.runs })),
    { when: 'final', counts: countsOf(s), runs: s.runs },
  ];
  figures.push(outcomeShares(`${prefix}shares`, `Outcomes of ${s.scenario.id} (${s.runs.toLocaleString('en-US')} runs)`, outcomes, moments));
  if (groups.length) {
    const all = countsOf(s);
    figures.push(outcomeShares(`${prefix}groups`, 'Groups of outcomes', groups.map((g) => g.name), [{ when: 'final', runs: s.runs, counts: Object.fromEntries(groups.map((g) => [g.name, measureCount(all, g.name, groups)])) }]));
  }
  const swept = s.design.sweep.map((w) => w.param);
  if (swept.length > 0 && s.points.length > 1) {
    const [xName, seriesName] = [swept[0]!, swept[1] ?? null];
    const measures = [...groups.map((g) => g.name), ...outcomes];
    // Pool over every other dimension (further sweeps, sampled points): sum the counts per cell.
    const cells = new Map<string, { measure: string; x: number; series: string; count: number; runs: number }>();
    for (const p of s.points) {
      const counts = countsOf(p);
      const x = p.params[xName]!;
      const series = seriesName ? String(p.params[seriesName]) : '';
      for (const m of measures) {
        const key = `${m}\0${x}\0${series}`;
        const cell = cells.get(key) ?? { measure: m, x, series, count: 0, runs: 0 };
        cell.count += measureCount(counts, m, groups);
        cell.runs += p.runs;
        cells.set(key, cell);
      }
    }
    const points: SeriesPoint[] = [...cells.values()].sort((a, b) => a.x - b.x || Number(a.series) - Number(b.series));
    figures.push(sweepLines(`${prefix}sweep`, `Outcomes against ${xName}${seriesName ? ` and ${seriesName}` : ''}`, xName, seriesName, points, measures));
  }
  return figures;
}
