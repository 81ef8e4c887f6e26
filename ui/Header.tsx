import { Box } from 'ink';
import type { Session } from '../src/play/session.ts';
import { Row } from './Row.tsx';
import { headerLines } from './view.ts';

export interface HeaderProps {
  readonly session: Session;
  readonly width: number;
}

/** Scenario, phase, round, date, step and role; the seed and the branch code. */
export function Header({ session, width }: HeaderProps) {
  return (
    <Box flexDirection="column">
      {headerLines(session, width).map((line, i) => (
        <Row key={i} line={line} width={width} />
      ))}
    </Box>
  );
}
