// `npm run bench`: the figures of the fast executor and of `parley batch` on the default
// scenario. It prints numbers and never fails on a slow machine.
//
//   npm run bench                     full sizes (a few minutes on 2 cores)
//   npm run bench -- --quick          small sizes (seconds)
//   npm run bench -- --scenario FILE --xstate-runs N --fast-runs N --scaling-runs N
//                    --mem-small N --mem-mid N --mem-large N --big-runs N --skip-big
//                    --skip-odds (the odds and lever-comparison figures of `parley odds` and `parley compare`, and play's what-if odds)
//                    --rounds-runs N --skip-rounds (the cost of `--record rounds`)
//                    --parquet-runs N --skip-parquet (Parquet against CSV sizes)
//                    --pairing-runs N --skip-pairing (standard error of a paired contrast against an unpaired one)
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const quick = flag('quick');
const size = (name, full, small) => Number(option(name, quick ? small : full));

const defaultScenario = join(root, 'scenarios', 'petro-trump.yaml');
const scenario = option('scenario', existsSync(defaultScenario) ? defaultScenario : join(root, 'test', 'fixtures', 'mini.yaml'));
const sizes = {
  xstate: size('xstate-runs', 1_000, 200),
  fast: size('fast-runs', 30_000, 5_000),
  scaling: size('scaling-runs', 300_000, 40_000),
  memSmall: size('mem-small', 10_000, 2_000),
  memMid: size('mem-mid', 100_000, 10_000),
  memLarge: size('mem-large', 1_000_000, 40_000),
  big: size('big-runs', 1_000_000, 40_000),
  rounds: size('rounds-runs', 4_000, 1_000),
  parquet: size('parquet-runs', 1_500, 300),
  pairing: size('pairing-runs', 4_000, 1_000),
};

const lib = await import(new URL('../dist/index.js', import.meta.url).href);
const { default: runTask } = await import(new URL('../dist/batch-worker.js', import.meta.url).href);
const def = lib.loadScenario(scenario);
const compiled = lib.compile(def);
const now = () => performance.now();
const fmt = (x, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const out = (label, value, note = '') => console.log(`  ${label.padEnd(44)} ${String(value).padStart(14)}${note ? `   ${note}` : ''}`);

console.log(`parley bench — scenario ${def.id} (${scenario.replace(root, '')}), node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'})${quick ? ', quick sizes' : ''}\n`);

// 1. Executors, one thread, no trace. Each is timed three times and the fastest counts, so a
// pause of the virtual machine or an unlucky collection does not decide the ratio.
function timeExecutor(executor, runs, trace = false) {
  for (let i = 0; i < Math.min(200, runs); i++) lib.run(compiled, { seed: i, executor, trace }); // warm-up
  let best = null;
  for (let rep = 0; rep < 3; rep++) {
    let steps = 0;
    const t = now();
    for (let i = 0; i < runs; i++) steps += lib.run(compiled, { seed: 1_000_000 + i, executor, trace }).state.step;
    const ms = now() - t;
    if (!best || ms < best.ms) best = { ms, steps };
  }
  const { ms, steps } = best;
  return { runsPerSec: (runs / ms) * 1000, usPerStep: (ms * 1000) / steps, stepsPerRun: steps / runs };
}
function timeBatchLoop(runs, format, rounds = null, cpu = false) {
  const plan = { scenarioFile: scenario, hash: def.hash, policy: 'default', seed: 1, runsPerPoint: runs, branch: null, format, rounds };
  const params = def.parameters.map((p) => p.default);
  runTask({ plan, start: 0, end: Math.min(2000, runs), points: { 0: params } }); // warm-up
  let best = Infinity;
  // On a shared machine the thread's CPU time says more than the wall clock (cpu: true).
  const clock = cpu ? () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; } : now;
  for (let rep = 0; rep < (cpu ? 5 : 3); rep++) {
    const t = clock();
    for (let start = 0; start < runs; start += 2048) {
      const r = runTask({ plan, start, end: Math.min(runs, start + 2048), points: { 0: params } });
      if (r.failed) throw new Error(r.message);
    }
    best = Math.min(best, clock() - t);
  }
  return (runs / best) * 1000;
}

console.log('executors (one thread, trace off, best of 3)');
const xs = timeExecutor('xstate', sizes.xstate);
out('xstate executor: runs/s', fmt(xs.runsPerSec), `${fmt(xs.usPerStep, 2)} µs/step, ${fmt(xs.stepsPerRun, 1)} steps/run, ${fmt(sizes.xstate)} runs`);
// The fast executor as batches run it: 256 runs in lock step, expressions in vector form.
const loopBare = timeBatchLoop(sizes.fast, null);
out('fast executor, batch loop: runs/s', fmt(loopBare), `${fmt(1e6 / loopBare / xs.stepsPerRun, 3)} µs/step, tallies only`);
const ratio = loopBare / xs.runsPerSec;
out('fast (batch loop) / xstate', `${fmt(ratio, 1)}×`, `target ≥ 20× ${ratio >= 20 ? '✓' : '✗'}`);
const loopCsv = timeBatchLoop(sizes.fast, 'csv');
out('fast executor, batch loop with CSV rows: runs/s', fmt(loopCsv));
// One run at a time (run(): `parley run --executor fast`, lint's sampled runs).
const fs_ = timeExecutor('fast', sizes.fast);
out('fast executor, one run at a time: runs/s', fmt(fs_.runsPerSec), `${fmt(fs_.usPerStep, 3)} µs/step, ${fmt(sizes.fast)} runs`);
out('fast (one run at a time) / xstate', `${fmt(fs_.runsPerSec / xs.runsPerSec, 1)}×`);
// A traced run: one lane with a log of happenings and odds explanations (`parley run --executor fast --json`).
const traced = timeExecutor('fast', Math.max(1000, Math.floor(sizes.fast / 5)), true);
out('fast executor, traced run: runs/s', fmt(traced.runsPerSec), `${fmt(traced.usPerStep, 3)} µs/step, with every happening and explanation`);

// Where the batch loop's time goes: self time by function, sampled by V8's profiler.
if (!flag('skip-profile')) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  timeBatchLoop(Math.floor(sizes.fast / 3), null);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const self = new Map();
  const counts = new Map();
  profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  for (const node of profile.nodes) {
    const { functionName, url } = node.callFrame;
    const file = url.split('/').pop() ?? '';
    const where = file.startsWith('chunk-') || file.startsWith('index') || file.startsWith('batch-worker') ? 'parley' : file || 'V8';
    const name = functionName ? `${functionName} (${where})` : where === 'parley' ? 'expression forms (parley)' : `${node.callFrame.functionName || '(anonymous)'} ${where}`;
    self.set(name, (self.get(name) ?? 0) + (counts.get(node.id) ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log('\nwhere the batch loop\'s time goes (self time, sampled)');
  for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)) out(name, `${fmt((t / total) * 100, 1)} %`);
}

// 2. parley batch as a user runs it, in a child process (peak memory includes worker threads).
const work = mkdtempSync(join(tmpdir(), 'parley-bench-'));
let counter = 0;
function batch(runs, workers, withRows = true) {
  const id = counter++;
  const report = join(work, `report-${id}.json`);
  const summary = join(work, `summary-${id}.json`);
  const rowArgs = withRows ? ['--out', join(work, `rows-${id}.csv`)] : [];
  const t = now();
  const r = spawnSync(process.execPath, [join(root, 'bench', 'child.mjs'), 'batch', scenario, '--runs', String(runs), '--seed', '1', '--workers', String(workers), '--summary', summary, ...rowArgs], {
    env: { ...process.env, PARLEY_BENCH_REPORT: report },
    encoding: 'utf8',
  });
  const wall = (now() - t) / 1000;
  if (r.status !== 0) {
    console.log(`  batch of ${runs} runs failed (exit ${r.status}): ${r.stderr.trim()}`);
    return null;
  }
  const s = JSON.parse(readFileSync(summary, 'utf8'));
  const m = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(join(work, `rows-${id}.csv`), { force: true });
  return { wall, inner: s.wallSeconds, rate: s.runsPerSecond, rssMiB: m.maxRssKiB / 1024 };
}

console.log('\nparley batch (CSV rows to a file, summary JSON)');
const one = batch(sizes.scaling, 1);
const two = batch(sizes.scaling, 2);
if (one && two) {
  out(`${fmt(sizes.scaling)} runs, 1 worker`, `${fmt(one.inner, 2)} s`, `${fmt(one.rate)} runs/s`);
  out(`${fmt(sizes.scaling)} runs, 2 workers`, `${fmt(two.inner, 2)} s`, `${fmt(two.rate)} runs/s`);
  const speedup = one.inner / two.inner;
  out('2 workers / 1 worker', `${fmt(speedup, 2)}×`, `target ≥ 1.8× ${speedup >= 1.8 ? '✓' : '✗'}`);
}
const small = batch(sizes.memSmall, 2);
const mid = batch(sizes.memMid, 2);
const large = sizes.memLarge === sizes.scaling && two ? two : batch(sizes.memLarge, 2);
if (small && large) {
  out(`peak RSS, ${fmt(sizes.memSmall)} runs`, `${fmt(small.rssMiB, 1)} MiB`);
  if (mid) out(`peak RSS, ${fmt(sizes.memMid)} runs`, `${fmt(mid.rssMiB, 1)} MiB`);
  out(`peak RSS, ${fmt(sizes.memLarge)} runs`, `${fmt(large.rssMiB, 1)} MiB`);
  const memRatio = large.rssMiB / small.rssMiB;
  out('peak memory ratio', `${fmt(memRatio, 2)}×`, `target ≤ 1.5× ${memRatio <= 1.5 ? '✓' : '✗'}`);
}
if (!flag('skip-big')) {
  const big = sizes.big === sizes.scaling && two ? two : batch(sizes.big, 2);
  if (big) out(`${fmt(sizes.big)} runs, 2 workers, wall (process)`, `${fmt(big.wall, 2)} s`, `${fmt(sizes.big / big.wall)} runs/s; target ≤ 35 s for 1,000,000 ${big.wall * (1_000_000 / sizes.big) <= 35 ? '✓' : '✗'}`);
  // The same batch writing only the summary: the cost of simulating, without formatting rows.
  const bare = batch(sizes.big, 2, false);
  if (bare) out(`${fmt(sizes.big)} runs, 2 workers, summary only`, `${fmt(bare.wall, 2)} s`, `${fmt(bare.rate)} runs/s`);
}
rmSync(work, { recursive: true, force: true });

// 2a. Research outputs (issue 14): the cost of `--record rounds`, Parquet against CSV, paired seeds.
function parley(cwd, ...argv) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'parley.js'), ...argv], { cwd, encoding: 'utf8', env: { ...process.env, PARLEY_PROGRESS_SECONDS: '0' } });
  if (r.status !== 0) console.log(`  parley ${argv.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.status === 0;
}
const sizeOf = (file) => (existsSync(file) ? statSync(file).size : NaN);
const kb = (bytes) => `${fmt(bytes / 1024)} KB`;
if (!flag('skip-rounds') || !flag('skip-parquet') || !flag('skip-pairing')) console.log('\nresearch outputs');
if (!flag('skip-rounds')) {
  // In-process chunks, CPU time of the thread (best of 5): rows alone, then rows and rounds.
  const rows = timeBatchLoop(sizes.rounds, 'csv', null, true);
  const perRun = def.rounds.length;
  for (const format of ['csv', 'jsonl']) {
    const withRounds = timeBatchLoop(sizes.rounds, 'csv', format, true);
    const us = (1e6 / withRounds - 1e6 / rows) / perRun;
    out(`--record rounds (${format.toUpperCase()}): runs/s`, fmt(withRounds), `${fmt(rows)} runs/s with rows alone; ${fmt(us, 2)} µs per round row (${perRun} rounds a run, ${fmt(sizes.rounds)} runs, CPU time)`);
  }
}
if (!flag('skip-parquet')) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-pq-'));
  const args = ['batch', scenario, '--runs', String(sizes.parquet), '--seed', '1', '--quiet', '--summary', 's.json', '--force', '--record', 'rounds'];
  if (parley(dir, ...args, '--out', 'r.csv', '--rounds', 'ro.csv') && parley(dir, ...args, '--out', 'r.parquet', '--rounds', 'ro.parquet')) {
    const [rc, rp, oc, op] = ['r.csv', 'r.parquet', 'ro.csv', 'ro.parquet'].map((f) => sizeOf(join(dir, f)));
    out(`Parquet / CSV, rows of ${fmt(sizes.parquet)} runs`, `${fmt((rp / rc) * 100)} %`, `${kb(rp)} against ${kb(rc)}`);
    out(`Parquet / CSV, their rounds (${fmt(sizes.parquet * def.rounds.length)} rows)`, `${fmt((op / oc) * 100)} %`, `${kb(op)} against ${kb(oc)}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
if (!flag('skip-pairing') && def.id === 'petro-trump') {
  // The share of calm (strategic_reset + conditional_truce) at mediator_influence 0.2 minus 0.
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-pair-'));
  const args = ['batch', scenario, '--runs', String(sizes.pairing), '--seed', '11', '--sweep', 'mediator_influence=0:0.2:2', '--group', 'calm=strategic_reset+conditional_truce', '--quiet'];
  if (parley(dir, ...args, '--summary', 'paired.json') && parley(dir, ...args, '--seeds', 'independent', '--summary', 'independent.json')) {
    const paired = JSON.parse(readFileSync(join(dir, 'paired.json'), 'utf8'));
    const independent = JSON.parse(readFileSync(join(dir, 'independent.json'), 'utf8'));
    const n = sizes.pairing;
    const c = paired.contrasts[0].measures.calm;
    const { fromOnly: b, toOnly: d } = c.exact;
    const sePaired = Math.sqrt(b + d - (b - d) ** 2 / n) / n;
    const [p0, p1] = independent.cells.map((cell) => cell.groups.calm.proportion);
    const seIndependent = Math.sqrt((p0 * (1 - p0)) / n + (p1 * (1 - p1)) / n);
    out('standard error of a contrast, paired seeds', fmt(sePaired, 4), `difference ${fmt(c.difference, 3)}, 95% [${fmt(c.ci95[0], 3)}, ${fmt(c.ci95[1], 3)}] (calm at mediator_influence 0.2 − 0, ${fmt(n)} runs a point)`);
    out('standard error of a contrast, independent seeds', fmt(seIndependent, 4), `difference ${fmt(p1 - p0, 3)}; paired / independent ${fmt(sePaired / seIndependent, 2)}, as ${fmt((seIndependent / sePaired) ** 2, 1)}× as many runs would`);
  }
  rmSync(dir, { recursive: true, force: true });
}

// 2b. Odds and lever comparisons (issue 13): `parley odds` from the start to ±1 point, as a user
// runs it (a child process, start-up included) and in-process; `compare` at the first decision of
// Petro, paired intervals against independent ones at equal runs.
if (!flag('skip-odds') && def.id === 'petro-trump') {
  console.log('\nodds and lever comparisons (petro-trump)');
  const walls = [];
  let doc = null;
  for (let rep = 0; rep < 3; rep++) {
    const t = now();
    const r = spawnSync(process.execPath, [join(root, 'bin', 'parley.js'), 'odds', '--precision', '0.01', '--json'], { encoding: 'utf8' });
    walls.push(now() - t);
    if (r.status === 0) doc = JSON.parse(r.stdout);
  }
  walls.sort((a, b) => a - b);
  const wall = walls[1] / 1000;
  if (doc) out('parley odds, from the start, ±1 point', `${fmt(wall, 2)} s`, `median of 3, ${fmt(doc.runs)} runs, half-width ±${fmt(doc.halfWidth * 100, 2)} pt; target ≤ 1.5 s ${wall <= 1.5 ? '✓' : '✗'}`);
  const node = lib.startNode(def, 1, def.parameters.map((p) => p.default));
  let best = Infinity;
  let cpu = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const c = process.cpuUsage();
    const t = now();
    lib.odds(compiled, node, { policy: 'default', precision: 0.01, seed: 1 });
    best = Math.min(best, now() - t);
    const used = process.cpuUsage(c);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  out('odds(), in process, ±1 point', `${fmt(best / 1000, 2)} s`, `best of 3 (${fmt(cpu / 1000, 2)} s of CPU)`);
  const petroFirst = lib.codeNode(def, 'default', 1, node.state.p, [{ step: 1, action: { type: 'reroll', seed: 1 } }]);
  const t = now();
  const cmp = lib.compareLevers(compiled, petroFirst, { policy: 'default', goal: lib.outcomeGoal(def, ['strategic_reset']), runs: 2000, seed: 1 });
  const ms = now() - t;
  const each = cmp.arms.filter((a) => a.vsPolicy).map((a) => `${a.id} ${fmt(a.vsPolicy.narrower ?? 0, 1)}×`).join(', ');
  out("compare at Petro's first decision: paired / independent", `${fmt(cmp.narrower, 1)}×`, `median at equal runs per move (${fmt(cmp.narrowerAtEqualTotal, 1)}× at equal runs in all); ${each} (2,000 runs per move, ${fmt(ms / 1000, 1)} s); target ≥ 3× ${cmp.narrower >= 3 ? '✓' : '✗'}`);
  // Play's what-if odds (w) at Petro's first decision in the meeting: every move, 1,000 runs each,
  // on the advice worker thread as the play screen asks for them (the first request starts the
  // thread and loads the scenario there; the second is another node's).
  const meeting = lib.codeNode(def, 'default', 11, node.state.p, [{ step: 1, action: { type: 'pull', lever: 'petro_praise' } }, { step: 3, action: { type: 'reroll', seed: 11 } }]);
  const worker = new Worker(join(root, 'dist', 'advice-worker.js'));
  const ask = (state, id) => new Promise((resolve, reject) => {
    const t0 = now();
    const onMessage = (m) => {
      if (m.id !== id || m.type === 'progress') return;
      worker.off('message', onMessage);
      if (m.type === 'done') resolve({ ms: now() - t0, moves: m.advice.moves.length });
      else reject(new Error(m.message));
    };
    worker.on('message', onMessage);
    worker.postMessage({ type: 'advise', id, request: { scenario: { file: def.file, hash: def.hash }, exercise: null, state, policy: 'default', goal: { kind: 'outcomes', ids: ['strategic_reset', 'conditional_truce', 'cordial_but_thin'] }, runs: 1000 } });
  });
  const first = await ask(meeting.state, 1);
  const second = await ask(petroFirst.state, 2);
  await worker.terminate();
  out("play's what-if odds (w), on the worker", `${fmt(first.ms / 1000, 2)} s`, `Petro's first meeting decision, ${first.moves} moves × 1,000 runs, thread start and scenario load included; another node then ${fmt(second.ms / 1000, 2)} s (${second.moves} moves)`);
}

// 3. Start-up: a one-run command against a bare node.
function median(cmd, argv, n = 7) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    spawnSync(cmd, argv, { stdio: 'ignore' });
    times.push(now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)];
}
console.log('\nstart-up (median of 7)');
const bare = median(process.execPath, ['-e', '0']);
const runCmd = median(process.execPath, [join(root, 'bin', 'parley.js'), 'run', ...(scenario === defaultScenario ? [] : [scenario]), '--seed', '1']);
out('node -e 0', `${fmt(bare)} ms`);
out(`parley run ${scenario === defaultScenario ? '' : '<scenario> '}--seed 1`, `${fmt(runCmd)} ms`, `${fmt(runCmd / bare, 1)}× node; target ≤ 4× ${runCmd <= 4 * bare ? '✓' : '✗'}`);
