/**
 * `parley play`: step through the seeded branches of a scenario in the terminal. Ink and React
 * are imported only here, lazily, so other commands never load them. Without a terminal (a pipe,
 * CI) it prints a seeded run transcript, as `parley run` does, and says how to play.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { compile } from '../engine/engine.ts';
import { isParleyInputError, suggest, UsageError } from '../scenario/errors.ts';
import { createSession, roles, type Session } from '../play/session.ts';
import { playAdviser } from '../play/advice-client.ts';
import { unplayableReason, type ScenarioDefinition } from '../scenario/definition.ts';
import { readSessionFile, saveSession, saveSessionFresh, sessionExercise, sessionFromFile, sessionScenario } from '../play/save.ts';
import { checkOutput, identityOf, type FileIdentity } from '../io/output.ts';
import { exportToNewFile, nameCandidates, sessionFileName } from '../play/files.ts';
import { exportMarkdown } from '../report/session-markdown.ts';
import { parseSeed, parseSets } from './io.ts';
import { briefingLines, judgeExercise, loadExercise, objectiveRequirements, type Exercise } from '../scenario/exercise.ts';
import { checkExerciseScenario, resolveRunStart, runCommand } from './run.ts';
import { safeDeep, safeText } from '../scenario/safe-text.ts';

export interface PlayFlags {
  seed?: string;
  role?: string;
  branch?: string;
  load?: string;
  policy?: string;
  set?: string[];
  exercise?: string;
  save?: string;
}

/** The session the flags describe (also what the non-interactive path prints). */
export function openSession(scenarioRef: string | undefined, flags: PlayFlags, explicitPolicy = false): { session: Session; picked: boolean; file: string | null; exercise?: Exercise } {
  if ([flags.branch, flags.load].filter((x) => x !== undefined).length > 1) throw new UsageError('give --branch or --load, not both', undefined, '--load');
  if (flags.load !== undefined) {
    const doc = readSessionFile(flags.load);
    // A saved exercise reopens with its exercise (the injects change the scenario it replays on).
    // --exercise FILE says where the session's exercise is when it cannot be found.
    // SCENARIO says where the session's scenario is; without it, only files near the session, or
    // bundled, are tried (a session file is untrusted: its paths are names, never read as given).
    const exercise = doc.exercise ? sessionExercise({ ...doc, exercise: doc.exercise }, flags.load, flags.exercise) : undefined;
    if (exercise) checkExerciseScenario(scenarioRef, exercise);
    const def = exercise ? exercise.def : sessionScenario(doc, flags.load, scenarioRef);
    const session = sessionFromFile(compile(def), doc, flags.load);
    return { session, picked: false, file: resolve(flags.load), ...(exercise ? { exercise } : {}) };
  }
  if (flags.exercise !== undefined) {
    const exercise = loadExercise(flags.exercise);
    checkExerciseScenario(scenarioRef, exercise);
    // --branch reopens a branch of the exercise (a classmate's "what if", an export's code).
    const code = flags.branch !== undefined ? resolveRunStart(exercise.def.file ?? exercise.def.id, { ...flags, policy: flags.policy ?? exercise.config.policy }, explicitPolicy) : null;
    if (code && code.def.id !== exercise.def.id) throw new UsageError(`the branch code is for scenario \`${code.def.id}\`, not the exercise's \`${exercise.def.id}\``, undefined, '--branch');
    const seed = code ? code.seed : flags.seed === undefined ? exercise.config.seeds[0]! : parseSeed(flags.seed);
    if (flags.role !== undefined) checkPlayable(exercise.def, flags.role);
    const session = createSession(compile(exercise.def), {
      seed,
      ...(code ? { moves: code.moves } : {}),
      policy: code ? code.policy : explicitPolicy ? (flags.policy ?? 'default') : exercise.config.policy,
      params: { ...exercise.params, ...parseSets(flags.set ?? []) },
      role: flags.role ?? exercise.config.role,
      exercise: { id: exercise.id, file: resolve(exercise.file) },
    });
    return { session, picked: false, file: null, exercise };
  }
  const { def, seed, policy, moves, picked } = resolveRunStart(scenarioRef, flags, explicitPolicy);
  if (flags.role !== undefined) checkPlayable(def, flags.role);
  const session = createSession(compile(def), { seed, policy, params: parseSets(flags.set ?? []), moves, ...(flags.role !== undefined ? { role: flags.role } : {}) });
  return { session, picked, file: null };
}

/**
 * `--role`: the facilitator or an actor a student may play (principals and mediators, unless the
 * scenario marks actors `playable`). An adviser or an actor marked `playable: false` is refused,
 * and the hint lists exactly the roles that may be played.
 */
export function checkPlayable(def: ScenarioDefinition, role: string): void {
  const playable = roles(def).map((r) => r.id);
  if (playable.includes(role)) return;
  const hint = `roles of ${def.id}: ${playable.join(', ')}`;
  const actor = def.actors.find((a) => a.id === role);
  if (!actor) {
    const near = suggest(role, playable, 'role');
    throw new UsageError(`unknown role \`${role}\``, near?.startsWith('did you mean') ? `${near} ${hint}` : hint, '--role');
  }
  throw new UsageError(`\`${role}\` (${actor.name}, ${actor.role}) cannot be played: ${unplayableReason(def, actor) ?? ''}`, hint, '--role');
}

export async function playCommand(scenarioRef: string | undefined, flags: PlayFlags, explicitPolicy = false): Promise<void> {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!interactive) {
    const how = `(to play interactively, run \`parley play${scenarioRef === undefined ? '' : ` ${scenarioRef}`}${flags.exercise !== undefined ? ` --exercise ${flags.exercise}` : ''}\` in a terminal)\n`;
    const { session, picked, exercise: ex } = openSession(scenarioRef, flags, explicitPolicy);
    if (flags.load !== undefined) process.stdout.write(safeText(exportMarkdown(session, session.current, ex)));
    else {
      if (picked) process.stdout.write(`(seed ${session.seed} picked at random; add --seed ${session.seed} to repeat this run)\n`);
      const branch = flags.branch !== undefined ? { branch: flags.branch } : { seed: String(session.seed) };
      if (ex) process.stdout.write(safeText(`Briefing: ${ex.config.title}\n\n${briefingLines(ex).join('\n')}\n\n`));
      runCommand(scenarioRef, { ...branch, policy: session.policy, set: flags.set ?? [], ...(flags.exercise !== undefined ? { exercise: flags.exercise } : {}) }, process.stdout, true);
      if (ex && ex.config.debrief.length) process.stdout.write(safeText(`\nDebrief questions:\n${ex.config.debrief.map((q, i) => `${i + 1}. ${q}`).join('\n')}\n`));
    }
    process.stdout.write(how);
    return;
  }
  const { session, picked, file, exercise } = openSession(scenarioRef, flags, explicitPolicy);
  // A loaded session saves back to its file; a new one to --save FILE, or to a free name taken
  // at the first save. A save never replaces another session's file: only this session's own,
  // as it was last saved or opened (its identity, `owned`).
  let savePath: string | null = flags.save !== undefined ? resolve(flags.save) : file;
  let owned: FileIdentity | null = savePath !== null && savePath === file ? identityOf(savePath) : null;
  if (savePath !== null) checkOutput(savePath, { flag: '--save', inputs: [], replace: owned, existsHint: 'another session may be saved there: it is never replaced; choose another name, or open it with --load' });
  // Both ends are terminals, so a person is at the keyboard. Ink reads CI/CONTINUOUS_INTEGRATION
  // when it is first imported and then draws only the last frame; a shell that inherits one of
  // those variables (a dev container, a CI runner's interactive debug session) would see a blank
  // screen. Ink is imported only below, so clearing them here is enough.
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
  const { playScreen } = await import('../../ui/main.tsx');
  await playScreen(session, {
    color: !process.env['NO_COLOR'],
    onSave: (s) => {
      if (savePath === null) {
        const saved = saveSessionFresh(s, nameCandidates(process.cwd(), sessionFileName(s)));
        savePath = saved.path;
        owned = saved.identity;
      } else {
        try {
          owned = saveSession(s, savePath, owned);
        } catch (error) {
          // Another program put a file there since this session last saved it (another play
          // of the same session, say). Neither is lost: this one saves beside it, under a new name.
          if (!isParleyInputError(error) || !existsSync(savePath)) throw error;
          const saved = saveSessionFresh(s, nameCandidates(dirname(savePath), basename(savePath)));
          savePath = saved.path;
          owned = saved.identity;
        }
      }
      return savePath;
    },
    onExport: (s) => exportToNewFile(s, process.cwd(), exportMarkdown(s, s.current, exercise)),
    adviser: playAdviser(session.compiled, exercise ?? null),
    notice: picked ? `seed ${session.seed} picked at random (parley play --seed ${session.seed} repeats it) · ? shows every key` : '? shows every key',
    ...(exercise
      ? {
          // The exercise file's texts, safe for the terminal (the scenario's are already).
          exercise: safeDeep({
            title: exercise.config.title,
            objective: exercise.config.objective.description,
            requirements: objectiveRequirements(exercise),
            briefing: briefingLines(exercise),
            debrief: exercise.config.debrief,
            judge: (state: Parameters<typeof judgeExercise>[1]) => judgeExercise(exercise, state),
          }),
        }
      : {}),
  });
}
