/**
 * Local AWS for tests and the local drill: fauxqs (SQS) and dynalite (DynamoDB) in-process, on ports the OS picks,
 * with the queues and the table created as the stack creates them (work queue + DLQ with redrive; the verification
 * queue + DLQ when the template has a verifier; ledger table with `pk`, GSI `byCluster`). Also a consumer that feeds the work queue to a Lambda handler as the SQS event source
 * mapping does (batches, partial batch responses, visibility timeouts, redrive).
 *
 * Lambda and SQS behave as the stack deploys them (test/support/lambda-platform): batch size, partial batch
 * responses, the function's timeout, the queue's visibility timeout and maxReceiveCount, and the recursive-loop
 * setting come from the synthesized template. Waiting periods (visibility timeout) are divided by `timeScale` when
 * the simulated clock runs faster than real time; the function's timeout is a budget of real work and is not.
 * Every SendMessage made through `sqs` while an invocation runs carries that invocation's trace lineage + 1 (fauxqs
 * drops MessageSystemAttributes, so the model keeps each message's AWSTraceHeader by message id), and SQS's rules
 * fauxqs does not enforce (DelaySeconds at most 900) are enforced here.
 */

import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  type SendMessageResult,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { BY_CLUSTER_INDEX } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { fakeLambdaContext } from './lambda-context.ts';
import { deployedPlatform, type LambdaPlatform, type QueueConsumerPlatform } from './lambda-platform/deployed.ts';
import {
  type InvocationScope,
  invocationLineage,
  lineageOfHeader,
  lineageOfSend,
  runInvocation,
  sentAfterKill,
  stopsRecursion,
  traceHeader,
} from './lambda-platform/lineage.ts';
import { checkDelaySeconds } from './lambda-platform/sqs-rules.ts';

// dynalite ships CommonJS without types: this is the one call we make.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalAwsOptions {
  /** Lambda and SQS settings. Default: as the stack deploys them. */
  readonly platform?: LambdaPlatform;
  /**
   * Simulated seconds per real second of the run's clock: the queue's visibility timeout is divided by it (rounded up,
   * at least 1 s), as the queue adapter's delayScale divides delays. Default 1.
   */
  readonly timeScale?: number;
  /** Names, to run several environments side by side. */
  readonly prefix?: string;
}

export interface LocalAws {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly workQueueUrl: string;
  readonly workQueueArn: string;
  readonly deadLetterQueueUrl: string;
  /** The verifier's queue and its dead-letter queue, as the stack creates them when verified drills are on. */
  readonly verification?: {
    readonly queueUrl: string;
    readonly queueArn: string;
    readonly deadLetterQueueUrl: string;
    /** Its visibility timeout in real seconds (the template's, divided by timeScale). */
    readonly visibilityTimeoutSeconds: number;
  };
  readonly tableName: string;
  readonly fauxqs: FauxqsServer;
  readonly platform: LambdaPlatform;
  /** The work queue's visibility timeout in real seconds (the template's, divided by timeScale). */
  readonly visibilityTimeoutSeconds: number;
  /** The trace lineage a message was sent with (its AWSTraceHeader's Lineage): 0 if no invocation sent it. */
  lineageOf(messageId: string | undefined): number;
  stop(): Promise<void>;
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const prefix = options.prefix ?? 'atlas-restore';
  // Before any server starts: a template that cannot be read must not leave servers running.
  const platform = options.platform ?? deployedPlatform();
  const timeScale = options.timeScale ?? 1;
  const visibilityTimeoutSeconds = Math.max(1, Math.ceil(platform.workQueue.visibilityTimeoutSeconds / timeScale));
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', () => resolve());
  });
  const dynamodbEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const sqsEndpoint = fauxqs.address;

  const deadLetter = fauxqs.createQueue(`${prefix}-dlq`, { attributes: { MessageRetentionPeriod: '1209600' } });
  const work = fauxqs.createQueue(`${prefix}-work`, {
    attributes: {
      VisibilityTimeout: String(visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetter.queueArn,
        maxReceiveCount: String(platform.workQueue.maxReceiveCount),
      }),
    },
  });

  const verifier = platform.verifier;
  const verificationVisibilitySeconds =
    verifier === undefined ? 0 : Math.max(1, Math.ceil(verifier.workQueue.visibilityTimeoutSeconds / timeScale));
  const verificationDeadLetter =
    verifier === undefined
      ? undefined
      : fauxqs.createQueue(`${prefix}-verification-dlq`, { attributes: { MessageRetentionPeriod: '1209600' } });
  const verification =
    verifier === undefined || verificationDeadLetter === undefined
      ? undefined
      : fauxqs.createQueue(`${prefix}-verification`, {
          attributes: {
            VisibilityTimeout: String(verificationVisibilitySeconds),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: verificationDeadLetter.queueArn,
              maxReceiveCount: String(verifier.workQueue.maxReceiveCount),
            }),
          },
        });

  const sqs = new SQSClient({ region: REGION, endpoint: sqsEndpoint, credentials: CREDENTIALS });
  const lineages = new Map<string, number>();
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageCommand') return next(args);
      const input = args.input as SendMessageCommandInput;
      // In Lambda, nothing runs after the invocation ended at its timeout.
      if (sentAfterKill()) throw new Error('the invocation was ended at its timeout before this send');
      checkDelaySeconds(input.DelaySeconds ?? 0);
      // As the AWS SDK in Lambda sends the invocation's trace header, and SQS keeps it as AWSTraceHeader.
      const lineage = lineageOfSend();
      if (lineage > 0) {
        input.MessageSystemAttributes = {
          ...input.MessageSystemAttributes,
          AWSTraceHeader: { DataType: 'String', StringValue: traceHeader(lineage) },
        };
      }
      const result = await next(args);
      const messageId = (result.output as SendMessageResult).MessageId;
      if (messageId !== undefined && lineage > 0) lineages.set(messageId, lineage);
      return result;
    },
    { step: 'initialize', name: 'lambdaPlatformModel' },
  );
  const dynamodb = new DynamoDBClient({ region: REGION, endpoint: dynamodbEndpoint, credentials: CREDENTIALS });
  const tableName = `${prefix}-ledger`;
  await createLedgerTable(dynamodb, tableName);

  // fauxqs names queues `http://sqs.<region>.localhost:<port>/…`; not every resolver knows `*.localhost`, and the SDK
  // sends to the queue URL's host, so point the URLs at the endpoint itself (fauxqs finds queues by path).
  const onEndpoint = (queueUrl: string) => new URL(new URL(queueUrl).pathname, sqsEndpoint).toString();

  return {
    sqs,
    dynamodb,
    sqsEndpoint,
    dynamodbEndpoint,
    workQueueUrl: onEndpoint(work.queueUrl),
    workQueueArn: work.queueArn,
    deadLetterQueueUrl: onEndpoint(deadLetter.queueUrl),
    ...(verification === undefined || verificationDeadLetter === undefined
      ? {}
      : {
          verification: {
            queueUrl: onEndpoint(verification.queueUrl),
            queueArn: verification.queueArn,
            deadLetterQueueUrl: onEndpoint(verificationDeadLetter.queueUrl),
            visibilityTimeoutSeconds: verificationVisibilitySeconds,
          },
        }),
    tableName,
    fauxqs,
    platform,
    visibilityTimeoutSeconds,
    lineageOf: (messageId) => (messageId === undefined ? 0 : (lineages.get(messageId) ?? 0)),
    async stop() {
      sqs.destroy();
      dynamodb.destroy();
      await fauxqs.stop();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/** The ledger table as the stack defines it (TTL is not set: dynalite lacks UpdateTimeToLive). */
export async function createLedgerTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'clusterKey', AttributeType: 'S' },
        { AttributeName: 'requestedAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_CLUSTER_INDEX,
          KeySchema: [
            { AttributeName: 'clusterKey', KeyType: 'HASH' },
            { AttributeName: 'requestedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** Messages as Lambda's SQS event source hands them to a function. */
export function toSqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(message.Attributes?.AWSTraceHeader === undefined
          ? {}
          : { AWSTraceHeader: message.Attributes.AWSTraceHeader }),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: REGION,
    })),
  };
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | unknown>;

export interface ConsumerOptions {
  /** The local AWS whose work queue is consumed, with the platform it models. */
  readonly aws: LocalAws;
  readonly handler: SqsHandler;
  /** Remaining time the context reports, and after which the invocation is ended, real ms. Default the template's. */
  readonly functionTimeoutMs?: number;
  /** Long-poll wait per receive, seconds. Default 1. */
  readonly waitTimeSeconds?: number;
  /** Hand every message to the handler twice in the same batch, as SQS's at-least-once delivery may. */
  readonly duplicateDeliveries?: boolean;
  /** Whose queue: the restore function's work queue (default), or the verifier's, with the verifier's settings. */
  readonly consumer?: 'restore' | 'verifier';
}

/** The queue and the Lambda settings of one consumer, as deployed. */
function consumerOf(aws: LocalAws, consumer: 'restore' | 'verifier') {
  if (consumer === 'restore') {
    return {
      platform: aws.platform as QueueConsumerPlatform,
      queueUrl: aws.workQueueUrl,
      queueArn: aws.workQueueArn,
      deadLetterQueueUrl: aws.deadLetterQueueUrl,
    };
  }
  if (aws.platform.verifier === undefined || aws.verification === undefined) {
    throw new Error('the deployed template has no verifier (verification.enabled is false)');
  }
  return {
    platform: aws.platform.verifier,
    queueUrl: aws.verification.queueUrl,
    queueArn: aws.verification.queueArn,
    deadLetterQueueUrl: aws.verification.deadLetterQueueUrl,
  };
}

export interface PollResult {
  readonly received: number;
  readonly failed: number;
  /** The invocation ran past its timeout: Lambda ended it, and the whole batch comes back. */
  readonly timedOut: boolean;
  /** Messages Lambda refused to deliver (recursive loop, Terminate) and moved to the dead-letter queue. */
  readonly stopped: number;
}

/**
 * Receives one batch and runs it through the handler as the SQS event source mapping does: successes are deleted,
 * `batchItemFailures` (or everything, if the handler throws, runs past its timeout, or any record fails without
 * partial batch responses) stay and come back after the visibility timeout. A message whose lineage reached the
 * recursion limit is not delivered when the function's RecursiveLoop is Terminate: it goes to the dead-letter queue.
 */
export async function pollOnce(options: ConsumerOptions): Promise<PollResult> {
  const { aws } = options;
  const { sqs } = aws;
  const { platform, queueUrl, queueArn, deadLetterQueueUrl } = consumerOf(aws, options.consumer ?? 'restore');
  const { Messages: received = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(platform.eventSource.batchSize, 10),
      WaitTimeSeconds: options.waitTimeSeconds ?? 1,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const traced = received.map((message) => {
    const lineage = aws.lineageOf(message.MessageId);
    return lineage > 0
      ? { ...message, Attributes: { ...message.Attributes, AWSTraceHeader: traceHeader(lineage) } }
      : message;
  });
  const lineageOf = (message: Message) => lineageOfHeader(message.Attributes?.AWSTraceHeader);
  const stopped = traced.filter((message) => stopsRecursion(platform, lineageOf(message)));
  for (const message of stopped) {
    await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: message.Body ?? '' }));
    await deleteMessages(sqs, queueUrl, [message]);
  }
  const Messages = traced.filter((message) => !stopped.includes(message));
  if (Messages.length === 0) return { received: received.length, failed: 0, timedOut: false, stopped: stopped.length };
  const delivered = options.duplicateDeliveries
    ? Messages.flatMap((message) => [message, { ...message, MessageId: `${message.MessageId}-again` }])
    : Messages;
  const all = new Set(delivered.map((message) => message.MessageId ?? ''));
  const timeoutMs = options.functionTimeoutMs ?? platform.function.timeoutSeconds * 1000;
  const startedAt = Date.now();
  const scope: InvocationScope = {
    lineage: invocationLineage(Messages.map(lineageOf)),
    killedAt: startedAt + timeoutMs,
    now: Date.now,
  };
  const invocation = runInvocation(
    scope,
    async () =>
      (await options.handler(toSqsEvent(delivered, queueArn), fakeLambdaContext({ timeoutMs }))) as
        | SQSBatchResponse
        | undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let failedIds: Set<string>;
  let timedOut = false;
  try {
    const response = await Promise.race([invocation, ended]);
    if (response === 'timeout') {
      // Lambda ends the invocation: whatever it would have answered is lost (its later sends are refused).
      timedOut = true;
      scope.killed = true;
      invocation.catch(() => undefined);
      failedIds = all;
    } else {
      failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      if (failedIds.size > 0 && !platform.eventSource.reportBatchItemFailures) failedIds = all;
    }
  } catch {
    failedIds = all;
  } finally {
    clearTimeout(timer);
  }
  const failed = (message: Message) =>
    failedIds.has(message.MessageId ?? '') || failedIds.has(`${message.MessageId}-again`);
  const done = Messages.filter((message) => !failed(message));
  await deleteMessages(sqs, queueUrl, done);
  return {
    received: received.length,
    failed: Messages.length - done.length,
    timedOut,
    stopped: stopped.length,
  };
}

async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  if (messages.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
    }),
  );
}

/** Polls until `until()` holds, or fails after `timeoutMs` of real time. */
export async function consumeUntil(
  options: ConsumerOptions & { readonly until: () => boolean | Promise<boolean>; readonly timeoutMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (!(await options.until())) {
    if (Date.now() > deadline)
      throw new Error(`consumeUntil: condition not met within ${options.timeoutMs ?? 20_000} ms`);
    await pollOnce(options);
  }
}

/** Every message on a queue now (received with a visibility timeout, not deleted), for assertions. */
export async function peekMessages(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const seen: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return seen;
    seen.push(...Messages);
  }
}

/** Sends `body` as is (as an operator, a schedule or a rule puts a request on the work queue). */
export async function sendToQueue(sqs: SQSClient, queueUrl: string, body: string, delaySeconds = 0): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds }));
}
