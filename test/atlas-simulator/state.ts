import { createHash } from 'node:crypto';
import type { SimulatedClock } from './clock.ts';
import type { ClusterData } from './data/cluster-data.ts';
import { ClusterHistory } from './data/cluster-history.ts';
import { DataPlaneFaults } from './data-plane-faults.ts';
import { DatabaseUsers } from './database-users.ts';
import { restoreDuration, restoreJobProgress, snapshotStatus } from './lifecycle.ts';
import { ObjectIdGenerator } from './object-id.ts';
import type { ClusterRecord, RestoreJobRecord, SnapshotRecord } from './records.ts';
import { type RenderContext, renderCluster, renderRestoreJob, renderSnapshot } from './render.ts';
import type {
  ClusterJson,
  ClusterSpec,
  ClusterStateName,
  LifecycleDurations,
  RestoreJobJson,
  RestoreJobSpec,
  SimulatorState,
  SnapshotJson,
  SnapshotSpec,
} from './types.ts';

const DEFAULT_RESTORE_WINDOW_DAYS = 2;

/** The simulated Atlas: projects, clusters, snapshots and restore jobs, and the views tests read them through. */
export class SimulatorStore implements SimulatorState {
  readonly ids = new ObjectIdGenerator();
  readonly clock: SimulatedClock;
  readonly durations: LifecycleDurations;
  baseUrl = '';
  readonly #projects = new Map<string, Map<string, ClusterRecord>>();
  readonly #snapshots: SnapshotRecord[] = [];
  readonly #restoreJobs: RestoreJobRecord[] = [];
  readonly #flexClusters = new Set<string>();
  readonly databaseUsers: DatabaseUsers;
  readonly dataFaults = new DataPlaneFaults();
  /** The port each cluster's data plane listens on, by `groupId/clusterName`, once it listens. */
  readonly dataPlanePorts = new Map<string, number>();
  /** Called for each cluster added (the data plane starts its listener). */
  onClusterAdded: ((cluster: ClusterRecord) => void) | undefined;

  constructor(clock: SimulatedClock, durations: LifecycleDurations) {
    this.clock = clock;
    this.durations = durations;
    this.databaseUsers = new DatabaseUsers(clock);
  }

  addProject(): string {
    const groupId = this.ids.next(this.clock.now() - 400 * 86_400_000);
    this.#projects.set(groupId, new Map());
    return groupId;
  }

  addCluster(groupId: string, spec: ClusterSpec): ClusterJson {
    const clusters = this.#requireProject(groupId);
    if (clusters.has(spec.name)) throw new Error(`Cluster ${spec.name} already exists in project ${groupId}`);
    const createdAt = this.clock.now() - 200 * 86_400_000;
    const id = this.ids.next(createdAt);
    const clusterType = spec.clusterType ?? 'REPLICASET';
    const prefix = `atlas-${createHash('sha1').update(id).digest('hex').slice(0, 6)}`;
    const replicaSetNames =
      clusterType === 'SHARDED'
        ? [`${prefix}-shard-0`, `${prefix}-shard-1`, `${prefix}-config-0`]
        : [`${prefix}-shard-0`];
    const cluster: ClusterRecord = {
      id,
      groupId,
      name: spec.name,
      clusterType,
      stateName: spec.stateName ?? 'IDLE',
      paused: spec.paused ?? false,
      pitEnabled: spec.pitEnabled ?? true,
      restoreWindowDays: spec.restoreWindowDays ?? DEFAULT_RESTORE_WINDOW_DAYS,
      createdAt,
      replicaSetNames,
      history: new ClusterHistory(),
    };
    clusters.set(spec.name, cluster);
    this.onClusterAdded?.(cluster);
    return renderCluster(cluster, this.renderContext());
  }

  updateCluster(
    groupId: string,
    clusterName: string,
    patch: { readonly stateName?: ClusterStateName; readonly paused?: boolean },
  ): ClusterJson {
    const cluster = this.#requireCluster(groupId, clusterName);
    if (patch.stateName !== undefined) cluster.stateName = patch.stateName;
    if (patch.paused !== undefined) cluster.paused = patch.paused;
    return renderCluster(cluster, this.renderContext());
  }

  addFlexCluster(groupId: string, name: string): void {
    const clusters = this.#requireProject(groupId);
    if (clusters.has(name) || this.isFlexCluster(groupId, name)) {
      throw new Error(`Cluster ${name} already exists in project ${groupId}`);
    }
    this.#flexClusters.add(`${groupId}/${name}`);
  }

  isFlexCluster(groupId: string, clusterName: string): boolean {
    return this.#flexClusters.has(`${groupId}/${clusterName}`);
  }

  cluster(groupId: string, clusterName: string): ClusterJson | undefined {
    const cluster = this.findCluster(groupId, clusterName);
    return cluster && renderCluster(cluster, this.renderContext());
  }

  addSnapshot(groupId: string, clusterName: string, spec: SnapshotSpec = {}): string {
    const cluster = this.#requireCluster(groupId, clusterName);
    const snapshotType = spec.snapshotType ?? 'scheduled';
    const startedAt = spec.startedAt ?? this.clock.now();
    const id = this.ids.next(startedAt);
    const sharded = cluster.clusterType === 'SHARDED';
    this.#snapshots.push({
      id,
      groupId,
      clusterName,
      sharded,
      snapshotType,
      frequencyType: spec.frequencyType ?? (snapshotType === 'onDemand' ? 'ondemand' : 'daily'),
      startedAt,
      queuedMs: spec.queuedMs ?? this.durations.snapshotQueuedMs,
      inProgressMs: spec.inProgressMs ?? this.durations.snapshotInProgressMs,
      outcome: spec.outcome ?? 'completed',
      description: spec.description ?? (snapshotType === 'onDemand' ? 'On-demand snapshot' : undefined),
      retentionDays: spec.retentionInDays ?? (snapshotType === 'onDemand' ? 1 : 7),
      storageSizeBytes: 1_000_000_000 + (Number.parseInt(id.slice(-6), 16) % 1_000_000) * 1024,
      members: cluster.replicaSetNames.map((replicaSetName) => ({
        id: sharded ? this.ids.next(startedAt) : id,
        replicaSetName,
      })),
    });
    return id;
  }

  snapshot(groupId: string, clusterName: string, snapshotId: string): SnapshotJson | undefined {
    const snapshot = this.findSnapshot(groupId, clusterName, snapshotId);
    return snapshot && renderSnapshot(snapshot, this.renderContext());
  }

  snapshots(groupId: string, clusterName: string): SnapshotJson[] {
    const context = this.renderContext();
    return this.snapshotRecords(groupId, clusterName).map((snapshot) => renderSnapshot(snapshot, context));
  }

  /** Ends a snapshot's run now, so a test can act on what a client printed whatever the machine's speed. */
  finishSnapshotNow(snapshotId: string): void {
    const snapshot = this.#snapshots.find((candidate) => candidate.id === snapshotId);
    if (!snapshot) throw new Error(`No snapshot ${snapshotId}`);
    const elapsed = Math.max(0, this.clock.now() - snapshot.startedAt);
    snapshot.queuedMs = Math.min(snapshot.queuedMs, elapsed);
    snapshot.inProgressMs = Math.min(snapshot.inProgressMs, elapsed - snapshot.queuedMs);
  }

  setSnapshotOutcome(snapshotId: string, outcome: 'completed' | 'failed'): void {
    const snapshot = this.#snapshots.find((candidate) => candidate.id === snapshotId);
    if (!snapshot) throw new Error(`No snapshot ${snapshotId}`);
    snapshot.outcome = outcome;
  }

  addRestoreJob(groupId: string, clusterName: string, spec: RestoreJobSpec): string {
    const cluster = this.#requireCluster(groupId, clusterName);
    const submittedAt = spec.submittedAt ?? this.clock.now();
    const job: RestoreJobRecord = {
      id: this.ids.next(submittedAt),
      groupId,
      clusterName,
      deliveryType: spec.deliveryType,
      snapshotId: spec.snapshotId,
      targetGroupId: spec.targetGroupId,
      targetClusterName: spec.targetClusterName,
      pointInTimeUTCSeconds: spec.pointInTimeUTCSeconds,
      oplogTs: spec.oplogTs,
      oplogInc: spec.oplogInc,
      submittedAt,
      durationMs: spec.durationMs ?? restoreDuration(spec.deliveryType, this.durations),
      outcome: spec.outcome ?? 'completed',
      cancelledAt: undefined,
      sharded: cluster.clusterType === 'SHARDED',
      replicaSetNames: cluster.replicaSetNames,
      privateDownload: spec.privateDownload ?? false,
      dataRestored: false,
    };
    this.#restoreJobs.push(job);
    return job.id;
  }

  restoreJob(groupId: string, clusterName: string, restoreJobId: string): RestoreJobJson | undefined {
    const job = this.findRestoreJob(groupId, clusterName, restoreJobId);
    return job && renderRestoreJob(job, this.renderContext());
  }

  restoreJobs(groupId: string, clusterName: string): RestoreJobJson[] {
    const context = this.renderContext();
    return this.restoreJobRecords(groupId, clusterName).map((job) => renderRestoreJob(job, context));
  }

  setRestoreJobOutcome(restoreJobId: string, outcome: 'completed' | 'failed'): void {
    this.#requireRestoreJob(restoreJobId).outcome = outcome;
  }

  completeRestoreJob(restoreJobId: string): void {
    const job = this.#requireRestoreJob(restoreJobId);
    job.durationMs = Math.min(job.durationMs, Math.max(0, this.clock.now() - job.submittedAt));
  }

  // The data plane.

  /** The cluster's live data, after the restores due onto it (and onto any cluster) have replaced it. */
  clusterData(groupId: string, clusterName: string): ClusterData | undefined {
    const cluster = this.findCluster(groupId, clusterName);
    if (!cluster) return undefined;
    this.settleRestores();
    return cluster.history.data;
  }

  /**
   * Whether the cluster accepts connections now: not while paused (Atlas refuses connections to a paused cluster),
   * being created or deleted,
   * not while a restore onto it runs (Atlas wipes the target first; clients must not use it), not under the
   * `unreachable` fault.
   */
  dataPlaneReachable(groupId: string, clusterName: string): boolean {
    const cluster = this.findCluster(groupId, clusterName);
    return (
      cluster !== undefined &&
      !cluster.paused &&
      cluster.stateName !== 'CREATING' &&
      cluster.stateName !== 'DELETING' &&
      !this.dataFaults.isUnreachable(groupId, clusterName) &&
      this.restoreInProgressOnto(groupId, clusterName) === undefined
    );
  }

  /**
   * Applies, in the order they finished, the automated and point-in-time restores that completed on the simulated
   * clock and are not yet in their target's data: lazily, before any read of the data. A failed or cancelled job
   * never gets there (no `finishedAt`) and changes nothing.
   */
  settleRestores(): void {
    const now = this.clock.now();
    const due = this.#restoreJobs
      .filter((job) => !job.dataRestored)
      .map((job) => ({ job, finishedAt: restoreJobProgress(job, now, this.durations).finishedAt }))
      .filter((entry): entry is { job: RestoreJobRecord; finishedAt: number } => entry.finishedAt !== undefined)
      .sort((a, b) => a.finishedAt - b.finishedAt);
    for (const { job, finishedAt } of due) {
      job.dataRestored = true;
      const source = this.findCluster(job.groupId, job.clusterName);
      const target = this.findCluster(job.targetGroupId ?? '', job.targetClusterName ?? '');
      const instant = this.#restoredInstant(job);
      if (!source || !target || instant === undefined) continue;
      const restored = this.dataFaults.restoredData(
        target.groupId,
        target.name,
        source.history.stateAt(instant),
        finishedAt,
      );
      target.history.replaceWith(restored, finishedAt);
    }
  }

  /**
   * The data a restore job brings back: its snapshot's at the snapshot's createdAt (as rendered, whole seconds, so a
   * client comparing heartbeats with createdAt finds none newer), or the point in time's.
   */
  #restoredInstant(job: RestoreJobRecord): number | undefined {
    if (job.deliveryType === 'pointInTime') return (job.pointInTimeUTCSeconds ?? job.oplogTs ?? 0) * 1000;
    const startedAt = this.#snapshots.find((snapshot) => snapshot.id === job.snapshotId)?.startedAt;
    return startedAt === undefined ? undefined : Math.floor(startedAt / 1000) * 1000;
  }

  // Lookups for the API operations.

  allClusters(): ClusterRecord[] {
    return [...this.#projects.values()].flatMap((clusters) => [...clusters.values()]);
  }

  hasProject(groupId: string): boolean {
    return this.#projects.has(groupId);
  }

  findCluster(groupId: string, clusterName: string): ClusterRecord | undefined {
    return this.#projects.get(groupId)?.get(clusterName);
  }

  snapshotRecords(groupId: string, clusterName: string): SnapshotRecord[] {
    return this.#snapshots.filter((snapshot) => snapshot.groupId === groupId && snapshot.clusterName === clusterName);
  }

  findSnapshot(groupId: string, clusterName: string, snapshotId: string): SnapshotRecord | undefined {
    return this.snapshotRecords(groupId, clusterName).find((snapshot) => snapshot.id === snapshotId);
  }

  /** The snapshot's status now. */
  snapshotStatus(snapshot: SnapshotRecord): ReturnType<typeof snapshotStatus> {
    return snapshotStatus(snapshot, this.clock.now());
  }

  restoreJobRecords(groupId: string, clusterName: string): RestoreJobRecord[] {
    return this.#restoreJobs.filter((job) => job.groupId === groupId && job.clusterName === clusterName);
  }

  findRestoreJob(groupId: string, clusterName: string, restoreJobId: string): RestoreJobRecord | undefined {
    return this.restoreJobRecords(groupId, clusterName).find((job) => job.id === restoreJobId);
  }

  /** An automated or point-in-time restore still running onto this cluster, from any source. */
  restoreInProgressOnto(groupId: string, clusterName: string): RestoreJobRecord | undefined {
    const now = this.clock.now();
    return this.#restoreJobs.find(
      (job) =>
        job.deliveryType !== 'download' &&
        job.targetGroupId === groupId &&
        job.targetClusterName === clusterName &&
        restoreJobProgress(job, now, this.durations).pending,
    );
  }

  /** A download job preparing, or ready and not yet expired. */
  isActiveDownload(job: RestoreJobRecord): boolean {
    const progress = restoreJobProgress(job, this.clock.now(), this.durations);
    return progress.pending || (progress.readyAt !== undefined && !progress.expired);
  }

  isPending(job: RestoreJobRecord): boolean {
    return restoreJobProgress(job, this.clock.now(), this.durations).pending;
  }

  renderContext(): RenderContext {
    return {
      now: this.clock.now(),
      baseUrl: this.baseUrl,
      durations: this.durations,
      dataPlanePort: (groupId, clusterName) => this.dataPlanePorts.get(`${groupId}/${clusterName}`),
      snapshot: (snapshotId) => this.#snapshots.find((snapshot) => snapshot.id === snapshotId),
    };
  }

  #requireProject(groupId: string): Map<string, ClusterRecord> {
    const clusters = this.#projects.get(groupId);
    if (!clusters) throw new Error(`No project ${groupId}`);
    return clusters;
  }

  #requireCluster(groupId: string, clusterName: string): ClusterRecord {
    const cluster = this.findCluster(groupId, clusterName);
    if (!cluster) throw new Error(`No cluster ${clusterName} in project ${groupId}`);
    return cluster;
  }

  #requireRestoreJob(restoreJobId: string): RestoreJobRecord {
    const job = this.#restoreJobs.find((candidate) => candidate.id === restoreJobId);
    if (!job) throw new Error(`No restore job ${restoreJobId}`);
    return job;
  }
}
