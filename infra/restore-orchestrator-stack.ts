import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { ApplicationLogLevel } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { OrchestratorConfig } from './config.ts';
import { DRILL_JUDGE_RATE, DrillJudge } from './constructs/drill-judge.ts';
import { OperationLedger } from './constructs/operation-ledger.ts';
import { RestoreFunction } from './constructs/restore-function.ts';
import { RestoreMonitoring } from './constructs/restore-monitoring.ts';
import { RestoreTriggers } from './constructs/restore-triggers.ts';
import { WorkQueues } from './constructs/work-queues.ts';
import { restoreFunctionEnvironment } from './lambda-environment.ts';

export interface RestoreOrchestratorStackProps extends StackProps {
  /** The validated configuration (see config.ts); the stack reads no context of its own. */
  readonly config: OrchestratorConfig;
}

/**
 * The whole orchestrator: triggers → work queue → restore handler → Atlas, with the operation ledger, the
 * dead-letter queue, alarms and a dashboard.
 */
export class RestoreOrchestratorStack extends Stack {
  readonly queues: WorkQueues;
  readonly ledger: OperationLedger;
  readonly restoreFunction: RestoreFunction;
  readonly triggers: RestoreTriggers;
  /** Judges every run of the enabled drills; absent without any. */
  readonly drillJudge?: DrillJudge;
  readonly monitoring: RestoreMonitoring;

  constructor(scope: Construct, id: string, props: RestoreOrchestratorStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const timeout = Duration.seconds(config.timeoutSeconds);
    const maxBatchingWindow = Duration.seconds(config.maxBatchingWindowSeconds);

    this.queues = new WorkQueues(this, 'WorkQueues', {
      functionTimeout: timeout,
      maxBatchingWindow,
      maxReceiveCount: config.maxReceiveCount,
    });
    this.ledger = new OperationLedger(this, 'Ledger', { removalPolicy });

    this.restoreFunction = new RestoreFunction(this, 'RestoreFunction', {
      workQueue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ledger: this.ledger.table,
      atlasSecret: this.importAtlasSecret(config.atlasSecret),
      ...(config.atlasSecretKmsKeyArn === undefined ? {} : { atlasSecretKeyArn: config.atlasSecretKmsKeyArn }),
      environment: restoreFunctionEnvironment(config, {
        workQueueUrl: this.queues.queue.queueUrl,
        deadLetterQueueUrl: this.queues.deadLetterQueue.queueUrl,
        ledgerTableName: this.ledger.table.tableName,
      }),
      memorySize: config.memorySize,
      timeout,
      logLevel: ApplicationLogLevel[config.logLevel],
      logRetention: config.logRetentionDays as RetentionDays,
      logRemovalPolicy: removalPolicy,
      ...(config.reservedConcurrency === undefined ? {} : { reservedConcurrency: config.reservedConcurrency }),
      ...(config.maxConcurrency === null ? {} : { maxConcurrency: config.maxConcurrency }),
      batchSize: config.batchSize,
      ...(config.maxBatchingWindowSeconds === 0 ? {} : { maxBatchingWindow }),
    });

    this.triggers = new RestoreTriggers(this, 'Triggers', {
      workQueue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      schedules: config.schedules,
      ...(config.eventRule === null
        ? {}
        : {
            eventRule: {
              eventPattern: config.eventRule.eventPattern,
              ...(config.eventRule.eventBusName === undefined ? {} : { eventBusName: config.eventRule.eventBusName }),
            },
          }),
    });

    const drills = config.schedules.filter((schedule) => schedule.enabled);
    if (drills.length > 0) {
      this.drillJudge = new DrillJudge(this, 'DrillJudge', {
        drills: drills.map((schedule) => ({
          name: schedule.name,
          expression: schedule.expression,
          timeZone: schedule.timeZone,
          maxWaitMinutes: schedule.request.maxWaitMinutes ?? config.defaultMaxWaitMinutes,
          request: schedule.request,
        })),
        ledger: this.ledger.table,
        ledgerRetentionDays: config.ledgerRetentionDays,
        eventBusName: config.drillEventBusName,
        logRetention: config.logRetentionDays as RetentionDays,
        logRemovalPolicy: removalPolicy,
      });
    }

    this.monitoring = new RestoreMonitoring(this, 'Monitoring', {
      workQueue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      function: this.restoreFunction.function,
      drills: drills.map((schedule) => ({
        name: schedule.name,
        projectId: schedule.request.groupId,
        clusterName: schedule.request.clusterName,
      })),
      ...(this.drillJudge === undefined
        ? {}
        : { drillJudge: this.drillJudge.function, drillJudgeRate: DRILL_JUDGE_RATE }),
      alarmEmails: config.alarmEmails,
      ...(config.alarmTopicArn === undefined ? {} : { alarmTopicArn: config.alarmTopicArn }),
      removalPolicy,
    });

    new CfnOutput(this, 'WorkQueueUrl', {
      description: 'Send restore requests here (aws sqs send-message)',
      value: this.queues.queue.queueUrl,
    });
    new CfnOutput(this, 'WorkQueueArn', {
      description: 'Destination of a dead-letter redrive',
      value: this.queues.queue.queueArn,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Requests that failed, could not be parsed or delivered',
      value: this.queues.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'DeadLetterQueueArn', {
      description: 'Source of a dead-letter redrive',
      value: this.queues.deadLetterQueue.queueArn,
    });
    new CfnOutput(this, 'LedgerTableName', {
      description: 'The operation ledger (one item per restore)',
      value: this.ledger.table.tableName,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'Outcomes, RTO and RPO per cluster',
      value: this.monitoring.dashboard.dashboardName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Alarm notifications; subscribe more endpoints here',
      value: this.monitoring.topic.topicArn,
    });
  }

  /** Imported, never created: an operator puts the credentials into Secrets Manager, not a template. */
  private importAtlasSecret(secret: string): ISecret {
    return secret.startsWith('arn:')
      ? Secret.fromSecretCompleteArn(this, 'AtlasSecret', secret)
      : Secret.fromSecretNameV2(this, 'AtlasSecret', secret);
  }
}
