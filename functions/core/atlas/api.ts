import type { Cluster, RestoreJob, RestoreJobRequest, Snapshot } from './model.ts';
import type { NewCluster } from './requests.ts';

/** Per-call limits: the client never waits, sleeps or retries past `deadline` (epoch milliseconds). */
export interface CallOptions {
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

export interface ClusterRef {
  readonly groupId: string;
  readonly clusterName: string;
}

/**
 * The Atlas Admin API as the workflow sees it. The HTTP client (client.ts) implements it; tests may wrap it.
 * Lists return every page, sorted newest first (Atlas does not document an order).
 */
export interface AtlasApi {
  getCluster(cluster: ClusterRef, options?: CallOptions): Promise<Cluster>;
  /** Every cluster of the project, by name. */
  listClusters(groupId: string, options?: CallOptions): Promise<Cluster[]>;
  /**
   * Answers the new cluster, CREATING (Atlas takes about 7 to 15 minutes to make it IDLE). Never retried blindly: after
   * a failure whose effect is unknown it throws with `ambiguous: true`; getCluster by name tells whether it landed (a
   * second create of the name answers 400 DUPLICATE_CLUSTER_NAME).
   */
  createCluster(groupId: string, spec: NewCluster, options?: CallOptions): Promise<Cluster>;
  /**
   * Requests the deletion (the cluster then reads DELETING, later getCluster answers 404 CLUSTER_NOT_FOUND). A deletion
   * already requested counts as done; a cluster already gone throws 404 CLUSTER_NOT_FOUND.
   */
  deleteCluster(cluster: ClusterRef, options?: CallOptions): Promise<void>;
  /**
   * Pauses a dedicated cluster (not M0/Flex/NVMe, not within 60 minutes of a resume; Atlas resumes it after 30 days).
   * An already paused cluster is answered as it is.
   */
  pauseCluster(cluster: ClusterRef, options?: CallOptions): Promise<Cluster>;
  /** Resumes a paused cluster; it reads UPDATING for a few minutes, then IDLE. */
  resumeCluster(cluster: ClusterRef, options?: CallOptions): Promise<Cluster>;
  /** Replica-set snapshots, or the sharded-cluster endpoint's when `sharded` is true. */
  listSnapshots(cluster: ClusterRef, options?: CallOptions & { readonly sharded?: boolean }): Promise<Snapshot[]>;
  getSnapshot(
    cluster: ClusterRef,
    snapshotId: string,
    options?: CallOptions & { readonly sharded?: boolean },
  ): Promise<Snapshot>;
  takeSnapshot(
    cluster: ClusterRef,
    request: { description?: string; retentionInDays?: number },
    options?: CallOptions,
  ): Promise<Snapshot>;
  listRestoreJobs(cluster: ClusterRef, options?: CallOptions): Promise<RestoreJob[]>;
  getRestoreJob(cluster: ClusterRef, restoreJobId: string, options?: CallOptions): Promise<RestoreJob>;
  /**
   * Never retried blindly: POST restoreJobs is not idempotent. After a failure whose effect is unknown
   * (timeout, dropped connection, 5xx) it throws an AtlasApiError with `ambiguous: true`, so the caller
   * looks for the job before submitting again.
   */
  createRestoreJob(cluster: ClusterRef, request: RestoreJobRequest, options?: CallOptions): Promise<RestoreJob>;
  cancelRestoreJob(cluster: ClusterRef, restoreJobId: string, options?: CallOptions): Promise<void>;
}
