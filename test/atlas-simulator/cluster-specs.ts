import type { ClusterRecord } from './records.ts';
import type { ClusterSpec, ClusterType, RegionConfigSpec, ReplicationSpecSpec } from './types.ts';

/** A realistic small dedicated cluster: what seeded clusters run unless a test says otherwise. */
export const DEFAULT_REGION_CONFIG: Required<RegionConfigSpec> = {
  providerName: 'AWS',
  regionName: 'EU_WEST_1',
  instanceSize: 'M10',
  diskSizeGB: 10,
  nodeCount: 3,
  priority: 7,
};
export const DEFAULT_MONGODB_MAJOR_VERSION = '8.0';
const DEFAULT_SHARDS = 2;

/** Patch releases the simulator reports for each major version (any recent one would do). */
const PATCH_RELEASES: Readonly<Record<string, string>> = {
  '6.0': '6.0.24',
  '7.0': '7.0.21',
  '8.0': '8.0.10',
};

/** `mongoDBVersion` of a cluster on this major version. */
export function mongoDBVersion(major: string): string {
  return PATCH_RELEASES[major] ?? `${major}.0`;
}

/** The major version (`8.0`) of a full one (`8.0.10`). */
export function majorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

export function replicationSpecsOf(spec: ClusterSpec, clusterType: ClusterType): readonly ReplicationSpecSpec[] {
  if (spec.replicationSpecs !== undefined) return spec.replicationSpecs;
  const shards = clusterType === 'SHARDED' ? (spec.shardCount ?? DEFAULT_SHARDS) : 1;
  const regionConfig: RegionConfigSpec = {
    ...DEFAULT_REGION_CONFIG,
    ...(spec.instanceSize !== undefined ? { instanceSize: spec.instanceSize } : {}),
    ...(spec.diskSizeGB !== undefined ? { diskSizeGB: spec.diskSizeGB } : {}),
  };
  return Array.from({ length: shards }, () => ({ regionConfigs: [regionConfig] }));
}

/** The smallest disk of any shard's electable nodes, in GB (Atlas requires one size for all). */
export function clusterDiskSizeGB(cluster: ClusterRecord): number {
  const sizes = cluster.replicationSpecs.flatMap((spec) => spec.regionConfigs.map((region) => region.diskSizeGB));
  return sizes.length === 0 ? 0 : Math.min(...sizes);
}

/** The instance size of the first region of the first shard. */
export function clusterInstanceSize(cluster: ClusterRecord): string {
  return cluster.replicationSpecs[0]?.regionConfigs[0]?.instanceSize ?? '';
}

/** M0 (and the retired M2/M5): shared-tier clusters, which cannot be paused through the API. */
export function isTenantInstanceSize(instanceSize: string): boolean {
  return ['M0', 'M2', 'M5'].includes(instanceSize);
}

export function isNvmeInstanceSize(instanceSize: string): boolean {
  return instanceSize.endsWith('_NVME');
}
