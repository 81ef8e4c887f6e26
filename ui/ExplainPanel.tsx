import type { Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { explainLines } from './view.ts';

export interface ExplainPanelProps {
  readonly session: Session;
  readonly width: number;
  readonly height: number;
  /** Shares its place with the log (Tab switches). */
  readonly tabs?: boolean;
}

/** The last step explained: the decision, branch odds and their modifiers, the draw, mediators, events. */
export function ExplainPanel({ session, width, height, tabs = false }: ExplainPanelProps) {
  return <Panel title={tabs ? 'Last step │ Log (Tab)' : 'Last step'} width={width} height={height} lines={explainLines(session, width - 2)} />;
}
