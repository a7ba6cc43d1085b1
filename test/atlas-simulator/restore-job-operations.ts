import { clusterDiskSizeGB, majorOf } from './cluster-specs.ts';
import { AtlasError } from './errors.ts';
import { type Operation, paginate, requireCluster } from './operation-support.ts';
import type { ClusterRecord, RestoreJobRecord, SnapshotRecord } from './records.ts';
import { renderRestoreJob } from './render.ts';
import type { SimulatorStore } from './state.ts';
import { parsePagination, parseRestoreJobRequest, type RestoreJobRequest } from './validation.ts';

export const listBackupRestoreJobs: Operation = (store, { params, query, path }) => {
  const cluster = requireCluster(store, params);
  const page = parsePagination(query);
  const context = store.renderContext();
  const jobs = store.restoreJobRecords(cluster.groupId, cluster.name).map((job) => renderRestoreJob(job, context));
  return { status: 200, body: paginate(jobs, page, { baseUrl: store.baseUrl, path }) };
};

export const getBackupRestoreJob: Operation = (store, { params }) => {
  const cluster = requireCluster(store, params);
  return { status: 200, body: renderRestoreJob(requireRestoreJob(store, cluster, params), store.renderContext()) };
};

/** Answers 200 (not 201) and is not idempotent: every accepted call creates a job. */
export const createBackupRestoreJob: Operation = (store, { params, body }) => {
  const source = requireCluster(store, params);
  const request = parseRestoreJobRequest(body);
  const snapshot =
    request.deliveryType === 'pointInTime'
      ? snapshotBefore(store, source, request)
      : completedSnapshot(store, source, request);
  if (request.deliveryType === 'download') checkNoActiveDownload(store, source, snapshot);
  else checkTarget(store, source, request, snapshot);
  const id = store.addRestoreJob(source.groupId, source.name, {
    deliveryType: request.deliveryType,
    snapshotId: snapshot.id,
    ...(request.deliveryType !== 'download'
      ? { targetGroupId: request.targetGroupId ?? '', targetClusterName: request.targetClusterName ?? '' }
      : {}),
    ...(request.deliveryType === 'pointInTime' ? pointInTimeFields(request) : {}),
  });
  return { status: 200, body: store.restoreJob(source.groupId, source.name, id) };
};

/** Only download jobs can be cancelled; cancelling a job that already ended changes nothing. */
export const cancelBackupRestoreJob: Operation = (store, { params }) => {
  const cluster = requireCluster(store, params);
  const job = requireRestoreJob(store, cluster, params);
  if (job.deliveryType !== 'download') {
    throw new AtlasError(
      400,
      'CANNOT_CANCEL_AUTOMATED_RESTORE',
      `Restore job ${job.id} is an automated restore and cannot be cancelled.`,
      {
        parameters: [job.id],
      },
    );
  }
  if (store.isPending(job)) job.cancelledAt = store.clock.now();
  return { status: 204 };
};

function requireRestoreJob(
  store: SimulatorStore,
  cluster: ClusterRecord,
  params: Readonly<Record<string, string>>,
): RestoreJobRecord {
  const restoreJobId = params.restoreJobId ?? '';
  const job = store.findRestoreJob(cluster.groupId, cluster.name, restoreJobId);
  if (!job) {
    throw new AtlasError(
      404,
      'RESTORE_JOB_NOT_FOUND',
      `No restore job with ID ${restoreJobId} exists for cluster ${cluster.name}.`,
      {
        parameters: [restoreJobId, cluster.name],
      },
    );
  }
  return job;
}

function completedSnapshot(store: SimulatorStore, source: ClusterRecord, request: RestoreJobRequest): SnapshotRecord {
  const snapshotId = request.snapshotId ?? '';
  const snapshot = store.findSnapshot(source.groupId, source.name, snapshotId);
  if (!snapshot) {
    throw new AtlasError(
      404,
      'SNAPSHOT_NOT_FOUND',
      `No snapshot with ID ${snapshotId} exists for cluster ${source.name}.`,
      {
        parameters: [snapshotId, source.name],
      },
    );
  }
  if (store.snapshotStatus(snapshot) !== 'completed') {
    throw new AtlasError(
      409,
      'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT',
      `Cannot start a restore job for snapshot ${snapshotId}: it is not completed.`,
      { parameters: [snapshotId] },
    );
  }
  return snapshot;
}

/**
 * Atlas restores a point in time from the newest completed snapshot taken before it, replaying the oplog it kept:
 * the cluster needs Continuous Cloud Backup (replica set or sharded alike), and the instant must lie in the backup
 * policy's restore window, up to now. PIT_RESTORE_ONLY_SUPPORTED_FOR_REPLICA_SETS ("specify a checkpoint instead")
 * belongs to legacy backup, which the simulator does not model.
 */
function snapshotBefore(store: SimulatorStore, source: ClusterRecord, request: RestoreJobRequest): SnapshotRecord {
  const seconds = request.pointInTimeUTCSeconds ?? request.oplogTs ?? 0;
  const now = store.clock.now();
  if (!source.pitEnabled) {
    throw new AtlasError(
      400,
      'INVALID_PIT_RESTORE_TIME',
      `Continuous Cloud Backup is not enabled for cluster ${source.name}: no point in time can be restored.`,
      { parameters: [seconds] },
    );
  }
  if (seconds * 1000 > now) {
    throw new AtlasError(400, 'INVALID_PIT_RESTORE_TIME', `The point in time ${seconds} is in the future.`, {
      parameters: [seconds],
    });
  }
  const base = store
    .snapshotRecords(source.groupId, source.name)
    .filter((snapshot) => store.snapshotStatus(snapshot) === 'completed' && snapshot.startedAt <= seconds * 1000)
    .sort((a, b) => b.startedAt - a.startedAt)[0];
  if (!base) {
    throw new AtlasError(
      404,
      'UNABLE_T0_FIND_SNAPSHOT_PRIOR_TO_PIT_RESTORE_OPTIME',
      `No completed snapshot of cluster ${source.name} was taken before ${seconds}.`,
      { parameters: [seconds] },
    );
  }
  if (seconds * 1000 < now - source.restoreWindowDays * 86_400_000) {
    throw new AtlasError(
      400,
      'INVALID_PIT_RESTORE_TIME',
      `The point in time ${seconds} is older than the ${source.restoreWindowDays}-day restore window of cluster ${source.name}.`,
      { parameters: [seconds] },
    );
  }
  return base;
}

/**
 * One active download per snapshot: Atlas refuses another while one is preparing or its links are out (an "active
 * download"; stricter than counting only preparing ones). The project-wide cap (`TOO_MANY_SNAPSHOT_DOWNLOADS`) is
 * not simulated: no source gives its number.
 */
function checkNoActiveDownload(store: SimulatorStore, source: ClusterRecord, snapshot: SnapshotRecord): void {
  const active = store
    .restoreJobRecords(source.groupId, source.name)
    .find((job) => job.deliveryType === 'download' && job.snapshotId === snapshot.id && store.isActiveDownload(job));
  if (active) {
    throw new AtlasError(
      400,
      'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY',
      `Cannot create a manual download of snapshot ${snapshot.id}: download ${active.id} is still active.`,
      { parameters: [snapshot.id] },
    );
  }
}

/**
 * The target must exist and be ready (not CREATING or DELETING), match the source's topology and shard count, run the
 * snapshot's MongoDB major version, have at least the snapshot's size of disk, not be paused, and not be under another
 * restore.
 */
function checkTarget(
  store: SimulatorStore,
  source: ClusterRecord,
  request: RestoreJobRequest,
  snapshot: SnapshotRecord,
): void {
  const groupId = request.targetGroupId ?? '';
  const name = request.targetClusterName ?? '';
  const target = store.findCluster(groupId, name);
  if (!target) {
    throw new AtlasError(404, 'CLUSTER_NOT_FOUND', `No cluster named ${name} exists in group ${groupId}.`, {
      parameters: [name, groupId],
    });
  }
  checkTargetReady(store, target);
  const incompatible = targetIncompatibility(source, target, snapshot);
  if (incompatible !== undefined) {
    throw new AtlasError(403, 'CANNOT_RESTORE_TO_TARGET', `Cannot restore to cluster ${name}: ${incompatible}.`, {
      parameters: [name],
    });
  }
  if (store.clusterStatus(target).paused) {
    throw new AtlasError(400, 'CLUSTER_PAUSED_CANNOT_RESTORE', `Cluster ${name} is paused and cannot be restored to.`, {
      parameters: [name],
    });
  }
  const running = store.restoreInProgressOnto(groupId, name);
  if (running) {
    throw new AtlasError(
      409,
      'ATLAS_CLUSTER_RESTORE_IN_PROGRESS',
      `A restore (${running.id}) is already in progress on cluster ${name}.`,
      {
        parameters: [name],
      },
    );
  }
}

/** No source gives Atlas's answer for a target still being created or deleted: the documented codes whose text fits. */
function checkTargetReady(store: SimulatorStore, target: ClusterRecord): void {
  const { stateName } = store.clusterStatus(target);
  if (stateName === 'CREATING') {
    throw new AtlasError(
      400,
      'CLUSTER_HOSTNAMES_UNAVAILABLE',
      `Cluster hostnames are unavailable; cluster (${target.name}) might still be provisioning.`,
      { parameters: [target.name] },
    );
  }
  if (stateName === 'DELETING') {
    throw new AtlasError(
      400,
      'CLUSTER_ALREADY_REQUESTED_DELETION',
      `The cluster ${target.name} has already been requested for deletion.`,
      { parameters: [target.name] },
    );
  }
}

/** Why the snapshot cannot land on the target, if it cannot (Atlas's restore considerations). */
function targetIncompatibility(
  source: ClusterRecord,
  target: ClusterRecord,
  snapshot: SnapshotRecord,
): string | undefined {
  if (target.clusterType !== source.clusterType) {
    return `a ${source.clusterType} snapshot cannot be restored to a ${target.clusterType} cluster`;
  }
  if (target.replicationSpecs.length !== source.replicationSpecs.length) {
    return `the snapshot has ${source.replicationSpecs.length} shard(s), the target ${target.replicationSpecs.length}`;
  }
  const snapshotMajor = majorOf(snapshot.mongodVersion);
  if (snapshotMajor !== target.mongoDBMajorVersion) {
    return `the snapshot runs MongoDB ${snapshotMajor}, the target ${target.mongoDBMajorVersion}`;
  }
  const diskBytes = clusterDiskSizeGB(target) * 1e9;
  if (diskBytes < snapshot.storageSizeBytes) {
    return `the target's disk (${clusterDiskSizeGB(target)} GB) is smaller than the snapshot (${snapshot.storageSizeBytes} bytes)`;
  }
  return undefined;
}

function pointInTimeFields(request: RestoreJobRequest) {
  return request.pointInTimeUTCSeconds !== undefined
    ? { pointInTimeUTCSeconds: request.pointInTimeUTCSeconds }
    : { oplogTs: request.oplogTs ?? 0, oplogInc: request.oplogInc ?? 0 };
}
