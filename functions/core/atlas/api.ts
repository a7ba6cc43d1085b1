import type { Cluster, RestoreJob, RestoreJobRequest, Snapshot } from './model.ts';

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
  /**
   * Ephemeral drill targets: createCluster (resource version 2024-10-23). Never retried blindly (a POST); a failure
   * whose effect is unknown throws with `ambiguous: true`. Optional until every implementation has it.
   */
  createCluster?(groupId: string, request: ClusterCreateRequest, options?: CallOptions): Promise<Cluster>;
  /** deleteCluster: Atlas answers 202 and the cluster reads DELETING, then 404. */
  deleteCluster?(cluster: ClusterRef, options?: CallOptions): Promise<void>;
}

/** A cluster's tag (`ResourceTag`: key and value, 1 to 255 characters each). */
export interface ClusterTag {
  readonly key: string;
  readonly value: string;
}

/** The createCluster body this tool sends (ClusterDescription20240805): one region per shard, electable nodes only. */
export interface ClusterCreateRequest {
  readonly name: string;
  readonly clusterType: 'REPLICASET' | 'SHARDED';
  readonly mongoDBMajorVersion: string;
  readonly backupEnabled: boolean;
  readonly terminationProtectionEnabled: boolean;
  readonly tags: readonly ClusterTag[];
  readonly replicationSpecs: readonly {
    readonly regionConfigs: readonly {
      readonly providerName: string;
      readonly regionName: string;
      readonly priority: number;
      readonly electableSpecs: {
        readonly instanceSize: string;
        readonly nodeCount: number;
        readonly diskSizeGB: number;
      };
    }[];
  }[];
}
