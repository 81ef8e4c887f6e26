/**
 * Text building blocks of the play screen: a line is a list of styled segments, measured in
 * terminal cells (every character the UI uses is one cell wide). Panels fit lines to an exact
 * width, so the layout never depends on how Ink wraps text.
 */
import { isSafeText, safeText } from '../src/play/ui-support.ts';

export interface Seg {
  readonly t: string;
  readonly color?: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
}

export type Line = readonly Seg[];

export const s = (t: string, style: Omit<Seg, 't'> = {}): Seg => ({ t, ...style });

export const cells = (text: string): number => [...text].length;

export const lineText = (line: Line): string => line.map((x) => x.t).join('');

/**
 * Cuts or pads a line to exactly `width` cells; a cut line ends with `…`. Every row of the screen
 * passes here, so this is where text from files is made safe for the terminal (control
 * characters shown as escapes), before it is measured.
 */
export function fit(raw: Line, width: number): Seg[] {
  const line = raw.map((x) => (isSafeText(x.t) ? x : { ...x, t: safeText(x.t) }));
  const out: Seg[] = [];
  let used = 0;
  const total = line.reduce((n, x) => n + cells(x.t), 0);
  const limit = total > width ? Math.max(0, width - 1) : width;
  for (const x of line) {
    if (used >= limit) break;
    const chars = [...x.t];
    const take = chars.slice(0, limit - used).join('');
    used += cells(take);
    if (take) out.push({ ...x, t: take });
  }
  if (total > width && width > 0) {
    out.push({ t: '…', dim: true });
    used++;
  }
  if (used < width) out.push({ t: ' '.repeat(width - used) });
  return out;
}

/** Pads or cuts plain text to `width` cells (cut text ends with `…`). */
export function pad(text: string, width: number): string {
  const n = cells(text);
  if (n <= width) return text + ' '.repeat(width - n);
  return width <= 0 ? '' : [...text].slice(0, width - 1).join('') + '…';
}

/** Keeps the end of a long text: `…ult:3=praise`. */
export function tail(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : '…' + chars.slice(chars.length - width + 1).join('');
}

/** Word-wraps plain text to `width`, continuation lines indented by `indent` spaces. */
export function wrap(text: string, width: number, indent = 0): string[] {
  const lead = /^\s*/.exec(text)![0];
  const words = text.trim().split(/\s+/);
  const lines: string[] = [];
  let line = lead;
  const cont = lead + ' '.repeat(indent);
  for (const word of words) {
    const start = line === lead || line === cont;
    if (!start && cells(line) + 1 + cells(word) > width) {
      lines.push(line);
      line = cont;
    }
    line += (line === lead || line === cont ? '' : ' ') + word;
  }
  lines.push(line);
  return lines.flatMap((l) => (cells(l) > width ? chunk(l, width) : [l]));
}

function chunk(text: string, width: number): string[] {
  const chars = [...text];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += Math.max(1, width)) out.push(chars.slice(i, i + Math.max(1, width)).join(''));
  return out;
}

/** A horizontal bar of `width` cells for a value in 0..100. */
export function bar(value: number, width: number): string {
  const full = Math.round((Math.max(0, Math.min(100, value)) / 100) * width);
  return '█'.repeat(full) + '░'.repeat(Math.max(0, width - full));
}

export const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** `+8`, `−3.5`, or '' for no change. */
export function delta(x: number): string {
  if (Math.abs(x) < 0.05) return '';
  return x > 0 ? `+${num(Math.round(x * 10) / 10)}` : `−${num(Math.round(-x * 10) / 10)}`;
}

export const pct = (p: number): string => `${Math.round(p * 100)}%`;
