import { DEFAULT_HEARTBEATS } from '../functions/core/contract/verification.ts';
import type { HeartbeatSource, OrchestratorConfig } from './config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './restore-metrics.ts';

const CLAIM_LEASE_MARGIN_SECONDS = 30;

/** The deployed resources the function finds through its environment. */
export interface EnvironmentResources {
  readonly workQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly ledgerTableName: string;
  /** The reaper of ephemeral drill clusters (infra/constructs/drill-reaper.ts); only with allowedDrillProjects. */
  readonly reaper?: {
    readonly scheduleGroupName: string;
    readonly roleArn: string;
    readonly workQueueArn: string;
    readonly deadLetterQueueArn: string;
  };
  /** The verifier's queue, when verified drills are on: the restore chain sends `verify` there. */
  readonly verificationQueueUrl?: string;
}

type EnvironmentSettings = Pick<
  OrchestratorConfig,
  | 'atlasSecret'
  | 'atlasBaseUrl'
  | 'allowedTargets'
  | 'sourceOverwriteAllowed'
  | 'allowedSources'
  | 'downloadAllowedSources'
  | 'pollMinDelaySeconds'
  | 'pollMaxDelaySeconds'
  | 'deferMaxAttempts'
  | 'defaultMaxWaitMinutes'
  | 'cancelOnTimeout'
  | 'ledgerRetentionDays'
  | 'timeoutSeconds'
  | 'allowedDrillProjects'
  | 'drillTierPricesUsdPerHour'
  | 'drillMonthlyBudgetUsd'
> & { readonly verification?: Pick<OrchestratorConfig['verification'], 'verifyMaxMinutes'> };

/**
 * The Lambda environment, per the contract with functions/core/config.ts. Holds names and settings only: the Atlas
 * credentials stay in Secrets Manager and are read at run time.
 */
export function restoreFunctionEnvironment(
  settings: EnvironmentSettings,
  resources: EnvironmentResources,
): Record<string, string> {
  return {
    ATLAS_SECRET_ID: settings.atlasSecret,
    WORK_QUEUE_URL: resources.workQueueUrl,
    DEAD_LETTER_QUEUE_URL: resources.deadLetterQueueUrl,
    LEDGER_TABLE_NAME: resources.ledgerTableName,
    ALLOWED_TARGETS: settings.allowedTargets.join(','),
    SOURCE_OVERWRITE_ALLOWED: settings.sourceOverwriteAllowed.join(','),
    ALLOWED_SOURCES: settings.allowedSources.join(','),
    DOWNLOAD_ALLOWED_SOURCES: settings.downloadAllowedSources.join(','),
    POLL_MIN_DELAY_SECONDS: String(settings.pollMinDelaySeconds),
    POLL_MAX_DELAY_SECONDS: String(settings.pollMaxDelaySeconds),
    DEFER_MAX_ATTEMPTS: String(settings.deferMaxAttempts),
    DEFAULT_MAX_WAIT_MINUTES: String(settings.defaultMaxWaitMinutes),
    CANCEL_ON_TIMEOUT: String(settings.cancelOnTimeout),
    LEDGER_RETENTION_DAYS: String(settings.ledgerRetentionDays),
    // A submit claim older than one invocation can last belongs to an attempt that died: let it be taken over then.
    CLAIM_LEASE_SECONDS: String(settings.timeoutSeconds + CLAIM_LEASE_MARGIN_SECONDS),
    ...(settings.atlasBaseUrl === undefined ? {} : { ATLAS_BASE_URL: settings.atlasBaseUrl }),
    ...(resources.verificationQueueUrl === undefined || settings.verification === undefined
      ? {}
      : {
          VERIFICATION_QUEUE_URL: resources.verificationQueueUrl,
          VERIFY_MAX_MINUTES: String(settings.verification.verifyMaxMinutes),
        }),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    // No NODE_OPTIONS=--enable-source-maps: it cost ~14 ms of every cold start. The map ships beside the bundle and
    // logged stacks are mapped on first use (functions/core/reporting/source-maps.ts).
    ...ephemeralDrillEnvironment(settings, resources.reaper),
  };
}

/** Ephemeral drill targets: only when drill projects are listed (and the stack made the reaper), else nothing. */
function ephemeralDrillEnvironment(
  settings: EnvironmentSettings,
  reaper: EnvironmentResources['reaper'],
): Record<string, string> {
  if (settings.allowedDrillProjects.length === 0 || reaper === undefined) return {};
  return {
    ALLOWED_DRILL_PROJECTS: settings.allowedDrillProjects.join(','),
    DRILL_TIER_PRICES: JSON.stringify(settings.drillTierPricesUsdPerHour),
    ...(settings.drillMonthlyBudgetUsd === undefined
      ? {}
      : { DRILL_MONTHLY_BUDGET_USD: String(settings.drillMonthlyBudgetUsd) }),
    REAPER_SCHEDULE_GROUP: reaper.scheduleGroupName,
    REAPER_ROLE_ARN: reaper.roleArn,
    WORK_QUEUE_ARN: reaper.workQueueArn,
    DEAD_LETTER_QUEUE_ARN: reaper.deadLetterQueueArn,
  };
}

/**
 * The verifier's environment: it reads operations from the ledger, the Atlas API (getCluster) and, when configured, its
 * database user (without one, only drills verified with a temporary user can log in).
 */
export function verifierFunctionEnvironment(
  settings: Pick<OrchestratorConfig, 'atlasSecret' | 'atlasBaseUrl'> & { readonly databaseSecret: string | undefined },
  resources: { readonly ledgerTableName: string },
): Record<string, string> {
  return {
    LEDGER_TABLE_NAME: resources.ledgerTableName,
    ATLAS_SECRET_ID: settings.atlasSecret,
    ...(settings.databaseSecret === undefined ? {} : { VERIFIER_DATABASE_SECRET_ID: settings.databaseSecret }),
    ...(settings.atlasBaseUrl === undefined ? {} : { ATLAS_BASE_URL: settings.atlasBaseUrl }),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
}

/** The heartbeat writer's environment: the sources (`groupId/clusterName`, comma-separated) and where heartbeats go. */
export function heartbeatWriterEnvironment(
  settings: Pick<OrchestratorConfig, 'atlasSecret' | 'atlasBaseUrl'> & { readonly heartbeatSecret: string },
  sources: readonly HeartbeatSource[],
): Record<string, string> {
  return {
    ATLAS_SECRET_ID: settings.atlasSecret,
    HEARTBEAT_DATABASE_SECRET_ID: settings.heartbeatSecret,
    HEARTBEAT_SOURCES: sources.map((source) => `${source.groupId}/${source.clusterName}`).join(','),
    HEARTBEAT_DATABASE: DEFAULT_HEARTBEATS.database,
    HEARTBEAT_COLLECTION: DEFAULT_HEARTBEATS.collection,
    ...(settings.atlasBaseUrl === undefined ? {} : { ATLAS_BASE_URL: settings.atlasBaseUrl }),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
}
