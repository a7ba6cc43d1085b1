/**
 * The whole function as Lambda runs it, on local parts: the real Lambda handler (Powertools batch processing), the
 * workflow's composition root, the real Atlas client over HTTP to the Atlas simulator, credentials from a (mocked)
 * Secrets Manager secret, the DynamoDB ledger on dynalite (or the in-memory ledger), Powertools logs and metrics
 * captured from stdout, and the work queue as a discrete-event simulation with SQS's delivery rules. Lambda and SQS
 * behave as the stack deploys them (test/support/lambda-platform): the function's timeout (an invocation still running
 * then is ended, and its whole batch comes back after the visibility timeout), batch size, partial batch responses,
 * visibility timeout, maxReceiveCount and the recursive-loop setting, with each message's trace lineage.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import type { AtlasApi } from '../../../functions/core/atlas/api.ts';
import { type AtlasClient, createAtlasClient } from '../../../functions/core/atlas/client.ts';
import type { WorkflowConfig, workflowConfig } from '../../../functions/core/config.ts';
import type { RestoreRequest } from '../../../functions/core/contract/restore-request.ts';
import { secretsManagerCredentials } from '../../../functions/core/credentials/secrets-manager.ts';
import { createDynamoDbLedger } from '../../../functions/core/ledger/dynamodb-ledger.ts';
import { createLogger } from '../../../functions/core/reporting/logger.ts';
import { createPowertoolsReporter } from '../../../functions/core/reporting/reporter.ts';
import { createHandler, type RestoreHandler } from '../../../functions/core/workflow/lambda-handler.ts';
import type { Ledger, Queue } from '../../../functions/core/workflow/ports.ts';
import {
  createRestoreService,
  type MessageResult,
  type RestoreService,
} from '../../../functions/core/workflow/service.ts';
import {
  type AtlasSimulator,
  type Credentials,
  type SeedInfo,
  SimulatedClock,
  type SimulatorOptions,
  startAtlasSimulator,
} from '../../atlas-simulator/index.ts';
import { InMemoryLedger } from '../../functions/core/workflow/fakes.ts';
import { deployedPlatform, type LambdaPlatform, workflowConfigOf } from '../../support/lambda-platform/deployed.ts';
import {
  invocationLineage,
  RECURSION_STOPPED,
  runInvocation,
  stopsRecursion,
  traceHeader,
} from '../../support/lambda-platform/lineage.ts';
import { createLedgerTable, toSqsEvent } from '../../support/local-aws.ts';
import { DiscreteEventQueue, type QueuedMessage } from './event-queue.ts';
import { LogCapture, SecretWatch } from './log-capture.ts';
import { MockedSecret, SECRET_ID } from './secret.ts';
import { SystemTime } from './time.ts';

export const WORK_QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:atlas-restore-work';

/** 2026-11-28T06:00:00Z: Atlas's clock at the start of every run. */
export const CLOCK_START = Date.UTC(2026, 10, 28, 6, 0, 0);

export interface SystemOptions {
  /** Default 'memory'; 'dynamodb' needs `dynamodbEndpoint` (dynalite). */
  readonly ledger?: 'dynamodb' | 'memory';
  readonly dynamodbEndpoint?: string;
  /** Fails a DynamoDB command before it is sent (after the SDK's own retries, as if they were exhausted). */
  readonly dynamodbFault?: (command: string, input: Record<string, unknown>) => Error | undefined;
  /**
   * Loses the answer of a DynamoDB command after DynamoDB applied it (a timeout on the way back): the SDK's retry
   * strategy sends it again, as it does in Lambda.
   */
  readonly dynamodbAnswerLost?: (command: string, input: Record<string, unknown>) => boolean;
  readonly simulator?: Omit<SimulatorOptions, 'clock'>;
  /** Workflow settings (the simulator may be given more clusters first); ALLOWED_TARGETS defaults to the seeded target. */
  readonly config?: (seed: SeedInfo, sim: AtlasSimulator) => Parameters<typeof workflowConfig>[0];
  /** The workflow's clock minus Atlas's, ms. */
  readonly skewMs?: number;
  /** Default 'serviceAccount'. */
  readonly credentialKind?: 'serviceAccount' | 'apiKey';
  /** Lambda and SQS settings. Default: as the stack deploys them (deployedPlatform()). */
  readonly platform?: LambdaPlatform;
  /** For the client's jitter. Default 0.5. */
  readonly random?: () => number;
  readonly logLevel?: 'DEBUG' | 'INFO';
  /** Default: a capture that keeps everything. */
  readonly capture?: LogCapture;
  readonly wrapAtlas?: (atlas: AtlasApi, sim: AtlasSimulator) => AtlasApi;
  readonly wrapLedger?: (ledger: Ledger) => Ledger;
  readonly wrapQueue?: (queue: Queue) => Queue;
}

export interface DeliverOptions {
  /** Remaining time of the invocation, real ms. Default the function timeout. */
  readonly remainingMs?: number;
  /** Delivered again, concurrently, in a second invocation (SQS's at-least-once delivery). */
  readonly duplicates?: readonly QueuedMessage[];
}

export interface RunOptions {
  /** Fails the run when the queue has not settled after this many invocations. Default 300. */
  readonly maxInvocations?: number;
  /** Stops as soon as it holds (checked before each invocation). */
  readonly until?: () => boolean | Promise<boolean>;
  /** Whether a message is delivered twice, concurrently. */
  readonly duplicate?: (message: QueuedMessage) => boolean;
  readonly remainingMs?: (invocation: number) => number | undefined;
}

export interface System {
  readonly sim: AtlasSimulator;
  readonly seed: SeedInfo;
  readonly time: SystemTime;
  readonly queue: DiscreteEventQueue;
  /** The ledger the workflow writes (unwrapped). */
  readonly ledger: Ledger;
  readonly secret: MockedSecret;
  readonly logs: LogCapture;
  readonly secrets: SecretWatch;
  readonly client: AtlasClient;
  readonly handler: RestoreHandler;
  readonly config: WorkflowConfig;
  /** What each handled message came to, by message id. */
  readonly results: Map<string, MessageResult[]>;
  /** What each failed message threw, by message id. */
  readonly errors: Map<string, unknown[]>;
  /** Lambda invocations so far. */
  readonly invocations: () => number;
  /** Every `batchItemFailures` entry the handler answered (message ids, in order). */
  readonly batchItemFailures: string[];
  /** Invocations Lambda ended at their timeout (their responses were lost). */
  readonly timedOut: () => number;
  /** The platform the system runs on. */
  readonly platform: LambdaPlatform;
  /** Puts a request (or any body) on the work queue, as an operator or a schedule would. */
  submit(request: RestoreRequest | string, delayMs?: number): QueuedMessage;
  /** One Lambda invocation with these records, settled as the event source mapping does. */
  deliver(messages: readonly QueuedMessage[], options?: DeliverOptions): Promise<void>;
  /** Delivers due messages in clock order, passing time between them, until the queue is empty. */
  run(options?: RunOptions): Promise<void>;
  /** New credentials at Atlas; `updateSecret` (default true) also writes them to the secret. */
  rotateCredentials(options?: { updateSecret?: boolean }): Credentials;
  close(): Promise<void>;
}

export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const time = new SystemTime(new SimulatedClock({ start: CLOCK_START, scale: 0 }), options.skewMs ?? 0);
  const sim = await startAtlasSimulator({ ...options.simulator, clock: time.atlas });
  const seed = sim.seed;
  const kind = options.credentialKind ?? 'serviceAccount';
  const secrets = new SecretWatch();
  const secret = new MockedSecret();
  const writeSecret = (credentials: Credentials) => {
    secrets.add('client secret', credentials.clientSecret);
    secrets.add('private key', credentials.privateKey);
    secrets.addBasicPair(credentials.clientId, credentials.clientSecret);
    secret.setDocument(
      kind === 'serviceAccount'
        ? { clientId: credentials.clientId, clientSecret: credentials.clientSecret }
        : { publicKey: credentials.publicKey, privateKey: credentials.privateKey },
    );
  };
  writeSecret(seed.credentials);

  const logs = (options.capture ?? new LogCapture()).start();
  const logger = createLogger({ logLevel: options.logLevel ?? 'DEBUG' });
  const client = createAtlasClient({
    credentials: secretsManagerCredentials({ secretId: SECRET_ID, client: secret.client, now: time.realNow }),
    baseUrl: sim.baseUrl,
    logger: {
      warn: (message, attributes) => logger.warn(message, attributes ?? {}),
      debug: (message, attributes) => logger.debug(message, attributes ?? {}),
    },
    now: time.realNow,
    sleep: time.sleep,
    random: options.random ?? (() => 0.5),
  });

  let dynamodb: DynamoDBClient | undefined;
  let ledger: Ledger;
  if (options.ledger === 'dynamodb') {
    if (options.dynamodbEndpoint === undefined) throw new Error('the dynamodb ledger needs dynamodbEndpoint');
    dynamodb = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: options.dynamodbEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tableName = `ledger-${Math.random().toString(36).slice(2, 10)}`;
    await createLedgerTable(dynamodb, tableName);
    const fault = options.dynamodbFault;
    if (fault) {
      dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          const error = fault(context.commandName ?? '', args.input as Record<string, unknown>);
          if (error) throw error;
          return next(args);
        },
        { step: 'initialize', name: 'reliabilityFault' },
      );
    }
    const answerLost = options.dynamodbAnswerLost;
    if (answerLost) {
      // Inside the retry middleware (deserialize runs within finalizeRequest's retries): the retry is the SDK's own.
      dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (answerLost(context.commandName ?? '', args.input as Record<string, unknown>)) {
            throw Object.assign(new Error('socket timed out after the write was applied'), {
              name: 'TimeoutError',
              $metadata: {},
            });
          }
          return result;
        },
        { step: 'deserialize', name: 'reliabilityAnswerLost' },
      );
    }
    ledger = createDynamoDbLedger({ client: dynamodb, tableName });
  } else {
    ledger = new InMemoryLedger();
  }

  const platform = options.platform ?? deployedPlatform();
  const queue = new DiscreteEventQueue(time.workflowClock, {
    visibilityTimeoutMs: platform.workQueue.visibilityTimeoutSeconds * 1000,
    maxReceiveCount: platform.workQueue.maxReceiveCount,
  });
  const baseConfig = options.config?.(seed, sim) ?? {};
  const functionTimeoutMs = platform.function.timeoutSeconds * 1000;
  // The function's environment as the template sets it (claim lease, poll delays, defer attempts…).
  const config = workflowConfigOf(platform, {
    allowedTargets: [`${seed.groupId}/${seed.targetClusterName}`],
    // The allow-lists are the deployment's own (cdk.json holds placeholders): every cluster of the simulated world may
    // be a source here; the source and download guardrails are held by the preflight and handler tests.
    allowedSources: 'any',
    downloadAllowedSources: 'any',
    ...baseConfig,
  });
  const inner = createRestoreService({
    atlas: options.wrapAtlas ? options.wrapAtlas(client, sim) : client,
    queue: options.wrapQueue ? options.wrapQueue(queue) : queue,
    ledger: options.wrapLedger ? options.wrapLedger(ledger) : ledger,
    clock: time.workflowClock,
    config,
    log: logger,
    reporter: createPowertoolsReporter({ log: logger }),
  });
  const results = new Map<string, MessageResult[]>();
  const errors = new Map<string, unknown[]>();
  const remember = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value]);
  const service: RestoreService = {
    async handleMessage(body, origin, invocation) {
      try {
        const result = await inner.handleMessage(body, origin, invocation);
        remember(results, origin.messageId, result);
        return result;
      } catch (error) {
        remember(errors, origin.messageId, error);
        throw error;
      }
    },
    acceptDirect: (event, origin) => inner.acceptDirect(event, origin),
  };
  const handler = createHandler({ service, log: logger, now: time.realNow });

  const batchSize = platform.eventSource.batchSize;
  let invocations = 0;
  let timedOut = 0;
  const batchItemFailures: string[] = [];

  /**
   * One invocation: the ids of the records it did not process. All of them if the handler threw, if it ran past its
   * time (Lambda ends it and nothing it answers arrives), or if any failed without partial batch responses.
   */
  async function invoke(messages: readonly QueuedMessage[], remainingMs: number): Promise<Set<string>> {
    invocations += 1;
    const all = new Set(messages.map((message) => message.id));
    const event = toSqsEvent(
      messages.map((message) => ({
        MessageId: message.id,
        ReceiptHandle: `${message.id}#${message.receiveCount}`,
        Body: message.body,
        Attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          ...(message.lineage > 0 ? { AWSTraceHeader: traceHeader(message.lineage) } : {}),
        },
      })),
      WORK_QUEUE_ARN,
    );
    const killedAt = time.realNow() + remainingMs;
    const lineage = invocationLineage(messages.map((message) => message.lineage));
    let failed: Set<string>;
    try {
      const response = (await runInvocation({ lineage, killedAt, now: time.realNow }, () =>
        handler(event, lambdaContext(time, remainingMs, platform)),
      )) as SQSBatchResponse;
      failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      if (time.realNow() <= killedAt) batchItemFailures.push(...failed);
    } catch {
      failed = all;
    }
    if (time.realNow() > killedAt) {
      timedOut += 1;
      return all;
    }
    return failed.size > 0 && !platform.eventSource.reportBatchItemFailures ? all : failed;
  }

  async function deliver(messages: readonly QueuedMessage[], deliverOptions: DeliverOptions = {}): Promise<void> {
    const remainingMs = deliverOptions.remainingMs ?? functionTimeoutMs;
    // A test may hand over messages it put but nobody received yet: receiving them is part of delivering.
    const unreceived = messages.filter((message) => message.receivedAt === undefined);
    if (unreceived.length > 0) queue.take(unreceived);
    const receipts = new Map(messages.map((message) => [message, queue.receipt(message)]));
    // Lambda refuses to start a chain's 17th invocation when the function's RecursiveLoop is Terminate.
    const stopped = new Set(messages.filter((message) => stopsRecursion(platform, message.lineage)));
    for (const message of stopped) queue.redrive(message, RECURSION_STOPPED);
    const invoked = messages.filter((message) => !stopped.has(message));
    const duplicates = (deliverOptions.duplicates ?? []).filter((message) => !stopped.has(message));
    if (invoked.length === 0) return;
    const batches = duplicates.length > 0 ? [invoked, duplicates] : [invoked];
    const failed = await Promise.all(batches.map((batch) => invoke(batch, remainingMs)));
    for (const message of invoked) {
      const receipt = receipts.get(message) ?? 0;
      // A copy that succeeded deletes the message: it comes back only if every copy failed.
      const everyCopyFailed = batches.every(
        (batch, index) => !batch.includes(message) || failed[index]?.has(message.id),
      );
      if (!everyCopyFailed) {
        queue.delete(message, receipt);
        continue;
      }
      const last = errors.get(message.id)?.at(-1);
      queue.release(message, receipt, describeError(last));
    }
  }

  return {
    sim,
    seed,
    time,
    queue,
    ledger,
    secret,
    logs,
    secrets,
    client,
    handler,
    config,
    results,
    errors,
    invocations: () => invocations,
    batchItemFailures,
    timedOut: () => timedOut,
    platform,
    submit(request, delayMs = 0) {
      return queue.put(typeof request === 'string' ? request : JSON.stringify(request), delayMs);
    },
    deliver,
    async run(runOptions = {}) {
      const maxInvocations = runOptions.maxInvocations ?? 300;
      for (let count = 0; ; count += 1) {
        if (runOptions.until && (await runOptions.until())) return;
        const next = queue.nextDueAt();
        if (next === undefined) return;
        if (count >= maxInvocations) throw new Error(`the queue did not settle after ${maxInvocations} invocations`);
        time.passUntil(next);
        const batch = queue.receive(time.workflowClock.now(), batchSize);
        const duplicates = runOptions.duplicate ? batch.filter(runOptions.duplicate) : [];
        const remainingMs = runOptions.remainingMs?.(count);
        await deliver(batch, { duplicates, ...(remainingMs === undefined ? {} : { remainingMs }) });
      }
    },
    rotateCredentials(rotateOptions = {}) {
      const rotated = sim.rotateCredentials();
      secrets.add('client secret', rotated.clientSecret);
      secrets.add('private key', rotated.privateKey);
      secrets.addBasicPair(rotated.clientId, rotated.clientSecret);
      if (rotateOptions.updateSecret ?? true) writeSecret(rotated);
      return rotated;
    },
    async close() {
      logs.stop();
      await client.close();
      dynamodb?.destroy();
      await sim.close();
    },
  };
}

/** A Lambda context whose remaining time counts down on the run's real time. */
export function lambdaContext(
  time: SystemTime,
  remainingMs: number,
  platform: LambdaPlatform = deployedPlatform(),
): Context {
  const endsAt = time.realNow() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'atlas-restore-orchestrator',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:atlas-restore-orchestrator',
    memoryLimitInMB: String(platform.function.memorySize),
    awsRequestId: `invocation-${Math.random().toString(36).slice(2, 10)}`,
    logGroupName: '/aws/lambda/atlas-restore-orchestrator',
    logStreamName: 'reliability',
    getRemainingTimeInMillis: () => Math.max(0, endsAt - time.realNow()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function describeError(error: unknown): string {
  if (error === undefined) return 'failed (no error recorded)';
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}
