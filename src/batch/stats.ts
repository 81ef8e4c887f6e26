// Temporary: goes when src/batch/chunk.ts and src/play/distribution.ts import from src/stats/stats.ts.
export * from '../stats/stats.ts';
