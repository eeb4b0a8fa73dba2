import { defineConfig } from 'vitest/config';

// Two projects: unit tests are pure (no servers); integration and e2e tests get a real
// PostgreSQL+TimescaleDB and the dev sshd hosts, prepared once by the global setup.
export default defineConfig({
  test: {
    // Two cores here and in CI.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Generous: CI machines are shared; a test's speed is measured in test/bench, not here.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/leak-check.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
