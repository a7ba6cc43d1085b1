import type {
  ClusterStateName,
  ClusterType,
  DeliveryType,
  FrequencyType,
  RegionConfigSpec,
  ResourceTag,
  SnapshotType,
} from './types.ts';

/** What the simulator stores; the API's JSON is rendered from these and the clock (render.ts). */
export interface ClusterRecord {
  readonly id: string;
  readonly groupId: string;
  readonly name: string;
  readonly clusterType: ClusterType;
  /** The state a test set; the lifecycle (CREATING, UPDATING, DELETING) is computed over it from the clock. */
  stateName: ClusterStateName;
  /** When the cluster was paused, while it is (Atlas resumes it 30 days later). */
  pausedAt: number | undefined;
  /** When it was last resumed by a request (a pause within 60 minutes of it is refused). */
  resumedAt: number | undefined;
  readonly pitEnabled: boolean;
  readonly backupEnabled: boolean;
  readonly restoreWindowDays: number;
  readonly createdAt: number;
  /** CREATING until `createdAt + createMs` (0 for clusters that predate the clock). */
  readonly createMs: number;
  /** UPDATING until then (a pause or resume). */
  updatingUntil: number | undefined;
  /** Set by deleteCluster: DELETING until then, gone after. */
  deletedAt: number | undefined;
  readonly mongoDBMajorVersion: string;
  /** One per shard. */
  readonly replicationSpecs: readonly ReplicationSpecRecord[];
  tags: readonly ResourceTag[];
  /** Atlas names replica sets after an internal cluster id, not the cluster name. */
  readonly replicaSetNames: readonly string[];
}

export interface ReplicationSpecRecord {
  readonly id: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly regionConfigs: readonly Required<RegionConfigSpec>[];
}

export interface SnapshotRecord {
  readonly id: string;
  readonly groupId: string;
  readonly clusterName: string;
  readonly sharded: boolean;
  readonly snapshotType: SnapshotType;
  readonly frequencyType: FrequencyType;
  readonly startedAt: number;
  queuedMs: number;
  inProgressMs: number;
  outcome: 'completed' | 'failed';
  readonly description: string | undefined;
  readonly retentionDays: number;
  readonly storageSizeBytes: number;
  /** The cluster's MongoDB version when the snapshot was taken. */
  readonly mongodVersion: string;
  readonly members: readonly { readonly id: string; readonly replicaSetName: string }[];
}

export interface RestoreJobRecord {
  readonly id: string;
  readonly groupId: string;
  readonly clusterName: string;
  readonly deliveryType: DeliveryType;
  readonly snapshotId: string | undefined;
  readonly targetGroupId: string | undefined;
  readonly targetClusterName: string | undefined;
  readonly pointInTimeUTCSeconds: number | undefined;
  readonly oplogTs: number | undefined;
  readonly oplogInc: number | undefined;
  readonly submittedAt: number;
  durationMs: number;
  outcome: 'completed' | 'failed';
  cancelledAt: number | undefined;
  readonly sharded: boolean;
  readonly replicaSetNames: readonly string[];
  readonly privateDownload: boolean;
}
