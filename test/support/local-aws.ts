/**
 * Local AWS for tests and the local drill: fauxqs (SQS) and dynalite (DynamoDB) in-process, on ports the OS picks,
 * with the queues and the table created as the stack creates them (work queue + DLQ with redrive; ledger table with
 * `pk`, GSI `byCluster`). Also a consumer that feeds the work queue to a Lambda handler as the SQS event source
 * mapping does (batches, partial batch responses, visibility timeouts, redrive).
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
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { BY_CLUSTER_INDEX } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { fakeLambdaContext } from './lambda-context.ts';

// dynalite ships CommonJS without types: this is the one call we make.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalAwsOptions {
  /** Work queue visibility timeout, seconds (the stack: 6 × the function timeout). Default 30. */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before SQS moves a message to the DLQ. Default 5. */
  readonly maxReceiveCount?: number;
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
  readonly tableName: string;
  readonly fauxqs: FauxqsServer;
  stop(): Promise<void>;
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const prefix = options.prefix ?? 'atlas-restore';
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
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetter.queueArn,
        maxReceiveCount: String(options.maxReceiveCount ?? 5),
      }),
    },
  });

  const sqs = new SQSClient({ region: REGION, endpoint: sqsEndpoint, credentials: CREDENTIALS });
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
    tableName,
    fauxqs,
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
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** Lambda batch size. Default 10. */
  readonly batchSize?: number;
  /** Remaining time the fake context reports, ms. Default 60 s. */
  readonly functionTimeoutMs?: number;
  /** Long-poll wait per receive, seconds. Default 1. */
  readonly waitTimeSeconds?: number;
  /** Hand every message to the handler twice in the same batch, as SQS's at-least-once delivery may. */
  readonly duplicateDeliveries?: boolean;
}

export interface PollResult {
  readonly received: number;
  readonly failed: number;
}

/**
 * Receives one batch and runs it through the handler as the SQS event source mapping does: successes are deleted,
 * `batchItemFailures` (or everything, if the handler throws) stay and come back after the visibility timeout.
 */
export async function pollOnce(options: ConsumerOptions): Promise<PollResult> {
  const { sqs, queueUrl } = options;
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.batchSize ?? 10,
      WaitTimeSeconds: options.waitTimeSeconds ?? 1,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  if (Messages.length === 0) return { received: 0, failed: 0 };
  const delivered = options.duplicateDeliveries
    ? Messages.flatMap((message) => [message, { ...message, MessageId: `${message.MessageId}-again` }])
    : Messages;
  let failedIds: Set<string>;
  try {
    const response = (await options.handler(
      toSqsEvent(delivered, options.queueArn),
      fakeLambdaContext({ timeoutMs: options.functionTimeoutMs ?? 60_000 }),
    )) as SQSBatchResponse | undefined;
    failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  } catch {
    failedIds = new Set(delivered.map((message) => message.MessageId ?? ''));
  }
  const failed = (message: Message) =>
    failedIds.has(message.MessageId ?? '') || failedIds.has(`${message.MessageId}-again`);
  const done = Messages.filter((message) => !failed(message));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }
  return { received: Messages.length, failed: Messages.length - done.length };
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
