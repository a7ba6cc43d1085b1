import type { AtlasApiError } from '../atlas/errors.ts';
import {
  atlasIdCreatedAt,
  type Cluster,
  type RestoreJob,
  type RestoreJobRequest,
  restoreJobState,
  type Snapshot,
} from '../atlas/model.ts';
import { isoSeconds, type RestoreRequest } from '../contract/restore-request.ts';

/** Why a start waits and tries again later. Codes are ours, or the Atlas errorCode that told us. */
export interface Deferral {
  readonly code: string;
  readonly reason: string;
}

export type SnapshotChoice =
  | { readonly kind: 'chosen'; readonly snapshotId?: string; readonly snapshotAt: number }
  | { readonly kind: 'defer'; readonly deferral: Deferral }
  | { readonly kind: 'fail'; readonly code: string; readonly reason: string };

/** Sharded clusters have their own snapshot endpoints. */
export function isSharded(cluster: Cluster): boolean {
  return cluster.clusterType === 'SHARDED' || cluster.clusterType === 'GEOSHARDED';
}

/**
 * The snapshot a request restores, and the restored data's time (RPO). `latest` is the newest completed snapshot;
 * an explicit one must exist and be completed (one still being taken is waited for). A point in time is its own
 * data time: Atlas picks the snapshot.
 */
export function chooseSnapshot(request: RestoreRequest, snapshots: readonly Snapshot[]): SnapshotChoice {
  if (request.deliveryType === 'pointInTime') {
    const seconds = request.pointInTimeUTCSeconds ?? request.oplogTs ?? 0;
    return { kind: 'chosen', snapshotAt: seconds * 1000 };
  }
  const wanted = request.snapshotId ?? 'latest';
  if (wanted === 'latest') {
    const newest = snapshots
      .filter((snapshot) => snapshot.status === 'completed' && snapshot.createdAt !== undefined)
      .map((snapshot) => ({ snapshot, at: Date.parse(snapshot.createdAt ?? '') }))
      .filter(({ at }) => Number.isFinite(at))
      .sort((a, b) => b.at - a.at)[0];
    if (newest === undefined) return { kind: 'fail', code: 'NO_COMPLETED_SNAPSHOT', reason: 'no completed snapshot' };
    return { kind: 'chosen', snapshotId: newest.snapshot.id, snapshotAt: newest.at };
  }
  const snapshot = snapshots.find((candidate) => candidate.id === wanted);
  if (snapshot === undefined) {
    return { kind: 'fail', code: 'SNAPSHOT_NOT_FOUND', reason: `snapshot ${wanted} not found` };
  }
  switch (snapshot.status) {
    case 'completed': {
      const at = Date.parse(snapshot.createdAt ?? '');
      return { kind: 'chosen', snapshotId: snapshot.id, snapshotAt: Number.isFinite(at) ? at : 0 };
    }
    case 'failed':
      return { kind: 'fail', code: 'SNAPSHOT_FAILED', reason: `snapshot ${wanted} failed` };
    default:
      return {
        kind: 'defer',
        deferral: { code: 'SNAPSHOT_IN_PROGRESS', reason: `snapshot ${wanted} is ${snapshot.status}` },
      };
  }
}

/** Why a point-in-time request cannot be restored from this cluster; permanent: waiting will not help. */
export interface PointInTimeRefusal {
  readonly code: 'PIT_NOT_ENABLED' | 'PIT_OUTSIDE_WINDOW';
  readonly reason: string;
}

/**
 * A point in time needs Continuous Cloud Backup on the source (`pitEnabled`; replica set or sharded alike) and must
 * lie in its window: from the oldest completed snapshot (Atlas replays the oplog from the newest snapshot before the
 * instant, else answers UNABLE_T0_FIND_SNAPSHOT_PRIOR_TO_PIT_RESTORE_OPTIME) to now (the contract refused the future
 * on arrival). The backup policy's restore window (`restoreWindowDays`) may be shorter still; it is not readable
 * through the endpoints this tool uses, so Atlas's INVALID_PIT_RESTORE_TIME on submit stays possible, and is permanent.
 */
export function pointInTimeOutsideWindow(
  request: RestoreRequest,
  cluster: Cluster,
  snapshots: readonly Snapshot[],
): PointInTimeRefusal | undefined {
  if (request.deliveryType !== 'pointInTime') return undefined;
  if (!cluster.pitEnabled) {
    return {
      code: 'PIT_NOT_ENABLED',
      reason: `cluster ${cluster.name} does not have Continuous Cloud Backup (pitEnabled is not true): Atlas restores no point in time of it`,
    };
  }
  const field = request.pointInTimeUTCSeconds !== undefined ? 'pointInTimeUTCSeconds' : 'oplogTs';
  const seconds = request.pointInTimeUTCSeconds ?? request.oplogTs ?? 0;
  const oldest = snapshots
    .filter((snapshot) => snapshot.status === 'completed')
    .map((snapshot) => Date.parse(snapshot.createdAt ?? ''))
    .filter((at) => Number.isFinite(at))
    .sort((a, b) => a - b)[0];
  if (oldest === undefined) {
    return {
      code: 'PIT_OUTSIDE_WINDOW',
      reason: `${field} ${isoSeconds(seconds)} is outside the window: cluster ${cluster.name} has no completed snapshot to replay the oplog from`,
    };
  }
  if (seconds * 1000 < oldest) {
    return {
      code: 'PIT_OUTSIDE_WINDOW',
      reason: `${field} ${isoSeconds(seconds)} is outside the window ${isoSeconds(Math.ceil(oldest / 1000))}–now (oldest completed snapshot of ${cluster.name} to now)`,
    };
  }
  return undefined;
}

/**
 * The reason an operation fails with, for a permanent Atlas error: Atlas's own words, and what to do where they are
 * not enough (a Flex cluster is not served by the cluster endpoints at all).
 */
export function permanentFailureReason(error: AtlasApiError): string {
  if (error.errorCode === 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API') {
    const name = error.clusterName ?? '{name}';
    return `${error.message}. ${name} is a Flex cluster: Flex restores use another endpoint, POST /api/atlas/v2/groups/${error.groupId ?? '{groupId}'}/flexClusters/${name}/backup/restoreJobs, which this tool does not call; it restores dedicated clusters only`;
  }
  return error.message;
}

/** Atlas refuses (or queues badly) a restore while a snapshot of the source is being taken. */
export function snapshotInProgress(snapshots: readonly Snapshot[]): Deferral | undefined {
  const busy = snapshots.find((snapshot) => snapshot.status === 'queued' || snapshot.status === 'inProgress');
  return busy && { code: 'SNAPSHOT_IN_PROGRESS', reason: `snapshot ${busy.id} of the source is ${busy.status}` };
}

/** A paused target cannot be restored; one that is not IDLE is being changed (possibly by another restore). */
export function targetNotReady(target: Cluster): Deferral | undefined {
  if (target.paused) return { code: 'TARGET_PAUSED', reason: `target ${target.name} is paused` };
  if (target.stateName !== 'IDLE') {
    return { code: 'TARGET_NOT_IDLE', reason: `target ${target.name} is ${target.stateName}` };
  }
  return undefined;
}

/** A restore job of the source still running onto the same target. */
export function restoreRunningOnto(
  jobs: readonly RestoreJob[],
  target: { readonly groupId: string; readonly clusterName: string },
): Deferral | undefined {
  const running = jobs.find(
    (job) =>
      job.deliveryType !== 'download' &&
      job.targetClusterName === target.clusterName &&
      (job.targetGroupId === undefined || job.targetGroupId === target.groupId) &&
      restoreJobState(job) === 'pending',
  );
  return running && { code: 'RESTORE_IN_PROGRESS', reason: `restore job ${running.id} is running onto the target` };
}

/** The createBackupRestoreJob body for a request and its chosen snapshot. */
export function restoreJobBody(request: RestoreRequest, snapshotId: string | undefined): RestoreJobRequest {
  const target =
    request.targetGroupId !== undefined && request.targetClusterName !== undefined
      ? { targetGroupId: request.targetGroupId, targetClusterName: request.targetClusterName }
      : {};
  switch (request.deliveryType) {
    case 'pointInTime':
      return request.pointInTimeUTCSeconds !== undefined
        ? { deliveryType: 'pointInTime', ...target, pointInTimeUTCSeconds: request.pointInTimeUTCSeconds }
        : { deliveryType: 'pointInTime', ...target, oplogTs: request.oplogTs ?? 0, oplogInc: request.oplogInc ?? 0 };
    case 'automated':
      return { deliveryType: 'automated', ...(snapshotId ? { snapshotId } : {}), ...target };
    case 'download':
      return { deliveryType: 'download', ...(snapshotId ? { snapshotId } : {}) };
  }
}

/**
 * The source's jobs that restore what `body` asks for: same delivery type, snapshot and target (and point in time
 * when Atlas echoes it), oldest first (ObjectId order: creation order at Atlas).
 */
export function matchingJobs(jobs: readonly RestoreJob[], body: RestoreJobRequest): RestoreJob[] {
  const sameOrAbsent = <T>(echoed: T | null | undefined, sent: T | undefined) =>
    echoed === undefined || echoed === null || echoed === sent;
  return jobs
    .filter(
      (job) =>
        job.deliveryType === body.deliveryType &&
        (body.snapshotId === undefined || job.snapshotId === body.snapshotId) &&
        (job.targetClusterName ?? undefined) === body.targetClusterName &&
        sameOrAbsent(job.targetGroupId, body.targetGroupId) &&
        sameOrAbsent(job.pointInTimeUTCSeconds, body.pointInTimeUTCSeconds) &&
        sameOrAbsent(job.oplogTs, body.oplogTs) &&
        sameOrAbsent(job.oplogInc, body.oplogInc),
    )
    .sort((a, b) => atlasIdCreatedAt(a.id).getTime() - atlasIdCreatedAt(b.id).getTime() || a.id.localeCompare(b.id));
}

/**
 * Jobs an attempt of this operation may have submitted: matching ones that were not there when the submission was
 * claimed (`priorJobIds`), oldest first, so every attempt tries the same one first. Ids tell them apart, never
 * creation times: Atlas's clock and ours may disagree by minutes.
 */
export function findSubmittedJobs(
  jobs: readonly RestoreJob[],
  body: RestoreJobRequest,
  priorJobIds: readonly string[],
): RestoreJob[] {
  const prior = new Set(priorJobIds);
  return matchingJobs(jobs, body).filter((job) => !prior.has(job.id));
}
