import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The stack's template, synthesized once for every file: the local Lambda/SQS model reads its settings there.
    globalSetup: ['test/support/lambda-platform/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep the pool small so servers started by tests are not starved.
    maxWorkers: 2,
  },
});
