// The rows of rounds (`--record rounds`) are written by a lean byte writer (src/batch/rounds.ts);
// they must be byte for byte those of the straightforward writer it replaced
// (test/support/rounds-reference.ts), for generated scenarios and the bundled ones, in CSV and
// JSONL, whatever the lock-step groups.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runGroup, runner, type RunStart } from '../src/analysis/runs.ts';
import { chunkContext, runChunk, runStart, type BatchPlan } from '../src/batch/chunk.ts';
import { RowBuffer, rowLayout, type RowFormat } from '../src/batch/rows.ts';
import { loadScenario } from '../src/scenario/load.ts';
import type { ScenarioDefinition } from '../src/scenario/definition.ts';
import { generatedScenario } from './support/arbitrary.ts';
import { ReferenceRoundRecorder } from './support/rounds-reference.ts';

function planFor(def: ScenarioDefinition, format: RowFormat, runsPerPoint: number, seed: number): BatchPlan {
  return { scenarioFile: def.file ?? '', hash: def.hash, policy: 'default', seed, runsPerPoint, branch: null, format: null, rounds: format };
}

/** Two design points: the defaults, and every parameter at its lower bound. */
const pointsOf = (def: ScenarioDefinition) => ({ 0: def.parameters.map((p) => p.default), 1: def.parameters.map((p) => p.min) });

/** The rounds of runs `0..2n)` by the reference writer, in lock-step groups of `group` runs. */
function reference(def: ScenarioDefinition, format: RowFormat, n: number, seed: number, group: number): string {
  const plan = planFor(def, format, n, seed);
  const points = pointsOf(def);
  const r = runner(def, 'default');
  const rec = new ReferenceRoundRecorder(def, format, r.L.capacity);
  const out = new RowBuffer();
  r.L.onRoundEnd = rec.hook;
  for (let from = 0; from < 2 * n; from += group) {
    const starts: (RunStart & { point: number })[] = [];
    for (let i = from; i < Math.min(2 * n, from + group); i++) {
      const point = Math.floor(i / n);
      const s = runStart(plan, def.id, i);
      starts.push({ params: points[point as 0 | 1], seed: s.startSeed, moves: s.moves, point });
    }
    rec.clear(starts.length);
    runGroup(r, starts, (_, j) => {
      const i = from + j;
      const point = starts[j]!.point;
      rec.take(r.L.n === starts.length ? j : 0, out, i, point, i - point * n);
    });
  }
  r.L.onRoundEnd = null;
  return out.take();
}

/** The rounds of the same runs as a batch's chunks write them (chunks of `chunk` runs, small first groups). */
function chunks(def: ScenarioDefinition, format: RowFormat, n: number, seed: number, chunk: number): string {
  const plan = planFor(def, format, n, seed);
  const ctx = chunkContext(runner(def, 'default'), rowLayout(def, 'default'));
  let text = '';
  for (let start = 0; start < 2 * n; ) {
    // sliceMs makes the chunk start with groups of 8 runs and size the next ones by time.
    const r = runChunk(ctx, { plan, start, end: Math.min(2 * n, start + chunk), points: pointsOf(def) }, { sliceMs: 1e9 });
    text += r.rounds ?? '';
    start = r.end;
  }
  return text;
}

const formats: RowFormat[] = ['csv', 'jsonl'];

describe('rows of rounds', () => {
  it('are the reference writer\'s bytes on generated scenarios, CSV and JSONL', () => {
    fc.assert(
      fc.property(generatedScenario, fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 }), (def, seed, chunk, group) => {
        for (const format of formats) expect(chunks(def, format, 30, seed, chunk)).toBe(reference(def, format, 30, seed, group));
      }),
      { numRuns: 40 },
    );
  });

  for (const file of ['scenarios/petro-trump.yaml', 'scenarios/river-dispute.yaml', 'test/fixtures/mini.yaml']) {
    it(`are the reference writer's bytes on ${file}, CSV and JSONL`, () => {
      const def = loadScenario(file);
      for (const format of formats) {
        const text = chunks(def, format, 150, 7, 97);
        expect(text).toBe(reference(def, format, 150, 7, 256));
        expect(text.split('\n').length - 1).toBe(300 * def.rounds.length);
      }
    });
  }

  it('have not changed for petro-trump (SHA-256 of 300 runs\' rounds)', () => {
    const def = loadScenario('scenarios/petro-trump.yaml');
    const hash = (format: RowFormat) => createHash('sha256').update(chunks(def, format, 150, 7, 97)).digest('hex');
    expect({ csv: hash('csv'), jsonl: hash('jsonl') }).toEqual({ csv: '80939fb411da5ceb36761bbbe212e3eb423d4b8397d6a33a68ae00a7a473d8b0', jsonl: '6939c935cfd9cfa866a8293f5976810a46dd4c91f54159b8faae4a3476bb0006' });
  });
});
