import type { Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { explainParts } from './view.ts';

export interface ExplainPanelProps {
  readonly session: Session;
  readonly width: number;
  readonly height: number;
  /** Shares its place with the log (Tab switches). */
  readonly tabs?: boolean;
  /** First line of the part that scrolls. */
  readonly scroll?: number;
}

/**
 * The last step explained: the decision, the draw and the branch it selected (pinned: they never
 * scroll away), then the odds as arithmetic, mediators, events and the other actors' moves.
 */
export function ExplainPanel({ session, width, height, tabs = false, scroll = 0 }: ExplainPanelProps) {
  const { pinned, lines } = explainParts(session, width - 2);
  return <Panel title={tabs ? 'Last step │ Log (Tab)' : 'Last step'} width={width} height={height} pinned={pinned} lines={lines} scroll={scroll} />;
}
