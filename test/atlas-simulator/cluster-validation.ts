import * as z from 'zod';
import { AtlasError } from './errors.ts';
import type { ClusterSpec, ResourceTag } from './types.ts';
import { parseOrThrow, requireObject } from './validation.ts';

/**
 * createCluster and updateCluster bodies (ClusterDescription20240805), checked as Atlas answers: read-only fields
 * 400 ATTRIBUTE_READ_ONLY, a created cluster cannot start paused, a disk is a whole number of GB, a replica set has
 * one replicationSpec. Only dedicated electable nodes in REPLICASET and SHARDED clusters are modelled.
 */
const CLUSTER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/;
const READ_ONLY_FIELDS = [
  'id',
  'groupId',
  'stateName',
  'createDate',
  'mongoDBVersion',
  'links',
  'configServerType',
  'featureCompatibilityVersion',
  'effectiveReplicationSpecs',
] as const;

const tag = z.object({ key: z.string().min(1).max(255), value: z.string().min(1).max(255) });

const regionConfig = z.object({
  providerName: z.enum(['AWS', 'GCP', 'AZURE', 'TENANT']),
  regionName: z.string().min(1),
  priority: z.int().min(0).max(7).optional(),
  electableSpecs: z.object({
    instanceSize: z.string().regex(/^[MR]\d+(_NVME)?$/),
    nodeCount: z.int().min(1).optional(),
    diskSizeGB: z.number().positive().optional(),
  }),
});

const createClusterRequest = z.object({
  name: z.string().max(64).regex(CLUSTER_NAME),
  clusterType: z.enum(['REPLICASET', 'SHARDED']),
  mongoDBMajorVersion: z.enum(['6.0', '7.0', '8.0']).optional(),
  backupEnabled: z.boolean().optional(),
  pitEnabled: z.boolean().optional(),
  paused: z.boolean().optional(),
  terminationProtectionEnabled: z.boolean().optional(),
  tags: z.array(tag).optional(),
  replicationSpecs: z
    .array(z.object({ zoneName: z.string().optional(), regionConfigs: z.array(regionConfig).min(1) }))
    .min(1),
});

const updateClusterRequest = z.object({
  paused: z.boolean().optional(),
  tags: z.array(tag).optional(),
});
export interface ClusterUpdate {
  readonly paused?: boolean;
  readonly tags?: readonly ResourceTag[];
  /** Whether the body asks for anything besides `paused`. */
  readonly changesBesidesPause: boolean;
}

/** The body of createCluster as the spec the simulator stores. */
export function parseCreateClusterRequest(body: unknown): ClusterSpec {
  const input = requireObject(body);
  refuseReadOnly(input);
  const request = parseOrThrow(createClusterRequest, input);
  if (request.paused === true) {
    throw new AtlasError(
      400,
      'CANNOT_CREATE_PAUSED_CLUSTER',
      `Cluster ${request.name} cannot be created in a paused state.`,
      {
        parameters: [request.name],
      },
    );
  }
  if (request.clusterType === 'REPLICASET' && request.replicationSpecs.length !== 1) {
    throw new AtlasError(400, 'INVALID_CLUSTER_CONFIGURATION', 'The specified cluster configuration is not valid.', {
      parameters: ['replicationSpecs'],
    });
  }
  const regions = request.replicationSpecs.flatMap((spec) => spec.regionConfigs);
  for (const region of regions) {
    const disk = region.electableSpecs.diskSizeGB;
    if (disk !== undefined && !Number.isInteger(disk)) {
      throw new AtlasError(
        400,
        'CLUSTER_DISK_SIZE_NOT_WHOLE_NUMBER',
        `The cluster's disk size of ${disk.toFixed(1)} GB is invalid. The disk size must be a positive whole number.`,
        { parameters: [disk] },
      );
    }
  }
  return {
    name: request.name,
    clusterType: request.clusterType,
    provisioning: true,
    ...(request.mongoDBMajorVersion !== undefined ? { mongoDBMajorVersion: request.mongoDBMajorVersion } : {}),
    ...(request.backupEnabled !== undefined ? { backupEnabled: request.backupEnabled } : {}),
    ...(request.pitEnabled !== undefined ? { pitEnabled: request.pitEnabled } : {}),
    ...(request.tags !== undefined ? { tags: request.tags } : {}),
    replicationSpecs: request.replicationSpecs.map((spec) => ({
      ...(spec.zoneName !== undefined ? { zoneName: spec.zoneName } : {}),
      regionConfigs: spec.regionConfigs.map((region) => ({
        providerName: region.providerName,
        regionName: region.regionName,
        instanceSize: region.electableSpecs.instanceSize,
        // Atlas takes the 10 GB minimum for a disk not given or smaller (the spec's diskSizeGB).
        diskSizeGB: Math.max(10, region.electableSpecs.diskSizeGB ?? 10),
        nodeCount: region.electableSpecs.nodeCount ?? 3,
        priority: region.priority ?? 7,
      })),
    })),
  };
}

/** The body of updateCluster: pause or resume, or new tags; other changes are not modelled. */
export function parseUpdateClusterRequest(body: unknown): ClusterUpdate {
  const input = requireObject(body);
  refuseReadOnly(input);
  const unmodelled = Object.keys(input).find((key) => !(key in updateClusterRequest.shape));
  if (unmodelled !== undefined) {
    // Not Atlas's answer: the simulator refuses loudly what it does not model rather than ignore it.
    throw new AtlasError(400, 'INVALID_ATTRIBUTE', `The simulator does not model updates of ${unmodelled}.`, {
      parameters: [unmodelled],
    });
  }
  const request = parseOrThrow(updateClusterRequest, input);
  return {
    ...(request.paused !== undefined ? { paused: request.paused } : {}),
    ...(request.tags !== undefined ? { tags: request.tags } : {}),
    changesBesidesPause: request.tags !== undefined,
  };
}

function refuseReadOnly(input: Record<string, unknown>): void {
  const readOnly = READ_ONLY_FIELDS.find((name) => input[name] !== undefined);
  if (readOnly === undefined) return;
  throw new AtlasError(
    400,
    'ATTRIBUTE_READ_ONLY',
    `The attribute ${readOnly} is read-only and cannot be changed by the user.`,
    {
      parameters: [readOnly],
    },
  );
}
