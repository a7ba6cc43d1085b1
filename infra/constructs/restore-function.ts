import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundledFunction, HANDLER_ENTRY } from '../handler-bundling.ts';
import { ownLogGroupAndRole } from './function-logging.ts';
import { grantSecretRead } from './secret-read.ts';

/** The DynamoDB calls the workflow makes on the ledger (functions/core/ledger/dynamodb-ledger.ts). */
export const LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

export interface RestoreFunctionProps {
  /** The queue the function consumes, and sends its polls to. */
  readonly workQueue: IQueue;
  /** Where the function dead-letters messages it cannot parse. */
  readonly deadLetterQueue: IQueue;
  /** The verifier's queue, when verified drills are on. @default - none */
  readonly verificationQueue?: IQueue;
  /** The operation ledger. */
  readonly ledger: Pick<TableV2, 'tableArn'>;
  /** The Atlas credentials: only this function may read them. */
  readonly atlasSecret: ISecret;
  /** The customer managed KMS key the secret is encrypted with. @default - the AWS managed key aws/secretsmanager */
  readonly atlasSecretKeyArn?: string;
  /** The function's environment (see lambda-environment.ts). */
  readonly environment: Record<string, string>;
  /** @default 256 */
  readonly memorySize?: number;
  readonly timeout: Duration;
  /** Lambda's application log level; Powertools Logger follows it. @default ApplicationLogLevel.INFO */
  readonly logLevel?: ApplicationLogLevel;
  readonly logRetention: RetentionDays;
  /** What deleting the stack does to the log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Concurrency reserved for (and capping) the function. @default - none */
  readonly reservedConcurrency?: number;
  /** Concurrent invocations the SQS event source may run: bounds Atlas token minting and API load. @default - none */
  readonly maxConcurrency?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** @default - none */
  readonly maxBatchingWindow?: Duration;
}

/**
 * The restore handler (Node.js 24, arm64, ESM bundle with source maps) fed by the work queue with partial batch
 * responses. Its role holds only what the workflow does: write its own log group, read the Atlas secret, consume
 * and send to the work queue, dead-letter, and keep the ledger.
 */
export class RestoreFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: RestoreFunctionProps) {
    super(scope, id);

    const { logGroup, logging } = ownLogGroupAndRole(this, {
      roleDescription: 'Atlas restore handler: its log group, the Atlas secret, the work queues and the ledger',
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.logGroup = logGroup;

    this.function = new NodejsFunction(this, 'Handler', {
      ...bundledFunction(HANDLER_ENTRY),
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      ...logging,
      applicationLogLevelV2: props.logLevel ?? ApplicationLogLevel.INFO,
      environment: props.environment,
      // The function re-enqueues itself to poll (SQS -> Lambda -> SQS), on purpose: Lambda's default (Terminate) stops
      // such a chain after about 16 invocations, some 22 minutes into a restore, and dead-letters it. The loop's limits
      // are our own: each operation ends at its maxWaitMinutes (polls grow with the elapsed time, at most 900 s apart),
      // and a deferred start at DEFER_MAX_ATTEMPTS.
      recursiveLoop: RecursiveLoop.ALLOW,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      description: 'Restores MongoDB Atlas cloud-backup snapshots and follows each restore job to its end',
    });

    this.eventSource = new SqsEventSource(props.workQueue, {
      reportBatchItemFailures: true,
      batchSize: props.batchSize ?? 10,
      ...(props.maxBatchingWindow === undefined ? {} : { maxBatchingWindow: props.maxBatchingWindow }),
      ...(props.maxConcurrency === undefined ? {} : { maxConcurrency: props.maxConcurrency }),
    });
    this.function.addEventSource(this.eventSource);

    grantSecretRead(this.function, props.atlasSecret, props.atlasSecretKeyArn);
    // Re-enqueues itself to poll, and dead-letters what it cannot parse.
    props.workQueue.grantSendMessages(this.function);
    props.deadLetterQueue.grantSendMessages(this.function);
    if (props.verificationQueue !== undefined) {
      // The verifier's queue: `verify` messages only, so SendMessage alone (no queue attributes, no URL lookup).
      Grant.addToPrincipal({
        grantee: this.function,
        actions: ['sqs:SendMessage'],
        resourceArns: [props.verificationQueue.queueArn],
      });
    }
    // The items only, with the calls functions/core/ledger makes: its byCluster queries serve the CLI's history, and
    // table.grant() would add every index.
    Grant.addToPrincipal({
      grantee: this.function,
      actions: LEDGER_ACTIONS,
      resourceArns: [props.ledger.tableArn],
    });
  }
}
