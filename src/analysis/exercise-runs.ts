/**
 * Runs of an exercise, judged: which seeds they play and how each one is judged against the
 * objective and scored. One code path for `parley batch --exercise` (a batch's chunks) and for
 * lint's exercise checks (`sampleExercise`), so that both size an exercise the same way.
 */
import { resolveParams } from '../engine/engine.ts';
import { deriveSeed } from '../engine/rng.ts';
import { judgeExercise, type Exercise } from '../scenario/exercise.ts';
import { PointAccumulator } from '../stats/stats.ts';
import { forEachRun, runner, type RunEnd } from './runs.ts';

/**
 * Seed of replicate `replicate` (run index `index`) of an exercise's runs: the exercise's own
 * seeds first — the runs every section of a class plays — then seeds derived from `base`.
 */
export function exerciseSeed(seeds: readonly number[], replicate: number, otherwise: () => number): number {
  return replicate < seeds.length ? seeds[replicate]! : otherwise();
}

/** Whether a run's end meets the exercise's objective, and its score (see `judgeExercise`). */
export function judgeEnd(exercise: Exercise, end: RunEnd): { met: boolean; score: number } {
  const { met, score } = judgeExercise(exercise, end.state());
  return { met, score };
}

/**
 * `runs` runs of the exercise under `policy`, with its parameters and injects, the seeds of
 * `exerciseSeed(seeds, i, () => deriveSeed(base, i))`, judged: how many met the objective, and how many got each
 * score (a point accumulator's tally: the same statistics a batch reports).
 */
export function sampleExercise(exercise: Exercise, options: { readonly policy: string; readonly base: number; readonly runs: number; readonly seeds?: readonly number[] }): PointAccumulator {
  const { def } = exercise;
  const seeds = options.seeds ?? exercise.config.seeds;
  const params = resolveParams(def, exercise.params);
  const acc = new PointAccumulator(0, def.outcomes.length, 0, def.tensions.length, true);
  forEachRun(runner(def, options.policy), 0, options.runs, (i) => ({ params, seed: exerciseSeed(seeds, i, () => deriveSeed(options.base, i)), moves: [] }), (end) => {
    acc.add(end.outcome, [], end.tensions, end.steps, end.goldstein);
    const { met, score } = judgeEnd(exercise, end);
    acc.judge(met, score);
  });
  return acc;
}
