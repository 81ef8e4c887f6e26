import { Panel } from './Panel.tsx';
import { helpLines } from './view.ts';

export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
}

export function HelpOverlay({ width, height }: HelpOverlayProps) {
  return <Panel title="Keys" note=" Esc closes " width={width} height={height} lines={helpLines(width - 2)} focused />;
}
