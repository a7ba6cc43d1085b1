import { restoreJobProgress, snapshotStatus } from './lifecycle.ts';
import type { ClusterRecord, RestoreJobRecord, SnapshotRecord } from './records.ts';
import type { ClusterJson, LifecycleDurations, RestoreJobJson, SnapshotJson } from './types.ts';

/** Renders stored records as Atlas answers them now, quirks included (see the shared README). */
export interface RenderContext {
  readonly now: number;
  readonly baseUrl: string;
  readonly durations: LifecycleDurations;
  /** The port the cluster's data plane listens on, once it listens. */
  readonly dataPlanePort: (groupId: string, clusterName: string) => number | undefined;
  readonly snapshot: (snapshotId: string) => SnapshotRecord | undefined;
}

const MONGODB_VERSION = '7.0.14';
/** An AWS interface endpoint id, in the spec's pattern `^vpce-[0-9a-f]{17}$`. */
const PRIVATE_ENDPOINT_ID = 'vpce-0a1b2c3d4e5f60718';
const DAY_MS = 86_400_000;

export function renderCluster(cluster: ClusterRecord, context: RenderContext): ClusterJson {
  const path = `/api/atlas/v2/groups/${cluster.groupId}/clusters/${cluster.name}`;
  const host = `${cluster.name.toLowerCase()}.x1y2z.mongodb.net`;
  return {
    id: cluster.id,
    groupId: cluster.groupId,
    name: cluster.name,
    clusterType: cluster.clusterType,
    stateName: cluster.stateName,
    paused: cluster.paused,
    backupEnabled: true,
    pitEnabled: cluster.pitEnabled,
    createDate: iso(cluster.createdAt),
    mongoDBMajorVersion: '7.0',
    mongoDBVersion: MONGODB_VERSION,
    versionReleaseSystem: 'LTS',
    terminationProtectionEnabled: false,
    connectionStrings: connectionStrings(cluster, host, context),
    replicationSpecs: cluster.replicaSetNames.map((_, index) => ({
      zoneName: 'Zone 1',
      regionConfigs: [
        {
          providerName: 'AWS',
          regionName: 'EU_WEST_1',
          priority: 7,
          electableSpecs: { instanceSize: 'M10', nodeCount: 3, diskSizeGB: 10 },
        },
      ],
      zoneId: cluster.id.slice(0, 16) + index.toString(16).padStart(8, '0'),
    })),
    labels: [],
    tags: [],
    links: [link(context, path, 'self')],
  };
}

/**
 * `standard` points at the cluster's local wire-protocol listener (TLS, SCRAM users in `admin`): the verifier connects
 * with it, needing no SRV lookup. `standardSrv` keeps Atlas's form (a DNS name only Atlas resolves).
 */
function connectionStrings(cluster: ClusterRecord, host: string, context: RenderContext) {
  // Atlas returns connection strings once the cluster is operational, not while it builds it.
  const port = cluster.stateName === 'CREATING' ? undefined : context.dataPlanePort(cluster.groupId, cluster.name);
  const replicaSet = cluster.clusterType === 'REPLICASET' ? `&replicaSet=${cluster.replicaSetNames[0]}` : '';
  return {
    ...(port !== undefined ? { standard: `mongodb://127.0.0.1:${port}/?tls=true&authSource=admin${replicaSet}` } : {}),
    standardSrv: `mongodb+srv://${host}`,
  };
}

/** `replicaSetEndpoint`: read through the replica-set snapshot endpoints, where a sharded one is `shardedCluster`. */
export function renderSnapshot(
  snapshot: SnapshotRecord,
  context: RenderContext,
  view: 'ownEndpoint' | 'replicaSetEndpoint' = 'ownEndpoint',
): SnapshotJson {
  const status = snapshotStatus(snapshot, context.now);
  const done = status === 'completed';
  const path = `/api/atlas/v2/groups/${snapshot.groupId}/clusters/${snapshot.clusterName}/backup/snapshots/${snapshot.sharded ? `shardedCluster/${snapshot.id}` : snapshot.id}`;
  const common = {
    id: snapshot.id,
    // Atlas gives no createdAt and a zero size until the snapshot is done.
    ...(done ? { createdAt: iso(snapshot.startedAt) } : {}),
    ...(snapshot.description !== undefined ? { description: snapshot.description } : {}),
    expiresAt: iso(snapshot.startedAt + snapshot.retentionDays * DAY_MS),
    frequencyType: snapshot.frequencyType,
    mongodVersion: MONGODB_VERSION,
    policyItems: snapshot.snapshotType === 'scheduled' ? [`${snapshot.id.slice(0, 18)}${frequencyCode(snapshot)}`] : [],
    snapshotType: snapshot.snapshotType,
    status,
    storageSizeBytes: done ? snapshot.storageSizeBytes : 0,
    links: [link(context, path, 'self')],
  };
  if (snapshot.sharded) {
    return {
      ...common,
      type: view === 'replicaSetEndpoint' ? 'shardedCluster' : 'SHARDED_CLUSTER',
      configServerType: 'DEDICATED',
      members: snapshot.members.map((member) => ({ cloudProvider: 'AWS', ...member })),
      snapshotIds: snapshot.members.map((member) => member.id),
    };
  }
  return {
    ...common,
    type: 'replicaSet',
    cloudProvider: 'AWS',
    copyRegions: [],
    replicaSetName: snapshot.members[0]?.replicaSetName ?? snapshot.clusterName,
  };
}

export function renderRestoreJob(job: RestoreJobRecord, context: RenderContext): RestoreJobJson {
  const progress = restoreJobProgress(job, context.now, context.durations);
  const snapshot = job.snapshotId ? context.snapshot(job.snapshotId) : undefined;
  const path = `/api/atlas/v2/groups/${job.groupId}/clusters/${job.clusterName}/backup/restoreJobs/${job.id}`;
  const ready = progress.readyAt !== undefined;
  const url = (name: string) => `${context.baseUrl}/backup/restore/${job.id}/${name}-${job.snapshotId ?? 'pit'}.tar.gz`;
  const publicLinks = ready && !job.privateDownload;
  const privateLinks = (name: string) =>
    job.privateDownload && job.deliveryType === 'download'
      ? { privateDownloadDeliveryUrls: ready ? [{ deliveryUrl: url(name), endpointId: PRIVATE_ENDPOINT_ID }] : [] }
      : {};
  return {
    id: job.id,
    deliveryType: job.deliveryType,
    ...(job.snapshotId ? { snapshotId: job.snapshotId } : {}),
    ...(snapshot ? { timestamp: iso(snapshot.startedAt) } : {}),
    cancelled: progress.cancelled,
    failed: progress.failed,
    expired: progress.expired,
    ...(progress.finishedAt !== undefined ? { finishedAt: iso(progress.finishedAt) } : {}),
    ...(progress.expiresAt !== undefined ? { expiresAt: iso(progress.expiresAt) } : {}),
    // Returned for download jobs only, as the spec says (and empty until the download is ready).
    ...(job.deliveryType === 'download'
      ? { deliveryUrl: publicLinks && !job.sharded ? [url(job.clusterName)] : [] }
      : {}),
    ...(job.sharded ? {} : privateLinks(job.clusterName)),
    ...(job.sharded
      ? {
          components: job.replicaSetNames.map((replicaSetName) => ({
            replicaSetName,
            ...(publicLinks ? { downloadUrl: url(replicaSetName) } : {}),
            ...privateLinks(replicaSetName),
          })),
        }
      : {}),
    // Atlas answers nulls where the spec has a BSON timestamp object.
    desiredTimestamp: { date: null, time: null, increment: null },
    // The spec promises the target on automated jobs only; point-in-time jobs are not shown with it (stricter).
    ...(job.deliveryType === 'automated' && job.targetGroupId ? { targetGroupId: job.targetGroupId } : {}),
    ...(job.deliveryType === 'automated' && job.targetClusterName
      ? { targetClusterName: job.targetClusterName, targetDeploymentItemName: job.targetClusterName }
      : {}),
    ...(job.pointInTimeUTCSeconds !== undefined ? { pointInTimeUTCSeconds: job.pointInTimeUTCSeconds } : {}),
    ...(job.oplogTs !== undefined ? { oplogTs: job.oplogTs } : {}),
    ...(job.oplogInc !== undefined ? { oplogInc: job.oplogInc } : {}),
    links: [link(context, path, 'self')],
  };
}

export function link(context: { baseUrl: string }, pathAndQuery: string, rel: string): { href: string; rel: string } {
  return { href: `${context.baseUrl}${pathAndQuery}`, rel };
}

export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function frequencyCode(snapshot: SnapshotRecord): string {
  const index = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'].indexOf(snapshot.frequencyType);
  return Math.max(0, index).toString(16).padStart(6, '0');
}
