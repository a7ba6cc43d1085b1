import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAtlasRequest, validateAtlasResponse } from '../support/openapi.ts';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { type CallOptions, type CallResult, TestClient, V2024 } from './test-client.ts';

const OPERATIONS = [
  'getCluster',
  'listBackupSnapshots',
  'takeSnapshots',
  'getClusterBackupSnapshot',
  'listBackupShardedClusters',
  'getBackupShardedCluster',
  'listBackupRestoreJobs',
  'createBackupRestoreJob',
  'getBackupRestoreJob',
  'cancelBackupRestoreJob',
  'createDatabaseUser',
  'getDatabaseUser',
  'deleteDatabaseUser',
] as const;
type OperationId = (typeof OPERATIONS)[number];

describe('Atlas simulator: every answer validates against the OpenAPI document', () => {
  let simulator: AtlasSimulator;
  let client: TestClient;
  const seen = new Map<OperationId, Set<number>>();
  const missingId = 'aaaaaaaaaaaaaaaaaaaaaaaa';

  async function expectConformant(
    operationId: OperationId,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult> {
    const result = await client.call(path, options);
    expect(
      validateAtlasResponse(operationId, result.status, result.json, result.headers),
      `${operationId} ${result.status}: ${result.text}`,
    ).toEqual([]);
    seen.set(operationId, (seen.get(operationId) ?? new Set()).add(result.status));
    return result;
  }

  beforeAll(async () => {
    simulator = await startAtlasSimulator({
      clock: new SimulatedClock({ scale: 0 }),
      seed: { onDemandSnapshotInProgress: true, sharded: true },
    });
    client = new TestClient(simulator);
  });
  afterAll(() => simulator.close());

  it('answers clusters and snapshots, and their errors, as documented', async () => {
    // Prepare
    const {
      groupId,
      sourceClusterName: source,
      targetClusterName: target,
      completedSnapshotId,
      inProgressSnapshotId,
    } = simulator.seed;
    const sharded = simulator.seed.shardedClusterName ?? '';
    const shardedSnapshot = simulator.seed.shardedCompletedSnapshotId ?? '';

    // Act and assess
    expect((await expectConformant('getCluster', `/clusters/${source}`, { accept: V2024 })).status).toBe(200);
    expect((await expectConformant('getCluster', '/clusters/nope', { accept: V2024 })).status).toBe(404);
    expect((await expectConformant('getCluster', `/clusters/${source}`, { accept: V2024, auth: 'none' })).status).toBe(
      401,
    );
    expect((await expectConformant('getCluster', `/clusters/${source}`, { accept: null })).status).toBe(406);
    expect(
      (await expectConformant('getCluster', `/clusters/${source}`, { accept: 'application/vnd.atlas.2023-02-31+json' }))
        .status,
    ).toBe(400);

    expect(
      (await expectConformant('listBackupSnapshots', `/clusters/${source}/backup/snapshots?itemsPerPage=2`)).status,
    ).toBe(200);
    expect(
      (await expectConformant('listBackupSnapshots', `/clusters/${source}/backup/snapshots?itemsPerPage=501`)).status,
    ).toBe(400);
    expect(
      (
        await expectConformant(
          'listBackupSnapshots',
          `/api/atlas/v2/groups/${missingId}/clusters/${source}/backup/snapshots`,
        )
      ).status,
    ).toBe(404);

    expect(
      (
        await expectConformant(
          'getClusterBackupSnapshot',
          `/clusters/${source}/backup/snapshots/${completedSnapshotId}`,
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await expectConformant(
          'getClusterBackupSnapshot',
          `/clusters/${source}/backup/snapshots/${inProgressSnapshotId}`,
        )
      ).status,
    ).toBe(200);
    expect(
      (await expectConformant('getClusterBackupSnapshot', `/clusters/${source}/backup/snapshots/${missingId}`)).status,
    ).toBe(404);
    expect(
      (await expectConformant('getClusterBackupSnapshot', `/clusters/${source}/backup/snapshots/not-an-id`)).status,
    ).toBe(400);

    expect(
      (
        await expectConformant('takeSnapshots', `/clusters/${target}/backup/snapshots`, {
          body: { description: 'drill', retentionInDays: 1 },
        })
      ).status,
    ).toBe(200);
    expect((await expectConformant('takeSnapshots', `/clusters/${target}/backup/snapshots`, { body: {} })).status).toBe(
      400,
    );
    expect(
      (
        await expectConformant('takeSnapshots', `/clusters/${source}/backup/snapshots`, {
          body: { retentionInDays: 0 },
        })
      ).status,
    ).toBe(400);
    expect((await expectConformant('takeSnapshots', '/clusters/nope/backup/snapshots', { body: {} })).status).toBe(404);

    expect(
      (await expectConformant('listBackupShardedClusters', `/clusters/${sharded}/backup/snapshots/shardedClusters`))
        .status,
    ).toBe(200);
    expect(
      (await expectConformant('listBackupShardedClusters', '/clusters/nope/backup/snapshots/shardedClusters')).status,
    ).toBe(404);
    expect(
      (
        await expectConformant(
          'getBackupShardedCluster',
          `/clusters/${sharded}/backup/snapshots/shardedCluster/${shardedSnapshot}`,
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await expectConformant(
          'getBackupShardedCluster',
          `/clusters/${sharded}/backup/snapshots/shardedCluster/${missingId}`,
        )
      ).status,
    ).toBe(404);
    expect(groupId).toMatch(/^[a-f0-9]{24}$/);
  });

  it('answers restore jobs through their lifecycles, and their errors, as documented', async () => {
    // Prepare
    const {
      groupId,
      sourceClusterName: source,
      targetClusterName: target,
      completedSnapshotId,
      inProgressSnapshotId,
    } = simulator.seed;
    const sharded = simulator.seed.shardedClusterName ?? '';
    const shardedSnapshot = simulator.seed.shardedCompletedSnapshotId ?? '';
    const jobs = `/clusters/${source}/backup/restoreJobs`;
    const automated = {
      deliveryType: 'automated',
      snapshotId: completedSnapshotId,
      targetGroupId: groupId,
      targetClusterName: target,
    };

    // Act and assess
    const created = await expectConformant('createBackupRestoreJob', jobs, { body: automated });
    expect(created.status).toBe(200);
    const automatedId = (created.json as { id: string }).id;
    expect((await expectConformant('createBackupRestoreJob', jobs, { body: automated })).status).toBe(409);
    const download = await expectConformant('createBackupRestoreJob', jobs, {
      body: { deliveryType: 'download', snapshotId: completedSnapshotId },
    });
    const downloadId = (download.json as { id: string }).id;
    const pointInTime = await expectConformant('createBackupRestoreJob', `/clusters/${sharded}/backup/restoreJobs`, {
      body: { deliveryType: 'download', snapshotId: shardedSnapshot },
    });
    expect(pointInTime.status).toBe(200);
    expect(
      (await expectConformant('createBackupRestoreJob', jobs, { body: { ...automated, deliveryType: 'copy' } })).status,
    ).toBe(400);
    expect(
      (
        await expectConformant('createBackupRestoreJob', jobs, {
          body: { deliveryType: 'automated', snapshotId: completedSnapshotId },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await expectConformant('createBackupRestoreJob', jobs, {
          body: { deliveryType: 'download', snapshotId: inProgressSnapshotId },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await expectConformant('createBackupRestoreJob', jobs, {
          body: { deliveryType: 'download', snapshotId: missingId },
        })
      ).status,
    ).toBe(404);
    expect(
      (await expectConformant('createBackupRestoreJob', jobs, { body: { ...automated, targetClusterName: sharded } }))
        .status,
    ).toBe(403);
    expect(
      (
        await expectConformant('createBackupRestoreJob', jobs, {
          body: '{"deliveryType":',
          contentType: 'application/json',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await expectConformant('createBackupRestoreJob', jobs, {
          body: 'deliveryType=automated',
          contentType: 'text/plain',
        })
      ).status,
    ).toBe(415);

    expect((await expectConformant('getBackupRestoreJob', `${jobs}/${automatedId}`)).status).toBe(200);
    expect((await expectConformant('getBackupRestoreJob', `${jobs}/${missingId}`)).status).toBe(404);
    expect((await expectConformant('listBackupRestoreJobs', `${jobs}?includeCount=false`)).status).toBe(200);
    expect((await expectConformant('listBackupRestoreJobs', `${jobs}?pageNum=0`)).status).toBe(400);
    expect((await expectConformant('listBackupRestoreJobs', '/clusters/nope/backup/restoreJobs')).status).toBe(404);

    expect(
      (await expectConformant('cancelBackupRestoreJob', `${jobs}/${automatedId}`, { method: 'DELETE' })).status,
    ).toBe(400);
    expect(
      (await expectConformant('cancelBackupRestoreJob', `${jobs}/${downloadId}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(
      (await expectConformant('cancelBackupRestoreJob', `${jobs}/${missingId}`, { method: 'DELETE' })).status,
    ).toBe(404);

    // Finished, ready and expired jobs too.
    await expectConformant('createBackupRestoreJob', jobs, {
      body: { deliveryType: 'download', snapshotId: completedSnapshotId },
    });
    simulator.clock.advance(10 * 60_000);
    const finished = await expectConformant('listBackupRestoreJobs', jobs);
    expect(
      (finished.json as { results: { finishedAt?: string; deliveryUrl: string[] }[] }).results.some(
        (job) => job.finishedAt,
      ),
    ).toBe(true);
    simulator.clock.advance(2 * 3_600_000);
    await expectConformant('listBackupRestoreJobs', jobs);
    const pit = await expectConformant('createBackupRestoreJob', jobs, {
      body: {
        ...automated,
        deliveryType: 'pointInTime',
        snapshotId: undefined,
        pointInTimeUTCSeconds: Math.floor(simulator.clock.now() / 1000) - 3600,
      },
    });
    expect(pit.status).toBe(200);
    expect((await expectConformant('getBackupRestoreJob', `${jobs}/${(pit.json as { id: string }).id}`)).status).toBe(
      200,
    );
  });

  it('answers database users, and their errors, as documented', async () => {
    // Prepare
    const { groupId, sourceClusterName } = simulator.seed;
    const user = {
      groupId,
      databaseName: 'admin',
      username: 'drill-temp',
      password: 'a-long-password',
      roles: [{ roleName: 'read', databaseName: 'shop' }],
      scopes: [{ name: sourceClusterName, type: 'CLUSTER' }],
      deleteAfterDate: new Date(simulator.clock.now() + 3_600_000).toISOString(),
    };

    // Act and assess
    expect((await expectConformant('createDatabaseUser', '/databaseUsers', { body: user })).status).toBe(201);
    expect((await expectConformant('createDatabaseUser', '/databaseUsers', { body: user })).status).toBe(409);
    expect(
      (await expectConformant('createDatabaseUser', '/databaseUsers', { body: { ...user, password: 'short' } })).status,
    ).toBe(400);
    expect((await expectConformant('getDatabaseUser', '/databaseUsers/admin/drill-temp')).status).toBe(200);
    expect((await expectConformant('getDatabaseUser', '/databaseUsers/admin/nobody')).status).toBe(404);
    expect(
      (await expectConformant('deleteDatabaseUser', '/databaseUsers/admin/drill-temp', { method: 'DELETE' })).status,
    ).toBe(204);
    expect(
      (await expectConformant('deleteDatabaseUser', '/databaseUsers/admin/drill-temp', { method: 'DELETE' })).status,
    ).toBe(404);
  });

  it('answers getCluster with connection strings as documented', async () => {
    // Prepare
    await simulator.dataPlane.ready();

    // Act
    const cluster = await expectConformant('getCluster', `/clusters/${simulator.seed.targetClusterName}`, {
      accept: V2024,
    });

    // Assess
    expect(cluster.json).toMatchObject({
      connectionStrings: {
        standard: expect.stringMatching(
          /^mongodb:\/\/127\.0\.0\.1:\d+\/\?tls=true&authSource=admin&replicaSet=atlas-[0-9a-f]{6}-shard-0$/,
        ),
        standardSrv: expect.stringMatching(/^mongodb\+srv:\/\/[a-z0-9-]+\.[a-z0-9]+\.mongodb\.net$/),
      },
    });
  });

  it('answers 429 as documented when the Cloud Backups bucket is empty', async () => {
    // Prepare
    const limited = await startAtlasSimulator({
      clock: new SimulatedClock({ scale: 0 }),
      rateLimit: { capacity: 1, refillPerMinute: 1 },
    });
    const limitedClient = new TestClient(limited);
    try {
      // Act
      await limitedClient.call(`/clusters/${limited.seed.sourceClusterName}/backup/snapshots`);
      const refused = await limitedClient.call(`/clusters/${limited.seed.sourceClusterName}/backup/snapshots`);

      // Assess
      expect(refused.status).toBe(429);
      expect(validateAtlasResponse('listBackupSnapshots', 429, refused.json, refused.headers)).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('covered a success and an error status of every operation', () => {
    for (const operationId of OPERATIONS) {
      const statuses = [...(seen.get(operationId) ?? [])];
      expect(
        statuses.some((status) => status < 300),
        operationId,
      ).toBe(true);
      expect(
        statuses.some((status) => status >= 400),
        operationId,
      ).toBe(true);
    }
  });

  it('received only requests that validate, whenever it answered 2xx', () => {
    const accepted = simulator.requests.filter(
      (request) => request.status !== null && request.status < 300 && request.operationId,
    );
    expect(accepted.length).toBeGreaterThan(10);
    for (const request of accepted) {
      expect(validateAtlasRequest(request), `${request.method} ${request.path}`).toEqual([]);
    }
  });
});
