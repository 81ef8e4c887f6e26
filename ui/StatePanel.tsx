import type { Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { stateLines } from './view.ts';

export interface StatePanelProps {
  readonly session: Session;
  readonly width: number;
  readonly height: number;
}

/** Tensions as bars with their change since the last step, the crisis index, relationship and stances. */
export function StatePanel({ session, width, height }: StatePanelProps) {
  return <Panel title="State" width={width} height={height} lines={stateLines(session, width - 2)} />;
}
