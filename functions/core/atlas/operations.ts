/** Resource versions, sent as Accept and (with a body) Content-Type: Atlas answers 406 to a missing or unknown one. */
export const MEDIA_TYPE_2023_01_01 = 'application/vnd.atlas.2023-01-01+json';
export const MEDIA_TYPE_2024_08_05 = 'application/vnd.atlas.2024-08-05+json';

export interface AtlasOperation {
  /** The OpenAPI operationId, used in errors and logs. */
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** The OpenAPI path template. */
  readonly path: string;
  readonly mediaType: string;
  /** False for POSTs here: each creates something, so a request that may have landed is never repeated. */
  readonly idempotent: boolean;
}

const CLUSTER = '/api/atlas/v2/groups/{groupId}/clusters/{clusterName}';
const SNAPSHOTS = `${CLUSTER}/backup/snapshots`;
const RESTORE_JOBS = `${CLUSTER}/backup/restoreJobs`;

function operation(
  operationId: string,
  method: AtlasOperation['method'],
  path: string,
  mediaType = MEDIA_TYPE_2023_01_01,
): AtlasOperation {
  return { operationId, method, path, mediaType, idempotent: method !== 'POST' };
}

export const OPERATIONS = {
  getCluster: operation('getCluster', 'GET', CLUSTER, MEDIA_TYPE_2024_08_05),
  listBackupSnapshots: operation('listBackupSnapshots', 'GET', SNAPSHOTS),
  listBackupShardedClusters: operation('listBackupShardedClusters', 'GET', `${SNAPSHOTS}/shardedClusters`),
  getClusterBackupSnapshot: operation('getClusterBackupSnapshot', 'GET', `${SNAPSHOTS}/{snapshotId}`),
  getBackupShardedCluster: operation('getBackupShardedCluster', 'GET', `${SNAPSHOTS}/shardedCluster/{snapshotId}`),
  takeSnapshots: operation('takeSnapshots', 'POST', SNAPSHOTS),
  listBackupRestoreJobs: operation('listBackupRestoreJobs', 'GET', RESTORE_JOBS),
  getBackupRestoreJob: operation('getBackupRestoreJob', 'GET', `${RESTORE_JOBS}/{restoreJobId}`),
  createBackupRestoreJob: operation('createBackupRestoreJob', 'POST', RESTORE_JOBS),
  cancelBackupRestoreJob: operation('cancelBackupRestoreJob', 'DELETE', `${RESTORE_JOBS}/{restoreJobId}`),
} as const satisfies Record<string, AtlasOperation>;

/**
 * Database users (clusters-users-flex.yaml, 2023-01-01): the verifier's temporary users, made for one drill with
 * `deleteAfterDate` and deleted after it. Kept apart from OPERATIONS: only the verifier calls them.
 */
const DATABASE_USERS = '/api/atlas/v2/groups/{groupId}/databaseUsers';
export const DATABASE_USER_OPERATIONS = {
  createDatabaseUser: operation('createDatabaseUser', 'POST', DATABASE_USERS),
  deleteDatabaseUser: operation('deleteDatabaseUser', 'DELETE', `${DATABASE_USERS}/{databaseName}/{username}`),
} as const satisfies Record<string, AtlasOperation>;

export const OAUTH_TOKEN_PATH = '/api/oauth/token';
/** RFC 7009 revocation, as atlas-sdk-go's `clientcredentials.RevokeToken` calls it. */
export const OAUTH_REVOKE_PATH = '/api/oauth/revoke';
