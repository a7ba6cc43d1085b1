import { randomBytes } from 'node:crypto';
import { seedShopData } from './data/seed-data.ts';
import type { SimulatorStore } from './state.ts';
import type { Credentials, DatabaseUserCredentials, FrequencyType, SeedInfo, SeedOptions } from './types.ts';

const HOUR_MS = 3_600_000;
const FREQUENCIES: readonly FrequencyType[] = ['hourly', 'daily', 'hourly', 'weekly'];

/**
 * The default world: one project with a source replica set holding data (seed-data.ts) and completed scheduled
 * snapshots (newest 3 h before clock start, one every 6 h, stored out of order), a drill target, two database users
 * (a verifier and a heartbeat writer), and optionally an on-demand snapshot in progress and a sharded cluster.
 */
export function seedStore(store: SimulatorStore, options: SeedOptions, credentials: Credentials): SeedInfo {
  const start = store.clock.now();
  const groupId = store.addProject();
  const sourceClusterName = 'orders-prod';
  const targetClusterName = 'orders-drill';
  store.addCluster(groupId, { name: sourceClusterName });
  store.addCluster(groupId, { name: targetClusterName });
  store.findCluster(groupId, sourceClusterName)?.history.seedLazily((data) => seedShopData(data, start));
  const databaseUsers = {
    verifier: seedUser(store, groupId, 'drill-verifier', [{ roleName: 'readAnyDatabase', databaseName: 'admin' }]),
    heartbeatWriter: seedUser(store, groupId, 'heartbeat-writer', [
      { roleName: 'readWrite', databaseName: 'atlas_restore', collectionName: 'heartbeats' },
    ]),
  };

  const count = Math.max(1, options.scheduledSnapshots ?? 4);
  const ages = Array.from({ length: count }, (_, index) => index).sort((a, b) => (a % 2) - (b % 2) || b - a);
  const ids = new Map<number, string>();
  for (const age of ages) {
    const startedAt = start - 3 * HOUR_MS - age * 6 * HOUR_MS;
    ids.set(
      age,
      store.addSnapshot(groupId, sourceClusterName, { startedAt, frequencyType: FREQUENCIES[age % 4] ?? 'daily' }),
    );
  }
  const completedSnapshotId = ids.get(0) ?? '';

  const inProgressSnapshotId = options.onDemandSnapshotInProgress
    ? store.addSnapshot(groupId, sourceClusterName, {
        snapshotType: 'onDemand',
        startedAt: start - store.durations.snapshotQueuedMs,
      })
    : undefined;

  let sharded: Pick<SeedInfo, 'shardedClusterName' | 'shardedCompletedSnapshotId'> = {};
  if (options.sharded) {
    const shardedClusterName = 'events-sharded';
    store.addCluster(groupId, { name: shardedClusterName, clusterType: 'SHARDED' });
    store.addSnapshot(groupId, shardedClusterName, { startedAt: start - 30 * HOUR_MS });
    const shardedCompletedSnapshotId = store.addSnapshot(groupId, shardedClusterName, {
      startedAt: start - 6 * HOUR_MS,
    });
    sharded = { shardedClusterName, shardedCompletedSnapshotId };
  }

  return {
    groupId,
    sourceClusterName,
    targetClusterName,
    completedSnapshotId,
    ...(inProgressSnapshotId ? { inProgressSnapshotId } : {}),
    ...sharded,
    credentials,
    databaseUsers,
  };
}

function seedUser(
  store: SimulatorStore,
  groupId: string,
  username: string,
  roles: readonly { roleName: string; databaseName: string; collectionName?: string }[],
): DatabaseUserCredentials {
  const password = randomBytes(18).toString('base64url');
  store.databaseUsers.add({ groupId, databaseName: 'admin', username, password, roles });
  return { username, password };
}
