import type { Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { logLines } from './view.ts';

export interface LogPanelProps {
  readonly session: Session;
  readonly width: number;
  readonly height: number;
  /** Lines scrolled back from the newest. */
  readonly scroll: number;
  /** Shares its place with the last step (Tab switches). */
  readonly tabs?: boolean;
}

/** What happened on this branch so far; the newest lines at the bottom. */
export function LogPanel({ session, width, height, scroll, tabs = false }: LogPanelProps) {
  return <Panel title={tabs ? 'Log │ Last step (Tab)' : 'Log'} width={width} height={height} lines={logLines(session, width - 2)} fromEnd scroll={scroll} />;
}
