import { compareNodes, type Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { compareLines } from './view.ts';

export interface CompareOverlayProps {
  readonly session: Session;
  readonly a: number;
  readonly b: number;
  readonly width: number;
  readonly height: number;
}

/** Two nodes side by side: tensions, stances, relationship, outcome; differences stand out (≠). */
export function CompareOverlay({ session, a, b, width, height }: CompareOverlayProps) {
  return <Panel title="Compare" note=" Esc closes " width={width} height={height} lines={compareLines(session, compareNodes(session, a, b), width - 2)} focused />;
}
