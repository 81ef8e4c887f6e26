import { currentActor } from '../src/play/ui-support.ts';
import { currentNode, FACILITATOR, type Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { whatIfHeader, type WhatIf } from './advice-view.ts';
import { wrap } from './text.ts';
import { actorName, endLines, leverDetail, leverRows, roleLabel, type LeverItem } from './view.ts';

export interface LeversPanelProps {
  readonly session: Session;
  readonly items: readonly LeverItem[];
  readonly selected: number;
  readonly width: number;
  readonly height: number;
  /** The what-if odds (`w`): each move's chance of the goal in its line. */
  readonly whatIf?: WhatIf | null;
}

/** The levers of the actor whose turn it is, with branch probabilities, or the outcome at the end. */
export function LeversPanel({ session, items, selected, width, height, whatIf = null }: LeversPanelProps) {
  const { def } = session.compiled;
  const state = currentNode(session).state;
  if (state.ended) return <Panel title="Run ended" width={width} height={height} lines={endLines(session, width - 2)} focused />;
  const actor = def.actors[currentActor(def, state)]!;
  const title = `${actorName(def, actor.id)} decides${session.role === actor.id || session.role === FACILITATOR ? '' : ` · you: ${roleLabel(session)}`}`;
  const rows = leverRows(session, items, selected, width - 2, whatIf);
  // The what-if line stays above the list, whichever part of the list is in view.
  const pinned = whatIf ? [whatIfHeader(def, whatIf)] : [];
  const inner = Math.max(0, height - 2 - pinned.length);
  // Short of room, the odds keep their arithmetic and leave out why each modifier applies; how
  // the move shifts each outcome (what-if odds on) shows only when the whole list fits beside it.
  const shifts = leverDetail(session, items, selected, width - 2, false, whatIf);
  const full = whatIf && rows.length + 1 + shifts.length > inner ? leverDetail(session, items, selected, width - 2, false, whatIf, false) : shifts;
  // (the description, last, may be cut: it is the lever's story, not its odds)
  const description = items[selected]?.description.trim();
  const odds = full.length - (description ? wrap(description, width - 2).length : 0);
  // A window of the list that keeps the chosen lever in view, and as much of its detail as the
  // room below allows (at least half the panel when the list is long), so the odds show. With
  // the what-if odds on, the list is what the student compares: the detail has a third.
  const roomFor = (lines: number) => (lines ? Math.min(lines + 1, whatIf ? Math.max(3, inner - rows.length, Math.floor(inner / 3)) : Math.max(2, inner - rows.length, Math.floor(inner / 2), inner - 3)) : 0);
  const detail = odds + 1 > roomFor(full.length) ? leverDetail(session, items, selected, width - 2, true, whatIf, full === shifts) : full;
  const detailRoom = roomFor(detail.length);
  const listRoom = Math.max(1, inner - detailRoom);
  const start = Math.max(0, Math.min(selected - Math.floor(listRoom / 2), rows.length - listRoom));
  const lines = [...pinned, ...rows.slice(start, start + listRoom), ...(detailRoom ? [[], ...detail.slice(0, detailRoom - 1)] : [])];
  const note = rows.length > listRoom ? ` ${start + 1}–${Math.min(rows.length, start + listRoom)}/${rows.length} ` : '';
  return <Panel title={title} width={width} height={height} lines={lines} focused note={note} />;
}
