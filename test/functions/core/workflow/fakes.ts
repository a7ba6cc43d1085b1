/**
 * In-memory ports for workflow tests (and benchmarks): a manual clock, a ledger with DynamoDB's conditional
 * semantics, a queue that delivers by due time, a scriptable Atlas, and recorders for logs and reports.
 */
import type { AtlasApi, ClusterRef } from '../../../../functions/core/atlas/api.ts';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import type { Cluster, RestoreJob, RestoreJobRequest, Snapshot } from '../../../../functions/core/atlas/model.ts';
import type { NewCluster } from '../../../../functions/core/atlas/requests.ts';
import { type WorkflowConfig, workflowConfig } from '../../../../functions/core/config.ts';
import type { InternalMessage } from '../../../../functions/core/contract/internal-messages.ts';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import { InMemoryLedger } from '../../../../functions/core/ledger/memory-ledger.ts';
import type { Operation } from '../../../../functions/core/workflow/operation.ts';
import type {
  DeadLetter,
  EphemeralAlarm,
  Log,
  Queue,
  ReaperSchedules,
  Reporter,
  WorkflowDeps,
} from '../../../../functions/core/workflow/ports.ts';

export { InMemoryLedger };

export class ManualClock {
  #now: number;

  constructor(start = Date.UTC(2026, 10, 28, 6, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  set(ms: number): void {
    this.#now = Math.max(this.#now, ms);
  }
}

/** Fails once at a named point, as a process killed there would. */
export class SimulatedCrash extends Error {
  readonly point: string;

  constructor(point: string) {
    super(`simulated crash ${point}`);
    this.name = 'SimulatedCrash';
    this.point = point;
  }
}

/** Wraps `target` so that `method` throws a SimulatedCrash once, after it took effect (when `when` says so). */
export function crashAfter<T extends object>(
  target: T,
  method: keyof T & string,
  when: (args: unknown[], result: unknown) => boolean = () => true,
): T {
  let crashed = false;
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const bound = value.bind(object);
      if (property !== method) return bound;
      return async (...args: unknown[]) => {
        const result = await bound(...args);
        if (!crashed && when(args, result)) {
          crashed = true;
          throw new SimulatedCrash(`after ${method}`);
        }
        return result;
      };
    },
  });
}

export interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  /** Clock ms at which it becomes visible. */
  dueAt: number;
  receiveCount: number;
}

/** A queue on the manual clock: messages become visible at their due time; DLQ and direct requests are recorded. */
export class InMemoryQueue implements Queue {
  readonly messages: QueuedMessage[] = [];
  readonly sent: { message: InternalMessage; delaySeconds: number }[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly requests: RestoreRequest[] = [];
  readonly #clock: { now(): number };
  #ids = 0;

  constructor(clock: { now(): number }) {
    this.#clock = clock;
  }

  async send(message: InternalMessage, delaySeconds: number) {
    if (delaySeconds < 0 || delaySeconds > 900) throw new Error(`bad delay ${delaySeconds}`);
    this.sent.push({ message, delaySeconds });
    this.put(JSON.stringify(message), delaySeconds * 1000);
  }

  async enqueueRequest(request: RestoreRequest) {
    this.requests.push(request);
    this.put(JSON.stringify(request), 0);
  }

  async deadLetter(letter: DeadLetter) {
    this.deadLetters.push(letter);
  }

  put(body: string, delayMs = 0): QueuedMessage {
    this.#ids += 1;
    const message = { id: `m-${this.#ids}`, body, dueAt: this.#clock.now() + delayMs, receiveCount: 0 };
    this.messages.push(message);
    return message;
  }

  /** The earliest due message, removed from the queue. */
  takeNext(): QueuedMessage | undefined {
    this.messages.sort((a, b) => a.dueAt - b.dueAt);
    return this.messages.shift();
  }
}

let objectIdCounter = 0;
/** An ObjectId-like Atlas id whose first 4 bytes are `at` in seconds. */
export function objectId(at: number): string {
  objectIdCounter += 1;
  return (
    Math.floor(at / 1000)
      .toString(16)
      .padStart(8, '0') + objectIdCounter.toString(16).padStart(16, '0')
  );
}

export const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
export const SOURCE = 'prod';
export const TARGET = 'dr-drill';

type AtlasOperation = keyof AtlasApi;

/** A scriptable Atlas: clusters, snapshots and jobs in memory; jobs finish `restoreMs` after submission. */
export class FakeAtlas implements AtlasApi {
  readonly clusters = new Map<string, Cluster>();
  readonly snapshots = new Map<string, Snapshot[]>();
  readonly jobs = new Map<string, RestoreJob[]>();
  readonly calls: { operation: AtlasOperation; deadline?: number | undefined; sharded?: boolean | undefined }[] = [];
  readonly #failures: { operation: AtlasOperation; error: () => Error; afterEffect: boolean }[] = [];
  readonly #clock: { now(): number };
  restoreMs = 4 * 60_000;
  /** Outcome of jobs when they end. */
  jobOutcome: 'completed' | 'failed' | 'cancelled' | 'expired' = 'completed';
  readonly #jobEnds = new Map<string, number>();

  constructor(clock: { now(): number }) {
    this.#clock = clock;
    this.addCluster(GROUP, SOURCE);
    this.addCluster(GROUP, TARGET);
    this.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 3 * 3600_000 });
    this.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 9 * 3600_000 });
  }

  addCluster(groupId: string, name: string, patch: Partial<Cluster> = {}): void {
    this.clusters.set(`${groupId}/${name}`, {
      name,
      groupId,
      stateName: 'IDLE',
      paused: false,
      clusterType: 'REPLICASET',
      pitEnabled: true,
      backupEnabled: true,
      createDate: undefined,
      mongoDBMajorVersion: '8.0',
      mongoDBVersion: undefined,
      replicationSpecs: [],
      tags: [],
      ...patch,
    });
  }

  addSnapshot(
    groupId: string,
    cluster: string,
    spec: { status: Snapshot['status']; ageMs?: number; id?: string; snapshotType?: string },
  ): string {
    const createdAtMs = this.#clock.now() - (spec.ageMs ?? 0);
    const id = spec.id ?? objectId(createdAtMs);
    const list = this.snapshots.get(`${groupId}/${cluster}`) ?? [];
    list.push({
      id,
      status: spec.status,
      createdAt: spec.status === 'completed' ? new Date(createdAtMs).toISOString() : undefined,
      snapshotType: spec.snapshotType ?? 'scheduled',
      frequencyType: spec.snapshotType === 'onDemand' ? 'ondemand' : 'daily',
      type: 'replicaSet',
      storageSizeBytes: spec.status === 'completed' ? 1000 : 0,
    });
    this.snapshots.set(`${groupId}/${cluster}`, list);
    return id;
  }

  setSnapshotStatus(id: string, status: Snapshot['status']): void {
    for (const list of this.snapshots.values()) {
      const index = list.findIndex((snapshot) => snapshot.id === id);
      const snapshot = list[index];
      if (snapshot) {
        list[index] = { ...snapshot, status, createdAt: new Date(this.#clock.now()).toISOString() };
      }
    }
  }

  /** Adds a job as if someone had submitted it at `at`. */
  addJob(source: ClusterRef, request: RestoreJobRequest, at = this.#clock.now()): RestoreJob {
    const job: RestoreJob = {
      id: objectId(at),
      deliveryType: request.deliveryType,
      snapshotId: request.snapshotId,
      // As Atlas: the target is shown on automated jobs only (see FIDELITY.md, "Target fields by delivery type").
      targetGroupId: request.deliveryType === 'automated' ? request.targetGroupId : undefined,
      targetClusterName: request.deliveryType === 'automated' ? request.targetClusterName : undefined,
      cancelled: false,
      failed: false,
      expired: false,
      finishedAt: undefined,
      expiresAt: undefined,
      timestamp: undefined,
      deliveryUrl: [],
      privateDownloadDeliveryUrls: [],
      components: [],
      pointInTimeUTCSeconds: request.pointInTimeUTCSeconds,
      oplogTs: request.oplogTs,
      oplogInc: request.oplogInc,
    };
    const key = `${source.groupId}/${source.clusterName}`;
    this.jobs.set(key, [...(this.jobs.get(key) ?? []), job]);
    this.#jobEnds.set(job.id, at + this.restoreMs);
    return job;
  }

  /** Makes the next call of `operation` fail; `afterEffect` lets it take effect first (a POST lost in flight). */
  failNext(operation: AtlasOperation, error: () => Error, options: { times?: number; afterEffect?: boolean } = {}) {
    for (let i = 0; i < (options.times ?? 1); i++) {
      this.#failures.push({ operation, error, afterEffect: options.afterEffect ?? false });
    }
  }

  allJobs(): RestoreJob[] {
    return [...this.jobs.values()].flat().map((job) => this.#render(job));
  }

  count(operation: AtlasOperation): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  async #call<T>(
    operation: AtlasOperation,
    options: { deadline?: number; sharded?: boolean } | undefined,
    effect: () => T,
  ): Promise<T> {
    this.calls.push({ operation, deadline: options?.deadline, sharded: options?.sharded });
    const index = this.#failures.findIndex((failure) => failure.operation === operation);
    const failure = index >= 0 ? this.#failures.splice(index, 1)[0] : undefined;
    if (failure && !failure.afterEffect) throw failure.error();
    const result = effect();
    if (failure) throw failure.error();
    return result;
  }

  #cluster(ref: ClusterRef): Cluster {
    this.#settleLifecycle(`${ref.groupId}/${ref.clusterName}`);
    const cluster = this.clusters.get(`${ref.groupId}/${ref.clusterName}`);
    if (!cluster) throw atlasError('getCluster', 404, 'CLUSTER_NOT_FOUND');
    return cluster;
  }

  #render(job: RestoreJob): RestoreJob {
    const end = this.#jobEnds.get(job.id) ?? Number.POSITIVE_INFINITY;
    if (this.#clock.now() < end || job.cancelled) return job;
    const at = new Date(end).toISOString();
    switch (this.jobOutcome) {
      case 'failed':
        return { ...job, failed: true };
      case 'cancelled':
        return { ...job, cancelled: true };
      case 'expired':
        return { ...job, expired: true };
      default:
        return job.deliveryType === 'download'
          ? { ...job, deliveryUrl: ['https://download.example/secret-link'], expiresAt: at }
          : { ...job, finishedAt: at };
    }
  }

  getCluster(ref: ClusterRef, options?: { deadline?: number }) {
    return this.#call('getCluster', options, () => structuredClone(this.#cluster(ref)));
  }

  listClusters(groupId: string, options?: { deadline?: number }) {
    return this.#call('listClusters', options, () =>
      [...this.clusters.values()].filter((cluster) => cluster.groupId === groupId).map((each) => structuredClone(each)),
    );
  }

  pauseCluster(ref: ClusterRef, options?: { deadline?: number }) {
    return this.#call('pauseCluster', options, () => {
      const cluster = this.#cluster(ref);
      cluster.paused = true;
      return structuredClone(cluster);
    });
  }

  resumeCluster(ref: ClusterRef, options?: { deadline?: number }) {
    return this.#call('resumeCluster', options, () => {
      const cluster = this.#cluster(ref);
      cluster.paused = false;
      return structuredClone(cluster);
    });
  }

  listSnapshots(ref: ClusterRef, options?: { deadline?: number; sharded?: boolean }) {
    return this.#call('listSnapshots', options, () => {
      this.#cluster(ref);
      return structuredClone(this.snapshots.get(`${ref.groupId}/${ref.clusterName}`) ?? []);
    });
  }

  getSnapshot(ref: ClusterRef, snapshotId: string, options?: { deadline?: number }) {
    return this.#call('getSnapshot', options, () => {
      const found = (this.snapshots.get(`${ref.groupId}/${ref.clusterName}`) ?? []).find((s) => s.id === snapshotId);
      if (!found) throw atlasError('getClusterBackupSnapshot', 404, 'SNAPSHOT_NOT_FOUND');
      return structuredClone(found);
    });
  }

  takeSnapshot(): Promise<Snapshot> {
    throw new Error('not used by the workflow');
  }

  listRestoreJobs(ref: ClusterRef, options?: { deadline?: number }) {
    return this.#call('listRestoreJobs', options, () =>
      (this.jobs.get(`${ref.groupId}/${ref.clusterName}`) ?? []).map((job) => this.#render(job)).reverse(),
    );
  }

  getRestoreJob(ref: ClusterRef, id: string, options?: { deadline?: number }) {
    return this.#call('getRestoreJob', options, () => {
      const job = (this.jobs.get(`${ref.groupId}/${ref.clusterName}`) ?? []).find((candidate) => candidate.id === id);
      if (!job) throw atlasError('getBackupRestoreJob', 404, 'RESTORE_JOB_NOT_FOUND');
      return this.#render(job);
    });
  }

  createRestoreJob(ref: ClusterRef, request: RestoreJobRequest, options?: { deadline?: number }) {
    return this.#call('createRestoreJob', options, () => {
      this.#cluster(ref);
      return this.addJob(ref, request);
    });
  }

  // Ephemeral drill targets: clusters created and deleted, CREATING → IDLE → DELETING → gone on the clock.
  /** How long a created cluster stays CREATING, and a deleted one DELETING (0: IDLE, and gone, at the next read). */
  readonly clusterLifecycle = { createMs: 0, deleteMs: 0 };
  readonly #lifecycle = new Map<string, { readyAt?: number; goneAt?: number }>();

  #settleLifecycle(key: string): void {
    const due = this.#lifecycle.get(key);
    const cluster = this.clusters.get(key);
    if (due === undefined || cluster === undefined) return;
    const now = this.#clock.now();
    if (due.goneAt !== undefined && now >= due.goneAt) {
      this.clusters.delete(key);
      this.#lifecycle.delete(key);
    } else if (due.readyAt !== undefined && now >= due.readyAt && cluster.stateName === 'CREATING') {
      this.clusters.set(key, { ...cluster, stateName: 'IDLE' });
    }
  }

  /** CREATING, then IDLE after `clusterLifecycle.createMs`, with the spec's version, shards, hardware and tags. */
  createCluster(groupId: string, spec: NewCluster, options?: { deadline?: number }) {
    return this.#call('createCluster', options, () => {
      const key = `${groupId}/${spec.name}`;
      if (this.clusters.has(key)) throw atlasError('createCluster', 400, 'DUPLICATE_CLUSTER_NAME');
      const now = this.#clock.now();
      const electableSpecs = {
        instanceSize: spec.instanceSize,
        nodeCount: spec.nodeCount ?? 3,
        diskSizeGB: spec.diskSizeGB,
      };
      const region = { providerName: spec.providerName, regionName: spec.regionName, priority: 7, electableSpecs };
      this.addCluster(groupId, spec.name, {
        stateName: 'CREATING',
        pitEnabled: false,
        backupEnabled: spec.backupEnabled ?? true,
        clusterType: spec.clusterType,
        mongoDBMajorVersion: spec.mongoDBMajorVersion,
        createDate: new Date(now).toISOString(),
        replicationSpecs: Array.from({ length: spec.shardCount ?? 1 }, () => ({
          id: undefined,
          zoneName: undefined,
          regionConfigs: [region],
        })),
        tags: spec.tags ?? [],
      });
      this.#lifecycle.set(key, { readyAt: now + this.clusterLifecycle.createMs });
      return structuredClone(this.#cluster({ groupId, clusterName: spec.name }));
    });
  }

  deleteCluster(ref: ClusterRef, options?: { deadline?: number }) {
    return this.#call('deleteCluster', options, () => {
      const key = `${ref.groupId}/${ref.clusterName}`;
      const cluster = this.#cluster(ref);
      if (cluster.stateName !== 'DELETING') {
        this.clusters.set(key, { ...cluster, stateName: 'DELETING' });
        this.#lifecycle.set(key, { goneAt: this.#clock.now() + this.clusterLifecycle.deleteMs });
      }
    });
  }

  cancelRestoreJob(ref: ClusterRef, id: string, options?: { deadline?: number }) {
    return this.#call('cancelRestoreJob', options, () => {
      const list = this.jobs.get(`${ref.groupId}/${ref.clusterName}`) ?? [];
      const index = list.findIndex((job) => job.id === id);
      const job = list[index];
      if (!job) throw atlasError('cancelBackupRestoreJob', 404, 'RESTORE_JOB_NOT_FOUND');
      if (job.deliveryType === 'automated')
        throw atlasError('cancelBackupRestoreJob', 400, 'CANNOT_CANCEL_AUTOMATED_RESTORE');
      list[index] = { ...job, cancelled: true };
    });
  }
}

export function atlasError(
  operation: string,
  status: number | undefined,
  errorCode?: string,
  options: { retryable?: boolean; ambiguous?: boolean } = {},
): AtlasApiError {
  return new AtlasApiError({
    operation,
    method: 'GET',
    path: '/api/atlas/v2/…',
    ...(status !== undefined ? { status } : {}),
    ...(errorCode ? { errorCode } : {}),
    retryable: options.retryable ?? (status === undefined || status === 429 || status >= 500),
    ...(options.ambiguous ? { ambiguous: true } : {}),
  });
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export class RecordingLog implements Log {
  readonly lines: LogLine[] = [];
  debug(message: string, ...attributes: Record<string, unknown>[]) {
    this.lines.push({ level: 'debug', message, attributes: Object.assign({}, ...attributes) });
  }
  info(message: string, ...attributes: Record<string, unknown>[]) {
    this.lines.push({ level: 'info', message, attributes: Object.assign({}, ...attributes) });
  }
  warn(message: string, ...attributes: Record<string, unknown>[]) {
    this.lines.push({ level: 'warn', message, attributes: Object.assign({}, ...attributes) });
  }
  error(message: string, ...attributes: Record<string, unknown>[]) {
    this.lines.push({ level: 'error', message, attributes: Object.assign({}, ...attributes) });
  }
}

export class RecordingReporter implements Reporter {
  readonly outcomes: Operation[] = [];
  readonly deferrals: { operation: Operation; code: string; reason: string; delaySeconds: number }[] = [];
  readonly rejections: DeadLetter[] = [];
  outcome(operation: Operation) {
    this.outcomes.push(operation);
  }
  deferred(operation: Operation, deferral: { code: string; reason: string; delaySeconds: number }) {
    this.deferrals.push({ operation, ...deferral });
  }
  rejected(letter: DeadLetter) {
    this.rejections.push(letter);
  }
  readonly ephemeralAlarms: EphemeralAlarm[] = [];
  ephemeralAlarm(alarm: EphemeralAlarm) {
    this.ephemeralAlarms.push(alarm);
  }
}

/** The reaper's schedules in memory: what is scheduled now, and every call. */
export class RecordingReaper implements ReaperSchedules {
  readonly scheduled = new Map<string, number>();
  readonly calls: { kind: 'schedule' | 'cancel'; operationId: string; at?: number }[] = [];
  async schedule(operationId: string, at: number) {
    this.calls.push({ kind: 'schedule', operationId, at });
    this.scheduled.set(operationId, at);
  }
  async cancel(operationId: string) {
    this.calls.push({ kind: 'cancel', operationId });
    this.scheduled.delete(operationId);
  }
}

export interface Fixture {
  readonly clock: ManualClock;
  readonly atlas: FakeAtlas;
  readonly ledger: InMemoryLedger;
  readonly queue: InMemoryQueue;
  readonly log: RecordingLog;
  readonly reporter: RecordingReporter;
  readonly config: WorkflowConfig;
  readonly deps: WorkflowDeps;
}

export const ALLOWED_TARGET = `${GROUP}/${TARGET}`;

export function fixture(
  options: {
    config?: Parameters<typeof workflowConfig>[0];
    deps?: Partial<WorkflowDeps>;
    /** Atlas's clock minus the workflow's, ms (restore job ids carry Atlas's time). */
    atlasClockOffsetMs?: number;
  } = {},
): Fixture {
  const clock = new ManualClock();
  const offset = options.atlasClockOffsetMs ?? 0;
  const atlas = new FakeAtlas(offset === 0 ? clock : { now: () => clock.now() + offset });
  const ledger = new InMemoryLedger();
  const queue = new InMemoryQueue(clock);
  const log = new RecordingLog();
  const reporter = new RecordingReporter();
  const config = workflowConfig({ allowedTargets: [ALLOWED_TARGET], ...options.config });
  const deps: WorkflowDeps = { atlas, queue, ledger, clock, config, log, reporter, ...options.deps };
  return { clock, atlas, ledger, queue, log, reporter, config, deps };
}

/** Builders for requests, in the shape operators write them. */
export const requests = {
  automated: (overrides: Partial<RestoreRequest> = {}): RestoreRequest => ({
    groupId: GROUP,
    clusterName: SOURCE,
    deliveryType: 'automated',
    snapshotId: 'latest',
    targetGroupId: GROUP,
    targetClusterName: TARGET,
    requestId: 'drill-2026-11-28',
    ...overrides,
  }),
  download: (overrides: Partial<RestoreRequest> = {}): RestoreRequest => ({
    groupId: GROUP,
    clusterName: SOURCE,
    deliveryType: 'download',
    requestId: 'download-1',
    ...overrides,
  }),
  pointInTime: (overrides: Partial<RestoreRequest> = {}): RestoreRequest => ({
    groupId: GROUP,
    clusterName: SOURCE,
    deliveryType: 'pointInTime',
    targetGroupId: GROUP,
    targetClusterName: TARGET,
    pointInTimeUTCSeconds: Math.floor(Date.UTC(2026, 10, 28, 5, 0, 0) / 1000),
    requestId: 'pit-1',
    ...overrides,
  }),
};
