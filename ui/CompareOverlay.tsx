import { compareNodes, type Session } from '../src/play/session.ts';
import { closeNote, Panel } from './Panel.tsx';
import { compareLines } from './view.ts';

export interface CompareOverlayProps {
  readonly session: Session;
  readonly a: number;
  readonly b: number;
  readonly width: number;
  readonly height: number;
  /** First line shown, when the text does not fit. */
  readonly scroll?: number;
}

/** Two nodes side by side: tensions, stances, relationship, outcome; differences stand out (≠). */
export function CompareOverlay({ session, a, b, width, height, scroll = 0 }: CompareOverlayProps) {
  const lines = compareLines(session, compareNodes(session, a, b), width - 2);
  return <Panel title="Compare" note={closeNote(lines.length, height)} width={width} height={height} lines={lines} focused scroll={scroll} />;
}
