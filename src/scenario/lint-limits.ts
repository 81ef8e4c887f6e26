/**
 * The default size of `parley lint`'s sampled checks, in a module of their own so that the
 * command line can print them in its help without loading the linter. `lint.ts` declares the
 * same values (test/lint.test.ts checks that the two agree).
 */

/** Sampled runs per policy when `--runs` is not given. */
export const DEFAULT_LINT_RUNS = 200;
/** Turns the default sample may take in all, over both policies (see `lintRuns` in lint.ts). */
export const LINT_TURN_BUDGET = 300_000;
