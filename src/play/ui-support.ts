/**
 * What the terminal UI (`ui/`) takes from the layers below `src/play`, in one place. The UI
 * imports only `src/play`, `src/report` and the public API (`src/index.ts`, for types); these
 * re-exports keep its values to the narrow modules that hold them rather than the whole library.
 */
export { availableLevers, currentActor, evaluate, leverOdds, unavailableReason } from '../engine/state.ts';
export { isParleyInputError } from '../scenario/errors.ts';
export { isSafeText, safeText } from '../scenario/safe-text.ts';
export { errnoReason } from '../io/read.ts';
