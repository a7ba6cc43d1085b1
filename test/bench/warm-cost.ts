import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SECRET_CACHE_TTL_MS } from '../../functions/core/credentials/secrets-manager.ts';
import { operationKey } from '../../functions/core/ledger/item.ts';
import type { OrchestratorConfig } from '../../infra/config.ts';
import {
  type AtlasSimulator,
  type RecordedRequest,
  SimulatedClock,
  startAtlasSimulator,
} from '../atlas-simulator/index.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';
import type { BuiltBundle } from './bundles.ts';
import { lambdaInitEnvironment } from './cold-start.ts';
import { itemSizeBytes } from './cost-model.ts';
import { format, type SectionResult } from './report.ts';
import { startSecretsManager } from './secrets-manager.ts';
import { type Distribution, distribution, ratio } from './stats.ts';
import type { AtlasCall, AwsCall, WorkerInit, WorkerMessage, WorkerResult, WorkerTemplates } from './warm-protocol.ts';
import { allowedTargets, drillRequest, type RestorePair, restorePairs, seedPairs } from './world.ts';

const WORKER = fileURLToPath(new URL('./warm-worker.ts', import.meta.url));
const SECRET_ID = 'atlas-restore/bench';
const WEEK_MS = 7 * 24 * 3_600_000;

export interface WarmCostOptions {
  /** Start messages measured, and as many poll messages. */
  readonly messages: number;
  readonly warmup: number;
  readonly bundle: BuiltBundle;
  /** The deployed configuration (cdk.json): the worker's environment is rendered from it. */
  readonly config: OrchestratorConfig;
}

/** What the cost model needs from this section. */
export interface WarmCostFigures {
  readonly start: MessageCost;
  readonly poll: MessageCost;
  /** Size of a ledger item after its start and a few polls (DynamoDB's rules). */
  readonly ledgerItemBytes: number;
}

export interface MessageCost {
  readonly handler: { readonly cpuMs: Distribution; readonly latencyMs: Distribution };
  readonly floor: { readonly cpuMs: Distribution; readonly latencyMs: Distribution };
  readonly atlasCalls: number;
  readonly aws: Readonly<Record<string, number>>;
  /** Structured log and EMF bytes the handler wrote per message. */
  readonly logBytes: number;
  /** TCP connections opened over all measured messages of this kind (handler, floor). */
  readonly connections: { readonly handler: number; readonly floor: number };
}

/** Section 2: CPU and latency per start and per poll message through the deployed bundle, beside the raw I/O. */
export async function measureWarmCost(
  options: WarmCostOptions,
): Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'> & { figures: WarmCostFigures }> {
  // No added latency and no rate limit: what is left is our code and the local servers. Jobs run for a week, so
  // every poll finds its job still pending.
  const sim = await startAtlasSimulator({
    clock: new SimulatedClock(),
    rateLimit: false,
    durations: { automatedRestoreMs: WEEK_MS },
  });
  const aws = await startLocalAws({ prefix: `bench-warm-${process.pid}` });
  const secrets = await startSecretsManager(
    SECRET_ID,
    JSON.stringify({ clientId: sim.seed.credentials.clientId, clientSecret: sim.seed.credentials.clientSecret }),
  );

  try {
    return await measureWith({ sim, aws, secrets }, options);
  } finally {
    await secrets.close();
    await aws.stop();
    await sim.close();
  }
}

interface Servers {
  readonly sim: AtlasSimulator;
  readonly aws: LocalAws;
  readonly secrets: Awaited<ReturnType<typeof startSecretsManager>>;
}

async function measureWith(
  { sim, aws, secrets }: Servers,
  options: WarmCostOptions,
): Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'> & { figures: WarmCostFigures }> {
  const { credentials, groupId } = sim.seed;
  const warmup = restorePairs('w', options.warmup);
  const measured = restorePairs('h', options.messages);
  const floor = restorePairs('f', options.messages);
  const newestSnapshot = seedPairs(sim, groupId, [...warmup, ...measured, ...floor]);
  const snapshotOf = (pair: RestorePair) => {
    const id = newestSnapshot.get(pair.operationId);
    if (id === undefined) throw new Error(`no snapshot seeded for ${pair.operationId}`);
    return id;
  };
  // The last warm-up operation: by then the secret and the Atlas token are cached, as in any warm message.
  const template = warmup.at(-1);
  if (template === undefined) throw new Error('the warm-up needs at least one operation');

  const env = {
    ...lambdaInitEnvironment(options.config),
    ATLAS_SECRET_ID: SECRET_ID,
    ATLAS_BASE_URL: sim.baseUrl,
    WORK_QUEUE_URL: aws.workQueueUrl,
    DEAD_LETTER_QUEUE_URL: aws.deadLetterQueueUrl,
    LEDGER_TABLE_NAME: aws.tableName,
    ALLOWED_TARGETS: allowedTargets(groupId, [...warmup, ...measured]).join(','),
    ALLOWED_SOURCES: `${groupId}/*`,
    // The first poll is due a second after the start instead of a minute: the work per message is the same.
    POLL_MIN_DELAY_SECONDS: '1',
    AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
  };
  const init: WorkerInit = {
    type: 'init',
    bundle: options.bundle.file,
    warmupRequests: warmup.map((pair) => JSON.stringify(drillRequest(groupId, pair))),
    measuredRequests: measured.map((pair) => JSON.stringify(drillRequest(groupId, pair))),
    warmupPolls: options.warmup * 2,
    measuredPolls: options.messages,
    blockSize: 50,
    workQueueUrl: aws.workQueueUrl,
    workQueueArn: aws.workQueueArn,
    // Nothing reads the dead-letter queue here: the floor's sends land there, out of the handler's way.
    floorQueueUrl: aws.deadLetterQueueUrl,
    atlas: { baseUrl: sim.baseUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret },
    templateOperationId: template.operationId,
  };

  const result = await runWorker(env, init, () => {
    const jobs = sim.state.restoreJobs(groupId, template.sourceClusterName);
    const jobId = jobs[0]?.id;
    if (jobs.length !== 1 || jobId === undefined) {
      throw new Error(`the template operation has ${jobs.length} restore jobs, expected 1`);
    }
    return {
      type: 'templates',
      atlas: atlasTemplates(sim.requests, template),
      templateIds: {
        operationId: template.operationId,
        source: template.sourceClusterName,
        target: template.targetClusterName,
        snapshotId: snapshotOf(template),
        jobId,
      },
      floorIds: floor.map((pair) => ({
        operationId: pair.operationId,
        source: pair.sourceClusterName,
        target: pair.targetClusterName,
        snapshotId: snapshotOf(pair),
      })),
    };
  });
  const atlas = atlasTemplates(sim.requests, template);
  const sample = measured[0];
  const { Item: item } = await aws.dynamodb.send(
    new GetItemCommand({ TableName: aws.tableName, Key: operationKey(sample?.operationId ?? '') }),
  );
  if (item === undefined) throw new Error('no ledger item for the first measured operation');
  const figures: WarmCostFigures = {
    start: messageCost(result, 'start', atlas.start.length),
    poll: messageCost(result, 'poll', atlas.poll.length),
    ledgerItemBytes: itemSizeBytes(item),
  };
  return { ...report(figures, options, secrets.reads()), figures };
}

function runWorker(
  env: Record<string, string>,
  init: WorkerInit,
  templates: () => WorkerTemplates,
): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execPath: process.execPath });
    let stderr = '';
    // The handler's log lines: drained, as Lambda's log pipe would; the worker counts their bytes itself.
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      child.kill();
      reject(error);
    };
    child.on('message', (message: WorkerMessage) => {
      try {
        if (message.type === 'warmed') child.send(templates());
        else if (message.type === 'failed') fail(new Error(`warm worker: ${message.error}`));
        else if (message.type === 'result') {
          settled = true;
          resolve(message);
        }
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (!settled) fail(new Error(`warm worker exited ${code} before reporting: ${stderr.trim()}`));
    });
    child.send(init);
  });
}

/** The template operation's requests to Atlas (token requests aside), split into its start and its first poll. */
function atlasTemplates(
  requests: readonly RecordedRequest[],
  pair: RestorePair,
): { start: AtlasCall[]; poll: AtlasCall[] } {
  const clusterSegment = new RegExp(`/clusters/(${pair.sourceClusterName}|${pair.targetClusterName})(/|$)`);
  const mine = requests.filter((request) => clusterSegment.test(request.path));
  const toCall = (request: RecordedRequest): AtlasCall => {
    const query = new URLSearchParams(request.query).toString();
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'content-type', 'user-agent']) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    return {
      method: request.method,
      path: query ? `${request.path}?${query}` : request.path,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    };
  };
  const firstPoll = mine.findIndex((request) => request.operationId === 'getBackupRestoreJob');
  const start = (firstPoll === -1 ? mine : mine.slice(0, firstPoll)).filter((request) => request.status === 200);
  const poll = firstPoll === -1 ? [] : [mine[firstPoll]].filter((request) => request !== undefined);
  return { start: start.map(toCall), poll: poll.map(toCall) };
}

function messageCost(result: WorkerResult, kind: 'start' | 'poll', atlasCalls: number): MessageCost {
  const handler = result.handler[kind];
  const floor = result.floor[kind];
  return {
    handler: { cpuMs: distribution(handler.cpuMs), latencyMs: distribution(handler.latencyMs) },
    floor: { cpuMs: distribution(floor.cpuMs), latencyMs: distribution(floor.latencyMs) },
    atlasCalls,
    aws: countCalls(result.aws[kind]),
    logBytes: result.logBytes[kind] / Math.max(1, handler.latencyMs.length),
    connections: { handler: result.connections.handler[kind], floor: result.connections.floor[kind] },
  };
}

function countCalls(calls: readonly AwsCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) {
    const operation = call.target.split('.').at(-1) ?? call.target;
    counts[operation] = (counts[operation] ?? 0) + 1;
  }
  return counts;
}

function report(figures: WarmCostFigures, options: WarmCostOptions, secretReads: number) {
  const rows = (['start', 'poll'] as const).flatMap((kind) => {
    const cost = figures[kind];
    const io = `${cost.atlasCalls} Atlas + ${Object.entries(cost.aws)
      .map(([operation, count]) => `${count} ${operation}`)
      .join(' + ')}`;
    return [
      [
        `${kind}: handler`,
        format.ms(cost.handler.cpuMs.p50),
        format.ms(cost.handler.cpuMs.mean),
        format.ms(cost.handler.latencyMs.p50),
        format.ms(cost.handler.latencyMs.p99),
        io,
      ],
      [
        `${kind}: floor (same I/O, direct)`,
        format.ms(cost.floor.cpuMs.p50),
        format.ms(cost.floor.cpuMs.mean),
        format.ms(cost.floor.latencyMs.p50),
        format.ms(cost.floor.latencyMs.p99),
        io,
      ],
      [
        `${kind}: handler / floor`,
        format.ratio(ratio(cost.handler.cpuMs.p50, cost.floor.cpuMs.p50)),
        format.ratio(ratio(cost.handler.cpuMs.mean, cost.floor.cpuMs.mean)),
        format.ratio(ratio(cost.handler.latencyMs.p50, cost.floor.latencyMs.p50)),
        format.ratio(ratio(cost.handler.latencyMs.p99, cost.floor.latencyMs.p99)),
        `${format.int(cost.logBytes)} log bytes/message; new connections ${cost.connections.handler} vs ${cost.connections.floor}`,
      ],
    ];
  });
  return {
    section: '2. Warm cost per message',
    status: 'measured' as const,
    data: { ...figures, messagesPerKind: options.messages, warmup: options.warmup, secretReads },
    tables: [
      {
        title: `Per message, ${format.int(options.messages)} starts and ${format.int(options.messages)} polls through the deployed bundle (after ${options.warmup} warm-up operations)`,
        columns: ['message', 'CPU p50', 'CPU mean', 'latency p50', 'latency p99', 'I/O per message'],
        rows,
      },
    ],
    notes: [
      'The handler runs alone in a worker process (the simulator, fauxqs and dynalite run in the parent), so process.cpuUsage() is the handler plus its clients. Each message is one SQS record, handled as Lambda would; the floor makes the same requests, recorded from the handler, with node:http (as the handler’s transport) and the AWS SDK directly (no parsing beyond JSON.parse, no validation, no logging), alternating with the handler in blocks of 50.',
      `CPU mean = mean of the per-message figures. Secrets Manager was read ${secretReads} time(s) in the whole run (cached ${SECRET_CACHE_TTL_MS / 60_000} min). A ledger item weighs ${format.int(figures.ledgerItemBytes)} bytes.`,
      'POLL_MIN_DELAY_SECONDS=1 so the first poll is due at once; the work per message does not depend on it.',
    ],
  };
}
