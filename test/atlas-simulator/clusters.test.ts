import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { type CallResult, TestClient, V2024 } from './test-client.ts';

const V2024_10 = 'application/vnd.atlas.2024-10-23+json';
const V2023_02 = 'application/vnd.atlas.2023-02-01+json';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** A createCluster body as the spec names it: one AWS region per shard, electable nodes only. */
function clusterBody(name: string, overrides: Record<string, unknown> = {}, shards = 1, instanceSize = 'M30') {
  return {
    name,
    clusterType: shards > 1 ? 'SHARDED' : 'REPLICASET',
    mongoDBMajorVersion: '7.0',
    backupEnabled: true,
    pitEnabled: true,
    tags: [{ key: 'atlas-restore-operation', value: 'op-1' }],
    replicationSpecs: Array.from({ length: shards }, () => ({
      regionConfigs: [
        {
          providerName: 'AWS',
          regionName: 'US_EAST_1',
          priority: 7,
          electableSpecs: { instanceSize, nodeCount: 3, diskSizeGB: 40 },
        },
      ],
    })),
    ...overrides,
  };
}

describe('Atlas simulator: cluster lifecycle', () => {
  const start = Date.UTC(2025, 2, 1, 8, 0, 0);
  let simulator: AtlasSimulator;
  let client: TestClient;

  const create = (body: unknown) => client.call('/clusters', { body, accept: V2024_10, contentType: V2024_10 });
  const read = (name: string) => client.call(`/clusters/${name}`, { accept: V2024 });
  const remove = (name: string) => client.call(`/clusters/${name}`, { method: 'DELETE', accept: V2023_02 });
  const update = (name: string, body: unknown) =>
    client.call(`/clusters/${name}`, { method: 'PATCH', body, accept: V2024_10, contentType: V2024_10 });
  const field = (result: CallResult, name: string) => (result.json as Record<string, unknown>)[name];

  beforeEach(async () => {
    simulator = await startAtlasSimulator({ clock: new SimulatedClock({ start, scale: 0 }), seed: { sharded: true } });
    client = new TestClient(simulator);
  });
  afterEach(() => simulator.close());

  it('creates a cluster (201) that reads CREATING for clusterCreateMs, then IDLE, with the spec it was given', async () => {
    // Act
    const created = await create(clusterBody('drill-1'));
    const creating = await read('drill-1');
    simulator.clock.advance(10 * MINUTE_MS - 1);
    const stillCreating = await read('drill-1');
    simulator.clock.advance(1);
    const idle = await read('drill-1');

    // Assess
    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toBe(V2024_10);
    expect(created.json).toMatchObject({ name: 'drill-1', stateName: 'CREATING', createDate: '2025-03-01T08:00:00Z' });
    expect([field(creating, 'stateName'), field(stillCreating, 'stateName'), field(idle, 'stateName')]).toEqual([
      'CREATING',
      'CREATING',
      'IDLE',
    ]);
    expect(idle.json).toMatchObject({
      clusterType: 'REPLICASET',
      paused: false,
      backupEnabled: true,
      pitEnabled: true,
      mongoDBMajorVersion: '7.0',
      tags: [{ key: 'atlas-restore-operation', value: 'op-1' }],
      replicationSpecs: [
        {
          regionConfigs: [
            {
              providerName: 'AWS',
              regionName: 'US_EAST_1',
              electableSpecs: { instanceSize: 'M30', nodeCount: 3, diskSizeGB: 40 },
            },
          ],
        },
      ],
    });
    expect(field(idle, 'mongoDBVersion')).toMatch(/^7\.0\.\d+$/);
  });

  it('gives seeded clusters a realistic default spec: M10 on AWS, MongoDB 8.0, 10 GB, one spec per shard', async () => {
    // Act
    const source = await read(simulator.seed.sourceClusterName);
    const sharded = await read(simulator.seed.shardedClusterName ?? '');

    // Assess
    expect(source.json).toMatchObject({
      mongoDBMajorVersion: '8.0',
      replicationSpecs: [
        { regionConfigs: [{ providerName: 'AWS', electableSpecs: { instanceSize: 'M10', diskSizeGB: 10 } }] },
      ],
    });
    expect(field(source, 'mongoDBVersion')).toMatch(/^8\.0\.\d+$/);
    expect(field(sharded, 'replicationSpecs')).toHaveLength(2);
  });

  it('refuses a name already taken in the project with 400 DUPLICATE_CLUSTER_NAME', async () => {
    // Prepare
    await create(clusterBody('drill-1'));

    // Act
    const again = await create(clusterBody('drill-1'));
    const seeded = await create(clusterBody(simulator.seed.targetClusterName));

    // Assess
    expect([again.status, field(again, 'errorCode')]).toEqual([400, 'DUPLICATE_CLUSTER_NAME']);
    expect([seeded.status, field(seeded, 'errorCode')]).toEqual([400, 'DUPLICATE_CLUSTER_NAME']);
  });

  it.each([
    ['no name', { name: undefined }, 'MISSING_ATTRIBUTE'],
    ['no replicationSpecs', { replicationSpecs: undefined }, 'MISSING_ATTRIBUTE'],
    ['an unknown clusterType', { clusterType: 'RING' }, 'INVALID_ENUM_VALUE'],
    ['a read-only field', { stateName: 'IDLE' }, 'ATTRIBUTE_READ_ONLY'],
    ['paused: true', { paused: true }, 'CANNOT_CREATE_PAUSED_CLUSTER'],
    [
      'a fractional disk',
      {
        replicationSpecs: [
          {
            regionConfigs: [
              {
                providerName: 'AWS',
                regionName: 'US_EAST_1',
                priority: 7,
                electableSpecs: { instanceSize: 'M10', nodeCount: 3, diskSizeGB: 10.5 },
              },
            ],
          },
        ],
      },
      'CLUSTER_DISK_SIZE_NOT_WHOLE_NUMBER',
    ],
    [
      'two shards for a replica set',
      { replicationSpecs: clusterBody('x', {}, 2).replicationSpecs },
      'INVALID_CLUSTER_CONFIGURATION',
    ],
  ])('refuses a body with %s (400 %s)', async (_case, overrides, errorCode) => {
    // Act
    const refused = await create(clusterBody('drill-bad', overrides));

    // Assess
    expect([refused.status, field(refused, 'errorCode')]).toEqual([400, errorCode]);
    expect((await read('drill-bad')).status).toBe(404);
  });

  it('lists the project’s clusters with their specs', async () => {
    // Prepare
    await create(clusterBody('drill-1'));

    // Act
    const listed = await client.call('/clusters', { accept: V2024 });

    // Assess
    expect(listed.status).toBe(200);
    const results = (listed.json as { results: { name: string; stateName: string }[]; totalCount: number }).results;
    expect(results.map((cluster) => cluster.name).sort()).toEqual(
      ['drill-1', 'events-sharded', 'orders-drill', 'orders-prod'].sort(),
    );
    expect(results.find((cluster) => cluster.name === 'drill-1')?.stateName).toBe('CREATING');
  });

  it('deletes: 202, DELETING for clusterDeleteMs, then 404 CLUSTER_NOT_FOUND and gone from the list', async () => {
    // Prepare
    await create(clusterBody('drill-1'));
    simulator.clock.advance(10 * MINUTE_MS);

    // Act
    const accepted = await remove('drill-1');
    const deleting = await read('drill-1');
    const again = await remove('drill-1');
    simulator.clock.advance(5 * MINUTE_MS);
    const gone = await read('drill-1');
    const listed = await client.call('/clusters', { accept: V2024 });
    const goneAgain = await remove('drill-1');
    const recreated = await create(clusterBody('drill-1'));

    // Assess
    expect(accepted.status).toBe(202);
    expect(accepted.text).toBe('');
    expect(field(deleting, 'stateName')).toBe('DELETING');
    expect([again.status, field(again, 'errorCode')]).toEqual([400, 'CLUSTER_ALREADY_REQUESTED_DELETION']);
    expect([gone.status, field(gone, 'errorCode')]).toEqual([404, 'CLUSTER_NOT_FOUND']);
    expect((listed.json as { results: { name: string }[] }).results.map((cluster) => cluster.name)).not.toContain(
      'drill-1',
    );
    expect([goneAgain.status, field(goneAgain, 'errorCode')]).toEqual([404, 'CLUSTER_NOT_FOUND']);
    expect(recreated.status).toBe(201);
  });

  it('refuses to delete a cluster that a restore is running onto, or from (400 CLUSTER_RESTORE_IN_PROGRESS_CANNOT_UPDATE)', async () => {
    // Prepare
    const { groupId, sourceClusterName, targetClusterName, completedSnapshotId } = simulator.seed;
    simulator.state.addRestoreJob(groupId, sourceClusterName, {
      deliveryType: 'automated',
      snapshotId: completedSnapshotId,
      targetGroupId: groupId,
      targetClusterName,
    });

    // Act
    const target = await remove(targetClusterName);
    const source = await remove(sourceClusterName);
    simulator.clock.advance(4 * MINUTE_MS);
    const afterRestore = await remove(targetClusterName);

    // Assess
    expect([target.status, field(target, 'errorCode')]).toEqual([400, 'CLUSTER_RESTORE_IN_PROGRESS_CANNOT_UPDATE']);
    expect([source.status, field(source, 'errorCode')]).toEqual([400, 'CLUSTER_RESTORE_IN_PROGRESS_CANNOT_UPDATE']);
    expect(afterRestore.status).toBe(202);
  });

  it('pauses and resumes (200), reading UPDATING for clusterUpdateMs each time', async () => {
    // Prepare
    const name = simulator.seed.targetClusterName;

    // Act
    const paused = await update(name, { paused: true });
    simulator.clock.advance(5 * MINUTE_MS);
    const pausedIdle = await read(name);
    const resumed = await update(name, { paused: false });
    simulator.clock.advance(5 * MINUTE_MS);
    const resumedIdle = await read(name);

    // Assess
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ paused: true, stateName: 'UPDATING' });
    expect(pausedIdle.json).toMatchObject({ paused: true, stateName: 'IDLE' });
    expect(resumed.json).toMatchObject({ paused: false, stateName: 'UPDATING' });
    expect(resumedIdle.json).toMatchObject({ paused: false, stateName: 'IDLE' });
  });

  it('refuses a pause within 60 minutes of a resume (400 CANNOT_PAUSE_RECENTLY_RESUMED_CLUSTER), and allows it after', async () => {
    // Prepare
    const name = simulator.seed.targetClusterName;
    await update(name, { paused: true });
    simulator.clock.advance(5 * MINUTE_MS);
    await update(name, { paused: false });

    // Act
    simulator.clock.advance(60 * MINUTE_MS - 1);
    const tooSoon = await update(name, { paused: true });
    simulator.clock.advance(1);
    const later = await update(name, { paused: true });

    // Assess
    expect([tooSoon.status, field(tooSoon, 'errorCode')]).toEqual([400, 'CANNOT_PAUSE_RECENTLY_RESUMED_CLUSTER']);
    expect(later.status).toBe(200);
  });

  it('resumes a cluster paused for 30 days, which then counts as a resume', async () => {
    // Prepare
    const name = simulator.seed.targetClusterName;
    await update(name, { paused: true });

    // Act
    simulator.clock.advance(30 * DAY_MS - 1);
    const stillPaused = await read(name);
    simulator.clock.advance(1);
    const resumed = await read(name);
    const pauseAgain = await update(name, { paused: true });

    // Assess
    expect(field(stillPaused, 'paused')).toBe(true);
    expect(field(resumed, 'paused')).toBe(false);
    expect(field(pauseAgain, 'errorCode')).toBe('CANNOT_PAUSE_RECENTLY_RESUMED_CLUSTER');
  });

  it.each([
    ['an M0', { instanceSize: 'M0' }, 400, 'TENANT_CLUSTER_UPDATE_UNSUPPORTED'],
    ['an NVMe cluster', { instanceSize: 'M40_NVME' }, 409, 'CANNOT_PAUSE_NVME_CLUSTER'],
    ['a cluster still creating', { provisioning: true }, 409, 'CANNOT_PAUSE_CLUSTER_WITH_PENDING_CHANGES'],
    ['a paused cluster', { paused: true }, 409, 'CLUSTER_ALREADY_PAUSED'],
  ])('refuses to pause %s (%i %s)', async (_case, spec, status, errorCode) => {
    // Prepare
    simulator.state.addCluster(simulator.seed.groupId, { name: 'subject', ...spec });

    // Act
    const refused = await update('subject', { paused: true });

    // Assess
    expect([refused.status, field(refused, 'errorCode')]).toEqual([status, errorCode]);
  });

  it('refuses to pause a Flex cluster (400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API) or a restore target mid-restore', async () => {
    // Prepare
    const { groupId, sourceClusterName, targetClusterName, completedSnapshotId } = simulator.seed;
    simulator.state.addFlexCluster(groupId, 'flexy');
    simulator.state.addRestoreJob(groupId, sourceClusterName, {
      deliveryType: 'automated',
      snapshotId: completedSnapshotId,
      targetGroupId: groupId,
      targetClusterName,
    });

    // Act
    const flex = await update('flexy', { paused: true });
    const restoring = await update(targetClusterName, { paused: true });

    // Assess
    expect([flex.status, field(flex, 'errorCode')]).toEqual([400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API']);
    expect([restoring.status, field(restoring, 'errorCode')]).toEqual([
      400,
      'CLUSTER_RESTORE_IN_PROGRESS_CANNOT_UPDATE',
    ]);
  });

  it('refuses other changes to a paused cluster (409 CANNOT_UPDATE_PAUSED_CLUSTER) and a pause with other changes (409 CANNOT_UPDATE_AND_PAUSE_CLUSTER); retags otherwise', async () => {
    // Prepare
    const name = simulator.seed.targetClusterName;
    const tags = [{ key: 'owner', value: 'drills' }];

    // Act
    const both = await update(name, { paused: true, tags });
    const retagged = await update(name, { tags });
    await update(name, { paused: true });
    const whilePaused = await update(name, { tags: [] });

    // Assess
    expect([both.status, field(both, 'errorCode')]).toEqual([409, 'CANNOT_UPDATE_AND_PAUSE_CLUSTER']);
    expect(retagged.json).toMatchObject({ tags });
    expect([whilePaused.status, field(whilePaused, 'errorCode')]).toEqual([409, 'CANNOT_UPDATE_PAUSED_CLUSTER']);
    expect(field(await read(name), 'tags')).toEqual(tags);
  });
});

describe('Atlas simulator: restore-target compatibility', () => {
  let simulator: AtlasSimulator;
  let client: TestClient;

  beforeEach(async () => {
    simulator = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }), seed: { sharded: true } });
    client = new TestClient(simulator);
  });
  afterEach(() => simulator.close());

  const restoreOnto = (source: string, target: string, deliveryType: 'automated' | 'pointInTime', snapshotId: string) =>
    client.call(`/clusters/${source}/backup/restoreJobs`, {
      body: {
        deliveryType,
        targetGroupId: simulator.seed.groupId,
        targetClusterName: target,
        ...(deliveryType === 'automated'
          ? { snapshotId }
          : { pointInTimeUTCSeconds: Math.floor(simulator.clock.now() / 1000) - 3600 }),
      },
    });

  it('records the cluster’s MongoDB version on its snapshots', async () => {
    // Prepare
    const { groupId } = simulator.seed;
    simulator.state.addCluster(groupId, { name: 'legacy', mongoDBMajorVersion: '7.0' });

    // Act
    const snapshotId = simulator.state.addSnapshot(groupId, 'legacy');

    // Assess
    expect(simulator.state.snapshot(groupId, 'legacy', snapshotId)?.mongodVersion).toMatch(/^7\.0\.\d+$/);
  });

  it.each(['automated', 'pointInTime'] as const)(
    'refuses a %s restore onto another major version, shard count or a smaller disk (403 CANNOT_RESTORE_TO_TARGET)',
    async (deliveryType) => {
      // Prepare
      const { groupId, sourceClusterName, completedSnapshotId } = simulator.seed;
      const sharded = simulator.seed.shardedClusterName ?? '';
      simulator.state.addCluster(groupId, { name: 'older', mongoDBMajorVersion: '7.0' });
      simulator.state.addCluster(groupId, { name: 'three-shards', clusterType: 'SHARDED', shardCount: 3 });
      simulator.state.addCluster(groupId, { name: 'big-source', diskSizeGB: 100 });
      const bigSnapshot = simulator.state.addSnapshot(groupId, 'big-source', {
        startedAt: simulator.clock.now() - 3 * 3_600_000,
        storageSizeBytes: 20_000_000_000,
      });
      simulator.state.addCluster(groupId, { name: 'small-disk', diskSizeGB: 10 });
      simulator.state.addCluster(groupId, { name: 'roomy', diskSizeGB: 40 });
      const shardedSnapshot = simulator.seed.shardedCompletedSnapshotId ?? '';

      // Act
      const version = await restoreOnto(sourceClusterName, 'older', deliveryType, completedSnapshotId);
      const shards = await restoreOnto(sharded, 'three-shards', deliveryType, shardedSnapshot);
      const disk = await restoreOnto('big-source', 'small-disk', deliveryType, bigSnapshot);
      const fits = await restoreOnto('big-source', 'roomy', deliveryType, bigSnapshot);

      // Assess
      for (const refused of [version, shards, disk]) {
        expect([refused.status, (refused.json as { errorCode: string }).errorCode]).toEqual([
          403,
          'CANNOT_RESTORE_TO_TARGET',
        ]);
      }
      expect((version.json as { detail: string }).detail).toMatch(/7\.0.*8\.0|8\.0.*7\.0/);
      expect((shards.json as { detail: string }).detail).toMatch(/shard/);
      expect((disk.json as { detail: string }).detail).toMatch(/disk/);
      expect(fits.status).toBe(200);
    },
  );

  it('refuses a target still CREATING (400 CLUSTER_HOSTNAMES_UNAVAILABLE) or DELETING (400 CLUSTER_ALREADY_REQUESTED_DELETION)', async () => {
    // Prepare
    const { groupId, sourceClusterName, completedSnapshotId } = simulator.seed;
    simulator.state.addCluster(groupId, { name: 'new-drill', provisioning: true });
    simulator.state.addCluster(groupId, { name: 'old-drill' });
    await client.call('/clusters/old-drill', { method: 'DELETE', accept: 'application/vnd.atlas.2023-02-01+json' });

    // Act
    const creating = await restoreOnto(sourceClusterName, 'new-drill', 'automated', completedSnapshotId);
    const deleting = await restoreOnto(sourceClusterName, 'old-drill', 'automated', completedSnapshotId);
    simulator.clock.advance(10 * 60_000);
    const created = await restoreOnto(sourceClusterName, 'new-drill', 'automated', completedSnapshotId);

    // Assess
    expect([creating.status, (creating.json as { errorCode: string }).errorCode]).toEqual([
      400,
      'CLUSTER_HOSTNAMES_UNAVAILABLE',
    ]);
    expect([deleting.status, (deleting.json as { errorCode: string }).errorCode]).toEqual([
      400,
      'CLUSTER_ALREADY_REQUESTED_DELETION',
    ]);
    expect(created.status).toBe(200);
  });
});
