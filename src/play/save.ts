/**
 * Saved play sessions: versioned JSON holding the explored tree as actions (never states), so a
 * file is small and is checked by replaying it. Written atomically (temporary file + rename).
 * Loading returns a new session or throws a `ScenarioError`; it never touches the session
 * that is open.
 *
 * ```json
 * { "parley": "play-session", "version": 1, "engine": "0.3.0",
 *   "scenario": { "id": "petro-trump", "hash": "…", "file": "scenarios/petro-trump.yaml" },
 *   "seed": 42, "policy": "default", "params": {}, "role": "facilitator", "current": 2,
 *   "nodes": [ { "parent": null, "steps": [] },
 *              { "parent": 0, "steps": [ { "action": { "type": "pull", "lever": "praise" }, "by": "player" } ] } ] }
 * ```
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import * as z from 'zod';
import { policyAction, start, step, type CompiledScenario } from '../engine/engine.ts';
import type { Action, SimState, TraceEntry } from '../engine/types.ts';
import { isParleyInputError, ScenarioError, type Issue } from '../scenario/errors.ts';
import { bundledExerciseIds, loadExercise, type Exercise } from '../scenario/exercise.ts';
import { bundledScenarioIds, loadScenario } from '../scenario/load.ts';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { readTextBounded, ReadFailure } from '../io/read.ts';
import { scenariosDir } from '../paths.ts';
import { readDataFile } from '../scenario/parse.ts';
import { ENGINE_VERSION } from '../version.ts';
import { writeFresh, writeOutput, type FileIdentity } from '../io/output.ts';
import { roles, type PlayNode, type Session } from './session.ts';

export const SESSION_FORMAT = 'play-session';
export const SESSION_VERSION = 1;
/** Larger session files are refused: a long class session is a few hundred kilobytes. */
export const MAX_SESSION_BYTES = 8 * 1024 * 1024;

/** Names and paths in a session are short; a longer one is refused rather than echoed. */
const NAME_MAX = 256;
const PATH_MAX = 4096;

const ActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pull'), lever: z.string().min(1).max(NAME_MAX), force: z.string().min(1).max(NAME_MAX).optional() }).strict(),
  z.object({ type: z.literal('pass') }).strict(),
  z.object({ type: z.literal('reroll'), seed: z.number().int().min(0).max(2 ** 32 - 1) }).strict(),
]);

const SessionFileSchema = z
  .object({
    parley: z.literal(SESSION_FORMAT),
    version: z.literal(SESSION_VERSION),
    engine: z.string().max(NAME_MAX),
    scenario: z.object({ id: z.string().max(NAME_MAX), hash: z.string().max(NAME_MAX), file: z.string().max(PATH_MAX).nullable() }),
    seed: z.number().int().min(0).max(2 ** 32 - 1),
    policy: z.string().max(NAME_MAX),
    params: z.record(z.string().max(NAME_MAX), z.number()),
    role: z.string().max(NAME_MAX),
    exercise: z.object({ id: z.string().max(NAME_MAX), file: z.string().max(PATH_MAX) }).strict().nullable().optional(),
    current: z.number().int().min(0),
    nodes: z
      .array(
        z.object({
          parent: z.number().int().min(0).nullable(),
          steps: z.array(z.object({ action: ActionSchema, by: z.enum(['player', 'policy', 'auto']) })),
          delegated: z.boolean().optional(),
        }),
      )
      .min(1),
  })
  .strict();

export type SessionFile = z.infer<typeof SessionFileSchema>;

/** The session as a versioned, replayable document. */
export function sessionToJson(session: Session): SessionFile {
  const { def } = session.compiled;
  return {
    parley: SESSION_FORMAT,
    version: SESSION_VERSION,
    engine: ENGINE_VERSION,
    scenario: { id: def.id, hash: def.hash, file: def.file },
    seed: session.seed,
    policy: session.policy,
    params: { ...session.params },
    role: session.role,
    exercise: session.exercise,
    current: session.current,
    nodes: session.nodes.map((n) => ({ parent: n.parent, steps: n.entries.map((e) => ({ action: e.action as z.infer<typeof ActionSchema>, by: e.by })), ...(n.delegated ? { delegated: true } : {}) })),
  };
}

const sessionText = (session: Session): string => JSON.stringify(sessionToJson(session), null, 1) + '\n';

/**
 * Writes the session to `path`, whole or not at all, and returns the file's identity. An existing
 * file is replaced only when `replace` allows it: the identity of this session's own file, as it
 * was last saved or opened (another session's file, or one put there since, is never replaced).
 */
export function saveSession(session: Session, path: string, replace: FileIdentity | boolean | null = null): FileIdentity | null {
  return writeOutput(path, sessionText(session), {
    flag: 'save',
    replace,
    existsHint: 'another session may be saved there: it is never replaced; choose another name with --save, or open that file with --load',
  });
}

/**
 * Saves the session under a new name from `candidates` (n = 1, 2, …): the first that is free
 * when the file is written, so two sessions saving at the same moment get two files.
 */
export function saveSessionFresh(session: Session, candidates: (n: number) => string): { path: string; identity: FileIdentity | null } {
  return writeFresh(candidates, sessionText(session), 'save');
}

const fail = (file: string, message: string, hint?: string, path?: string): ScenarioError =>
  new ScenarioError([{ file, message, ...(hint ? { hint } : {}), ...(path ? { path } : {}) }]);

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Reads and checks a session file's shape (not yet against a scenario). Every problem is a
 * `ScenarioError` naming the file.
 */
export function readSessionFile(file: string): SessionFile {
  let text: string;
  try {
    text = readTextBounded(file, MAX_SESSION_BYTES, 'session files');
  } catch (error) {
    if (!(error instanceof ReadFailure)) throw error;
    const { code, message, hint, line, column } = error.problem;
    const place = line === undefined ? {} : { line, ...(column === undefined ? {} : { column }) };
    throw new ScenarioError([{ file, ...place, message: code === 'ENOENT' ? 'no such session file' : code === 'EISDIR' ? 'is a folder, not a session file' : message, ...(hint ? { hint } : {}) }]);
  }
  return parseSessionText(text, file);
}

export function parseSessionText(text: string, file: string): SessionFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    const offset = at ? Number(at[1]) : /end of JSON/.test((error as Error).message) ? text.length : null;
    const place = offset === null ? {} : lineColumn(text, offset);
    throw new ScenarioError([{ file, ...place, message: `not a Parley session: the file is not valid JSON (${(error as Error).message.replace(/ in JSON at position \d+.*$/, '')})`, hint: 'it may be truncated or edited by hand; save the session again from parley play' }]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data) || (data as { parley?: unknown }).parley !== SESSION_FORMAT) {
    throw fail(file, 'not a Parley session file (it has no `"parley": "play-session"` field)', 'parley play --load reads files written with `s` in parley play');
  }
  const version = (data as { version?: unknown }).version;
  if (version !== SESSION_VERSION) {
    throw fail(file, `session format version ${JSON.stringify(version)} is not one this Parley reads (it reads version ${SESSION_VERSION})`, typeof version === 'number' && version > SESSION_VERSION ? 'it was saved by a newer Parley; upgrade Parley to open it' : undefined, 'version');
  }
  const parsed = SessionFileSchema.safeParse(data);
  if (!parsed.success) {
    const issues: Issue[] = parsed.error.issues.map((i) => ({ file, path: i.path.join('.'), message: `${i.path.join('.') || 'the document'}: ${i.message}` }));
    throw new ScenarioError(issues);
  }
  return parsed.data;
}

/**
 * Rebuilds a session from a checked document by replaying every node's steps against the
 * compiled scenario. A file for another scenario, another version of it, or whose steps do not
 * replay gives a `ScenarioError`.
 */
export function sessionFromFile(compiled: CompiledScenario, doc: SessionFile, file: string): Session {
  const { def } = compiled;
  if (doc.scenario.id !== def.id) throw fail(file, `the session is for scenario \`${doc.scenario.id}\`, not \`${def.id}\``, `open it with: parley play ${doc.scenario.file ?? doc.scenario.id} --load ${file}`);
  if (doc.scenario.hash !== def.hash) throw fail(file, `the session was saved with another version of scenario \`${def.id}\` (hash ${doc.scenario.hash.slice(0, 12)}, now ${def.hash.slice(0, 12)})`, 'the scenario file changed since; its branches would not replay the same way');
  if (!def.policies.has(doc.policy)) throw fail(file, `unknown policy \`${doc.policy}\``, undefined, 'policy');
  if (!roles(def).some((r) => r.id === doc.role) && !def.actors.some((a) => a.id === doc.role)) throw fail(file, `unknown role \`${doc.role}\``, undefined, 'role');
  if (doc.current >= doc.nodes.length) throw fail(file, `current node ${doc.current} does not exist (${doc.nodes.length} nodes)`, undefined, 'current');
  let started;
  try {
    started = start(compiled, doc.seed, doc.params);
  } catch (error) {
    // The engine words a bad parameter for `--set`; here it is the session's `params`.
    if (!isParleyInputError(error)) throw error;
    const issue = error.issues[0]!;
    throw fail(file, `params: ${issue.message}`, issue.hint, 'params');
  }
  const nodes: PlayNode[] = [];
  const children: number[][] = doc.nodes.map(() => []);
  doc.nodes.forEach((n, id) => {
    const where = `nodes.${id}`;
    if ((id === 0) !== (n.parent === null)) throw fail(file, id === 0 ? 'the first node must be the root (parent null)' : 'only the first node may have no parent', undefined, `${where}.parent`);
    if (n.parent !== null && n.parent >= id) throw fail(file, `node ${id}'s parent ${n.parent} must come before it`, undefined, `${where}.parent`);
    let state: SimState = n.parent === null ? started.state : nodes[n.parent]!.state;
    const entries: TraceEntry[] = [];
    n.steps.forEach((s, k) => {
      let choice;
      if (s.by !== 'player') {
        const c = policyAction(compiled, state, doc.policy);
        if (JSON.stringify(c.action) !== JSON.stringify(s.action)) throw fail(file, `step ${state.step + 1} does not replay: the policy now does ${describe(c.action)}, the file says ${describe(s.action)}`, undefined, `${where}.steps.${k}`);
        choice = c.choice;
      }
      const result = step(compiled, state, s.action as Action, s.by, choice);
      if (result.type === 'rejected') throw fail(file, `step ${state.step + 1} does not replay: ${result.message}`, undefined, `${where}.steps.${k}`);
      state = result.state;
      entries.push(result.entry);
    });
    if (n.parent !== null) children[n.parent]!.push(id);
    nodes.push({ id, parent: n.parent, children: [], entries, state, ...(n.delegated ? { delegated: true } : {}) });
  });
  return {
    compiled, seed: doc.seed, policy: doc.policy, params: doc.params, role: doc.role,
    initial: started.state, opening: started.opening,
    nodes: nodes.map((n) => ({ ...n, children: children[n.id]! })),
    current: doc.current, redoTo: {}, exercise: doc.exercise ?? null,
  };
}

function describe(a: { type: string; lever?: string; seed?: number }): string {
  return a.type === 'pull' ? `pull ${a.lever}` : a.type === 'reroll' ? `reroll ${a.seed}` : 'pass';
}

const NAMED_FILE = /\.(ya?ml|json)$/i;

/**
 * Where a file that a session names (its scenario or its exercise) may be, on this machine.
 * Sessions travel: a class's files are collected in one folder, on another computer. But a
 * session file is untrusted input, so the path in it is only a name: a scenario or exercise file
 * (`.yaml`, `.yml`, `.json`) below the session's folder or the current folder (the path as saved,
 * without `..`, then the file name alone), or the bundled one of the same id. Files that do not
 * exist are passed over; each that does is loaded and must be the session's by id and content
 * hash. Nothing is read elsewhere, and nothing of a file that is not the session's is shown.
 */
function nearbyPaths(saved: string | null, sessionFile: string): string[] {
  if (saved === null || !NAMED_FILE.test(saved)) return [];
  const parts = saved.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  const name = parts[parts.length - 1]!;
  const relative = !/^([\\/]|[A-Za-z]:)/.test(saved) && !parts.includes('..');
  const paths: string[] = [];
  for (const root of [dirname(sessionFile), '.']) paths.push(...(relative && parts.length > 1 ? [join(root, ...parts)] : []), join(root, name));
  return [...new Set(paths)].filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false);
}

interface Found<T> {
  readonly where: string;
  readonly load: () => T;
}

/**
 * The first of `candidates` that is the session's (its id, and the hash of the scenario it plays);
 * failing that, one of the same id but another version (so that replaying says the scenario
 * changed); failing that, a message that names each file tried without showing any of it.
 */
function pickSaved<T>(kind: 'scenario' | 'exercise', want: { id: string; hash: string; saved: string | null }, sessionFile: string, candidates: readonly Found<T>[], identify: (x: T) => { id: string; hash: string }): T {
  const rejected: Issue[] = [];
  let otherVersion: T | undefined;
  for (const c of candidates) {
    let found: T;
    try {
      found = c.load();
    } catch (error) {
      if (!isParleyInputError(error)) throw error;
      rejected.push({ file: c.where, message: `is not the session's ${kind}: it does not load as one`, hint: `\`parley validate ${c.where}\` says why` });
      continue;
    }
    const { id, hash } = identify(found);
    if (id === want.id && hash === want.hash) return found;
    if (id === want.id) otherVersion ??= found;
    else rejected.push({ file: c.where, message: `is not the session's ${kind}: it is \`${id}\`, the session's is \`${want.id}\`` });
  }
  if (otherVersion !== undefined) return otherVersion;
  const name = want.saved !== null && NAMED_FILE.test(want.saved) ? want.saved.split(/[\\/]/).pop()! : `${want.id}.yaml`;
  throw new ScenarioError([
    {
      file: sessionFile,
      path: kind,
      message: `cannot find the session's ${kind} \`${want.id}\`${want.saved === null ? '' : ` (saved as ${want.saved})`}`,
      hint: `put ${name} next to the session file, or say where it is: ${kind === 'exercise' ? '--exercise FILE' : '`parley play FILE --load …`, `parley debrief --scenario FILE …`'}`,
    },
    ...rejected,
  ]);
}

/**
 * The scenario a session plays: `given` (a path or id the user named) as it is, or else the one
 * the session names, found as `nearbyPaths` says or bundled.
 */
export function sessionScenario(doc: SessionFile, sessionFile: string, given?: string): ScenarioDefinition {
  if (given !== undefined) return loadScenario(given);
  const { id, hash, file } = doc.scenario;
  const candidates: Found<ScenarioDefinition>[] = nearbyPaths(file, sessionFile).map((p) => ({ where: p, load: () => loadScenario(p) }));
  if (bundledScenarioIds().includes(id)) candidates.push({ where: id, load: () => loadScenario(id) });
  return pickSaved('scenario', { id, hash, saved: file }, sessionFile, candidates, (def) => def);
}

/**
 * An exercise file found near a session: its own scenario must be a bundled id or a regular file
 * (a forged one could name a FIFO, where reading would wait forever, or a device).
 */
function loadNearbyExercise(path: string): Exercise {
  const data = readDataFile(path).data as { scenario?: unknown };
  const ref = typeof data.scenario === 'string' ? data.scenario : '';
  const local = /[\\/]|\.(ya?ml|json)$/.test(ref) ? (isAbsolute(ref) ? ref : join(dirname(path), ref)) : null;
  if (local !== null && !(statSync(local, { throwIfNoEntry: false })?.isFile() ?? true)) throw new ScenarioError([{ file: path, message: 'its scenario is not a regular file' }]);
  return loadExercise(path);
}

/** The exercise a saved exercise session plays: `given` (`--exercise`), or the one it names, found as for its scenario. */
export function sessionExercise(doc: SessionFile & { exercise: { id: string; file: string } }, sessionFile: string, given?: string): Exercise {
  if (given !== undefined) return loadExercise(given);
  const { id, file } = doc.exercise;
  const candidates: Found<Exercise>[] = nearbyPaths(file, sessionFile).map((p) => ({ where: p, load: () => loadNearbyExercise(p) }));
  // By its path in the bundle: `loadExercise(id)` would take a file of that name here first.
  const bundled = bundledExerciseIds().includes(id) ? ['.yaml', '.yml', '.json'].map((ext) => join(scenariosDir(), 'exercises', id + ext)).find((p) => statSync(p, { throwIfNoEntry: false })?.isFile()) : undefined;
  if (bundled) candidates.push({ where: id, load: () => loadExercise(bundled) });
  return pickSaved('exercise', { id, hash: doc.scenario.hash, saved: file }, sessionFile, candidates, (ex) => ({ id: ex.id, hash: ex.def.hash }));
}

/** Reads, checks and replays a session file for `compiled`. */
export function loadSession(compiled: CompiledScenario, file: string): Session {
  return sessionFromFile(compiled, readSessionFile(file), file);
}
