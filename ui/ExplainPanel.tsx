import type { Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { explainLines } from './view.ts';

export interface ExplainPanelProps {
  readonly session: Session;
  readonly width: number;
  readonly height: number;
}

/** The last step explained: the decision, branch odds and their modifiers, the draw, mediators, events. */
export function ExplainPanel({ session, width, height }: ExplainPanelProps) {
  return <Panel title="Last step" width={width} height={height} lines={explainLines(session, width - 2)} />;
}
