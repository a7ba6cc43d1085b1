import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atlasIdCreatedAt } from '../../functions/core/atlas/model.ts';
import { validateAtlasResponse } from '../support/openapi.ts';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient } from './test-client.ts';

interface Page {
  results: { id: string; status: string; createdAt?: string; storageSizeBytes: number; snapshotType: string }[];
  totalCount?: number;
  links: { rel: string; href: string }[];
}

describe('Atlas simulator: snapshots', () => {
  const start = Date.UTC(2025, 0, 15, 12, 0, 0);
  let simulator: AtlasSimulator;
  let client: TestClient;
  let snapshots: string;

  beforeEach(async () => {
    simulator = await startAtlasSimulator({
      clock: new SimulatedClock({ start, scale: 0 }),
      seed: { onDemandSnapshotInProgress: true, scheduledSnapshots: 7 },
    });
    client = new TestClient(simulator);
    snapshots = `/clusters/${simulator.seed.sourceClusterName}/backup/snapshots`;
  });
  afterEach(() => simulator.close());

  it('seeds completed scheduled snapshots, the newest 3 hours before clock start, and one on demand in progress', async () => {
    // Act
    const page = (await client.call(`${snapshots}?itemsPerPage=500`)).json as Page;

    // Assess
    const completed = page.results.filter((snapshot) => snapshot.status === 'completed');
    const newest = completed.map((snapshot) => Date.parse(snapshot.createdAt ?? '')).sort((a, b) => b - a)[0];
    expect(completed).toHaveLength(7);
    expect(newest).toBe(start - 3 * 3_600_000);
    expect(completed.find((snapshot) => Date.parse(snapshot.createdAt ?? '') === newest)?.id).toBe(
      simulator.seed.completedSnapshotId,
    );
    const inProgress = page.results.find((snapshot) => snapshot.id === simulator.seed.inProgressSnapshotId);
    expect(inProgress).toMatchObject({ status: 'inProgress', snapshotType: 'onDemand', storageSizeBytes: 0 });
    expect(inProgress?.createdAt).toBeUndefined();
  });

  it('does not answer lists in chronological order', async () => {
    // Act
    const page = (await client.call(`${snapshots}?itemsPerPage=500`)).json as Page;

    // Assess
    const times = page.results.map((snapshot) => atlasIdCreatedAt(snapshot.id).getTime());
    expect(times).not.toEqual([...times].sort((a, b) => a - b));
    expect(times).not.toEqual([...times].sort((a, b) => b - a));
  });

  it('moves an on-demand snapshot from queued through inProgress to completed as the clock steps', async () => {
    // Prepare
    const target = `/clusters/${simulator.seed.targetClusterName}/backup/snapshots`;
    const taken = (await client.call(target, { body: { description: 'pre-drill' } })).json as {
      id: string;
      status: string;
    };
    const statusNow = async () => (await client.call(`${target}/${taken.id}`)).json as Page['results'][number];

    // Act
    const queued = await statusNow();
    simulator.clock.advance(20_000);
    const inProgress = await statusNow();
    simulator.clock.advance(140_000);
    const completed = await statusNow();

    // Assess
    expect(taken.status).toBe('queued');
    expect(atlasIdCreatedAt(taken.id).getTime()).toBe(start);
    expect(queued).toMatchObject({ status: 'queued', storageSizeBytes: 0 });
    expect(queued.createdAt).toBeUndefined();
    expect(inProgress.status).toBe('inProgress');
    expect(completed.status).toBe('completed');
    expect(completed.createdAt).toBe(new Date(start).toISOString().replace('.000', ''));
    expect(completed.storageSizeBytes).toBeGreaterThan(0);
  });

  it('ends a snapshot failed when a test says so', async () => {
    // Prepare
    const id = simulator.state.addSnapshot(simulator.seed.groupId, simulator.seed.targetClusterName, {
      snapshotType: 'onDemand',
    });
    simulator.state.setSnapshotOutcome(id, 'failed');

    // Act
    simulator.clock.advance(200_000);
    const answer = await client.call(`/clusters/${simulator.seed.targetClusterName}/backup/snapshots/${id}`);

    // Assess
    expect(answer.json).toMatchObject({ id, status: 'failed' });
  });

  it('refuses a second on-demand snapshot while one is unfinished', async () => {
    // Act
    const answer = await client.call(snapshots, { body: {} });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errorCode: 'UNFINISHED_ON_DEMAND_SNAPSHOT' });
  });

  it('paginates with pageNum, itemsPerPage, includeCount and links', async () => {
    // Act
    const first = (await client.call(`${snapshots}?itemsPerPage=3`)).json as Page;
    const second = (await client.call(`${snapshots}?itemsPerPage=3&pageNum=2`)).json as Page;
    const last = (await client.call(`${snapshots}?itemsPerPage=3&pageNum=3&includeCount=false`)).json as Page;
    const beyond = (await client.call(`${snapshots}?itemsPerPage=3&pageNum=9`)).json as Page;

    // Assess
    expect(first.totalCount).toBe(8);
    expect(first.links.map((link) => link.rel)).toEqual(['self', 'next']);
    expect(second.links.map((link) => link.rel)).toEqual(['self', 'previous', 'next']);
    expect(last.links.map((link) => link.rel)).toEqual(['self', 'previous']);
    expect(last.totalCount).toBeUndefined();
    expect(beyond.results).toEqual([]);
    const ids = [...first.results, ...second.results, ...last.results].map((snapshot) => snapshot.id);
    expect(new Set(ids).size).toBe(8);
    expect(new URL(first.links[1]?.href ?? '').searchParams.get('pageNum')).toBe('2');
  });

  it.each([
    ['itemsPerPage=501', 'itemsPerPage'],
    ['itemsPerPage=0', 'itemsPerPage'],
    ['pageNum=0', 'pageNum'],
    ['pageNum=two', 'pageNum'],
    ['includeCount=maybe', 'includeCount'],
  ])('refuses %s with 400 naming the field', async (query, field) => {
    // Act
    const answer = await client.call(`${snapshots}?${query}`);

    // Assess
    expect(answer.status).toBe(400);
    expect((answer.json as { parameters: unknown[] }).parameters[0]).toBe(field);
  });

  it('lists sharded snapshots with their members on the sharded endpoints, and on the replica-set ones as type shardedCluster', async () => {
    // Prepare
    const sharded = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }), seed: { sharded: true } });
    const shardedClient = new TestClient(sharded);
    const base = `/clusters/${sharded.seed.shardedClusterName}/backup/snapshots`;
    try {
      // Act
      const list = (await shardedClient.call(`${base}/shardedClusters`)).json as {
        results: { type: string; members: unknown[] }[];
      };
      const one = await shardedClient.call(`${base}/shardedCluster/${sharded.seed.shardedCompletedSnapshotId}`);
      const asReplicaSet = await shardedClient.call(`${base}/${sharded.seed.shardedCompletedSnapshotId}`);
      const replicaSetList = await shardedClient.call(base);

      // Assess
      expect(list.results).toHaveLength(2);
      expect(list.results[0]).toMatchObject({ type: 'SHARDED_CLUSTER' });
      expect(list.results[0]?.members).toHaveLength(3);
      expect(one.status).toBe(200);
      expect(asReplicaSet.status).toBe(200);
      expect(asReplicaSet.json).toMatchObject({ id: sharded.seed.shardedCompletedSnapshotId, type: 'shardedCluster' });
      expect((asReplicaSet.json as { members: unknown[] }).members).toHaveLength(3);
      expect(
        validateAtlasResponse('getClusterBackupSnapshot', asReplicaSet.status, asReplicaSet.json, asReplicaSet.headers),
      ).toEqual([]);
      expect((replicaSetList.json as { results: { type: string }[] }).results.map((s) => s.type)).toEqual([
        'shardedCluster',
        'shardedCluster',
      ]);
      expect(
        validateAtlasResponse(
          'listBackupSnapshots',
          replicaSetList.status,
          replicaSetList.json,
          replicaSetList.headers,
        ),
      ).toEqual([]);
    } finally {
      await sharded.close();
    }
  });

  it('starts empty with seed: false, and serves what a test adds through state', async () => {
    // Prepare
    const empty = await startAtlasSimulator({ clock: new SimulatedClock({ start, scale: 0 }), seed: false });
    const emptyClient = new TestClient(empty);
    try {
      const groupId = empty.state.addProject();
      empty.state.addCluster(groupId, { name: 'solo' });
      const id = empty.state.addSnapshot(groupId, 'solo', { startedAt: start - 3_600_000, frequencyType: 'weekly' });

      // Act
      const page = (await emptyClient.call(`/api/atlas/v2/groups/${groupId}/clusters/solo/backup/snapshots`))
        .json as Page;

      // Assess
      expect(empty.seed.groupId).toBe('');
      expect(page.results).toEqual([expect.objectContaining({ id, status: 'completed', frequencyType: 'weekly' })]);
      expect(empty.state.snapshots(groupId, 'solo')).toEqual(page.results);
    } finally {
      await empty.close();
    }
  });
});
