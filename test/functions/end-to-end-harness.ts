/**
 * The whole product on one machine: the Atlas simulator on a fast simulated clock, fauxqs and dynalite, the real
 * Atlas client, SQS queue, DynamoDB ledger and Lambda handler, and a consumer feeding the work queue to the handler
 * as the SQS event source mapping would. Delays are real (scaled): nothing is stubbed between the pieces.
 */

import type { AtlasApi } from '../../functions/core/atlas/api.ts';
import { createAtlasClient } from '../../functions/core/atlas/client.ts';
import { type WorkflowConfig, workflowConfig } from '../../functions/core/config.ts';
import type { RestoreRequest } from '../../functions/core/contract/restore-request.ts';
import { createDynamoDbLedger } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { createSqsQueue } from '../../functions/core/queue/sqs-queue.ts';
import { createHandler } from '../../functions/core/workflow/lambda-handler.ts';
import type { Operation } from '../../functions/core/workflow/operation.ts';
import type { Ledger, Queue, VerificationQueue } from '../../functions/core/workflow/ports.ts';
import { createRestoreService } from '../../functions/core/workflow/service.ts';
import {
  type AtlasSimulator,
  SimulatedClock,
  type SimulatorOptions,
  startAtlasSimulator,
} from '../atlas-simulator/index.ts';
import { type ConsumerOptions, type LocalAws, pollOnce, sendToQueue, startLocalAws } from '../support/local-aws.ts';
import { RecordingLog, RecordingReporter } from './core/workflow/fakes.ts';

/** Simulated ms per real ms: a 60 s poll delay is 1 s of real SQS delay (rounded up); a 4-minute restore takes 0.8 s. */
export const SCALE = 300;

export interface EndToEnd {
  readonly sim: AtlasSimulator;
  readonly aws: LocalAws;
  readonly ledger: Ledger;
  readonly reporter: RecordingReporter;
  readonly log: RecordingLog;
  readonly config: WorkflowConfig;
  readonly handler: ReturnType<typeof createHandler>;
  readonly request: (overrides?: Partial<RestoreRequest>) => RestoreRequest;
  /** Puts a message on the work queue as an operator, a schedule or a rule would. */
  send(body: unknown): Promise<void>;
  /** Runs the consumer until the operation has an outcome (and it was reported), or fails after `timeoutMs`. */
  runUntilOutcome(operationId: string, options?: RunOptions): Promise<Operation>;
  /** Runs the consumer until the work queue stays empty for one receive. */
  runUntilIdle(options?: RunOptions): Promise<void>;
  /** POST restoreJobs requests the simulator received (whatever their answer). */
  submissions(): number;
  close(): Promise<void>;
}

export interface RunOptions extends Partial<Pick<ConsumerOptions, 'duplicateDeliveries' | 'functionTimeoutMs'>> {
  readonly timeoutMs?: number;
  /** Called after each receive, with what it got (tests advance the clock or inject faults here). */
  readonly afterPoll?: (result: { received: number; failed: number }) => void | Promise<void>;
}

export interface EndToEndOptions {
  readonly simulator?: SimulatorOptions;
  readonly config?: Parameters<typeof workflowConfig>[0];
  /** Wrap ports (crash injection). */
  readonly wrap?: {
    ledger?: (ledger: Ledger) => Ledger;
    queue?: (queue: Queue) => Queue;
    atlas?: (atlas: AtlasApi) => AtlasApi;
  };
  /** The verifier's queue (verified drills); without it, a request with `verify` is refused. */
  readonly verificationQueue?: VerificationQueue;
}

export async function startEndToEnd(options: EndToEndOptions = {}): Promise<EndToEnd> {
  const clock = options.simulator?.clock ?? new SimulatedClock({ scale: SCALE });
  const sim = await startAtlasSimulator({ rateLimit: false, ...options.simulator, clock });
  // Lambda and SQS as the stack deploys them; the visibility timeout passes at the simulated clock's pace.
  const aws = await startLocalAws({ timeScale: clock === options.simulator?.clock ? 1 : SCALE });
  const { credentials } = sim.seed;
  const atlasClient = createAtlasClient({
    baseUrl: sim.baseUrl,
    credentials: {
      get: async () => ({
        credentials: { kind: 'serviceAccount', clientId: credentials.clientId, clientSecret: credentials.clientSecret },
      }),
      invalidate: () => undefined,
    },
    retry: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
  });
  const config = workflowConfig({
    allowedTargets: [`${sim.seed.groupId}/${sim.seed.targetClusterName}`],
    ...options.config,
  });
  const ledger = (options.wrap?.ledger ?? ((l) => l))(
    createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName }),
  );
  const queue = (options.wrap?.queue ?? ((q) => q))(
    createSqsQueue({
      client: aws.sqs,
      workQueueUrl: aws.workQueueUrl,
      deadLetterQueueUrl: aws.deadLetterQueueUrl,
      delayScale: clock === options.simulator?.clock ? 1 : SCALE,
    }),
  );
  const log = new RecordingLog();
  const reporter = new RecordingReporter();
  const service = createRestoreService({
    atlas: (options.wrap?.atlas ?? ((a) => a))(atlasClient),
    queue,
    ledger,
    clock,
    config,
    log,
    reporter,
    ...(options.verificationQueue ? { verificationQueue: options.verificationQueue } : {}),
  });
  const handler = createHandler({ service, log, deadlineMarginMs: 1_000 });
  const plainLedger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });

  const consumer = (run: RunOptions): ConsumerOptions => ({
    aws,
    handler: (event, context) => handler(event, context),
    // 4 s of real time, less the 1 s margin, is 900 s on the simulated clock: the claim lease covers an invocation.
    functionTimeoutMs: run.functionTimeoutMs ?? 4_000,
    waitTimeSeconds: 1,
    ...(run.duplicateDeliveries ? { duplicateDeliveries: true } : {}),
  });

  return {
    sim,
    aws,
    ledger: plainLedger,
    reporter,
    log,
    config,
    handler,
    request: (overrides = {}) => ({
      groupId: sim.seed.groupId,
      clusterName: sim.seed.sourceClusterName,
      deliveryType: 'automated',
      snapshotId: 'latest',
      targetGroupId: sim.seed.groupId,
      targetClusterName: sim.seed.targetClusterName,
      requestId: `drill-${Math.random().toString(36).slice(2, 10)}`,
      ...overrides,
    }),
    async send(body) {
      await sendToQueue(aws.sqs, aws.workQueueUrl, typeof body === 'string' ? body : JSON.stringify(body));
    },
    async runUntilOutcome(operationId, run = {}) {
      const deadline = Date.now() + (run.timeoutMs ?? 20_000);
      for (;;) {
        const operation = await plainLedger.get(operationId);
        if (operation?.outcome !== undefined && operation.reportedAt !== undefined) return operation;
        if (Date.now() > deadline) {
          throw new Error(`no outcome for ${operationId} in time; ledger: ${JSON.stringify(operation)}`);
        }
        const result = await pollOnce(consumer(run));
        await run.afterPoll?.(result);
      }
    },
    async runUntilIdle(run = {}) {
      const deadline = Date.now() + (run.timeoutMs ?? 20_000);
      for (;;) {
        const result = await pollOnce(consumer(run));
        await run.afterPoll?.(result);
        if (result.received === 0) return;
        if (Date.now() > deadline) throw new Error('work queue not idle in time');
      }
    },
    submissions: () =>
      sim.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/backup/restoreJobs'))
        .length,
    async close() {
      await atlasClient.close();
      await sim.close();
      await aws.stop();
    },
  };
}
