import { Text } from 'ink';
import { useTheme } from './theme.ts';
import { fit, type Line } from './text.ts';

export interface RowProps {
  readonly line: Line;
  readonly width: number;
}

/** One line of styled segments, cut or padded to exactly `width` cells. */
export function Row({ line, width }: RowProps) {
  const { color } = useTheme();
  return (
    <Text wrap="truncate">
      {fit(line, width).map((x, i) => (
        <Text key={i} color={color ? x.color : undefined} bold={x.bold} dimColor={color ? x.dim : false} inverse={x.inverse}>
          {x.t}
        </Text>
      ))}
    </Text>
  );
}
