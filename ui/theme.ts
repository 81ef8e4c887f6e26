/** Whether the screen may use colour (`NO_COLOR` turns it off; symbols and bold carry the meaning). */
import { createContext, useContext } from 'react';

export interface Theme {
  readonly color: boolean;
}

export const ThemeContext = createContext<Theme>({ color: true });

export const useTheme = (): Theme => useContext(ThemeContext);
