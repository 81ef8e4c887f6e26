/**
 * Files of a play session: the names of its saves and exports (never over another file:
 * `name`, `name-2`, …), and writing an export to a new file. What an export says is
 * `src/report/session-markdown.ts`.
 */
import { join } from 'node:path';
import { writeFresh } from '../io/output.ts';
import { currentNode, FACILITATOR, type Session } from './session.ts';

/** A file name for exports: `parley-<scenario>-<seed>-step<k>.md`. */
export function defaultFileName(session: Session, ext: string): string {
  const state = currentNode(session).state;
  return `parley-${session.compiled.def.id}-${session.seed}-step${state.ended ? state.step : state.step + 1}.${ext}`;
}

/** A file name for a session's saves: `parley-<scenario>-<seed>[-<role>].session.json`. */
export function sessionFileName(session: Session): string {
  return `parley-${session.compiled.def.id}-${session.seed}${session.role === FACILITATOR ? '' : `-${session.role}`}.session.json`;
}

/** `name` in `dir` for n = 1, then `name-2`, `name-3`, … (before the extension). */
export function nameCandidates(dir: string, name: string): (n: number) => string {
  const dot = name.endsWith('.session.json') ? name.length - '.session.json'.length : name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  return (n) => join(dir, n === 1 ? name : `${stem}-${n}${ext}`);
}

/**
 * Writes `markdown`, the export of the session's current branch, to a new file in `dir`
 * (`parley-…-step4.md`, else `-2`, `-3`, …): never over another file, even one another program
 * creates at the same moment. Returns its path.
 */
export function exportToNewFile(session: Session, dir: string, markdown: string): string {
  return writeFresh(nameCandidates(dir, defaultFileName(session, 'md')), markdown, 'export').path;
}
