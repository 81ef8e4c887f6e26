/**
 * fast-check generators of whole scenarios: random tensions, actors with stance charts, a
 * relationship chart, phases, levers with conditions, modifiers and branches, mediators,
 * events with hazards and sub-branches, schedules, couplings, policies and outcome rules.
 * Every generated scenario is valid, so it exercises the engine rather than the loader.
 */
import fc from 'fast-check';
import { goldsteinTable } from '../../src/scenario/cameo.ts';
import type { ScenarioDefinition } from '../../src/scenario/definition.ts';
import { normalizeScenario } from '../../src/scenario/normalize.ts';
import { ScenarioSchema, type ScenarioInput } from '../../src/scenario/schema.ts';

const CAMEO = ['051', '057', '112', '138', '195', '0312', '064', '163'];

function probabilities(n: number, seeds: number[]): number[] {
  const raw = seeds.slice(0, n).map((x) => x + 1);
  const total = raw.reduce((a, b) => a + b, 0);
  const p = raw.map((x) => Math.round((x / total) * 1000) / 1000);
  p[n - 1] = Math.round((1 - p.slice(0, -1).reduce((a, b) => a + b, 0)) * 1000) / 1000;
  return p;
}

export const scenarioInput: fc.Arbitrary<ScenarioInput> = fc
  .record({
    nT: fc.integer({ min: 1, max: 4 }),
    nA: fc.integer({ min: 1, max: 3 }),
    nL: fc.integer({ min: 1, max: 5 }),
    nE: fc.integer({ min: 0, max: 3 }),
    nR: fc.integer({ min: 2, max: 4 }),
    phases: fc.array(fc.record({ rounds: fc.integer({ min: 1, max: 4 }), days: fc.constantFrom(0, 1, 7) }), { minLength: 1, maxLength: 3 }),
    numbers: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 200, maxLength: 200 }),
  })
  .map(({ nT, nA, nL, nE, nR, phases, numbers }): ScenarioInput => {
    let k = 0;
    const n = (mod: number) => numbers[k++ % numbers.length]! % mod;
    const T = Array.from({ length: nT }, (_, i) => `T${i}`);
    const A = Array.from({ length: nA }, (_, i) => `a${i}`);
    const R = Array.from({ length: nR }, (_, i) => `r${i}`);
    const t = () => T[n(T.length)]!;
    const cond = () => `${t()} ${['<', '>', '<=', '>='][n(4)]} ${n(100)}`;
    const effects = () => Object.fromEntries(Array.from({ length: 1 + n(2) }, () => [t(), n(41) - 20]));
    const branchSet = (prefix: string, count: number, withTags: boolean) => {
      const ps = probabilities(count, [n(10), n(10), n(10)]);
      return Object.fromEntries(
        ps.map((p, i) => [
          `${prefix}${i}`,
          {
            p: i === 0 && n(3) === 0 ? `clamp(${p} + (50 - ${t()}) / 500, 0, 1)` : p,
            effects: effects(),
            ...(n(2) ? { cameo: CAMEO[n(CAMEO.length)]! } : {}),
            ...(withTags && i === 0 ? { tags: ['success'] } : {}),
          },
        ]),
      );
    };
    const levers = Object.fromEntries(
      Array.from({ length: nL }, (_, i) => {
        const count = 1 + n(3);
        return [
          `l${i}`,
          {
            label: `Lever ${i}`,
            actors: A.filter((_, j) => j === i % nA || n(3) === 0),
            ...(n(2) ? { when: cond() } : {}),
            ...(n(4) === 0 ? { max_uses: 1 + n(2) } : {}),
            ...(i === 0 || n(2) ? { tags: ['coop'] } : {}),
            ...(n(3) === 0 ? { effects: effects() } : {}),
            branches: branchSet('b', count, true),
            ...(count > 1 && n(2) ? { modifiers: [{ branch: 'b0', add: (n(21) - 10) / 100, when: cond() }, { branch: 'b1', mul: 1 + n(10) / 10 }] } : {}),
          },
        ];
      }),
    );
    const events = Object.fromEntries(
      Array.from({ length: nE }, (_, i) => [
        `e${i}`,
        {
          label: `Event ${i}`,
          ...(n(4) ? { hazard: n(2) ? `weekly(${n(100) / 100} * exp((${t()} - 50) / 25))` : `${n(60) / 100}` } : {}),
          effects: effects(),
          ...(n(2) ? { cameo: CAMEO[n(CAMEO.length)]!, salience: n(10) / 10 } : {}),
          ...(n(2) ? { branches: branchSet('x', 2, false) } : {}),
        },
      ]),
    );
    const phaseList = phases.map((p, i) => ({ id: `p${i}`, label: `Phase ${i}`, rounds: p.rounds, round_days: p.days, turn_order: A.filter((_, j) => j === 0 || n(2) === 0), checkpoint: n(2) === 0 }));
    const chart = (states: string[]) => ({
      initial: states[n(states.length)]!,
      states: Object.fromEntries(states.map((s) => [s, null])),
      transitions: Array.from({ length: 1 + n(4) }, () => {
        const from = states[n(states.length)]!;
        let to = states[n(states.length)]!;
        if (to === from) to = states[(states.indexOf(from) + 1) % states.length]!;
        return { from, to, when: cond() };
      }),
    });
    return {
      title: 'Generated',
      summary: 'A generated scenario.',
      start: '2026-02-02',
      parameters: { k: { default: 0.5, range: [0, 1] as [number, number] } },
      tensions: Object.fromEntries(T.map((id, i) => [id, { initial: i === 0 && n(2) ? '40 + 20 * params.k' : n(101), label: id, ...(n(2) ? { decay: { toward: n(101), per_week: n(50) / 100 } } : {}) }])),
      derived: { idx: { value: T.map((x) => `${x}`).join(' + ') + ` / ${T.length}`, label: 'Index' } },
      actors: Object.fromEntries(A.map((a, i) => [a, { name: `Actor ${i}`, role: 'principal' as const, ...(n(2) ? { stance: chart(['s0', 's1', 's2']) } : {}) }])),
      relationship: chart(R),
      phases: phaseList,
      levers,
      mediators: n(2)
        ? ({ med: { actor: A[0]!, label: 'Channel', active_when: cond(), modifiers: [{ lever_tag: 'coop', branch_tag: 'success', add: 0.1 }], damping: [{ tension: T[0]!, factor: 0.5 }] } } as ScenarioInput['mediators'])
        : {},
      events,
      schedule: nE > 0 && n(2) ? [{ event: 'e0', phase: 'p0', round: 1 }] : [],
      couplings: [{ id: 'c0', when: cond(), effects: effects(), ...(n(2) ? { cap: { [t()]: 70 } } : {}), ...(n(2) ? { floor: { [t()]: 10 } } : {}) }],
      policies: { default: { [A[0]!]: { weights: { l0: `${t()} / 50`, pass: 0.2 }, otherwise: 1 } } },
      outcomes: [
        { id: 'bad', label: 'Bad', when: `idx > ${50 + n(40)}` },
        { id: 'mixed', label: 'Mixed', when: `relationship == '${R[0]}' or pulled(l0)` },
        { id: 'calm', label: 'Calm' },
      ],
    };
  });

export function definitionOf(input: ScenarioInput): ScenarioDefinition {
  return normalizeScenario('generated', ScenarioSchema.parse(input), goldsteinTable());
}

export const generatedScenario: fc.Arbitrary<ScenarioDefinition> = scenarioInput.map(definitionOf);
