import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { clusterKey, restoreTarget } from '../contract/restore-request.ts';
import type { Operation } from '../workflow/operation.ts';
import type { DeadLetter, Log, Reporter } from '../workflow/ports.ts';
import { CLUSTER_DIMENSION, METRIC_NAMES, PROJECT_DIMENSION } from './metrics.ts';
import { VERDICT_WORDS } from './verification-summary.ts';

export interface ReporterOptions {
  readonly log: Log;
  /** Default POWERTOOLS_METRICS_NAMESPACE, else AtlasRestore. */
  readonly namespace?: string;
  /** Default POWERTOOLS_SERVICE_NAME, else atlas-restore-orchestrator. */
  readonly serviceName?: string;
}

/** The outcome as one flat, stable record: the log line operators and Logs Insights queries read. */
export function outcomeRecord(operation: Operation): Record<string, unknown> {
  const { request } = operation;
  const time = (value: number | undefined) => (value === undefined ? undefined : new Date(value).toISOString());
  const target = restoreTarget(request);
  return {
    outcome: operation.outcome,
    reason: operation.outcomeReason,
    errorCode: operation.errorCode,
    operationId: operation.operationId,
    deliveryType: request.deliveryType,
    dryRun: request.dryRun === true,
    source: clusterKey(request),
    target: target ? clusterKey(target) : undefined,
    snapshotId: operation.snapshotId,
    snapshotAt: time(operation.snapshotAt),
    restoreJobId: operation.restoreJobId,
    adopted: operation.adopted,
    requestedAt: time(operation.requestedAt),
    submittedAt: time(operation.submittedAt),
    finishedAt: time(operation.finishedAt),
    rtoSeconds: operation.rtoSeconds,
    rpoSeconds: operation.rpoSeconds,
    deferrals: operation.deferAttempts,
    polls: operation.polls,
    atlasCalls: operation.atlasCalls,
    ...verificationRecord(operation),
  };
}

/** The verification's part of the outcome record: verdict, proven RPO and each check (names and reasons only). */
function verificationRecord(operation: Operation): Record<string, unknown> {
  const result = operation.verification?.result;
  if (result === undefined) return operation.verification ? { verification: 'pending' } : {};
  return {
    verification: VERDICT_WORDS[result.verdict],
    achievedRpoSeconds: result.achievedRpoSeconds,
    verificationChecks: result.checks.map(({ name, verdict, reason }) => ({ name, verdict, reason })),
  };
}

/**
 * Reports with Powertools: one JSON log line and EMF metrics per event. Each event gets its own Metrics object,
 * flushed at once, so concurrent records of a batch never share dimensions; every metric carries two dimension sets,
 * [service] and [service, ProjectId, ClusterName] (the source cluster, in its project), as the stack expects.
 */
export function createPowertoolsReporter(options: ReporterOptions): Reporter {
  const { log } = options;
  const namespace = options.namespace ?? process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'AtlasRestore';
  const serviceName = options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'atlas-restore-orchestrator';

  function emit(
    source: { groupId: string; clusterName: string } | undefined,
    record: (metrics: Metrics) => void,
  ): void {
    const metrics = new Metrics({ namespace, serviceName });
    if (source !== undefined) {
      // An empty set yields [service]; the second [service, ProjectId, ClusterName]: both in one EMF document.
      metrics.addDimensions({});
      metrics.addDimensions({ [PROJECT_DIMENSION]: source.groupId, [CLUSTER_DIMENSION]: source.clusterName });
    }
    record(metrics);
    metrics.publishStoredMetrics();
  }

  return {
    outcome(operation) {
      const record = outcomeRecord(operation);
      if (operation.outcome === 'succeeded' || operation.outcome === 'dryRun') log.info('restore outcome', record);
      else log.warn('restore outcome', record);
      const metric = outcomeMetric(operation);
      if (metric === undefined) return;
      emit(operation.request, (metrics) => {
        metrics.addMetric(metric, MetricUnit.Count, 1);
        addVerificationMetrics(metrics, operation);
        if (operation.outcome !== 'succeeded') return;
        if (operation.rtoSeconds !== undefined) {
          metrics.addMetric(METRIC_NAMES.durationSeconds, MetricUnit.Seconds, operation.rtoSeconds);
        }
        if (operation.rpoSeconds !== undefined) {
          metrics.addMetric(METRIC_NAMES.snapshotAgeSeconds, MetricUnit.Seconds, operation.rpoSeconds);
        }
      });
    },

    deferred(operation, deferral) {
      log.info('restore deferred', {
        operationId: operation.operationId,
        source: operation.clusterKey,
        attempt: operation.deferAttempts,
        code: deferral.code,
        reason: deferral.reason,
        delaySeconds: deferral.delaySeconds,
      });
      emit(operation.request, (metrics) => metrics.addMetric(METRIC_NAMES.deferred, MetricUnit.Count, 1));
    },

    rejected(letter: DeadLetter) {
      log.warn('request rejected', { code: letter.code, origin: letter.origin, issues: letter.issues });
      // Only [service]: the cluster of a malformed message may be unknown or made up.
      emit(undefined, (metrics) => metrics.addMetric(METRIC_NAMES.rejected, MetricUnit.Count, 1));
    },
  };
}

function addVerificationMetrics(metrics: Metrics, operation: Operation): void {
  const result = operation.verification?.result;
  if (result === undefined) return;
  const name = {
    pass: METRIC_NAMES.verificationPassed,
    fail: METRIC_NAMES.verificationFailed,
    unknown: METRIC_NAMES.verificationUnknown,
  }[result.verdict];
  metrics.addMetric(name, MetricUnit.Count, 1);
  if (result.achievedRpoSeconds !== undefined) {
    metrics.addMetric(METRIC_NAMES.achievedRpoSeconds, MetricUnit.Seconds, result.achievedRpoSeconds);
  }
}

function outcomeMetric(operation: Operation): string | undefined {
  switch (operation.outcome) {
    case 'succeeded':
      return METRIC_NAMES.succeeded;
    case 'failed':
    case 'cancelled':
    case 'expired':
      return METRIC_NAMES.failed;
    case 'timedOut':
      return METRIC_NAMES.timedOut;
    case 'refused':
      return METRIC_NAMES.refused;
    default:
      // A dry run is a verdict, not a restore: it must not move the restore alarms.
      return undefined;
  }
}
