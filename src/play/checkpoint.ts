/**
 * What a checkpoint decided, and why: the outcome it named, the rules before it that did not
 * hold, which parts of its own rule held, and the derived values (the crisis index) at that
 * moment. The state is the one the outcome rules were judged on: the step that reached the
 * checkpoint is taken again from the node's start, and what the next round's start changed
 * (its scheduled events) is taken back.
 */
import { step } from '../engine/engine.ts';
import { evaluate } from '../engine/state.ts';
import type { SimState, TraceEntry } from '../engine/types.ts';
import type { OutcomeDef } from '../scenario/definition.ts';
import { compileExpr } from '../scenario/expr.ts';
import { conditionInWords, splitCondition } from '../scenario/exercise.ts';
import { stateBefore, type Session } from './session.ts';

export interface RulePart {
  readonly text: string;
  readonly held: boolean;
}

/** An outcome's rule on a state: how its parts join, and each part in words with whether it held. */
export interface RuleCheck {
  readonly outcome: OutcomeDef;
  readonly join: 'and' | 'or' | null;
  readonly parts: readonly RulePart[];
}

export interface CheckpointReport {
  /** The step (from 1, as the log numbers them) whose round closed the phase. */
  readonly step: number;
  /** Label of the phase that ended. */
  readonly phase: string;
  readonly final: boolean;
  readonly outcome: OutcomeDef;
  /** The rules checked before it, which did not hold (the first rule that holds names the outcome). */
  readonly notHeld: readonly RuleCheck[];
  /** How the parts of the outcome's rule join (null: one part, or the rule for every other state). */
  readonly join: 'and' | 'or' | null;
  /** The parts of its rule, in words, and whether each held. Empty for the catch-all rule. */
  readonly parts: readonly RulePart[];
  /** Every derived value (the crisis index first, as the scenario lists them) at the checkpoint. */
  readonly derived: readonly { readonly label: string; readonly value: number }[];
}

/** The checkpoints passed by node `id`'s entries, in order (none for most nodes). */
export function checkpointsAt(session: Session, id = session.current): CheckpointReport[] {
  const { compiled } = session;
  const { def } = compiled;
  const node = session.nodes[id]!;
  const out: CheckpointReport[] = [];
  let state = stateBefore(session, id);
  for (const entry of node.entries) {
    const result = step(compiled, state, entry.action, entry.by, entry.choice);
    if (result.type === 'rejected') break;
    const at = entry.happenings.findIndex((h) => h.type === 'checkpoint');
    if (at >= 0) {
      const h = entry.happenings[at]!;
      if (h.type !== 'checkpoint') continue;
      const judged = atCheckpoint(session, result.state, entry, at);
      const outcome = def.outcomes.find((o) => o.id === h.outcome)!;
      const rule = ruleCheck(session, outcome, judged);
      out.push({
        step: entry.step + 1,
        phase: def.phases.find((p) => p.id === h.phase)?.label ?? h.phase,
        final: h.final,
        outcome,
        notHeld: def.outcomes.slice(0, outcome.index).map((o) => ruleCheck(session, o, judged)),
        join: rule.join,
        parts: rule.parts,
        derived: def.derived.map((d) => ({ label: d.label, value: evaluate(d.value, judged) })),
      });
    }
    state = result.state;
  }
  return out;
}

/** Outcome `outcome`'s rule on `state`, part by part (no parts for the rule of every other state). */
export function ruleCheck(session: Session, outcome: OutcomeDef, state: SimState): RuleCheck {
  const { def } = session.compiled;
  const source = def.config.outcomes[outcome.index]?.when;
  const split = source === undefined ? { join: null, parts: [] } : splitCondition(String(source));
  const parts = split.parts.map((p) => {
    let held: boolean;
    try {
      held = evaluate(compileExpr(p, def.scope, 'boolean'), state);
    } catch {
      held = outcome.when ? evaluate(outcome.when, state) : true;
    }
    return { text: conditionInWords(p, def), held };
  });
  return { outcome, join: split.join, parts };
}

/**
 * The state the outcome rules saw: `after` (the state after the step) less what happened after
 * the checkpoint in the step's happenings — the next round's start and its scheduled events.
 */
function atCheckpoint(session: Session, after: SimState, entry: TraceEntry, at: number): SimState {
  const { def } = session.compiled;
  const later = entry.happenings.slice(at + 1);
  const t = after.t.slice();
  const cnt = after.cnt.slice();
  const last = after.last.slice();
  let g = after.g;
  // Walking back from the end, each change's `from` is the value before it.
  for (const h of [...later].reverse()) {
    if (h.type === 'round') g = Math.max(0, g - 1);
    if (h.type === 'event' || h.type === 'coupling' || h.type === 'decay' || h.type === 'lever') {
      for (const c of [...h.effects].reverse()) {
        const tension = def.tensions.find((x) => x.id === c.tension);
        if (tension) t[tension.index] = c.from;
      }
    }
    if (h.type === 'event') {
      const e = def.events.find((x) => x.id === h.event);
      const keys = e ? [e.historyKey, ...(h.branch ? [e.branches.find((b) => b.id === h.branch)?.historyKey ?? -1] : [])] : [];
      for (const k of keys) {
        if (k < 0) continue;
        cnt[k] = Math.max(0, cnt[k]! - 1);
        if (cnt[k] === 0) last[k] = -1;
      }
    }
  }
  return { ...after, g, t, cnt, last };
}
