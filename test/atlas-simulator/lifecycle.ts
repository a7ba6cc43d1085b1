import type { ClusterRecord, RestoreJobRecord, SnapshotRecord } from './records.ts';
import type { ClusterStateName, DeliveryType, LifecycleDurations, SnapshotStatus } from './types.ts';

/**
 * Lifecycles are computed from the clock on every read, never advanced by timers: stepping or scaling the clock
 * moves every snapshot and restore job at once.
 */
export const DEFAULT_DURATIONS: LifecycleDurations = {
  snapshotQueuedMs: 20_000,
  snapshotInProgressMs: 140_000,
  automatedRestoreMs: 240_000,
  pointInTimeRestoreMs: 360_000,
  downloadPrepareMs: 120_000,
  downloadExpiresAfterMs: 3_600_000,
  clusterCreateMs: 600_000,
  clusterDeleteMs: 300_000,
  clusterUpdateMs: 300_000,
};

/** Atlas resumes a cluster paused this long. */
export const MAX_PAUSE_MS = 30 * 86_400_000;

export interface ClusterStatus {
  readonly stateName: ClusterStateName;
  readonly paused: boolean;
  /** The last resume, by a request or by Atlas after 30 days of pause. */
  readonly resumedAt: number | undefined;
  /** Deleted and past DELETING: the API answers 404. */
  readonly gone: boolean;
}

/** Where a cluster stands now: DELETING over CREATING over UPDATING over the state a test set. */
export function clusterStatus(cluster: ClusterRecord, now: number): ClusterStatus {
  const autoResumeAt = cluster.pausedAt === undefined ? undefined : cluster.pausedAt + MAX_PAUSE_MS;
  const autoResumed = autoResumeAt !== undefined && now >= autoResumeAt;
  const deleting = cluster.deletedAt !== undefined;
  const stateName: ClusterStateName = deleting
    ? 'DELETING'
    : now < cluster.createdAt + cluster.createMs
      ? 'CREATING'
      : cluster.updatingUntil !== undefined && now < cluster.updatingUntil
        ? 'UPDATING'
        : cluster.stateName;
  return {
    stateName,
    paused: cluster.pausedAt !== undefined && !autoResumed,
    resumedAt: autoResumed ? autoResumeAt : cluster.resumedAt,
    gone: cluster.deletedAt !== undefined && now >= cluster.deletedAt,
  };
}

export function snapshotStatus(snapshot: SnapshotRecord, now: number): SnapshotStatus {
  const elapsed = now - snapshot.startedAt;
  if (elapsed < snapshot.queuedMs) return 'queued';
  if (elapsed < snapshot.queuedMs + snapshot.inProgressMs) return 'inProgress';
  return snapshot.outcome;
}

/**
 * Where a restore job stands now. Download jobs are `ready` (URL out) when done, and expire later. Finished automated
 * and point-in-time jobs expire too (`expired: true` with `expiresAt`, `finishedAt` kept): the flag says the job's
 * record aged out, not that the restore undid itself.
 */
export function restoreJobProgress(job: RestoreJobRecord, now: number, durations: LifecycleDurations) {
  const doneAt = job.submittedAt + job.durationMs;
  const cancelled = job.cancelledAt !== undefined;
  const done = !cancelled && now >= doneAt;
  const succeeded = done && job.outcome === 'completed';
  const expiresAt = doneAt + durations.downloadExpiresAfterMs;
  return {
    pending: !cancelled && !done,
    cancelled,
    failed: done && job.outcome === 'failed',
    finishedAt: succeeded && job.deliveryType !== 'download' ? doneAt : undefined,
    readyAt: succeeded && job.deliveryType === 'download' ? doneAt : undefined,
    expiresAt: succeeded && (job.deliveryType === 'download' || now >= expiresAt) ? expiresAt : undefined,
    expired: succeeded && now >= expiresAt,
  };
}

export function restoreDuration(deliveryType: DeliveryType, durations: LifecycleDurations): number {
  if (deliveryType === 'automated') return durations.automatedRestoreMs;
  if (deliveryType === 'pointInTime') return durations.pointInTimeRestoreMs;
  return durations.downloadPrepareMs;
}
