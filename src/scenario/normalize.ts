/**
 * Validated config → normalised definition. Resolves every name, compiles every expression and
 * reports every problem at once, each with its path in the document (the loader turns paths
 * into lines and columns).
 */
import { createHash } from 'node:crypto';
import { closest, suggest } from './errors.ts';
import { cameoDescriptions } from './cameo.ts';
import { compileExpr, ExprError, exprOf, FORMAT_LATEST, RESERVED, type ConditionRef, type Expr, type HistoryEntry, type Scope } from './expr.ts';
import { codeOf } from './ir.ts';
import { addDays, clockOf } from './dates.ts';
import type {
  ActorDef, ActorPolicyDef, BranchDef, ChartDef, ConditionDef, Effect, EventDef, LeverDef, MediatorDef, PhaseDef, PolicyDef, RoundDef,
  ScenarioDefinition, TensionDef,
} from './definition.ts';
import type { PathSegment } from './parse.ts';
import type { BranchConfig, ExprSource, ScenarioConfig, StatechartConfig } from './schema.ts';

/** A problem found while normalising, placed by its path in the document. */
export interface PathIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly hint?: string;
  /** Offset inside an expression string. */
  readonly offset?: number;
  /** Point at the key rather than the value. */
  readonly key?: boolean;
}

export class NormalizeError extends Error {
  constructor(readonly issues: readonly PathIssue[]) {
    super(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  }
}

/** Keys in sorted order, so the hash does not depend on how the author ordered fields. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const MAX_ROUNDS = 5000;
/** Branches of one lever or event: every pull computes each one's probability. */
export const MAX_BRANCHES = 200;
/** Actors: a scenario names a handful (the bundled ones 4 and 8). */
export const MAX_ACTORS = 500;
/**
 * Turns in one run (rounds × the actors in their turn order, summed over phases): the bundled
 * scenarios have 57 and 149; at this limit one run takes a few seconds.
 */
export const MAX_TURNS = 50_000;

export function normalizeScenario(id: string, config: ScenarioConfig, goldstein: ReadonlyMap<string, number>, file: string | null = null): ScenarioDefinition {
  const issues: PathIssue[] = [];
  const report = (path: readonly PathSegment[], message: string, hint?: string, extra: Partial<PathIssue> = {}) => {
    issues.push({ path, message, ...(hint ? { hint } : {}), ...extra });
  };

  // --- names and sources -------------------------------------------------------------
  const sourceIds = new Set<string>();
  config.sources.forEach((s, i) => {
    if (sourceIds.has(s.id)) report(['sources', i, 'id'], `duplicate source id \`${s.id}\``);
    sourceIds.add(s.id);
  });
  visitCites(config, [], (cite, path) => {
    cite.forEach((ref, i) => {
      if (!sourceIds.has(ref)) report([...path, i], `unknown source \`${ref}\``, suggest(ref, sourceIds, 'source'));
    });
  });

  // Format 1.1 additions are refused, each where it is used, in a file that declares format 1.
  const format = config.format;
  const newIn11 = (path: PathSegment[], what: string, key = true) => {
    if (format < FORMAT_LATEST) report(path, `${what} new in format 1.1, and this file declares \`format: 1\``, 'write `format: 1.1` at the top of the file (Parley 1.1 and later read it)', { key });
  };
  if (config.conditions !== undefined) newIn11(['conditions'], 'named `conditions` are');

  const declared = new Map<string, string>();
  const declare = (name: string, kind: string, path: PathSegment[]) => {
    if (RESERVED.has(name)) report(path, `\`${name}\` is a reserved word and cannot name a ${kind}`, 'choose another id', { key: true });
    const previous = declared.get(name);
    if (previous && previous !== kind) report(path, `\`${name}\` names both ${article(previous)} and ${article(kind)}`, 'ids of tensions, derived values, levers and events must be distinct', { key: true });
    declared.set(name, kind);
  };
  Object.keys(config.tensions).forEach((t) => declare(t, 'tension', ['tensions', t]));
  Object.keys(config.derived).forEach((d) => declare(d, 'derived value', ['derived', d]));
  Object.keys(config.levers).forEach((l) => declare(l, 'lever', ['levers', l]));
  Object.keys(config.events).forEach((e) => declare(e, 'event', ['events', e]));
  Object.keys(config.conditions ?? {}).forEach((c) => declare(c, 'condition', ['conditions', c]));

  // --- parameters, tensions ------------------------------------------------------------
  const parameters = Object.entries(config.parameters).map(([pid, p], index) => {
    const [min, max] = p.range;
    if (min > max) report(['parameters', pid, 'range'], `the range [${min}, ${max}] is empty`, 'write [min, max]');
    else if (p.default < min || p.default > max) report(['parameters', pid, 'default'], `the default ${p.default} is outside the range [${min}, ${max}]`);
    const kind = p.kind ?? 'real';
    if (kind === 'switch' && (min !== 0 || max !== 1 || (p.default !== 0 && p.default !== 1))) report(['parameters', pid, 'kind'], `a switch has the range [0, 1] and a default of 0 or 1, not [${min}, ${max}] and ${p.default}`, 'write range: [0, 1] and default: 0 or 1, or leave out `kind: switch`');
    if (kind === 'integer' && ![min, max, p.default].every(Number.isInteger)) report(['parameters', pid, 'kind'], `an integer parameter has whole numbers for its range and default, not [${min}, ${max}] and ${p.default}`, 'write whole numbers, or leave out `kind: integer`');
    return { id: pid, index, label: p.label ?? pid, doc: p.doc ?? '', default: p.default, min, max, kind, declaredKind: p.kind !== undefined, cite: p.cite ?? [], judgement: p.judgement ?? false };
  });
  const tensionEntries = Object.entries(config.tensions);
  const tensions: TensionDef[] = tensionEntries.map(([tid, t], index) => ({
    id: tid, index, label: t.label, doc: t.doc ?? '', initial: NO_NUMBER, initialSource: String(t.initial),
    decay: t.decay ? { toward: t.decay.toward, perWeek: t.decay.per_week } : null,
    cite: t.cite ?? [], judgement: t.judgement ?? false,
  }));
  const tensionIndex = new Map(tensions.map((t) => [t.id, t.index]));
  if (tensions.length === 0) report(['tensions'], 'a scenario needs at least one tension');

  /** An `effects` map (or a cap or floor); a change written as an expression is compiled in `inScope`. */
  const effects = (raw: Record<string, number | string> | undefined, path: PathSegment[], inScope?: Scope): Effect[] =>
    Object.entries(raw ?? {}).flatMap(([name, delta]): Effect[] => {
      const tension = tensionIndex.get(name);
      if (tension === undefined) {
        report([...path, name], `unknown tension \`${name}\``, suggest(name, tensionIndex.keys(), 'tension'), { key: true });
        return [];
      }
      if (typeof delta === 'number') return [{ tension, delta, expr: null, source: '' }];
      newIn11([...path, name], 'an effect written as an expression is', false);
      const compiled = expr(delta, 'number', [...path, name], inScope ?? scope);
      // An expression that folds to a number is that number: it costs nothing more than one.
      return [compiled.constant !== undefined ? { tension, delta: compiled.constant, expr: null, source: delta } : { tension, delta: 0, expr: compiled, source: delta }];
    });

  // --- actors and charts -----------------------------------------------------------------
  const actorIds = Object.keys(config.actors);
  if (actorIds.length > MAX_ACTORS) report(['actors'], `there are ${actorIds.length} actors; at most ${MAX_ACTORS} are allowed`, 'a scenario needs a handful: merge minor actors into one', { key: true });
  const actorIndex = new Map(actorIds.map((a, i) => [a, i]));
  const resolveActor = (name: string, path: PathSegment[]): number => {
    const index = actorIndex.get(name);
    if (index === undefined) report(path, `unknown actor \`${name}\``, suggest(name, actorIds, 'actor'));
    return index ?? 0;
  };

  // --- phases and the timeline ------------------------------------------------------------
  const phaseIds = config.phases.map((p) => p.id);
  const phaseIndex = new Map<string, number>();
  const phases: PhaseDef[] = [];
  const rounds: RoundDef[] = [];
  let days = 0;
  config.phases.forEach((p, index) => {
    if (phaseIndex.has(p.id)) report(['phases', index, 'id'], `duplicate phase id \`${p.id}\``);
    phaseIndex.set(p.id, index);
    const seen = new Set<string>();
    const turnOrder = p.turn_order.map((a, j) => {
      if (seen.has(a)) report(['phases', index, 'turn_order', j], `\`${a}\` appears twice in the turn order`, 'each actor decides at most once per round');
      seen.add(a);
      return resolveActor(a, ['phases', index, 'turn_order', j]);
    });
    phases.push({
      id: p.id, index, label: p.label, description: p.description ?? '', rounds: p.rounds, roundDays: p.round_days,
      turnOrder, checkpoint: p.checkpoint || index === config.phases.length - 1, firstRound: rounds.length,
      cite: p.cite ?? [], judgement: p.judgement ?? false,
    });
    // A phase of rounds shorter than a day, or one that starts part-way through a day, shows the time of day.
    const clocked = (p.round_days > 0 && p.round_days < 1) || p.round_days % 1 !== 0 || days % 1 !== 0;
    for (let r = 1; r <= p.rounds && rounds.length <= MAX_ROUNDS; r++) {
      rounds.push({ phase: index, round: r, days, weeks: p.round_days / 7, date: addDays(config.start, Math.floor(clocked ? Math.round(days * 1440) / 1440 : days)), clock: clocked ? clockOf(days) : '' });
      days += p.round_days;
    }
  });
  if (rounds.length > MAX_ROUNDS) report(['phases'], `the phases add up to more than ${MAX_ROUNDS} rounds`, 'shorten the timeline or lengthen its rounds');
  else {
    const turns = config.phases.reduce((n, p) => n + p.rounds * p.turn_order.length, 0);
    if (turns > MAX_TURNS) report(['phases'], `a run has ${turns} turns (rounds × actors in the turn order, over all phases); at most ${MAX_TURNS} are allowed`, 'shorten the phases, lengthen their rounds (`round_days`), or take actors out of the turn orders', { key: true });
  }
  const phaseMask = (names: readonly string[] | undefined, path: PathSegment[]): boolean[] => {
    if (!names) return phaseIds.map(() => true);
    const mask = phaseIds.map(() => false);
    names.forEach((n, i) => {
      const index = phaseIndex.get(n);
      if (index === undefined) report([...path, i], `unknown phase \`${n}\``, suggest(n, phaseIds, 'phase'));
      else mask[index] = true;
    });
    return mask;
  };

  // --- history keys (levers, events and their branches) -------------------------------------------
  const history = new Map<string, HistoryEntry>();
  let historySize = 0;
  for (const [lid, l] of Object.entries(config.levers)) {
    const key = historySize++;
    history.set(lid, { key, kind: 'lever', branches: new Map(Object.keys(l.branches).map((b) => [b, historySize++])) });
  }
  for (const [eid, e] of Object.entries(config.events)) {
    const key = historySize++;
    history.set(eid, { key, kind: 'event', branches: new Map(Object.keys(e.branches ?? {}).map((b) => [b, historySize++])) });
  }

  // --- the expression scope -------------------------------------------------------------------
  const derivedFns = new Map<string, Expr<'number'>>();
  // Named conditions are compiled when first read (in the scenario's scope, whoever reads them),
  // so that they may read each other in any order; a cycle is reported where it closes.
  const conditionSources = Object.entries(config.conditions ?? {});
  const conditionExprs = new Map<string, Expr<'boolean'>>();
  const resolving: string[] = [];
  /** The derived value being compiled: a condition it reads may not read it back. */
  let definingDerived: string | null = null;
  const conditionRefs = new Map<string, ConditionRef>(
    conditionSources.map(([name, source]) => [name, {
      resolve: () => {
        const done = conditionExprs.get(name);
        if (done) return done;
        if (resolving.includes(name)) return { cycle: `condition \`${name}\` depends on itself: ${[...resolving.slice(resolving.indexOf(name)), name].join(' → ')}` };
        resolving.push(name);
        const inScope: Scope = definingDerived === null ? scope : { ...scope, withheld: new Map([[definingDerived, `derived value \`${definingDerived}\` reads condition \`${resolving[0]}\`, which would read it back`]]) };
        const compiled = expr(source, 'boolean', ['conditions', name], inScope);
        resolving.pop();
        conditionExprs.set(name, compiled);
        return compiled;
      },
    }]),
  );
  const mediatorIds = Object.keys(config.mediators);
  const mediatorActive: Expr<'boolean'>[] = [];
  const relStates = Object.keys(config.relationship.states);
  const scope: Scope = {
    tensions: tensionIndex,
    derived: derivedFns,
    params: new Map(parameters.map((p) => [p.id, p.index])),
    phases: phaseIds,
    relationship: relStates,
    actors: new Map(actorIds.map((a, i) => [a, { index: i, stances: config.actors[a]!.stance ? Object.keys(config.actors[a]!.stance!.states) : null }])),
    history,
    mediators: new Map(mediatorIds.map((m, i) => [m, { index: i }])),
    mediatorActive,
    time: { phaseOf: rounds.map((r) => r.phase), roundOf: rounds.map((r) => r.round), weeksOf: rounds.map((r) => r.weeks), daysOf: rounds.map((r) => r.days) },
    format,
    conditions: conditionRefs,
    outcomes: {
      ids: config.outcomes.map((o) => o.id),
      checkpoints: new Map(phases.filter((p) => p.checkpoint).map((p, i) => [p.id, i])),
      last: phaseIds[phaseIds.length - 1] ?? '',
    },
  };
  const expr = <T extends 'number' | 'boolean'>(source: ExprSource, ty: T, path: PathSegment[], inScope: Scope = scope): Expr<T> => {
    try {
      const compiled = compileExpr(source, inScope, ty);
      const nonFinite = compiled.nonFinite;
      if (nonFinite) report(path, nonFinite.message, nonFinite.hint, { offset: nonFinite.offset });
      return compiled;
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      for (const p of error.problems) report(path, p.message, p.hint, { offset: p.offset });
      return (ty === 'number' ? NO_NUMBER : NO_CONDITION) as Expr<T>;
    }
  };
  const optionalExpr = <T extends 'number' | 'boolean'>(source: ExprSource | undefined, ty: T, path: PathSegment[], inScope: Scope = scope): Expr<T> | null =>
    source === undefined ? null : expr(source, ty, path, inScope);
  const actorCodes = actorIds.map(codeOf);

  // Starting values may read parameters only.
  const paramScope: Scope = { ...scope, tensions: new Map(), derived: new Map(), history: new Map(), mediators: new Map(), conditions: new Map() };
  tensionEntries.forEach(([tid, t], index) => {
    const initial = expr(t.initial, 'number', ['tensions', tid, 'initial'], paramScope);
    // A starting value written as an expression is clamped to 0..100.
    (tensions[index] as { initial: Expr<'number'> }).initial =
      typeof t.initial === 'number' ? initial : exprOf('number', { k: 'math', fn: 'clamp', args: [initial.ir, { k: 'const', value: 0 }, { k: 'const', value: 100 }] }, { depth: initial.depth });
  });
  const derived = Object.entries(config.derived).map(([did, d]) => {
    definingDerived = did;
    const fn = expr(d.value, 'number', ['derived', did, 'value']);
    definingDerived = null;
    derivedFns.set(did, fn);
    return { id: did, label: d.label, value: fn };
  });
  // Every condition, read or not, is checked.
  const conditions: ConditionDef[] = conditionSources.map(([id, source]) => {
    const compiled = conditionRefs.get(id)!.resolve();
    return { id, when: 'cycle' in compiled ? NO_CONDITION : compiled, source: String(source) };
  });

  const chart = (raw: StatechartConfig, path: PathSegment[]): ChartDef => {
    const states = Object.keys(raw.states);
    const index = new Map(states.map((s, i) => [s, i]));
    const stateRef = (name: string, p: PathSegment[]): number => {
      const i = index.get(name);
      if (i === undefined) report(p, `unknown state \`${name}\``, suggest(name, states, 'state'));
      return i ?? -1;
    };
    if (states.length === 0) report([...path, 'states'], 'a statechart needs at least one state');
    const initial = Math.max(0, stateRef(raw.initial, [...path, 'initial']));
    const transitions = raw.transitions.flatMap((t, i) => {
      const p = [...path, 'transitions', i];
      const to = stateRef(t.to, [...p, 'to']);
      const when = expr(t.when, 'boolean', [...p, 'when']);
      const from = t.from === '*' ? states.filter((s) => s !== t.to) : typeof t.from === 'string' ? [t.from] : t.from;
      return from.flatMap((f, j) => {
        const fromIndex = stateRef(f, typeof t.from === 'object' ? [...p, 'from', j] : [...p, 'from']);
        if (fromIndex === to && to >= 0 && t.from !== '*') report([...p, 'to'], `the transition goes from \`${f}\` to itself`);
        return fromIndex === to || fromIndex < 0 || to < 0 ? [] : [{ from: fromIndex, to, when, whenSource: String(t.when), why: t.why ?? String(t.when) }];
      });
    });
    return {
      states,
      labels: states.map((s) => raw.states[s]?.label ?? s),
      descriptions: states.map((s) => raw.states[s]?.description ?? ''),
      initial,
      transitions,
      byState: states.map((_, i) => transitions.filter((t) => t.from === i)),
    };
  };

  const relationship = chart(config.relationship, ['relationship']);
  const actors: ActorDef[] = actorIds.map((aid, index) => {
    const a = config.actors[aid]!;
    return {
      id: aid, index, name: a.name, role: a.role, side: a.side ?? '', description: a.description ?? '',
      goals: a.goals ?? [], constraints: a.constraints ?? [], redLines: a.red_lines ?? [],
      playable: a.playable ?? (a.role === 'principal' || a.role === 'mediator'),
      stance: a.stance ? chart(a.stance, ['actors', aid, 'stance']) : null,
      cite: a.cite ?? [], judgement: a.judgement ?? false,
    };
  });

  // --- levers -------------------------------------------------------------------------------
  const cameoWeight = (code: string | undefined, path: PathSegment[]): number => {
    if (code === undefined) return 0;
    const weight = goldstein.get(code);
    if (weight === undefined) {
      const near = [...goldstein.keys()].filter((c) => c.startsWith(code.slice(0, 2)));
      const where = 'the codes and their Goldstein weights are in data/cameo-goldstein.tsv (two to four digits, quoted, e.g. "042"); `parley cameo WORDS` finds one';
      const best = near.length > 0 ? closest(code, near) : undefined;
      report(path, `unknown CAMEO code "${code}"`, best !== undefined ? `did you mean "${best}" (${cameoDescriptions().get(best) ?? 'no description'})? \`parley cameo ${code.slice(0, 2)}\` lists the codes under ${code.slice(0, 2)}` : where);
      return 0;
    }
    return weight;
  };
  const branches = (raw: Record<string, BranchConfig>, owner: HistoryEntry, path: PathSegment[], inScope: Scope = scope): BranchDef[] => {
    const count = Object.keys(raw).length;
    if (count > MAX_BRANCHES) report(path, `there are ${count} branches; at most ${MAX_BRANCHES} are allowed`, 'a lever or event needs a few: merge branches with the same effects', { key: true });
    const list = Object.entries(raw).map(([bid, b], index) => ({
      id: bid, index, label: b.label ?? bid, description: b.description ?? '',
      p: expr(b.p, 'number', [...path, bid, 'p'], inScope), pSource: String(b.p),
      effects: effects(b.effects, [...path, bid, 'effects'], inScope),
      cameo: b.cameo ?? null,
      goldstein: cameoWeight(b.cameo, [...path, bid, 'cameo']) * (b.salience ?? 1),
      tags: b.tags ?? [], historyKey: owner.branches.get(bid)!,
      cite: b.cite ?? [], judgement: b.judgement ?? false,
    }));
    const numeric = Object.values(raw).map((b) => b.p);
    if (numeric.every((p) => typeof p === 'number')) {
      const sum = (numeric as number[]).reduce((a, b) => a + b, 0);
      if ((numeric as number[]).some((p) => p < 0 || p > 1)) report(path, 'each branch probability must be between 0 and 1');
      else if (Math.abs(sum - 1) > 1e-6) report(path, `the branch probabilities add up to ${+sum.toFixed(6)}, not 1`, 'adjust them so they add up to 1 (modifiers are applied on top and renormalised)', { key: true });
    }
    return list;
  };

  const leverIds = Object.keys(config.levers);
  const allTags = new Set<string>();
  const levers: LeverDef[] = leverIds.map((lid, index) => {
    const l = config.levers[lid]!;
    const path = ['levers', lid];
    const entry = history.get(lid)!;
    if (Object.keys(l.branches).length === 0) report([...path, 'branches'], 'a lever needs at least one branch');
    const mask = actorIds.map(() => false);
    l.actors.forEach((a, i) => {
      mask[resolveActor(a, [...path, 'actors', i])] = actorIndex.has(a);
    });
    l.tags?.forEach((t) => allTags.add(t));
    if (l.unavailable !== undefined && l.when === undefined) report([...path, 'unavailable'], '`unavailable` explains a `when`, and this lever has none', 'add the `when` it explains, or remove `unavailable`', { key: true });
    // A lever's expressions may ask who pulls it (`actor`).
    const leverScope: Scope = { ...scope, actor: { codes: actorCodes, pullers: l.actors.filter((a) => actorIndex.has(a)), all: actorIds } };
    const list = branches(l.branches, entry, [...path, 'branches'], leverScope);
    const branchIds = list.map((b) => b.id);
    const leverEffects = effects(l.effects, [...path, 'effects'], leverScope);
    return {
      id: lid, index, label: l.label, description: l.description ?? '', actors: mask,
      phases: phaseMask(l.phases, [...path, 'phases']),
      when: optionalExpr(l.when, 'boolean', [...path, 'when'], leverScope), whenSource: l.when === undefined ? '' : String(l.when), unavailable: l.unavailable ?? '',
      maxUses: l.max_uses ?? Infinity, tags: l.tags ?? [], effects: leverEffects,
      exprEffects: [leverEffects, ...list.map((b) => b.effects)].some((list) => list.some((e) => e.expr !== null)),
      branches: list,
      modifiers: (l.modifiers ?? []).map((m, i) => {
        const mp = [...path, 'modifiers', i];
        const branch = branchIds.indexOf(m.branch);
        if (branch < 0) report([...mp, 'branch'], `unknown branch \`${m.branch}\` of lever \`${lid}\``, suggest(m.branch, branchIds, 'branch'));
        if (m.add === undefined && m.mul === undefined) report(mp, 'a modifier needs `add` or `mul`');
        return {
          branch: Math.max(branch, 0),
          add: optionalExpr(m.add, 'number', [...mp, 'add'], leverScope),
          mul: optionalExpr(m.mul, 'number', [...mp, 'mul'], leverScope),
          when: optionalExpr(m.when, 'boolean', [...mp, 'when'], leverScope),
          why: m.why ?? (m.when === undefined ? 'always' : String(m.when)),
        };
      }),
      historyKey: entry.key, cite: l.cite ?? [], judgement: l.judgement ?? false,
    };
  });
  const branchTags = new Set(levers.flatMap((l) => l.branches.flatMap((b) => b.tags)));
  const leverMask = (levs: readonly string[] | undefined, tag: string | undefined, path: PathSegment[]): boolean[] => {
    if (tag !== undefined && !allTags.has(tag)) report([...path, 'lever_tag'], `no lever has the tag \`${tag}\``, suggest(tag, allTags, 'tag'));
    const named = new Set<string>();
    levs?.forEach((l, i) => {
      if (!Object.hasOwn(config.levers, l)) report([...path, 'levers', i], `unknown lever \`${l}\``, suggest(l, leverIds, 'lever'));
      named.add(l);
    });
    return levers.map((l) => (levs === undefined || named.has(l.id)) && (tag === undefined || l.tags.includes(tag)));
  };

  // --- mediators ------------------------------------------------------------------------------
  // A mediator's activity may not depend on any mediator's, not even through a derived value
  // (it would ask itself whether it is active, without end).
  const mediatorScope: Scope = {
    ...scope,
    mediators: new Map(),
    withheld: new Map([
      ['active', 'whether a mediator is active cannot depend on whether one is'],
      ...derived.filter((d) => d.value.readsActive).map((d): [string, string] => [d.id, 'it depends on `active(…)`, and whether a mediator is active cannot depend on whether one is']),
    ]),
  };
  const mediators: MediatorDef[] = mediatorIds.map((mid, index) => {
    const m = config.mediators[mid]!;
    const path = ['mediators', mid];
    const active = expr(m.active_when, 'boolean', [...path, 'active_when'], mediatorScope);
    mediatorActive[index] = active;
    return {
      id: mid, index, actor: resolveActor(m.actor, [...path, 'actor']), label: m.label, description: m.description ?? '', active,
      modifiers: m.modifiers.map((mm, i) => {
        const mp = [...path, 'modifiers', i];
        if (!branchTags.has(mm.branch_tag)) report([...mp, 'branch_tag'], `no branch has the tag \`${mm.branch_tag}\``, suggest(mm.branch_tag, branchTags, 'tag'));
        if (mm.add === undefined && mm.mul === undefined) report(mp, 'a modifier needs `add` or `mul`');
        return {
          levers: leverMask(mm.levers, mm.lever_tag, mp), branchTag: mm.branch_tag,
          add: optionalExpr(mm.add, 'number', [...mp, 'add']), mul: optionalExpr(mm.mul, 'number', [...mp, 'mul']),
          why: mm.why ?? m.label,
        };
      }),
      damping: m.damping.map((d, i) => {
        const dp = [...path, 'damping', i];
        const tension = tensionIndex.get(d.tension);
        if (tension === undefined) report([...dp, 'tension'], `unknown tension \`${d.tension}\``, suggest(d.tension, tensionIndex.keys(), 'tension'));
        return { levers: leverMask(d.levers, d.lever_tag, dp), tension: tension ?? 0, factor: d.factor, why: d.why ?? m.label };
      }),
      cite: m.cite ?? [], judgement: m.judgement ?? false,
    };
  });

  // --- events, schedule, couplings ------------------------------------------------------------------
  const eventIds = Object.keys(config.events);
  const events: EventDef[] = eventIds.map((eid, index) => {
    const e = config.events[eid]!;
    const path = ['events', eid];
    const entry = history.get(eid)!;
    return {
      id: eid, index, label: e.label, description: e.description ?? '',
      hazard: optionalExpr(e.hazard, 'number', [...path, 'hazard']), hazardSource: e.hazard === undefined ? '' : String(e.hazard),
      phases: phaseMask(e.phases, [...path, 'phases']), effects: effects(e.effects, [...path, 'effects']),
      cameo: e.cameo ?? null, goldstein: cameoWeight(e.cameo, [...path, 'cameo']) * (e.salience ?? 1),
      branches: e.branches ? branches(e.branches, entry, [...path, 'branches']) : [],
      historyKey: entry.key, cite: e.cite ?? [], judgement: e.judgement ?? false,
    };
  });
  const schedule: number[][] = rounds.map(() => []);
  config.schedule.forEach((s, i) => {
    const path = ['schedule', i];
    const event = eventIds.indexOf(s.event);
    if (event < 0) report([...path, 'event'], `unknown event \`${s.event}\``, suggest(s.event, eventIds, 'event'));
    const phase = phaseIndex.get(s.phase);
    if (phase === undefined) report([...path, 'phase'], `unknown phase \`${s.phase}\``, suggest(s.phase, phaseIds, 'phase'));
    else if (s.round > phases[phase]!.rounds) report([...path, 'round'], `phase \`${s.phase}\` has ${phases[phase]!.rounds} round${phases[phase]!.rounds === 1 ? '' : 's'}`);
    else if (event >= 0 && !schedule[phases[phase]!.firstRound + s.round - 1]!.includes(event)) schedule[phases[phase]!.firstRound + s.round - 1]!.push(event);
  });

  const couplingIds = new Set<string>();
  const couplings = config.couplings.map((c, i) => {
    const path = ['couplings', i];
    if (couplingIds.has(c.id)) report([...path, 'id'], `duplicate coupling id \`${c.id}\``);
    couplingIds.add(c.id);
    const per = c.per ?? 'round';
    if (c.per !== undefined) newIn11([...path, 'per'], '`per` is');
    const couplingEffects = effects(c.effects, [...path, 'effects']);
    return {
      id: c.id, label: c.label ?? c.id, when: expr(c.when, 'boolean', [...path, 'when']),
      effects: couplingEffects, exprEffects: couplingEffects.some((e) => e.expr !== null),
      per, scale: per === 'round' ? null : rounds.map((r) => (per === 'week' ? r.weeks : config.phases[r.phase]!.round_days)),
      cap: effects(c.cap, [...path, 'cap']),
      floor: effects(c.floor, [...path, 'floor']),
      cite: c.cite ?? [], judgement: c.judgement ?? false,
    };
  });

  // --- policies -----------------------------------------------------------------------------------
  // A policy that `extends` another starts from its rules (resolved first, cycles refused). Each
  // weight is compiled once, where it is written, whichever policies inherit it.
  type Written = { readonly source: ExprSource; readonly path: PathSegment[] };
  type ActorRules = { readonly weights: Map<string, Written>; readonly otherwise: Written | null };
  const policyNames = Object.keys(config.policies);
  const rulesByPolicy = new Map<string, Map<string, ActorRules>>();
  const extending: string[] = [];
  const rulesOf = (name: string): Map<string, ActorRules> => {
    const done = rulesByPolicy.get(name);
    if (done) return done;
    const raw = config.policies[name]!;
    extending.push(name);
    let base = new Map<string, ActorRules>();
    const parent = raw.extends;
    if (parent !== undefined) {
      const at = ['policies', name, 'extends'];
      newIn11(at, '`extends` is', false);
      if (extending.includes(parent)) report(at, `policies extend each other in a cycle: ${[...extending.slice(extending.indexOf(parent)), parent].join(' → ')}`, 'a policy may not inherit from itself, directly or through others: remove one `extends`');
      else if (Object.hasOwn(config.policies, parent) && parent !== 'random') base = rulesOf(parent);
      else if (parent !== 'random' && parent !== 'default') report(at, `unknown policy \`${parent}\``, suggest(parent, [...policyNames, 'random'], 'policy'));
      // The built-in `random` (and `default` when the file has none) weigh every lever alike: nothing to inherit.
    }
    const rules = new Map([...base].map(([aid, r]) => [aid, { weights: new Map(r.weights), otherwise: r.otherwise }]));
    for (const [aid, p] of Object.entries(raw)) {
      if (aid === 'extends' || typeof p !== 'object') continue;
      const path = ['policies', name, aid];
      const weights = rules.get(aid)?.weights ?? new Map<string, Written>();
      for (const [lever, w] of Object.entries(p.weights)) weights.set(lever, { source: w, path: [...path, 'weights', lever] });
      rules.set(aid, { weights, otherwise: p.otherwise === undefined ? rules.get(aid)?.otherwise ?? null : { source: p.otherwise, path: [...path, 'otherwise'] } });
    }
    extending.pop();
    rulesByPolicy.set(name, rules);
    return rules;
  };
  const compiledAt = new Map<string, Expr<'number'> | null>();
  /** A weight (null: a lever the actor cannot pull, reported where it is written), compiled once. */
  const weightOf = (w: Written, actor: number, aid: string, lever: string): Expr<'number'> | null => {
    const key = w.path.join('\u0000');
    if (compiledAt.has(key)) return compiledAt.get(key)!;
    const fn = expr(w.source, 'number', w.path);
    let result: Expr<'number'> | null = fn;
    if (lever !== 'pass') {
      const li = leverIds.indexOf(lever);
      if (li < 0) report(w.path, `unknown lever \`${lever}\``, suggest(lever, [...leverIds, 'pass'], 'lever'), { key: true });
      else if (!levers[li]!.actors[actor]) report(w.path, `\`${aid}\` cannot pull \`${lever}\``, `its actors are: ${config.levers[lever]!.actors.join(', ')}`, { key: true });
      if (li < 0 || !levers[li]!.actors[actor]) result = null;
    }
    compiledAt.set(key, result);
    return result;
  };
  const policies = new Map<string, PolicyDef>();
  policies.set('random', { name: 'random', extends: null, actors: actors.map(() => null) });
  for (const name of policyNames) {
    if (name === 'random') {
      report(['policies', name], 'the policy `random` is built in and cannot be redefined', undefined, { key: true });
      continue;
    }
    for (const aid of Object.keys(config.policies[name]!)) {
      if (aid !== 'extends' && !actorIndex.has(aid)) report(['policies', name, aid], `unknown actor \`${aid}\``, suggest(aid, actorIds, 'actor'), { key: true });
    }
    const perActor: (ActorPolicyDef | null)[] = actors.map(() => null);
    for (const [aid, rules] of rulesOf(name)) {
      const actor = actorIndex.get(aid);
      if (actor === undefined) continue; // reported where it is written
      const weights: (Expr<'number'> | null)[] = levers.map(() => null);
      let pass: Expr<'number'> | null = null;
      for (const [lever, w] of rules.weights) {
        const fn = weightOf(w, actor, aid, lever);
        if (lever === 'pass') pass = fn;
        else if (fn) weights[leverIds.indexOf(lever)] = fn;
      }
      const otherwise = rules.otherwise ? weightOf(rules.otherwise, actor, aid, 'pass') ?? ONE : ONE;
      perActor[actor] = { weights, pass, otherwise, otherwiseSource: rules.otherwise ? String(rules.otherwise.source) : '' };
    }
    policies.set(name, { name, extends: config.policies[name]!.extends ?? null, actors: perActor });
  }
  if (!policies.has('default')) policies.set('default', { name: 'default', extends: null, actors: actors.map(() => null) });

  // --- outcomes ------------------------------------------------------------------------------------
  const outcomeIds = new Set<string>();
  const outcomes = config.outcomes.map((o, index) => {
    const path = ['outcomes', index];
    if (outcomeIds.has(o.id)) report([...path, 'id'], `duplicate outcome id \`${o.id}\``);
    outcomeIds.add(o.id);
    const last = index === config.outcomes.length - 1;
    if (last && o.when !== undefined) report([...path, 'when'], 'the last outcome rule must have no `when`', 'it catches every state the rules above do not, so that every run ends in exactly one outcome');
    if (!last && o.when === undefined) report(path, `only the last outcome rule may omit \`when\`; \`${o.id}\` would hide the rules after it`);
    return { id: o.id, index, label: o.label, definition: o.definition ?? '', when: optionalExpr(o.when, 'boolean', [...path, 'when']), cite: o.cite ?? [], judgement: o.judgement ?? false };
  });

  if (issues.length > 0) throw new NormalizeError(issues);

  const maxSteps = phases.reduce((n, p) => n + p.rounds * p.turnOrder.length, 0);
  return {
    id, title: config.title, summary: config.summary, description: config.description ?? '', start: config.start,
    hash: createHash('sha256').update(canonicalJson(hashed(config))).digest('hex'),
    file, config,
    sources: config.sources.map((s) => ({ id: s.id, title: s.title, url: s.url ?? '', date: s.date ?? '', note: s.note ?? '' })),
    parameters, tensions, derived, conditions, format, actors, relationship, phases, rounds, levers, mediators, events, schedule, couplings,
    policies, outcomes, historySize, slotCount: 2 * actors.length + 2 * events.length, maxSteps,
    leversByActor: actors.map((a) => levers.filter((l) => l.actors[a.index])),
    leversByActorPhase: actors.map((a) => phases.map((p) => levers.filter((l) => l.actors[a.index] && l.phases[p.index]))),
    leverById: new Map(levers.map((l) => [l.id, l])),
    mediation: levers.map((lever) => ({
      modifiers: mediators
        .map((mediator) => ({
          mediator,
          rules: mediator.modifiers
            .filter((rule) => rule.levers[lever.index])
            .map((rule) => ({ rule, branches: lever.branches.filter((b) => b.tags.includes(rule.branchTag)).map((b) => b.index) })),
        }))
        .filter((m) => m.rules.length > 0),
      damping: mediators.map((mediator) => ({ mediator, rules: mediator.damping.filter((d) => d.levers[lever.index]) })).filter((m) => m.rules.length > 0),
    })),
    decayByRound: rounds.map((round) =>
      round.weeks > 0
        ? tensions.flatMap((t) => (t.decay && t.decay.perWeek !== 0 ? [{ tension: t.index, toward: t.decay.toward, fraction: 1 - Math.pow(1 - t.decay.perWeek, round.weeks) }] : []))
        : [],
    ),
    scope,
  };
}

/**
 * The config as its hash reads it: a policy's `otherwise` that is left out is written as 1, as
 * format 1 filled it in, so that every file of format 1 keeps its hash (saved sessions name it).
 */
function hashed(config: ScenarioConfig): unknown {
  const policies = Object.fromEntries(
    Object.entries(config.policies).map(([name, policy]) => [
      name,
      Object.fromEntries(Object.entries(policy).map(([aid, p]) => [aid, p && typeof p === 'object' && p.otherwise === undefined ? { ...p, otherwise: 1 } : p])),
    ]),
  );
  return { ...config, policies };
}

function visitCites(value: unknown, path: PathSegment[], visit: (cite: string[], path: PathSegment[]) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => visitCites(v, [...path, i], visit));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'cite' && Array.isArray(v)) visit(v as string[], [...path, k]);
      else visitCites(v, [...path, k], visit);
    }
  }
}

const article = (word: string): string => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;

/** What an expression with a reported problem becomes (never run: the file does not load). */
const NO_NUMBER = exprOf('number', { k: 'const', value: 0 });
const NO_CONDITION = exprOf('boolean', { k: 'const', value: false });
/** The weight of a lever a policy does not name, unless it says `otherwise`. */
const ONE = exprOf('number', { k: 'const', value: 1 });
