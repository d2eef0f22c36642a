import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // OCR and emulator tests start real engines and processes: give them room, and run files in
    // separate forks so one suite's worker pool cannot starve another's.
    // 180 s: at a load average of ~30, seven tests in five files ran out of a 60 s limit while their own
    // waits (waitFor, a worker's read) still had time; a test that is wrong fails on its assertions,
    // and a hung one still fails, later.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
