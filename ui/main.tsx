/**
 * Starts the play screen in the terminal: the alternate screen (so quitting gives the shell its
 * screen back), the Ink app, and a promise that settles when the user quits. Imported lazily by
 * `parley play` only.
 */
import { render } from 'ink';
import { playAdviser } from '../src/play/advice-client.ts';
import type { Adviser } from '../src/play/advice.ts';
import type { Session } from '../src/play/session.ts';
import { App, type ExerciseView } from './App.tsx';
import { ThemeContext } from './theme.ts';

export interface PlayScreenOptions {
  readonly color: boolean;
  readonly onSave: (session: Session) => string;
  readonly onExport: (session: Session) => string;
  readonly notice?: string;
  readonly exercise?: ExerciseView;
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  /** Computes the what-if odds (by default on a worker thread, without an exercise object). */
  readonly adviser?: Adviser;
}

/**
 * Puts `text` on the clipboard with OSC 52, which most terminal emulators take (xterm, iTerm2,
 * kitty, WezTerm, Windows Terminal, and tmux with `set-clipboard on`). The Linux console and
 * `TERM=dumb` cannot: then nothing is written and the screen says to select the text.
 */
export function copyByOsc52(stdout: NodeJS.WriteStream, text: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const term = env['TERM'] ?? '';
  if (!stdout.isTTY || term === 'dumb' || term === 'linux') return false;
  stdout.write(`\u001b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`);
  return true;
}

const ENTER = '\u001b[?1049h\u001b[H';
const LEAVE = '\u001b[?25h\u001b[?1049l';

export async function playScreen(session: Session, options: PlayScreenOptions): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(LEAVE);
  };
  stdout.write(ENTER);
  process.once('exit', restore);
  const instance = render(
    <ThemeContext.Provider value={{ color: options.color }}>
      <App initial={session} adviser={options.adviser ?? playAdviser(session.compiled)} onSave={options.onSave} onExport={options.onExport} onCopy={(text) => copyByOsc52(stdout, text)} {...(options.notice ? { notice: options.notice } : {})} {...(options.exercise ? { exercise: options.exercise } : {})} />
    </ThemeContext.Provider>,
    { stdout, stdin, exitOnCtrlC: false, patchConsole: false },
  );
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
    restore();
    process.off('exit', restore);
  }
}
