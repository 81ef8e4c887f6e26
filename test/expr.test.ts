import { describe, expect, it } from 'vitest';
import { compileExpr, evaluate, ExprError, type EvalState } from '../src/scenario/expr.ts';
import { exprScope } from './support/expr-scope.ts';

type Ty = 'number' | 'boolean';
const scope = exprScope();

const state: EvalState = { g: 1, t: [40, 70], p: [0.5], rel: 1, st: [1, -1], cnt: [2, 1, 0], last: [0, 0, -1] };

function value(source: string, ty: Ty = 'number') {
  return evaluate(compileExpr(source, scope, ty), state);
}

function problems(source: string, ty: Ty = 'boolean') {
  try {
    compileExpr(source, scope, ty);
  } catch (error) {
    if (error instanceof ExprError) return error.problems.map((p) => `${p.offset}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
    throw error;
  }
  return [];
}

describe('expressions', () => {
  it.each([
    ['HOST + MIL * 2', 180],
    ['crisis', 55],
    ['params.appetite * 100', 50],
    ['round', 1],
    ['round_weeks', 1],
    ['min(HOST, MIL, 10)', 10],
    ['clamp(MIL, 0, 50)', 50],
    ['logistic(0)', 0.5],
    ['if(HOST > 50, 1, 2)', 2],
    ['HOST > 50 ? 1 : 2', 2],
    ['count(show_record)', 2],
    ['count(show_record, lands_well)', 1],
    ['since(show_record)', 1],
    ['since(boat_strike)', Infinity],
    ['-HOST', -40],
    ['weekly(0.5)', 1 - Math.exp(-0.5)],
    // Folded and specialised shapes give the same values as the general ones.
    ['2 * 3 + HOST', 46],
    ['10 - HOST', -30],
    ['100 / MIL * 7', 10],
    ['HOST / 2 - 1', 19],
    ['HOST * 2 + 1', 81],
    ['HOST - 10 + MIL + 0', 100],
    ['min(1, 2) + HOST', 41],
    ['crisis * 2', 110],
    ['-(3) * HOST', -120],
  ])('%s = %s', (source, expected) => {
    expect(value(source)).toBeCloseTo(expected, 12);
  });

  it.each([
    ['HOST < 50 and MIL > 50', true],
    ['not (HOST < 50) or MIL > 80', false],
    ["relationship == 'tense'", true],
    ["phase != 'talks'", true],
    ["stance(petro) == 'engaged'", true],
    ['pulled(show_record)', true],
    ['pulled(show_record, lands_well)', true],
    ['pulled(show_record.lands_well)', true],
    ['count(show_record.lands_well) == 1', true],
    ['fired(boat_strike)', false],
    ['active(paul)', true],
    ['HOST < 50 && !(MIL < 50)', true],
    ['HOST >= 40 and HOST <= 40 and MIL > 69 and MIL < 71', true],
    ['crisis >= 55 and crisis < 56', true],
    ['1 < 2', true],
  ])('%s is %s', (source, expected) => {
    expect(value(source, 'boolean')).toBe(expected);
  });

  it.each([
    ['MIL', ['0: expected a condition (true/false), found a number (compare it, e.g. `MIL > 50`)']],
    ['HOTS > 3', ['0: unknown name `HOTS` (did you mean `HOST`?)']],
    ['HOST > 3 and params.apetite > 0', ['20: unknown parameter `apetite` (did you mean `appetite`?)']],
    ["relationship == 'tens'", ["16: `tens` is not one of the states (cordial, tense) (did you mean `tense`?)"]],
    ['pulled(show_recrd)', ['7: unknown lever `show_recrd` (did you mean `show_record`?)']],
    ['pulled(show_record, lands)', ['20: `show_record` has no branch `lands` (did you mean `lands_well`?)']],
    ['pulled(show_record.lands)', ['19: `show_record` has no branch `lands` (did you mean `lands_well`?)']],
    ['fired(show_record)', ['6: unknown event `show_record` (valid events: `boat_strike`)']],
    ['stance(eln) == "x"', ['7: actor `eln` has no stance statechart']],
    ['HOST >', ['6: syntax error: Expected expression after >']],
    ['HOST | 1', ['5: syntax error: Unexpected "|"']],
    ['this', ['0: `this` uses syntax that expressions do not support (ThisExpression)']],
    ['constructor > 1', ['0: unknown name `constructor` (valid names: `HOST`, `MIL`, `crisis`, `round`, `phase`, `relationship`, `elapsed_days`, `round_weeks`)']],
    ['__proto__ > 1', ['0: unknown name `__proto__` (valid names: `HOST`, `MIL`, `crisis`, `round`, `phase`, `relationship`, `elapsed_days`, `round_weeks`)']],
    ['params.__proto__ > 1', ['7: unknown parameter `__proto__` (valid parameters: `appetite`)']],
    ['params.constructor > 1', ['7: unknown parameter `constructor` (valid parameters: `appetite`)']],
    ['HOST.x > 1', ['0: only `params.NAME` may use a dot (tensions and derived values are read by name alone)']],
    ['foo(1) > 0', ['0: unknown function `foo`']],
    ['show_record', ['0: unknown name `show_record` (`show_record` is a lever: use `pulled(show_record)`)']],
    ["HOST == 'x'", ["0: cannot compare a number with the text 'x'"]],
    ['min() > 0', ['0: `min` takes 1 to 16 arguments, found 0']],
  ])('reports %s', (source, expected) => {
    expect(problems(source)).toEqual(expected);
  });

  it('reports problems in a probability expression', () => {
    expect(problems('HOST > 3', 'number')).toEqual(['0: expected a number, found a condition (true/false) (use `if(condition, a, b)` to turn a condition into a number)']);
  });
});
