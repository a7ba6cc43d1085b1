import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  type ContextSource,
  configFromContext,
  DEFAULT_EVENT_PATTERN,
  heartbeatSources,
  type OrchestratorConfigInput,
  parseOrchestratorConfig,
  VERIFICATION_KEYS,
} from '../../infra/config.ts';
import { sampleConfig } from './synth.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const drill = sampleConfig().schedules?.[0];
if (drill === undefined) throw new Error('cdk.json must ship a sample schedule');

function configError(input: unknown): ConfigError {
  try {
    parseOrchestratorConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

function withSchedule(overrides: Record<string, unknown>, base: OrchestratorConfigInput = sampleConfig()) {
  return { ...base, schedules: [{ ...drill, ...overrides }] };
}

function withRequest(overrides: Record<string, unknown>, base: OrchestratorConfigInput = sampleConfig()) {
  return withSchedule({ request: { ...drill?.request, ...overrides } }, base);
}

describe('Function: parseOrchestratorConfig', () => {
  it('accepts the sample configuration shipped in cdk.json', () => {
    // Act
    const config = parseOrchestratorConfig(sampleConfig());

    // Assess
    expect(config.atlasSecret).toBe('atlas-restore/atlas-api');
    expect(config.schedules).toHaveLength(1);
    expect(config.schedules[0]).toMatchObject({ name: 'weekly-prod-drill', enabled: true });
    expect(config.schedules[0]).not.toHaveProperty('expectedPeriodHours');
    expect(config.allowedTargets).toEqual([`${GROUP}/dr-drill`]);
  });

  it('fills every default from the secret alone', () => {
    // Act
    const config = parseOrchestratorConfig({ atlasSecret: 'atlas' });

    // Assess
    expect(config).toEqual({
      stackName: 'AtlasRestoreOrchestrator',
      atlasSecret: 'atlas',
      allowedTargets: [],
      sourceOverwriteAllowed: [],
      allowedSources: [],
      downloadAllowedSources: [],
      operatorPrincipals: [],
      schedules: [],
      eventRule: { eventPattern: DEFAULT_EVENT_PATTERN, senders: [] },
      alarmEmails: [],
      drillEventBusName: 'default',
      memorySize: 256,
      timeoutSeconds: 60,
      logLevel: 'INFO',
      logRetentionDays: 365,
      maxConcurrency: 5,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxReceiveCount: 5,
      pollMinDelaySeconds: 60,
      pollMaxDelaySeconds: 900,
      deferMaxAttempts: 12,
      defaultMaxWaitMinutes: 720,
      cancelOnTimeout: false,
      ledgerRetentionDays: 400,
      removalPolicy: 'retain',
      allowedDrillProjects: [],
      drillTierPricesUsdPerHour: {},
      verification: {
        enabled: false,
        heartbeatRate: 'rate(1 minute)',
        verifyMaxMinutes: 30,
        timeoutSeconds: 120,
        memorySize: 512,
      },
    });
  });

  it('accepts a complete secret ARN, a KMS key, a restore onto its own source when opted in, and no rule', () => {
    // Prepare
    const self = `${GROUP}/prod`;
    const input = withRequest(
      { targetClusterName: 'prod' },
      {
        ...sampleConfig(),
        atlasSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:atlas-AbC123',
        atlasSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        allowedTargets: [self],
        sourceOverwriteAllowed: [self],
        eventRule: null,
        maxConcurrency: null,
        reservedConcurrency: 1,
      },
    );

    // Act
    const config = parseOrchestratorConfig(input);

    // Assess
    expect(config.schedules[0]?.request.targetClusterName).toBe('prod');
    expect(config.eventRule).toBeNull();
  });

  const target = `${GROUP}/dr-drill`;
  it.each<[string, unknown, string, RegExp]>([
    ['no secret', { ...sampleConfig(), atlasSecret: undefined }, 'atlasRestore.atlasSecret', /string/],
    ['an empty secret', { ...sampleConfig(), atlasSecret: '' }, 'atlasRestore.atlasSecret', /must name/],
    [
      'a partial secret ARN',
      { ...sampleConfig(), atlasSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:atlas' },
      'atlasRestore.atlasSecret',
      /complete ARN/,
    ],
    [
      'a KMS alias for the secret key',
      { ...sampleConfig(), atlasSecretKmsKeyArn: 'alias/atlas' },
      'atlasRestore.atlasSecretKmsKeyArn',
      /KMS key ARN/,
    ],
    [
      'a plain-http base URL',
      { ...sampleConfig(), atlasBaseUrl: 'http://cloud.mongodb.com' },
      'atlasRestore.atlasBaseUrl',
      /https origin/,
    ],
    [
      'a base URL with a path',
      { ...sampleConfig(), atlasBaseUrl: 'https://cloud.mongodb.com/api' },
      'atlasRestore.atlasBaseUrl',
      /https origin/,
    ],
    [
      'a target without its project',
      { ...sampleConfig(), allowedTargets: ['dr-drill'] },
      'atlasRestore.allowedTargets[0]',
      /groupId\/clusterName/,
    ],
    [
      'an overwrite opt-in that is not an allowed target',
      { ...sampleConfig(), sourceOverwriteAllowed: [`${GROUP}/prod`] },
      'atlasRestore.sourceOverwriteAllowed[0]',
      /must also be in allowedTargets/,
    ],
    [
      'a one-time schedule on a day that does not exist',
      withSchedule({ expression: 'at(2026-02-30T00:00:00)' }),
      'atlasRestore.schedules[0].expression',
      /drill "weekly-prod-drill": at\(2026-02-30T00:00:00\) is invalid: at\(\.\.\.\) is not a calendar date/,
    ],
    [
      'an unknown time zone',
      withSchedule({ timeZone: 'Mars/Olympus_Mons' }),
      'atlasRestore.schedules[0].timeZone',
      /IANA time zone/,
    ],
    [
      'an expected period given beside the expression (a second number that could disagree)',
      withSchedule({ expression: 'rate(2 days)', expectedPeriodHours: 24 }),
      'atlasRestore.schedules[0].expectedPeriodHours',
      /drill "weekly-prod-drill": remove it: the drill's period now derives from its expression/,
    ],
    [
      'an alarm topic that is not an SNS topic ARN',
      { ...sampleConfig(), alarmTopicArn: 'arn:aws:sqs:eu-west-1:123456789012:alarms' },
      'atlasRestore.alarmTopicArn',
      /SNS topic ARN/,
    ],
    [
      'a schedule name with a space',
      withSchedule({ name: 'weekly drill' }),
      'atlasRestore.schedules[0].name',
      /letters, digits/,
    ],
    [
      'a drill onto a target off the allow-list',
      withRequest({ targetClusterName: 'staging' }),
      'atlasRestore.schedules[0].request.targetClusterName',
      /must be in allowedTargets/,
    ],
    [
      'a drill onto its own source without the opt-in',
      withRequest({ targetClusterName: 'prod' }, { ...sampleConfig(), allowedTargets: [`${GROUP}/prod`] }),
      'atlasRestore.schedules[0].request.targetClusterName',
      /onto itself/,
    ],
    [
      'a drill with its own requestId',
      withRequest({ requestId: 'fixed' }),
      'atlasRestore.schedules[0].request.requestId',
      /schedule sets it/,
    ],
    [
      'a drill with an unknown delivery type',
      withRequest({ deliveryType: 'copy' }),
      'atlasRestore.schedules[0].request.deliveryType',
      /automated/,
    ],
    [
      'an automated drill without a target project (contract rule)',
      withRequest({ targetGroupId: undefined }),
      'atlasRestore.schedules[0].request.targetGroupId',
      /required for deliveryType automated/,
    ],
    [
      'a drill with a mistyped field (contract rule)',
      withRequest({ snapshotID: 'latest' }),
      'atlasRestore.schedules[0].request.snapshotID',
      /unknown key/,
    ],
    [
      'two schedules with one name',
      { ...sampleConfig(), schedules: [drill, drill] },
      'atlasRestore.schedules[1].name',
      /must be unique/,
    ],
    [
      'an event pattern without a source',
      { ...sampleConfig(), eventRule: { eventPattern: { 'detail-type': ['Restore Requested'] } } },
      'atlasRestore.eventRule.eventPattern.source',
      /expected array/,
    ],
    [
      'an event pattern with an empty source',
      { ...sampleConfig(), eventRule: { eventPattern: { source: [] } } },
      'atlasRestore.eventRule.eventPattern.source',
      /at least one/,
    ],
    [
      'an event bus to listen on (the stack now creates its own)',
      { ...sampleConfig(), eventRule: { eventBusName: 'ops', eventPattern: { source: ['x'] } } },
      'atlasRestore.eventRule.eventBusName',
      /no longer read: .*the bus the stack creates/,
    ],
    [
      'an event sender that is a user, not a role or an account',
      {
        ...sampleConfig(),
        eventRule: { eventPattern: { source: ['x'] }, senders: ['arn:aws:iam::123456789012:user/ci'] },
      },
      'atlasRestore.eventRule.senders[0]',
      /12-digit AWS account id or an IAM role ARN/,
    ],
    [
      'an operator that is a user, not a role',
      { ...sampleConfig(), operatorPrincipals: ['arn:aws:iam::123456789012:user/alice'] },
      'atlasRestore.operatorPrincipals[0]',
      /IAM role ARN/,
    ],
    [
      'an operator role in no account',
      { ...sampleConfig(), operatorPrincipals: ['arn:aws:iam::*:role/ops'] },
      'atlasRestore.operatorPrincipals[0]',
      /12-digit account/,
    ],
    [
      'a source allowed by name only',
      { ...sampleConfig(), allowedSources: ['prod'] },
      'atlasRestore.allowedSources[0]',
      /groupId\/clusterName" or "groupId\/\*"/,
    ],
    [
      'a source pattern wider than a project',
      { ...sampleConfig(), allowedSources: ['*/*'] },
      'atlasRestore.allowedSources[0]',
      /groupId\/\*/,
    ],
    [
      'a download opt-in for a source that is not allowed',
      { ...sampleConfig(), downloadAllowedSources: [`${GROUP}/orders`] },
      'atlasRestore.downloadAllowedSources[0]',
      /must also be in allowedSources/,
    ],
    [
      'a drill of a source off the source allow-list',
      withRequest({ clusterName: 'orders' }),
      'atlasRestore.schedules[0].request.clusterName',
      /source 5f1a2b3c4d5e6f7a8b9c0d1e\/orders must be in allowedSources/,
    ],
    [
      'a download drill of a source without the download opt-in',
      withRequest({
        deliveryType: 'download',
        snapshotId: undefined,
        targetGroupId: undefined,
        targetClusterName: undefined,
        maxWaitMinutes: undefined,
      }),
      'atlasRestore.schedules[0].request.deliveryType',
      /downloads of 5f1a2b3c4d5e6f7a8b9c0d1e\/prod need it in downloadAllowedSources/,
    ],
    [
      'an alarm e-mail without a domain',
      { ...sampleConfig(), alarmEmails: ['ops'] },
      'atlasRestore.alarmEmails[0]',
      /e-mail/,
    ],
    ['too little memory', { ...sampleConfig(), memorySize: 64 }, 'atlasRestore.memorySize', /at least 128/],
    ['a timeout past Lambda’s limit', { ...sampleConfig(), timeoutSeconds: 901 }, 'atlasRestore.timeoutSeconds', /900/],
    ['a fractional timeout', { ...sampleConfig(), timeoutSeconds: 1.5 }, 'atlasRestore.timeoutSeconds', /expected int/],
    [
      'a log retention CloudWatch lacks',
      { ...sampleConfig(), logRetentionDays: 42 },
      'atlasRestore.logRetentionDays',
      /one of/,
    ],
    ['an unknown log level', { ...sampleConfig(), logLevel: 'TRACE' }, 'atlasRestore.logLevel', /DEBUG/],
    ['a maxConcurrency of 1', { ...sampleConfig(), maxConcurrency: 1 }, 'atlasRestore.maxConcurrency', /at least 2/],
    [
      'a maxConcurrency over the reserved concurrency',
      { ...sampleConfig(), maxConcurrency: 5, reservedConcurrency: 3 },
      'atlasRestore.maxConcurrency',
      /must not exceed reservedConcurrency/,
    ],
    [
      'a batch over 10 without a batching window',
      { ...sampleConfig(), batchSize: 50 },
      'atlasRestore.maxBatchingWindowSeconds',
      /batchSize is over 10/,
    ],
    [
      'a batching window past 300 s',
      { ...sampleConfig(), maxBatchingWindowSeconds: 301 },
      'atlasRestore.maxBatchingWindowSeconds',
      /300/,
    ],
    ['a maxReceiveCount of 0', { ...sampleConfig(), maxReceiveCount: 0 }, 'atlasRestore.maxReceiveCount', /at least 1/],
    [
      'a minimum poll delay over the maximum',
      { ...sampleConfig(), pollMinDelaySeconds: 600, pollMaxDelaySeconds: 300 },
      'atlasRestore.pollMinDelaySeconds',
      /must not exceed pollMaxDelaySeconds/,
    ],
    [
      'a poll delay past SQS’s limit',
      { ...sampleConfig(), pollMaxDelaySeconds: 901 },
      'atlasRestore.pollMaxDelaySeconds',
      /SQS delay limit/,
    ],
    [
      'a negative deferMaxAttempts',
      { ...sampleConfig(), deferMaxAttempts: -1 },
      'atlasRestore.deferMaxAttempts',
      /0 or more/,
    ],
    [
      'a zero defaultMaxWaitMinutes',
      { ...sampleConfig(), defaultMaxWaitMinutes: 0 },
      'atlasRestore.defaultMaxWaitMinutes',
      /at least 1/,
    ],
    [
      'a cancelOnTimeout string',
      { ...sampleConfig(), cancelOnTimeout: 'yes' },
      'atlasRestore.cancelOnTimeout',
      /boolean/,
    ],
    [
      'a zero ledger retention',
      { ...sampleConfig(), ledgerRetentionDays: 0 },
      'atlasRestore.ledgerRetentionDays',
      /at least 1/,
    ],
    [
      'a ledger retention shorter than the longest wait',
      { ...sampleConfig(), ledgerRetentionDays: 1, defaultMaxWaitMinutes: 20_160 },
      'atlasRestore.ledgerRetentionDays',
      /must be at least 15 days.*defaultMaxWaitMinutes.*maxWaitMinutes/,
    ],
    [
      'a ledger retention of exactly the longest wait',
      { ...sampleConfig(), ledgerRetentionDays: 14 },
      'atlasRestore.ledgerRetentionDays',
      /must be at least 15 days/,
    ],
    [
      'a snapshot removal policy',
      { ...sampleConfig(), removalPolicy: 'snapshot' },
      'atlasRestore.removalPolicy',
      /retain/,
    ],
    ['a malformed account', { ...sampleConfig(), account: '1234' }, 'atlasRestore.account', /12-digit/],
    ['a malformed region', { ...sampleConfig(), region: 'Europe' }, 'atlasRestore.region', /AWS region/],
    ['a mistyped key', { ...sampleConfig(), memory: 512 }, 'atlasRestore.memory', /unknown key/],
  ])('refuses %s, naming the key', (_case, input, key, rule) => {
    // Act
    const error = configError(input);

    // Assess
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toContainEqual({ key, message: expect.stringMatching(rule) });
    expect(error.message).toContain(`${key}: `);
  });

  it('names every bad key at once', () => {
    // Act
    const error = configError({ ...sampleConfig(), memorySize: 1, timeoutSeconds: 0, allowedTargets: [target, 'x'] });

    // Assess
    expect(error.issues.map((issue) => issue.key)).toEqual(
      expect.arrayContaining([
        'atlasRestore.memorySize',
        'atlasRestore.timeoutSeconds',
        'atlasRestore.allowedTargets[1]',
      ]),
    );
  });
});

describe('Function: parseOrchestratorConfig, verified drills', () => {
  it('has every key of verification documented in docs/configuration.md', () => {
    // Prepare
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

    // Assess
    expect(VERIFICATION_KEYS.length).toBeGreaterThan(8);
    for (const key of VERIFICATION_KEYS) expect(docs).toContain(`| \`verification.${key}\``);
  });

  const verification = (overrides: Record<string, unknown>, base: OrchestratorConfigInput = sampleConfig()) => ({
    ...base,
    verification: { ...base.verification, ...overrides },
  });

  it('ships the sample with verification on: the verifier, and heartbeats on the allowed sources', () => {
    // Act
    const config = parseOrchestratorConfig(sampleConfig());

    // Assess
    expect(config.verification).toEqual({
      enabled: true,
      databaseSecret: 'atlas-restore/verifier-db',
      heartbeatSecret: 'atlas-restore/heartbeat-db',
      heartbeatRate: 'rate(1 minute)',
      verifyMaxMinutes: 30,
      timeoutSeconds: 120,
      memorySize: 512,
    });
    expect(heartbeatSources(config)).toEqual([{ groupId: GROUP, clusterName: 'prod' }]);
  });

  it('accepts a VPC, explicit heartbeat sources, a cron rate, secret ARNs and sizes', () => {
    // Prepare
    const input = verification(
      {
        databaseSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:verifier-AbC123',
        vpc: {
          vpcId: 'vpc-0123456789abcdef0',
          subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
          securityGroupIds: ['sg-0123456789abcdef0'],
        },
        heartbeatSources: [{ groupId: GROUP, clusterName: 'orders' }],
        heartbeatRate: 'rate(5 minutes)',
        verifyMaxMinutes: 60,
        timeoutSeconds: 300,
        memorySize: 1024,
      },
      { ...sampleConfig(), allowedSources: [`${GROUP}/*`] },
    );

    // Act
    const config = parseOrchestratorConfig(input);

    // Assess
    expect(config.verification.vpc?.subnetIds).toHaveLength(2);
    expect(heartbeatSources(config)).toEqual([{ groupId: GROUP, clusterName: 'orders' }]);
  });

  it('writes heartbeats by default to the allowed sources that name a cluster, not to a groupId/* pattern', () => {
    // Act
    const config = parseOrchestratorConfig({ ...sampleConfig(), allowedSources: [`${GROUP}/*`, `${GROUP}/prod`] });

    // Assess
    expect(heartbeatSources(config)).toEqual([{ groupId: GROUP, clusterName: 'prod' }]);
  });

  it('writes no heartbeats when disabled, or given no sources, and then needs no heartbeat secret', () => {
    // Act
    const disabled = parseOrchestratorConfig(verification({ enabled: false, databaseSecret: undefined }));
    const none = parseOrchestratorConfig(verification({ heartbeatSources: [], heartbeatSecret: undefined }));

    // Assess
    expect(heartbeatSources(disabled)).toEqual([]);
    expect(heartbeatSources(none)).toEqual([]);
  });

  it('runs drills verified with temporary users without a database secret', () => {
    // Prepare
    const input = withRequest(
      { verify: { credentials: 'temporaryUser' } },
      verification({ databaseSecret: undefined }),
    );

    // Act
    const config = parseOrchestratorConfig(input);

    // Assess
    expect(config.verification.databaseSecret).toBeUndefined();
    expect(config.schedules[0]?.request.verify).toEqual({ credentials: 'temporaryUser' });
  });

  it.each<[string, unknown, string, RegExp]>([
    [
      "a drill verified as the verifier's database user without its secret",
      withRequest({ verify: {} }, verification({ databaseSecret: undefined })),
      'atlasRestore.schedules[0].request.verify.credentials',
      /weekly-prod-drill.*set verification\.databaseSecret, or credentials "temporaryUser"/,
    ],
    [
      'a verified drill with verification off',
      withRequest({ verify: { credentials: 'temporaryUser' } }, verification({ enabled: false })),
      'atlasRestore.schedules[0].request.verify',
      /weekly-prod-drill.*set verification\.enabled to true/,
    ],
    [
      'heartbeats without their secret',
      verification({ heartbeatSecret: undefined }),
      'atlasRestore.verification.heartbeatSecret',
      /required when heartbeats are written/,
    ],
    [
      'a partial secret ARN',
      verification({ heartbeatSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hb' }),
      'atlasRestore.verification.heartbeatSecret',
      /complete ARN/,
    ],
    [
      'a heartbeat source that is not an allowed source',
      verification({ heartbeatSources: [{ groupId: GROUP, clusterName: 'orders' }] }),
      'atlasRestore.verification.heartbeatSources[0]',
      /must be in allowedSources/,
    ],
    [
      'a heartbeat source with a bad project id',
      verification({ heartbeatSources: [{ groupId: 'nope', clusterName: 'prod' }] }),
      'atlasRestore.verification.heartbeatSources[0].groupId',
      /24 lowercase hex/,
    ],
    [
      'a one-time heartbeat schedule',
      verification({ heartbeatRate: 'at(2026-01-01T00:00:00)' }),
      'atlasRestore.verification.heartbeatRate',
      /rate\(\.\.\.\) or cron\(\.\.\.\)/,
    ],
    [
      'a broken heartbeat rate',
      verification({ heartbeatRate: 'rate(1 minutes)' }),
      'atlasRestore.verification.heartbeatRate',
      /invalid/,
    ],
    [
      'a subnet that is not a subnet id',
      verification({ vpc: { vpcId: 'vpc-0123abcd', subnetIds: ['sub-1'], securityGroupIds: ['sg-0123abcd'] } }),
      'atlasRestore.verification.vpc.subnetIds[0]',
      /subnet id/,
    ],
    [
      'a VPC without security groups',
      verification({ vpc: { vpcId: 'vpc-0123abcd', subnetIds: ['subnet-0123abcd'], securityGroupIds: [] } }),
      'atlasRestore.verification.vpc.securityGroupIds',
      /at least one/,
    ],
    [
      'a verify wait shorter than one verifier run',
      verification({ verifyMaxMinutes: 2, timeoutSeconds: 300 }),
      'atlasRestore.verification.verifyMaxMinutes',
      /at least the verifier's timeout/,
    ],
    [
      'a verifier timeout past the Lambda limit',
      verification({ timeoutSeconds: 901 }),
      'atlasRestore.verification.timeoutSeconds',
      /at most 900/,
    ],
    ['an unknown key', verification({ heartbeats: true }), 'atlasRestore.verification.heartbeats', /unknown key/],
  ])('refuses %s, naming the key', (_case, input, key, rule) => {
    // Act
    const error = configError(input);

    // Assess
    expect(error.issues).toContainEqual({ key, message: expect.stringMatching(rule) });
  });
});

function contextOf(values: Record<string, unknown>): ContextSource {
  return { tryGetContext: (key) => values[key], getAllContext: () => values };
}

describe('Drill schedule expressions, checked as EventBridge Scheduler checks them', () => {
  it.each([
    ['cron(0 3 * * MON *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['cron(61 3 ? * MON *)', /minutes "61": "61" must be 0-59/],
    ['cron(0 3 ? * MON)', /six fields/],
    ['cron(0 3 ? * 9 *)', /day-of-week "9"/],
    ['cron(0 3 1 * 2 *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 3 1 ? ? *)', /month "\?": "\?" must be 1-12 or JAN-DEC/],
    ['rate(0 hours)', /positive/],
    ['rate(5 hour)', /with the value 5 the unit is "hours", not "hour"/],
    ['rate(1 days)', /with the value 1 the unit is "day", not "days"/],
    ['rate(5 weeks)', /must be minutes, hours or days/],
    ['at(2026-13-01T00:00:00)', /not a calendar date/],
    ['every monday', /must be cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\)/],
  ])('refuses %s, naming the drill and the rule', (expression, rule) => {
    // Act
    const error = configError(withSchedule({ name: 'nightly-orders', expression }));

    // Assess
    expect(error.issues).toEqual([
      {
        key: 'atlasRestore.schedules[0].expression',
        message: expect.stringMatching(rule),
      },
    ]);
    expect(error.issues[0]?.message).toContain(`drill "nightly-orders": ${expression} is invalid`);
  });

  it.each([
    'cron(0 3 ? * MON *)',
    'cron(0 3 L * ? *)',
    'cron(0 3 1 1/3 ? *)',
    'cron(0/30 * ? * MON-FRI *)',
    'cron(0 3 ? * 2#1 *)',
    'rate(1 hour)',
    'rate(12 hours)',
    'at(2027-01-01T03:00:00)',
  ])('accepts %s', (expression) => {
    expect(parseOrchestratorConfig(withSchedule({ expression })).schedules[0]?.expression).toBe(expression);
  });
});

describe('Function: configFromContext', () => {
  it('takes the atlasRestore object from cdk.json as it is', () => {
    // Act
    const config = configFromContext(contextOf({ atlasRestore: { atlasSecret: 'a', memorySize: 512 } }));

    // Assess
    expect(config).toEqual({ atlasSecret: 'a', memorySize: 512 });
  });

  it('parses the whole object given as JSON text with -c atlasRestore=…', () => {
    // Act
    const config = configFromContext(
      contextOf({ atlasRestore: '{"atlasSecret":"b","alarmEmails":["ops@example.com"]}' }),
    );

    // Assess
    expect(config).toEqual({ atlasSecret: 'b', alarmEmails: ['ops@example.com'] });
  });

  it('lays -c atlasRestore.<key>=<value> over the object, parsing JSON values and keeping other text', () => {
    // Prepare
    const context = contextOf({
      atlasRestore: { atlasSecret: 'a', memorySize: 256 },
      'atlasRestore.memorySize': '1024',
      'atlasRestore.cancelOnTimeout': 'true',
      'atlasRestore.atlasSecret': 'atlas/prod',
      'atlasRestore.allowedTargets': `["${GROUP}/dr-drill"]`,
      'cli-telemetry': false,
    });

    // Act
    const config = configFromContext(context);

    // Assess
    expect(config).toEqual({
      atlasSecret: 'atlas/prod',
      memorySize: 1024,
      cancelOnTimeout: true,
      allowedTargets: [`${GROUP}/dr-drill`],
    });
  });

  it('refuses atlasRestore text that is not JSON, naming the key', () => {
    // Act
    const act = () => configFromContext(contextOf({ atlasRestore: '{atlasSecret: a}' }));

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/atlasRestore: is not valid JSON/);
  });

  it('refuses an atlasRestore that is not an object', () => {
    // Act
    const act = () => configFromContext(contextOf({ atlasRestore: '[1]' }));

    // Assess
    expect(act).toThrow(/atlasRestore: must be an object/);
  });
});

describe('Function: parseOrchestratorConfig, who may start a restore', () => {
  it('accepts project-wide source patterns, a download opt-in, operator roles with paths and wildcards, and senders', () => {
    // Prepare
    const input = withRequest(
      { deliveryType: 'download', snapshotId: undefined, targetGroupId: undefined, targetClusterName: undefined },
      {
        ...sampleConfig(),
        allowedSources: [`${GROUP}/*`],
        downloadAllowedSources: [`${GROUP}/prod`],
        operatorPrincipals: [
          'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DbaOperators_*',
          'arn:aws:iam::210987654321:role/dr-runbook',
        ],
        eventRule: {
          eventPattern: { source: ['ops.runbooks'] },
          senders: ['210987654321', 'arn:aws:iam::123456789012:role/app'],
        },
      },
    );

    // Act
    const config = parseOrchestratorConfig(input);

    // Assess
    expect(config.allowedSources).toEqual([`${GROUP}/*`]);
    expect(config.operatorPrincipals).toHaveLength(2);
    expect(config.eventRule?.senders).toEqual(['210987654321', 'arn:aws:iam::123456789012:role/app']);
  });
});

describe('App: infra/app.ts', () => {
  it('exits with an error naming the bad key before synthesizing anything', () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'atlas-restore-app-'));
    const context = { atlasRestore: { ...sampleConfig(), memorySize: 64 } };

    // Act
    const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../infra/app.ts', import.meta.url))], {
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      encoding: 'utf8',
    });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('atlasRestore.memorySize: must be at least 128 (MB)');
  });

  it('fails the synth on a bad drill expression, naming the drill', () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'atlas-restore-app-'));
    const context = { atlasRestore: withSchedule({ name: 'weekly-orders', expression: 'cron(0 3 * * MON *)' }) };

    // Act
    const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../infra/app.ts', import.meta.url))], {
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      encoding: 'utf8',
    });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('atlasRestore.schedules[0].expression: drill "weekly-orders": cron(0 3 * * MON *)');
  });

  it('pins the stack to the configured account and region, whatever the shell points at', () => {
    // Prepare: cdk.json's feature flags, bundling skipped (the template is what matters here).
    const outdir = mkdtempSync(join(tmpdir(), 'atlas-restore-app-'));
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };

    // Act
    const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../infra/app.ts', import.meta.url))], {
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_OUTDIR: outdir,
        CDK_DEFAULT_ACCOUNT: '111111111111',
        CDK_DEFAULT_REGION: 'us-east-1',
      },
      encoding: 'utf8',
    });

    // Assess
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts.AtlasRestoreOrchestrator.environment).toBe('aws://123456789012/eu-west-1');
  }, 120_000); // a whole synth with both cdk-nag packs, in a child process

  it('refuses to synthesize without an account and a region, naming both, whatever the shell points at', () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'atlas-restore-app-'));
    const { account: _account, region: _region, ...unpinned } = sampleConfig();

    // Act
    const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../infra/app.ts', import.meta.url))], {
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ atlasRestore: unpinned }),
        CDK_OUTDIR: outdir,
        CDK_DEFAULT_ACCOUNT: '111111111111',
        CDK_DEFAULT_REGION: 'us-east-1',
      },
      encoding: 'utf8',
    });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/atlasRestore\.account: is required/);
    expect(result.stderr).toMatch(/atlasRestore\.region: is required/);
  });
});
