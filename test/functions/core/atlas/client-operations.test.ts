import { afterEach, describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import { atlasIdCreatedAt, restoreJobState } from '../../../../functions/core/atlas/model.ts';
import {
  apiRequests,
  type CredentialKind,
  expectRequestsValidAgainstOpenApi,
  failure,
  type Harness,
  startHarness,
} from './simulator-harness.ts';

const HOUR_MS = 3_600_000;

describe.each<CredentialKind>(['serviceAccount', 'apiKey'])('Function: createAtlasClient (%s)', (kind) => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('reads a cluster with the 2024-08-05 resource version', async () => {
    // Prepare
    harness = await startHarness(kind);

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(cluster).toMatchObject({ name: harness.cluster.clusterName, stateName: 'IDLE', paused: false });
    const [request] = apiRequests(harness.sim).filter((each) => each.status === 200);
    expect(request?.headers.accept).toBe('application/vnd.atlas.2024-08-05+json');
    expect(request?.headers['user-agent']).toMatch(/^atlas-restore-orchestrator\/\d+\.\d+\.\d+/);
    expectRequestsValidAgainstOpenApi(harness.sim);
  });

  it('lists every page of snapshots, newest first with queued ones on top', async () => {
    // Prepare
    harness = await startHarness(kind, {
      simulator: { seed: { scheduledSnapshots: 7, onDemandSnapshotInProgress: true } },
      client: { pageSize: 3 },
    });

    // Act
    const snapshots = await harness.client.listSnapshots(harness.cluster);

    // Assess
    const pages = apiRequests(harness.sim).filter(
      (each) => each.operationId === 'listBackupSnapshots' && each.status === 200,
    );
    expect(pages.map((each) => each.query)).toEqual([
      { pageNum: '1', itemsPerPage: '3' },
      { pageNum: '2', itemsPerPage: '3' },
      { pageNum: '3', itemsPerPage: '3' },
    ]);
    expect(snapshots).toHaveLength(8);
    expect(new Set(snapshots.map((snapshot) => snapshot.id)).size).toBe(8);
    expect(snapshots[0]?.id).toBe(harness.sim.seed.inProgressSnapshotId);
    expect(snapshots[0]?.createdAt).toBeUndefined();
    expect(snapshots[1]?.id).toBe(harness.sim.seed.completedSnapshotId);
    const created = snapshots.slice(1).map((snapshot) => Date.parse(snapshot.createdAt ?? ''));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expectRequestsValidAgainstOpenApi(harness.sim);
  });

  it('lists and reads sharded-cluster snapshots on their own endpoints', async () => {
    // Prepare
    harness = await startHarness(kind, { simulator: { seed: { sharded: true } } });
    const sharded = { groupId: harness.cluster.groupId, clusterName: harness.sim.seed.shardedClusterName ?? '' };

    // Act
    const snapshots = await harness.client.listSnapshots(sharded, { sharded: true });
    const newest = await harness.client.getSnapshot(sharded, snapshots[0]?.id ?? '', { sharded: true });

    // Assess
    expect(snapshots.map((snapshot) => snapshot.id)[0]).toBe(harness.sim.seed.shardedCompletedSnapshotId);
    expect(snapshots).toHaveLength(2);
    expect(newest).toMatchObject({ id: harness.sim.seed.shardedCompletedSnapshotId, type: 'SHARDED_CLUSTER' });
    const operations = apiRequests(harness.sim)
      .filter((each) => each.status === 200)
      .map((each) => each.operationId);
    expect(operations).toEqual(['listBackupShardedClusters', 'getBackupShardedCluster']);
    expectRequestsValidAgainstOpenApi(harness.sim);
  });

  it('takes an on-demand snapshot and reads it back', async () => {
    // Prepare
    harness = await startHarness(kind);

    // Act
    const taken = await harness.client.takeSnapshot(harness.cluster, { description: 'drill', retentionInDays: 2 });
    const read = await harness.client.getSnapshot(harness.cluster, taken.id);

    // Assess
    expect(taken).toMatchObject({ status: 'queued', snapshotType: 'onDemand' });
    expect(read.id).toBe(taken.id);
    const post = apiRequests(harness.sim).find((each) => each.method === 'POST' && each.status === 200);
    expect(post?.headers['content-type']).toBe('application/vnd.atlas.2023-01-01+json');
    expect(post?.body).toEqual({ description: 'drill', retentionInDays: 2 });
    expectRequestsValidAgainstOpenApi(harness.sim);
  });

  it('creates, reads, lists (every page, newest first) and cancels restore jobs', async () => {
    // Prepare
    harness = await startHarness(kind, { client: { pageSize: 2 } });
    const { sim, cluster, client } = harness;
    const now = sim.clock.now();
    for (const hoursAgo of [30, 10, 20]) {
      sim.state.addRestoreJob(cluster.groupId, cluster.clusterName, {
        deliveryType: 'download',
        snapshotId: sim.seed.completedSnapshotId,
        submittedAt: now - hoursAgo * HOUR_MS,
      });
    }

    // Act
    const created = await client.createRestoreJob(cluster, {
      deliveryType: 'automated',
      snapshotId: sim.seed.completedSnapshotId,
      targetGroupId: cluster.groupId,
      targetClusterName: sim.seed.targetClusterName,
    });
    const read = await client.getRestoreJob(cluster, created.id);
    const download = await client.createRestoreJob(cluster, {
      deliveryType: 'download',
      snapshotId: sim.seed.completedSnapshotId,
    });
    await client.cancelRestoreJob(cluster, download.id);
    const jobs = await client.listRestoreJobs(cluster);

    // Assess
    expect(created).toMatchObject({ deliveryType: 'automated', targetClusterName: sim.seed.targetClusterName });
    expect(restoreJobState(read)).toBe('pending');
    expect(jobs).toHaveLength(5);
    expect(
      jobs
        .map((job) => job.id)
        .slice(0, 2)
        .sort(),
    ).toEqual([created.id, download.id].sort());
    const times = jobs.map((job) => atlasIdCreatedAt(job.id).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(restoreJobState(jobs.find((job) => job.id === download.id) ?? read)).toBe('cancelled');
    const listPages = apiRequests(sim).filter(
      (each) => each.operationId === 'listBackupRestoreJobs' && each.status === 200,
    );
    expect(listPages).toHaveLength(3);
    const posts = apiRequests(sim).filter(
      (each) => each.operationId === 'createBackupRestoreJob' && each.status === 200,
    );
    expect(posts.map((each) => each.headers['content-type'])).toEqual([
      'application/vnd.atlas.2023-01-01+json',
      'application/vnd.atlas.2023-01-01+json',
    ]);
    expectRequestsValidAgainstOpenApi(sim);
  });

  it('maps Atlas 4xx answers to permanent errors with their errorCode and context', async () => {
    // Prepare
    harness = await startHarness(kind);
    const { sim, cluster, client } = harness;
    const missingJob = '0123456789abcdef01234567';

    // Act
    const notFound = await failure(client.getRestoreJob(cluster, missingJob));
    const noCluster = await failure(client.getCluster({ groupId: cluster.groupId, clusterName: 'absent' }));
    await client.createRestoreJob(cluster, {
      deliveryType: 'automated',
      snapshotId: sim.seed.completedSnapshotId,
      targetGroupId: cluster.groupId,
      targetClusterName: sim.seed.targetClusterName,
    });
    const conflict = await failure(
      client.createRestoreJob(cluster, {
        deliveryType: 'automated',
        snapshotId: sim.seed.completedSnapshotId,
        targetGroupId: cluster.groupId,
        targetClusterName: sim.seed.targetClusterName,
      }),
    );

    // Assess
    expect(notFound).toBeInstanceOf(AtlasApiError);
    expect(notFound).toMatchObject({
      operation: 'getBackupRestoreJob',
      method: 'GET',
      status: 404,
      errorCode: 'RESTORE_JOB_NOT_FOUND',
      groupId: cluster.groupId,
      clusterName: cluster.clusterName,
      retryable: false,
      ambiguous: false,
    });
    expect(noCluster).toMatchObject({ status: 404, errorCode: 'CLUSTER_NOT_FOUND', retryable: false });
    expect(conflict).toMatchObject({ status: 409, errorCode: 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS', retryable: false });
    expect((conflict as Error).message).toMatch(
      new RegExp(
        `^createBackupRestoreJob on cluster ${cluster.clusterName} \\(project ${cluster.groupId}\\): 409 ATLAS_CLUSTER_RESTORE_IN_PROGRESS: .+`,
      ),
    );
    expect(harness.time.sleeps).toEqual([]);
  });

  it.each([
    ['a cluster name that climbs out of its segment', { clusterName: '../../orgs' }, 'x', /clusterName "..\/..\/orgs"/],
    ['a group id that is not hex', { groupId: 'not-an-id' }, 'x', /groupId "not-an-id" must be 24 lowercase hex/],
    ['a job id with a query', {}, '0123456789abcdef01234567?pretty=true', /restoreJobId .* must be 24 lowercase hex/],
  ])('refuses %s before sending anything', async (_case, override, jobId, problem) => {
    // Prepare
    harness = await startHarness(kind);
    const cluster = { ...harness.cluster, ...override };

    // Act
    const error = await failure(
      harness.client.getRestoreJob(cluster, jobId === 'x' ? '0123456789abcdef01234567' : jobId),
    );

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({ retryable: false, operation: 'getBackupRestoreJob' });
    expect((error as AtlasApiError).detail).toMatch(problem);
    expect(harness.sim.requests).toEqual([]);
  });

  it.each([
    [
      'an automated restore without a target',
      { deliveryType: 'automated', snapshotId: '0123456789abcdef01234567' },
      /targetGroupId.*\n?.*targetClusterName|targetGroupId/,
    ],
    [
      'a point in time before 2008',
      {
        deliveryType: 'pointInTime',
        targetGroupId: '0123456789abcdef01234567',
        targetClusterName: 'x',
        pointInTimeUTCSeconds: 1000,
      },
      /pointInTimeUTCSeconds/,
    ],
    [
      'oplogTs without oplogInc',
      {
        deliveryType: 'pointInTime',
        targetGroupId: '0123456789abcdef01234567',
        targetClusterName: 'x',
        oplogTs: 1700000000,
      },
      /oplogInc/,
    ],
    ['a download without a snapshot', { deliveryType: 'download' }, /snapshotId/],
  ] as const)('refuses %s before sending anything', async (_case, request, problem) => {
    // Prepare
    harness = await startHarness(kind);

    // Act
    const error = await failure(harness.client.createRestoreJob(harness.cluster, request));

    // Assess
    expect(error).toMatchObject({ operation: 'createBackupRestoreJob', retryable: false, ambiguous: false });
    expect((error as AtlasApiError).detail).toMatch(/^invalid request: /);
    expect((error as AtlasApiError).detail).toMatch(problem);
    expect(harness.sim.requests).toEqual([]);
  });
});
