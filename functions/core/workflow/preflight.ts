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
 * Whether a snapshot is of a sharded cluster, from its `type`: `shardedCluster` on the replica-set endpoints (which
 * list a sharded cluster's snapshots too), `SHARDED_CLUSTER` on the sharded ones; undefined when Atlas gives none.
 */
export function isShardedSnapshot(snapshot: Snapshot): boolean | undefined {
  const type = snapshot.type?.replaceAll('_', '').toLowerCase();
  if (type === 'shardedcluster') return true;
  if (type === 'replicaset') return false;
  return undefined;
}

/** A snapshot's creation time (epoch ms); NaN when Atlas gives none, or one that is not a date. */
function createdAtMs(snapshot: Snapshot): number {
  // Stryker disable next-line StringLiteral: equivalent, any text that is not a date parses to NaN
  return Date.parse(snapshot.createdAt ?? '');
}

/**
 * The snapshot a request restores, and the restored data's time (RPO). `latest` is the newest completed snapshot of
 * the cluster's topology (a cluster converted to sharded keeps its replica-set snapshots, which Atlas cannot restore
 * onto a sharded target); an explicit one must exist, be of that topology and be completed (one still being taken is
 * waited for). A point in time is its own data time: Atlas picks the snapshot.
 */
export function chooseSnapshot(
  request: RestoreRequest,
  snapshots: readonly Snapshot[],
  cluster: { readonly sharded?: boolean } = {},
): SnapshotChoice {
  const otherTopology = (snapshot: Snapshot) => {
    const sharded = isShardedSnapshot(snapshot);
    return cluster.sharded !== undefined && sharded !== undefined && sharded !== cluster.sharded;
  };
  if (request.deliveryType === 'pointInTime') {
    const seconds = request.pointInTimeUTCSeconds ?? request.oplogTs ?? 0;
    return { kind: 'chosen', snapshotAt: seconds * 1000 };
  }
  const wanted = request.snapshotId ?? 'latest';
  if (wanted === 'latest') {
    // Never a fallback snapshot: Atlas takes one by another process when a scheduled one cannot be taken, and its
    // documentation treats it as a last resort; a drill that silently restored one would prove the wrong thing.
    // Named by id, it is restored as asked.
    const newest = snapshots
      .filter((snapshot) => snapshot.status === 'completed')
      .filter((snapshot) => snapshot.snapshotType !== 'fallback' && !otherTopology(snapshot))
      .map((snapshot) => ({ snapshot, at: createdAtMs(snapshot) }))
      .filter(({ at }) => Number.isFinite(at))
      .sort((a, b) => b.at - a.at)[0];
    if (newest === undefined) return { kind: 'fail', code: 'NO_COMPLETED_SNAPSHOT', reason: 'no completed snapshot' };
    return { kind: 'chosen', snapshotId: newest.snapshot.id, snapshotAt: newest.at };
  }
  const snapshot = snapshots.find((candidate) => candidate.id === wanted);
  if (snapshot === undefined) {
    return { kind: 'fail', code: 'SNAPSHOT_NOT_FOUND', reason: `snapshot ${wanted} not found` };
  }
  if (otherTopology(snapshot)) {
    const what = cluster.sharded
      ? 'a replica-set snapshot of a sharded cluster'
      : 'a sharded snapshot of a replica set';
    return { kind: 'fail', code: 'SNAPSHOT_TOPOLOGY_MISMATCH', reason: `snapshot ${wanted} is ${what}` };
  }
  switch (snapshot.status) {
    case 'completed': {
      const at = createdAtMs(snapshot);
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
    .map(createdAtMs)
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

/**
 * An on-demand snapshot of the source being taken (queued or in progress) defers the restore: someone is taking a
 * fresh copy on purpose, and Atlas allows one such snapshot at a time (`UNFINISHED_ON_DEMAND_SNAPSHOT`). A scheduled
 * (or fallback) snapshot in progress does not: a policy takes one every hour or more often, each running minutes to
 * hours on a large cluster, so waiting for none to run would starve drills into DEFER_LIMIT_REACHED, and no source
 * says Atlas refuses a restore meanwhile (if it ever does, its refusal defers like any other). A snapshot whose type
 * Atlas does not give is treated as on demand.
 */
export function snapshotInProgress(snapshots: readonly Snapshot[]): Deferral | undefined {
  const busy = snapshots.find(
    (snapshot) =>
      (snapshot.status === 'queued' || snapshot.status === 'inProgress') &&
      (snapshot.snapshotType === undefined || snapshot.snapshotType === 'onDemand'),
  );
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

/**
 * A restore job of the source still running onto the same target. Only jobs that name their target count: Atlas
 * promises `targetClusterName` on automated jobs only, so a point-in-time job onto the target goes unseen here, as
 * does any restore from another source; Atlas's 409 `ATLAS_CLUSTER_RESTORE_IN_PROGRESS` then defers the start.
 */
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
    // Stryker disable next-line LogicalOperator,ConditionalExpression: equivalent, the contract requires both or neither
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
 * The source's jobs that restore what `body` asks for, oldest first (ObjectId order: creation order at Atlas). Each
 * delivery type is matched on what Atlas promises to return for it, and any other field it does echo must agree:
 * - automated: `targetClusterName` (returned for automated jobs only);
 * - pointInTime: the instant (`pointInTimeUTCSeconds`, or `oplogTs`/`oplogInc`, returned when above 0); the target
 *   is not promised, so two operations restoring one instant onto different targets match each other's jobs, and
 *   only job ownership (`job#` items) keeps them apart;
 * - download: the delivery type, and the snapshot when echoed.
 * Never the creation time.
 */
export function matchingJobs(jobs: readonly RestoreJob[], body: RestoreJobRequest): RestoreJob[] {
  const sameOrAbsent = <T>(echoed: T | null | undefined, sent: T | undefined) =>
    echoed === undefined || echoed === null || echoed === sent;
  const promised = (job: RestoreJob): boolean => {
    switch (body.deliveryType) {
      case 'automated':
        return job.targetClusterName === body.targetClusterName;
      case 'pointInTime':
        return body.pointInTimeUTCSeconds !== undefined
          ? job.pointInTimeUTCSeconds === body.pointInTimeUTCSeconds
          : job.oplogTs === body.oplogTs && sameOrAbsent(job.oplogInc, body.oplogInc);
      case 'download':
        return true;
    }
  };
  return jobs
    .filter(
      (job) =>
        job.deliveryType === body.deliveryType &&
        promised(job) &&
        (body.snapshotId === undefined || sameOrAbsent(job.snapshotId, body.snapshotId)) &&
        sameOrAbsent(job.targetClusterName, body.targetClusterName) &&
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
