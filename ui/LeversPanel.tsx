import { currentActor } from '../src/engine/kernel.ts';
import { currentNode, FACILITATOR, type Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { actorName, endLines, leverLines, roleLabel, type LeverItem } from './view.ts';

export interface LeversPanelProps {
  readonly session: Session;
  readonly items: readonly LeverItem[];
  readonly selected: number;
  readonly width: number;
  readonly height: number;
}

/** The levers of the actor whose turn it is, with branch probabilities, or the outcome at the end. */
export function LeversPanel({ session, items, selected, width, height }: LeversPanelProps) {
  const { def } = session.compiled;
  const state = currentNode(session).state;
  if (state.ended) return <Panel title="Run ended" width={width} height={height} lines={endLines(session, width - 2)} focused />;
  const actor = def.actors[currentActor(def, state)]!;
  const title = `${actorName(def, actor.id)} decides${session.role === actor.id || session.role === FACILITATOR ? '' : ` · you: ${roleLabel(session)}`}`;
  return <Panel title={title} width={width} height={height} lines={leverLines(session, items, selected, width - 2)} focused scroll={Math.max(0, selected - (height - 3))} />;
}
