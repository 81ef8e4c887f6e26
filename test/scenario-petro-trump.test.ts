/**
 * The default scenario (petro-trump): complete and sourced, and its behaviour stated as
 * propositions over seeded batches. Each proposition compares two outcome shares with a 95%
 * interval for their difference (Newcombe's hybrid score interval built from Wilson intervals),
 * so it holds only when the whole interval lies on the claimed side of zero. `npm test` runs
 * 1,500 runs per configuration; CI (PARLEY_SLOW=1) repeats everything with 10,000.
 * `node scripts/calibrate.mjs` prints the same figures as tables.
 */
import { describe, expect, it } from 'vitest';
import { compile, deriveSeed, loadScenario, run, type RunOptions } from '../src/index.ts';

const compiled = compile(loadScenario('petro-trump'));
const def = compiled.def;
const ids = def.outcomes.map((o) => o.id);
const SEED = 20260203;
const Z = 1.959963984540054;

const ESCALATION = ['public_blow_up', 'militarised_crisis'];
const DE_ESCALATION = ['strategic_reset', 'conditional_truce'];
const MILITARISED = ['militarised_crisis'];

type Checkpoint = 'meeting' | 'final';
type Config = Omit<RunOptions, 'seed'>;

/** Outcome counts at the end of the meeting and at the end of the run. */
interface Batch {
  readonly n: number;
  readonly meeting: number[];
  readonly final: number[];
}

const batches = new Map<string, Batch>();
function batch(config: Config, n: number): Batch {
  const key = `${n}:${JSON.stringify(config)}`;
  const cached = batches.get(key);
  if (cached) return cached;
  const meeting = new Array<number>(ids.length).fill(0);
  const final = new Array<number>(ids.length).fill(0);
  for (let i = 0; i < n; i++) {
    const { state } = run(compiled, { ...config, seed: deriveSeed(SEED, i), executor: 'fast', trace: false });
    meeting[state.judged[0]!]!++;
    final[state.outcome]!++;
  }
  const result = { n, meeting, final };
  batches.set(key, result);
  return result;
}

function wilson(k: number, n: number): [number, number] {
  const p = k / n;
  const z2 = Z * Z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

interface Share {
  readonly k: number;
  readonly n: number;
  readonly p: number;
  readonly ci: [number, number];
}

function share(b: Batch, outcomes: readonly string[], at: Checkpoint = 'final'): Share {
  const counts = at === 'meeting' ? b.meeting : b.final;
  const k = outcomes.reduce((sum, id) => {
    const i = ids.indexOf(id);
    expect(i, `unknown outcome ${id}`).toBeGreaterThanOrEqual(0);
    return sum + counts[i]!;
  }, 0);
  return { k, n: b.n, p: k / b.n, ci: wilson(k, b.n) };
}

/** 95% interval for p(a) − p(b), independent samples (Newcombe 1998, method 10). */
function difference(a: Share, b: Share): [number, number] {
  const d = a.p - b.p;
  return [d - Math.hypot(a.p - a.ci[0], b.ci[1] - b.p), d + Math.hypot(a.ci[1] - a.p, b.p - b.ci[0])];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const show = (s: Share) => `${pct(s.p)} [${pct(s.ci[0])}, ${pct(s.ci[1])}]`;

/** Asserts that `higher` is more likely than `lower`: the difference's interval is above zero. */
function expectHigher(higher: Share, lower: Share, what: string): void {
  const [lo, hi] = difference(higher, lower);
  expect(lo, `${what}: ${show(higher)} vs ${show(lower)}, difference [${pct(lo)}, ${pct(hi)}]`).toBeGreaterThan(0);
}

/** Every proposition, over `n` runs per configuration. */
function propositions(n: number): void {
  const base = () => batch({}, n);

  it('all five outcomes occur by the end of Petro’s term, and none in more than 60% of runs', () => {
    for (const id of ids) {
      const s = share(base(), [id]);
      expect(s.k, `${id} never occurs`).toBeGreaterThan(0);
      expect(s.ci[1], `${id}: ${show(s)}`).toBeLessThan(0.6);
    }
  });

  it('the meeting itself ends within ten points of the brief’s priors: mostly a thaw, a truce or a reset, a blow-up in about one run in six, a militarised crisis rarely', () => {
    const priors: Record<string, number> = { strategic_reset: 0.15, cordial_but_thin: 0.4, conditional_truce: 0.25, public_blow_up: 0.15, militarised_crisis: 0.05 };
    for (const id of ids) {
      const s = share(base(), [id], 'meeting');
      const prior = priors[id]!;
      expect(s.ci[1], `${id}: ${show(s)} against a prior of ${pct(prior)}`).toBeGreaterThan(prior - 0.1);
      expect(s.ci[0], `${id}: ${show(s)} against a prior of ${pct(prior)}`).toBeLessThan(prior + 0.1);
    }
  });

  it('pulling the escalation levers (land strikes, coercion, hostile rhetoric) raises the probability of a blow-up or militarised crisis compared with not pulling them', () => {
    const hawkish = share(batch({ policy: 'hawkish' }, n), ESCALATION);
    const restrained = share(batch({ policy: 'restrained' }, n), ESCALATION);
    expectHigher(hawkish, share(base(), ESCALATION), 'hawkish against the default');
    expectHigher(share(base(), ESCALATION), restrained, 'the default against never escalating');
  });

  it('the cooperative core (counter-narcotics record, kingpin list, intelligence sharing, ELN border plan) raises the probability of a reset or a conditional truce', () => {
    const cooperative = share(batch({ policy: 'cooperative' }, n), DE_ESCALATION);
    const withoutCore = share(batch({ policy: 'without_core' }, n), DE_ESCALATION);
    expectHigher(cooperative, share(base(), DE_ESCALATION), 'the cooperative policy against the default');
    expectHigher(share(base(), DE_ESCALATION), withoutCore, 'the default against a Petro who never pulls the core');
  });

  it('an active mediator channel (Rand Paul) shifts outcomes toward de-escalation and away from escalation', () => {
    const strong = batch({ params: { mediator_influence: 0.2 } }, n);
    const none = batch({ params: { mediator_influence: 0 } }, n);
    expectHigher(share(strong, DE_ESCALATION), share(none, DE_ESCALATION), 'reset or truce, strong channel against none');
    expectHigher(share(none, ESCALATION), share(strong, ESCALATION), 'blow-up or crisis, no channel against a strong one');
  });

  it('a higher starting hostility shifts outcomes toward blow-up and crisis, at the end of the meeting and at the end', () => {
    const hostile = batch({ params: { hostility_shift: 25 } }, n);
    expectHigher(share(hostile, ESCALATION, 'meeting'), share(base(), ESCALATION, 'meeting'), 'end of the meeting');
    expectHigher(share(hostile, ESCALATION), share(base(), ESCALATION), 'end of the aftermath');
  });

  it('starting from the January peak (before the 7 January call) shifts outcomes toward blow-up and crisis, at the end of the meeting and at the end', () => {
    const peak = batch({ params: { january_peak: 1 } }, n);
    expectHigher(share(peak, ESCALATION, 'meeting'), share(base(), ESCALATION, 'meeting'), 'end of the meeting');
    expectHigher(share(peak, ESCALATION), share(base(), ESCALATION), 'end of the aftermath');
  });

  it('raising the US appetite for strikes raises the probability of a militarised crisis, step by step', () => {
    const none = share(batch({ params: { strike_appetite: 0 } }, n), MILITARISED);
    const high = share(batch({ params: { strike_appetite: 1 } }, n), MILITARISED);
    expectHigher(share(base(), MILITARISED), none, 'default appetite (0.5) against none');
    expectHigher(high, share(base(), MILITARISED), 'full appetite against the default');
  });
}

describe('the Petro–Trump scenario is complete and sourced', () => {
  it('has the timeline of the issue: the eve, the meeting in rounds, weekly aftermath to the end of Petro’s term, judged after the meeting and at the end', () => {
    expect(def.start).toBe('2026-02-02');
    expect(def.phases.map((p) => [p.id, p.checkpoint])).toEqual([['lead_up', false], ['meeting', true], ['aftermath', true]]);
    const last = def.rounds[def.rounds.length - 1]!;
    expect(last.date >= '2026-07-29' && last.date <= '2026-08-07', last.date).toBe(true);
  });

  it('tells the article’s facts in its descriptions', () => {
    const text = [def.description, ...def.actors.map((a) => a.description), ...def.tensions.map((t) => t.doc)].join(' ');
    for (const fact of ['3 January', '1,367-mile', '2,200 km', '180-degree turn', 'DEA', 'end of his single term']) expect(text).toContain(fact);
  });

  it('has the five outcome categories, the brief’s ten tensions and thirteen levers, and parameters with defaults inside their ranges', () => {
    expect(ids).toEqual(['militarised_crisis', 'public_blow_up', 'strategic_reset', 'conditional_truce', 'cordial_but_thin']);
    expect(def.tensions.map((t) => t.id)).toEqual(['MIL', 'NARC', 'HOST', 'SOV', 'ECON', 'BORD', 'CHAN', 'DOMCO', 'DOMUS', 'REG']);
    const levers = def.levers.map((l) => l.id);
    for (const id of ['show_record', 'kingpin_list', 'extraditions', 'land_strikes', 'ofac_relief', 'intel_sharing', 'trump_threaten', 'petro_denounce', 'meeting_format', 'border_plan', 'energy_linkage', 'trade_coercion', 'back_channel', 'ecuador_mediation', 'migration_protocol']) expect(levers).toContain(id);
    for (const p of def.parameters) expect(p.default >= p.min && p.default <= p.max, p.id).toBe(true);
    for (const id of ['strike_appetite', 'eln_activity', 'mediator_influence', 'audience_cost', 'january_peak', 'hostility_shift']) expect(def.parameters.map((p) => p.id)).toContain(id);
  });

  it('cites a source or marks a judgement call on every number a student may ask about', () => {
    const sources = new Set(def.sources.map((s) => s.id));
    const items = [
      ...def.parameters.map((x) => ['parameter', x] as const),
      ...def.tensions.map((x) => ['tension', x] as const),
      ...def.levers.map((x) => ['lever', x] as const),
      ...def.events.map((x) => ['event', x] as const),
      ...def.mediators.map((x) => ['mediator', x] as const),
      ...def.couplings.map((x) => ['coupling', x] as const),
      ...def.outcomes.map((x) => ['outcome', x] as const),
    ];
    for (const [kind, item] of items) {
      expect(item.cite.length > 0 || item.judgement, `${kind} ${item.id} neither cites nor is marked a judgement`).toBe(true);
      for (const c of item.cite) expect(sources.has(c), `${kind} ${item.id} cites unknown ${c}`).toBe(true);
    }
    expect(def.sources.map((s) => s.id)).toContain('S0');
  });
});

describe('the Petro–Trump scenario under its default policies (1,500 runs per configuration)', () => {
  propositions(1500);
});

describe.runIf(process.env.PARLEY_SLOW)('the Petro–Trump scenario under its default policies (10,000 runs per configuration)', () => {
  propositions(10_000);
});
