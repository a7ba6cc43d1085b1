/**
 * The chaos soak: many restore operations through the whole function (real Lambda handler, workflow, Atlas client
 * over HTTP to the simulator) on a simulated clock, with faults on Atlas calls, consumer crashes at step boundaries,
 * and duplicate deliveries; then an audit of the ledger against Atlas.
 */
import type { AtlasApi } from '../../functions/core/atlas/api.ts';
import { atlasIdCreatedAt, type RestoreJob, restoreJobSchema } from '../../functions/core/atlas/model.ts';
import type { RestoreRequest } from '../../functions/core/contract/restore-request.ts';
import type { Operation } from '../../functions/core/workflow/operation.ts';
import type { AtlasSimulator, RestoreJobJson } from '../atlas-simulator/index.ts';
import { intercept } from '../reliability/support/faults.ts';
import { LogCapture } from '../reliability/support/log-capture.ts';
import { type System, startSystem } from '../reliability/support/system.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';
import { type ChaosCounters, CRASH_POINTS, crashing, faultyAtlas, pick, seededRandom } from './chaos.ts';

export interface SoakOptions {
  readonly seed: number;
  readonly operations: number;
  readonly ledger: 'memory' | 'dynamodb';
  /** Share of Atlas calls that meet a fault. */
  readonly atlasFaultRate: number;
  /** Chance of a crash at each step boundary passed (a ledger write, a send, Atlas accepting the POST). */
  readonly crashRate: number;
  /** Share of deliveries that are delivered twice (most concurrently, some again later). */
  readonly duplicateRate: number;
  /** Source clusters (each with its own drill target), spread over four projects. */
  readonly clusters: number;
  /** Simulated hours over which requests arrive. */
  readonly windowHours: number;
  /** Real ms after which the run stops, unfinished (and says so). */
  readonly wallClockLimitMs: number;
  readonly onProgress?: (message: string) => void;
}

export interface SoakReport {
  readonly seed: number;
  readonly ledger: SoakOptions['ledger'];
  readonly finished: boolean;
  readonly wallClockSeconds: number;
  readonly simulatedHours: number;
  readonly operations: number;
  readonly outcomes: Record<string, number>;
  /** Jobs beyond the first that one operation submitted. */
  readonly duplicateRestoreJobs: number;
  /** Jobs that more than one operation records as its own (one of them adopted a job it did not submit). */
  readonly sharedRestoreJobs: number;
  /** Jobs at Atlas that the ledger does not record although it reports an outcome for their operation. */
  readonly unrecordedRestoreJobs: number;
  readonly operationsLost: number;
  readonly lostOperations: readonly string[];
  /** Operations with an outcome whose `restore outcome` line was written more than once (allowed: at least once). */
  readonly operationsReportedMoreThanOnce: number;
  /** Operations with an outcome and no `restore outcome` line: must be 0. */
  readonly operationsNeverReported: number;
  readonly neverReportedOperations: readonly string[];
  /** Jobs counted as duplicate, shared or unrecorded, with the operation they were matched to. */
  readonly suspectJobs: readonly {
    readonly restoreJobId: string;
    readonly createdAt: string;
    readonly operationId: string | undefined;
    readonly recordedJobId: string | undefined;
    readonly outcome: string | undefined;
    readonly outcomeReason: string | undefined;
    readonly adopted: boolean | undefined;
  }[];
  readonly deadLetters: {
    readonly rejected: number;
    readonly redriven: number;
    readonly reasons: Record<string, number>;
  };
  readonly atlasCalls: {
    readonly api: number;
    readonly token: number;
    readonly faulted: number;
    readonly faultedShare: number;
  };
  readonly retries: { readonly client: number; readonly redeliveries: number };
  readonly chaos: {
    readonly atlasFaultsScripted: number;
    readonly crashes: number;
    readonly crashesAt: Record<string, number>;
    readonly duplicateDeliveries: number;
    readonly credentialRotations: number;
  };
  readonly invocations: number;
  readonly detectionLatencySeconds: {
    readonly max: number;
    readonly p95: number;
    readonly p50: number;
    readonly samples: number;
  };
  readonly secretLeaks: readonly string[];
}

interface Pair {
  readonly groupId: string;
  readonly source: string;
  readonly target: string;
  readonly snapshotId: string;
}

interface Planned {
  readonly index: number;
  readonly at: number;
  readonly kind:
    | 'automated'
    | 'pointInTime'
    | 'download'
    | 'dryRun'
    | 'refused'
    | 'shortWait'
    | 'invalid'
    | 'noRequestId';
  readonly body: string;
  /** The operation id, or the message id for requests without one (and invalid ones). */
  readonly key: string;
  readonly messageId: string;
}

const HOUR_MS = 3_600_000;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const random = seededRandom(options.seed);
  const startedAt = Date.now();
  const counters: ChaosCounters = { atlasFaults: 0, crashes: 0, crashesAt: {} };
  const leaks = new Set<string>();
  let clientRetries = 0;
  const reports = new Map<string, number>();
  let system: System | undefined;
  const capture = new LogCapture({
    keep: false,
    onText: (text) => {
      if (text.includes('"Atlas call failed; retrying"')) clientRetries += 1;
      if (text.includes('"restore outcome"')) countReports(text, reports);
      if (system) for (const leak of system.secrets.leaksIn(text)) leaks.add(leak);
    },
  });
  let aws: LocalAws | undefined;
  if (options.ledger === 'dynamodb') aws = await startLocalAws({ prefix: `soak-${options.seed}` });

  const pairs: Pair[] = [];
  const atlasRandom = seededRandom(options.seed ^ 0x5eed);
  const crashRandom = seededRandom(options.seed ^ 0xc4a5);
  const outcomeRandom = seededRandom(options.seed ^ 0xfa11);
  system = await startSystem({
    ledger: options.ledger,
    ...(aws ? { dynamodbEndpoint: aws.dynamodbEndpoint } : {}),
    logLevel: 'DEBUG',
    capture,
    random: seededRandom(options.seed ^ 0x717),
    config: (seed, sim) => {
      pairs.push(...buildWorld(sim, options.clusters));
      return {
        allowedTargets: [
          `${seed.groupId}/${seed.targetClusterName}`,
          ...pairs.map((pair) => `${pair.groupId}/${pair.target}`),
        ],
      };
    },
    wrapAtlas: (atlas, sim) =>
      crashing(
        faultyAtlas(failingSomeJobs(atlas, sim, outcomeRandom), sim, {
          random: atlasRandom,
          rate: options.atlasFaultRate,
          counters,
        }),
        CRASH_POINTS.atlas,
        { random: crashRandom, rate: options.crashRate, counters, name: 'atlas' },
      ),
    wrapLedger: (ledger) =>
      crashing(ledger, CRASH_POINTS.ledger, { random: crashRandom, rate: options.crashRate, counters, name: 'ledger' }),
    wrapQueue: (queue) =>
      crashing(queue, CRASH_POINTS.queue, { random: crashRandom, rate: options.crashRate, counters, name: 'queue' }),
  });
  const current = system;

  try {
    const { sim, time, queue } = current;
    const start = time.workflowClock.now();
    const plan = planOperations(options, random, pairs, start);
    const rotations = [start + (options.windowHours * HOUR_MS) / 3, start + (2 * options.windowHours * HOUR_MS) / 3];
    let credentialRotations = 0;
    let next = 0;
    let duplicateDeliveries = 0;
    let finished = true;
    let lastProgress = Date.now();

    for (;;) {
      if (Date.now() - startedAt > options.wallClockLimitMs) {
        finished = false;
        break;
      }
      const dueMessage = queue.nextDueAt();
      const dueArrival = plan[next]?.at;
      if (dueMessage === undefined && dueArrival === undefined) break;
      time.passUntil(Math.min(dueMessage ?? Number.POSITIVE_INFINITY, dueArrival ?? Number.POSITIVE_INFINITY));
      const now = time.workflowClock.now();
      while (rotations[0] !== undefined && rotations[0] <= now) {
        rotations.shift();
        current.rotateCredentials({ updateSecret: true });
        credentialRotations += 1;
      }
      for (let planned = plan[next]; planned !== undefined && planned.at <= now; planned = plan[++next]) {
        queue.put(planned.body, 0, planned.messageId);
        // Now and then a snapshot of the source starts, and the restore has to wait for it.
        if (random() < 0.03) {
          const pair = pairs[Math.floor(random() * pairs.length)];
          if (pair)
            sim.state.addSnapshot(pair.groupId, pair.source, { snapshotType: 'onDemand', startedAt: time.atlas.now() });
        }
      }
      const batch = queue.receive(now, 10);
      if (batch.length === 0) continue;
      const duplicates = [];
      for (const message of batch) {
        const roll = random();
        if (roll < options.duplicateRate * 0.8) duplicates.push(message);
        else if (roll < options.duplicateRate) queue.put(message.body, Math.floor(random() * 600_000), message.id);
        if (roll < options.duplicateRate) duplicateDeliveries += 1;
      }
      await current.deliver(batch, { duplicates });
      if (Date.now() - lastProgress > 5_000) {
        lastProgress = Date.now();
        options.onProgress?.(
          `${next}/${plan.length} submitted, ${queue.size} queued, ${current.invocations()} invocations`,
        );
      }
    }

    return await audit(current, {
      options,
      plan,
      pairs,
      finished,
      startedAt,
      start,
      counters,
      clientRetries,
      reports,
      leaks: [...leaks],
      duplicateDeliveries,
      credentialRotations,
    });
  } finally {
    await current.close();
    await aws?.stop();
  }
}

/** Requests of every kind, arriving at random times over the window, in arrival order. */
function planOperations(options: SoakOptions, random: () => number, pairs: readonly Pair[], start: number): Planned[] {
  const plan: Planned[] = [];
  for (let index = 0; index < options.operations; index += 1) {
    const at = start + Math.floor(random() * options.windowHours * HOUR_MS);
    const pair = pairs[Math.floor(random() * pairs.length)] as Pair;
    const kind = pick(random, [
      ['automated', 45],
      ['pointInTime', 10],
      ['download', 15],
      ['dryRun', 5],
      ['refused', 5],
      ['shortWait', 5],
      ['invalid', 5],
      ['noRequestId', 10],
    ] as const);
    const requestId = `soak-${options.seed}-${index}`;
    const messageId = `request-${index}`;
    const common = { groupId: pair.groupId, clusterName: pair.source, requestId };
    const onto = { targetGroupId: pair.groupId, targetClusterName: pair.target };
    const requests: Record<Planned['kind'], RestoreRequest | Record<string, unknown>> = {
      automated: { ...common, deliveryType: 'automated', snapshotId: 'latest', ...onto },
      pointInTime: {
        ...common,
        deliveryType: 'pointInTime',
        ...onto,
        pointInTimeUTCSeconds: Math.floor((at - 2 * HOUR_MS) / 1000),
      },
      download: { ...common, deliveryType: 'download', ...(random() < 0.5 ? { snapshotId: pair.snapshotId } : {}) },
      dryRun: { ...common, deliveryType: 'automated', ...onto, dryRun: true },
      refused: { ...common, deliveryType: 'automated', ...onto, targetClusterName: `${pair.target}-` },
      shortWait: { ...common, deliveryType: 'automated', ...onto, maxWaitMinutes: 3 },
      invalid: { ...common, deliveryType: 'automated', ...onto, snapshotID: 'latest' },
      noRequestId: { groupId: pair.groupId, clusterName: pair.source, deliveryType: 'automated', ...onto },
    };
    // A request without requestId is rejected like an invalid one: it has no operation to key it.
    const key = kind === 'invalid' || kind === 'noRequestId' ? messageId : requestId;
    plan.push({ index, at, kind, body: JSON.stringify(requests[kind]), key, messageId });
  }
  return plan.sort((a, b) => a.at - b.at || a.index - b.index);
}

/** Source and target clusters over four projects, each source with completed scheduled snapshots. */
function buildWorld(sim: AtlasSimulator, clusters: number): Pair[] {
  const now = sim.clock.now();
  const projects = Array.from({ length: 4 }, () => sim.state.addProject());
  return Array.from({ length: clusters }, (_, index) => {
    const groupId = projects[index % projects.length] ?? '';
    const name = String(index).padStart(3, '0');
    const source = `src-${name}`;
    const target = `dst-${name}`;
    sim.state.addCluster(groupId, { name: source });
    sim.state.addCluster(groupId, { name: target });
    let snapshotId = '';
    for (let age = 3; age >= 0; age -= 1) {
      snapshotId = sim.state.addSnapshot(groupId, source, { startedAt: now - (3 + age * 6) * HOUR_MS });
    }
    return { groupId, source, target, snapshotId };
  });
}

/** Atlas fails about one restore job in twenty. */
function failingSomeJobs(atlas: AtlasApi, sim: AtlasSimulator, random: () => number): AtlasApi {
  return intercept(atlas, async (method, _args, call) => {
    const result = await call();
    if (method === 'createRestoreJob' && random() < 0.05)
      sim.state.setRestoreJobOutcome((result as RestoreJob).id, 'failed');
    return result;
  });
}

async function audit(
  system: System,
  context: {
    options: SoakOptions;
    plan: readonly Planned[];
    pairs: readonly Pair[];
    finished: boolean;
    startedAt: number;
    start: number;
    counters: ChaosCounters;
    clientRetries: number;
    /** `restore outcome` lines by operation id. */
    reports: ReadonlyMap<string, number>;
    leaks: string[];
    duplicateDeliveries: number;
    credentialRotations: number;
  },
): Promise<SoakReport> {
  const { sim, queue } = system;
  const operations = new Map(
    (await system.ledger.listOperations({ limit: Number.MAX_SAFE_INTEGER })).map((operation) => [
      operation.operationId,
      operation,
    ]),
  );
  const outcomes: Record<string, number> = {};
  const count = (kind: string) => {
    outcomes[kind] = (outcomes[kind] ?? 0) + 1;
  };
  const redrivenKeys = new Set(queue.redriven.flatMap(({ message }) => keysOf(message.id, message.body)));
  const rejectedOrigins = new Set(queue.deadLetters.map((letter) => letter.origin));
  const lost: string[] = [];
  const neverReported: string[] = [];
  let reportedMoreThanOnce = 0;
  for (const operation of operations.values()) {
    if (operation.outcome === undefined) continue;
    const lines = context.reports.get(operation.operationId) ?? 0;
    if (lines === 0) neverReported.push(operation.operationId);
    if (lines > 1) reportedMoreThanOnce += 1;
  }
  for (const planned of context.plan) {
    if (planned.kind === 'invalid' || planned.kind === 'noRequestId') {
      if (rejectedOrigins.has(planned.messageId)) count('rejected');
      else if (redrivenKeys.has(planned.messageId)) count('deadLettered');
      else lost.push(planned.key);
      continue;
    }
    const operation = operations.get(planned.key);
    if (operation?.outcome) count(operation.outcome);
    else if (redrivenKeys.has(planned.key) || redrivenKeys.has(planned.messageId)) count('deadLettered');
    else lost.push(planned.key);
  }

  // Every job at Atlas must belong to one operation, and be the one its ledger entry records.
  const jobs = context.pairs.flatMap((pair) =>
    sim.state
      .restoreJobs(pair.groupId, pair.source)
      .map((job) => ({ job, clusterKey: `${pair.groupId}/${pair.source}` })),
  );
  const recorded = new Map<string, number>();
  for (const operation of operations.values()) {
    if (operation.restoreJobId) recorded.set(operation.restoreJobId, (recorded.get(operation.restoreJobId) ?? 0) + 1);
  }
  const shared = [...recorded.values()].filter((owners) => owners > 1).length;
  let duplicates = 0;
  let unrecorded = 0;
  const suspects: SoakReport['suspectJobs'][number][] = [];
  for (const operation of operations.values()) {
    if (!operation.restoreJobId || (recorded.get(operation.restoreJobId) ?? 0) < 2) continue;
    suspects.push({
      restoreJobId: operation.restoreJobId,
      createdAt: atlasIdCreatedAt(operation.restoreJobId).toISOString(),
      operationId: operation.operationId,
      recordedJobId: operation.restoreJobId,
      outcome: operation.outcome,
      outcomeReason: `shared by ${recorded.get(operation.restoreJobId)} operations; ${operation.outcomeReason ?? ''}`,
      adopted: operation.adopted,
    });
  }
  for (const { job, clusterKey } of jobs) {
    if (recorded.has(job.id)) continue;
    const owner = ownerOf(job, clusterKey, [...operations.values()]);
    if (owner?.restoreJobId !== undefined) duplicates += 1;
    else if (owner?.outcome !== undefined || owner === undefined) unrecorded += 1;
    else continue;
    suspects.push({
      restoreJobId: job.id,
      createdAt: atlasIdCreatedAt(job.id).toISOString(),
      operationId: owner?.operationId,
      recordedJobId: owner?.restoreJobId,
      outcome: owner?.outcome,
      outcomeReason: owner?.outcomeReason,
      adopted: owner?.adopted,
    });
  }

  const latencies = detectionLatencies(
    [...operations.values()],
    jobs.map(({ job }) => job),
  );
  const api = sim.requests.filter((request) => request.path.startsWith('/api/atlas/'));
  const faulted = sim.requests.filter((request) => request.fault !== undefined).length;
  const reasons: Record<string, number> = {};
  for (const letter of queue.deadLetters) reasons[letter.code] = (reasons[letter.code] ?? 0) + 1;
  for (const { reason } of queue.redriven) {
    const short = `redriven: ${reason.split(':')[0] ?? reason}`;
    reasons[short] = (reasons[short] ?? 0) + 1;
  }

  return {
    seed: context.options.seed,
    ledger: context.options.ledger,
    finished: context.finished,
    wallClockSeconds: Math.round((Date.now() - context.startedAt) / 100) / 10,
    simulatedHours: Math.round(((system.time.workflowClock.now() - context.start) / HOUR_MS) * 10) / 10,
    operations: context.plan.length,
    outcomes,
    duplicateRestoreJobs: duplicates,
    sharedRestoreJobs: shared,
    unrecordedRestoreJobs: unrecorded,
    operationsLost: lost.length,
    lostOperations: lost.slice(0, 20),
    operationsReportedMoreThanOnce: reportedMoreThanOnce,
    operationsNeverReported: neverReported.length,
    neverReportedOperations: neverReported.slice(0, 20),
    suspectJobs: suspects.slice(0, 20),
    deadLetters: { rejected: queue.deadLetters.length, redriven: queue.redriven.length, reasons },
    atlasCalls: {
      api: api.length,
      token: sim.requests.length - api.length,
      faulted,
      faultedShare: Math.round((faulted / Math.max(1, sim.requests.length)) * 1000) / 1000,
    },
    retries: { client: context.clientRetries, redeliveries: system.batchItemFailures.length },
    chaos: {
      atlasFaultsScripted: context.counters.atlasFaults,
      crashes: context.counters.crashes,
      crashesAt: context.counters.crashesAt,
      duplicateDeliveries: context.duplicateDeliveries,
      credentialRotations: context.credentialRotations,
    },
    invocations: system.invocations(),
    detectionLatencySeconds: latencies,
    secretLeaks: context.leaks,
  };
}

/** Counts the `restore outcome` lines of a chunk of output by operation id. */
function countReports(text: string, reports: Map<string, number>): void {
  for (const line of text.split('\n')) {
    if (!line.includes('"restore outcome"')) continue;
    try {
      const record = JSON.parse(line) as { message?: unknown; operationId?: unknown };
      if (record.message !== 'restore outcome' || typeof record.operationId !== 'string') continue;
      reports.set(record.operationId, (reports.get(record.operationId) ?? 0) + 1);
    } catch {
      // Not a log record.
    }
  }
}

/** The operation ids a queued message stands for: the request's id (or its message id), or an internal message's. */
function keysOf(messageId: string, body: string): string[] {
  try {
    const value = JSON.parse(body) as { requestId?: unknown; operationId?: unknown };
    const keys = [messageId, `sqs-${messageId}`];
    if (typeof value.requestId === 'string') keys.push(value.requestId);
    if (typeof value.operationId === 'string') keys.push(value.operationId);
    return keys;
  } catch {
    return [messageId];
  }
}

/** The operation that submitted a job the ledger does not record: same source, kind, snapshot and target, claimed before it. */
function ownerOf(job: RestoreJobJson, clusterKey: string, operations: readonly Operation[]): Operation | undefined {
  const created = atlasIdCreatedAt(job.id).getTime();
  return operations
    .filter(
      (operation) =>
        operation.clusterKey === clusterKey &&
        operation.request.deliveryType === job.deliveryType &&
        (operation.request.targetClusterName ?? undefined) === (job.targetClusterName ?? undefined) &&
        (job.snapshotId === undefined ||
          operation.snapshotId === undefined ||
          operation.snapshotId === job.snapshotId) &&
        operation.firstClaimedAt !== undefined &&
        operation.firstClaimedAt <= created + 1_000,
    )
    .sort((a, b) => (b.firstClaimedAt ?? 0) - (a.firstClaimedAt ?? 0))[0];
}

/** Simulated seconds from a job's end at Atlas to its outcome in the ledger. */
function detectionLatencies(
  operations: readonly Operation[],
  jobs: readonly RestoreJobJson[],
): SoakReport['detectionLatencySeconds'] {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const samples: number[] = [];
  for (const operation of operations) {
    if (operation.outcome !== 'succeeded' || !operation.restoreJobId || operation.outcomeRecordedAt === undefined)
      continue;
    const job = byId.get(operation.restoreJobId);
    if (!job) continue;
    const parsed = restoreJobSchema.parse(job);
    const endedAt = parsed.finishedAt
      ? Date.parse(parsed.finishedAt)
      : parsed.expiresAt
        ? Date.parse(parsed.expiresAt) - 3_600_000
        : Number.NaN;
    if (Number.isFinite(endedAt)) samples.push(Math.max(0, (operation.outcomeRecordedAt - endedAt) / 1000));
  }
  samples.sort((a, b) => a - b);
  const at = (fraction: number) => samples[Math.min(samples.length - 1, Math.floor(fraction * samples.length))] ?? 0;
  return { max: samples.at(-1) ?? 0, p95: at(0.95), p50: at(0.5), samples: samples.length };
}
