import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { restoreJobSchema, restoreJobState } from '../../functions/core/atlas/model.ts';
import { validateAtlasResponse } from '../support/openapi.ts';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient } from './test-client.ts';

/** What a restore job shows depends on its delivery type, and on what happened to it since it ended. */
describe('Atlas simulator: restore jobs by delivery type', () => {
  const start = Date.UTC(2025, 2, 1, 8, 0, 0);
  let simulator: AtlasSimulator;
  let client: TestClient;
  let jobs: string;

  const post = async (body: Record<string, unknown>) => {
    const answer = await client.call(jobs, { body });
    expect(validateAtlasResponse('createBackupRestoreJob', answer.status, answer.json, answer.headers)).toEqual([]);
    return answer;
  };
  const read = async (id: string) => {
    const answer = await client.call(`${jobs}/${id}`);
    expect(validateAtlasResponse('getBackupRestoreJob', answer.status, answer.json, answer.headers)).toEqual([]);
    return answer.json as Record<string, unknown>;
  };

  beforeEach(async () => {
    simulator = await startAtlasSimulator({ clock: new SimulatedClock({ start, scale: 0 }), seed: { sharded: true } });
    client = new TestClient(simulator);
    jobs = `/clusters/${simulator.seed.sourceClusterName}/backup/restoreJobs`;
  });
  afterEach(() => simulator.close());

  it('names the target only on automated jobs, and gives download links only on download jobs', async () => {
    // Prepare
    const { groupId, targetClusterName, completedSnapshotId } = simulator.seed;
    simulator.state.addCluster(groupId, { name: 'orders-pit' });
    const target = { targetGroupId: groupId };

    // Act
    const automated = await post({
      deliveryType: 'automated',
      snapshotId: completedSnapshotId,
      ...target,
      targetClusterName,
    });
    const pointInTime = await post({
      deliveryType: 'pointInTime',
      pointInTimeUTCSeconds: start / 1000 - 3600,
      ...target,
      targetClusterName: 'orders-pit',
    });
    const download = await post({ deliveryType: 'download', snapshotId: completedSnapshotId });
    const listed = (await client.call(jobs)).json as { results: Record<string, unknown>[] };

    // Assess
    expect(automated.json).toMatchObject({ targetClusterName, targetGroupId: groupId });
    expect(pointInTime.json).toMatchObject({ deliveryType: 'pointInTime', pointInTimeUTCSeconds: start / 1000 - 3600 });
    for (const job of [
      pointInTime.json,
      download.json,
      ...listed.results.filter((j) => j.deliveryType !== 'automated'),
    ]) {
      expect(job).not.toHaveProperty('targetClusterName');
      expect(job).not.toHaveProperty('targetGroupId');
      expect(job).not.toHaveProperty('targetDeploymentItemName');
    }
    for (const job of [automated.json, pointInTime.json]) expect(job).not.toHaveProperty('deliveryUrl');
    expect(download.json).toMatchObject({ deliveryUrl: [] });
  });

  it('refuses a second download of a snapshot while one is active (400 CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY)', async () => {
    // Prepare
    const { completedSnapshotId } = simulator.seed;
    const first = (await post({ deliveryType: 'download', snapshotId: completedSnapshotId })).json as { id: string };
    const otherSnapshot = simulator.state.addSnapshot(simulator.seed.groupId, simulator.seed.sourceClusterName, {
      startedAt: start - 7_200_000,
    });

    // Act
    const whilePreparing = await post({ deliveryType: 'download', snapshotId: completedSnapshotId });
    simulator.state.completeRestoreJob(first.id);
    const whileReady = await post({ deliveryType: 'download', snapshotId: completedSnapshotId });
    const another = await post({ deliveryType: 'download', snapshotId: otherSnapshot });
    simulator.clock.advance(3_600_000);
    const afterExpiry = await post({ deliveryType: 'download', snapshotId: completedSnapshotId });

    // Assess
    for (const refused of [whilePreparing, whileReady]) {
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ errorCode: 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY' });
    }
    expect(another.status).toBe(200);
    expect(afterExpiry.status).toBe(200);
  });

  it('can hand out a download only through private endpoints: privateDownloadDeliveryUrls, no deliveryUrl', async () => {
    // Prepare
    const { groupId, sourceClusterName, completedSnapshotId } = simulator.seed;
    const id = simulator.state.addRestoreJob(groupId, sourceClusterName, {
      deliveryType: 'download',
      snapshotId: completedSnapshotId,
      privateDownload: true,
    });

    // Act
    const preparing = await read(id);
    simulator.state.completeRestoreJob(id);
    const ready = await read(id);

    // Assess
    expect(preparing).toMatchObject({ deliveryUrl: [], privateDownloadDeliveryUrls: [] });
    expect(restoreJobState(restoreJobSchema.parse(preparing))).toBe('pending');
    expect(ready.deliveryUrl).toEqual([]);
    expect(ready.privateDownloadDeliveryUrls).toEqual([
      { deliveryUrl: expect.stringMatching(/\.tar\.gz$/), endpointId: expect.stringMatching(/^vpce-[0-9a-f]{17}$/) },
    ]);
    expect(restoreJobState(restoreJobSchema.parse(ready))).toBe('completed');
  });

  it('gives sharded download links per component only', async () => {
    // Prepare
    const { groupId, shardedClusterName = '', shardedCompletedSnapshotId = '' } = simulator.seed;
    const id = simulator.state.addRestoreJob(groupId, shardedClusterName, {
      deliveryType: 'download',
      snapshotId: shardedCompletedSnapshotId,
    });
    simulator.state.completeRestoreJob(id);

    // Act
    const ready = (await client.call(`/clusters/${shardedClusterName}/backup/restoreJobs/${id}`)).json as {
      deliveryUrl: string[];
      components: { downloadUrl?: string }[];
    };

    // Assess
    expect(ready.deliveryUrl).toEqual([]);
    expect(ready.components.every((component) => component.downloadUrl?.endsWith('.tar.gz'))).toBe(true);
    expect(restoreJobState(restoreJobSchema.parse(ready))).toBe('completed');
  });

  it('shows a finished automated restore expired later, with expiresAt, and keeps its finishedAt', async () => {
    // Prepare
    const { groupId, targetClusterName, completedSnapshotId } = simulator.seed;
    const id = (
      (
        await post({
          deliveryType: 'automated',
          snapshotId: completedSnapshotId,
          targetGroupId: groupId,
          targetClusterName,
        })
      ).json as { id: string }
    ).id;

    // Act
    simulator.clock.advance(240_000);
    const finished = await read(id);
    simulator.clock.advance(3_600_000);
    const later = await read(id);

    // Assess
    expect(finished).toMatchObject({ expired: false, finishedAt: '2025-03-01T08:04:00Z' });
    expect(later).toMatchObject({
      expired: true,
      finishedAt: '2025-03-01T08:04:00Z',
      expiresAt: '2025-03-01T09:04:00Z',
    });
    expect(restoreJobState(restoreJobSchema.parse(later))).toBe('completed');
  });
});
