import type { Distribution } from '../src/play/distribution.ts';
import { Panel } from './Panel.tsx';
import { distributionLines } from './view.ts';

export interface DistributionOverlayProps {
  readonly dist: Distribution | null;
  readonly total: number;
  readonly done: boolean;
  readonly width: number;
  readonly height: number;
}

/** Outcome shares of many seeded runs from the current node, with 95% intervals and progress. */
export function DistributionOverlay({ dist, total, done, width, height }: DistributionOverlayProps) {
  return <Panel title="Outcomes from here" note={done ? ' + more runs · Esc ' : ' Esc cancels '} width={width} height={height} lines={distributionLines(dist, total, width - 2, done)} focused />;
}
