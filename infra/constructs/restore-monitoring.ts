import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DRILL_METRIC_NAMES, METRIC_NAMES } from '../../functions/core/reporting/metrics.ts';
import {
  drillMetric,
  drillSearch,
  OUTCOME_METRICS,
  perClusterSearch,
  restoreMetric,
  type ValueMetricName,
} from '../restore-metrics.ts';

/** A drill whose every run gets a verdict from the drill judge. */
export interface DrillWatch {
  /** The drill's name (its schedule): the metric's Drill. */
  readonly name: string;
  /** The source cluster's project (groupId): the metric's ProjectId. */
  readonly projectId: string;
  /** The source cluster the drill restores: the metric's ClusterName. */
  readonly clusterName: string;
}

export interface RestoreMonitoringProps {
  readonly workQueue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly function: IFunction;
  /** @default - no drill alarms */
  readonly drills?: readonly DrillWatch[];
  /** The drill judge, watched for errors and silence. @default - none (no drills) */
  readonly drillJudge?: IFunction;
  /** How often the judge runs: no invocation for twice this long raises DrillJudgeSilent. */
  readonly drillJudgeRate?: Duration;
  /** The verifier and its dead-letter queue, watched for errors and dead letters. @default - none */
  readonly verifier?: { readonly function: IFunction; readonly deadLetterQueue: IQueue };
  /** The heartbeat writer (its schedule dead-letters to the verifier's DLQ). @default - none */
  readonly heartbeatWriter?: IFunction;
  /** Addresses subscribed to the alarm topic (each must confirm). @default - none */
  readonly alarmEmails?: readonly string[];
  /** An existing topic every alarm notifies too (chat, pager). @default - none */
  readonly alarmTopicArn?: string;
  /** What deleting the stack does to the alarm topic's key. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Alarms on everything an operator must act on (dead letters, failed or timed-out restores, overdue drills,
 * function errors and throttles), sent to one encrypted, TLS-only SNS topic, and a dashboard of outcomes, RTO and
 * RPO per cluster.
 */
export class RestoreMonitoring extends Construct {
  readonly topic: Topic;
  /** Where alarms and their return to OK are sent: the stack's topic, and the configured one if any. */
  readonly destinations: ITopic[];
  readonly dashboard: Dashboard;
  /** Every alarm, by a stable short name (`DeadLetters`, `Drill-<name>`, …). */
  readonly alarms = new Map<string, Alarm>();

  constructor(scope: Construct, id: string, props: RestoreMonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;

    // CloudWatch cannot use the AWS managed SNS key: the topic has its own key, which CloudWatch may use (the key
    // policy AWS documents for alarms on encrypted topics).
    const key = new Key(this, 'AlarmTopicKey', {
      description: `${stackName} alarm topic encryption`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.topic = new Topic(this, 'AlarmTopic', {
      masterKey: key,
      enforceSSL: true,
      displayName: `${stackName} alarms`,
    });
    // The topic has a policy (TLS only), which replaces SNS's default: this account's alarms need an explicit allow.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm:*' }) },
        },
      }),
    );
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    this.destinations = [
      this.topic,
      ...(props.alarmTopicArn === undefined ? [] : [Topic.fromTopicArn(this, 'AlarmDestination', props.alarmTopicArn)]),
    ];
    if ((props.alarmEmails ?? []).length === 0 && props.alarmTopicArn === undefined) {
      Annotations.of(this).addWarningV2(
        'atlas-restore:no-alarm-destination',
        'NO ALARM DESTINATION: no alarmEmails and no alarmTopicArn are configured, so failed or missed DR drills, ' +
          'dead letters and failed restores reach nobody. Set atlasRestore.alarmEmails or atlasRestore.alarmTopicArn.',
      );
    }

    const fiveMinutes = Duration.minutes(5);
    this.addAlarm('DeadLetters', {
      description: 'Messages in the dead-letter queue: requests that failed, could not be parsed or delivered',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.addAlarm('RestoreFailed', {
      description: 'A restore job failed, was cancelled or expired',
      metric: restoreMetric(METRIC_NAMES.failed, { period: fiveMinutes }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.addAlarm('RestoreTimedOut', {
      description: 'A restore did not finish within its maximum wait',
      metric: restoreMetric(METRIC_NAMES.timedOut, { period: fiveMinutes }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.addAlarm('RestoreRefused', {
      description:
        'A request was refused by the guardrails (source, download, target or overwrite not allowed): a misconfigured caller, or someone trying',
      metric: restoreMetric(METRIC_NAMES.refused, { period: fiveMinutes }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.addAlarm('FunctionErrors', {
      description: 'The restore handler failed invocations',
      metric: props.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.addAlarm('FunctionThrottles', {
      description: 'The restore handler was throttled',
      metric: props.function.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    for (const drill of props.drills ?? []) {
      // Verdict per run: the judge emits 1 for a failed or missed run, 0 for a passed one. Missing data keeps the
      // state (a weekly or quarterly drill is silent between runs), so the alarm holds the last run's verdict and
      // turns OK only when a run passes; a new stack waits in INSUFFICIENT_DATA for its first verdict.
      this.addAlarm(`Drill-${drill.name}`, {
        description: `DR drill ${drill.name} (${drill.projectId}/${drill.clusterName}): its last judged run failed or was missed`,
        metric: drillMetric(DRILL_METRIC_NAMES.notPassed, drill, {
          statistic: 'Maximum',
          period: Duration.minutes(15),
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.IGNORE,
      });
    }
    if (props.drillJudge !== undefined) {
      const rate = props.drillJudgeRate ?? Duration.minutes(15);
      this.addAlarm('DrillJudgeErrors', {
        description: 'The drill judge failed: drill runs may go unjudged',
        metric: props.drillJudge.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      // A judge that no longer runs (its schedule deleted or disabled) would mark nothing missed: watch that too.
      this.addAlarm('DrillJudgeSilent', {
        description: 'The drill judge has not run: missed drill runs would go unnoticed',
        metric: props.drillJudge.metricInvocations({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: Math.max(1, Math.floor(Duration.hours(1).toMinutes() / rate.toMinutes()) - 2),
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
      });
    }

    if (props.verifier !== undefined) {
      this.addAlarm('VerifierErrors', {
        description: 'The verifier failed invocations: verifications are retried, then dead-lettered',
        metric: props.verifier.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      this.addAlarm('VerificationDeadLetters', {
        description:
          'Verifications that kept failing (their drills end with verification unknown), or heartbeats the schedule could not deliver',
        metric: props.verifier.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    if (props.heartbeatWriter !== undefined) {
      this.addAlarm('HeartbeatWriterErrors', {
        description: 'The heartbeat writer failed: drills lose the heartbeats that prove their RPO',
        metric: props.heartbeatWriter.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    this.dashboard = this.createDashboard(props);
  }

  addAlarm(
    name: string,
    options: {
      description: string;
      metric: IMetric;
      threshold: number;
      comparisonOperator: ComparisonOperator;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
      treatMissingData?: TreatMissingData;
    },
  ): void {
    const alarm = new Alarm(this, `${name}Alarm`, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.comparisonOperator,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm ?? 1,
      treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    for (const destination of this.destinations) {
      alarm.addAlarmAction(new SnsAction(destination));
      // Back to OK is news too: whoever was paged learns the drill passed again, or the queue drained.
      alarm.addOkAction(new SnsAction(destination));
    }
    this.alarms.set(name, alarm);
  }

  private createDashboard(props: RestoreMonitoringProps): Dashboard {
    const day = Duration.days(1);
    const perCluster = (metricName: ValueMetricName, label: string) =>
      new GraphWidget({
        title: `${label} per source cluster (daily maximum, seconds)`,
        width: 12,
        left: [
          new MathExpression({
            expression: perClusterSearch(metricName, 'Maximum', day.toSeconds()),
            usingMetrics: {},
            label: '',
            period: day,
          }),
        ],
      });
    const alarms: IAlarm[] = [...this.alarms.values()];

    return new Dashboard(this, 'Dashboard', {
      // Dashboard names are global to the account: the region keeps two deployments of one stack apart.
      dashboardName: `${Stack.of(this).stackName}-${Stack.of(this).region}`,
      defaultInterval: Duration.days(28),
      widgets: [
        [
          new TextWidget({
            markdown:
              '# Atlas restores\nOutcomes of every restore, RTO (submitted → finished) and RPO (snapshot age at request) per source cluster. Dead letters: redrive with `aws sqs start-message-move-task`.',
            width: 24,
            height: 2,
          }),
        ],
        [
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms,
            width: 24,
            height: Math.max(3, Math.ceil(alarms.length / 4) + 2),
          }),
        ],
        [
          new GraphWidget({
            title: 'Restore outcomes (daily count)',
            width: 12,
            stacked: true,
            left: OUTCOME_METRICS.map((name) => restoreMetric(name, { period: day, label: name })),
          }),
          new GraphWidget({
            title: 'Restores succeeded per source cluster (daily count)',
            width: 12,
            left: [
              new MathExpression({
                expression: perClusterSearch(METRIC_NAMES.succeeded, 'Sum', day.toSeconds()),
                usingMetrics: {},
                label: '',
                period: day,
              }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: 'Drill verdicts per drill (daily count: passed, failed, missed)',
            width: 24,
            left: [DRILL_METRIC_NAMES.passed, DRILL_METRIC_NAMES.failed, DRILL_METRIC_NAMES.missed].map(
              (metricName) =>
                new MathExpression({
                  expression: drillSearch(metricName, 'Sum', day.toSeconds()),
                  usingMetrics: {},
                  label: '',
                  period: day,
                }),
            ),
          }),
        ],
        [
          perCluster(METRIC_NAMES.durationSeconds, 'Restore duration (RTO)'),
          perCluster(METRIC_NAMES.snapshotAgeSeconds, 'Snapshot age (RPO)'),
        ],
        [
          new GraphWidget({
            title: 'Work queue and dead letters',
            width: 12,
            left: [
              props.workQueue.metricApproximateNumberOfMessagesVisible({
                label: 'work: visible',
                statistic: 'Maximum',
              }),
              props.workQueue.metricApproximateNumberOfMessagesNotVisible({
                label: 'work: in flight',
                statistic: 'Maximum',
              }),
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                label: 'dead letters',
                statistic: 'Maximum',
              }),
            ],
          }),
          new GraphWidget({
            title: 'Restore handler',
            width: 12,
            left: [
              props.function.metricInvocations({ statistic: 'Sum' }),
              props.function.metricErrors({ statistic: 'Sum' }),
              props.function.metricThrottles({ statistic: 'Sum' }),
            ],
            right: [props.function.metricDuration({ statistic: 'p99', label: 'duration p99 (ms)' })],
          }),
        ],
      ],
    });
  }
}
