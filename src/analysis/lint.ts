/**
 * `parley lint`: checks that a valid scenario behaves as its author intends, each finding with
 * `file:line:col`, a severity and a hint.
 *
 * Static checks read the definition and the config: chart states that cannot be reached or
 * never left, outcome rules hidden behind one that always holds, tensions nothing changes,
 * events that can never fire, unused actors, parameters and sources. Sampled checks run a few
 * hundred seeded runs (fixed seeds: the findings are the same every time) under the `random`
 * and `default` policies and report levers never available, branches whose probability is
 * always zero, events that never fire and outcomes never reached.
 *
 * Errors are findings that are certainly wrong (something that can never happen, whatever the
 * dice); warnings are findings that may be intended, or that come from sampling.
 */
import { toDirectedGraph } from 'xstate/graph';
import { compile, run, type CompiledScenario } from '../engine/engine.ts';
import { sampleExercise } from './exercise-runs.ts';
import { DEFAULT_LINT_RUNS, LINT_TURN_BUDGET } from './lint-limits.ts';
import { stanceRegion } from '../engine/machine.ts';
import { deriveSeed } from '../engine/rng.ts';
import type { ChartDef, LeverDef, ScenarioDefinition } from '../scenario/definition.ts';
import { clipQuoted, type Issue } from '../scenario/errors.ts';
import type { Expr } from '../scenario/expr.ts';
import { loadScenarioText } from '../scenario/load.ts';
import { exerciseRef, isExerciseData, loadExercise, readScenarioOrExercise } from '../scenario/exercise.ts';
import type { Lanes } from '../scenario/lanes.ts';
import { flowCommaPitfalls, type ParsedFile, type PathSegment } from '../scenario/parse.ts';
import { describeCameo } from '../scenario/cameo.ts';
import type { StatechartConfig } from '../scenario/schema.ts';

export interface LintOptions {
  /**
   * Sampled runs per policy; 0 skips the sampled checks. By default 200, fewer for a long
   * scenario (see `LINT_TURN_BUDGET`); a number given here is honoured as it is.
   */
  readonly runs?: number;
  /** Told what the sampled checks do, and after each run how far they are (for progress on stderr). */
  readonly onProgress?: (progress: LintProgress) => void;
}

/** The sampled checks' plan (`done` 0), then each run done. */
export interface LintProgress {
  readonly done: number;
  readonly total: number;
  /** Runs per policy, and the default it was reduced from (equal when not reduced). */
  readonly runs: number;
  readonly requested: number;
  /** Turns in one run. */
  readonly turns: number;
}

export { DEFAULT_LINT_RUNS, LINT_TURN_BUDGET } from './lint-limits.ts';

/** Runs per policy: the number asked for, or the default within the turn budget (at least 1). */
export function lintRuns(turnsPerRun: number, asked: number | undefined, policies: number): number {
  if (asked !== undefined) return asked;
  return Math.max(1, Math.min(DEFAULT_LINT_RUNS, Math.floor(LINT_TURN_BUDGET / (policies * Math.max(1, turnsPerRun)))));
}
/** Base of the sampled runs' seeds: fixed, so that findings are deterministic. */
const LINT_SEED = 20_260_101;
const SAMPLED_POLICIES = ['random', 'default'] as const;

/**
 * Lints a scenario or an exercise file (a path, or a bundled id). An exercise is recognised by
 * its `exercise:` field. Throws `ScenarioError` when the file does not load.
 */
export function lintFile(ref: string, options: LintOptions = {}): Issue[] {
  const parsed = readScenarioOrExercise(ref);
  if (isExerciseData(parsed.data)) return lintExercise(parsed, options);
  const def = loadScenarioText(parsed.text, parsed.file);
  return lintScenario(def, parsed, options);
}

type Severity = 'error' | 'warning';

/** Every finding on a loaded scenario, in file order. */
export function lintScenario(def: ScenarioDefinition, parsed: ParsedFile, options: LintOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const add = (severity: Severity, path: PathSegment[], message: string, hint: string, key = true) => {
    issues.push({ file: parsed.file, ...parsed.locate(path, { key }), path: path.join('.'), severity, message: clipQuoted(message), hint: clipQuoted(hint) });
  };
  issues.push(...flowCommaPitfalls(parsed.file, parsed.text));
  const compiled = compile(def);
  staticChecks(def, compiled, add);
  const runs = lintRuns(def.maxSteps, options.runs, SAMPLED_POLICIES.length);
  if (runs > 0) {
    options.onProgress?.({ done: 0, total: runs * SAMPLED_POLICIES.length, runs, requested: options.runs ?? DEFAULT_LINT_RUNS, turns: def.maxSteps });
    sampledChecks(def, compiled, runs, add, options.onProgress);
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || a.message.localeCompare(b.message));
}

type Add = (severity: Severity, path: PathSegment[], message: string, hint: string, key?: boolean) => void;

// ---------------------------------------------------------------------------------------------
// Static checks

function staticChecks(def: ScenarioDefinition, compiled: CompiledScenario, add: Add): void {
  const config = def.config;
  const expressions = expressionTexts(config);
  const graph = chartGraph(compiled);

  // Charts: states unreachable from the initial state, and dead ends no outcome names.
  const charts = chartsOf(def);
  const outcomeTexts = config.outcomes.map((o) => (o.when === undefined ? '' : String(o.when)));
  for (const { chart, path, what, region, raw, reads } of charts) {
    // Transitions whose guard is always false are never taken: report them, and leave them out of reachability.
    const dead = new Set(chart.transitions.filter((t) => isConstantFalse(t.when)).map((t) => t.whenSource));
    raw.transitions.forEach((t, i) => {
      if (dead.has(String(t.when))) add('error', [...path, 'transitions', i, 'when'], `the transition to \`${t.to}\` is never taken: its guard \`${String(t.when)}\` is always false`, 'write the condition you meant, or remove the transition', false);
    });
    const { reachable, exits } = reachableStates(chart, graph.get(region), dead);
    chart.states.forEach((state, i) => {
      const at = [...path, 'states', state];
      if (!reachable[i]) {
        add('error', at, `${what} \`${state}\` cannot be reached from the initial state \`${chart.states[chart.initial]}\``, `add a transition into \`${state}\` (from a reachable state), or remove it`);
        return;
      }
      if (exits[i] === 0 && !outcomeTexts.some((t) => mentionsLiteral(t, state))) {
        add('warning', at, `${what} \`${state}\` has no transition out: a run that gets there stays there to the end`, `add a transition out of \`${state}\`, or, if it is meant to be final, name it in an outcome rule (e.g. \`when: "${reads} == '${state}'"\`)`);
      }
    });
  }

  // Outcome rules after one that always holds.
  let always: string | null = null;
  def.outcomes.forEach((o, i) => {
    if (always !== null) {
      add('error', ['outcomes', i, 'id'], `outcome \`${o.id}\` can never be reached: the rule \`${always}\` above it always holds`, `move \`${o.id}\` above \`${always}\`, or give \`${always}\` a condition`, false);
    } else if (o.when === null || isConstantTrue(o.when)) {
      always = o.id;
    }
  });

  // Tensions that nothing changes.
  const changed = new Set<string>();
  const note = (effects: Record<string, unknown> | undefined) => Object.keys(effects ?? {}).forEach((t) => changed.add(t));
  for (const lever of Object.values(config.levers)) {
    note(lever.effects);
    for (const b of Object.values(lever.branches)) note(b.effects);
  }
  for (const event of Object.values(config.events)) {
    note(event.effects);
    for (const b of Object.values(event.branches ?? {})) note(b.effects);
  }
  for (const c of config.couplings) {
    note(c.effects);
    note(c.cap);
    note(c.floor);
  }
  for (const t of def.tensions) {
    if (!changed.has(t.id)) add('warning', ['tensions', t.id], `tension \`${t.id}\` is never changed by a lever, an event or a coupling`, 'give some branch or event an effect on it, or make it a parameter or a derived value if it is meant to stay fixed');
  }

  // Events that can never fire.
  const scheduled = new Set(config.schedule.map((s) => s.event));
  for (const e of def.events) {
    if (!e.hazard && !scheduled.has(e.id)) add('error', ['events', e.id], `event \`${e.id}\` has no \`hazard\` and is not in the \`schedule\`: it can never fire`, `give it a \`hazard\` (e.g. \`weekly(0.1)\`), or schedule it: \`- {event: ${e.id}, phase: …, round: …}\``);
  }

  // Levers whose actors never decide in the phases where they may be pulled.
  for (const lever of def.levers) {
    if (onTurn(def, lever)) continue;
    const actors = def.actors.filter((a) => lever.actors[a.index]).map((a) => `\`${a.id}\``).join(', ');
    add('error', ['levers', lever.id], `lever \`${lever.id}\` can never be pulled: its actors (${actors}) decide in none of its phases`, 'add one of its actors to the `turn_order` of a phase where it may be pulled, or change its `actors` or `phases`');
  }

  // Levers a policy weighs only through the default `otherwise` (format 1.1's `extends` makes
  // this easy to miss: a lever added after the weights were written gets weight 1).
  for (const policy of def.policies.values()) {
    policy.actors.forEach((rules, a) => {
      if (!rules || rules.otherwiseSource !== '' || !rules.weights.some((w) => w !== null)) return;
      const unnamed = def.leversByActor[a]!.filter((l) => rules.weights[l.index] === null && onTurn(def, l));
      if (unnamed.length === 0) return;
      const actor = def.actors[a]!.id;
      const levers = unnamed.map((l) => `\`${l.id}\``).join(', ');
      const written = Object.hasOwn(config.policies[policy.name] ?? {}, actor);
      add('warning', written ? ['policies', policy.name, actor] : ['policies', policy.name], `policy \`${policy.name}\` gives ${levers} weight 1 for \`${actor}\` only through the default \`otherwise\`: ${unnamed.length === 1 ? 'it is' : 'they are'} not named in its \`weights\``, `name ${unnamed.length === 1 ? 'it' : 'them'} in \`${actor}\`'s weights (e.g. \`${unnamed[0]!.id}: 1\`), or write \`otherwise:\` to say what levers it does not name weigh`);
    });
  }

  // Unused actors, parameters and sources.
  const acting = new Set<number>();
  for (const p of def.phases) p.turnOrder.forEach((a) => acting.add(a));
  for (const l of def.levers) l.actors.forEach((ok, a) => ok && acting.add(a));
  for (const m of def.mediators) acting.add(m.actor);
  for (const a of def.actors) {
    if (acting.has(a.index)) continue;
    if (a.stance && expressions.some((t) => new RegExp(`\\bstance\\(\\s*${a.id}\\s*\\)`).test(t))) continue;
    add('warning', ['actors', a.id], `actor \`${a.id}\` is in no turn order, pulls no lever and runs no mediator channel`, `add \`${a.id}\` to a phase's \`turn_order\` and give it levers, or remove it`);
  }
  for (const p of def.parameters) {
    if (!expressions.some((t) => new RegExp(`\\bparams\\s*\\.\\s*${p.id}\\b`).test(t))) add('warning', ['parameters', p.id], `parameter \`${p.id}\` is not read by any expression`, `use it as \`params.${p.id}\` in a probability, hazard, condition or weight, or remove it`);
  }
  const cited = new Set<string>();
  collectCites(config, cited);
  config.sources.forEach((s, i) => {
    if (!cited.has(s.id)) add('warning', ['sources', i, 'id'], `source \`${s.id}\` is never cited`, `cite it where it supports a value (\`cite: [${s.id}]\`), or remove it`, false);
  });
}

/** A chart of the scenario: the relationship, or an actor's stance. */
interface ChartInfo {
  readonly chart: ChartDef;
  readonly path: PathSegment[];
  /** `relationship state`, `stance of \`petro\``. */
  readonly what: string;
  /** Its region in the statechart (`relationship`, `stance_petro`). */
  readonly region: string;
  readonly raw: StatechartConfig;
  /** The expression that reads the chart's state: `relationship`, `stance(petro)`. */
  readonly reads: string;
  /** Its key in the sampled runs' log: `relationship`, or the actor's id. */
  readonly key: string;
}

function chartsOf(def: ScenarioDefinition): ChartInfo[] {
  const charts: ChartInfo[] = [{ chart: def.relationship, path: ['relationship'], what: 'relationship state', region: 'relationship', raw: def.config.relationship, reads: 'relationship', key: ' relationship' }];
  for (const actor of def.actors) {
    if (actor.stance) charts.push({ chart: actor.stance, path: ['actors', actor.id, 'stance'], what: `stance of \`${actor.id}\``, region: stanceRegion(actor.id), raw: def.config.actors[actor.id]!.stance!, reads: `stance(${actor.id})`, key: actor.id });
  }
  return charts;
}

/**
 * The compiled statechart as a graph (`xstate/graph`): for each region (`relationship`,
 * `stance_<actor>`), each state's `SETTLE` targets in transition order.
 */
function chartGraph(compiled: CompiledScenario): Map<string, Map<string, string[]>> {
  const name = (id: string) => id.slice(id.lastIndexOf('.') + 1);
  const regions = new Map<string, Map<string, string[]>>();
  for (const region of toDirectedGraph(compiled.machine).children) {
    regions.set(name(region.id), new Map(region.children.map((node) => [name(node.id), node.edges.filter((e) => e.label.text === 'SETTLE').map((e) => name(e.target.id))])));
  }
  return regions;
}

/**
 * States reachable from the initial state over the machine's transitions, and how many ways out
 * each state has. Guards are closures, so every transition counts as possible except those whose
 * guard is always false (`dead`, by their text).
 */
function reachableStates(chart: ChartDef, edges: ReadonlyMap<string, readonly string[]> | undefined, dead: ReadonlySet<string>): { reachable: boolean[]; exits: number[] } {
  // Each state's SETTLE edges in the graph are its transitions in file order (`byState`).
  const out = chart.states.map((state, i) => {
    const targets = edges?.get(state) ?? chart.byState[i]!.map((t) => chart.states[t.to]!);
    return chart.byState[i]!.flatMap((t, j) => (dead.has(t.whenSource) ? [] : [chart.states.indexOf(targets[j] ?? chart.states[t.to]!)]));
  });
  const reachable = chart.states.map((_, i) => i === chart.initial);
  const queue = [chart.initial];
  while (queue.length > 0) {
    for (const to of out[queue.shift()!]!) {
      if (to >= 0 && !reachable[to]) {
        reachable[to] = true;
        queue.push(to);
      }
    }
  }
  return { reachable, exits: out.map((targets) => targets.length) };
}

/** Does one of the lever's actors decide in one of its phases? */
function onTurn(def: ScenarioDefinition, lever: LeverDef): boolean {
  return def.phases.some((p) => lever.phases[p.index] && p.turnOrder.some((a) => lever.actors[a]));
}

/** Does the expression compare something with the string `'name'` (or `"name"`)? */
function mentionsLiteral(text: string, name: string): boolean {
  return text.includes(`'${name}'`) || text.includes(`"${name}"`);
}

/** A condition that reads nothing from the state and holds: a constant `true`. */
const isConstantTrue = (e: Expr<'boolean'>): boolean => e.constant === true;

/** A condition that reads nothing from the state and fails: a constant `false`. */
const isConstantFalse = (e: Expr<'boolean'>): boolean => e.constant === false;

/** Fields whose values are expressions, wherever they occur. */
const EXPRESSION_KEYS = new Set(['when', 'p', 'add', 'mul', 'hazard', 'active_when', 'value', 'initial', 'otherwise']);

/** The text of every expression in the config (policy weights included). */
export function expressionTexts(config: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key: string | null): void => {
    if (Array.isArray(value)) return value.forEach((v) => walk(v, null));
    if (value === null || typeof value !== 'object') {
      if (key !== null && EXPRESSION_KEYS.has(key) && typeof value === 'string') out.push(value);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'weights' || k === 'effects' || k === 'conditions') && v && typeof v === 'object') {
        for (const w of Object.values(v)) if (typeof w === 'string') out.push(w);
      } else {
        walk(v, k);
      }
    }
  };
  walk(config, null);
  return out;
}

function collectCites(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) return value.forEach((v) => collectCites(v, into));
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'cite' && Array.isArray(v)) v.forEach((id) => typeof id === 'string' && into.add(id));
    else collectCites(v, into);
  }
}

// ---------------------------------------------------------------------------------------------
// Sampled checks

interface BranchTally {
  /** Times the branch's lever (or event) was resolved. */
  resolved: number;
  drawn: number;
  maxP: number;
}

function sampledChecks(def: ScenarioDefinition, compiled: CompiledScenario, runsPerPolicy: number, add: Add, onProgress?: (progress: LintProgress) => void): void {
  const available = new Set<string>();
  const pulled = new Map<string, number>();
  const fired = new Map<string, number>();
  const branches = new Map<string, BranchTally>();
  const reached = new Set<number>();
  // Chart moves taken (`chart key, from, to, why`) and the states each chart was in.
  const taken = new Set<string>();
  const visited = new Map<string, Set<string>>(chartsOf(def).map((c) => [c.key, new Set([c.chart.states[c.chart.initial]!])]));
  const tally = (owner: string, odds: readonly { branch: string; p: number }[], drawn: string | null) => {
    for (const o of odds) {
      const key = `${owner}.${o.branch}`;
      const t = branches.get(key) ?? { resolved: 0, drawn: 0, maxP: 0 };
      t.resolved++;
      if (o.branch === drawn) t.drawn++;
      t.maxP = Math.max(t.maxP, o.p);
      branches.set(key, t);
    }
  };
  const total = runsPerPolicy * SAMPLED_POLICIES.length;
  const watch = watchValues(def);
  let n = 0;
  let completed = 0;
  try {
    sampling: for (const policy of SAMPLED_POLICIES) {
      for (let i = 0; i < runsPerPolicy; i++) {
        let result: ReturnType<typeof run>;
        try {
          result = run(compiled, { seed: deriveSeed(LINT_SEED, n++), policy, executor: 'fast', trace: true });
        } catch (error) {
          // A run may refuse a value that is not a number: the finding below says where it came from.
          if (watch.found.size > 0) break sampling;
          throw error;
        } finally {
          onProgress?.({ done: n, total, runs: runsPerPolicy, requested: runsPerPolicy, turns: def.maxSteps });
        }
        completed++;
        for (const j of result.state.judged) reached.add(j);
        reached.add(result.state.outcome);
        const happenings = [...result.opening, ...result.trace.flatMap((e) => e.happenings)];
        for (const entry of result.trace) for (const o of entry.choice?.options ?? []) if (o.option !== 'pass') available.add(o.option);
        for (const h of happenings) {
          if (h.type === 'lever') {
            available.add(h.lever);
            pulled.set(h.lever, (pulled.get(h.lever) ?? 0) + 1);
            if (!h.forced) tally(h.lever, h.odds, h.branch);
          } else if (h.type === 'event') {
            fired.set(h.event, (fired.get(h.event) ?? 0) + 1);
            if (h.branch !== null) tally(h.event, h.odds, h.branch);
          } else if (h.type === 'relationship' || h.type === 'stance') {
            const key = h.type === 'relationship' ? ' relationship' : h.actor;
            taken.add(`${key}\u0000${h.from}\u0000${h.to}\u0000${h.why}`);
            visited.get(key)?.add(h.to);
          }
        }
      }
    }
  } finally {
    watch.restore();
  }
  const sample = `${completed} sampled run${completed === 1 ? '' : 's'} (${SAMPLED_POLICIES.join(' and ')} policies)`;
  for (const f of watch.found.values()) {
    const value = Number.isNaN(f.value) ? 'NaN (not a number)' : f.value > 0 ? 'Infinity' : '-Infinity';
    add('error', f.path, `${f.what} was ${value} in the sampled runs (run ${completed + 1} stopped on it, in round ${f.round})`, 'check the arithmetic for the values the runs reach: x/0, 0/0, log(0), log or sqrt of a negative number, `since(…)` before anything happened (it is Infinity), and huge powers give no finite number', false);
  }
  // The sample stopped at the first value that is not a number: what it did not reach says nothing.
  if (watch.found.size > 0) return;
  const nonFinite = (path: PathSegment[]) => watch.found.has(path.join('\u0000'));

  for (const lever of def.levers) {
    if (!onTurn(def, lever)) continue; // reported by the static checks
    if (!available.has(lever.id)) {
      add('warning', ['levers', lever.id], `lever \`${lever.id}\` was never available in ${sample}`, leverHint(def, lever.id));
      continue;
    }
    const pulls = pulled.get(lever.id) ?? 0;
    if (pulls === 0) continue;
    for (const b of lever.branches) {
      const t = branches.get(`${lever.id}.${b.id}`);
      if (t && t.maxP === 0 && !nonFinite(['levers', lever.id, 'branches', b.id, 'p'])) {
        add('warning', ['levers', lever.id, 'branches', b.id], `branch \`${lever.id}.${b.id}\`${cameoOf(b.cameo)} had probability 0 every time the lever was pulled: ${pulls} pulls in ${sample}`, `check its \`p\` (${b.pSource}) and the modifiers that lower it; a branch that cannot happen can be removed`);
      }
    }
  }

  const scheduled = new Set(def.config.schedule.map((s) => s.event));
  for (const e of def.events) {
    if (!e.hazard && !scheduled.has(e.id)) continue; // reported by the static checks
    const times = fired.get(e.id) ?? 0;
    if (times === 0) {
      if (nonFinite(['events', e.id, 'hazard'])) continue;
      add('warning', ['events', e.id], `event \`${e.id}\`${cameoOf(e.cameo)} never fired in ${sample}`, e.hazard ? `its hazard \`${e.hazardSource}\` may be too small, or zero in the phases where it applies` : 'check the schedule');
      continue;
    }
    for (const b of e.branches) {
      const t = branches.get(`${e.id}.${b.id}`);
      if (t && t.maxP === 0 && !nonFinite(['events', e.id, 'branches', b.id, 'p'])) {
        add('warning', ['events', e.id, 'branches', b.id], `branch \`${e.id}.${b.id}\`${cameoOf(b.cameo)} had probability 0 every time the event fired: ${times} times in ${sample}`, `check its \`p\` (${b.pSource})`);
      }
    }
  }

  for (const c of chartsOf(def)) untakenTransitions(c, taken, visited.get(c.key)!, sample, add);

  const shadowed = def.outcomes.findIndex((o) => o.when === null || isConstantTrue(o.when));
  def.outcomes.forEach((o, i) => {
    // Rules after one that always holds are reported by the static checks.
    if (shadowed >= 0 && i > shadowed) return;
    if (!reached.has(i)) add('warning', ['outcomes', i, 'id'], `outcome \`${o.id}\` was never reached in ${sample}`, o.when ? 'its condition may be too strict, or a rule above it catches the same runs' : 'every run matched a rule above this one', false);
  });
}

/**
 * Transitions of a chart that no sampled run took, each with why: no run was in a state it
 * leaves, or runs were but its guard never held there (or an earlier transition always went
 * first). Transitions the static checks report (a guard always false, a state that cannot be
 * reached) are left to them.
 */
function untakenTransitions(c: ChartInfo, taken: ReadonlySet<string>, visited: ReadonlySet<string>, sample: string, add: Add): void {
  const { chart, raw, reads } = c;
  const dead = new Set(chart.transitions.filter((t) => isConstantFalse(t.when)).map((t) => t.whenSource));
  const { reachable } = reachableStates(chart, undefined, dead);
  raw.transitions.forEach((t, i) => {
    const when = String(t.when);
    if (dead.has(when)) return;
    const froms = (t.from === '*' ? chart.states.filter((s) => s !== t.to) : typeof t.from === 'string' ? [t.from] : t.from).filter((f) => reachable[chart.states.indexOf(f)]);
    if (froms.length === 0) return;
    const why = t.why ?? when;
    if (froms.some((f) => taken.has(`${c.key}\u0000${f}\u0000${t.to}\u0000${why}`))) return;
    const from = t.from === '*' ? 'any other state' : `\`${froms.join('`, `')}\``;
    const at: PathSegment[] = [...c.path, 'transitions', i];
    const inFrom = froms.filter((f) => visited.has(f));
    if (inFrom.length === 0) {
      const test = froms.map((f) => `${reads} == '${f}'`).join(' or ');
      add('warning', at, `the transition from ${from} to \`${t.to}\` was never taken in ${sample}: no run was ever in ${froms.length === 1 ? 'that state' : 'those states'}`, `\`${test}\` never held at the end of a round: check the transitions into ${froms.length === 1 ? `\`${froms[0]}\`` : 'them'} first`, false);
      return;
    }
    const earlier = raw.transitions.slice(0, i).filter((e) => e.from === '*' || e.from === inFrom[0] || (Array.isArray(e.from) && e.from.includes(inFrom[0]!)));
    const first = earlier.length > 0 ? `, or an earlier transition out of \`${inFrom[0]}\` (to ${earlier.map((e) => `\`${e.to}\``).join(', ')}) took every run first` : '';
    add('warning', at, `the transition from ${from} to \`${t.to}\` was never taken in ${sample}, though runs were in \`${inFrom.join('`, `')}\``, `its guard \`${when}\` never held while \`${reads} == '${inFrom[0]}'\`${first}; a coupling, a cap or a floor may keep it out of reach`, false);
  });
}

interface NonFiniteValue {
  readonly path: PathSegment[];
  readonly what: string;
  readonly value: number;
  /** Global round (1-based) of the first evaluation. */
  readonly round: number;
  times: number;
}

/**
 * Watches every number that decides a run (starting tensions, probabilities, modifiers,
 * hazards, policy weights) for NaN and ±Infinity while the sampled runs play, by wrapping the
 * compiled functions in place; `restore` puts them back. The values themselves are unchanged.
 */
function watchValues(def: ScenarioDefinition): { found: Map<string, NonFiniteValue>; restore: () => void } {
  const found = new Map<string, NonFiniteValue>();
  const restores: (() => void)[] = [];
  const wrap = (owner: object, field: string, path: PathSegment[], what: string): void => {
    const record = owner as Record<string, unknown>;
    const expr = record[field] as Expr<'number'> | null | undefined;
    if (!expr) return;
    const key = path.join('\u0000');
    const seen = (value: number, g: number): void => {
      if (Number.isFinite(value)) return;
      const found1 = found.get(key);
      if (found1) found1.times++;
      else found.set(key, { path, what, value, round: g + 1, times: 1 });
    };
    const watched: Expr<'number'> = {
      ...expr,
      fn: (v: Lanes, i: number) => {
        const value = expr.fn(v, i);
        seen(value, v.g);
        return value;
      },
      vec: (v, idx, n, out) => {
        expr.vec(v, idx, n, out);
        for (let i = 0; i < n; i++) seen(out[i]!, v.g);
      },
    };
    record[field] = watched;
    restores.push(() => {
      record[field] = expr;
    });
  };
  for (const t of def.tensions) wrap(t, 'initial', ['tensions', t.id, 'initial'], `the starting value of \`${t.id}\``);
  for (const l of def.levers) {
    for (const b of l.branches) wrap(b, 'p', ['levers', l.id, 'branches', b.id, 'p'], `the probability of \`${l.id}.${b.id}\``);
    l.modifiers.forEach((m, i) => {
      wrap(m, 'add', ['levers', l.id, 'modifiers', i, 'add'], `the \`add\` of a modifier of \`${l.id}\``);
      wrap(m, 'mul', ['levers', l.id, 'modifiers', i, 'mul'], `the \`mul\` of a modifier of \`${l.id}\``);
    });
  }
  for (const m of def.mediators) {
    m.modifiers.forEach((r, i) => {
      wrap(r, 'add', ['mediators', m.id, 'modifiers', i, 'add'], `the \`add\` of a modifier of mediator \`${m.id}\``);
      wrap(r, 'mul', ['mediators', m.id, 'modifiers', i, 'mul'], `the \`mul\` of a modifier of mediator \`${m.id}\``);
    });
  }
  for (const e of def.events) {
    wrap(e, 'hazard', ['events', e.id, 'hazard'], `the hazard of \`${e.id}\``);
    for (const b of e.branches) wrap(b, 'p', ['events', e.id, 'branches', b.id, 'p'], `the probability of \`${e.id}.${b.id}\``);
  }
  for (const [kind, owners] of [['levers', def.levers], ['events', def.events]] as const) {
    for (const o of owners) {
      const at = [kind, o.id];
      for (const e of o.effects) wrap(e, 'expr', [...at, 'effects', def.tensions[e.tension]!.id], `the effect of \`${o.id}\` on \`${def.tensions[e.tension]!.id}\``);
      for (const b of o.branches) for (const e of b.effects) wrap(e, 'expr', [...at, 'branches', b.id, 'effects', def.tensions[e.tension]!.id], `the effect of \`${o.id}.${b.id}\` on \`${def.tensions[e.tension]!.id}\``);
    }
  }
  def.couplings.forEach((c, i) => {
    for (const e of c.effects) wrap(e, 'expr', ['couplings', i, 'effects', def.tensions[e.tension]!.id], `the effect of coupling \`${c.id}\` on \`${def.tensions[e.tension]!.id}\``);
  });
  for (const policy of def.policies.values()) {
    policy.actors.forEach((rules, a) => {
      if (!rules) return;
      const actor = def.actors[a]!.id;
      const at = ['policies', policy.name, actor];
      rules.weights.forEach((_, l) => wrap(rules.weights, String(l), [...at, 'weights', def.levers[l]!.id], `the weight of \`${def.levers[l]!.id}\` for \`${actor}\` in policy \`${policy.name}\``));
      wrap(rules, 'pass', [...at, 'weights', 'pass'], `the weight of passing for \`${actor}\` in policy \`${policy.name}\``);
      wrap(rules, 'otherwise', [...at, 'otherwise'], `the \`otherwise\` weight for \`${actor}\` in policy \`${policy.name}\``);
    });
  }
  return {
    found,
    restore: () => {
      for (const r of restores.reverse()) r();
    },
  };
}

/** ` (CAMEO 057, Sign formal agreement)` after the name of a branch or event with a code. */
function cameoOf(code: string | null): string {
  return code ? ` (CAMEO ${describeCameo(code)})` : '';
}

function leverHint(def: ScenarioDefinition, id: string): string {
  const lever = def.leverById.get(id)!;
  const inTurn = def.phases.some((p) => lever.phases[p.index] && p.turnOrder.some((a) => lever.actors[a]));
  if (!inTurn) return 'none of its actors is in the turn order of a phase where it may be pulled: check `actors` and `phases`';
  return lever.whenSource ? `its condition \`${lever.whenSource}\` may never hold when its actors decide` : 'check `actors`, `phases` and `max_uses`';
}

// ---------------------------------------------------------------------------------------------
// Exercises

/**
 * What loading an exercise cannot tell: whether the objective can be met at all under the
 * exercise's odds (its injects, parameters and policy), and whether it is met whatever the
 * student does (random play). Sampled over the exercise's own seeds, then more fixed seeds.
 */
export function lintExercise(parsed: ParsedFile, options: LintOptions = {}): Issue[] {
  const exercise = loadExercise(parsed.file);
  const issues: Issue[] = [];
  const add = (severity: Severity, path: PathSegment[], message: string, hint: string) => {
    issues.push({ file: parsed.file, ...parsed.locate(path), path: path.join('.'), severity, message, hint });
  };
  issues.push(...flowCommaPitfalls(parsed.file, parsed.text));
  const seeds = exercise.config.seeds;
  seeds.forEach((seed, i) => {
    if (seeds.indexOf(seed) < i) add('warning', ['seeds', i], `seed ${seed} is listed twice`, 'two sections would play the same run: use distinct seeds');
  });
  const runs = lintRuns(exercise.def.maxSteps, options.runs, 2);
  if (runs > 0) {
    options.onProgress?.({ done: 0, total: 2 * Math.max(runs, seeds.length), runs, requested: options.runs ?? DEFAULT_LINT_RUNS, turns: exercise.def.maxSteps });
    // The batch's code path (`parley batch --exercise`): the exercise's own seeds, then seeds derived from a fixed base.
    const own = [...new Set(seeds)];
    const n = Math.max(runs, own.length);
    const policy = exercise.config.policy;
    const metUnder = (p: string): number => sampleExercise(exercise, { policy: p, base: LINT_SEED, runs: n, seeds: own }).met;
    const underPolicy = metUnder(policy);
    const underRandom = policy === 'random' ? underPolicy : metUnder('random');
    if (underPolicy === 0 && underRandom === 0) {
      add('warning', ['objective'], `the objective was never met in ${n} sampled runs under the \`${policy}\` policy, nor in ${n} of random play`, `check it against the scenario: an outcome or a condition may be out of reach (a lever's \`max_uses\`, a threshold no run reaches); \`parley batch --exercise ${exerciseRef(exercise.id, exercise.file)} --runs 10000\` measures how rare it is`);
    } else if (underRandom === n) {
      add('warning', ['objective'], `the objective was met in all ${n} sampled runs of random play: the student's choices do not matter`, 'ask for more: a better outcome, or a condition on the path');
    }
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
