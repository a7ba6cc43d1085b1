import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateAtlasResponse } from '../support/openapi.ts';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient, V2024 } from './test-client.ts';

const HOUR_S = 3600;
const DAY_S = 86_400;

describe('Atlas simulator: point-in-time windows and cluster kinds', () => {
  const start = Date.UTC(2026, 10, 30, 12, 0, 0);
  const nowSeconds = start / 1000;
  let simulator: AtlasSimulator;
  let client: TestClient;

  beforeEach(async () => {
    simulator = await startAtlasSimulator({ clock: new SimulatedClock({ start, scale: 0 }), seed: { sharded: true } });
    client = new TestClient(simulator);
  });
  afterEach(() => simulator.close());

  /** A point-in-time restore of `source` onto `target` in the seeded project. */
  function restorePointInTime(source: string, target: string, when: Record<string, number>) {
    const { groupId } = simulator.seed;
    return client.call(`/clusters/${source}/backup/restoreJobs`, {
      body: { deliveryType: 'pointInTime', targetGroupId: groupId, targetClusterName: target, ...when },
    });
  }

  it('shows continuous backup as pitEnabled in getCluster, for replica sets and sharded clusters alike', async () => {
    // Prepare
    const { groupId } = simulator.seed;
    simulator.state.addCluster(groupId, { name: 'plain', pitEnabled: false });

    // Act
    const sharded = await client.call(`/clusters/${simulator.seed.shardedClusterName}`, { accept: V2024 });
    const plain = await client.call('/clusters/plain', { accept: V2024 });

    // Assess
    expect(sharded.json).toMatchObject({ clusterType: 'SHARDED', pitEnabled: true });
    expect(plain.json).toMatchObject({ clusterType: 'REPLICASET', pitEnabled: false });
  });

  it('restores a sharded cluster with continuous backup to a point in time', async () => {
    // Prepare
    const { groupId, shardedClusterName = '' } = simulator.seed;
    simulator.state.addCluster(groupId, { name: 'events-drill', clusterType: 'SHARDED' });

    // Act
    const answer = await restorePointInTime(shardedClusterName, 'events-drill', {
      pointInTimeUTCSeconds: nowSeconds - HOUR_S,
    });

    // Assess
    expect(answer.status).toBe(200);
    expect(validateAtlasResponse('createBackupRestoreJob', 200, answer.json, answer.headers)).toEqual([]);
    expect(answer.json).toMatchObject({ deliveryType: 'pointInTime', pointInTimeUTCSeconds: nowSeconds - HOUR_S });
  });

  it.each([
    ['a replica set', 'REPLICASET' as const],
    ['a sharded cluster', 'SHARDED' as const],
  ])(
    'refuses a point in time of %s without continuous backup (400 INVALID_PIT_RESTORE_TIME)',
    async (_kind, clusterType) => {
      // Prepare
      const { groupId } = simulator.seed;
      simulator.state.addCluster(groupId, { name: 'no-pit', clusterType, pitEnabled: false });
      simulator.state.addCluster(groupId, { name: 'no-pit-drill', clusterType });
      simulator.state.addSnapshot(groupId, 'no-pit', { startedAt: start - 6 * HOUR_S * 1000 });

      // Act
      const answer = await restorePointInTime('no-pit', 'no-pit-drill', { pointInTimeUTCSeconds: nowSeconds - HOUR_S });

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ errorCode: 'INVALID_PIT_RESTORE_TIME' });
    },
  );

  it('refuses an instant older than the restore window even when a snapshot precedes it (400), and accepts one inside', async () => {
    // Prepare: snapshots 5 and 1 days old, a 2-day restore window
    const { groupId } = simulator.seed;
    simulator.state.addCluster(groupId, { name: 'windowed', restoreWindowDays: 2 });
    simulator.state.addCluster(groupId, { name: 'windowed-drill' });
    simulator.state.addSnapshot(groupId, 'windowed', { startedAt: start - 5 * DAY_S * 1000 });
    simulator.state.addSnapshot(groupId, 'windowed', { startedAt: start - 1 * DAY_S * 1000 });

    // Act
    const beyond = await restorePointInTime('windowed', 'windowed-drill', {
      oplogTs: nowSeconds - 3 * DAY_S,
      oplogInc: 1,
    });
    const inside = await restorePointInTime('windowed', 'windowed-drill', {
      pointInTimeUTCSeconds: nowSeconds - DAY_S,
    });

    // Assess
    expect(beyond.status).toBe(400);
    expect(beyond.json).toMatchObject({ errorCode: 'INVALID_PIT_RESTORE_TIME' });
    expect(inside.status).toBe(200);
  });

  it('refuses an instant inside the window but before every completed snapshot (404, with the zero)', async () => {
    // Prepare
    const { groupId } = simulator.seed;
    simulator.state.addCluster(groupId, { name: 'young', restoreWindowDays: 7 });
    simulator.state.addCluster(groupId, { name: 'young-drill' });
    simulator.state.addSnapshot(groupId, 'young', { startedAt: start - 2 * HOUR_S * 1000 });

    // Act
    const answer = await restorePointInTime('young', 'young-drill', { pointInTimeUTCSeconds: nowSeconds - 3 * HOUR_S });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ errorCode: 'UNABLE_T0_FIND_SNAPSHOT_PRIOR_TO_PIT_RESTORE_OPTIME' });
  });

  it('answers 400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API for a Flex cluster on the cluster endpoints', async () => {
    // Prepare
    simulator.state.addFlexCluster(simulator.seed.groupId, 'flexy');

    // Act
    const cluster = await client.call('/clusters/flexy', { accept: V2024 });
    const snapshots = await client.call('/clusters/flexy/backup/snapshots');

    // Assess
    expect(validateAtlasResponse('getCluster', 400, cluster.json, cluster.headers)).toEqual([]);
    expect(validateAtlasResponse('listBackupSnapshots', 400, snapshots.json, snapshots.headers)).toEqual([]);
    for (const answer of [cluster, snapshots]) {
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        error: 400,
        errorCode: 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API',
        detail: 'Flex cluster flexy cannot be used in the Cluster API.',
        parameters: ['flexy'],
      });
    }
  });
});
