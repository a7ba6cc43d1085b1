import type { DatabaseUser, DatabaseUserRequest } from './database-users.ts';
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
}

/** Database users, for the verifier's temporary users (the restore workflow never calls these). */
export interface AtlasDatabaseUsersApi {
  /** Never retried blindly (a POST); a user that may exist is deleted by its `deleteAfterDate` anyway. */
  createDatabaseUser(user: DatabaseUserRequest, options?: CallOptions): Promise<DatabaseUser>;
  deleteDatabaseUser(
    user: { readonly groupId: string; readonly databaseName: 'admin'; readonly username: string },
    options?: CallOptions,
  ): Promise<void>;
}
