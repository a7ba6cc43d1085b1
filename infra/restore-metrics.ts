import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { CLUSTER_DIMENSION, METRIC_NAMES } from '../functions/core/reporting/metrics.ts';

/**
 * The metrics contract with the workflow's reporting (EMF via Powertools Metrics): every metric has the dimension
 * sets [service] and [service, ClusterName] (the source cluster), except RequestRejected ([service] only). The
 * function gets the namespace and service through POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME.
 */
export const METRICS_NAMESPACE = 'AtlasRestore';
export const SERVICE_NAME = 'atlas-restore-orchestrator';

export const OUTCOME_METRICS = [
  METRIC_NAMES.succeeded,
  METRIC_NAMES.failed,
  METRIC_NAMES.timedOut,
  METRIC_NAMES.refused,
  METRIC_NAMES.rejected,
  METRIC_NAMES.deferred,
] as const;
export type OutcomeMetricName = (typeof OUTCOME_METRICS)[number];

/** RTO (submitted to finished) and RPO (snapshot time to request), in seconds. */
export const VALUE_METRICS = [METRIC_NAMES.durationSeconds, METRIC_NAMES.snapshotAgeSeconds] as const;
export type ValueMetricName = (typeof VALUE_METRICS)[number];

/** A restore metric for the whole service or, with `clusterName`, for one source cluster. */
export function restoreMetric(
  metricName: OutcomeMetricName | ValueMetricName,
  options: MetricOptions & { clusterName?: string } = {},
): Metric {
  const { clusterName, ...metricOptions } = options;
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap:
      clusterName === undefined
        ? { service: SERVICE_NAME }
        : { service: SERVICE_NAME, [CLUSTER_DIMENSION]: clusterName },
    statistic: 'Sum',
    period: Duration.minutes(5),
    ...metricOptions,
  });
}

/** A CloudWatch SEARCH expression over every source cluster's series of one metric (clusters need not be known). */
export function perClusterSearch(
  metricName: OutcomeMetricName | ValueMetricName,
  statistic: string,
  periodSeconds: number,
): string {
  const schema = `{${METRICS_NAMESPACE},${CLUSTER_DIMENSION},service}`;
  return `SEARCH('${schema} MetricName="${metricName}" service="${SERVICE_NAME}"', '${statistic}', ${periodSeconds})`;
}
