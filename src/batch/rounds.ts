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

const SPACE = 32;
const QUOTE = 34;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A layout's constant pieces of round text, encoded once: every key, separator and name a row
 * of rounds can hold. The row's fields are then numbers (written by `RowBuffer.number`) and
 * copies of these pieces.
 */
interface RoundPieces {
  readonly json: boolean;
  /** By round: `round,phase,phase_round,date` (JSONL: the same as `"key":value` pairs). */
  readonly rounds: readonly Uint8Array[];
  /** Before each tension's value (CSV `,`; JSONL `,"tension.ID":`), and the tension's index in a lane. */
  readonly tensionKeys: readonly Uint8Array[];
  readonly tensions: Int32Array;
  readonly derivedKeys: readonly Uint8Array[];
  readonly derived: readonly ((L: RunLanes, i: number) => number)[];
  readonly relationshipKey: Uint8Array;
  /** A name by state, quoted in JSONL. */
  readonly relationship: readonly Uint8Array[];
  readonly stanceKeys: readonly Uint8Array[];
  readonly stanceActors: Int32Array;
  readonly stances: readonly (readonly Uint8Array[])[];
  readonly leversKey: Uint8Array;
  /** Ids of the levers (events), unquoted (JSONL: escaped as inside a JSON string), and their history keys. */
  readonly levers: readonly Uint8Array[];
  readonly leverKeys: Int32Array;
  readonly eventsKey: Uint8Array;
  readonly events: readonly Uint8Array[];
  readonly eventKeys: Int32Array;
  readonly goldsteinKey: Uint8Array;
  /** CSV `\n`; JSONL `}\n`. */
  readonly end: Uint8Array;
  /** After `run`, `point` and `replicate`: CSV `,`; JSONL `,"point":` and the like; JSONL's opening `{"run":`. */
  readonly open: Uint8Array;
  readonly pointKey: Uint8Array;
  readonly replicateKey: Uint8Array;
  readonly bodyKey: Uint8Array;
}

function roundPieces(def: ScenarioDefinition, format: RowFormat): RoundPieces {
  const json = format === 'jsonl';
  const key = (name: string, first = false) => utf8(json ? `${first ? '' : ','}${JSON.stringify(name)}:` : first ? '' : ',');
  const name = (s: string) => utf8(json ? JSON.stringify(s) : s);
  // Inside a JSON string: the ids are joined by spaces inside one pair of quotes.
  const id = (s: string) => utf8(json ? JSON.stringify(s).slice(1, -1) : s);
  const stances = stanceActors(def);
  return {
    json,
    rounds: def.rounds.map((r, g) => {
      const phase = def.phases[r.phase]!.id;
      return utf8(json ? `"round":${g},"phase":${JSON.stringify(phase)},"phase_round":${r.round},"date":${JSON.stringify(r.date)}` : `${g},${phase},${r.round},${r.date}`);
    }),
    tensionKeys: def.tensions.map((t) => key(`tension.${t.id}`)),
    tensions: Int32Array.from(def.tensions, (t) => t.index),
    derivedKeys: def.derived.map((d) => key(`derived.${d.id}`)),
    derived: def.derived.map((d) => d.value.fn as (L: RunLanes, i: number) => number),
    relationshipKey: key('relationship'),
    relationship: def.relationship.states.map(name),
    stanceKeys: stances.map((a) => key(`stance.${a.id}`)),
    stanceActors: Int32Array.from(stances, (a) => a.index),
    stances: stances.map((a) => a.stance!.states.map(name)),
    leversKey: key('levers'),
    levers: def.levers.map((l) => id(l.id)),
    leverKeys: Int32Array.from(def.levers, (l) => l.historyKey),
    eventsKey: key('events'),
    events: def.events.map((e) => id(e.id)),
    eventKeys: Int32Array.from(def.events, (e) => e.historyKey),
    goldsteinKey: key('goldstein'),
    end: utf8(json ? '}\n' : '\n'),
    open: utf8(json ? '{"run":' : ''),
    pointKey: key('point'),
    replicateKey: key('replicate'),
    bodyKey: utf8(','),
  };
}

/**
 * Records the rounds of the runs in a set of lanes; `take` hands over a run's rows. Each lane's
 * rows gather in a buffer of its own, without the run's number (not known to the kernel), and
 * `take` puts it in front of each.
 */
export class RoundRecorder {
  private readonly lanes: RowBuffer[] = [];
  /** Each lane's Goldstein sum at the end of the last round. */
  private readonly previous: Float64Array;
  /** Where each lane's rows end in its buffer (`ends[lane * rounds + k]`), and how many it holds. */
  private readonly ends: Int32Array;
  private readonly count: Int32Array;
  private readonly stride: number;
  private readonly p: RoundPieces;
  /** Where `take` writes a run's `run,point,replicate,` once, to copy before each of its rows. */
  private readonly prefix = new RowBuffer();
  /** The kernel's round-end hook (`RunLanes.onRoundEnd`). */
  readonly hook: (L: RunLanes) => void;

  constructor(def: ScenarioDefinition, format: RowFormat, capacity: number) {
    for (let i = 0; i < capacity; i++) this.lanes.push(new RowBuffer(1 << 12));
    this.previous = new Float64Array(capacity);
    this.stride = def.rounds.length;
    this.ends = new Int32Array(capacity * this.stride);
    this.count = new Int32Array(capacity);
    this.p = roundPieces(def, format);
    this.hook = (L) => this.record(L);
  }

  /** Empties the buffers of lanes `0..n)`, for a new group of runs. */
  clear(n: number): void {
    for (let i = 0; i < n; i++) {
      this.lanes[i]!.clear();
      this.count[i] = 0;
    }
  }

  private record(L: RunLanes): void {
    const p = this.p;
    const g = L.g;
    const head = p.rounds[g]!;
    const { t, nt, rel, st, na, last, nh, gs } = L;
    for (let i = 0; i < L.n; i++) {
      const b = this.lanes[i]!;
      b.raw(head);
      for (let k = 0; k < p.tensions.length; k++) {
        b.raw(p.tensionKeys[k]!);
        b.number(t[i * nt + p.tensions[k]!]!);
      }
      for (let k = 0; k < p.derived.length; k++) {
        b.raw(p.derivedKeys[k]!);
        b.number(p.derived[k]!(L, i));
      }
      b.raw(p.relationshipKey);
      b.raw(p.relationship[rel[i]!]!);
      for (let k = 0; k < p.stanceActors.length; k++) {
        b.raw(p.stanceKeys[k]!);
        b.raw(p.stances[k]![st[i * na + p.stanceActors[k]!]!]!);
      }
      b.raw(p.leversKey);
      this.happened(b, p.levers, p.leverKeys, last, i * nh, g);
      b.raw(p.eventsKey);
      this.happened(b, p.events, p.eventKeys, last, i * nh, g);
      b.raw(p.goldsteinKey);
      const before = g === 0 ? 0 : this.previous[i]!;
      b.number(gs[i]! - before);
      this.previous[i] = gs[i]!;
      b.raw(p.end);
      // A lane runs at most one row per round: its count stays within the stride.
      if (this.count[i]! < this.stride) this.ends[i * this.stride + this.count[i]!++] = b.length;
    }
  }

  /** The ids (space-separated; quoted in JSONL) of the items whose last round is `g`. */
  private happened(b: RowBuffer, ids: readonly Uint8Array[], keys: Int32Array, last: Int32Array, at: number, g: number): void {
    if (this.p.json) b.byte(QUOTE);
    let first = true;
    for (let k = 0; k < keys.length; k++) {
      if (last[at + keys[k]!] !== g) continue;
      if (!first) b.byte(SPACE);
      b.raw(ids[k]!);
      first = false;
    }
    if (this.p.json) b.byte(QUOTE);
  }

  /** Appends lane `lane`'s rounds to `out` as the rows of run `run` (point, replicate). */
  take(lane: number, out: RowBuffer, run: number, point: number, replicate: number): void {
    const p = this.p;
    const pre = this.prefix;
    pre.clear();
    pre.raw(p.open);
    pre.number(run);
    pre.raw(p.pointKey);
    pre.number(point);
    pre.raw(p.replicateKey);
    pre.number(replicate);
    pre.raw(p.bodyKey);
    const prefix = pre.bytes();
    const src = this.lanes[lane]!.bytes();
    let start = 0;
    const base = lane * this.stride;
    for (let k = 0; k < this.count[lane]!; k++) {
      const end = this.ends[base + k]!;
      out.raw(prefix);
      out.copy(src, start, end);
      start = end;
    }
    this.lanes[lane]!.clear();
    this.count[lane] = 0;
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
