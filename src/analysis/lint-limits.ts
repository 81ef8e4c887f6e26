/**
 * The default size of `parley lint`'s sampled checks, in a module of their own so that the
 * command line can print them in its help without loading the linter.
 */

/** Sampled runs per policy when `--runs` is not given. */
export const DEFAULT_LINT_RUNS = 200;
/**
 * Turns the default sample may take in all (over both policies): 200 runs per policy of any
 * bundled scenario take about a fifth of it; a scenario of 5,000 rounds gets 15 runs per
 * policy instead of 200 (a few seconds instead of more than a minute).
 */
export const LINT_TURN_BUDGET = 300_000;
