import { closeNote, Panel } from './Panel.tsx';
import { helpLines } from './view.ts';

export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
  /** First line shown, when the text does not fit. */
  readonly scroll?: number;
}

export function HelpOverlay({ width, height, scroll = 0 }: HelpOverlayProps) {
  const lines = helpLines(width - 2);
  return <Panel title="Keys" note={closeNote(lines.length, height)} width={width} height={height} lines={lines} focused scroll={scroll} />;
}
