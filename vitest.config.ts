import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // CLI tests spawn the built command; build once before any test file runs.
    globalSetup: ['test/global-setup.ts'],
    // Batches print no progress lines to a captured standard error unless a test asks for them.
    env: { PARLEY_PROGRESS_SECONDS: '0' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
