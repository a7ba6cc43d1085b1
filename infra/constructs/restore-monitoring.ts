import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMES } from '../../functions/core/reporting/metrics.ts';
import { OUTCOME_METRICS, perClusterSearch, restoreMetric, type ValueMetricName } from '../restore-metrics.ts';

/** A drill whose success is expected at least once per period. */
export interface DrillWatch {
  /** The drill's name (its schedule). */
  readonly name: string;
  /** The source cluster the drill restores: the metric's ClusterName. */
  readonly clusterName: string;
  /** A drill not succeeding within this many hours (at most 168) raises the alarm. */
  readonly expectedPeriodHours: number;
}

export interface RestoreMonitoringProps {
  readonly workQueue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly function: IFunction;
  /** @default - no drill alarms */
  readonly drills?: readonly DrillWatch[];
  /** Addresses subscribed to the alarm topic (each must confirm). @default - none */
  readonly alarmEmails?: readonly string[];
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
      // Hourly sums, all of the last N hours without a success: the same as "no success within N hours", at the
      // finest grain CloudWatch allows over its 7-day evaluation limit. No data at all is no success.
      this.addAlarm(`Drill-${drill.name}`, {
        description: `DR drill ${drill.name} has not restored ${drill.clusterName} successfully within ${drill.expectedPeriodHours} h`,
        metric: restoreMetric(METRIC_NAMES.succeeded, { clusterName: drill.clusterName, period: Duration.hours(1) }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: drill.expectedPeriodHours,
        datapointsToAlarm: drill.expectedPeriodHours,
        treatMissingData: TreatMissingData.BREACHING,
      });
    }

    this.dashboard = this.createDashboard(props);
  }

  private addAlarm(
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
    alarm.addAlarmAction(new SnsAction(this.topic));
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
