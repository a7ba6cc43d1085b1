import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import {
  CLUSTER_DIMENSION,
  DRILL_DIMENSION,
  type DRILL_METRIC_NAMES,
  METRIC_NAMES,
  PROJECT_DIMENSION,
} from '../functions/core/reporting/metrics.ts';

/**
 * The metrics contract with the workflow's reporting (EMF via Powertools Metrics): every metric has the dimension
 * sets [service] and [service, ProjectId, ClusterName] (the source cluster), except RequestRejected ([service] only).
 * Drill verdicts (the drill judge) have [service] and [service, Drill, ProjectId, ClusterName]. The
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

/** A restore metric for the whole service or, with `source`, for one source cluster of one project. */
export function restoreMetric(
  metricName: OutcomeMetricName | ValueMetricName,
  options: MetricOptions & { source?: { projectId: string; clusterName: string } } = {},
): Metric {
  const { source, ...metricOptions } = options;
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap:
      source === undefined
        ? { service: SERVICE_NAME }
        : { service: SERVICE_NAME, [PROJECT_DIMENSION]: source.projectId, [CLUSTER_DIMENSION]: source.clusterName },
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
  const schema = `{${METRICS_NAMESPACE},${CLUSTER_DIMENSION},${PROJECT_DIMENSION},service}`;
  return `SEARCH('${schema} MetricName="${metricName}" service="${SERVICE_NAME}"', '${statistic}', ${periodSeconds})`;
}

type DrillMetricName = (typeof DRILL_METRIC_NAMES)[keyof typeof DRILL_METRIC_NAMES];

/** A drill verdict metric of one drill (its name, and its source cluster in its project). */
export function drillMetric(
  metricName: DrillMetricName,
  drill: { name: string; projectId: string; clusterName: string },
  options: MetricOptions = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: {
      service: SERVICE_NAME,
      [DRILL_DIMENSION]: drill.name,
      [PROJECT_DIMENSION]: drill.projectId,
      [CLUSTER_DIMENSION]: drill.clusterName,
    },
    statistic: 'Sum',
    period: Duration.minutes(15),
    ...options,
  });
}

/** A SEARCH expression over every drill's series of one verdict metric. */
export function drillSearch(metricName: DrillMetricName, statistic: string, periodSeconds: number): string {
  const schema = `{${METRICS_NAMESPACE},${CLUSTER_DIMENSION},${DRILL_DIMENSION},${PROJECT_DIMENSION},service}`;
  return `SEARCH('${schema} MetricName="${metricName}" service="${SERVICE_NAME}"', '${statistic}', ${periodSeconds})`;
}
