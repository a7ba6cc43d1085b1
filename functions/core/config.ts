import * as z from 'zod';
import { ATLAS_ID_PATTERN, CLUSTER_NAME_PATTERN } from './atlas/model.ts';
import { MAX_WAIT_MINUTES_LIMIT } from './contract/restore-request.ts';
import { parseLambdaEnvironment } from './lambda-environment.ts';

/** What the workflow needs from the deployment: guardrails and timings. Built from the environment, or by tests. */
export interface WorkflowConfig {
  /** `groupId/clusterName` of clusters a restore may overwrite. */
  readonly allowedTargets: ReadonlySet<string>;
  /** `groupId/clusterName` of sources that may be restored onto themselves. */
  readonly sourceOverwriteAllowed: ReadonlySet<string>;
  /** Sources any restore may read from: `groupId/clusterName`, or `groupId/*` for every cluster of a project. */
  readonly allowedSources: SourceAllowList;
  /** Sources a download may be made of (an explicit opt-in, as a download leaves the deployment's control). */
  readonly downloadAllowedSources: SourceAllowList;
  readonly pollMinDelaySeconds: number;
  readonly pollMaxDelaySeconds: number;
  readonly deferMaxAttempts: number;
  readonly defaultMaxWaitMinutes: number;
  readonly cancelOnTimeout: boolean;
  readonly ledgerRetentionDays: number;
  /**
   * How long a submit claim protects an invocation that may be mid-POST. Must be at least the function timeout: a
   * claim younger than this is never taken over, so two POSTs cannot race.
   */
  readonly claimLeaseSeconds: number;
  // Ephemeral drill targets (issue 15).
  /** Projects (groupIds) an ephemeral drill target may be created in, and the only ones it is ever deleted from. */
  readonly allowedDrillProjects: ReadonlySet<string>;
  /** USD per hour per instance size (`M10` → 0.08): the cost estimate of an ephemeral target. */
  readonly tierPricesUsdPerHour: ReadonlyMap<string, number>;
  /**
   * USD per calendar month (UTC) that ephemeral targets of one source may cost (cluster-hours spent this month plus
   * the new drill's estimate); undefined: no budget.
   */
  readonly drillMonthlyBudgetUsd: number | undefined;
  /** Verified drills: how long the verify phase waits for the verifier's result before recording it unknown. */
  readonly verifyMaxMinutes: number;
}

/**
 * Source patterns (`groupId/clusterName` or `groupId/*`), or `'any'`: only for a run from a terminal, which names its
 * source on its own command line with the operator's own Atlas key. The deployed function always gets lists.
 */
export type SourceAllowList = ReadonlySet<string> | 'any';

export const defaultWorkflowConfig: WorkflowConfig = {
  allowedTargets: new Set(),
  sourceOverwriteAllowed: new Set(),
  allowedSources: new Set(),
  downloadAllowedSources: new Set(),
  pollMinDelaySeconds: 60,
  pollMaxDelaySeconds: 900,
  deferMaxAttempts: 12,
  defaultMaxWaitMinutes: 720,
  cancelOnTimeout: false,
  ledgerRetentionDays: 400,
  claimLeaseSeconds: 900,
  allowedDrillProjects: new Set(),
  tierPricesUsdPerHour: new Map(),
  drillMonthlyBudgetUsd: undefined,
  verifyMaxMinutes: 30,
};

type ListKey =
  | 'allowedTargets'
  | 'sourceOverwriteAllowed'
  | 'allowedSources'
  | 'downloadAllowedSources'
  | 'allowedDrillProjects'
  | 'tierPricesUsdPerHour';

/**
 * A workflow config from defaults; lists may be given as arrays. For tests and local runs from a terminal: source
 * lists not given allow any source (see SourceAllowList), target lists not given allow none.
 */
export function workflowConfig(
  overrides: Partial<Omit<WorkflowConfig, ListKey>> & {
    readonly allowedTargets?: Iterable<string>;
    readonly sourceOverwriteAllowed?: Iterable<string>;
    readonly allowedSources?: Iterable<string> | 'any';
    readonly downloadAllowedSources?: Iterable<string> | 'any';
    readonly allowedDrillProjects?: Iterable<string>;
    readonly tierPricesUsdPerHour?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  } = {},
): WorkflowConfig {
  const sources = (list: Iterable<string> | 'any' | undefined): SourceAllowList =>
    list === undefined || list === 'any' ? 'any' : new Set(list);
  return {
    ...defaultWorkflowConfig,
    ...overrides,
    allowedTargets: new Set(overrides.allowedTargets ?? []),
    sourceOverwriteAllowed: new Set(overrides.sourceOverwriteAllowed ?? []),
    allowedSources: sources(overrides.allowedSources),
    downloadAllowedSources: sources(overrides.downloadAllowedSources),
    allowedDrillProjects: new Set(overrides.allowedDrillProjects ?? []),
    tierPricesUsdPerHour: new Map(
      overrides.tierPricesUsdPerHour instanceof Map
        ? overrides.tierPricesUsdPerHour
        : Object.entries(overrides.tierPricesUsdPerHour ?? {}),
    ),
  };
}

/** Everything the Lambda reads from its environment. */
export interface LambdaConfig {
  readonly atlasSecretId: string;
  readonly atlasBaseUrl: string | undefined;
  readonly workQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly ledgerTableName: string;
  /** The verifier's queue (verified drills); unset, requests with `verify` are refused. */
  readonly verificationQueueUrl: string | undefined;
  readonly workflow: WorkflowConfig;
}

const CLUSTER_KEY = new RegExp(`^${ATLAS_ID_PATTERN.source.slice(1, -1)}/${CLUSTER_NAME_PATTERN.source.slice(1, -1)}$`);

/** A comma-separated list whose every entry matches `pattern` (the issue names the entry and its rule). */
function patternList(pattern: RegExp, rule: string) {
  return z
    .string()
    .default('')
    .transform((value, context) => {
      const entries = value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0);
      entries.forEach((entry, index) => {
        if (!pattern.test(entry)) context.addIssue({ code: 'custom', message: `entry ${index + 1} must be ${rule}` });
      });
      return new Set(entries);
    });
}

const clusterList = patternList(CLUSTER_KEY, 'groupId/clusterName (24 hex characters, a slash, a cluster name)');

/** A source pattern: `groupId/clusterName`, or `groupId/*` for every cluster of the project. */
export const SOURCE_PATTERN = new RegExp(
  `^${ATLAS_ID_PATTERN.source.slice(1, -1)}/(\\*|${CLUSTER_NAME_PATTERN.source.slice(1, -1)})$`,
);

const sourceList = patternList(
  SOURCE_PATTERN,
  'groupId/clusterName or groupId/* (24 hex characters, a slash, a cluster name or *)',
);

/**
 * The shortest ledger retention, in days: TTL must never delete an operation that may still be waiting, and a request
 * may set maxWaitMinutes up to 14 days whatever the default, so one day more than that (for the last poll, a late
 * redelivery, the outcome's report). `expiresAt` is pushed forward on every step, so this bounds the gaps too.
 */
export const MIN_LEDGER_RETENTION_DAYS = Math.ceil(MAX_WAIT_MINUTES_LIMIT / 1440) + 1;

/** Why a retention below MIN_LEDGER_RETENTION_DAYS is refused; `keys` name the settings as the caller spells them. */
export function ledgerRetentionRule(keys: {
  readonly defaultMaxWait: string;
  readonly defaultMinutes: number;
}): string {
  return (
    `must be at least ${MIN_LEDGER_RETENTION_DAYS} days: longer, by a day, than the longest wait an operation may ` +
    `have (${keys.defaultMaxWait} ${keys.defaultMinutes}, and a request's maxWaitMinutes up to ${MAX_WAIT_MINUTES_LIMIT}, ` +
    '14 days); TTL would otherwise delete operations still under way'
  );
}

const projectList = patternList(ATLAS_ID_PATTERN, 'a groupId (24 hex characters)');

/** `{"M10": 0.08, "M30": 0.54}`: USD per hour per instance size. */
const tierPrices = z
  .string()
  .default('{}')
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON object of instance size to USD per hour' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(/^(M|R)[0-9]{1,3}(_NVME)?$/, 'keys must be instance sizes (M10, R40, M40_NVME, …)'),
      z.number().min(0, 'prices must be USD per hour, 0 or more').max(1000, 'prices must be at most 1000 USD per hour'),
    ),
  )
  .transform((prices) => new Map(Object.entries(prices)));

const seconds = (defaultValue: number, max: number) => z.coerce.number().int().min(1).max(max).default(defaultValue);

const environment = z
  .object({
    ATLAS_SECRET_ID: z.string().min(1),
    ATLAS_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    WORK_QUEUE_URL: z.url(),
    DEAD_LETTER_QUEUE_URL: z.url(),
    LEDGER_TABLE_NAME: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
    ALLOWED_TARGETS: clusterList,
    SOURCE_OVERWRITE_ALLOWED: clusterList,
    // Unset or blank allows no source: every request is refused, never every cluster the Atlas key can read.
    ALLOWED_SOURCES: sourceList,
    DOWNLOAD_ALLOWED_SOURCES: sourceList,
    POLL_MIN_DELAY_SECONDS: seconds(60, 900),
    POLL_MAX_DELAY_SECONDS: seconds(900, 43_200),
    DEFER_MAX_ATTEMPTS: z.coerce.number().int().min(0).max(1000).default(12),
    DEFAULT_MAX_WAIT_MINUTES: z.coerce.number().int().min(1).max(MAX_WAIT_MINUTES_LIMIT).default(720),
    CANCEL_ON_TIMEOUT: z.stringbool().default(false),
    LEDGER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
    CLAIM_LEASE_SECONDS: seconds(900, 3600),
    ALLOWED_DRILL_PROJECTS: projectList,
    DRILL_TIER_PRICES: tierPrices,
    DRILL_MONTHLY_BUDGET_USD: z.coerce.number().min(0).max(1_000_000).optional(),
    VERIFICATION_QUEUE_URL: z.url().optional(),
    VERIFY_MAX_MINUTES: z.coerce.number().int().min(1).max(720).default(30),
  })
  .superRefine((env, context) => {
    if (env.POLL_MAX_DELAY_SECONDS < env.POLL_MIN_DELAY_SECONDS) {
      context.addIssue({
        code: 'custom',
        path: ['POLL_MAX_DELAY_SECONDS'],
        message: 'must be at least POLL_MIN_DELAY_SECONDS',
      });
    }
    if (env.LEDGER_RETENTION_DAYS < MIN_LEDGER_RETENTION_DAYS) {
      context.addIssue({
        code: 'custom',
        path: ['LEDGER_RETENTION_DAYS'],
        message: ledgerRetentionRule({
          defaultMaxWait: 'DEFAULT_MAX_WAIT_MINUTES',
          defaultMinutes: env.DEFAULT_MAX_WAIT_MINUTES,
        }),
      });
    }
  });

/** Reads and validates the Lambda environment; the error names each variable at fault (never its value). */
export function loadLambdaConfig(env: Readonly<Record<string, string | undefined>>): LambdaConfig {
  const e = parseLambdaEnvironment(environment, env);
  return {
    atlasSecretId: e.ATLAS_SECRET_ID,
    atlasBaseUrl: e.ATLAS_BASE_URL,
    workQueueUrl: e.WORK_QUEUE_URL,
    deadLetterQueueUrl: e.DEAD_LETTER_QUEUE_URL,
    ledgerTableName: e.LEDGER_TABLE_NAME,
    verificationQueueUrl: e.VERIFICATION_QUEUE_URL,
    workflow: {
      ...defaultWorkflowConfig,
      allowedTargets: e.ALLOWED_TARGETS,
      sourceOverwriteAllowed: e.SOURCE_OVERWRITE_ALLOWED,
      allowedSources: e.ALLOWED_SOURCES,
      downloadAllowedSources: e.DOWNLOAD_ALLOWED_SOURCES,
      pollMinDelaySeconds: e.POLL_MIN_DELAY_SECONDS,
      pollMaxDelaySeconds: e.POLL_MAX_DELAY_SECONDS,
      deferMaxAttempts: e.DEFER_MAX_ATTEMPTS,
      defaultMaxWaitMinutes: e.DEFAULT_MAX_WAIT_MINUTES,
      cancelOnTimeout: e.CANCEL_ON_TIMEOUT,
      ledgerRetentionDays: e.LEDGER_RETENTION_DAYS,
      claimLeaseSeconds: e.CLAIM_LEASE_SECONDS,
      allowedDrillProjects: e.ALLOWED_DRILL_PROJECTS,
      tierPricesUsdPerHour: e.DRILL_TIER_PRICES,
      drillMonthlyBudgetUsd: e.DRILL_MONTHLY_BUDGET_USD,
      verifyMaxMinutes: e.VERIFY_MAX_MINUTES,
    },
  };
}
