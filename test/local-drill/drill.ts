/**
 * One DR drill, end to end, on this machine: the Atlas simulator, SQS (fauxqs) and DynamoDB (dynalite) in-process,
 * and the Lambda's real handler fed by a consumer that does what the SQS event source mapping does. Nothing here
 * decides anything about the restore: the lines come from the ledger the handler writes and from its structured
 * logs; the report from the operation it recorded and the simulator's own view.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { narrateSteps, sinceRequest } from '../../functions/cli/operation-narrative.ts';
import { createAtlasClient } from '../../functions/core/atlas/client.ts';
import { clusterKey, restoreTarget } from '../../functions/core/contract/restore-request.ts';
import { environmentCredentials } from '../../functions/core/credentials/environment.ts';
import { createDynamoDbLedger } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { createSqsQueue } from '../../functions/core/queue/sqs-queue.ts';
import { createSqsVerificationQueue } from '../../functions/core/queue/sqs-verification-queue.ts';
import { createPowertoolsReporter, outcomeRecord } from '../../functions/core/reporting/reporter.ts';
import { createReaperSchedules } from '../../functions/core/scheduler/reaper-schedules.ts';
import { createHandler } from '../../functions/core/workflow/lambda-handler.ts';
import type { Operation } from '../../functions/core/workflow/operation.ts';
import { createRestoreService } from '../../functions/core/workflow/service.ts';
import { SimulatedClock, startAtlasSimulator } from '../atlas-simulator/index.ts';
import { workflowConfigOf } from '../support/lambda-platform/deployed.ts';
import { pollOnce, type SqsHandler, startLocalAws } from '../support/local-aws.ts';
import { type LocalScheduler, startLocalScheduler } from '../support/local-scheduler.ts';
import { SCENARIO_PLANS, type Scenario } from './scenarios.ts';
import { createStructuredLog, type LogRecord } from './structured-log.ts';
import { type LocalVerification, startLocalVerification } from './verification.ts';

export interface DrillOptions {
  readonly scenario: Scenario;
  /** Simulated ms per real ms; the queue's delays are divided by the same factor. */
  readonly scale: number;
  /** Real ms after which the drill gives up. */
  readonly timeoutMs: number;
  /** One line per step, as it happens. */
  readonly onLine: (text: string) => void;
  /** What the drill waits for now (a spinner shows it on a terminal). */
  readonly onStatus?: (text: string) => void;
  /** Every structured log record the handler writes. */
  readonly onLog?: (record: LogRecord) => void;
}

export interface DrillReport {
  readonly scenario: Scenario;
  readonly summary: string;
  readonly scale: number;
  readonly succeeded: boolean;
  /** The verification's verdict, when the drill was verified. */
  readonly verdict?: 'pass' | 'fail' | 'unknown' | 'pending';
  /** The drill passed: the restore succeeded and, when verified, the verification passed. */
  readonly passed: boolean;
  /** Heartbeats the writer put on the source during the drill (every simulated interval). */
  readonly heartbeatsWritten: number;
  /** The operation as the ledger holds it, in the reporter's outcome-record shape (times in simulated ISO). */
  readonly operation: Record<string, unknown>;
  /** Restore jobs the simulated Atlas holds for the source cluster: exactly one, or the workflow submitted twice. */
  readonly restoreJobs: number;
  /** HTTP requests the simulated Atlas answered (token requests and digest challenges included). */
  readonly atlasRequests: number;
  readonly batches: number;
  readonly messages: number;
  /** Records the handler reported in batchItemFailures (SQS delivered them again). */
  readonly failedMessages: number;
  readonly warnings: readonly string[];
  readonly steps: readonly string[];
  readonly wallClockSeconds: number;
  /** An ephemeral drill's target: `groupId/name`, its cluster-hours and cost, and whether Atlas still has it. */
  readonly ephemeral?: {
    readonly cluster: string;
    readonly clusterHours?: number;
    readonly costUsd?: number;
    readonly stillExists: boolean;
    /** Reap messages the reaper's schedule sent. */
    readonly reaperFired: number;
  };
}

/** Sample list prices (USD per hour) for the drill's cost estimate; a deployment configures its own. */
const DRILL_TIER_PRICES = { M10: 0.08, M20: 0.2, M30: 0.54, M40: 1.04, M50: 2.0 };
const REAPER_GROUP = 'local-reapers';

const SERVICE = 'atlas-restore-orchestrator';
/** Real ms between empty receives. */
const IDLE_POLL_MS = 20;

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const startedAt = performance.now();
  const plan = SCENARIO_PLANS[options.scenario];
  const clock = new SimulatedClock({ scale: options.scale });
  const sim = await startAtlasSimulator({
    clock,
    seed: plan.seed,
    ...(plan.durations === undefined ? {} : { durations: plan.durations }),
  });
  plan.fault?.(sim, sim.seed);
  // Lambda and SQS as the stack deploys them, the queue's waits at the simulated clock's pace.
  const aws = await startLocalAws({ prefix: `drill-${process.pid}`, timeScale: options.scale });
  // EventBridge Scheduler for the reaper's one-off schedules, on the simulated clock, sending to fauxqs.
  const scheduler: LocalScheduler | undefined = plan.ephemeral
    ? await startLocalScheduler({ clock, sqs: aws.sqs, queueUrls: { [aws.workQueueArn]: aws.workQueueUrl } })
    : undefined;
  const steps: string[] = [];
  const warnings: string[] = [];
  const line = (text: string) => {
    steps.push(text);
    options.onLine(text);
  };
  const log = createStructuredLog({
    service: SERVICE,
    sink(record) {
      options.onLog?.(record);
      if (record.level === 'WARN' || record.level === 'ERROR') {
        const text = `${record.level.toLowerCase()}: ${record.message}${describeError(record)}`;
        warnings.push(text);
        line(text);
      }
    },
  });
  const { seed } = sim;
  const atlas = createAtlasClient({
    credentials: environmentCredentials({
      MONGODB_ATLAS_CLIENT_ID: seed.credentials.clientId,
      MONGODB_ATLAS_CLIENT_SECRET: seed.credentials.clientSecret,
    }),
    baseUrl: sim.baseUrl,
    logger: log,
  });

  try {
    const request = { ...plan.request(seed, clock.now()), requestId: `drill-${options.scenario}-${clock.now()}` };
    const target = restoreTarget(request);
    const ledger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });
    const users = seed.databaseUsers;
    const source = { groupId: request.groupId, clusterName: request.clusterName };
    // Started once the restore chain took the request, not before: the data plane's first start (its CA and
    // certificates) takes simulated minutes at this scale, which the drill's first step must not wait for.
    let verification: LocalVerification | undefined;
    let verificationReady: Promise<void> | undefined;
    const startVerification = () => {
      if (verificationReady !== undefined || aws.verification === undefined || users === undefined) return;
      verificationReady = (async () => {
        const { caFile } = await sim.dataPlane.ready();
        verification = startLocalVerification({
          aws,
          atlas,
          atlasBaseUrl: sim.baseUrl,
          caFile,
          store: ledger,
          clock,
          log,
          verifierUser: users.verifier,
          heartbeatUser: users.heartbeatWriter,
          heartbeatSources: [source],
        });
      })();
      // Surfaced when awaited at the end; never an unhandled rejection meanwhile.
      verificationReady.catch(() => undefined);
    };
    // The composition of functions/restore-handler.ts, with local adapters and the simulator's clock.
    const service = createRestoreService({
      atlas,
      queue: createSqsQueue({
        client: aws.sqs,
        workQueueUrl: aws.workQueueUrl,
        deadLetterQueueUrl: aws.deadLetterQueueUrl,
        delayScale: options.scale,
      }),
      ...(aws.verification === undefined
        ? {}
        : { verificationQueue: createSqsVerificationQueue({ client: aws.sqs, queueUrl: aws.verification.queueUrl }) }),
      ledger,
      clock,
      // The deployment's guardrails, as its configuration would list this drill: its source (downloads opted in) and target.
      config: workflowConfigOf(aws.platform, {
        allowedSources: [clusterKey(request)],
        downloadAllowedSources: [clusterKey(request)],
        allowedTargets: target ? [clusterKey(target)] : [],
        ...(plan.ephemeral ? { allowedDrillProjects: [seed.groupId], tierPricesUsdPerHour: DRILL_TIER_PRICES } : {}),
      }),
      log,
      reporter: createPowertoolsReporter({ log, serviceName: SERVICE }),
      ...(scheduler === undefined
        ? {}
        : {
            // The deployed adapter, against the local Scheduler.
            reaperSchedules: createReaperSchedules({
              groupName: REAPER_GROUP,
              roleArn: 'arn:aws:iam::000000000000:role/local-reaper',
              workQueueArn: aws.workQueueArn,
              deadLetterQueueArn: aws.workQueueArn.replace(/-work$/, '-dlq'),
              clientConfig: {
                endpoint: scheduler.endpoint,
                region: 'us-east-1',
                credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
              },
            }),
          }),
    });
    const lambdaHandler = createHandler({ service, log });
    // A dead chain: once the drill cluster exists, the operation's step messages are lost (each is consumed and
    // dropped unprocessed); only what the reaper's schedule sends still reaches the function.
    let chainDead = false;
    let reaperFired = 0;
    let leaseEnded = false;
    const handler: SqsHandler = async (event, context) => {
      if (!chainDead) return lambdaHandler(event, context);
      const reaps = event.Records.filter((record) => record.body.includes('"kind":"reap"'));
      if (reaps.length === 0) return { batchItemFailures: [] };
      return lambdaHandler({ Records: reaps }, context);
    };

    // What an EventBridge Scheduler schedule does: the request, with a requestId naming the schedule and its time.
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: aws.workQueueUrl, MessageBody: JSON.stringify(request) }));

    const deadline = Date.now() + options.timeoutMs;
    let previous: Operation | undefined;
    let batches = 0;
    let messages = 0;
    let failedMessages = 0;
    let heartbeatsWritten = 0;
    for (;;) {
      // The heartbeat schedule, every simulated interval, through the writer's handler.
      for (const report of (await verification?.writeDueHeartbeats()) ?? []) {
        if (report.written) heartbeatsWritten += 1;
        else line(`heartbeat not written on ${report.source}: ${report.reason}`);
      }
      const operation = await ledger.get(request.requestId);
      if (operation !== undefined) {
        startVerification();
        const now = clock.now();
        for (const text of narrateSteps(previous, operation, now)) line(`${sinceRequest(operation, now)} ${text}`);
        previous = operation;
        if (operation.outcome !== undefined) break;
        if (plan.ephemeral?.crashAfterCreate && !chainDead && operation.ephemeralCluster?.createdAt !== undefined) {
          chainDead = true;
          line(`${sinceRequest(operation, now)} crash: the chain dies (its step messages are lost from now on)`);
        }
        if (chainDead && !leaseEnded && scheduler !== undefined) {
          // Nothing happens until the reaper's time: let the simulated clock get there at once.
          const due = Math.min(...scheduler.schedules().map((schedule) => schedule.at));
          if (Number.isFinite(due) && due > clock.now()) clock.advance(due - clock.now());
          leaseEnded = true;
          line(`${sinceRequest(operation, clock.now())} simulated: the lease ends; the reaper schedule is due`);
        }
        options.onStatus?.(
          `${sinceRequest(operation, now)} simulated: waiting for the next ${operation.pending?.kind ?? 'step'}`,
        );
      }
      if (Date.now() > deadline) {
        line(`gave up: no outcome after ${Math.round(options.timeoutMs / 1000)} s of real time`);
        break;
      }
      if (scheduler !== undefined) {
        const fired = await scheduler.fireDue();
        if (fired > 0)
          line(
            `${previous ? sinceRequest(previous, clock.now()) : ''} reaper: the schedule sent the reap message`.trim(),
          );
        reaperFired += fired;
      }
      const batch = await pollOnce({
        aws,
        handler,
        // Short polls: fauxqs answers a long poll late when a delayed message turns visible during it, and a second
        // late there is a simulated minute here. AWS's event source mapping long-polls; SQS answers it at once.
        waitTimeSeconds: 0,
      });
      // The verifier's event source mapping, on its own queue.
      const verifierBatch = (await verification?.pollVerifier()) ?? { received: 0, failed: 0 };
      if (batch.received === 0 && verifierBatch.received === 0) await sleep(IDLE_POLL_MS);
      batches += (batch.received > 0 ? 1 : 0) + (verifierBatch.received > 0 ? 1 : 0);
      messages += batch.received + verifierBatch.received;
      failedMessages += batch.failed + verifierBatch.failed;
    }
    await verificationReady;
    const verdict =
      previous?.verification === undefined ? undefined : (previous.verification.result?.verdict ?? 'pending');

    const drillCluster = previous?.ephemeralCluster;
    const stillExists =
      drillCluster !== undefined && sim.state.cluster(drillCluster.groupId, drillCluster.clusterName) !== undefined;
    const expectedOutcome = plan.ephemeral?.expectedOutcome ?? 'succeeded';
    // An ephemeral drill succeeds only once its cluster is gone too (deleted by the workflow, or by the reaper).
    const succeeded = previous?.outcome === expectedOutcome && !stillExists;
    return {
      scenario: options.scenario,
      summary: plan.summary,
      scale: options.scale,
      succeeded,
      ...(verdict === undefined ? {} : { verdict }),
      passed: succeeded && (request.verify === undefined || verdict === 'pass'),
      heartbeatsWritten,
      operation: previous ? outcomeRecord(previous) : { operationId: request.requestId },
      restoreJobs: sim.state.restoreJobs(seed.groupId, seed.sourceClusterName).length,
      atlasRequests: sim.requests.length,
      batches,
      messages,
      failedMessages,
      warnings,
      steps,
      wallClockSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
      ...(drillCluster === undefined
        ? {}
        : {
            ephemeral: {
              cluster: `${drillCluster.groupId}/${drillCluster.clusterName}`,
              ...(drillCluster.clusterHours === undefined ? {} : { clusterHours: drillCluster.clusterHours }),
              ...(drillCluster.estimatedCostUsd === undefined ? {} : { costUsd: drillCluster.estimatedCostUsd }),
              stillExists,
              reaperFired,
            },
          }),
    };
  } finally {
    await atlas.close();
    await scheduler?.close();
    await aws.stop();
    await sim.close();
  }
}

function describeError(record: LogRecord): string {
  const error = record.error as { message?: unknown } | string | undefined;
  const detail = typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : undefined;
  return detail ? `: ${detail}` : '';
}
