import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB and the CLI children are CPU-heavy; two workers fit a 2-core machine.
    maxWorkers: 2,
    env: { BOSCO_LOG_LEVEL: 'silent' },
  },
});
