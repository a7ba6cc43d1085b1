/** The operations the simulator serves, by method and path template (operationIds from the OpenAPI slice). */
const CLUSTER = '/api/atlas/v2/groups/{groupId}/clusters/{clusterName}';
const DATABASE_USERS = '/api/atlas/v2/groups/{groupId}/databaseUsers';
const ROUTES: readonly (readonly [method: string, template: string, operationId: string])[] = [
  ['GET', CLUSTER, 'getCluster'],
  ['GET', `${CLUSTER}/backup/snapshots`, 'listBackupSnapshots'],
  ['POST', `${CLUSTER}/backup/snapshots`, 'takeSnapshots'],
  // Before `{snapshotId}`, which would also match the literal segment.
  ['GET', `${CLUSTER}/backup/snapshots/shardedClusters`, 'listBackupShardedClusters'],
  ['GET', `${CLUSTER}/backup/snapshots/shardedCluster/{snapshotId}`, 'getBackupShardedCluster'],
  ['GET', `${CLUSTER}/backup/snapshots/{snapshotId}`, 'getClusterBackupSnapshot'],
  ['GET', `${CLUSTER}/backup/restoreJobs`, 'listBackupRestoreJobs'],
  ['POST', `${CLUSTER}/backup/restoreJobs`, 'createBackupRestoreJob'],
  ['GET', `${CLUSTER}/backup/restoreJobs/{restoreJobId}`, 'getBackupRestoreJob'],
  ['DELETE', `${CLUSTER}/backup/restoreJobs/{restoreJobId}`, 'cancelBackupRestoreJob'],
  ['POST', DATABASE_USERS, 'createDatabaseUser'],
  ['GET', `${DATABASE_USERS}/{databaseName}/{username}`, 'getDatabaseUser'],
  ['DELETE', `${DATABASE_USERS}/{databaseName}/{username}`, 'deleteDatabaseUser'],
];

export const TOKEN_PATH = '/api/oauth/token';
export const REVOKE_PATH = '/api/oauth/revoke';

/** Every snapshot and restore-job call: the Cloud Backups rate-limit set. */
export const CLOUD_BACKUP_OPERATIONS: ReadonlySet<string> = new Set(
  ROUTES.filter(([, template]) => template.includes('/backup/')).map(([, , operationId]) => operationId),
);

export type RouteMatch =
  | { readonly kind: 'operation'; readonly operationId: string; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'methodNotAllowed' }
  | { readonly kind: 'unknown' };

const COMPILED = ROUTES.map(([method, template, operationId]) => {
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
  const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '([^/]+)')}$`);
  return { method, pattern, names, operationId };
});

export function matchRoute(method: string, path: string): RouteMatch {
  let pathKnown = false;
  for (const route of COMPILED) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    if (route.method !== method) {
      pathKnown = true;
      continue;
    }
    const params: Record<string, string> = {};
    route.names.forEach((name, index) => {
      params[name] = safeDecode(match[index + 1] ?? '');
    });
    return { kind: 'operation', operationId: route.operationId, params };
  }
  return pathKnown ? { kind: 'methodNotAllowed' } : { kind: 'unknown' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
