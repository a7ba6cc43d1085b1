import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { ComparisonOperator, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { ApplicationLogLevel } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { METRIC_NAMES } from '../functions/core/reporting/metrics.ts';
import { heartbeatSources, type OrchestratorConfig } from './config.ts';
import { DRILL_JUDGE_RATE, DrillJudge } from './constructs/drill-judge.ts';
import { DrillReaper } from './constructs/drill-reaper.ts';
import { HeartbeatWriter } from './constructs/heartbeat-writer.ts';
import { OperationLedger } from './constructs/operation-ledger.ts';
import { RestoreEventBus } from './constructs/restore-event-bus.ts';
import { RestoreFunction } from './constructs/restore-function.ts';
import { RestoreMonitoring } from './constructs/restore-monitoring.ts';
import { RestoreTriggers } from './constructs/restore-triggers.ts';
import { Verifier } from './constructs/verifier.ts';
import { WorkQueues } from './constructs/work-queues.ts';
import {
  heartbeatWriterEnvironment,
  restoreFunctionEnvironment,
  verifierFunctionEnvironment,
} from './lambda-environment.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './restore-metrics.ts';

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
  /** The bus restore events come through; absent when `eventRule` is null. */
  readonly eventBus?: RestoreEventBus;
  /** Verifies restored clusters; absent unless `verification.enabled`. */
  readonly verifier?: Verifier;
  /** Writes RPO heartbeats on the sources; absent unless verification is on and has heartbeat sources. */
  readonly heartbeatWriter?: HeartbeatWriter;
  /** The reaper of ephemeral drill clusters; absent without allowedDrillProjects. */
  readonly reaper?: DrillReaper;

  constructor(scope: Construct, id: string, props: RestoreOrchestratorStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Every resource says what it belongs to and that CloudFormation manages it (billing, inventories, clean-up).
    Tags.of(this).add('project', 'atlas-restore-orchestrator');
    Tags.of(this).add('stack', id);
    Tags.of(this).add('managed-by', 'cdk');
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const timeout = Duration.seconds(config.timeoutSeconds);
    const maxBatchingWindow = Duration.seconds(config.maxBatchingWindowSeconds);

    this.queues = new WorkQueues(this, 'WorkQueues', {
      functionTimeout: timeout,
      maxBatchingWindow,
      maxReceiveCount: config.maxReceiveCount,
    });
    this.ledger = new OperationLedger(this, 'Ledger', { removalPolicy });
    const atlasSecret = this.importSecret('AtlasSecret', config.atlasSecret);
    const atlasSecretKey =
      config.atlasSecretKmsKeyArn === undefined ? {} : { atlasSecretKeyArn: config.atlasSecretKmsKeyArn };
    const logging = { logRetention: config.logRetentionDays as RetentionDays, logRemovalPolicy: removalPolicy };

    const { verification } = config;
    const vpc = verification.vpc === undefined ? {} : { vpc: verification.vpc };
    if (verification.enabled) {
      const { databaseSecret } = verification;
      this.verifier = new Verifier(this, 'Verifier', {
        ledger: this.ledger.table,
        atlasSecret,
        ...atlasSecretKey,
        ...(databaseSecret === undefined
          ? {}
          : { databaseSecret: this.importSecret('VerifierDatabaseSecret', databaseSecret) }),
        environment: verifierFunctionEnvironment(
          { ...config, databaseSecret },
          { ledgerTableName: this.ledger.table.tableName },
        ),
        memorySize: verification.memorySize,
        timeout: Duration.seconds(verification.timeoutSeconds),
        logLevel: ApplicationLogLevel[config.logLevel],
        ...logging,
        ...vpc,
      });
    }
    const sources = heartbeatSources(config);
    if (this.verifier !== undefined && sources.length > 0 && verification.heartbeatSecret !== undefined) {
      this.heartbeatWriter = new HeartbeatWriter(this, 'HeartbeatWriter', {
        expression: verification.heartbeatRate,
        atlasSecret,
        ...atlasSecretKey,
        heartbeatSecret: this.importSecret('HeartbeatSecret', verification.heartbeatSecret),
        deadLetterQueue: this.verifier.queues.deadLetterQueue,
        environment: heartbeatWriterEnvironment({ ...config, heartbeatSecret: verification.heartbeatSecret }, sources),
        ...logging,
        ...vpc,
      });
    }

    if (config.allowedDrillProjects.length > 0) {
      this.reaper = new DrillReaper(this, 'Reaper', {
        workQueue: this.queues.queue,
        deadLetterQueue: this.queues.deadLetterQueue,
        removalPolicy,
      });
    }

    this.restoreFunction = new RestoreFunction(this, 'RestoreFunction', {
      workQueue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ...(this.verifier === undefined ? {} : { verificationQueue: this.verifier.queues.queue }),
      ledger: this.ledger.table,
      atlasSecret,
      ...atlasSecretKey,
      environment: restoreFunctionEnvironment(config, {
        workQueueUrl: this.queues.queue.queueUrl,
        deadLetterQueueUrl: this.queues.deadLetterQueue.queueUrl,
        ledgerTableName: this.ledger.table.tableName,
        ...(this.verifier === undefined ? {} : { verificationQueueUrl: this.verifier.queues.queue.queueUrl }),
        ...(this.reaper === undefined
          ? {}
          : {
              reaper: {
                scheduleGroupName: this.reaper.group.scheduleGroupName,
                roleArn: this.reaper.role.roleArn,
                workQueueArn: this.queues.queue.queueArn,
                deadLetterQueueArn: this.queues.deadLetterQueue.queueArn,
              },
            }),
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

    this.reaper?.grantScheduling(this.restoreFunction.function);

    if (config.eventRule !== null) {
      const senders = config.eventRule.senders;
      this.eventBus = new RestoreEventBus(this, 'RestoreEvents', {
        senderAccounts: senders.filter((sender) => !sender.startsWith('arn:')),
        senderRoleArns: [...config.operatorPrincipals, ...senders.filter((sender) => sender.startsWith('arn:'))],
      });
    }

    this.triggers = new RestoreTriggers(this, 'Triggers', {
      workQueue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      schedules: config.schedules,
      ...(config.eventRule === null || this.eventBus === undefined
        ? {}
        : // CDK's EventBus declares eventSourceName `string | undefined`, which exactOptionalPropertyTypes tells apart.
          { eventRule: { eventPattern: config.eventRule.eventPattern, eventBus: this.eventBus.bus as IEventBus } }),
    });

    this.queues.restrictSenders({
      roleArns: [
        ...(this.restoreFunction.function.role ? [this.restoreFunction.function.role.roleArn] : []),
        ...scheduleRoleArns(this.triggers),
        ...(this.reaper === undefined ? [] : [this.reaper.role.roleArn]),
      ],
      operatorRoleArns: config.operatorPrincipals,
      sourceArns: this.triggers.rule ? [this.triggers.rule.ruleArn] : [],
    });

    // Only the restore chain sends `inventory` and `verify` to the verifier.
    this.verifier?.queues.restrictSenders({
      roleArns: this.restoreFunction.function.role ? [this.restoreFunction.function.role.roleArn] : [],
      operatorRoleArns: [],
      sourceArns: [],
    });

    const drills = config.schedules.filter((schedule) => schedule.enabled);
    if (drills.length > 0) {
      this.drillJudge = new DrillJudge(this, 'DrillJudge', {
        drills: drills.map((schedule) => ({
          name: schedule.name,
          expression: schedule.expression,
          timeZone: schedule.timeZone,
          // The time a run may take before its outcome: the restore's maxWait, then the verification's wait and the
          // ephemeral cluster's hold, which come after the restore job ends (the judge adds its margin).
          maxWaitMinutes:
            (schedule.request.maxWaitMinutes ?? config.defaultMaxWaitMinutes) +
            (schedule.request.verify === undefined ? 0 : config.verification.verifyMaxMinutes) +
            (schedule.request.ephemeralTarget?.holdMinutes ?? 0),
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
      ...(this.verifier === undefined
        ? {}
        : { verifier: { function: this.verifier.function, deadLetterQueue: this.verifier.queues.deadLetterQueue } }),
      ...(this.heartbeatWriter === undefined ? {} : { heartbeatWriter: this.heartbeatWriter.function }),
      alarmEmails: config.alarmEmails,
      ...(config.alarmTopicArn === undefined ? {} : { alarmTopicArn: config.alarmTopicArn }),
      removalPolicy,
    });

    if (this.reaper !== undefined) {
      for (const [metricName, description] of EPHEMERAL_ALARMS) {
        this.monitoring.addAlarm(metricName, {
          description,
          metric: new Metric({
            namespace: METRICS_NAMESPACE,
            metricName,
            dimensionsMap: { service: SERVICE_NAME },
            statistic: 'Sum',
            period: Duration.minutes(5),
          }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        });
      }
    }

    this.acknowledgeNagFindings();

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
    if (this.eventBus) {
      new CfnOutput(this, 'RestoreEventBusName', {
        description: 'Put restore events here (aws events put-events); only the senders in its policy may',
        value: this.eventBus.bus.eventBusName,
      });
      new CfnOutput(this, 'RestoreEventBusArn', {
        description: 'The restore event bus, for a rule or an event bus target in another account',
        value: this.eventBus.bus.eventBusArn,
      });
    }
    new CfnOutput(this, 'RestoreFunctionRoleArn', {
      description: 'The only role this stack lets read the Atlas secret (for a resource policy on the secret)',
      value: this.restoreFunction.function.role?.roleArn ?? '',
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

  /**
   * cdk-nag Serverless findings this design answers otherwise, each with its reason (the report keeps them). Every
   * other finding of either pack fails the synth.
   */
  private acknowledgeNagFindings(): void {
    Validations.of(this.queues.deadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason:
        'It is the dead-letter queue: messages end here for an operator (DeadLetters alarm) and a redrive; a queue behind it would only hide them',
    });
    Validations.of(this.restoreFunction.function).acknowledge(
      {
        id: 'Serverless::Serverless-LambdaDLQ',
        reason:
          'Invoked by the SQS event source (synchronous), for which a function dead-letter queue is never used: a message that keeps failing moves to the work queue DLQ by its redrive policy; a direct invocation is answered, not retried',
      },
      {
        id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
        reason:
          'SQS event source mappings take no on-failure destination (streams and Kafka do): the work queue redrive policy (maxReceiveCount) is the failure destination, the DLQ',
      },
      {
        id: 'Serverless::Serverless-LambdaTracing',
        reason:
          'Each operation is traced by its ledger item (steps, Atlas calls, polls) and JSON logs with its operationId; X-Ray would add cost and its client to every cold start for little more',
      },
    );
    if (this.drillJudge !== undefined) {
      Validations.of(this.drillJudge.function).acknowledge(
        {
          id: 'Serverless::Serverless-LambdaDLQ',
          reason:
            'Invoked by its own Scheduler schedule, which retries a failed invocation; a judging that still fails is redone by the next one (each judges every run past its deadline) and raises DrillJudgeErrors, and one that never runs raises DrillJudgeSilent',
        },
        {
          id: 'Serverless::Serverless-LambdaTracing',
          reason:
            'The judge makes a few ledger reads and writes per drill and logs each verdict as JSON; X-Ray would add cost and its client to every cold start for little more',
        },
      );
    }
    if (this.verifier !== undefined) {
      Validations.of(this.verifier.queues.deadLetterQueue).acknowledge({
        id: 'Serverless::Serverless-SQSRedrivePolicy',
        reason:
          'It is the verification dead-letter queue: a verification that kept failing, or a heartbeat the schedule could not deliver, ends here for an operator (VerificationDeadLetters alarm)',
      });
      Validations.of(this.verifier.function).acknowledge(
        {
          id: 'Serverless::Serverless-LambdaDLQ',
          reason:
            'Invoked by the SQS event source (synchronous), for which a function dead-letter queue is never used: a verification that keeps failing moves to the verification DLQ by its redrive policy',
        },
        {
          id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
          reason:
            'SQS event source mappings take no on-failure destination: the verification queue redrive policy (maxReceiveCount) is the failure destination, its DLQ',
        },
        {
          id: 'Serverless::Serverless-LambdaTracing',
          reason:
            'Each verification is recorded on its operation in the ledger (every check, its verdict and reason) and logged as JSON with its operationId; X-Ray would add cost and its client to every cold start',
        },
      );
    }
    if (this.heartbeatWriter !== undefined) {
      Validations.of(this.heartbeatWriter.function).acknowledge(
        {
          id: 'Serverless::Serverless-LambdaDLQ',
          reason:
            'Invoked by its own Scheduler schedule, which retries a failed invocation within one interval and dead-letters it (verification DLQ); a missed heartbeat is superseded by the next one, and failures raise HeartbeatWriterErrors',
        },
        {
          id: 'Serverless::Serverless-LambdaTracing',
          reason:
            'One insert per source cluster, logged as JSON; X-Ray would add cost and its client to a function that runs every minute',
        },
      );
    }
    Validations.of(this.monitoring.topic).acknowledge({
      id: 'Serverless::Serverless-SNSRedrivePolicy',
      reason:
        'Only e-mail subscriptions: SNS retries them and records failures in delivery status; the alarm stays in ALARM on the dashboard, so a lost e-mail loses no state',
    });
  }

  /** Imported, never created: an operator puts the credentials into Secrets Manager, not a template. */
  private importSecret(id: string, secret: string): ISecret {
    return secret.startsWith('arn:')
      ? Secret.fromSecretCompleteArn(this, id, secret)
      : Secret.fromSecretNameV2(this, id, secret);
  }
}

/** The roles the drill schedules send with (one per target queue, shared by the schedules). */
function scheduleRoleArns(triggers: RestoreTriggers): string[] {
  const arns = [...triggers.schedules.values()].flatMap((schedule) => {
    const target = (schedule.node.defaultChild as CfnSchedule).target;
    return 'roleArn' in target ? [target.roleArn] : [];
  });
  return [...new Set(arns)];
}

/** The workflow's ephemeral-target metrics ([service] only) that alarm, with what each means. */
const EPHEMERAL_ALARMS = [
  [
    METRIC_NAMES.ephemeralLeftover,
    'An ephemeral drill cluster could not be deleted, or was found still there after its drill: it costs money until someone deletes it',
  ],
  [
    METRIC_NAMES.ephemeralDeleteRefused,
    'The delete path refused to delete a cluster (not in a drill project, not our name, tags or ledger record): look at what asked for it',
  ],
] as const;
