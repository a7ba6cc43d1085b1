import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CLUSTER_DIMENSION, DRILL_DIMENSION, DRILL_METRIC_NAMES, PROJECT_DIMENSION } from '../reporting/metrics.ts';
import type { DrillVerdict, DrillVerdictSink } from './judge.ts';
import { scheduledTimeText } from './schedule-expression.ts';

/** The event every verdict becomes: a team routes it (a rule on this source) to chat, a ticket, a pager. */
export const DRILL_VERDICT_EVENT = {
  source: 'atlas-restore-orchestrator.drills',
  detailType: 'Drill Verdict',
} as const;

export interface DrillVerdictSinkOptions {
  readonly eventBridge: EventBridgeClient;
  /** The bus the verdict events go to (a name or ARN): `default` unless configured. */
  readonly eventBusName: string;
  /** Default POWERTOOLS_METRICS_NAMESPACE, else AtlasRestore. */
  readonly namespace?: string;
  /** Default POWERTOOLS_SERVICE_NAME, else atlas-restore-orchestrator. */
  readonly serviceName?: string;
}

/** The event's detail: the verdict, with times as ISO text. */
export function verdictEventDetail(verdict: DrillVerdict): Record<string, unknown> {
  return {
    drill: verdict.drill,
    verdict: verdict.verdict,
    reason: verdict.reason,
    runId: verdict.runId,
    scheduledAt: scheduledTimeText(verdict.scheduledAt),
    deadlineAt: new Date(verdict.deadlineAt).toISOString(),
    decidedAt: new Date(verdict.decidedAt).toISOString(),
    projectId: verdict.projectId,
    clusterName: verdict.clusterName,
    ...(verdict.outcome === undefined ? {} : { outcome: verdict.outcome }),
  };
}

/**
 * Tells a verdict as EMF metrics (with [service] and [service, Drill, ProjectId, ClusterName]) and as one
 * EventBridge event. A refused PutEvents entry throws: the verdict is then not recorded and is told again next pass.
 */
export function createDrillVerdictSink(options: DrillVerdictSinkOptions): DrillVerdictSink {
  const namespace = options.namespace ?? process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'AtlasRestore';
  const serviceName = options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'atlas-restore-orchestrator';
  return {
    async publish(verdict) {
      const metrics = new Metrics({ namespace, serviceName });
      metrics.addDimensions({});
      metrics.addDimensions({
        [DRILL_DIMENSION]: verdict.drill,
        [PROJECT_DIMENSION]: verdict.projectId,
        [CLUSTER_DIMENSION]: verdict.clusterName,
      });
      metrics.addMetric(DRILL_METRIC_NAMES[verdict.verdict], MetricUnit.Count, 1);
      metrics.addMetric(DRILL_METRIC_NAMES.notPassed, MetricUnit.Count, verdict.verdict === 'passed' ? 0 : 1);
      metrics.publishStoredMetrics();

      const answer = await options.eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: options.eventBusName,
              Source: DRILL_VERDICT_EVENT.source,
              DetailType: DRILL_VERDICT_EVENT.detailType,
              Resources: [],
              Detail: JSON.stringify(verdictEventDetail(verdict)),
            },
          ],
        }),
      );
      if ((answer.FailedEntryCount ?? 0) > 0) {
        const entry = answer.Entries?.[0];
        throw new Error(`EventBridge refused the drill verdict event: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
      }
    },
  };
}
