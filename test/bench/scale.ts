import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createAtlasClient } from '../../functions/core/atlas/client.ts';
import { workflowConfig } from '../../functions/core/config.ts';
import { environmentCredentials } from '../../functions/core/credentials/environment.ts';
import { createDynamoDbLedger } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { createSqsQueue } from '../../functions/core/queue/sqs-queue.ts';
import { createHandler } from '../../functions/core/workflow/lambda-handler.ts';
import type { Operation } from '../../functions/core/workflow/operation.ts';
import type { Log, Reporter } from '../../functions/core/workflow/ports.ts';
import { createRestoreService } from '../../functions/core/workflow/service.ts';
import { type AtlasSimulator, SimulatedClock, startAtlasSimulator } from '../atlas-simulator/index.ts';
import { fakeLambdaContext } from '../support/lambda-context.ts';
import { type LocalAws, peekMessages, startLocalAws, toSqsEvent } from '../support/local-aws.ts';
import { format, type SectionResult } from './report.ts';
import { allowedTargets, drillRequest, type RestorePair } from './world.ts';

/** The deployed event source mapping and function (the template synthesized from cdk.json): what Lambda would run the queue with. */
export interface ScaleDeployment {
  readonly maxConcurrency: number;
  readonly batchSize: number;
  readonly functionTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

export interface ScaleOptions {
  readonly requests: number;
  /** Simulated ms per real ms. */
  readonly scale: number;
  readonly deployment: ScaleDeployment;
  /** Simulated seconds each automated restore runs. */
  readonly restoreSeconds: number;
  /** Real ms after which the run stops and reports what it reached. */
  readonly timeoutMs: number;
}

/** Real ms between empty receives of one poller. */
const IDLE_RECEIVE_MS = 10;

class Tally implements Reporter {
  readonly outcomes = new Map<string, number>();
  deferrals = 0;
  rejections = 0;
  outcome(operation: Operation): void {
    const kind = operation.outcome ?? 'none';
    this.outcomes.set(kind, (this.outcomes.get(kind) ?? 0) + 1);
  }
  deferred(): void {
    this.deferrals += 1;
  }
  rejected(): void {
    this.rejections += 1;
  }
  get finished(): number {
    let total = 0;
    for (const count of this.outcomes.values()) total += count;
    return total;
  }
}

/** Logs nothing (500 restores would flood the terminal) and counts warnings and errors. */
class QuietLog implements Log {
  warnings = 0;
  errors = 0;
  debug(): void {}
  info(): void {}
  warn(): void {
    this.warnings += 1;
  }
  error(): void {
    this.errors += 1;
  }
}

/**
 * A Lambda context on the simulated clock: the invocation's time budget is simulated seconds, as the handler's
 * deadline and the Atlas client's retries count them.
 */
function simulatedContext(clock: SimulatedClock, timeoutSeconds: number): Context {
  const endsAt = clock.now() + timeoutSeconds * 1000;
  return { ...fakeLambdaContext(), getRemainingTimeInMillis: () => Math.max(0, endsAt - clock.now()) };
}

/** Section 4: `requests` concurrent restores in one project through the handler and SQS, under Atlas's rate limit. */
export async function measureScale(
  options: ScaleOptions,
): Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'>> {
  const { scale } = options;
  const clock = new SimulatedClock({ scale });
  // Atlas's Cloud Backups bucket: 1200 requests per project, refilled at 500 a minute (the simulator's default).
  const sim = await startAtlasSimulator({
    clock,
    rateLimit: { capacity: 1200, refillPerMinute: 500 },
    durations: { automatedRestoreMs: options.restoreSeconds * 1000 },
  });
  // The queue as the stack deploys it (visibility timeout, maxReceiveCount), its waits at the simulated clock's pace.
  const aws = await startLocalAws({ prefix: `bench-scale-${process.pid}`, timeScale: scale });
  const visibilityTimeoutSeconds = aws.platform.workQueue.visibilityTimeoutSeconds;
  try {
    return await runScale(sim, aws, options, visibilityTimeoutSeconds);
  } finally {
    await aws.stop();
    await sim.close();
  }
}

async function runScale(
  sim: AtlasSimulator,
  aws: LocalAws,
  options: ScaleOptions,
  visibilityTimeoutSeconds: number,
): Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'>> {
  const { deployment, scale } = options;
  const { clock } = sim;
  const { groupId, sourceClusterName, credentials } = sim.seed;
  const pairs: RestorePair[] = Array.from({ length: options.requests }, (_, index) => {
    const suffix = String(index).padStart(5, '0');
    return { operationId: `scale-${suffix}`, sourceClusterName, targetClusterName: `tgt-scale-${suffix}` };
  });
  for (const pair of pairs) sim.state.addCluster(groupId, { name: pair.targetClusterName });

  const tally = new Tally();
  const log = new QuietLog();
  const config = workflowConfig({ allowedTargets: allowedTargets(groupId, pairs) });
  // One composition per execution environment, as restore-handler.ts builds it, on the simulated clock.
  const environments = Array.from({ length: deployment.maxConcurrency }, () => {
    const atlas = createAtlasClient({
      credentials: environmentCredentials({
        MONGODB_ATLAS_CLIENT_ID: credentials.clientId,
        MONGODB_ATLAS_CLIENT_SECRET: credentials.clientSecret,
      }),
      baseUrl: sim.baseUrl,
      now: () => clock.now(),
      sleep: (ms) => sleep(ms / scale),
    });
    const service = createRestoreService({
      atlas,
      queue: createSqsQueue({
        client: aws.sqs,
        workQueueUrl: aws.workQueueUrl,
        deadLetterQueueUrl: aws.deadLetterQueueUrl,
        delayScale: scale,
      }),
      ledger: createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName }),
      clock,
      config,
      log,
      reporter: tally,
    });
    return { atlas, handler: createHandler({ service, log, now: () => clock.now() }) };
  });

  const counters = { invocations: 0, messages: 0, failedMessages: 0 };
  const startedAtReal = performance.now();
  const startedAtSimulated = clock.now();
  let finishedAtSimulated = startedAtSimulated;
  const deadline = Date.now() + options.timeoutMs;
  let stopped = false;
  const done = () => stopped || tally.finished + tally.rejections >= options.requests || Date.now() > deadline;

  /** One poller of the event source mapping, feeding batches to one execution environment's handler. */
  async function consume(handler: (typeof environments)[number]['handler']): Promise<void> {
    while (!done()) {
      const { Messages = [] } = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.workQueueUrl,
          MaxNumberOfMessages: deployment.batchSize,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) {
        await sleep(IDLE_RECEIVE_MS);
        continue;
      }
      counters.invocations += 1;
      counters.messages += Messages.length;
      const response = await handler(
        toSqsEvent(Messages, aws.workQueueArn),
        simulatedContext(clock, deployment.functionTimeoutSeconds),
      );
      const retried = new Set(
        'batchItemFailures' in response ? response.batchItemFailures.map((item) => item.itemIdentifier) : [],
      );
      counters.failedMessages += retried.size;
      await deleteHandled(
        aws,
        Messages.filter((message) => !retried.has(message.MessageId ?? '')),
      );
      finishedAtSimulated = clock.now();
    }
  }

  try {
    await sendRequests(
      aws,
      pairs.map((pair) => JSON.stringify(drillRequest(groupId, pair))),
    );
    await Promise.all(
      environments.map(async ({ handler }) => {
        try {
          await consume(handler);
        } catch (error) {
          // Stop the other pollers too: the servers close when this section ends.
          stopped = true;
          throw error;
        }
      }),
    );
  } finally {
    await Promise.all(environments.map(({ atlas }) => atlas.close()));
  }
  const wallSeconds = (performance.now() - startedAtReal) / 1000;
  const simulatedSeconds = (finishedAtSimulated - startedAtSimulated) / 1000;
  const deadLetters = (await peekMessages(aws.sqs, aws.deadLetterQueueUrl)).length;
  const atlasRequests = sim.requests.filter((request) => request.path !== '/api/oauth/token');
  const tokensMinted = sim.requests.filter(
    (request) => request.path === '/api/oauth/token' && request.status === 200,
  ).length;
  const rateLimited = atlasRequests.filter((request) => request.status === 429).length;
  // getCluster is in Atlas's Clusters endpoint set; every other call here draws on the Cloud Backups bucket.
  const bucketCalls = atlasRequests.filter((request) => request.operationId !== 'getCluster');
  const peakPerMinute = peakInWindow(
    bucketCalls.map((request) => request.at),
    60_000,
  );
  const submissions = atlasRequests.filter(
    (request) => request.operationId === 'createBackupRestoreJob' && request.status === 200,
  );
  const allSubmittedSeconds =
    (Math.max(startedAtSimulated, ...submissions.map((request) => request.at)) - startedAtSimulated) / 1000;
  const byOperation = new Map<string, number>();
  for (const request of atlasRequests) {
    const key = request.operationId ?? request.path;
    byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
  }

  const succeeded = tally.outcomes.get('succeeded') ?? 0;
  const data = {
    requests: options.requests,
    scale,
    deployment,
    outcomes: Object.fromEntries(tally.outcomes),
    succeeded,
    deferrals: tally.deferrals,
    rejections: tally.rejections,
    deadLetters,
    atlasCalls: atlasRequests.length,
    atlasCallsByOperation: Object.fromEntries(byOperation),
    rateLimited,
    bucketCalls: bucketCalls.length,
    peakBucketCallsPerMinute: peakPerMinute,
    allSubmittedSeconds,
    tokensMinted,
    ...counters,
    warnings: log.warnings,
    errors: log.errors,
    simulatedSeconds,
    wallSeconds,
    timedOut: tally.finished + tally.rejections < options.requests,
  };
  return {
    section: '4. Scale',
    status: 'measured',
    data,
    tables: [
      {
        title: `${options.requests} concurrent restore requests in one project, Cloud Backups bucket 1200 + 500/min, restores of ${options.restoreSeconds} s, clock ×${scale}`,
        columns: ['measure', 'value'],
        rows: [
          ['operations completed (succeeded)', `${format.int(succeeded)} / ${format.int(options.requests)}`],
          [
            'other outcomes',
            [...tally.outcomes]
              .filter(([kind]) => kind !== 'succeeded')
              .map(([kind, count]) => `${kind} ${count}`)
              .join(', ') || 'none',
          ],
          ['dead letters', format.int(deadLetters)],
          ['429s met', format.int(rateLimited)],
          [
            'Cloud Backups calls · peak in a simulated minute',
            `${format.int(bucketCalls.length)} · ${format.int(peakPerMinute)} (refill 500/min)`,
          ],
          ['every job submitted after (simulated)', format.seconds(allSubmittedSeconds)],
          ['Atlas calls (total)', format.int(atlasRequests.length)],
          ['Atlas calls per operation', (atlasRequests.length / options.requests).toFixed(2)],
          [
            'Atlas calls by operation',
            [...byOperation]
              .sort((a, b) => b[1] - a[1])
              .map(([operation, count]) => `${operation} ${count}`)
              .join(', '),
          ],
          ['tokens minted', `${format.int(tokensMinted)} (${deployment.maxConcurrency} execution environments)`],
          [
            'invocations (batches) · messages · retried',
            `${format.int(counters.invocations)} · ${format.int(counters.messages)} · ${format.int(counters.failedMessages)}`,
          ],
          ['deferrals', format.int(tally.deferrals)],
          ['simulated time', format.seconds(simulatedSeconds)],
          ['wall time', format.seconds(wallSeconds)],
        ],
      },
    ],
    notes: [
      `The event source mapping as deployed (cdk.json): ${deployment.maxConcurrency} concurrent invocations of ${deployment.batchSize} messages, visibility timeout ${visibilityTimeoutSeconds} s, ${deployment.maxReceiveCount} receives before the DLQ; one composition of the handler per execution environment (its own Atlas client and token), on the simulator's clock (SQS delays and the Atlas client's retry waits scaled alike).`,
      'All requests restore the seeded source cluster (each onto its own allow-listed target), so every start lists a growing set of restore jobs.',
      `The clock runs ${scale}× real time, so local processing time is stretched ${scale}× too: with a faster clock the bucket refills more per unit of work and fewer 429s show.`,
      ...(data.timedOut
        ? [`Stopped after ${options.timeoutMs / 1000} s of real time, before every operation finished.`]
        : []),
    ],
  };
}

/** The most timestamps within any `windowMs` (two pointers over the sorted times). */
export function peakInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

async function sendRequests(aws: LocalAws, bodies: readonly string[]): Promise<void> {
  for (let first = 0; first < bodies.length; first += 10) {
    const entries = bodies.slice(first, first + 10).map((body, index) => ({ Id: String(index), MessageBody: body }));
    await aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: aws.workQueueUrl, Entries: entries }));
  }
}

async function deleteHandled(aws: LocalAws, messages: readonly Message[]): Promise<void> {
  if (messages.length === 0) return;
  await aws.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: aws.workQueueUrl,
      Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
    }),
  );
}
