/**
 * What the wire-protocol server asks of the simulator that hosts it (the shared design of verified drills): the data
 * of a cluster, its database users, the simulated clock and whether the cluster is reachable.
 */
import type { ClusterData } from '../data/cluster-data.ts';

export interface DatabaseUserRole {
  readonly roleName: string;
  readonly databaseName: string;
  readonly collectionName?: string;
}

export interface DatabaseUserRecord {
  readonly username: string;
  /** SCRAM-SHA-256 keys are derived from it (never logged nor echoed). */
  readonly password: string;
  readonly roles: readonly DatabaseUserRole[];
  /** Atlas `scopes`: when present, the user exists only on the clusters named here. */
  readonly scopes?: readonly { readonly name: string; readonly type: 'CLUSTER' }[];
  /** Epoch ms (simulated clock) after which Atlas has deleted the user. */
  readonly deleteAfterDate?: number;
}

export interface DataPlaneHost {
  /** The cluster's data (settling due restores first), or undefined when the cluster has none. */
  clusterData(groupId: string, clusterName: string): ClusterData | undefined;
  databaseUser(groupId: string, clusterName: string, username: string): DatabaseUserRecord | undefined;
  /** Simulated clock, epoch ms. */
  now(): number;
  /** False: the cluster refuses connections (the "unreachable" fault). */
  reachable(groupId: string, clusterName: string): boolean;
}
