import { AtlasError } from './errors.ts';
import { type Operation, paginate, requireCluster } from './operation-support.ts';
import type { SnapshotRecord } from './records.ts';
import { renderSnapshot } from './render.ts';
import type { SimulatorStore } from './state.ts';
import { parseOnDemandSnapshotRequest, parsePagination } from './validation.ts';

/**
 * Every snapshot of the cluster: a sharded cluster's are readable here too, as `type: shardedCluster` (the spec's
 * discriminator value on this endpoint). The point-in-time query parameters narrow the list to the closest snapshot
 * before.
 */
export const listBackupSnapshots: Operation = (store, { params, query, path }) => {
  requireCluster(store, params);
  const page = parsePagination(query);
  let records = snapshotsOf(store, params, 'any');
  const pointInTime = pointInTimeQuery(query);
  if (pointInTime !== undefined) {
    const before = records
      .filter((snapshot) => store.snapshotStatus(snapshot) === 'completed' && snapshot.startedAt <= pointInTime * 1000)
      .sort((a, b) => b.startedAt - a.startedAt);
    records = before.slice(0, 1);
  }
  const context = store.renderContext();
  return {
    status: 200,
    body: paginate(
      records.map((record) => renderSnapshot(record, context, 'replicaSetEndpoint')),
      page,
      { baseUrl: store.baseUrl, path },
    ),
  };
};

export const getClusterBackupSnapshot: Operation = (store, { params }) => {
  requireCluster(store, params);
  return {
    status: 200,
    body: renderSnapshot(requireSnapshot(store, params, 'any'), store.renderContext(), 'replicaSetEndpoint'),
  };
};

export const listBackupShardedClusters: Operation = (store, { params, path }) => {
  requireCluster(store, params);
  const context = store.renderContext();
  const results = snapshotsOf(store, params, true).map((record) => renderSnapshot(record, context));
  const page = { pageNum: 1, itemsPerPage: Math.max(1, results.length), includeCount: true };
  return { status: 200, body: paginate(results, page, { baseUrl: store.baseUrl, path }) };
};

export const getBackupShardedCluster: Operation = (store, { params }) => {
  requireCluster(store, params);
  return { status: 200, body: renderSnapshot(requireSnapshot(store, params, true), store.renderContext()) };
};

/** On demand: refused while another on-demand snapshot of the cluster is queued or in progress. */
export const takeSnapshots: Operation = (store, { params, body }) => {
  const cluster = requireCluster(store, params);
  const request = parseOnDemandSnapshotRequest(body);
  const unfinished = store
    .snapshotRecords(cluster.groupId, cluster.name)
    .find((snapshot) => snapshot.snapshotType === 'onDemand' && isUnfinished(store, snapshot));
  if (unfinished) {
    throw new AtlasError(
      400,
      'UNFINISHED_ON_DEMAND_SNAPSHOT',
      `An on-demand snapshot (${unfinished.id}) is still in progress for cluster ${cluster.name}.`,
      {
        parameters: [cluster.name],
      },
    );
  }
  const id = store.addSnapshot(cluster.groupId, cluster.name, {
    snapshotType: 'onDemand',
    ...(request.description !== undefined ? { description: request.description } : {}),
    ...(request.retentionInDays !== undefined ? { retentionInDays: request.retentionInDays } : {}),
  });
  return {
    status: 200,
    body: renderSnapshot(
      requireSnapshot(store, { ...params, snapshotId: id }, cluster.clusterType === 'SHARDED'),
      store.renderContext(),
    ),
  };
};

function snapshotsOf(
  store: SimulatorStore,
  params: Readonly<Record<string, string>>,
  sharded: boolean | 'any',
): SnapshotRecord[] {
  return store
    .snapshotRecords(params.groupId ?? '', params.clusterName ?? '')
    .filter((snapshot) => sharded === 'any' || snapshot.sharded === sharded);
}

function requireSnapshot(
  store: SimulatorStore,
  params: Readonly<Record<string, string>>,
  sharded: boolean | 'any',
): SnapshotRecord {
  const snapshotId = params.snapshotId ?? '';
  const snapshot = snapshotsOf(store, params, sharded).find((candidate) => candidate.id === snapshotId);
  if (!snapshot) {
    throw new AtlasError(
      404,
      'SNAPSHOT_NOT_FOUND',
      `No snapshot with ID ${snapshotId} exists for cluster ${params.clusterName}.`,
      {
        parameters: [snapshotId, params.clusterName],
      },
    );
  }
  return snapshot;
}

function isUnfinished(store: SimulatorStore, snapshot: SnapshotRecord): boolean {
  const status = store.snapshotStatus(snapshot);
  return status === 'queued' || status === 'inProgress';
}

function pointInTimeQuery(query: URLSearchParams): number | undefined {
  const seconds = query.get('pointInTimeUtcSeconds') ?? query.get('oplogTs');
  if (seconds === null) return undefined;
  const value = Number(seconds);
  if (!Number.isInteger(value)) {
    const field = query.has('pointInTimeUtcSeconds') ? 'pointInTimeUtcSeconds' : 'oplogTs';
    throw new AtlasError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${field} specified.`, {
      parameters: [field, seconds],
    });
  }
  return value;
}
