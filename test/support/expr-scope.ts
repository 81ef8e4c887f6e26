/**
 * A small expression scope for tests of the expression language: two tensions, a derived value
 * that is a plain function (not a compiled expression), a parameter, two phases, a relationship
 * chart, an actor with a stance chart and one without, a lever with a branch, an event and a
 * mediator whose test the caller supplies.
 */
import type { EvalState, Fn, Scope } from '../../src/scenario/expr.ts';

export function exprScope(mediatorActive: Fn<boolean>[] = []): Scope {
  return {
    tensions: new Map([['HOST', 0], ['MIL', 1]]),
    derived: new Map([['crisis', (s: EvalState) => (s.t[0]! + s.t[1]!) / 2]]),
    params: new Map([['appetite', 0]]),
    phases: ['talks', 'after'],
    relationship: ['cordial', 'tense'],
    actors: new Map([['petro', { index: 0, stances: ['wary', 'engaged'] }], ['eln', { index: 1, stances: null }]]),
    history: new Map([
      ['show_record', { key: 0, kind: 'lever' as const, branches: new Map([['lands_well', 1]]) }],
      ['boat_strike', { key: 2, kind: 'event' as const, branches: new Map() }],
    ]),
    mediators: new Map([['paul', { index: 0 }]]),
    mediatorActive,
    time: { phaseOf: [0, 1], roundOf: [1, 1], weeksOf: [0, 1], daysOf: [0, 0] },
  };
}
