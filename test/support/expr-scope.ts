/**
 * A small expression scope for tests of the expression language: two tensions, a derived value
 * `crisis`, a parameter, two phases, a relationship chart, an actor with a stance chart and one
 * without, a lever with a branch, an event and a mediator (`paul`, active while HOST < 60 unless
 * the caller gives its own test).
 */
import { compileExpr, type Expr, type Scope } from '../../src/scenario/expr.ts';

export function exprScope(mediatorActive?: Expr<'boolean'>[]): Scope {
  const base: Scope = {
    tensions: new Map([['HOST', 0], ['MIL', 1]]),
    derived: new Map(),
    params: new Map([['appetite', 0]]),
    phases: ['talks', 'after'],
    relationship: ['cordial', 'tense'],
    actors: new Map([['petro', { index: 0, stances: ['wary', 'engaged'] }], ['eln', { index: 1, stances: null }]]),
    history: new Map([
      ['show_record', { key: 0, kind: 'lever' as const, branches: new Map([['lands_well', 1]]) }],
      ['boat_strike', { key: 2, kind: 'event' as const, branches: new Map() }],
    ]),
    mediators: new Map([['paul', { index: 0 }]]),
    mediatorActive: mediatorActive ?? [],
    time: { phaseOf: [0, 1], roundOf: [1, 1], weeksOf: [0, 1], daysOf: [0, 0] },
  };
  if (!mediatorActive) base.mediatorActive.push(compileExpr('HOST < 60', base, 'boolean'));
  return { ...base, derived: new Map([['crisis', compileExpr('(HOST + MIL) / 2', base, 'number')]]) };
}
