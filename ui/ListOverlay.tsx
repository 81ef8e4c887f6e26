import { Panel } from './Panel.tsx';
import { s, type Line } from './text.ts';

export interface ListOverlayProps {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  /** Lines above the list (what the choice is about). */
  readonly intro?: readonly Line[];
  readonly items: readonly Line[];
  readonly selected: number;
  readonly hint: string;
}

/** A titled list with a selection (force a branch, pick a role). */
export function ListOverlay({ title, width, height, intro = [], items, selected, hint }: ListOverlayProps) {
  const lines: Line[] = [...intro, ...(intro.length ? [[]] : []), ...items.map((line, i) => [s(i === selected ? '› ' : '  ', { bold: true }), ...line.map((x) => (i === selected ? { ...x, inverse: true } : x))])];
  const rows = height - 2;
  const at = intro.length + (intro.length ? 1 : 0) + selected;
  return <Panel title={title} note={` ${hint} `} width={width} height={height} lines={lines} focused scroll={Math.max(0, at - rows + 1)} />;
}
