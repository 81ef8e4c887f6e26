/**
 * Deciding (see kernel.ts): the policy's choice for the deciding actor in every lane, and the
 * rules that a move of a player or of a branch code must keep.
 */
import { slot, type LeverDef, type ScenarioDefinition } from '../scenario/definition.ts';
import { actorNow, badSeed, evalInto, notFinite, weightError, type Kernel } from './kernel.ts';
import type { RunLanes } from './runs.ts';
import { isSeed, type Action, type PolicyChoice, type Rejection } from './types.ts';

/** Why the actor whose turn it is cannot pull `lever` in lane `i` now, or null when it can. */
export function unavailableOn(L: RunLanes, i: number, actor: number, lever: LeverDef): string | null {
  const def = L.def;
  L.a = actor;
  if (!lever.actors[actor]) return `only ${def.actors.filter((_, a) => lever.actors[a]).map((a) => a.name).join(', ')} may pull it`;
  const phase = def.rounds[L.g]!.phase;
  if (!lever.phases[phase]) return `not during ${def.phases[phase]!.label}`;
  const used = L.cnt[i * L.nh + lever.historyKey]!;
  if (used >= lever.maxUses) return `already used ${used === 1 ? 'once' : `${used} times`}`;
  if (lever.when && !lever.when.fn(L, i)) return lever.unavailable || `needs ${lever.whenSource}`;
  return null;
}

/**
 * The policy's choice for the deciding actor in every lane: `w.chosen[i]` is the index of the
 * lever among `candidates(…)`, or -1 to pass. With `explain` (one lane), how it chose.
 */
export function decide(k: Kernel, L: RunLanes, explain: boolean, actor = actorNow(L)): PolicyChoice | null {
  const { def, policy, w } = k;
  const n = L.n;
  const { sub, values, usable, weight } = w;
  const candidates = candidatesOf(def, L, actor);
  const rules = policy.actors[actor];
  L.a = actor;
  const nc = candidates.length;
  const { cnt, nh } = L;
  for (let c = 0; c < nc; c++) {
    const lever = candidates[c]!;
    const row = c * w.cap;
    usable.fill(0, row, row + n);
    // Uses left, then the precondition on the runs that have some.
    let m = 0;
    for (let i = 0; i < n; i++) if (cnt[i * nh + lever.historyKey]! < lever.maxUses) sub[m++] = i;
    if (m > 0 && lever.when) {
      evalInto(lever.when, L, sub, m, values);
      let kept = 0;
      for (let j = 0; j < m; j++) if (values[j] !== 0) sub[kept++] = sub[j]!;
      m = kept;
    }
    if (m === 0) continue;
    for (let j = 0; j < m; j++) usable[row + sub[j]!] = 1;
    if (rules) {
      evalInto(rules.weights[lever.index] ?? rules.otherwise, L, sub, m, values);
      for (let j = 0; j < m; j++) weight[row + sub[j]!] = values[j]!;
    } else for (let j = 0; j < m; j++) weight[row + sub[j]!] = 1;
  }
  if (rules?.pass) evalInto(rules.pass, L, w.all, n, w.pass);
  const { options, optionWeights, chosen } = w;
  const policySlot = slot.policy(actor);
  let explained: PolicyChoice | null = null;
  for (let i = 0; i < n; i++) {
    chosen[i] = -1;
    let count = 0;
    let total = 0;
    for (let c = 0; c < nc; c++) {
      if (usable[c * w.cap + i] === 0) continue;
      const x = weight[c * w.cap + i]!;
      if (notFinite(x)) throw weightError(def, policy, actor, candidates[c]!.id, x);
      const positive = x > 0 ? x : 0;
      options[count] = c;
      optionWeights[count++] = positive;
      total += positive;
    }
    if (count === 0) continue; // nothing to pull: the actor passes
    const pass = rules?.pass ? w.pass[i]! : 0;
    if (notFinite(pass)) throw weightError(def, policy, actor, 'pass', pass);
    const passWeight = pass > 0 ? pass : 0;
    total += passWeight;
    const draw = L.u[i * L.slots + policySlot]!;
    const index = pickOption(optionWeights, count, passWeight, total, draw);
    if (index < count) chosen[i] = options[index]!;
    if (explain) {
      const listed: { option: string; weight: number }[] = [];
      for (let o = 0; o < count; o++) listed.push({ option: candidates[options[o]!]!.id, weight: optionWeights[o]! });
      if (rules?.pass) listed.push({ option: 'pass', weight: passWeight });
      explained = { policy: policy.name, options: listed, draw };
    }
  }
  return explained;
}

/** The levers `actor` may pull in this phase, in file order (uses and preconditions aside). */
export function candidatesOf(def: ScenarioDefinition, L: RunLanes, actor: number): readonly LeverDef[] {
  return def.leversByActorPhase[actor]?.[def.rounds[L.g]!.phase] ?? [];
}

/**
 * Which of `n` options (weights `weights[0..n)`, then passing with `passWeight`; `total` is
 * their sum, added in that order) the draw picks: index `n` means pass.
 */
function pickOption(weights: Float64Array, n: number, passWeight: number, total: number, draw: number): number {
  if (!(total > 0)) return n;
  const target = draw * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (weights[i]! > 0) last = i;
    acc += weights[i]!;
    if (target < acc) return i;
  }
  // Rounding at the very top of the range: the last option with weight.
  return passWeight > 0 ? n : last;
}

/** Why `action` breaks the rules in lane `i`, or null when it does not. */
export function rejectOn(L: RunLanes, i: number, actor: number, action: Action): Rejection | null {
  if (L.ended) return reject('ended', 'the run has ended');
  if (action.type === 'reroll') return isSeed(action.seed) ? null : reject('bad-seed', badSeed(action.seed));
  if (action.type !== 'pull') return null;
  const def = L.def;
  const lever = def.leverById.get(action.lever);
  if (!lever) return reject('unknown-lever', `there is no lever \`${action.lever}\``);
  if (!lever.actors[actor]) return reject('not-actor', `${def.actors[actor]!.name} cannot pull \`${lever.id}\``);
  const why = unavailableOn(L, i, actor, lever);
  if (why !== null) {
    const reason = !lever.phases[def.rounds[L.g]!.phase] ? 'wrong-phase' : L.cnt[i * L.nh + lever.historyKey]! >= lever.maxUses ? 'used-up' : 'condition';
    return reject(reason, `\`${lever.id}\` is not available: ${why}`);
  }
  if (action.force !== undefined && !lever.branches.some((b) => b.id === action.force)) return reject('unknown-branch', `\`${lever.id}\` has no branch \`${action.force}\``);
  return null;
}

const reject = (reason: Rejection['reason'], message: string): Rejection => ({ type: 'rejected', reason, message });
