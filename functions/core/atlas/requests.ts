import * as z from 'zod';
import { atlasId, clusterName, deliveryType, resourceTagSchema } from './model.ts';

/** Atlas refuses point-in-time values before 2008-01-01 (seconds since the epoch). */
const epochSeconds = z.number().int().min(1199145600);

/**
 * createBackupRestoreJob's body, checked before it is sent: Atlas's own errors for these cases arrive only
 * after a rate-limited round trip, and some (a missing target) are easy to misread.
 */
export const restoreJobRequestSchema = z
  .strictObject({
    deliveryType,
    snapshotId: atlasId.optional(),
    targetGroupId: atlasId.optional(),
    targetClusterName: clusterName.optional(),
    pointInTimeUTCSeconds: epochSeconds.optional(),
    oplogTs: epochSeconds.optional(),
    oplogInc: z.number().int().min(1).optional(),
  })
  .superRefine((request, context) => {
    const require = (key: keyof typeof request, why: string) => {
      if (request[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    const refuse = (key: keyof typeof request, why: string) => {
      if (request[key] !== undefined) context.addIssue({ code: 'custom', path: [key], message: `not allowed ${why}` });
    };
    const forType = `for deliveryType ${request.deliveryType}`;
    if (request.deliveryType !== 'download') {
      require('targetGroupId', forType);
      require('targetClusterName', forType);
    }
    if (request.deliveryType !== 'pointInTime') {
      require('snapshotId', forType);
      for (const key of ['pointInTimeUTCSeconds', 'oplogTs', 'oplogInc'] as const) refuse(key, forType);
      return;
    }
    const byOplog = request.oplogTs !== undefined || request.oplogInc !== undefined;
    if (byOplog) {
      require('oplogTs', 'with oplogInc');
      require('oplogInc', 'with oplogTs');
      refuse('pointInTimeUTCSeconds', 'with oplogTs and oplogInc');
    } else {
      require('pointInTimeUTCSeconds', 'for deliveryType pointInTime (or oplogTs and oplogInc)');
    }
  });

/** takeSnapshots' body. */
export const snapshotRequestSchema = z.strictObject({
  description: z.string().max(1000).optional(),
  retentionInDays: z.number().int().min(1).optional(),
});

/**
 * A dedicated cluster to create: one region per shard, electable nodes only (what a drill target needs). Termination
 * protection stays off so the cluster can be deleted.
 */
export const newClusterSchema = z
  .strictObject({
    name: clusterName,
    clusterType: z.enum(['REPLICASET', 'SHARDED']),
    /** 1 for a replica set. */
    shardCount: z.number().int().min(1).max(70).default(1),
    mongoDBMajorVersion: z.string().regex(/^\d+\.\d+$/, 'must be a major version such as 8.0'),
    providerName: z.enum(['AWS', 'GCP', 'AZURE']),
    regionName: z.string().regex(/^[A-Z0-9_]+$/, 'must be an Atlas region name such as US_EAST_1'),
    /** M10 and larger: the API cannot pause or restore onto shared tiers. */
    instanceSize: z.string().regex(/^(M|R)([1-9]\d+)(_NVME)?$/, 'must be a dedicated tier such as M10'),
    diskSizeGB: z.number().int().min(10),
    nodeCount: z.union([z.literal(3), z.literal(5), z.literal(7)]).default(3),
    backupEnabled: z.boolean().default(true),
    pitEnabled: z.boolean().optional(),
    tags: z.array(resourceTagSchema).max(50).default([]),
  })
  .superRefine((spec, context) => {
    if (spec.clusterType === 'REPLICASET' && spec.shardCount !== 1) {
      context.addIssue({ code: 'custom', path: ['shardCount'], message: 'must be 1 for a REPLICASET' });
    }
  });
export type NewCluster = z.input<typeof newClusterSchema>;

/** createCluster's body (ClusterDescription20240805) for a validated spec. */
export function createClusterBody(spec: z.output<typeof newClusterSchema>) {
  const regionConfig = {
    providerName: spec.providerName,
    regionName: spec.regionName,
    priority: 7,
    electableSpecs: { instanceSize: spec.instanceSize, nodeCount: spec.nodeCount, diskSizeGB: spec.diskSizeGB },
  };
  return {
    name: spec.name,
    clusterType: spec.clusterType,
    mongoDBMajorVersion: spec.mongoDBMajorVersion,
    backupEnabled: spec.backupEnabled,
    ...(spec.pitEnabled === undefined ? {} : { pitEnabled: spec.pitEnabled }),
    terminationProtectionEnabled: false,
    tags: spec.tags,
    replicationSpecs: Array.from({ length: spec.shardCount }, () => ({ regionConfigs: [regionConfig] })),
  };
}
