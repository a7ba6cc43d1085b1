import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ContextAttribute,
  type IScheduleTarget,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundledFunction, HEARTBEAT_WRITER_ENTRY } from '../handler-bundling.ts';
import { ownLogGroupAndRole } from './function-logging.ts';
import { grantSecretRead } from './secret-read.ts';
import { grantNetworkInterfaces, placeInVpc, type VpcPlacementProps } from './vpc-placement.ts';

export interface HeartbeatWriterProps {
  /** `rate(…)` or `cron(…)`, in EventBridge Scheduler syntax (UTC): the interval bounds the RPO heartbeats prove. */
  readonly expression: string;
  /** The Atlas credentials (getCluster's connection strings of the sources). */
  readonly atlasSecret: ISecret;
  /** @default - the AWS managed key */
  readonly atlasSecretKeyArn?: string;
  /** The writer's database user: insert on the heartbeat collection of each source. */
  readonly heartbeatSecret: ISecret;
  /** Where the schedule puts invocations it could not deliver (the verification dead-letter queue). */
  readonly deadLetterQueue: IQueue;
  /** The function's environment (lambda-environment.ts). */
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default - Lambda's own network */
  readonly vpc?: VpcPlacementProps;
}

/** How long a write may take: one insert per source, each on its own connection. */
const WRITER_TIMEOUT = Duration.seconds(30);

/**
 * The heartbeat writer: a small function on its own schedule that inserts one sequenced, timestamped document into
 * the heartbeat collection of each source cluster, so that a restore proves its RPO by the newest heartbeat it holds.
 * A late heartbeat is still a true one (it records when it was written), so failed invocations are retried for one
 * interval at most, then dead-lettered for the VerificationDeadLetters alarm.
 */
export class HeartbeatWriter extends Construct {
  readonly function: NodejsFunction;
  readonly schedule: Schedule;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HeartbeatWriterProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const { logGroup, role, logging } = ownLogGroupAndRole(this, {
      roleDescription: 'Atlas restore heartbeat writer: its log group, the Atlas and heartbeat secrets',
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.logGroup = logGroup;
    const network = props.vpc === undefined ? undefined : grantNetworkInterfaces(this, role, props.vpc);

    this.function = new NodejsFunction(this, 'Handler', {
      ...bundledFunction(HEARTBEAT_WRITER_ENTRY),
      memorySize: 256,
      timeout: WRITER_TIMEOUT,
      // One writer at a time: two would only write the same beat twice.
      reservedConcurrentExecutions: 1,
      ...logging,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      environment: props.environment,
      description: 'Writes RPO heartbeats into each drilled source cluster',
    });
    if (props.vpc !== undefined && network !== undefined) placeInVpc(this.function, props.vpc, network);
    grantSecretRead(this.function, props.atlasSecret, props.atlasSecretKeyArn);
    grantSecretRead(this.function, props.heartbeatSecret);

    // The schedule's own role: invoke this function (not its versions) and dead-letter what it could not deliver.
    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets the heartbeat schedule invoke the heartbeat writer',
    });
    scheduleRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
    scheduleRole.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
    );
    const target: IScheduleTarget = {
      bind: () => ({
        arn: this.function.functionArn,
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject({ scheduledAt: ContextAttribute.scheduledTime }),
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 },
      }),
    };
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.expression(props.expression),
      target,
      timeWindow: TimeWindow.off(),
      description: 'Writes RPO heartbeats into the drilled source clusters',
    });
  }
}
