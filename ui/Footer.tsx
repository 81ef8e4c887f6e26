import { Row } from './Row.tsx';
import { s, type Line } from './text.ts';

export interface FooterProps {
  readonly width: number;
  /** A message about the last key (saved, rejected…); key hints otherwise. */
  readonly status: { readonly text: string; readonly kind: 'info' | 'error' } | null;
  readonly hints: readonly (readonly [string, string])[];
}

export function footerLine(props: FooterProps): Line {
  if (props.status) return [s(props.status.kind === 'error' ? ' ✗ ' : ' ✓ ', { bold: true, inverse: true, color: props.status.kind === 'error' ? 'red' : 'green' }), s(' ' + props.status.text, { bold: props.status.kind === 'error' })];
  return props.hints.flatMap(([k, what]) => [s(' '), s(k, { bold: true, color: 'cyan' }), s(' ' + what, { dim: true })]);
}

/** One line at the bottom: the status of the last action, or the keys that work here. */
export function Footer(props: FooterProps) {
  return <Row line={footerLine(props)} width={props.width} />;
}
