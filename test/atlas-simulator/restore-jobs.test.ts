import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atlasIdCreatedAt, restoreJobSchema, restoreJobState } from '../../functions/core/atlas/model.ts';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient } from './test-client.ts';

describe('Atlas simulator: restore jobs', () => {
  const start = Date.UTC(2025, 2, 1, 8, 0, 0);
  let simulator: AtlasSimulator;
  let client: TestClient;
  let jobs: string;
  let automated: Record<string, unknown>;

  const stateOf = async (id: string) =>
    restoreJobState(restoreJobSchema.parse((await client.call(`${jobs}/${id}`)).json));

  beforeEach(async () => {
    simulator = await startAtlasSimulator({
      clock: new SimulatedClock({ start, scale: 0 }),
      seed: { onDemandSnapshotInProgress: true, sharded: true },
    });
    client = new TestClient(simulator);
    const { groupId, sourceClusterName, targetClusterName, completedSnapshotId } = simulator.seed;
    jobs = `/clusters/${sourceClusterName}/backup/restoreJobs`;
    automated = {
      deliveryType: 'automated',
      snapshotId: completedSnapshotId,
      targetGroupId: groupId,
      targetClusterName,
    };
  });
  afterEach(() => simulator.close());

  it('creates an automated restore (200) whose id carries the simulated creation time, and finishes it on the clock', async () => {
    // Act
    const created = await client.call(jobs, { body: automated });
    const id = (created.json as { id: string }).id;
    const pending = await stateOf(id);
    simulator.clock.advance(239_000);
    const stillPending = await stateOf(id);
    simulator.clock.advance(1_000);
    const job = (await client.call(`${jobs}/${id}`)).json as Record<string, unknown>;

    // Assess
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ deliveryType: 'automated', cancelled: false, failed: false, expired: false });
    expect(created.json).not.toHaveProperty('status');
    expect(created.json).toMatchObject({
      desiredTimestamp: { date: null, time: null, increment: null },
      targetDeploymentItemName: simulator.seed.targetClusterName,
    });
    expect(atlasIdCreatedAt(id).getTime()).toBe(start);
    expect([pending, stillPending]).toEqual(['pending', 'pending']);
    expect(job.finishedAt).toBe('2025-03-01T08:04:00Z');
    expect(restoreJobState(restoreJobSchema.parse(job))).toBe('completed');
  });

  it('is not idempotent: each accepted POST creates a job', async () => {
    // Prepare
    const download = { deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId };

    // Act: the first is cancelled, as Atlas refuses a second download of a snapshot while one is active.
    const first = (await client.call(jobs, { body: download })).json as { id: string };
    await client.call(`${jobs}/${first.id}`, { method: 'DELETE' });
    await client.call(jobs, { body: download });

    // Assess
    expect(simulator.state.restoreJobs(simulator.seed.groupId, simulator.seed.sourceClusterName)).toHaveLength(2);
  });

  it('prepares a download, then expires it an hour later', async () => {
    // Prepare
    const id = (
      (await client.call(jobs, { body: { deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId } }))
        .json as { id: string }
    ).id;

    // Act
    const preparing = (await client.call(`${jobs}/${id}`)).json as Record<string, unknown>;
    simulator.clock.advance(120_000);
    const ready = (await client.call(`${jobs}/${id}`)).json as Record<string, unknown>;
    simulator.clock.advance(3_600_000);
    const expired = (await client.call(`${jobs}/${id}`)).json as Record<string, unknown>;

    // Assess
    expect(preparing).toMatchObject({ deliveryUrl: [], expired: false });
    expect(preparing).not.toHaveProperty('expiresAt');
    expect((ready.deliveryUrl as string[])[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+\.tar\.gz$/);
    expect(ready.expiresAt).toBe('2025-03-01T09:02:00Z');
    expect(ready).not.toHaveProperty('finishedAt');
    expect(restoreJobState(restoreJobSchema.parse(ready))).toBe('completed');
    expect(expired).toMatchObject({ expired: true });
    expect(restoreJobState(restoreJobSchema.parse(expired))).toBe('expired');
  });

  it('fails a job when a test says so', async () => {
    // Prepare
    const id = ((await client.call(jobs, { body: automated })).json as { id: string }).id;
    simulator.state.setRestoreJobOutcome(id, 'failed');

    // Act
    simulator.clock.advance(240_000);

    // Assess
    expect(await stateOf(id)).toBe('failed');
  });

  it('completes a job on demand, whatever its duration', async () => {
    // Prepare
    const id = ((await client.call(jobs, { body: automated })).json as { id: string }).id;

    // Act
    simulator.state.completeRestoreJob(id);

    // Assess
    expect(await stateOf(id)).toBe('completed');
  });

  it('cancels a download job but not an automated restore', async () => {
    // Prepare
    const download = (
      (await client.call(jobs, { body: { deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId } }))
        .json as { id: string }
    ).id;
    const restore = ((await client.call(jobs, { body: automated })).json as { id: string }).id;

    // Act
    const cancelled = await client.call(`${jobs}/${download}`, { method: 'DELETE' });
    const refused = await client.call(`${jobs}/${restore}`, { method: 'DELETE' });
    simulator.clock.advance(600_000);

    // Assess
    expect(cancelled.status).toBe(204);
    expect(cancelled.text).toBe('');
    expect(await stateOf(download)).toBe('cancelled');
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ errorCode: 'CANNOT_CANCEL_AUTOMATED_RESTORE' });
    expect(await stateOf(restore)).toBe('completed');
  });

  it('refuses a second restore onto a target being restored, from any source, until the first finishes', async () => {
    // Prepare
    await client.call(jobs, { body: automated });
    simulator.state.addCluster(simulator.seed.groupId, { name: 'other-source' });
    const otherSnapshot = simulator.state.addSnapshot(simulator.seed.groupId, 'other-source', {
      startedAt: start - 3_600_000,
    });

    // Act
    const sameSource = await client.call(jobs, { body: automated });
    const otherSource = await client.call('/clusters/other-source/backup/restoreJobs', {
      body: { ...automated, snapshotId: otherSnapshot },
    });
    simulator.clock.advance(240_000);
    const afterwards = await client.call(jobs, { body: automated });

    // Assess
    expect(sameSource.status).toBe(409);
    expect(sameSource.json).toMatchObject({ errorCode: 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS' });
    expect(otherSource.status).toBe(409);
    expect(afterwards.status).toBe(200);
  });

  it('refuses a paused target', async () => {
    // Prepare
    simulator.state.updateCluster(simulator.seed.groupId, simulator.seed.targetClusterName, { paused: true });

    // Act
    const answer = await client.call(jobs, { body: automated });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errorCode: 'CLUSTER_PAUSED_CANNOT_RESTORE' });
  });

  it.each([
    [
      'an unfinished snapshot',
      () => ({ snapshotId: simulator.seed.inProgressSnapshotId }),
      409,
      'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT',
    ],
    ['an unknown snapshot', () => ({ snapshotId: 'aaaaaaaaaaaaaaaaaaaaaaaa' }), 404, 'SNAPSHOT_NOT_FOUND'],
    ['an unknown target cluster', () => ({ targetClusterName: 'nowhere' }), 404, 'CLUSTER_NOT_FOUND'],
    [
      'a sharded target for a replica set',
      () => ({ targetClusterName: simulator.seed.shardedClusterName }),
      403,
      'CANNOT_RESTORE_TO_TARGET',
    ],
    [
      'a point in time in the future',
      () => ({ deliveryType: 'pointInTime', pointInTimeUTCSeconds: start / 1000 + 60 }),
      400,
      'INVALID_PIT_RESTORE_TIME',
    ],
    [
      'a point in time before every snapshot',
      () => ({ deliveryType: 'pointInTime', pointInTimeUTCSeconds: start / 1000 - 40 * 86_400 }),
      404,
      'UNABLE_T0_FIND_SNAPSHOT_PRIOR_TO_PIT_RESTORE_OPTIME',
    ],
  ])('refuses %s', async (_case, change, status, errorCode) => {
    // Act
    const answer = await client.call(jobs, { body: { ...automated, ...change() } });

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.json).toMatchObject({ error: status, errorCode });
    expect(answer.headers['x-error-code']).toBe(errorCode);
  });

  it('restores a point in time from the newest snapshot before it, by seconds or by oplog timestamp', async () => {
    // Prepare
    const seconds = start / 1000 - 3600;

    // Act
    const bySeconds = await client.call(jobs, {
      body: { ...automated, deliveryType: 'pointInTime', snapshotId: undefined, pointInTimeUTCSeconds: seconds },
    });
    simulator.clock.advance(400_000);
    const byOplog = await client.call(jobs, {
      body: { ...automated, deliveryType: 'pointInTime', snapshotId: undefined, oplogTs: seconds, oplogInc: 3 },
    });

    // Assess
    expect(bySeconds.status).toBe(200);
    expect(bySeconds.json).toMatchObject({
      snapshotId: simulator.seed.completedSnapshotId,
      pointInTimeUTCSeconds: seconds,
    });
    expect(byOplog.status).toBe(200);
    expect(byOplog.json).toMatchObject({ oplogTs: seconds, oplogInc: 3 });
  });

  it.each([
    ['no deliveryType', { deliveryType: undefined }, 'MISSING_ATTRIBUTE', 'deliveryType'],
    ['an unknown deliveryType', { deliveryType: 'copy' }, 'INVALID_ENUM_VALUE', 'deliveryType'],
    ['no snapshotId', { snapshotId: undefined }, 'MISSING_ATTRIBUTE', 'snapshotId'],
    ['a malformed snapshotId', { snapshotId: 'ABC' }, 'INVALID_ATTRIBUTE', 'snapshotId'],
    ['no targetClusterName', { targetClusterName: undefined }, 'MISSING_ATTRIBUTE', 'targetClusterName'],
    ['no targetGroupId', { targetGroupId: undefined }, 'MISSING_ATTRIBUTE', 'targetGroupId'],
    ['a malformed targetClusterName', { targetClusterName: '-bad name' }, 'INVALID_ATTRIBUTE', 'targetClusterName'],
    ['a point in time without a time', { deliveryType: 'pointInTime' }, 'MISSING_ATTRIBUTE', 'pointInTimeUTCSeconds'],
    [
      'both kinds of point in time',
      { deliveryType: 'pointInTime', pointInTimeUTCSeconds: 1_700_000_000, oplogTs: 1_700_000_000, oplogInc: 1 },
      'INVALID_ATTRIBUTE',
      'pointInTimeUTCSeconds',
    ],
    [
      'oplogTs without oplogInc',
      { deliveryType: 'pointInTime', oplogTs: 1_700_000_000 },
      'MISSING_ATTRIBUTE',
      'oplogInc',
    ],
    [
      'oplogTs below its minimum',
      { deliveryType: 'pointInTime', oplogTs: 1_000, oplogInc: 1 },
      'INVALID_ATTRIBUTE',
      'oplogTs',
    ],
    [
      'oplogInc below its minimum',
      { deliveryType: 'pointInTime', oplogTs: 1_700_000_000, oplogInc: 0 },
      'INVALID_ATTRIBUTE',
      'oplogInc',
    ],
    [
      'pointInTimeUTCSeconds as text',
      { deliveryType: 'pointInTime', pointInTimeUTCSeconds: '1700000000' },
      'INVALID_ATTRIBUTE',
      'pointInTimeUTCSeconds',
    ],
  ])('refuses %s with 400 naming the field', async (_case, change, errorCode, field) => {
    // Act
    const answer = await client.call(jobs, { body: { ...automated, ...change } });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errorCode });
    expect((answer.json as { parameters: unknown[] }).parameters[0]).toBe(field);
  });

  it.each([
    ['a malformed group id', '/api/atlas/v2/groups/XYZ/clusters/a/backup/restoreJobs', 400],
    ['a malformed cluster name', '/clusters/-bad/backup/restoreJobs', 400],
    ['a malformed restore job id', '/clusters/orders-prod/backup/restoreJobs/123', 400],
    ['an unknown project', '/api/atlas/v2/groups/aaaaaaaaaaaaaaaaaaaaaaaa/clusters/a/backup/restoreJobs', 404],
    ['an unknown restore job', '/clusters/orders-prod/backup/restoreJobs/aaaaaaaaaaaaaaaaaaaaaaaa', 404],
  ])('answers %s in the path with %i', async (_case, path, status) => {
    // Act
    const answer = await client.call(path);

    // Assess
    expect(answer.status).toBe(status);
  });
});
