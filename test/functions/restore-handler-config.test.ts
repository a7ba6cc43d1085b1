import { describe, expect, it } from 'vitest';
import { defaultWorkflowConfig, loadLambdaConfig } from '../../functions/core/config.ts';
import { ConfigError } from '../../functions/core/lambda-environment.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const required = {
  ATLAS_SECRET_ID: 'atlas/restore',
  WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
  LEDGER_TABLE_NAME: 'atlas-restore-ledger',
};

function failure(env: Record<string, string | undefined>): ConfigError {
  try {
    loadLambdaConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Config: the Lambda environment', () => {
  it('applies the documented defaults', () => {
    // Act
    const config = loadLambdaConfig(required);

    // Assess
    expect(config).toEqual({
      atlasSecretId: 'atlas/restore',
      atlasBaseUrl: undefined,
      workQueueUrl: required.WORK_QUEUE_URL,
      deadLetterQueueUrl: required.DEAD_LETTER_QUEUE_URL,
      ledgerTableName: 'atlas-restore-ledger',
      workflow: defaultWorkflowConfig,
    });
    expect(config.workflow).toMatchObject({
      pollMinDelaySeconds: 60,
      pollMaxDelaySeconds: 900,
      deferMaxAttempts: 12,
      defaultMaxWaitMinutes: 720,
      cancelOnTimeout: false,
      ledgerRetentionDays: 400,
    });
  });

  it('reads the verifier queue and VERIFY_MAX_MINUTES (default 30), naming a bad one', () => {
    // Act
    const unset = loadLambdaConfig(required);
    const set = loadLambdaConfig({
      ...required,
      VERIFICATION_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/verification',
      VERIFY_MAX_MINUTES: '45',
    });
    const bad = failure({ ...required, VERIFICATION_QUEUE_URL: 'not a url', VERIFY_MAX_MINUTES: '0' });

    // Assess
    expect(unset.verificationQueueUrl).toBeUndefined();
    expect(unset.workflow.verifyMaxMinutes).toBe(30);
    expect(set.verificationQueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/verification');
    expect(set.workflow.verifyMaxMinutes).toBe(45);
    expect(bad.variables).toEqual(['VERIFICATION_QUEUE_URL', 'VERIFY_MAX_MINUTES']);
  });

  it('reads every setting, lists trimmed, booleans as stringbools, blanks as unset', () => {
    // Act
    const config = loadLambdaConfig({
      ...required,
      ATLAS_BASE_URL: 'https://cloud.mongodbgov.com',
      ALLOWED_TARGETS: ` ${GROUP}/dr-drill , ${GROUP}/dr-2 ,`,
      SOURCE_OVERWRITE_ALLOWED: '',
      ALLOWED_SOURCES: ` ${GROUP}/prod , ${GROUP}/* `,
      DOWNLOAD_ALLOWED_SOURCES: `${GROUP}/prod`,
      POLL_MIN_DELAY_SECONDS: '30',
      POLL_MAX_DELAY_SECONDS: '3600',
      DEFER_MAX_ATTEMPTS: '3',
      DEFAULT_MAX_WAIT_MINUTES: '60',
      CANCEL_ON_TIMEOUT: 'yes',
      LEDGER_RETENTION_DAYS: '30',
      CLAIM_LEASE_SECONDS: '',
    });

    // Assess
    expect(config.atlasBaseUrl).toBe('https://cloud.mongodbgov.com');
    expect([...config.workflow.allowedTargets]).toEqual([`${GROUP}/dr-drill`, `${GROUP}/dr-2`]);
    expect(config.workflow.sourceOverwriteAllowed.size).toBe(0);
    expect(config.workflow.allowedSources).toEqual(new Set([`${GROUP}/prod`, `${GROUP}/*`]));
    expect(config.workflow.downloadAllowedSources).toEqual(new Set([`${GROUP}/prod`]));
    expect(config.workflow).toMatchObject({
      pollMinDelaySeconds: 30,
      pollMaxDelaySeconds: 3600,
      deferMaxAttempts: 3,
      defaultMaxWaitMinutes: 60,
      cancelOnTimeout: true,
      ledgerRetentionDays: 30,
      claimLeaseSeconds: 900,
    });
  });

  it.each([
    [{ ATLAS_SECRET_ID: undefined }, 'ATLAS_SECRET_ID'],
    [{ WORK_QUEUE_URL: 'work' }, 'WORK_QUEUE_URL'],
    [{ LEDGER_TABLE_NAME: 'a b' }, 'LEDGER_TABLE_NAME'],
    [{ ALLOWED_TARGETS: `${GROUP}/ok,prod` }, 'ALLOWED_TARGETS'],
    [{ SOURCE_OVERWRITE_ALLOWED: 'x/y' }, 'SOURCE_OVERWRITE_ALLOWED'],
    [{ ALLOWED_SOURCES: '*/*' }, 'ALLOWED_SOURCES'],
    [{ ALLOWED_SOURCES: `${GROUP}/prod*` }, 'ALLOWED_SOURCES'],
    [{ DOWNLOAD_ALLOWED_SOURCES: 'prod' }, 'DOWNLOAD_ALLOWED_SOURCES'],
    [{ POLL_MIN_DELAY_SECONDS: '0' }, 'POLL_MIN_DELAY_SECONDS'],
    [{ POLL_MIN_DELAY_SECONDS: '120', POLL_MAX_DELAY_SECONDS: '60' }, 'POLL_MAX_DELAY_SECONDS'],
    [{ CANCEL_ON_TIMEOUT: 'maybe' }, 'CANCEL_ON_TIMEOUT'],
    [{ DEFAULT_MAX_WAIT_MINUTES: '1.5' }, 'DEFAULT_MAX_WAIT_MINUTES'],
    [{ ATLAS_BASE_URL: 'ftp://atlas' }, 'ATLAS_BASE_URL'],
  ])('refuses %j naming %s (never its value)', (overrides, variable) => {
    // Act
    const error = failure({ ...required, ...overrides });

    // Assess
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.variables).toEqual([variable]);
    expect(error.message).toContain(variable);
    for (const value of Object.values(overrides))
      if (value && value.length > 3) expect(error.message).not.toContain(value);
  });

  it.each([[{ LEDGER_RETENTION_DAYS: '1', DEFAULT_MAX_WAIT_MINUTES: '20160' }], [{ LEDGER_RETENTION_DAYS: '14' }]])(
    'refuses a ledger retention %j no longer than the longest wait, naming both keys and the rule',
    (overrides) => {
      // Act
      const error = failure({ ...required, ...overrides });

      // Assess
      expect(error.variables).toEqual(['LEDGER_RETENTION_DAYS']);
      expect(error.message).toMatch(/LEDGER_RETENTION_DAYS: must be at least 15 days/);
      expect(error.message).toContain('DEFAULT_MAX_WAIT_MINUTES');
      expect(error.message).toContain('maxWaitMinutes');
    },
  );

  describe('ephemeral drill targets', () => {
    it('reads the drill projects, the tier prices and the monthly budget', () => {
      // Act
      const { workflow } = loadLambdaConfig({
        ...required,
        ALLOWED_DRILL_PROJECTS: ` ${GROUP} ,6a1b2c3d4e5f6a7b8c9d0e1f`,
        DRILL_TIER_PRICES: '{"M10": 0.08, "M30": 0.54, "R40": 0.9}',
        DRILL_MONTHLY_BUDGET_USD: '120.5',
      });

      // Assess
      expect(workflow.allowedDrillProjects).toEqual(new Set([GROUP, '6a1b2c3d4e5f6a7b8c9d0e1f']));
      expect(workflow.tierPricesUsdPerHour).toEqual(
        new Map([
          ['M10', 0.08],
          ['M30', 0.54],
          ['R40', 0.9],
        ]),
      );
      expect(workflow.drillMonthlyBudgetUsd).toBe(120.5);
    });

    it('allows no drill project, knows no price and has no budget by default', () => {
      // Act
      const { workflow } = loadLambdaConfig(required);

      // Assess
      expect(workflow.allowedDrillProjects.size).toBe(0);
      expect(workflow.tierPricesUsdPerHour.size).toBe(0);
      expect(workflow.drillMonthlyBudgetUsd).toBeUndefined();
    });

    it.each([
      [{ ALLOWED_DRILL_PROJECTS: `${GROUP}/prod` }, 'ALLOWED_DRILL_PROJECTS'],
      [{ DRILL_TIER_PRICES: 'M10=0.08' }, 'DRILL_TIER_PRICES'],
      [{ DRILL_TIER_PRICES: '{"large": 1}' }, 'DRILL_TIER_PRICES'],
      [{ DRILL_TIER_PRICES: '{"M10": -1}' }, 'DRILL_TIER_PRICES'],
      [{ DRILL_MONTHLY_BUDGET_USD: 'lots' }, 'DRILL_MONTHLY_BUDGET_USD'],
      [{ DRILL_MONTHLY_BUDGET_USD: '-5' }, 'DRILL_MONTHLY_BUDGET_USD'],
    ])('refuses %j naming %s', (overrides, variable) => {
      // Act
      const error = failure({ ...required, ...overrides });

      // Assess
      expect(error.variables).toEqual([variable]);
      expect(error.message).toContain(variable);
    });
  });
});
