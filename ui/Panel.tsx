import { Box, Text } from 'ink';
import { useTheme } from './theme.ts';
import { Row } from './Row.tsx';
import { cells, pad, type Line } from './text.ts';
import { safeText } from '../src/play/ui-support.ts';

export interface PanelProps {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly lines: readonly Line[];
  readonly focused?: boolean;
  /** Show the end of the lines when they do not fit (a log), minus `scroll` lines. */
  readonly fromEnd?: boolean;
  /** First line shown (or, with `fromEnd`, lines scrolled back from the end). */
  readonly scroll?: number;
  /** Right side of the top border (e.g. "12/40"). */
  readonly note?: string;
  /** Lines above the others that stay when they scroll (what must never leave the screen). */
  readonly pinned?: readonly Line[];
}

/** The note of a closable text window of `height` rows holding `lines` lines. */
export function closeNote(lines: number, height: number): string {
  return lines > height - 2 ? ' ↑↓ scroll · Esc closes ' : ' Esc closes ';
}

/** Which lines of `total` fit in `rows`, from the start or from the end. */
export function visibleRange(total: number, rows: number, fromEnd: boolean, scroll: number): [number, number] {
  if (total <= rows) return [0, total];
  if (fromEnd) {
    const end = Math.max(rows, total - Math.max(0, scroll));
    return [end - rows, end];
  }
  const start = Math.min(Math.max(0, scroll), total - rows);
  return [start, start + rows];
}

/** A box with a title in its top border and exactly `height` rows; lines that do not fit are clipped. */
export function Panel({ title: rawTitle, width, height, lines: scrolled, focused = false, fromEnd = false, scroll = 0, note = '', pinned = [] }: PanelProps) {
  const { color } = useTheme();
  const title = safeText(rawTitle);
  const inner = Math.max(0, width - 2);
  const rows = Math.max(0, height - 2);
  // What is pinned leaves a line for the rest, so that scrolling shows something.
  const fixed = pinned.slice(0, scrolled.length ? Math.max(0, rows - 1) : rows);
  const room = rows - fixed.length;
  const [from, to] = visibleRange(scrolled.length, room, fromEnd, scroll);
  const more = scrolled.length > room ? (room > 0 ? ` ${from + 1}–${to}/${scrolled.length} ` : ` +${scrolled.length} lines `) : '';
  const lines = [...fixed, ...scrolled.slice(from, to)];
  const right = note || more;
  const label = pad(` ${focused ? '▸ ' : ''}${title} `, Math.max(0, Math.min(cells(` ${focused ? '▸ ' : ''}${title} `), inner - 1 - cells(right))));
  const fill = Math.max(0, inner - cells(label) - cells(right) - 1);
  const border = color ? (focused ? 'cyan' : 'gray') : undefined;
  const shown = lines;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text color={border}>┌─</Text>
        <Text bold>{label}</Text>
        <Text color={border}>{'─'.repeat(fill)}</Text>
        <Text dimColor={color}>{right}</Text>
        <Text color={border}>┐</Text>
      </Text>
      {Array.from({ length: rows }, (_, i) => (
        <Text key={i} wrap="truncate">
          <Text color={border}>│</Text>
          <Row line={shown[i] ?? []} width={inner} />
          <Text color={border}>│</Text>
        </Text>
      ))}
      <Text color={border} wrap="truncate">{'└' + '─'.repeat(inner) + '┘'}</Text>
    </Box>
  );
}
