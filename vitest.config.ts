import { defineConfig } from 'vitest/config';

const common = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  // Files run in separate forks; the machine has 2 cores.
  pool: 'forks' as const,
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: 'main', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: ['test/disruptive/**', 'node_modules/**'] } },
      // Suites that restart shared services (PostgreSQL) run after all others, alone.
      { test: { ...common, name: 'disruptive', include: ['test/disruptive/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
