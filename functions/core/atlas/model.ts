import * as z from 'zod';

/**
 * Atlas resources as the workflow relies on them. Parsed leniently: the real service sends fields the
 * published spec lacks and nulls where it has objects, so unknown keys pass and only what we use is checked.
 */

export const ATLAS_ID_PATTERN = /^[a-f0-9]{24}$/;
export const CLUSTER_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/;

export const atlasId = z.string().regex(ATLAS_ID_PATTERN, 'must be 24 lowercase hex characters');
export const clusterName = z
  .string()
  .min(1)
  .max(64)
  .regex(CLUSTER_NAME_PATTERN, 'must start with a letter or digit and contain only letters, digits and hyphens');

const optionalString = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);
const optionalBoolean = z
  .boolean()
  .nullish()
  .transform((value) => value ?? false);

const optionalNumber = z
  .number()
  .nullish()
  .transform((value) => value ?? undefined);

/** One region of one shard: where its electable nodes run and on what hardware. */
const regionConfigSchema = z.looseObject({
  providerName: optionalString,
  regionName: optionalString,
  priority: optionalNumber,
  electableSpecs: z
    .looseObject({ instanceSize: optionalString, nodeCount: optionalNumber, diskSizeGB: optionalNumber })
    .nullish()
    .transform((value) => value ?? undefined),
});

/** One per shard (one for a replica set). */
const replicationSpecSchema = z.looseObject({
  id: optionalString,
  zoneName: optionalString,
  regionConfigs: z
    .array(regionConfigSchema)
    .nullish()
    .transform((value) => value ?? []),
});

export const resourceTagSchema = z.object({ key: z.string(), value: z.string() });
export type ResourceTag = z.infer<typeof resourceTagSchema>;

export const clusterSchema = z.looseObject({
  name: z.string(),
  groupId: atlasId.optional(),
  /** IDLE, CREATING, UPDATING, DELETING, REPAIRING. */
  stateName: z.string(),
  paused: optionalBoolean,
  clusterType: optionalString,
  /** Continuous Cloud Backup: without it Atlas restores no point in time (absent reads as off). */
  pitEnabled: optionalBoolean,
  backupEnabled: optionalBoolean,
  /** ISO 8601; when Atlas created the cluster. */
  createDate: optionalString,
  /** `8.0`: a restore target must run the snapshot's major version. */
  mongoDBMajorVersion: optionalString,
  mongoDBVersion: optionalString,
  replicationSpecs: z
    .array(replicationSpecSchema)
    .nullish()
    .transform((value) => value ?? []),
  tags: z
    .array(resourceTagSchema)
    .nullish()
    .transform((value) => value ?? []),
});
export type Cluster = z.infer<typeof clusterSchema>;

/** What restore compatibility and a drill target's spec depend on, read from the first region of each shard. */
export interface ClusterShape {
  readonly clusterType: string | undefined;
  /** 1 for a replica set. */
  readonly shardCount: number;
  readonly mongoDBMajorVersion: string | undefined;
  readonly providerName: string | undefined;
  readonly regionName: string | undefined;
  readonly instanceSize: string | undefined;
  /** The smallest of the shards' electable disks (Atlas requires one size for all). */
  readonly diskSizeGB: number | undefined;
}

export function clusterShape(cluster: Cluster): ClusterShape {
  const first = cluster.replicationSpecs[0]?.regionConfigs[0];
  const disks = cluster.replicationSpecs.flatMap((spec) =>
    spec.regionConfigs.flatMap((region) => region.electableSpecs?.diskSizeGB ?? []),
  );
  return {
    clusterType: cluster.clusterType,
    shardCount: Math.max(1, cluster.replicationSpecs.length),
    mongoDBMajorVersion: cluster.mongoDBMajorVersion,
    providerName: first?.providerName,
    regionName: first?.regionName,
    instanceSize: first?.electableSpecs?.instanceSize,
    diskSizeGB: disks.length === 0 ? undefined : Math.min(...disks),
  };
}

export const snapshotStatus = z.enum(['queued', 'inProgress', 'completed', 'failed']);
export type SnapshotStatus = z.infer<typeof snapshotStatus>;

export const snapshotSchema = z.looseObject({
  id: atlasId,
  status: snapshotStatus,
  /** Absent while the snapshot is queued or in progress. */
  createdAt: optionalString,
  snapshotType: optionalString,
  frequencyType: optionalString,
  type: optionalString,
  storageSizeBytes: z.number().nullish(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const deliveryType = z.enum(['automated', 'download', 'pointInTime']);
export type DeliveryType = z.infer<typeof deliveryType>;

const privateLinks = z
  .array(z.looseObject({ deliveryUrl: z.string().nullish() }))
  .nullish()
  .transform((value) => value ?? []);

export const restoreJobSchema = z.looseObject({
  id: atlasId,
  deliveryType: deliveryType,
  snapshotId: atlasId.nullish().transform((value) => value ?? undefined),
  targetClusterName: optionalString,
  targetGroupId: optionalString,
  cancelled: optionalBoolean,
  failed: optionalBoolean,
  expired: optionalBoolean,
  finishedAt: optionalString,
  expiresAt: optionalString,
  /** The snapshot's time, not the job's creation time (Atlas gives none; the id's ObjectId time is it). */
  timestamp: optionalString,
  deliveryUrl: z
    .array(z.string())
    .nullish()
    .transform((value) => value ?? []),
  components: z
    .array(z.looseObject({ downloadUrl: z.string().nullish(), privateDownloadDeliveryUrls: privateLinks }))
    .nullish()
    .transform((value) => value ?? []),
  /** Where a download is served through private endpoints, its links may be here only. */
  privateDownloadDeliveryUrls: privateLinks,
  pointInTimeUTCSeconds: z.number().nullish(),
  oplogTs: z.number().nullish(),
  oplogInc: z.number().nullish(),
});
export type RestoreJob = z.infer<typeof restoreJobSchema>;

/** The body of createBackupRestoreJob, as the spec names its fields. */
export interface RestoreJobRequest {
  readonly deliveryType: DeliveryType;
  readonly snapshotId?: string;
  readonly targetGroupId?: string;
  readonly targetClusterName?: string;
  readonly pointInTimeUTCSeconds?: number;
  readonly oplogTs?: number;
  readonly oplogInc?: number;
}

export type RestoreJobState = 'pending' | 'completed' | 'failed' | 'cancelled' | 'expired';

/**
 * A restore job has no status field: its state follows from flags, in this order of precedence. Success
 * (`finishedAt` without `failed`/`cancelled`) wins over `expired`: a finished job later shows `expired` (with
 * `expiresAt`) when its record ages out, and the restore it made stays done. A download job is complete once a link
 * appears, even without `finishedAt`: in `deliveryUrl`, in `privateDownloadDeliveryUrls`, or per component.
 */
export function restoreJobState(job: RestoreJob): RestoreJobState {
  if (job.failed) return 'failed';
  if (job.cancelled) return 'cancelled';
  if (job.finishedAt) return 'completed';
  if (job.expired) return 'expired';
  if (job.deliveryType === 'download' && hasDownloadLink(job)) return 'completed';
  return 'pending';
}

function hasDownloadLink(job: RestoreJob): boolean {
  const present = (url: string | null | undefined) => typeof url === 'string' && url.length > 0;
  const privately = (links: readonly { deliveryUrl?: string | null | undefined }[]) =>
    links.some((link) => present(link.deliveryUrl));
  return (
    job.deliveryUrl.some(present) ||
    privately(job.privateDownloadDeliveryUrls) ||
    job.components.some(
      (component) => present(component.downloadUrl) || privately(component.privateDownloadDeliveryUrls),
    )
  );
}

/** Atlas ids are ObjectIds: their first four bytes are the creation time in seconds. */
export function atlasIdCreatedAt(id: string): Date {
  return new Date(Number.parseInt(id.slice(0, 8), 16) * 1000);
}
