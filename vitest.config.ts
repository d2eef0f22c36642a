import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // OCR and emulator tests start real engines and processes: give them room, and run files in
    // separate forks so one suite's worker pool cannot starve another's.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
