import type { Cluster } from '../../atlas/model.ts';
import { clusterShape } from '../../atlas/model.ts';
import type { NewCluster } from '../../atlas/requests.ts';
import type { EphemeralTarget } from '../../contract/ephemeral-target.ts';
import { ephemeralClusterTags } from './naming.ts';

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
  readonly request: NewCluster;
  readonly instanceSize: string;
}

const DEDICATED_TIER = /^(M|R)[1-9][0-9]{1,2}(_NVME)?$/;
const PROVIDERS = ['AWS', 'GCP', 'AZURE'] as const;
type Provider = (typeof PROVIDERS)[number];

/**
 * The target's createCluster spec, from the source's description: Atlas restores a snapshot only onto a cluster of
 * the same MongoDB major version, the same topology (replica set, or sharded with the same shard count) and at least
 * the source's disk (../shared/atlas-openapi/README.md); tier, provider and region may differ, and are overridable.
 */
export function deriveEphemeralSpec(
  source: Cluster,
  target: EphemeralTarget,
  identity: { readonly name: string; readonly operationId: string },
): EphemeralSpec | SpecRefusal {
  const shape = clusterShape(source);
  const unreadable = (what: string): SpecRefusal => ({
    code: 'EPHEMERAL_SOURCE_UNREADABLE',
    reason: `cannot derive an ephemeral target from source ${source.name}: ${what}`,
  });
  const { clusterType } = shape;
  if (clusterType !== 'REPLICASET' && clusterType !== 'SHARDED') {
    return {
      code: 'EPHEMERAL_TOPOLOGY_UNSUPPORTED',
      reason: `source ${source.name} is ${clusterType ?? 'of unknown type'}: ephemeral targets copy replica sets and sharded clusters only`,
    };
  }
  if (!shape.mongoDBMajorVersion) return unreadable('no mongoDBMajorVersion');
  if (source.replicationSpecs.length === 0) return unreadable('no replicationSpecs');
  if (clusterType === 'REPLICASET' && shape.shardCount !== 1) return unreadable('a replica set with several specs');
  const providerName = target.providerName ?? shape.providerName;
  if (!isProvider(providerName) || !shape.regionName || !shape.instanceSize || shape.diskSizeGB === undefined) {
    return unreadable('no dedicated provider, region, instance size or disk in its first region config');
  }
  const sourceDisk = Math.ceil(shape.diskSizeGB);
  if (target.diskSizeGB !== undefined && target.diskSizeGB < sourceDisk) {
    return {
      code: 'EPHEMERAL_DISK_TOO_SMALL',
      reason: `ephemeralTarget.diskSizeGB ${target.diskSizeGB} is less than the source's ${sourceDisk} GB: Atlas restores only onto at least the snapshot's disk`,
    };
  }
  const instanceSize = target.instanceSize ?? shape.instanceSize;
  if (!DEDICATED_TIER.test(instanceSize)) {
    return {
      code: 'EPHEMERAL_TIER_UNSUPPORTED',
      reason: `instance size ${instanceSize} is not a dedicated tier (M10 or larger): cloud-backup restores need a dedicated target`,
    };
  }
  return {
    instanceSize,
    request: {
      name: identity.name,
      clusterType,
      shardCount: shape.shardCount,
      mongoDBMajorVersion: shape.mongoDBMajorVersion,
      providerName,
      regionName: target.regionName ?? shape.regionName,
      instanceSize,
      diskSizeGB: Math.max(sourceDisk, target.diskSizeGB ?? 0, 10),
      nodeCount: 3,
      // A drill target holds a copy for hours: it needs no backups of its own.
      backupEnabled: false,
      tags: ephemeralClusterTags(identity.operationId),
    },
  };
}

function isProvider(value: string | undefined): value is Provider {
  return (PROVIDERS as readonly (string | undefined)[]).includes(value);
}

export function isSpecRefusal(value: EphemeralSpec | SpecRefusal): value is SpecRefusal {
  return 'code' in value;
}
