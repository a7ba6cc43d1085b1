/** Resource versions, sent as Accept and (with a body) Content-Type: Atlas answers 406 to a missing or unknown one. */
export const MEDIA_TYPE_2023_01_01 = 'application/vnd.atlas.2023-01-01+json';
export const MEDIA_TYPE_2024_08_05 = 'application/vnd.atlas.2024-08-05+json';
export const MEDIA_TYPE_2024_10_23 = 'application/vnd.atlas.2024-10-23+json';
export const MEDIA_TYPE_2023_02_01 = 'application/vnd.atlas.2023-02-01+json';

export interface AtlasOperation {
  /** The OpenAPI operationId, used in errors and logs. */
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The OpenAPI path template. */
  readonly path: string;
  readonly mediaType: string;
  /** False for POSTs here: each creates something, so a request that may have landed is never repeated. */
  readonly idempotent: boolean;
}

const CLUSTERS = '/api/atlas/v2/groups/{groupId}/clusters';
const CLUSTER = `${CLUSTERS}/{clusterName}`;
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
  listClusters: operation('listClusters', 'GET', CLUSTERS, MEDIA_TYPE_2024_08_05),
  createCluster: operation('createCluster', 'POST', CLUSTERS, MEDIA_TYPE_2024_10_23),
  updateCluster: operation('updateCluster', 'PATCH', CLUSTER, MEDIA_TYPE_2024_10_23),
  deleteCluster: operation('deleteCluster', 'DELETE', CLUSTER, MEDIA_TYPE_2023_02_01),
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

export const OAUTH_TOKEN_PATH = '/api/oauth/token';
/** RFC 7009 revocation, as atlas-sdk-go's `clientcredentials.RevokeToken` calls it. */
export const OAUTH_REVOKE_PATH = '/api/oauth/revoke';
