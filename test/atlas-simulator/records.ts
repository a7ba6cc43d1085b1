import type { ClusterHistory } from './data/cluster-history.ts';
import type { ClusterStateName, ClusterType, DeliveryType, FrequencyType, SnapshotType } from './types.ts';

/** What the simulator stores; the API's JSON is rendered from these and the clock (render.ts). */
export interface ClusterRecord {
  readonly id: string;
  readonly groupId: string;
  readonly name: string;
  readonly clusterType: ClusterType;
  stateName: ClusterStateName;
  paused: boolean;
  readonly pitEnabled: boolean;
  readonly restoreWindowDays: number;
  readonly createdAt: number;
  /** Atlas names replica sets after an internal cluster id, not the cluster name. */
  readonly replicaSetNames: readonly string[];
  /** The cluster's data through time (the data plane serves `history.data`). */
  readonly history: ClusterHistory;
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
  /** The restore has replaced its target's data (automated and point-in-time jobs, once finished). */
  dataRestored: boolean;
}
