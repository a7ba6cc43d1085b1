// `npm run mutate` (test/mutation/run.ts): StrykerJS over the safety-critical core. Issue 18; docs/mutation.md holds
// the per-file table the command writes, and the survivors left with why each is equivalent.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  // The mutation suite is the core's unit and in-process tests (test/mutation/vitest.mutation.config.ts). `related`
  // off: vitest's related-file selection follows imports and misses tests that reach a module only indirectly.
  vitest: { configFile: 'test/mutation/vitest.mutation.config.ts', related: false },
  // perTest: each mutant runs only the tests that executed it. Static mutants (module scope: zod schemas, constant
  // sets, regular expressions) are executed while modules load, by no test in particular: with ignoreStatic false
  // Stryker runs them against the whole mutation suite instead of reporting them as false survivors or skipping them.
  coverageAnalysis: 'perTest',
  ignoreStatic: false,
  // Incremental: the previous report is committed; a re-run retests only mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: 'test/mutation/stryker-incremental.json',
  // Two cores shared with everything else on the machine.
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['progress', 'clear-text'],
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 95, low: 90, break: null },
  // Message texts are excluded by config (test/mutation/ignore-message-text.mjs); nothing else is.
  plugins: ['@stryker-mutator/*', './test/mutation/ignore-message-text.mjs'],
  ignorers: ['message-text'],
  mutate: [
    'functions/core/workflow/guardrails.ts',
    'functions/core/workflow/preflight.ts',
    'functions/core/workflow/start.ts',
    'functions/core/workflow/operation.ts',
    'functions/core/workflow/service.ts',
    'functions/core/workflow/steps.ts',
    'functions/core/workflow/poll.ts',
    'functions/core/workflow/ephemeral/delete-guard.ts',
    'functions/core/workflow/ephemeral/teardown.ts',
    'functions/core/workflow/ephemeral/reap.ts',
    'functions/core/workflow/ephemeral/budget.ts',
    'functions/core/workflow/ephemeral/provision.ts',
    'functions/core/workflow/cadence.ts',
    'functions/core/workflow/after-restore.ts',
    'functions/core/workflow/verify-phase.ts',
    'functions/core/contract/restore-request.ts',
    'functions/core/atlas/retry.ts',
    'functions/core/atlas/responses.ts',
    'functions/core/atlas/digest.ts',
    'functions/core/atlas/oauth.ts',
    'functions/core/ledger/dynamodb-ledger.ts',
    'functions/core/ledger/item.ts',
    'functions/core/ledger/expression.ts',
    'functions/core/verification/compare.ts',
    'functions/core/verification/heartbeat-rpo.ts',
    'functions/core/verification/checks.ts',
  ],
};
