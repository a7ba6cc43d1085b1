import type { AtlasApi, CallOptions } from '../atlas/api.ts';

export interface MeteredAtlas {
  readonly api: AtlasApi;
  /** Calls made so far through `api`, failed ones included. */
  calls(): number;
}

/**
 * Wraps the Atlas port for one step: counts calls (the ledger records them per operation) and gives every call the
 * invocation's deadline, so no call outlives the Lambda invocation (and a submit claim's lease covers it).
 */
export function meterAtlas(atlas: AtlasApi, deadline: number): MeteredAtlas {
  let calls = 0;
  const limit = <T extends CallOptions>(options: T | undefined): T =>
    ({ ...options, deadline: Math.min(options?.deadline ?? deadline, deadline) }) as T;
  const count = <T>(call: () => Promise<T>): Promise<T> => {
    calls += 1;
    return call();
  };
  const api: AtlasApi = {
    getCluster: (cluster, options) => count(() => atlas.getCluster(cluster, limit(options))),
    listClusters: (groupId, options) => count(() => atlas.listClusters(groupId, limit(options))),
    createCluster: (groupId, spec, options) => count(() => atlas.createCluster(groupId, spec, limit(options))),
    deleteCluster: (cluster, options) => count(() => atlas.deleteCluster(cluster, limit(options))),
    pauseCluster: (cluster, options) => count(() => atlas.pauseCluster(cluster, limit(options))),
    resumeCluster: (cluster, options) => count(() => atlas.resumeCluster(cluster, limit(options))),
    listSnapshots: (cluster, options) => count(() => atlas.listSnapshots(cluster, limit(options))),
    getSnapshot: (cluster, snapshotId, options) => count(() => atlas.getSnapshot(cluster, snapshotId, limit(options))),
    takeSnapshot: (cluster, request, options) => count(() => atlas.takeSnapshot(cluster, request, limit(options))),
    listRestoreJobs: (cluster, options) => count(() => atlas.listRestoreJobs(cluster, limit(options))),
    getRestoreJob: (cluster, id, options) => count(() => atlas.getRestoreJob(cluster, id, limit(options))),
    createRestoreJob: (cluster, request, options) =>
      count(() => atlas.createRestoreJob(cluster, request, limit(options))),
    cancelRestoreJob: (cluster, id, options) => count(() => atlas.cancelRestoreJob(cluster, id, limit(options))),
  };
  return { api, calls: () => calls };
}
