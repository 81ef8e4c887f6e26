import { Row } from './Row.tsx';
import { cells, s, type Line, type Seg } from './text.ts';

export interface FooterProps {
  readonly width: number;
  /** A message about the last key (saved, rejected…); key hints otherwise. */
  readonly status: { readonly text: string; readonly kind: 'info' | 'error' } | null;
  readonly hints: readonly (readonly [string, string])[];
}

export function footerLine(props: FooterProps): Line {
  if (props.status) return [s(props.status.kind === 'error' ? ' ✗ ' : ' » ', { bold: true, inverse: true, color: props.status.kind === 'error' ? 'red' : 'green' }), s(' ' + props.status.text, { bold: props.status.kind === 'error' })];
  // As many hints as fit, in order of importance.
  const out: Seg[] = [];
  let used = 0;
  for (const [k, what] of props.hints) {
    const n = cells(k) + cells(what) + 2;
    if (used + n > props.width) break;
    used += n;
    out.push(s(' '), s(k, { bold: true, color: 'cyan' }), s(' ' + what, { dim: true }));
  }
  return out;
}

/** One line at the bottom: the status of the last action, or the keys that work here. */
export function Footer(props: FooterProps) {
  return <Row line={footerLine(props)} width={props.width} />;
}
