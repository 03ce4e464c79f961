import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Files run in separate forks; the machine has 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
