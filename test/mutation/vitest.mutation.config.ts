import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (`npm run mutate`): the unit and in-process tests of the mutated core
 * only. The end-to-end, CLI, infra and soak suites are left out: they exercise the same code through spawned
 * processes or long simulated waits and would make each mutant cost seconds instead of milliseconds.
 */
export default defineConfig({
  test: {
    include: [
      'test/functions/core/workflow/**/*.test.ts',
      'test/functions/core/contract/**/*.test.ts',
      'test/functions/core/atlas/**/*.test.ts',
      'test/functions/core/ledger/**/*.test.ts',
      // The verdict's pure unit tests only: the wire, simulator and driver tests spend seconds on connection
      // deadlines, and static mutants run against the whole suite.
      'test/functions/core/verification/compare.test.ts',
      'test/functions/core/verification/heartbeat-rpo.test.ts',
      'test/functions/core/verification/checks.test.ts',
      'test/functions/core/verification/verifier-service.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
