#!/usr/bin/env node
/**
 * Calibration report for a scenario: outcome shares with 95% Wilson intervals at every
 * checkpoint, for the baseline and for each proposition (a policy or parameter change), and
 * the shift each proposition makes in the grouped outcomes it is about.
 *
 *   node scripts/build.mjs && node scripts/calibrate.mjs [scenario] [--runs N] [--seed S] [--only NAME,...] [--diag]
 *
 * The default scenario is petro-trump, whose propositions are listed below; another scenario
 * gets the baseline and its named policies. `--diag` adds mean final tensions and how often
 * each lever and event occurs per run (what a calibrator looks at when a share is off).
 * Uses the library build (`dist/index.js`): runs from a state (`forEachRun`), in lock step, with no trace.
 */
import { compile, deriveSeed, forEachRun, loadScenario, resolveParams, runner, wilson } from '../dist/index.js';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && ['--runs', '--seed', '--only'].includes(argv[i - 1])));
const scenarioRef = positional[0] ?? 'petro-trump';
const runs = Number(opt('runs', '4000'));
const seed = Number(opt('seed', '20260203'));
const only = opt('only', '')?.split(',').filter(Boolean) ?? [];
const diag = argv.includes('--diag');

const compiled = compile(loadScenario(scenarioRef));
const def = compiled.def;
const ids = def.outcomes.map((o) => o.id);
const checkpoints = def.phases.filter((p, i) => p.checkpoint || i === def.phases.length - 1).map((p) => p.id);

const ESC = ['public_blow_up', 'militarised_crisis'];
const DEESC = ['strategic_reset', 'conditional_truce'];
/** Propositions of the default scenario: a name, the run options, what to compare and with what. */
const PETRO = [
  { name: 'hawkish', options: { policy: 'hawkish' }, group: ESC, against: 'baseline', expect: 'up' },
  { name: 'restrained', options: { policy: 'restrained' }, group: ESC, against: 'baseline', expect: 'down' },
  { name: 'cooperative', options: { policy: 'cooperative' }, group: DEESC, against: 'baseline', expect: 'up' },
  { name: 'without_core', options: { policy: 'without_core' }, group: DEESC, against: 'baseline', expect: 'down' },
  { name: 'mediator_none', options: { params: { mediator_influence: 0 } }, group: DEESC, against: 'baseline', expect: 'down' },
  { name: 'mediator_strong', options: { params: { mediator_influence: 0.2 } }, group: DEESC, against: 'mediator_none', expect: 'up' },
  { name: 'hostility+25', options: { params: { hostility_shift: 25 } }, group: ESC, against: 'baseline', expect: 'up' },
  { name: 'january_peak', options: { params: { january_peak: 1 } }, group: ESC, against: 'baseline', expect: 'up' },
  { name: 'strike_appetite=0', options: { params: { strike_appetite: 0 } }, group: ['militarised_crisis'], against: 'baseline', expect: 'down' },
  { name: 'strike_appetite=1', options: { params: { strike_appetite: 1 } }, group: ['militarised_crisis'], against: 'strike_appetite=0', expect: 'up' },
];
const propositions =
  def.id === 'petro-trump' || scenarioRef === 'petro-trump'
    ? PETRO
    : [...def.policies.keys()].filter((p) => p !== 'default' && p !== 'random').map((p) => ({ name: p, options: { policy: p } }));

const pct = (x) => (x * 100).toFixed(1);
const fmt = (k, n) => {
  const [lo, hi] = wilson(k, n);
  return `${pct(k / n).padStart(5)}% [${pct(lo)}, ${pct(hi)}]`;
};

/** Outcome counts per checkpoint (and diagnostics) over `runs` seeded runs. */
function batch(options) {
  const counts = checkpoints.map(() => new Array(ids.length).fill(0));
  const tension = new Array(def.tensions.length).fill(0);
  const history = new Map();
  const params = resolveParams(def, options.params ?? {});
  forEachRun(runner(def, options.policy ?? 'default'), 0, runs, (i) => ({ params, seed: deriveSeed(seed, i), moves: [] }), (end) => {
    Array.from(end.judged).forEach((o, c) => counts[c][o]++);
    if (diag) {
      Array.from(end.tensions).forEach((v, j) => (tension[j] += v));
      end.state().cnt.forEach((v, j) => history.set(j, (history.get(j) ?? 0) + v));
    }
  });
  return { counts, tension: tension.map((v) => v / runs), history };
}

function report(name, result) {
  console.log(`\n## ${name}  (${runs} runs, seed ${seed})`);
  console.log(`${'outcome'.padEnd(22)}${checkpoints.map((c) => `end of ${c}`.padEnd(24)).join('')}`);
  ids.forEach((id, o) => console.log(`${id.padEnd(22)}${result.counts.map((c) => fmt(c[o], runs).padEnd(24)).join('')}`));
  if (diag) {
    console.log(`mean final tensions: ${def.tensions.map((t, j) => `${t.id} ${result.tension[j].toFixed(1)}`).join(', ')}`);
    const named = [];
    for (const lever of def.levers) named.push([lever.id, lever.historyKey]);
    for (const event of def.events) named.push([event.id, event.historyKey]);
    console.log(`per run: ${named.map(([id, k]) => `${id} ${((result.history.get(k) ?? 0) / runs).toFixed(2)}`).join(', ')}`);
  }
}

const groupCount = (result, group) => {
  const final = result.counts[result.counts.length - 1];
  return group.reduce((sum, id) => sum + final[ids.indexOf(id)], 0);
};

const results = new Map();
results.set('baseline', batch({}));
report('baseline (default policies)', results.get('baseline'));
for (const prop of propositions) {
  if (only.length && !only.includes(prop.name)) continue;
  results.set(prop.name, batch(prop.options));
  report(prop.name, results.get(prop.name));
}

if (propositions.some((p) => p.group)) {
  console.log('\n## Propositions (final checkpoint; holds when the 95% intervals are apart in the expected direction)');
  for (const prop of propositions) {
    if (!prop.group || !results.has(prop.name) || !results.has(prop.against)) continue;
    const a = groupCount(results.get(prop.name), prop.group);
    const b = groupCount(results.get(prop.against), prop.group);
    const [alo, ahi] = wilson(a, runs);
    const [blo, bhi] = wilson(b, runs);
    const holds = prop.expect === 'up' ? alo > bhi : ahi < blo;
    console.log(
      `${prop.name.padEnd(20)} ${prop.group.join('+').padEnd(38)} ${fmt(a, runs)} vs ${prop.against} ${fmt(b, runs)}  shift ${(a - b) / runs >= 0 ? '+' : ''}${pct((a - b) / runs)} pts  ${holds ? 'holds' : 'DOES NOT HOLD'}`,
    );
  }
}
