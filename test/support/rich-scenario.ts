/**
 * Scenarios rich in expressions, for differential tests of the executors: every expression
 * slot (preconditions, branch odds, modifiers, mediator tests, hazards, guards, policy weights,
 * derived values, outcomes) gets a random expression using every form of the language —
 * arithmetic with NaN, -0 and Infinity, and/or/not, `if`, `?:`, name comparisons, `stance`,
 * `phase`, `relationship`, `active` (twice in one expression), chains of derived values,
 * `since`, `count`, `fired`, `pulled` — with 0 parameters or events, actors without stance
 * charts and one-branch levers among the cases. Some draws do not load (an expression of the
 * wrong type, say); `richScenario` returns null for those.
 */
import { goldsteinTable } from '../../src/scenario/cameo.ts';
import type { ScenarioDefinition } from '../../src/scenario/definition.ts';
import { NormalizeError, normalizeScenario } from '../../src/scenario/normalize.ts';
import { ScenarioSchema } from '../../src/scenario/schema.ts';

/** mulberry32: a small seeded generator for the generator's own choices. */
export function mulberry(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A scenario whose every expression slot holds a random expression of any form, from `seed`. */
export function richScenarioInput(seed: number): unknown {
  const R = mulberry(seed);
  const n = (k: number) => Math.floor(R() * k);
  const pickOf = <T,>(xs: readonly T[]): T => xs[n(xs.length)]!;
  const nT = 1 + n(3), nA = 1 + n(3), nL = 1 + n(4), nE = n(3), nP = n(2), nM = n(3), nD = n(3);
  const T = Array.from({ length: nT }, (_, i) => `T${i}`);
  const A = Array.from({ length: nA }, (_, i) => `a${i}`);
  const L = Array.from({ length: nL }, (_, i) => `l${i}`);
  const E = Array.from({ length: nE }, (_, i) => `e${i}`);
  const P = Array.from({ length: nP }, (_, i) => `k${i}`);
  const M = Array.from({ length: nM }, (_, i) => `m${i}`);
  const Rel = ['r0', 'r1', 'r2'];
  const phasesN = 1 + n(3);
  const Ph = Array.from({ length: phasesN }, (_, i) => `p${i}`);
  const stance = A.map(() => n(2) === 0);
  const lbranches = L.map(() => 1 + n(3));
  const ebranches = E.map(() => n(3));
  // names usable by expressions in a given context
  type Ctx = { derived: string[]; mediators: string[]; depth: number };
  const num = (c: Ctx): string => {
    const d = c.depth;
    const leaf = () => pickOf<() => string>([
      () => String(pickOf([0, 1, 2.5, 50, -3, 0.1, 1e308, -0])),
      () => pickOf(T),
      () => pickOf(T),
      () => (c.derived.length ? pickOf(c.derived) : pickOf(T)),
      () => (P.length ? `params.${pickOf(P)}` : '1'),
      () => pickOf(['round', 'round_weeks', 'elapsed_days']),
      () => `count(${pickOf([...L, ...E])})`,
      () => `since(${pickOf([...L, ...E])})`,
    ])();
    if (d > 3 || R() < 0.35) return leaf();
    const cc = { ...c, depth: d + 1 };
    return pickOf<() => string>([
      () => `(${num(cc)} ${pickOf(['+', '-', '*', '/', '%'])} ${num(cc)})`,
      () => `(${pickOf(T)} ${pickOf(['+', '-', '*', '/'])} ${pickOf(['3', '0', '-0', '50'])})`,
      () => `(${pickOf(['3', '0', '-0', '50'])} ${pickOf(['+', '-', '*', '/'])} ${num(cc)})`,
      () => `${pickOf(['exp', 'log', 'abs', 'sqrt', 'floor', 'ceil', 'logistic', 'weekly', '-'])}(${num(cc)})`,
      () => `${pickOf(['min', 'max', 'pow'])}(${num(cc)}, ${num(cc)})`,
      () => `${pickOf(['min', 'max', 'clamp'])}(${num(cc)}, ${num(cc)}, ${num(cc)})`,
      () => `if(${cond(cc)}, ${num(cc)}, ${num(cc)})`,
      () => `(${cond(cc)} ? ${num(cc)} : ${num(cc)})`,
      () => (c.derived.length ? `(${pickOf(c.derived)} + ${pickOf(c.derived)} * (${pickOf(c.derived)} > 40 ? ${pickOf(c.derived)} : 1))` : leaf()),
    ])();
  };
  const str = (): string => {
    const opts: (() => string)[] = [() => 'relationship', () => 'phase'];
    const withStance = A.filter((_, i) => stance[i]);
    if (withStance.length) opts.push(() => `stance(${pickOf(withStance)})`);
    return pickOf(opts)();
  };
  const cond = (c: Ctx): string => {
    const d = c.depth;
    const cc = { ...c, depth: d + 1 };
    const leaf = () => pickOf<() => string>([
      () => pickOf(['true', 'false']),
      () => `pulled(${pickOf(L)})`,
      () => (E.length ? `fired(${pickOf(E)})` : 'true'),
      () => `relationship == '${pickOf(Rel)}'`,
      () => `phase != '${pickOf(Ph)}'`,
      () => (c.mediators.length ? `active(${pickOf(c.mediators)})` : 'false'),
      () => `${pickOf(T)} ${pickOf(['<', '>', '<=', '>='])} ${n(100)}`,
      () => { const i = A.findIndex((_, j) => stance[j]); return i >= 0 ? `stance(${A[i]}) == 's${n(2)}'` : 'true'; },
    ])();
    if (d > 3 || R() < 0.35) return `(${leaf()})`;
    return pickOf<() => string>([
      () => `(${num(cc)} ${pickOf(['<', '>', '<=', '>=', '==', '!='])} ${num(cc)})`,
      () => `(${cond(cc)} ${pickOf(['and', 'or', '==', '!='])} ${cond(cc)})`,
      () => `not (${cond(cc)})`,
      () => `((${cond(cc)} ? ${str()} : ${str()}) == ${str()})`,
      () => `if(${cond(cc)}, ${cond(cc)}, ${cond(cc)})`,
      () => (c.mediators.length ? `(active(${pickOf(c.mediators)}) and (active(${pickOf(c.mediators)}) or ${cond(cc)}))` : leaf()),
    ])();
  };
  const prob = (c: Ctx) => (R() < 0.4 ? Math.round(R() * 100) / 100 : num(c));
  // derived values: earlier derived, and active(m) in some
  const derived: Record<string, { value: string; label: string }> = {};
  const D: string[] = [];
  const derivedUsesActive: boolean[] = [];
  for (let i = 0; i < nD; i++) {
    const useActive = nM > 1 && n(2) === 0;
    // active of m0 only, so mediators m1.. may read this derived value without a cycle
    const base = D.filter((_, j) => !derivedUsesActive[j]);
    const v = useActive ? `(if(active(m0), 10, 0) + ${num({ derived: base, mediators: [], depth: 2 })})` : num({ derived: base, mediators: [], depth: 1 });
    derived[`d${i}`] = { value: v, label: `d${i}` };
    D.push(`d${i}`);
    derivedUsesActive.push(useActive || v.split(/[^\w]/).some((w) => D.includes(w) && derivedUsesActive[D.indexOf(w)]));
  }
  const safeD = D.filter((_, i) => !derivedUsesActive[i]);
  const full: Ctx = { derived: D, mediators: M, depth: 0 };
  const eff = () => Object.fromEntries(Array.from({ length: 1 + n(2) }, () => [pickOf(T), n(41) - 20]));
  const chart = (states: string[]) => ({
    initial: pickOf(states),
    states: Object.fromEntries(states.map((s) => [s, null])),
    transitions: Array.from({ length: n(5) }, () => {
      const from = pickOf(states);
      let to = pickOf(states);
      if (to === from) to = states[(states.indexOf(from) + 1) % states.length]!;
      return { from: n(4) === 0 ? '*' : from, to, when: cond(full) };
    }),
  });
  const tags = ['coop', 'hard'];
  const input = {
    title: 'Fuzz', summary: 'fuzz', start: '2026-02-02',
    parameters: Object.fromEntries(P.map((p) => [p, { default: 0.5, range: [0, 1] }])),
    tensions: Object.fromEntries(T.map((t) => [t, { initial: P.length && n(2) ? `40 + 20 * params.${P[0]}` : n(101), label: t, ...(n(2) ? { decay: { toward: n(101), per_week: n(50) / 100 } } : {}) }])),
    derived,
    actors: Object.fromEntries(A.map((a, i) => [a, { name: a, role: 'principal', ...(stance[i] ? { stance: chart(['s0', 's1']) } : {}) }])),
    relationship: chart(Rel),
    phases: Ph.map((id, i) => ({ id, label: id, rounds: 1 + n(3), round_days: pickOf([0, 1, 7]), turn_order: A.filter((_, j) => j === i % nA || n(2) === 0), checkpoint: n(2) === 0 })),
    levers: Object.fromEntries(L.map((l, i) => {
      const nb = lbranches[i]!;
      const bs = Object.fromEntries(Array.from({ length: nb }, (_, b) => [`b${b}`, { p: nb === 1 ? 1 : b === 0 ? num(full) : prob(full), effects: eff(), ...(n(2) ? { cameo: '051' } : {}), tags: i === 0 && b === 0 ? tags : [pickOf(tags)] }]));
      return [l, {
        label: l, actors: A.filter((_, j) => j === i % nA || n(3) === 0),
        ...(n(2) ? { when: cond(full) } : {}),
        ...(n(3) === 0 ? { max_uses: 1 + n(2) } : {}),
        tags: i === 0 ? tags : [pickOf(tags)],
        ...(n(3) === 0 ? { effects: eff() } : {}),
        branches: bs,
        ...(n(2) ? { modifiers: Array.from({ length: 1 + n(3) }, () => ({ branch: `b${n(nb)}`, ...(n(2) ? { add: num(full) } : {}), mul: num(full), ...(n(2) ? { when: cond(full) } : {}) })) } : {}),
      }];
    })),
    mediators: Object.fromEntries(M.map((m, i) => [m, {
      actor: pickOf(A), label: m,
      // m0 must not read derived values that use active(m0)
      active_when: cond({ derived: i === 0 ? safeD : D, mediators: [], depth: 1 }),
      modifiers: Array.from({ length: n(3) }, () => ({ lever_tag: pickOf(tags), branch_tag: pickOf(tags), ...(n(2) ? { add: num(full) } : {}), mul: num(full) })),
      damping: n(2) ? [{ tension: pickOf(T), factor: 0.5 }] : [],
    }])),
    events: Object.fromEntries(E.map((e, i) => [e, {
      label: e,
      ...(n(4) ? { hazard: n(2) ? `weekly(${num(full)})` : num(full) } : {}),
      effects: eff(),
      ...(n(2) ? { cameo: '195', salience: 0.5 } : {}),
      ...(ebranches[i]! > 0 ? { branches: Object.fromEntries(Array.from({ length: ebranches[i]! + 1 }, (_, b) => [`x${b}`, { p: b === 0 ? num(full) : prob(full), effects: eff() }])) } : {}),
    }])),
    schedule: E.length && n(2) ? [{ event: 'e0', phase: 'p0', round: 1 }, ...(n(2) ? [{ event: pickOf(E), phase: pickOf(Ph), round: 1 }] : [])] : [],
    couplings: Array.from({ length: n(3) }, (_, i) => ({ id: `c${i}`, when: cond(full), effects: eff(), ...(n(2) ? { cap: { [pickOf(T)]: 70 } } : {}), ...(n(2) ? { floor: { [pickOf(T)]: 10 } } : {}) })),
    policies: {
      default: Object.fromEntries(A.filter(() => n(3) > 0).map((a) => [a, {
        weights: Object.fromEntries([...L.filter((_l, i) => n(2) && (i % nA === A.indexOf(a))).map((l) => [l, num(full)]), ...(n(2) ? [['pass', num(full)]] : [])]),
        otherwise: n(2) ? num(full) : 1,
      }])),
    },
    outcomes: [
      { id: 'bad', label: 'Bad', when: cond(full) },
      { id: 'mixed', label: 'Mixed', when: cond(full) },
      { id: 'calm', label: 'Calm' },
    ],
  };
  return input;
}

/** The scenario of `seed`, or null when that draw is not a valid scenario. */
export function richScenario(seed: number): ScenarioDefinition | null {
  return richDefinition(richScenarioInput(seed));
}

/** The scenario of an input (one of `richScenarioInput`'s, perhaps changed), or null when it is not valid. */
export function richDefinition(input: unknown): ScenarioDefinition | null {
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) return null;
  try {
    return normalizeScenario('rich', parsed.data, goldsteinTable());
  } catch (error) {
    if (error instanceof NormalizeError) return null;
    throw error;
  }
}

/**
 * `richScenarioInput(seed)` in format 1.1, with every 1.1 addition drawn in (from a generator of
 * its own, so that the plain draws do not move): effects written as expressions (reading
 * `actor`, `days_since`, named conditions, parameters and tensions) on levers, branches, events
 * and couplings; `actor` in preconditions, odds and modifiers; named conditions reading each
 * other; couplings `per` day or week; `outcome_at` of an earlier checkpoint; and policies that
 * `extend` others.
 */
export function rich11ScenarioInput(seed: number): unknown {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const input = richScenarioInput(seed) as any;
  const R = mulberry(seed ^ 0x5eed11);
  const n = (k: number) => Math.floor(R() * k);
  const pickOf = <T,>(xs: readonly T[]): T => xs[n(xs.length)]!;
  const T = Object.keys(input.tensions);
  const A = Object.keys(input.actors);
  const L = Object.keys(input.levers);
  const E = Object.keys(input.events);
  const P = Object.keys(input.parameters);
  input.format = 1.1;
  input.conditions = {
    c0: `${pickOf(T)} > ${n(100)} or pulled(${pickOf(L)})`,
    c1: `c0 and days_since(${pickOf([...L, ...E])}) ${pickOf(['<', '>='])} ${pickOf([0, 0.5, 1, 7])}`,
    c2: `not c1 or ${pickOf(T)} <= ${n(100)}`,
  };
  const cond = () => pickOf(['c0', 'c1', 'c2', 'not c0', `c2 and ${pickOf(T)} > 30`]);
  const actorExpr = (owners: readonly string[]) => `actor == '${pickOf(owners)}'`;
  const number = (owners: readonly string[] | null): string => pickOf([
    () => `${n(21) - 10} + ${pickOf(T)} / ${1 + n(20)}`,
    () => `if(${cond()}, ${n(21) - 10}, ${n(21) - 10})`,
    () => `min(${n(15)}, days_since(${pickOf([...L, ...E])}))`,
    () => (P.length ? `${n(30) - 15} * params.${pickOf(P)}` : `${n(9) - 4}`),
    () => (owners ? `if(${actorExpr(owners)}, ${n(21) - 10}, ${n(21) - 10})` : `${pickOf(T)} / 10 - 5`),
    () => `-(${pickOf(T)} - 50) / ${2 + n(8)}`,
  ])();
  const exprEffects = (effects: Record<string, unknown> | undefined, owners: readonly string[] | null) => {
    if (!effects) return effects;
    for (const t of Object.keys(effects)) if (n(3) > 0) effects[t] = number(owners);
    if (n(3) === 0) effects[pickOf(T)] = number(owners);
    return effects;
  };
  for (const l of L) {
    const lever = input.levers[l];
    const owners: string[] = lever.actors;
    if (n(2)) lever.when = `(${lever.when ?? 'true'}) and (${actorExpr(owners)} or ${cond()})`;
    if (n(2)) lever.effects = exprEffects(lever.effects ?? { [pickOf(T)]: 1 }, owners);
    for (const b of Object.values(lever.branches) as { p: unknown; effects?: Record<string, unknown> }[]) {
      exprEffects(b.effects, owners);
      if (n(3) === 0 && typeof b.p === 'number') b.p = `if(${actorExpr(owners)}, ${b.p}, ${Math.round(R() * 100) / 100})`;
    }
    for (const m of lever.modifiers ?? []) if (n(2)) m.when = `${actorExpr(owners)} or ${cond()}`;
  }
  for (const e of E) {
    const event = input.events[e];
    exprEffects(event.effects, null);
    for (const b of Object.values(event.branches ?? {}) as { effects?: Record<string, unknown> }[]) exprEffects(b.effects, null);
  }
  for (const c of input.couplings) {
    exprEffects(c.effects, null);
    const per = pickOf(['round', 'day', 'week', undefined]);
    if (per) c.per = per;
    if (n(2)) c.when = `${c.when} or ${cond()}`;
  }
  // outcome_at an earlier checkpoint, if there is one.
  const phases: { id: string; checkpoint?: boolean }[] = input.phases;
  const earlier = phases.slice(0, -1).filter((p) => p.checkpoint);
  if (earlier.length > 0) input.outcomes[n(2)].when = `outcome_at(${pickOf(earlier).id}) == '${pickOf(['bad', 'mixed', 'calm', 'none'])}' ${pickOf(['or', 'and'])} ${cond()}`;
  // Policies that extend others: one more, and the default in a chain of two.
  const weights = (a: string) => Object.fromEntries(L.filter((l) => input.levers[l].actors.includes(a) && n(2)).map((l) => [l, number(null)]));
  input.policies.firm = { extends: 'default', ...Object.fromEntries(A.filter(() => n(2)).map((a) => [a, { weights: weights(a), ...(n(2) ? { otherwise: n(3) } : {}) }])) };
  input.policies.firmer = { extends: 'firm', ...Object.fromEntries(A.filter(() => n(3) === 0).map((a) => [a, { weights: weights(a) }])) };
  return input;
}

/** The format 1.1 scenario of `seed`, or null when that draw is not a valid scenario. */
export function rich11Scenario(seed: number): ScenarioDefinition | null {
  return richDefinition(rich11ScenarioInput(seed));
}
