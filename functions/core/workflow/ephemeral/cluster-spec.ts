import * as z from 'zod';
import type { ClusterCreateRequest } from '../../atlas/api.ts';
import type { Cluster } from '../../atlas/model.ts';
import type { EphemeralTarget } from '../../contract/ephemeral-target.ts';
import { ephemeralClusterTags } from './naming.ts';

/**
 * The fields of getCluster (ClusterDescription20240805) an ephemeral target's spec is derived from. The workflow's
 * Cluster model is loose, so they are read here: one replicationSpec per shard, each with its region configs.
 */
const hardware = z.looseObject({
  instanceSize: z.string().optional(),
  nodeCount: z.number().int().optional(),
  diskSizeGB: z.number().optional(),
});
const sourceDescription = z.looseObject({
  clusterType: z.string().nullish(),
  mongoDBMajorVersion: z.string().nullish(),
  replicationSpecs: z
    .array(
      z.looseObject({
        regionConfigs: z
          .array(
            z.looseObject({
              providerName: z.string().optional(),
              regionName: z.string().optional(),
              electableSpecs: hardware.optional(),
            }),
          )
          .default([]),
      }),
    )
    .nullish(),
});

/** Why no ephemeral target is created for this source; every check runs before anything is created. */
export interface SpecRefusal {
  readonly code:
    | 'EPHEMERAL_SOURCE_UNREADABLE'
    | 'EPHEMERAL_TOPOLOGY_UNSUPPORTED'
    | 'EPHEMERAL_DISK_TOO_SMALL'
    | 'EPHEMERAL_TIER_UNSUPPORTED';
  readonly reason: string;
}

export interface EphemeralSpec {
  readonly request: ClusterCreateRequest;
  readonly instanceSize: string;
}

const DEDICATED_TIER = /^(M|R)[1-9][0-9]{1,2}(_NVME)?$/;

/**
 * The target's createCluster body, from the source's description: Atlas restores a snapshot only onto a cluster of
 * the same MongoDB major version, the same topology (replica set, or sharded with the same shard count) and at least
 * the source's disk (../shared/atlas-openapi/README.md); tier, provider and region may differ, and are overridable.
 */
export function deriveEphemeralSpec(
  source: Cluster,
  target: EphemeralTarget,
  identity: { readonly name: string; readonly operationId: string },
): EphemeralSpec | SpecRefusal {
  const parsed = sourceDescription.safeParse(source);
  const unreadable = (what: string): SpecRefusal => ({
    code: 'EPHEMERAL_SOURCE_UNREADABLE',
    reason: `cannot derive an ephemeral target from source ${source.name}: ${what}`,
  });
  if (!parsed.success) return unreadable('its description does not have the expected shape');
  const { clusterType, mongoDBMajorVersion, replicationSpecs } = parsed.data;
  if (clusterType !== 'REPLICASET' && clusterType !== 'SHARDED') {
    return {
      code: 'EPHEMERAL_TOPOLOGY_UNSUPPORTED',
      reason: `source ${source.name} is ${clusterType ?? 'of unknown type'}: ephemeral targets copy replica sets and sharded clusters only`,
    };
  }
  if (!mongoDBMajorVersion) return unreadable('no mongoDBMajorVersion');
  const shards = replicationSpecs ?? [];
  if (shards.length === 0) return unreadable('no replicationSpecs');
  if (clusterType === 'REPLICASET' && shards.length !== 1) return unreadable('a replica set with several specs');
  const first = shards[0]?.regionConfigs[0];
  const electable = first?.electableSpecs;
  if (!first?.providerName || !first.regionName || !electable?.instanceSize) {
    return unreadable('no provider, region or instance size in its first region config');
  }
  const sourceDisk = Math.max(
    0,
    ...shards.flatMap((shard) => shard.regionConfigs.map((region) => region.electableSpecs?.diskSizeGB ?? 0)),
  );
  if (target.diskSizeGB !== undefined && target.diskSizeGB < sourceDisk) {
    return {
      code: 'EPHEMERAL_DISK_TOO_SMALL',
      reason: `ephemeralTarget.diskSizeGB ${target.diskSizeGB} is less than the source's ${sourceDisk} GB: Atlas restores only onto at least the snapshot's disk`,
    };
  }
  const instanceSize = target.instanceSize ?? electable.instanceSize;
  if (!DEDICATED_TIER.test(instanceSize)) {
    return {
      code: 'EPHEMERAL_TIER_UNSUPPORTED',
      reason: `instance size ${instanceSize} is not a dedicated tier (M10 or larger): cloud-backup restores need a dedicated target`,
    };
  }
  const diskSizeGB = Math.max(sourceDisk, target.diskSizeGB ?? 0, 10);
  const regionConfig = {
    providerName: target.providerName ?? first.providerName,
    regionName: target.regionName ?? first.regionName,
    priority: 7,
    electableSpecs: { instanceSize, nodeCount: 3, diskSizeGB },
  };
  return {
    instanceSize,
    request: {
      name: identity.name,
      clusterType,
      mongoDBMajorVersion,
      // A drill target holds a copy for hours: it needs no backups of its own, and no protection against its delete.
      backupEnabled: false,
      terminationProtectionEnabled: false,
      tags: ephemeralClusterTags(identity.operationId),
      replicationSpecs: shards.map(() => ({ regionConfigs: [regionConfig] })),
    },
  };
}

export function isSpecRefusal(value: EphemeralSpec | SpecRefusal): value is SpecRefusal {
  return 'code' in value;
}
