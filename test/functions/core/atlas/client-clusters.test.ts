import { afterEach, describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import { clusterShape } from '../../../../functions/core/atlas/model.ts';
import type { NewCluster } from '../../../../functions/core/atlas/requests.ts';
import {
  apiRequests,
  type CredentialKind,
  expectRequestsValidAgainstOpenApi,
  failure,
  type Harness,
  startHarness,
} from './simulator-harness.ts';

const MINUTE_MS = 60_000;

function drillSpec(overrides: Partial<NewCluster> = {}): NewCluster {
  return {
    name: 'drill-op1',
    clusterType: 'REPLICASET',
    mongoDBMajorVersion: '8.0',
    providerName: 'AWS',
    regionName: 'EU_WEST_1',
    instanceSize: 'M30',
    diskSizeGB: 40,
    tags: [{ key: 'atlas-restore-operation', value: 'op1' }],
    ...overrides,
  };
}

describe.each<CredentialKind>(['serviceAccount', 'apiKey'])('Function: createAtlasClient, clusters (%s)', (kind) => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('creates a cluster with the 2024-10-23 version and reads it through CREATING to IDLE with its spec', async () => {
    // Prepare
    harness = await startHarness(kind);
    const { client, sim } = harness;
    const ref = { groupId: harness.cluster.groupId, clusterName: 'drill-op1' };

    // Act
    const created = await client.createCluster(ref.groupId, drillSpec({ clusterType: 'SHARDED', shardCount: 2 }));
    sim.clock.advance(10 * MINUTE_MS);
    const idle = await client.getCluster(ref);

    // Assess
    expect(created).toMatchObject({ name: 'drill-op1', stateName: 'CREATING', paused: false });
    expect(idle.stateName).toBe('IDLE');
    expect(idle.tags).toEqual([{ key: 'atlas-restore-operation', value: 'op1' }]);
    expect(Date.parse(idle.createDate ?? '')).toBe(Math.floor(sim.clock.now() / 1000 - 600) * 1000);
    expect(clusterShape(idle)).toEqual({
      clusterType: 'SHARDED',
      shardCount: 2,
      mongoDBMajorVersion: '8.0',
      providerName: 'AWS',
      regionName: 'EU_WEST_1',
      instanceSize: 'M30',
      diskSizeGB: 40,
    });
    const post = apiRequests(sim).find((each) => each.operationId === 'createCluster');
    expect(post?.headers['content-type']).toBe('application/vnd.atlas.2024-10-23+json');
    expect(post?.headers.accept).toBe('application/vnd.atlas.2024-10-23+json');
    expect(post?.body).toMatchObject({ terminationProtectionEnabled: false, replicationSpecs: [{}, {}] });
    expectRequestsValidAgainstOpenApi(sim);
  });

  it('reads the shape of a seeded cluster: M10 on AWS, MongoDB 8.0, 10 GB, one shard', async () => {
    // Prepare
    harness = await startHarness(kind);

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(clusterShape(cluster)).toMatchObject({
      clusterType: 'REPLICASET',
      shardCount: 1,
      mongoDBMajorVersion: '8.0',
      instanceSize: 'M10',
      diskSizeGB: 10,
    });
    expect(cluster.mongoDBVersion).toMatch(/^8\.0\./);
  });

  it('lists every page of the project’s clusters, by name', async () => {
    // Prepare
    harness = await startHarness(kind, { simulator: { seed: { sharded: true } }, client: { pageSize: 2 } });
    await harness.client.createCluster(harness.cluster.groupId, drillSpec());

    // Act
    const clusters = await harness.client.listClusters(harness.cluster.groupId);

    // Assess
    expect(clusters.map((cluster) => cluster.name)).toEqual([
      'drill-op1',
      'events-sharded',
      'orders-drill',
      'orders-prod',
    ]);
    const pages = apiRequests(harness.sim).filter((each) => each.operationId === 'listClusters');
    expect(pages.map((each) => each.query.pageNum)).toEqual(['1', '2', '3']);
    expectRequestsValidAgainstOpenApi(harness.sim);
  });

  it('deletes a cluster: DELETING, then 404 CLUSTER_NOT_FOUND; a repeated delete is no error', async () => {
    // Prepare
    harness = await startHarness(kind);
    const { client, sim } = harness;
    const ref = { groupId: harness.cluster.groupId, clusterName: sim.seed.targetClusterName };

    // Act
    await client.deleteCluster(ref);
    await client.deleteCluster(ref);
    const deleting = await client.getCluster(ref);
    sim.clock.advance(5 * MINUTE_MS);
    const gone = await failure(client.getCluster(ref));

    // Assess
    expect(deleting.stateName).toBe('DELETING');
    expect(gone).toMatchObject({ status: 404, errorCode: 'CLUSTER_NOT_FOUND', retryable: false });
    const deletes = apiRequests(sim).filter((each) => each.operationId === 'deleteCluster' && each.status !== 401);
    expect(deletes.map((each) => [each.status, each.headers.accept])).toEqual([
      [202, 'application/vnd.atlas.2023-02-01+json'],
      [400, 'application/vnd.atlas.2023-02-01+json'],
    ]);
    expectRequestsValidAgainstOpenApi(sim);
  });

  it('pauses and resumes with { paused } alone; pausing a paused cluster answers it as it is', async () => {
    // Prepare
    harness = await startHarness(kind);
    const { client, sim } = harness;
    const ref = { groupId: harness.cluster.groupId, clusterName: sim.seed.targetClusterName };

    // Act
    const paused = await client.pauseCluster(ref);
    const again = await client.pauseCluster(ref);
    sim.clock.advance(5 * MINUTE_MS);
    const resumed = await client.resumeCluster(ref);

    // Assess
    expect(paused).toMatchObject({ paused: true, stateName: 'UPDATING' });
    expect(again.paused).toBe(true);
    expect(resumed).toMatchObject({ paused: false, stateName: 'UPDATING' });
    const patches = apiRequests(sim).filter((each) => each.operationId === 'updateCluster' && each.status !== 401);
    expect(patches.map((each) => each.body)).toEqual([{ paused: true }, { paused: true }, { paused: false }]);
    expect(patches[0]?.headers['content-type']).toBe('application/vnd.atlas.2024-10-23+json');
    expectRequestsValidAgainstOpenApi(sim);
  });

  it('keeps Atlas’s pause refusals as permanent errors with their code and cluster', async () => {
    // Prepare
    harness = await startHarness(kind);
    const { client, sim } = harness;
    const ref = { groupId: harness.cluster.groupId, clusterName: sim.seed.targetClusterName };
    await client.pauseCluster(ref);
    sim.clock.advance(5 * MINUTE_MS);
    await client.resumeCluster(ref);
    sim.clock.advance(5 * MINUTE_MS);

    // Act
    const error = await failure(client.pauseCluster(ref));

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({
      operation: 'updateCluster',
      method: 'PATCH',
      status: 400,
      errorCode: 'CANNOT_PAUSE_RECENTLY_RESUMED_CLUSTER',
      groupId: ref.groupId,
      clusterName: ref.clusterName,
      retryable: false,
    });
    expect(harness.time.sleeps).toEqual([]);
  });

  it('refuses a taken name with DUPLICATE_CLUSTER_NAME, naming the cluster', async () => {
    // Prepare
    harness = await startHarness(kind);

    // Act
    const error = await failure(
      harness.client.createCluster(harness.cluster.groupId, drillSpec({ name: harness.sim.seed.targetClusterName })),
    );

    // Assess
    expect(error).toMatchObject({
      operation: 'createCluster',
      status: 400,
      errorCode: 'DUPLICATE_CLUSTER_NAME',
      clusterName: harness.sim.seed.targetClusterName,
      retryable: false,
      ambiguous: false,
    });
  });

  it('never repeats a createCluster whose effect is unknown: one POST, an ambiguous error', async () => {
    // Prepare
    harness = await startHarness(kind);
    await harness.client.getCluster(harness.cluster); // the digest handshake first: the fault hits an accepted POST
    harness.sim.faults.inject({ operationId: 'createCluster' }, { kind: 'dropAfterApply' });

    // Act
    const error = await failure(harness.client.createCluster(harness.cluster.groupId, drillSpec()));
    const landed = await harness.client.getCluster({ groupId: harness.cluster.groupId, clusterName: 'drill-op1' });

    // Assess
    expect(error).toMatchObject({ operation: 'createCluster', ambiguous: true, clusterName: 'drill-op1' });
    expect(apiRequests(harness.sim).filter((each) => each.operationId === 'createCluster')).toHaveLength(1);
    expect(harness.time.sleeps).toEqual([]);
    expect(landed.stateName).toBe('CREATING');
  });

  it('retries a deleteCluster lost in flight, and takes the deletion already requested as done', async () => {
    // Prepare
    harness = await startHarness(kind);
    const ref = { groupId: harness.cluster.groupId, clusterName: harness.sim.seed.targetClusterName };
    await harness.client.getCluster(ref); // the digest handshake first: the fault hits an accepted DELETE
    harness.sim.faults.inject({ operationId: 'deleteCluster' }, { kind: 'dropAfterApply' });

    // Act
    await harness.client.deleteCluster(ref);

    // Assess
    expect((await harness.client.getCluster(ref)).stateName).toBe('DELETING');
    expect(apiRequests(harness.sim).filter((each) => each.operationId === 'deleteCluster')).toHaveLength(2);
  });

  it.each([
    ['a replica set with two shards', { shardCount: 2 }, /shardCount/],
    ['a disk under 10 GB', { diskSizeGB: 5 }, /diskSizeGB/],
    ['a shared tier', { instanceSize: 'M0' }, /instanceSize/],
    ['a name that leaves its segment', { name: '../x' }, /name/],
  ] as const)('refuses %s before sending anything', async (_case, overrides, problem) => {
    // Prepare
    harness = await startHarness(kind);

    // Act
    const error = await failure(harness.client.createCluster(harness.cluster.groupId, drillSpec(overrides)));

    // Assess
    expect(error).toMatchObject({ operation: 'createCluster', retryable: false, ambiguous: false });
    expect((error as AtlasApiError).detail).toMatch(/^invalid request: /);
    expect((error as AtlasApiError).detail).toMatch(problem);
    expect(harness.sim.requests).toEqual([]);
  });
});
