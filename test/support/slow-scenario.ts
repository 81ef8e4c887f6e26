/** A lever of 200 branches (the most a lever may have) pulled by three actors over 1,000 rounds: a few runs a second on one thread. */
export function slowScenario(): string {
  const branches = Array.from({ length: 200 }, (_, i) => `      b${i}: {p: 0.005, effects: {T: ${(i % 3) - 1}}}`);
  return [
    'title: Slow', 'summary: a slow batch', 'start: 2026-01-01',
    'tensions:', '  T: {initial: 50, label: Tension}',
    'actors:', '  a: {name: A, role: principal}', '  b: {name: B, role: principal}', '  c: {name: C, role: principal}',
    'relationship:', '  initial: x', '  states: {x: {label: X}}',
    'phases:', '  - {id: p, label: P, rounds: 1000, turn_order: [a, b, c]}',
    'levers:', '  l:', '    label: L', '    actors: [a, b, c]', '    branches:', ...branches,
    'outcomes:', '  - {id: hi, label: Hi, when: T > 50}', '  - {id: lo, label: Lo}', '',
  ].join('\n');
}
