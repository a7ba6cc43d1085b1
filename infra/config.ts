import * as z from 'zod';
import { atlasId, clusterName } from '../functions/core/atlas/model.ts';
import { ledgerRetentionRule, MIN_LEDGER_RETENTION_DAYS, SOURCE_PATTERN } from '../functions/core/config.ts';
import {
  clusterKey,
  MAX_WAIT_MINUTES_LIMIT,
  requestId,
  restoreRequestSchema,
  restoreTarget,
} from '../functions/core/contract/restore-request.ts';
import { parseScheduleExpression } from '../functions/core/drills/schedule-expression.ts';

/**
 * The deployment's configuration: one typed object, read from the CDK context key `atlasRestore` (cdk.json) by the
 * app entry only, and validated here so a bad value fails `cdk synth` with the key and the rule it breaks.
 */

export const CONFIG_CONTEXT_KEY = 'atlasRestore';

/** The values CloudWatch Logs accepts for a log group's retention. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** What `<aws.scheduler.scheduled-time>` looks like once EventBridge Scheduler substitutes it. */
const SAMPLE_SCHEDULED_TIME = '2026-01-05T03:00:00Z';

const clusterRef = z.string().refine((value) => {
  const parts = value.split('/');
  return parts.length === 2 && atlasId.safeParse(parts[0]).success && clusterName.safeParse(parts[1]).success;
}, 'must be "groupId/clusterName": a 24-hex project id, a slash, and a cluster name');

/** `groupId/clusterName`, or `groupId/*` for every cluster of the project (SOURCE_PATTERN in functions/core/config.ts). */
const sourcePattern = z
  .string()
  .regex(
    SOURCE_PATTERN,
    'must be "groupId/clusterName" or "groupId/*": a 24-hex project id, a slash, a cluster name or *',
  );

/**
 * An IAM role by ARN (a path is allowed; `*` may stand for part of the name, e.g. the suffix of an IAM Identity
 * Center role): compared with the caller's aws:PrincipalArn, which for an assumed-role session is its role's ARN.
 */
const roleArnPattern = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/*-]{1,512}$/,
    'must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<path/name>); * may stand for part of the name',
  );

/** Who may put restore events on the stack's bus: an account (every principal it allows) or a role ARN. */
const eventSender = z.union([z.string().regex(/^\d{12}$/), roleArnPattern], {
  error: 'must be a 12-digit AWS account id or an IAM role ARN',
});

const secretCompleteArn = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/** A Secrets Manager secret by name or complete ARN; `holds` says what it holds. */
const secretReference = (holds: string) =>
  z
    .string()
    .min(1, `must name the Secrets Manager secret that holds ${holds}`)
    .max(2048)
    .refine(
      (value) => !value.startsWith('arn:') || secretCompleteArn.test(value),
      'an ARN must be the complete ARN, with the 6-character suffix Secrets Manager appends (or give the secret name)',
    );

const atlasSecret = secretReference('the Atlas credentials');

const kmsKeyArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'must be a KMS key ARN (arn:…:kms:…:key/…)');

const httpsOrigin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.origin === value.replace(/\/$/, '') && !url.username && !url.password;
  } catch {
    return false;
  }
}, 'must be an https origin without path, query or credentials (e.g. https://cloud.mongodb.com)');

const timeZone = z.string().refine((value) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Paris');

const snsTopicArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'must be an SNS topic ARN');

/** A drill's restore request: the public contract, minus requestId, which the schedule sets. */
const drillRequest = restoreRequestSchema.superRefine((request, context) => {
  if (request.requestId !== undefined) {
    context.addIssue({
      code: 'custom',
      path: ['requestId'],
      message:
        'must not be set: the schedule sets it to "<name>-<scheduled time>" so a retried delivery is one operation',
    });
  }
});

const drillSchedule = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, hyphens or underscores')
    .describe('Names the drill: its requestIds are "<name>-<scheduled time>"'),
  // Checked with the drill's name in checkCombinations, as EventBridge Scheduler would check it.
  expression: z.string().describe('cron(...), rate(...) or at(...), in EventBridge Scheduler syntax'),
  timeZone: timeZone.default('UTC'),
  /** Removed: the period derives from the expression. Kept in the schema only to say so, not as "unknown key". */
  expectedPeriodHours: z.unknown().optional(),
  enabled: z.boolean().default(true),
  request: drillRequest,
});
export type DrillSchedule = z.infer<typeof drillSchedule>;

const stringList = z.array(z.string().min(1)).min(1, 'must list at least one value');

/** An EventBridge event pattern in its JSON form (`detail-type`, not CDK's `detailType`). */
const eventPattern = z.strictObject({
  source: stringList.describe('Required: a rule without a source would take every event on the bus as a restore'),
  'detail-type': stringList.optional(),
  account: stringList.optional(),
  region: stringList.optional(),
  resources: stringList.optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type EventPatternConfig = z.infer<typeof eventPattern>;

const eventRule = z.strictObject({
  eventBusName: z
    .undefined({
      error:
        'is no longer read: restore events come through the bus the stack creates (output RestoreEventBusName), whose senders are eventRule.senders',
    })
    .optional(),
  eventPattern,
  senders: z
    .array(eventSender)
    .default([])
    .describe('Accounts or role ARNs that may put events on the restore bus, besides operatorPrincipals'),
});

export const DEFAULT_EVENT_PATTERN: EventPatternConfig = {
  source: ['atlas-restore-orchestrator'],
  'detail-type': ['Restore Requested'],
};

/** An Atlas cluster tier (instanceSize) such as M10 or R40, as a key of the price table. */
const TIER_NAME = /^(M|R)[0-9]{1,3}(_NVME)?$/;
const usd = z.number().finite().min(0, 'must be 0 or more (US dollars)');
/** Where the verifier and the heartbeat writer run when the clusters are reached through a VPC (private endpoints, NAT). */
const verificationVpc = z.strictObject({
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id (vpc-…)'),
  subnetIds: z
    .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id (subnet-…)'))
    .min(1, 'must list at least one subnet (private, with a route to the clusters and to Atlas and AWS APIs)')
    .max(16, 'must list at most 16 subnets (Lambda limit)'),
  securityGroupIds: z
    .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-…)'))
    .min(1, 'must list at least one security group')
    .max(5, 'must list at most 5 security groups (Lambda limit)'),
});

const heartbeatSource = z.strictObject({ groupId: atlasId, clusterName });
export type HeartbeatSource = z.infer<typeof heartbeatSource>;

export const DEFAULT_HEARTBEAT_RATE = 'rate(1 minute)';

/**
 * Verified drills: the verifier function (its own queue; opens the restored cluster with the official driver) and the
 * heartbeat writer (a schedule that inserts heartbeats on the sources, to prove the RPO). Off unless enabled.
 */
const verification = z
  .strictObject({
    enabled: z.boolean().default(false),
    databaseSecret: secretReference("the verifier's database user (username, password)")
      .optional()
      .describe(
        "Read on the target by the verifier; required by drills that verify with credentials 'secret' (the default)",
      ),
    heartbeatSecret: secretReference("the heartbeat writer's database user (username, password)")
      .optional()
      .describe('Insert on the heartbeat collection of each source; required when heartbeats are written'),
    vpc: verificationVpc.optional(),
    heartbeatSources: z
      .array(heartbeatSource)
      .optional()
      .describe('Clusters the heartbeat writer writes to; default: allowedSources (each groupId/clusterName)'),
    heartbeatRate: z
      .string()
      .default(DEFAULT_HEARTBEAT_RATE)
      .describe('rate(...) or cron(...): the heartbeat interval bounds the RPO the heartbeats prove'),
    verifyMaxMinutes: z
      .int()
      .min(1, 'must be at least 1')
      .max(720, 'must be at most 720 (12 hours)')
      .default(30)
      .describe('How long the restore chain waits for a verification before it records unknown'),
    timeoutSeconds: z.int().min(10, 'must be at least 10').max(900, 'must be at most 900 (Lambda limit)').default(120),
    memorySize: z.int().min(128, 'must be at least 128 (MB)').max(10_240, 'must be at most 10240 (MB)').default(512),
  })
  .prefault({});
export type VerificationConfig = z.infer<typeof verification>;
/** Every key of `verification`, for the documentation's check. */
export const VERIFICATION_KEYS = Object.keys(verification.unwrap().shape);

const orchestratorConfigFields = z.strictObject({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name: a letter, then letters, digits, -')
    .default('AtlasRestoreOrchestrator'),
  account: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1')
    .optional(),
  atlasSecret,
  atlasSecretKmsKeyArn: kmsKeyArn.optional(),
  atlasBaseUrl: httpsOrigin.optional(),
  allowedTargets: z.array(clusterRef).default([]),
  sourceOverwriteAllowed: z.array(clusterRef).default([]),
  allowedSources: z.array(sourcePattern).default([]),
  downloadAllowedSources: z.array(sourcePattern).default([]),
  operatorPrincipals: z.array(roleArnPattern).default([]),
  schedules: z.array(drillSchedule).default([]),
  eventRule: eventRule.nullable().default({ eventPattern: DEFAULT_EVENT_PATTERN, senders: [] }),
  alarmEmails: z.array(z.email('must be an e-mail address')).default([]),
  alarmTopicArn: snsTopicArn.optional().describe('An existing SNS topic the alarms also notify (chat, pager)'),
  drillEventBusName: z
    .string()
    .regex(/^[A-Za-z0-9._/-]{1,256}$|^arn:aws[a-z-]*:events:/, 'must be an event bus name or ARN')
    .default('default')
    .describe('Where the drill judge puts one "Drill Verdict" event per drill run'),
  memorySize: z.int().min(128, 'must be at least 128 (MB)').max(10_240, 'must be at most 10240 (MB)').default(256),
  timeoutSeconds: z.int().min(1, 'must be at least 1').max(900, 'must be at most 900 (Lambda limit)').default(60),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  logRetentionDays: z
    .int()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')} (CloudWatch Logs retention values)`,
    })
    .default(365),
  maxConcurrency: z
    .int()
    .min(2, 'must be at least 2 (SQS event source limit), or null for none')
    .max(1000, 'must be at most 1000')
    .nullable()
    .default(5),
  reservedConcurrency: z.int().min(1, 'must be at least 1').optional(),
  batchSize: z.int().min(1, 'must be at least 1').max(10_000, 'must be at most 10000').default(10),
  maxBatchingWindowSeconds: z.int().min(0).max(300, 'must be at most 300 (SQS event source limit)').default(0),
  maxReceiveCount: z.int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(5),
  pollMinDelaySeconds: z
    .int()
    .min(1, 'must be at least 1')
    .max(900, 'must be at most 900 (SQS delay limit)')
    .default(60),
  pollMaxDelaySeconds: z
    .int()
    .min(1, 'must be at least 1')
    .max(900, 'must be at most 900 (SQS delay limit)')
    .default(900),
  deferMaxAttempts: z.int().min(0, 'must be 0 or more').max(1000, 'must be at most 1000').default(12),
  defaultMaxWaitMinutes: z
    .int()
    .min(1, 'must be at least 1')
    .max(MAX_WAIT_MINUTES_LIMIT, `must be at most ${MAX_WAIT_MINUTES_LIMIT} (14 days)`)
    .default(720),
  cancelOnTimeout: z.boolean().default(false),
  ledgerRetentionDays: z.int().min(1, 'must be at least 1').max(3650, 'must be at most 3650').default(400),
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  allowedDrillProjects: z
    .array(atlasId)
    .default([])
    .describe(
      'Atlas projects (24-hex ids) ephemeral drill clusters may be created, and deleted, in; none: no ephemeral drills',
    ),
  drillTierPricesUsdPerHour: z
    .record(z.string(), usd.max(1000, 'must be at most 1000 (US dollars per hour)'))
    .default({})
    .describe('US dollars per hour per tier, for the cost estimate of each ephemeral drill and the budget'),
  drillMonthlyBudgetUsd: usd
    .max(1_000_000, 'must be at most 1000000 (US dollars)')
    .optional()
    .describe(
      "US dollars a calendar month (UTC) of one source's ephemeral drills may cost; a drill past it is refused",
    ),
  verification,
});

export const orchestratorConfigSchema = orchestratorConfigFields.superRefine(checkCombinations);
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;
/** The configuration as written in cdk.json: every key with a default may be left out. */
export type OrchestratorConfigInput = z.input<typeof orchestratorConfigSchema>;

type ConfigFields = z.infer<typeof orchestratorConfigFields>;

/** Rules between keys: each issue names the key to change. */
function checkCombinations(config: ConfigFields, context: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => context.addIssue({ code: 'custom', path, message });

  if (config.pollMinDelaySeconds > config.pollMaxDelaySeconds) {
    issue(['pollMinDelaySeconds'], `must not exceed pollMaxDelaySeconds (${config.pollMaxDelaySeconds})`);
  }
  if (
    config.reservedConcurrency !== undefined &&
    config.maxConcurrency !== null &&
    config.maxConcurrency > config.reservedConcurrency
  ) {
    issue(
      ['maxConcurrency'],
      `must not exceed reservedConcurrency (${config.reservedConcurrency}): the event source would be throttled; lower it or set it to null`,
    );
  }
  if (config.ledgerRetentionDays < MIN_LEDGER_RETENTION_DAYS) {
    issue(
      ['ledgerRetentionDays'],
      ledgerRetentionRule({ defaultMaxWait: 'defaultMaxWaitMinutes', defaultMinutes: config.defaultMaxWaitMinutes }),
    );
  }
  if (config.batchSize > 10 && config.maxBatchingWindowSeconds < 1) {
    issue(['maxBatchingWindowSeconds'], 'must be at least 1 when batchSize is over 10 (SQS event source rule)');
  }

  checkVerification(config, issue);

  const allowed = new Set(config.allowedTargets);
  const overwriteAllowed = new Set(config.sourceOverwriteAllowed);
  config.sourceOverwriteAllowed.forEach((source, index) => {
    if (!allowed.has(source)) {
      issue(
        ['sourceOverwriteAllowed', index],
        `${source} must also be in allowedTargets: it is the target it overwrites`,
      );
    }
  });

  const allowedSources = new Set(config.allowedSources);
  const downloadSources = new Set(config.downloadAllowedSources);
  config.downloadAllowedSources.forEach((source, index) => {
    if (!patternCovers(allowedSources, source)) {
      issue(['downloadAllowedSources', index], `${source} must also be in allowedSources: a download reads its source`);
    }
  });

  if (config.allowedDrillProjects.length === 0) {
    if (Object.keys(config.drillTierPricesUsdPerHour).length > 0) {
      issue(['drillTierPricesUsdPerHour'], 'has no effect without allowedDrillProjects: ephemeral drills are off');
    }
    if (config.drillMonthlyBudgetUsd !== undefined) {
      issue(['drillMonthlyBudgetUsd'], 'has no effect without allowedDrillProjects: ephemeral drills are off');
    }
  }
  for (const tier of Object.keys(config.drillTierPricesUsdPerHour)) {
    if (!TIER_NAME.test(tier)) {
      issue(['drillTierPricesUsdPerHour', tier], 'must be an Atlas tier (instanceSize) such as M10, R40 or M40_NVME');
    }
  }
  if (config.drillMonthlyBudgetUsd !== undefined && Object.keys(config.drillTierPricesUsdPerHour).length === 0) {
    issue(['drillTierPricesUsdPerHour'], 'must price the tiers: the budget is checked against the estimated cost');
  }

  const names = new Set<string>();
  config.schedules.forEach((schedule, index) => {
    const at = (...rest: (string | number)[]) => ['schedules', index, ...rest];
    if (names.has(schedule.name)) issue(at('name'), `must be unique, "${schedule.name}" is used twice`);
    names.add(schedule.name);

    if (!requestId.safeParse(`${schedule.name}-${SAMPLE_SCHEDULED_TIME}`).success) {
      issue(at('name'), 'must make a valid requestId once the scheduled time is appended');
    }
    const expression = parseScheduleExpression(schedule.expression);
    if (!expression.ok) {
      issue(at('expression'), `drill "${schedule.name}": ${schedule.expression} is invalid: ${expression.reason}`);
    }
    if (schedule.expectedPeriodHours !== undefined) {
      issue(
        at('expectedPeriodHours'),
        `drill "${schedule.name}": remove it: the drill's period now derives from its expression, and every run is judged on its own`,
      );
    }

    const sourceKey = clusterKey(schedule.request);
    if (!patternCovers(allowedSources, sourceKey)) {
      issue(at('request', 'clusterName'), `source ${sourceKey} must be in allowedSources (as itself or groupId/*)`);
    }
    if (schedule.request.deliveryType === 'download' && !patternCovers(downloadSources, sourceKey)) {
      issue(at('request', 'deliveryType'), `downloads of ${sourceKey} need it in downloadAllowedSources`);
    }

    const { verify } = schedule.request;
    if (verify !== undefined && !config.verification.enabled) {
      issue(at('request', 'verify'), `drill "${schedule.name}" is verified: set verification.enabled to true`);
    } else if (
      verify !== undefined &&
      verify.credentials !== 'temporaryUser' &&
      config.verification.databaseSecret === undefined
    ) {
      issue(
        at('request', 'verify', 'credentials'),
        `drill "${schedule.name}" reads its target as the verifier's database user: set verification.databaseSecret, or credentials "temporaryUser"`,
      );
    }

    const target = restoreTarget(schedule.request);
    if (target === undefined) return;
    const targetKey = clusterKey(target);
    if (!allowed.has(targetKey)) {
      issue(at('request', 'targetClusterName'), `target ${targetKey} must be in allowedTargets`);
    }
    if (targetKey === clusterKey(schedule.request) && !overwriteAllowed.has(targetKey)) {
      issue(
        at('request', 'targetClusterName'),
        `restores ${targetKey} onto itself: add it to sourceOverwriteAllowed if that is really meant`,
      );
    }
  });
}

function checkVerification(config: ConfigFields, issue: (path: (string | number)[], message: string) => void): void {
  const settings = config.verification;
  const at = (...rest: (string | number)[]) => ['verification', ...rest];
  if (!settings.enabled) return;
  const rate = parseScheduleExpression(settings.heartbeatRate);
  if (!rate.ok) {
    issue(at('heartbeatRate'), `${settings.heartbeatRate} is invalid: ${rate.reason}`);
  } else if (rate.expression.kind === 'at') {
    issue(at('heartbeatRate'), 'must be rate(...) or cron(...): heartbeats recur');
  }
  if (settings.verifyMaxMinutes * 60 < settings.timeoutSeconds) {
    issue(
      at('verifyMaxMinutes'),
      `must be at least the verifier's timeout (timeoutSeconds ${settings.timeoutSeconds}): the chain would give up on every slow verification`,
    );
  }
  const allowedSources = new Set(config.allowedSources);
  settings.heartbeatSources?.forEach((source, index) => {
    const key = clusterKey(source);
    if (!patternCovers(allowedSources, key)) issue(at('heartbeatSources', index), `${key} must be in allowedSources`);
  });
  if (heartbeatSources(config).length > 0 && settings.heartbeatSecret === undefined) {
    issue(
      at('heartbeatSecret'),
      "is required when heartbeats are written (verification.heartbeatSources, default allowedSources): the writer's database user",
    );
  }
}

/**
 * The clusters the heartbeat writer writes to: none unless verification is on; else heartbeatSources, or each
 * `groupId/clusterName` of allowedSources (a `groupId/*` entry names no cluster: list those in heartbeatSources).
 */
export function heartbeatSources(config: Pick<ConfigFields, 'verification' | 'allowedSources'>): HeartbeatSource[] {
  if (!config.verification.enabled) return [];
  if (config.verification.heartbeatSources !== undefined) return config.verification.heartbeatSources;
  return config.allowedSources
    .filter((source) => !source.endsWith('/*'))
    .map((source) => {
      const [groupId = '', name = ''] = source.split('/');
      return { groupId, clusterName: name };
    });
}

/** Whether `key` (`groupId/clusterName` or `groupId/*`) is on a list of source patterns, by itself or its project. */
function patternCovers(patterns: ReadonlySet<string>, key: string): boolean {
  return patterns.has(key) || patterns.has(`${key.split('/')[0]}/*`);
}

/**
 * Where the stack deploys: `account` and `region` are required, so a deploy lands there or nowhere (the CDK CLI
 * refuses credentials of another account), never wherever the shell's credentials and region happen to point.
 * Synthesis needs no credentials: the template only carries the two values.
 */
export function deploymentEnvironment(config: Pick<OrchestratorConfig, 'account' | 'region'>): {
  account: string;
  region: string;
} {
  const missing = (['account', 'region'] as const).filter((key) => config[key] === undefined);
  if (config.account === undefined || config.region === undefined) {
    throw new ConfigError(
      missing.map((key) => ({
        key: `${CONFIG_CONTEXT_KEY}.${key}`,
        message: `is required: the ${key === 'account' ? '12-digit AWS account id' : 'AWS region'} to deploy to (cdk.json, or -c ${CONFIG_CONTEXT_KEY}.${key}=…); the shell's credentials never choose it`,
      })),
    );
  }
  return { account: config.account, region: config.region };
}

export interface ConfigIssue {
  /** `atlasRestore.schedules[0].request.targetClusterName` */
  readonly key: string;
  readonly message: string;
}

/** The configuration is invalid: `issues` name each key and the rule it breaks. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(
      `Invalid ${CONFIG_CONTEXT_KEY} configuration (cdk.json context or -c):\n${issues.map((issue) => `  ${issue.key}: ${issue.message}`).join('\n')}`,
      options,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Validates a configuration object, applying defaults; throws ConfigError naming every bad key. */
export function parseOrchestratorConfig(input: unknown): OrchestratorConfig {
  const parsed = orchestratorConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((issue): ConfigIssue[] => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    const message = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    return keys.map((path) => ({ key: formatKey(path), message }));
  });
  throw new ConfigError(issues, { cause: parsed.error });
}

function formatKey(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (key, part) => (typeof part === 'number' ? `${key}[${part}]` : `${key}.${String(part)}`),
    CONFIG_CONTEXT_KEY,
  );
}

/** The part of a construct node the app entry reads context from. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
  getAllContext(): Record<string, unknown>;
}

/**
 * The raw configuration from CDK context: the `atlasRestore` object (or its JSON text, as `-c atlasRestore='{…}'`
 * gives it), then each `atlasRestore.<key>` context value over it (`-c atlasRestore.memorySize=512`; the value is
 * parsed as JSON when it is JSON, else taken as a string).
 */
export function configFromContext(context: ContextSource): Record<string, unknown> {
  const base = parseContextValue(CONFIG_CONTEXT_KEY, context.tryGetContext(CONFIG_CONTEXT_KEY) ?? {});
  if (typeof base !== 'object' || base === null || Array.isArray(base)) {
    throw new ConfigError([{ key: CONFIG_CONTEXT_KEY, message: 'must be an object (or its JSON text)' }]);
  }
  const config: Record<string, unknown> = { ...base };
  const prefix = `${CONFIG_CONTEXT_KEY}.`;
  for (const [key, value] of Object.entries(context.getAllContext())) {
    if (key.startsWith(prefix)) config[key.slice(prefix.length)] = parseLooseValue(value);
  }
  return config;
}

function parseContextValue(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ConfigError([{ key, message: `is not valid JSON (${(error as Error).message})` }]);
  }
}

function parseLooseValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
