/**
 * The rounds writer as it was before it was made lean (commit 979d970, src/batch/rounds.ts):
 * names and keys encoded for every row, closures per lane. The differential test holds the
 * lean writer's bytes to this one's.
 */
import type { RunLanes } from '../../src/engine/runs.ts';
import type { ScenarioDefinition } from '../../src/scenario/definition.ts';
import { RowBuffer, type RowFormat } from '../../src/batch/rows.ts';

/** Actors with a stance chart, whose stance each round gives. */
const stanceActors = (def: ScenarioDefinition) => def.actors.filter((a) => a.stance);

const COMMA = 44;
const NEWLINE = 10;

/** Records the rounds of the runs in a set of lanes; `take` hands over a run's rows. */
export class ReferenceRoundRecorder {
  private readonly lanes: RowBuffer[] = [];
  private readonly previous: Float64Array;
  readonly hook: (L: RunLanes) => void;

  constructor(
    private readonly def: ScenarioDefinition,
    private readonly format: RowFormat,
    capacity: number,
  ) {
    for (let i = 0; i < capacity; i++) this.lanes.push(new RowBuffer());
    this.previous = new Float64Array(capacity);
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

