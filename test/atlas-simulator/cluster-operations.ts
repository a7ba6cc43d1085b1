import { isNvmeInstanceSize, isTenantInstanceSize } from './cluster-specs.ts';
import { parseCreateClusterRequest, parseUpdateClusterRequest } from './cluster-validation.ts';
import { AtlasError } from './errors.ts';
import { type Operation, paginate, requireCluster } from './operation-support.ts';
import type { ClusterRecord } from './records.ts';
import { renderCluster } from './render.ts';
import type { SimulatorStore } from './state.ts';
import { parsePagination } from './validation.ts';

/** Atlas refuses a pause this soon after a resume ("to process all queued maintenance"). */
const RESUME_BEFORE_PAUSE_MS = 60 * 60_000;

export const getCluster: Operation = (store, { params }) => ({
  status: 200,
  body: renderCluster(requireCluster(store, params), store.renderContext()),
});

export const listClusters: Operation = (store, { params, query, path }) => {
  const groupId = requireProject(store, params.groupId ?? '');
  const page = parsePagination(query);
  const context = store.renderContext();
  const clusters = store.clusterRecords(groupId).map((cluster) => renderCluster(cluster, context));
  return { status: 200, body: paginate(clusters, page, { baseUrl: store.baseUrl, path }) };
};

/** 201 with the new cluster, CREATING; a name in use in the project (even by one being deleted) is refused. */
export const createCluster: Operation = (store, { params, body }) => {
  const groupId = requireProject(store, params.groupId ?? '');
  const spec = parseCreateClusterRequest(body);
  if (store.findCluster(groupId, spec.name) || store.isFlexCluster(groupId, spec.name)) {
    throw new AtlasError(
      400,
      'DUPLICATE_CLUSTER_NAME',
      `A cluster named ${spec.name} is already present in group ${groupId}.`,
      { parameters: [spec.name, groupId] },
    );
  }
  return { status: 201, body: store.addCluster(groupId, spec) };
};

/** 202 and no body; the cluster reads DELETING, then is gone. */
export const deleteCluster: Operation = (store, { params }) => {
  const cluster = requireCluster(store, params);
  if (cluster.deletedAt !== undefined) {
    throw new AtlasError(
      400,
      'CLUSTER_ALREADY_REQUESTED_DELETION',
      `The cluster ${cluster.name} has already been requested for deletion.`,
      { parameters: [cluster.name] },
    );
  }
  checkNoRestoreRunning(store, cluster);
  cluster.deletedAt = store.clock.now() + store.durations.clusterDeleteMs;
  return { status: 202 };
};

/** Pause, resume, or retag; Atlas's pause rules apply. */
export const updateCluster: Operation = (store, { params, body }) => {
  const cluster = requireCluster(store, params);
  const update = parseUpdateClusterRequest(body);
  const status = store.clusterStatus(cluster);
  const now = store.clock.now();
  if (update.paused === true && update.changesBesidesPause) {
    throw new AtlasError(
      409,
      'CANNOT_UPDATE_AND_PAUSE_CLUSTER',
      `Cannot update and pause cluster ${cluster.name} at the same time.`,
      {
        parameters: [cluster.name],
      },
    );
  }
  if (status.paused && update.paused !== false && update.changesBesidesPause) {
    throw new AtlasError(
      409,
      'CANNOT_UPDATE_PAUSED_CLUSTER',
      `Cannot update cluster ${cluster.name} while it is paused or being paused.`,
      {
        parameters: [cluster.name],
      },
    );
  }
  if (update.paused === true) checkPausable(store, cluster);
  checkNoRestoreRunning(store, cluster);
  if (update.paused !== undefined && update.paused !== status.paused) {
    cluster.pausedAt = update.paused ? now : undefined;
    if (!update.paused) cluster.resumedAt = now;
    cluster.updatingUntil = now + store.durations.clusterUpdateMs;
  }
  if (update.tags !== undefined) cluster.tags = update.tags;
  return { status: 200, body: renderCluster(cluster, store.renderContext()) };
};

function checkPausable(store: SimulatorStore, cluster: ClusterRecord): void {
  const status = store.clusterStatus(cluster);
  const sizes = cluster.replicationSpecs.flatMap((spec) => spec.regionConfigs.map((region) => region.instanceSize));
  const refuse = (httpStatus: number, errorCode: string, detail: string) =>
    new AtlasError(httpStatus, errorCode, detail, { parameters: [cluster.name] });
  if (sizes.some(isTenantInstanceSize)) {
    throw refuse(400, 'TENANT_CLUSTER_UPDATE_UNSUPPORTED', 'Cannot update a M0/M2/M5 cluster through the public API.');
  }
  if (sizes.some(isNvmeInstanceSize)) throw refuse(409, 'CANNOT_PAUSE_NVME_CLUSTER', 'Cannot pause an NVMe Cluster.');
  if (status.paused) throw refuse(409, 'CLUSTER_ALREADY_PAUSED', 'Cannot pause a cluster that is already paused.');
  if (status.stateName !== 'IDLE') {
    throw refuse(409, 'CANNOT_PAUSE_CLUSTER_WITH_PENDING_CHANGES', 'Cannot pause a cluster with pending changes.');
  }
  if (status.resumedAt !== undefined && store.clock.now() < status.resumedAt + RESUME_BEFORE_PAUSE_MS) {
    throw new AtlasError(
      400,
      'CANNOT_PAUSE_RECENTLY_RESUMED_CLUSTER',
      `Recently resumed clusters must remain running for ${RESUME_BEFORE_PAUSE_MS / 60_000} minutes to process all queued maintenance.`,
      { parameters: [RESUME_BEFORE_PAUSE_MS / 60_000] },
    );
  }
}

/** A cluster being restored onto, or whose snapshot is being restored, is not changed or deleted (stricter). */
function checkNoRestoreRunning(store: SimulatorStore, cluster: ClusterRecord): void {
  const running =
    store.restoreInProgressOnto(cluster.groupId, cluster.name) ??
    store
      .restoreJobRecords(cluster.groupId, cluster.name)
      .find((job) => job.deliveryType !== 'download' && store.isPending(job));
  if (!running) return;
  throw new AtlasError(
    400,
    'CLUSTER_RESTORE_IN_PROGRESS_CANNOT_UPDATE',
    `The update can not succeed because cluster restore ${running.id} is in progress. Please try again once the restore is finished.`,
    { parameters: [cluster.name] },
  );
}

function requireProject(store: SimulatorStore, groupId: string): string {
  if (!store.hasProject(groupId)) {
    throw new AtlasError(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`, { parameters: [groupId] });
  }
  return groupId;
}
