/**
 * Trajectories (`--record rounds --rounds FILE`): one long-format row per run and round, in run
 * order, then round order, after a one-line provenance header like a row file's:
 *
 *   run, point, replicate, round, phase, phase_round, date, tension.*, derived.*,
 *   relationship, stance.*, levers, events, goldstein
 *
 * `round` is the round's index across phases (0-based); `levers` and `events` name, separated by
 * spaces, the levers pulled and the events that happened in the round (scheduled injects at its
 * start included); `goldstein` is the sum of the round's Goldstein weights. The values are those
 * at the end of the round, after the charts moved.
 *
 * The kernel calls the recorder at the end of every round (`RunLanes.onRoundEnd`); each lane's
 * rounds gather in a buffer of their own and go out in run order once the lane's run is visited,
 * so the file does not depend on how runs were grouped, on workers or on shards.
 */
import type { RunLanes } from '../engine/runs.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { UsageError } from '../scenario/errors.ts';
import { completeLength, headLines, readLines } from '../io/files.ts';
import { RowBuffer, type RowFormat, type RowsHeader } from './rows.ts';

export const ROUNDS_FORMAT = 'parley-batch-rounds';
export const ROUNDS_VERSION = 1;

/** A rounds file's header: a row file's provenance under its own format marker. */
export type RoundsHeader = Omit<RowsHeader, 'format'> & { readonly format: typeof ROUNDS_FORMAT };

/** Actors with a stance chart, whose stance each round gives. */
const stanceActors = (def: ScenarioDefinition) => def.actors.filter((a) => a.stance);

export function roundColumns(def: ScenarioDefinition): string[] {
  return [
    'run', 'point', 'replicate', 'round', 'phase', 'phase_round', 'date',
    ...def.tensions.map((t) => `tension.${t.id}`),
    ...def.derived.map((d) => `derived.${d.id}`),
    'relationship',
    ...stanceActors(def).map((a) => `stance.${a.id}`),
    'levers', 'events', 'goldstein',
  ];
}

export function formatRoundsHeader(header: RoundsHeader, format: RowFormat): string {
  const json = JSON.stringify(header);
  return format === 'csv' ? `# ${json}\n${header.columns.join(',')}\n` : `${json}\n`;
}

const COMMA = 44;
const NEWLINE = 10;

/** Records the rounds of the runs in a set of lanes; `take` hands over a run's rows. */
export class RoundRecorder {
  private readonly lanes: RowBuffer[] = [];
  private readonly previous: Float64Array;
  private readonly keys: { readonly csv: readonly string[] };
  readonly hook: (L: RunLanes) => void;

  constructor(
    private readonly def: ScenarioDefinition,
    private readonly format: RowFormat,
    capacity: number,
  ) {
    for (let i = 0; i < capacity; i++) this.lanes.push(new RowBuffer());
    this.previous = new Float64Array(capacity);
    this.keys = { csv: roundColumns(def).slice(3) };
    this.hook = (L) => this.record(L);
  }

  /** Empties the buffers of lanes `0..n)`, for a new group of runs. */
  clear(n: number): void {
    for (let i = 0; i < n; i++) this.lanes[i]!.clear();
  }

  private record(L: RunLanes): void {
    const { def } = this;
    const g = L.g;
    const round = def.rounds[g]!;
    const phase = def.phases[round.phase]!.id;
    const stances = stanceActors(def);
    const json = this.format === 'jsonl';
    for (let i = 0; i < L.n; i++) {
      const b = this.lanes[i]!;
      const sep = (key: string) => {
        if (json) b.text(`,${JSON.stringify(key)}:`);
        else b.byte(COMMA);
      };
      const text = (s: string) => (json ? b.text(JSON.stringify(s)) : b.text(s));
      if (json) b.text('"round":');
      b.number(g);
      sep('phase');
      text(phase);
      sep('phase_round');
      b.number(round.round);
      sep('date');
      text(round.date);
      for (const t of def.tensions) {
        sep(`tension.${t.id}`);
        b.number(L.t[i * L.nt + t.index]!);
      }
      for (const d of def.derived) {
        sep(`derived.${d.id}`);
        b.number(d.value.fn(L, i) as number);
      }
      sep('relationship');
      text(def.relationship.states[L.rel[i]!]!);
      for (const a of stances) {
        sep(`stance.${a.id}`);
        text(a.stance!.states[L.st[i * L.na + a.index]!]!);
      }
      sep('levers');
      text(this.happened(L, i, def.levers));
      sep('events');
      text(this.happened(L, i, def.events));
      sep('goldstein');
      const before = g === 0 ? 0 : this.previous[i]!;
      b.number(L.gs[i]! - before);
      this.previous[i] = L.gs[i]!;
      if (json) b.byte(125); // '}'
      b.byte(NEWLINE);
    }
  }

  /** Ids of the items (levers or events) that happened in lane `i` in the round that ends. */
  private happened(L: RunLanes, i: number, items: readonly { readonly id: string; readonly historyKey: number }[]): string {
    let out = '';
    for (const item of items) if (L.last[i * L.nh + item.historyKey] === L.g) out += out ? ` ${item.id}` : item.id;
    return out;
  }

  /** Appends lane `lane`'s rounds to `out` as the rows of run `run` (point, replicate). */
  take(lane: number, out: RowBuffer, run: number, point: number, replicate: number): void {
    const bytes = this.lanes[lane]!.bytes();
    let start = 0;
    for (let k = 0; k < bytes.length; k++) {
      if (bytes[k] !== NEWLINE) continue;
      if (this.format === 'jsonl') out.text('{"run":');
      out.number(run);
      if (this.format === 'jsonl') out.text(',"point":');
      else out.byte(COMMA);
      out.number(point);
      if (this.format === 'jsonl') out.text(',"replicate":');
      else out.byte(COMMA);
      out.number(replicate);
      if (this.format === 'jsonl') out.byte(COMMA);
      else out.byte(COMMA);
      out.raw(bytes.subarray(start, k + 1));
      start = k + 1;
    }
    this.lanes[lane]!.clear();
  }
}

const RUN = { csv: /^(\d+),/, jsonl: /^\{"run":(\d+),/ } as const;

/** The header of a rounds file, checked against what this batch would write. */
export function checkRoundsFile(file: string, want: RoundsHeader, format: RowFormat): number {
  const [first] = headLines(file);
  let doc: Partial<RoundsHeader> | null = null;
  try {
    const line = first ?? '';
    doc = JSON.parse(format === 'csv' ? line.replace(/^# /, '') : line) as Partial<RoundsHeader>;
  } catch {
    doc = null;
  }
  if (!doc || doc.format !== ROUNDS_FORMAT) throw new UsageError(`${file} is not a Parley rounds file (its first line is not a rounds header)`, 'give --rounds the file this batch wrote, or remove it to start again', '--rounds');
  const problems: string[] = [];
  if (doc.parley !== want.parley) problems.push(`it was written by Parley engine ${String(doc.parley)}, this is ${want.parley}`);
  if (doc.scenario?.hash !== want.scenario.hash) problems.push('its scenario content differs');
  if (JSON.stringify(doc.design) !== JSON.stringify(want.design)) problems.push('its design differs');
  if (JSON.stringify(doc.columns) !== JSON.stringify(want.columns)) problems.push('its columns differ');
  if (problems.length) throw new UsageError(`${file} is not this batch's rounds file: ${problems.join('; ')}`, 'resume with the command recorded in its header', '--rounds');
  return format === 'csv' ? 2 : 1;
}

/**
 * Where a rounds file's runs stand: the first run whose rounds are not all there (from the
 * shard's first run), and, for `cutAt`, the byte length of the file up to run `cutAt`'s rows.
 */
export async function scanRounds(file: string, format: RowFormat, skip: number, range: [number, number], rounds: number, cutAt?: number): Promise<{ next: number; keep: number }> {
  const length = completeLength(file);
  let next = range[0];
  let inRun = 0;
  let lineNo = 0;
  let bytes = 0;
  let keep = -1;
  let completeBytes = 0;
  for await (const line of readLines(file, length)) {
    lineNo++;
    const size = Buffer.byteLength(line) + 1;
    if (lineNo <= skip) {
      bytes += size;
      completeBytes = bytes;
      continue;
    }
    const m = RUN[format].exec(line);
    if (cutAt !== undefined && keep < 0 && inRun === 0 && next === cutAt) keep = bytes;
    if (!m || Number(m[1]) !== next || next >= range[1]) throw new UsageError(`${file} line ${lineNo} is not a round of run ${next}`, 'the file was changed by hand; remove it (and the rows) to start again', '--rounds');
    bytes += size;
    if (++inRun === rounds) {
      inRun = 0;
      next++;
      completeBytes = bytes;
    }
  }
  // Run `cutAt` had no line: it is where the complete runs end.
  if (cutAt !== undefined && keep < 0) keep = completeBytes;
  return { next, keep: cutAt !== undefined ? keep : completeBytes };
}
