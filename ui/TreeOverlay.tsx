import type { Session } from '../src/play/session.ts';
import { Panel } from './Panel.tsx';
import { s, type Line } from './text.ts';
import { treeRows } from './view.ts';

export interface TreeOverlayProps {
  readonly session: Session;
  readonly selected: number;
  /** Node marked for comparison. */
  readonly marked: number | null;
  readonly width: number;
  readonly height: number;
  /** First row shown. */
  readonly scroll: number;
}

/**
 * Every explored node, each chain in line; an alternative branch starts indented (├) under the
 * node it branches from. ● is the current node, ◆ nodes on its path, ○ the other branches.
 * Each node names its step (as the log numbers it), actor, lever and branch; the note says
 * which row of how many is chosen.
 */
export function treeLines(session: Session, selected: number, marked: number | null): Line[] {
  return treeRows(session).map((r, i) => [
    s(r.id === marked ? 'A ' : '  ', { bold: true, color: 'magenta' }),
    // An alternative starts with ├ under the node it branches from; its chain follows in line.
    s('  '.repeat(Math.min(r.indent, 12)) + (r.branchStart ? '├ ' : r.indent ? '  ' : '')),
    s(r.current ? '● ' : r.onPath ? '◆ ' : '○ ', { color: r.onPath ? 'cyan' : undefined, bold: r.current }),
    s(r.text, { inverse: i === selected, bold: r.current, dim: !r.onPath && i !== selected }),
  ]);
}

export function TreeOverlay({ session, selected, scroll, marked, width, height }: TreeOverlayProps) {
  const lines = treeLines(session, selected, marked);
  return <Panel title="Branch tree" note={` ${selected + 1}/${lines.length} · ↑↓ Enter go · c compare · Esc `} width={width} height={height} lines={lines} focused scroll={scroll} />;
}
