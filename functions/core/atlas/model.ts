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

export const clusterSchema = z.looseObject({
  name: z.string(),
  groupId: atlasId.optional(),
  stateName: z.string(),
  paused: optionalBoolean,
  clusterType: optionalString,
  /** Continuous Cloud Backup: without it Atlas restores no point in time (absent reads as off). */
  pitEnabled: optionalBoolean,
});
export type Cluster = z.infer<typeof clusterSchema>;

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
