/** A scenario of many actors, each with a stance chart (the xstate executor's worst case). */

/** `n` actors, each with a stance chart, taking turns over `rounds` rounds of two phases. */
export function crowdScenario(n: number, rounds: number): string {
  const ids = Array.from({ length: n }, (_, i) => `a${i}`);
  return [
    'title: Crowd',
    'summary: many actors',
    'start: 2026-01-01',
    'tensions:',
    '  T: {initial: 50, label: Tension}',
    'actors:',
    ...ids.map((id) => `  ${id}: {name: ${id}, role: principal, stance: {initial: calm, states: {calm: null, angry: null}, transitions: [{from: calm, to: angry, when: T > 52}, {from: angry, to: calm, when: T < 48}]}}`),
    'relationship:',
    '  initial: x',
    '  states: {x: {label: X}, y: {label: Y}}',
    '  transitions: [{from: x, to: y, when: T > 55}, {from: y, to: x, when: T < 45}]',
    'phases:',
    `  - {id: one, label: One, rounds: ${rounds}, turn_order: [${ids.join(', ')}], checkpoint: true}`,
    `  - {id: two, label: Two, rounds: ${rounds}, turn_order: [${ids.join(', ')}]}`,
    'levers:',
    '  l:',
    '    label: L',
    `    actors: [${ids.join(', ')}]`,
    '    branches:',
    '      up: {p: 0.5, effects: {T: 1}}',
    '      down: {p: 0.5, effects: {T: -1}}',
    'outcomes:',
    '  - {id: hi, label: Hi, when: T > 50}',
    '  - {id: lo, label: Lo}',
    '',
  ].join('\n');
}
