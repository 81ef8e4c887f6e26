/**
 * The play screen: header, state, levers, last step, log and footer, with overlays for help,
 * the branch tree, comparison, the outcome distribution and pickers. All keys are handled here
 * against the session model (`src/play/`); the panels only draw.
 */
import { Box, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { Rejection, SimState } from '../src/index.ts';
import { distribution, type Distribution } from '../src/play/distribution.ts';
import { act, canRedo, canUndo, compareNodes, currentNode, goTo, lastDrawn, pathTo, policyMove, pull, redo, redraw, reroll, roles, setRole, undo, type Session } from '../src/play/session.ts';
import { checkpointsAt, type CheckpointReport } from '../src/play/checkpoint.ts';
import { adviceKey, adviceRequest, adviceUnavailable, ADVICE_RUNS, defaultAdviceGoal, inThreadAdviser, type Advice, type AdviceGoal, type Adviser } from '../src/play/advice.ts';
import { adviceLines, goalWords, pickerLines, type AdviceState, type WhatIf } from './advice-view.ts';
import { compareCommand } from '../src/report/session-markdown.ts';
import { DistributionOverlay } from './DistributionOverlay.tsx';
import { ExplainPanel } from './ExplainPanel.tsx';
import { Footer } from './Footer.tsx';
import { Header } from './Header.tsx';
import { LeversPanel } from './LeversPanel.tsx';
import { ListOverlay } from './ListOverlay.tsx';
import { LogPanel } from './LogPanel.tsx';
import { StatePanel } from './StatePanel.tsx';
import { TreeOverlay } from './TreeOverlay.tsx';
import { s, wrap, type Line } from './text.ts';
import { closeNote, Panel } from './Panel.tsx';
import { Row } from './Row.tsx';
import { type ExerciseJudgement, codeLines, compareLines, debriefLines, endLines, explainParts, glossaryLines, helpLines, leverItems, leverLines, logLines, oddsDetail, outcomeBannerLines, stateLines, treeOpenScroll, treeRows } from './view.ts';
import { currentActor, errnoReason, isParleyInputError } from '../src/play/ui-support.ts';
import { branchCode, FACILITATOR, nodeBranchCode, stepLabel } from '../src/play/session.ts';

export interface AppProps {
  readonly initial: Session;
  /** Screen size; by default the terminal's, following resizes. */
  readonly width?: number;
  readonly height?: number;
  /** Writes the session; returns where. Throws with a message on failure. */
  readonly onSave?: (session: Session) => string;
  /** Writes the Markdown transcript of the current branch; returns where. */
  readonly onExport?: (session: Session) => string;
  /** Called once when the user quits. */
  readonly onQuit?: (session: Session) => void;
  /** Runs behind `m` (doubled by `+`). */
  readonly runs?: number;
  /** A message shown in the footer at the start. */
  readonly notice?: string;
  /** Playing an exercise: its briefing opens first, the debrief with the score at the end. */
  readonly exercise?: ExerciseView;
  /**
   * Puts text on the clipboard (`y`), by OSC 52: true when it was sent, false when the terminal
   * cannot take it; none means copying is not offered.
   */
  readonly onCopy?: (text: string) => boolean;
  /**
   * Computes the what-if odds (`w`, `W`): `parley play` hands a worker thread's (playAdviser),
   * so keys never wait; by default they are computed on this thread between slices.
   */
  readonly adviser?: Adviser;
}

/** What the screen needs of an exercise. */
export type { ExerciseJudgement };

export interface ExerciseView {
  readonly title: string;
  readonly objective: string;
  /** What the objective asks, requirement by requirement, in words. */
  readonly requirements?: readonly string[];
  readonly briefing: readonly string[];
  readonly debrief: readonly string[];
  readonly judge: (state: SimState) => ExerciseJudgement;
}

type Overlay =
  | { readonly kind: 'none' }
  | { readonly kind: 'help' }
  | { readonly kind: 'glossary' }
  | { readonly kind: 'code'; readonly copied: boolean | null }
  | { readonly kind: 'tree'; readonly selected: number; readonly scroll: number }
  | { readonly kind: 'compare'; readonly a: number; readonly b: number }
  | { readonly kind: 'dist' }
  /** The what-if table (`W`); `picking`: the outcome picker that changes its goal is open. */
  | { readonly kind: 'advice'; readonly picking: { readonly selected: number; readonly chosen: readonly string[] } | null }
  | { readonly kind: 'force'; readonly lever: string; readonly selected: number }
  | { readonly kind: 'role'; readonly selected: number }
  | { readonly kind: 'text'; readonly title: string; readonly lines: readonly (string | Line)[] }
  /** A checkpoint was reached: its outcome, and why; `then` opens when it closes (an exercise's debrief). */
  | { readonly kind: 'outcome'; readonly reports: readonly CheckpointReport[]; readonly then: Overlay | null };

interface DistRun {
  readonly id: number;
  readonly node: number;
  readonly n: number;
  readonly dist: Distribution | null;
  readonly done: boolean;
}

type Status = { readonly text: string; readonly kind: 'info' | 'error' } | null;

interface Model {
  readonly session: Session;
  readonly selected: number;
  readonly overlay: Overlay;
  readonly status: Status;
  readonly logScroll: number;
  /** First line of the last step's scrolling part. */
  readonly explainScroll: number;
  readonly showLog: boolean;
  readonly marked: number | null;
  readonly distRun: DistRun | null;
  /** Nodes in the tree when it was last saved (or opened): more means unsaved branches. */
  readonly savedNodes: number;
  /** The user pressed q with unsaved branches; the next q or Ctrl-C quits. */
  readonly quitArmed: boolean;
  /** First line shown in a text overlay (help, briefing, debrief, comparison). */
  readonly overlayScroll: number;
  /** The what-if odds (`w`) are on: each lever's line shows its chance of the goal, at every node. */
  readonly whatIf: boolean;
  /** The advice shown or being computed (`w`, `W`): its cache key (node and goal) and what the view shows. */
  readonly advice: { readonly key: string; readonly view: AdviceState } | null;
  /** The goal the student picked (it stays from node to node); null: the default goal. */
  readonly adviceGoal: AdviceGoal | null;
}

const NONE: Overlay = { kind: 'none' };
const MIN_WIDTH = 60;
const MIN_HEIGHT = 16;

function useTerminalSize(width?: number, height?: number): [number, number] {
  const { stdout } = useStdout();
  const [size, setSize] = useState<[number, number]>([stdout.columns || 80, stdout.rows || 24]);
  useEffect(() => {
    if (width !== undefined && height !== undefined) return;
    const onResize = () => setSize([stdout.columns || 80, stdout.rows || 24]);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, width, height]);
  return [width ?? size[0], height ?? size[1]];
}

const isRejection = (x: Session | Rejection): x is Rejection => 'type' in x;

/**
 * The keys in what Ink gave as one input: several characters typed during a redraw arrive
 * together. Escape sequences (arrows, PgUp) come on their own and pass as they are; in a run of
 * characters, `\r` is Enter, `\t` Tab, and the other control characters Ctrl with a letter.
 */
export function splitKeys(input: string, key: Key): [string, Key][] {
  const chars = [...input];
  if (chars.length <= 1) return [[input, key]];
  const plain: Key = { ...key, return: false, tab: false, backspace: false, delete: false, escape: false, ctrl: false, shift: false, meta: false };
  return chars.map((c): [string, Key] => {
    const code = c.charCodeAt(0);
    if (c === '\r') return ['\r', { ...plain, return: true }];
    if (c === '\t') return ['\t', { ...plain, tab: true }];
    if (c === '\x7f' || c === '\b') return ['', { ...plain, backspace: true }];
    if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...plain, ctrl: true }];
    return [c, { ...plain, shift: /^[A-Z]$/.test(c) }];
  });
}

/** What went wrong in a save or an export, in words: the message of a Parley error, or the errno's. */
function problemText(error: unknown): string {
  if (isParleyInputError(error)) return error.issues.map((i) => `${i.file}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`).join('; ');
  return errnoReason(error);
}

/** The exercise's briefing, or its debrief with the score once the run has ended. */
function exerciseOverlay(exercise: ExerciseView, state: SimState): Overlay {
  if (!state.ended) {
    const asks = exercise.requirements?.length ? ['', 'It asks that:', ...exercise.requirements.map((r) => `• ${r}`)] : [];
    return { kind: 'text', title: `Briefing: ${exercise.title}`, lines: [...exercise.briefing, '', `Objective: ${exercise.objective}`, ...asks, '', 'Esc to start playing; ? shows every key, g explains every term.'] };
  }
  return { kind: 'text', title: `Debrief: ${exercise.title}`, lines: debriefLines(exercise, exercise.judge(state)) };
}

/** The checkpoints passed on the way from node `from` to node `to` (none unless `to` lies beyond `from`). */
function checkpointsBetween(session: Session, from: number, to: number): CheckpointReport[] {
  const path = pathTo(session, to);
  const at = path.indexOf(from);
  if (at < 0 || from === to) return [];
  return path.slice(at + 1).flatMap((id) => checkpointsAt(session, id));
}

export function App({ initial, width: fixedWidth, height: fixedHeight, onSave, onExport, onQuit, runs = 2000, notice, exercise, onCopy, adviser: givenAdviser }: AppProps) {
  const { exit } = useApp();
  const [width, rows] = useTerminalSize(fixedWidth, fixedHeight);
  // Keys can arrive faster than frames: the handler reads and writes the latest model through a
  // ref, so every key acts on the result of the one before, and a render follows.
  const model = useRef<Model>({
    session: initial, selected: 0, overlay: exercise ? exerciseOverlay(exercise, currentNode(initial).state) : NONE,
    status: exercise ? { text: `Objective: ${exercise.objective}`, kind: 'info' } : notice ? { text: notice, kind: 'info' } : null,
    logScroll: 0, explainScroll: 0, showLog: false, marked: null, distRun: null, savedNodes: initial.nodes.length, quitArmed: false, overlayScroll: 0,
    whatIf: false, advice: null, adviceGoal: null,
  });
  /** Advice computed, by node and goal; what computes it. */
  const adviceCache = useRef(new Map<string, Advice>());
  const adviserRef = useRef<Adviser | null>(null);
  const adviser = (adviserRef.current ??= givenAdviser ?? inThreadAdviser(initial.compiled));
  const [, setVersion] = useState(0);
  /** Set by q: keys after it (in the same burst) are not handled. */
  const quitting = useRef(false);
  const update = (patch: Partial<Model> | ((m: Model) => Partial<Model>)) => {
    model.current = withAdvice({ ...model.current, ...(typeof patch === 'function' ? patch(model.current) : patch) });
    setVersion((v) => v + 1);
  };
  const { session, selected, overlay, status, logScroll, explainScroll, marked, distRun, overlayScroll } = model.current;
  const setSelected = (f: (i: number) => number) => update((m) => ({ selected: f(m.selected) }));
  const setOverlay = (o: Overlay) => update({ overlay: o, overlayScroll: 0 });
  const setStatus = (st: Status) => update({ status: st });
  const setShowLog = (f: (x: boolean) => boolean) => update((m) => ({ showLog: f(m.showLog) }));
  const setMarked = (id: number | null) => update({ marked: id });
  const setDistRun = (f: (r: DistRun | null) => DistRun | null) => update((m) => ({ distRun: f(m.distRun) }));
  const { def } = session.compiled;
  const node = currentNode(session);
  const items = leverItems(session);

  // The outcome distribution runs in chunks; closing the overlay cancels it.
  useEffect(() => {
    if (!distRun || distRun.done) return;
    const controller = new AbortController();
    const { id, n } = distRun;
    distribution(session.compiled, session.nodes[distRun.node]!.state, {
      n, policy: session.policy, chunk: 100, signal: controller.signal,
      onProgress: (d) => setDistRun((r) => (r && r.id === id ? { ...r, dist: d } : r)),
    }).then(
      (d) => setDistRun((r) => (r && r.id === id ? { ...r, dist: d, done: true } : r)),
      (error: unknown) => {
        if (!controller.signal.aborted) setStatus({ text: `runs failed: ${(error as Error).message}`, kind: 'error' });
      },
    );
    return () => controller.abort();
    // Only a new run (id) starts work; progress updates must not restart it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [distRun?.id]);

  // The what-if odds of the current node, whenever they are wanted (the lever list with `w` on, or
  // the table of `W`): from the cache, or computed by the adviser (a worker thread in `parley
  // play`) while keys go on. Moving to another node, changing the goal or turning them off
  // cancels a computation under way.
  const wantedAdvice = adviceWanted(model.current);
  useEffect(() => {
    if (!wantedAdvice) return;
    const { key } = wantedAdvice;
    // (`update` has already put the cached figures, or a computation at 0%, in the model.)
    if (adviceCache.current.has(key)) return;
    const controller = new AbortController();
    // (The session of the render that wanted it: a key typed since may have moved on.)
    const request = adviceRequest(wantedAdvice.session, wantedAdvice.goal);
    const mine = (m: Model) => m.advice?.key === key && !controller.signal.aborted;
    // A computation stopped before (or failed) starts again from nothing.
    update((m) => (mine(m) && (m.advice!.view.done > 0 || m.advice!.view.error) ? { advice: { key, view: { ...m.advice!.view, done: 0, error: null } } } : {}));
    // Started once the frame that says so is out (on this thread, the first slice would hold it back).
    const timer = setTimeout(() => {
      adviser.advise(request, {
        signal: controller.signal,
        onProgress: (p) => update((m) => (mine(m) ? { advice: { key, view: { ...m.advice!.view, done: p.runs } } } : {})),
      }).then(
        (result) => {
          adviceCache.current.set(key, result);
          update((m) => (mine(m) ? { advice: { key, view: { ...m.advice!.view, done: result.runs, result } } } : {}));
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          update((m) => (mine(m) ? { advice: { key, view: { ...m.advice!.view, error: (error as Error).message } } } : {}));
        },
      );
    }, 15);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
    // A new node or goal (the key) starts work; progress updates must not restart it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wantedAdvice?.key]);

  // The adviser's worker goes with the screen.
  useEffect(() => () => adviser.close(), []);

  // Once the first frame is out, while the student reads it: the first pull's work done once on
  // a scratch copy (sessions are immutable, so nothing here touches the session or its random
  // stream) and a frame redrawn that changes nothing, so that the first key press does not pay
  // for building the statechart and for code run for the first time.
  useEffect(() => {
    const timer = setTimeout(() => {
      const m = model.current;
      const first = leverItems(m.session).find((i) => i.available);
      if (first && !currentNode(m.session).state.ended) {
        const next = first.id === 'pass' ? act(m.session, { type: 'pass' }) : pull(m.session, first.id);
        if (!isRejection(next)) screenLayout({ ...m, session: next }, width, Math.max(12, rows - 1) - 3);
      }
      setVersion((v) => v + 1);
    }, 30);
    return () => clearTimeout(timer);
    // Once, at the start.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Layout: everything in rows − 1 lines (Ink redraws in place without clearing the screen).
  const height = Math.max(12, rows - 1);
  const body = height - 3;
  const layout = screenLayout(model.current, width, body);

  /** The key handler over the latest model (not the model of the last render). */
  const handleKey = (input: string, key: Key) => {
    const { session, selected, overlay, marked, distRun, savedNodes, quitArmed } = model.current;
    const { def } = session.compiled;
    const node = currentNode(session);
    const items = leverItems(session);
    /**
     * Makes `next` the session. Moving on (`forward`: a pull, the policy, a re-draw) past a
     * checkpoint opens its outcome banner; reaching the end of an exercise, its debrief after it.
     */
    const change = (next: Session, message?: string, forward = false) => {
      const ended = currentNode(next).state.ended && next.current !== model.current.session.current;
      const debrief = ended && exercise ? exerciseOverlay(exercise, currentNode(next).state) : null;
      const from = model.current.session.current;
      // A re-draw's node is beside the old one: only its own checkpoints are new.
      const reports = !forward || next.current === from ? [] : pathTo(next).includes(from) ? checkpointsBetween(next, from, next.current) : checkpointsAt(next, next.current);
      const opened: Overlay | null = reports.length ? { kind: 'outcome', reports, then: debrief } : debrief;
      update((m) => ({
        session: next,
        ...(next.current !== m.session.current ? { selected: 0, logScroll: 0, explainScroll: 0 } : {}),
        ...(message ? { status: { text: message, kind: 'info' as const } } : {}),
        ...(opened ? { overlay: opened, overlayScroll: 0 } : {}),
      }));
    };

    const apply = (result: Session | Rejection, message?: (next: Session) => string) => {
      if (isRejection(result)) setStatus({ text: result.message, kind: 'error' });
      else change(result, message?.(result), true);
    };

    const quit = () => {
      if (onSave && session.nodes.length > savedNodes && !quitArmed) {
        update({ quitArmed: true, status: { text: 'branches not saved: s saves them; q again quits without saving', kind: 'error' } });
        return;
      }
      quitting.current = true;
      onQuit?.(session);
      exit();
    };

    const startRuns = (n: number) => {
      setDistRun((r) => ({ id: (r?.id ?? 0) + 1, node: session.current, n, dist: null, done: false }));
      setOverlay({ kind: 'dist' });
    };

    /** `w`: the what-if odds on the lever list, on or off. */
    const toggleWhatIf = () => {
      if (model.current.whatIf) return update({ whatIf: false, status: { text: 'what-if odds off (w turns them on again)', kind: 'info' } });
      const why = adviceUnavailable(session);
      if (why) return setStatus({ text: why, kind: 'error' });
      update({ whatIf: true, status: { text: `what if on · goal: ${goalWords(def, goalOf(model.current))} · W: the table${exercise ? '' : ', o there changes the goal'}`, kind: 'info' } });
    };

    /** `W`: the what-if table, with intervals and the difference against default play. */
    const openAdviceTable = () => {
      const why = adviceUnavailable(session);
      if (why) return setStatus({ text: why, kind: 'error' });
      setOverlay({ kind: 'advice', picking: null });
    };

    const markOrCompare = (id: number) => {
      if (marked === null || marked === id) {
        setMarked(id);
        setStatus({ text: `this node (${stepLabel(session.nodes[id]!.state)}) marked as A: press c at another node (or in the tree) to compare`, kind: 'info' });
        return;
      }
      setOverlay({ kind: 'compare', a: marked, b: id });
    };

    /** PgDn, `]`: the lower panel forward (the last step down, the log toward its newest line); PgUp, `[`: back. */
    const scrollLower = (by: number) => {
      const { explainScroll, logScroll } = model.current;
      const lower = screenLayout(model.current, width, body);
      if (lower.showsLog) update({ logScroll: Math.max(0, Math.min(Math.max(0, lower.logTotal - lower.lowerRows), logScroll - by)) });
      else update({ explainScroll: Math.max(0, Math.min(lower.explainLast, explainScroll + by)) });
    };

    /** Keys in the advice view: scroll, o picks the goal's outcomes, Esc cancels (while computing) and closes. */
    const adviceKeys = (o: Extract<Overlay, { kind: 'advice' }>, input: string, key: Key) => {
      const move = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : 0;
      const outcomes = def.outcomes;
      if (o.picking) {
        const { selected, chosen } = o.picking;
        if (key.escape) return setOverlay({ kind: 'advice', picking: null });
        if (move) return update({ overlay: { kind: 'advice', picking: { selected: Math.max(0, Math.min(outcomes.length - 1, selected + move)), chosen } } });
        if (input === ' ' || input === 'x') {
          const id = outcomes[selected]!.id;
          return update({ overlay: { kind: 'advice', picking: { selected, chosen: chosen.includes(id) ? chosen.filter((c) => c !== id) : outcomes.map((x) => x.id).filter((x) => x === id || chosen.includes(x)) } } });
        }
        if (key.return) {
          if (chosen.length === 0) return setStatus({ text: 'tick at least one outcome (Space)', kind: 'error' });
          return update({ adviceGoal: { kind: 'outcomes', ids: chosen }, overlay: { kind: 'advice', picking: null }, overlayScroll: 0 });
        }
        return setStatus({ text: '↑↓ choose · Space ticks · Enter computes · Esc back', kind: 'info' });
      }
      const done = model.current.advice?.view.result != null;
      if (key.escape) {
        // Closing the table stops a computation unless the lever list still wants it (w is on).
        const stopped = !done && !model.current.advice?.view.error && !model.current.whatIf;
        update({ overlay: NONE, overlayScroll: 0, ...(stopped ? { advice: null, status: { text: 'what-if cancelled (W starts it again)', kind: 'info' as const } } : {}) });
        return;
      }
      const page = key.pageDown || input === ']' || input === ' ' ? 10 : key.pageUp || input === '[' ? -10 : move;
      if (page) {
        const total = adviceText(model.current).length;
        return update((m) => ({ overlayScroll: Math.max(0, Math.min(Math.max(0, total - (body - 2)), m.overlayScroll + page)) }));
      }
      if (input === 'o') {
        if (exercise) return setStatus({ text: "in an exercise the goal is the exercise's objective", kind: 'info' });
        const goal = model.current.advice?.view.goal;
        const chosen = goal?.kind === 'outcomes' ? goal.ids : [];
        return update({ overlay: { kind: 'advice', picking: { selected: 0, chosen } } });
      }
      if (input === 'g') return setOverlay({ kind: 'glossary' });
      setStatus({ text: `${done ? 'Esc closes' : 'Esc cancels'} · ↑↓ PgUp PgDn scroll${exercise ? '' : ' · o changes the goal'}`, kind: 'info' });
    };

    const mainKeys = (input: string, key: Key) => {
      const item = items[selected];
      if (key.upArrow || input === 'k') setSelected((i) => Math.max(0, i - 1));
      else if (key.downArrow || input === 'j') setSelected((i) => Math.min(items.length - 1, i + 1));
      else if (key.return) {
        if (node.state.ended) return setStatus({ text: 'the run has ended: u goes back a step, b opens the branch tree to try another branch', kind: 'error' });
        if (!item) return;
        if (!item.available) setStatus({ text: `${item.label}: ${item.reason}`, kind: 'error' });
        else apply(item.id === 'pass' ? act(session, { type: 'pass' }) : pull(session, item.id));
      } else if (input === 'f') {
        if (!item || !item.available || item.id === 'pass') setStatus({ text: 'choose an available lever to force one of its branches', kind: 'error' });
        else if ((def.leverById.get(item.id)?.branches.length ?? 0) < 2) setStatus({ text: `${item.label} has only one branch: nothing to force`, kind: 'error' });
        else setOverlay({ kind: 'force', lever: item.id, selected: 0 });
      } else if (input === 'a' || input === 'A') {
        if (node.state.ended) setStatus({ text: 'the run has ended', kind: 'error' });
        else {
          const you = forYou(session);
          apply(policyMove(session, input === 'A'), (next) => (input === 'A'
            ? `the ${session.policy} policy decided ${you} to ${currentNode(next).state.ended ? 'the end of the run' : stepLabel(currentNode(next).state)} (the log marks its moves; u undoes)`
            : `the ${session.policy} policy decided this turn ${you} (u undoes)`));
        }
      } else if (input === 'r' && !key.ctrl) {
        const at = lastDrawn(session);
        if (at === null) setStatus({ text: 'nothing drawn yet to draw again: pull a lever first (R rerolls the seed from here)', kind: 'error' });
        else {
          const before = session.nodes[at]!.entries.find((e) => e.action.type !== 'reroll')!;
          const old = before.happenings.find((h) => h.type === 'lever');
          apply(redraw(session, at), (next) => {
            const e = currentNode(next).entries[1];
            const h = e?.happenings.find((x) => x.type === 'lever');
            const was = old && old.type === 'lever' ? `${old.draw.toFixed(3)} → ${branchName(def, old.lever, old.branch)}` : '';
            return h && h.type === 'lever' ? `step ${before.step + 1} drawn again: ${h.draw.toFixed(3)} → ${branchName(def, h.lever, h.branch)} (was ${was}; b shows both)` : `step ${before.step + 1} drawn again`;
          });
        }
      } else if (input === 'R') {
        if (node.state.ended) setStatus({ text: 'the run has ended: undo (u) first to reroll from an earlier step', kind: 'error' });
        else apply(reroll(session), (next) => `seed rerolled to ${currentNode(next).state.seed} from step ${currentNode(next).state.step + 1} on`);
      } else if (input === 'u') {
        if (!canUndo(session)) setStatus({ text: 'nothing to undo: this is the start', kind: 'error' });
        else change(undo(session), 'undone (the branch stays in the tree: U redoes it)');
      } else if (input === 'U' || (key.ctrl && input === 'r')) {
        if (!canRedo(session)) setStatus({ text: 'nothing to redo', kind: 'error' });
        else change(redo(session));
      } else if (input === 'b') {
        const tree = treeRows(session);
        const at = Math.max(0, tree.findIndex((r) => r.current));
        setOverlay({ kind: 'tree', selected: at, scroll: treeOpenScroll(session, tree, at, body - 2) });
      } else if (input === 'c') markOrCompare(session.current);
      else if (input === 'g') setOverlay({ kind: 'glossary' });
      else if (input === 'w') toggleWhatIf();
      else if (input === 'W') openAdviceTable();
      else if (input === 'y') {
        const copied = onCopy ? onCopy(branchCode(session)) : null;
        setOverlay({ kind: 'code', copied });
      }
      else if (input === 'm') startRuns(runs);
      else if (input === 'p') {
        // Every student of an exercise plays the same role, so that the class can compare.
        if (exercise) setStatus({ text: `this exercise is played as ${roles(def).find((r) => r.id === session.role)?.label ?? session.role}`, kind: 'error' });
        else setOverlay({ kind: 'role', selected: Math.max(0, roles(def).findIndex((r) => r.id === session.role)) });
      } else if (input === 'o' && exercise) setOverlay(exerciseOverlay(exercise, { ...node.state, ended: false }));
      else if (input === 's' || input === 'e') {
        const write = input === 's' ? onSave : onExport;
        if (!write) return;
        try {
          const path = write(session);
          update({ status: { text: `${input === 's' ? 'session saved to' : 'branch exported to'} ${path}`, kind: 'info' }, ...(input === 's' ? { savedNodes: session.nodes.length } : {}) });
        } catch (error) {
          setStatus({ text: `cannot ${input === 's' ? 'save' : 'export'}: ${problemText(error)}`, kind: 'error' });
        }
      } else if (input === '?') setOverlay({ kind: 'help' });
      else if (key.tab) setShowLog((x) => !x);
      else if (key.pageUp || input === '[') scrollLower(-5);
      else if (key.pageDown || input === ']') scrollLower(5);
      else if (key.escape && model.current.whatIf && !model.current.advice?.view.result && !model.current.advice?.view.error) update({ whatIf: false, status: { text: 'what-if odds stopped (w starts them again)', kind: 'info' } });
      else if (key.escape) setMarked(null);
      else if (input.length === 1 && input >= ' ' && !key.ctrl && !key.meta) setStatus({ text: `${input === ' ' ? 'Space' : input} does nothing here: ? lists the keys, g explains the terms`, kind: 'error' });
    };

      if ((key.ctrl && input === 'c') || input === 'q') return quit();
      const previous = model.current.status;
      update({ status: null, quitArmed: false });
      if (input === '?' && overlay.kind === 'text') return setOverlay({ kind: 'help' });
      if (overlay.kind === 'none') return mainKeys(input, key);
      if (overlay.kind === 'advice') return adviceKeys(overlay, input, key);
      // The outcome banner closes with Space too, but not with Enter: a student pulling lever
      // after lever with Enter would close it unseen.
      if (key.escape || (overlay.kind === 'outcome' && input === ' ')) {
        setOverlay(overlay.kind === 'outcome' && overlay.then ? overlay.then : NONE);
        // What the move that reached the checkpoint said stays below the screen it closes on.
        if (overlay.kind === 'outcome') setStatus(previous);
        if (overlay.kind === 'dist') setDistRun((r) => (r && !r.done ? { ...r, done: true } : r));
        return;
      }
      const move = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : 0;
      const text = textOverlay(overlay);
      if (text) {
        // Text that does not fit scrolls (the panel clamps to the last screenful).
        const page = key.pageDown || input === ']' || input === ' ' ? 10 : key.pageUp || input === '[' ? -10 : move;
        const last = Math.max(0, text.lines.length - (body - 2));
        if (page) update((m) => ({ overlayScroll: Math.max(0, Math.min(last, m.overlayScroll + page)) }));
        else if (input === 'g' && overlay.kind !== 'glossary') setOverlay({ kind: 'glossary' });
        else if (input === 'e' && overlay.kind === 'text' && onExport) mainKeys('e', key);
        else setStatus({ text: `${overlay.kind === 'outcome' ? 'Space or Esc continues' : 'Esc closes this window'}${text.lines.length > body - 2 ? '; ↑↓ PgUp PgDn scroll it' : ''}`, kind: 'info' });
        return;
      }
      if (overlay.kind === 'tree') {
        const tree = treeRows(session);
        const rowsShown = body - 2;
        const moveTo = (i: number) => {
          const selected = Math.max(0, Math.min(tree.length - 1, i));
          const scroll = Math.min(Math.max(overlay.scroll, selected - rowsShown + 1), selected);
          setOverlay({ ...overlay, selected, scroll: Math.max(0, scroll) });
        };
        const page = key.pageDown || input === ']' ? rowsShown : key.pageUp || input === '[' ? -rowsShown : move;
        if (page) moveTo(overlay.selected + page);
        else if (key.return) {
          change(goTo(session, tree[overlay.selected]!.id), `at node ${tree[overlay.selected]!.id}: resume from here`);
          setOverlay(NONE);
        } else if (input === 'c') markOrCompare(tree[overlay.selected]!.id);
        else setStatus({ text: '↑↓ choose a node · Enter goes there · c marks it to compare · Esc closes', kind: 'info' });
      } else if (overlay.kind === 'force') {
        const lever = def.levers.find((l) => l.id === overlay.lever)!;
        if (move) setOverlay({ ...overlay, selected: Math.max(0, Math.min(lever.branches.length - 1, overlay.selected + move)) });
        else if (key.return) {
          setOverlay(NONE);
          apply(pull(session, lever.id, lever.branches[overlay.selected]!.id), () => `forced ${lever.label} → ${lever.branches[overlay.selected]!.label}`);
        }
      } else if (overlay.kind === 'role') {
        const list = roles(def);
        if (move) setOverlay({ ...overlay, selected: Math.max(0, Math.min(list.length - 1, overlay.selected + move)) });
        else if (key.return) {
          setOverlay(NONE);
          change(setRole(session, list[overlay.selected]!.id), `now playing as ${list[overlay.selected]!.label}`);
        }
      } else if (overlay.kind === 'dist' && input === '+' && distRun?.done) startRuns(distRun.n * 2);
  };

  // Keys typed while a frame was being drawn reach Ink as one string ("jj⏎q"): each is handled
  // in turn, so none is lost, and q quits.
  useInput((input, key) => {
    for (const [one, k] of splitKeys(input, key)) if (!quitting.current) handleKey(one, k);
  });

  /** The goal of the what-if odds: the student's pick, else the exercise's objective or the calm outcomes. */
  function goalOf(m: Model): AdviceGoal {
    return m.adviceGoal ?? defaultAdviceGoal(m.session, exercise?.objective);
  }

  /**
   * The model with `advice` for the node and goal the screen wants now, in the same update that
   * made them wanted: the cached figures, or a computation at 0% (the effect above starts it).
   */
  function withAdvice(m: Model): Model {
    const wanted = adviceWanted(m);
    if (!wanted || m.advice?.key === wanted.key) return m;
    const cached = adviceCache.current.get(wanted.key);
    const runs = cached?.runs ?? ADVICE_RUNS;
    return { ...m, advice: { key: wanted.key, view: { goal: wanted.goal, runs, done: cached ? runs : 0, result: cached ?? null, error: null } } };
  }

  /** The node and goal whose what-if odds the screen wants now (the lever list with w on, or the table), or null. */
  function adviceWanted(m: Model): { key: string; goal: AdviceGoal; session: Session } | null {
    if (!m.whatIf && m.overlay.kind !== 'advice') return null;
    if (m.overlay.kind === 'advice' && m.overlay.picking) return m.advice ? { key: m.advice.key, goal: m.advice.view.goal, session: m.session } : null;
    if (adviceUnavailable(m.session)) return null;
    const goal = goalOf(m);
    return { key: adviceKey(m.session, goal), goal, session: m.session };
  }

  function textLines(lines: readonly (string | Line)[]): Line[] {
    return lines.flatMap((l): Line[] => (typeof l !== 'string' ? [l] : l === '' ? [[]] : wrap(l, width - 2).map((x) => [s(x)])));
  }

  /** The advice view's lines at this width. */
  function adviceText(m: Model): Line[] {
    const view = m.advice?.view;
    if (!view) return [];
    return adviceLines(m.session.compiled.def, view, width - 2, m.session.policy, Boolean(exercise), view.result ? compareCommand(m.session, view.goal, view.result.runs) : undefined);
  }

  /** The overlays that are text to read: their title and lines. */
  function textOverlay(o: Overlay): { title: string; lines: Line[] } | null {
    const inner = width - 2;
    const { session } = model.current;
    if (o.kind === 'help') return { title: 'Keys', lines: helpLines(inner) };
    if (o.kind === 'glossary') return { title: `Glossary: ${session.compiled.def.title}`, lines: glossaryLines(session.compiled.def, inner, session.initial) };
    if (o.kind === 'code') return { title: 'Branch code', lines: codeLines(session, inner, o.copied) };
    if (o.kind === 'text') return { title: o.title, lines: textLines(o.lines) };
    if (o.kind === 'advice') {
      const actor = currentActor(session.compiled.def, currentNode(session).state);
      const who = actor >= 0 ? session.compiled.def.actors[actor]!.name : '';
      if (o.picking) return { title: 'Goal: outcomes that count', lines: pickerLines(session.compiled.def, o.picking.chosen, o.picking.selected, inner) };
      return { title: `What if ${who} pulls each?`, lines: adviceText(model.current) };
    }
    if (o.kind === 'compare') return { title: 'Compare A and B', lines: compareLines(session, compareNodes(session, o.a, o.b), inner) };
    if (o.kind === 'outcome') return { title: 'Outcome', lines: [...outcomeBannerLines(o.reports, inner), [], ...wrap(`Space or Esc ${o.then ? 'continues to the debrief' : 'continues'}; g explains the terms.`, inner).map((l): Line => [s(l, { dim: true })])] };
    return null;
  }

  const you = forYou(session);
  const footerHints: [string, string][] = overlay.kind === 'none'
    ? [
        ['?', 'keys'], ['q', 'quit'], ...(exercise ? [['o', 'brief'] as [string, string]] : []),
        ...(node.state.ended ? [] : [['⏎', 'pull'] as [string, string]]),
        ...(layout.lowerMore ? [[']', 'more'] as [string, string]] : []),
        ...(node.state.ended ? [] : model.current.whatIf ? [['w', 'what if off'], ['W', 'table']] as [string, string][] : [['w', 'what if'] as [string, string]]),
        ['g', 'glossary'], ['y', 'code'], ['u', 'undo'], ['r', 're-draw'], ['b', 'tree'], ['c', 'compare'],
        ...(node.state.ended ? [] : [['a', `policy decides ${you}`] as [string, string]]),
        ['f', 'force'], ['R', 'reseed'], ['m', 'runs'], ['e', 'export'], ['s', 'save'], ['p', 'role'], ['Tab', 'log'],
      ]
    : overlay.kind === 'outcome' ? [['Space', 'continue'], ['g', 'glossary'], ['q', 'quit']]
    : overlay.kind === 'advice' ? (overlay.picking
      ? [['Space', 'tick'], ['⏎', 'compute'], ['Esc', 'back'], ['q', 'quit']]
      : [['Esc', model.current.advice?.view.result || model.current.advice?.view.error ? 'close' : 'cancel'], ...(exercise ? [] : [['o', 'goal'] as [string, string]]), ['↑↓', 'scroll'], ['q', 'quit']])
    : [['Esc', 'close'], ['q', 'quit']];

  // Below this size the panels cannot show a lever with its odds; say so instead of drawing rubble.
  if (width < MIN_WIDTH || rows < MIN_HEIGHT) {
    return (
      <Box flexDirection="column" width={width}>
        {wrap(`Parley needs a terminal of at least ${MIN_WIDTH}×${MIN_HEIGHT}; this one is ${width}×${rows}. Enlarge it (the screen follows), or press q to quit.`, Math.max(10, width - 1)).map((l, i) => (
          <Row key={i} line={[s(l, i === 0 ? { bold: true } : {})]} width={width} />
        ))}
      </Box>
    );
  }

  let main;
  const text = textOverlay(overlay);
  if (overlay.kind !== 'none') {
    const props = { width, height: body };
    if (text) main = <Panel title={text.title} note={overlay.kind === 'outcome' ? ` ${text.lines.length > body - 2 ? '↑↓ scroll · ' : ''}Space continues ` : overlay.kind === 'advice' && !overlay.picking && !model.current.advice?.view.result && !model.current.advice?.view.error ? ' Esc cancels ' : overlay.kind === 'advice' && overlay.picking ? ' Esc back ' : overlay.kind === 'advice' && width < 72 ? ' Esc closes ' : closeNote(text.lines.length, body)} width={width} height={body} lines={text.lines} focused scroll={overlayScroll} />;
    else if (overlay.kind === 'tree') main = <TreeOverlay session={session} selected={overlay.selected} scroll={overlay.scroll} marked={marked} {...props} />;
    else if (overlay.kind === 'dist') main = <DistributionOverlay dist={distRun?.dist ?? null} total={distRun?.n ?? runs} done={distRun?.done ?? false} {...props} />;
    else if (overlay.kind === 'force') {
      const lever = def.levers.find((l) => l.id === overlay.lever)!;
      const odds = items.find((i) => i.id === lever.id)?.odds ?? [];
      main = (
        <ListOverlay
          title={`Force a branch of ${lever.label}`}
          hint="↑↓ Enter force · Esc"
          intro={[[s('What if it went this way? The pull uses no draw; the branch tree keeps both.', { dim: true })]]}
          items={lever.branches.map((b, i) => [s(oddsDetail(def, lever.id, odds[i] ?? { branch: b.id, base: 0, modifiers: [], p: 0 }, odds))])}
          selected={overlay.selected}
          {...props}
        />
      );
    } else if (overlay.kind === 'role') {
      main = (
        <ListOverlay
          title="Play as"
          hint="↑↓ Enter choose · Esc"
          intro={[[s('Actors you do not play follow the policy; the facilitator decides for everyone.', { dim: true })]]}
          items={roles(def).map((r) => [s(r.label, r.id === session.role ? { bold: true } : {})])}
          selected={overlay.selected}
          {...props}
        />
      );
    }
  } else {
    const { left, right, stateH, compact, leversH } = layout;
    const lower = { session, width: right, height: body - leversH };
    main = (
      <Box flexDirection="row">
        <Box flexDirection="column" width={left}>
          <StatePanel session={session} width={left} height={stateH} />
          {compact ? null : <LogPanel session={session} width={left} height={body - stateH} scroll={logScroll} />}
        </Box>
        <Box flexDirection="column" width={right}>
          <LeversPanel session={session} items={items} selected={Math.min(selected, Math.max(0, items.length - 1))} width={right} height={leversH} whatIf={whatIfOf(model.current)} />
          {layout.showsLog ? <LogPanel {...lower} scroll={logScroll} tabs /> : <ExplainPanel {...lower} tabs={compact} scroll={explainScroll} />}
        </Box>
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header session={session} width={width} />
      {main}
      <Footer width={width} status={status} hints={footerHints} />
    </Box>
  );
}

/** `for you (Gustavo Petro)`: whose decisions `a` and `A` hand to the policy. */
function forYou(session: Session): string {
  const { def } = session.compiled;
  if (session.role !== FACILITATOR) return `for you (${def.actors.find((a) => a.id === session.role)?.name ?? session.role})`;
  const actor = currentActor(def, currentNode(session).state);
  return actor >= 0 ? `for you (as facilitator: ${def.actors[actor]!.name})` : 'for you';
}

function branchName(def: Session['compiled']['def'], lever: string, branch: string): string {
  return def.leverById.get(lever)?.branches.find((b) => b.id === branch)?.label ?? branch;
}

/** The what-if odds for the lever list: on, and computed (or being computed) for this node and goal. */
function whatIfOf(m: Model): WhatIf | null {
  if (!m.whatIf || !m.advice || currentNode(m.session).state.ended) return null;
  return m.advice.key.startsWith(`${nodeBranchCode(m.session)}|`) ? { view: m.advice.view } : null;
}

/** Panel sizes of the main screen, and what its lower right panel can show. */
function screenLayout(m: Model, width: number, body: number) {
  const { session, selected } = m;
  const node = currentNode(session);
  // Narrow screens give the levers the room: the state panel drops its bars (stateLines).
  const left = width < 72 ? 26 : Math.max(32, Math.min(64, Math.floor(width * 0.42)));
  const right = width - left;
  const stateWanted = stateLines(session, left - 2).length + 2;
  // Short screens: the log shares the lower right panel with the last step (Tab switches).
  const compact = body - stateWanted < 6;
  const stateH = compact ? body : Math.max(5, Math.min(stateWanted, body - 6));
  const items = leverItems(session);
  const leverContent = (node.state.ended ? endLines(session, right - 2) : leverLines(session, items, Math.min(selected, Math.max(0, items.length - 1)), right - 2, whatIfOf(m))).length + 2;
  // The last step keeps room for what is pinned at its top (the decision, the draw and the
  // branch it selected, an outcome) and two lines more; the levers have the rest.
  const explain = explainParts(session, right - 2);
  // (With the what-if odds on, the list of moves is what the student weighs: it takes more.)
  const lowerMin = whatIfOf(m) ? 5 : Math.max(6, Math.min(9, explain.pinned.length + 4));
  const leversH = Math.max(5, Math.min(leverContent, body - lowerMin));
  const lowerRows = body - leversH - 2;
  const showsLog = compact && m.showLog;
  const explainRoom = Math.max(0, lowerRows - Math.min(explain.pinned.length, lowerRows));
  const explainLast = Math.max(0, explain.lines.length - explainRoom);
  const logTotal = showsLog ? logLines(session, right - 2).length : 0;
  const lowerMore = showsLog ? logTotal > lowerRows : explain.lines.length > explainRoom;
  return { left, right, stateH, compact, leversH, lowerRows, showsLog, explainLast, logTotal, lowerMore };
}
