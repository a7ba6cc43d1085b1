import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { drain } from './harness.ts';
import { type SimulatorFixture, simulatorFixture } from './simulator-fixture.ts';

/** The workflow against the Atlas simulator: what the real service answers, the workflow must handle. */
describe('Workflow against the Atlas simulator: job kinds, downloads and snapshots', () => {
  let f: SimulatorFixture;
  afterEach(() => f?.close());

  const run = async (request: Partial<RestoreRequest> & Pick<RestoreRequest, 'deliveryType'>) => {
    const { groupId, sourceClusterName, targetClusterName } = f.sim.seed;
    const full = {
      groupId,
      clusterName: sourceClusterName,
      requestId: 'req-1',
      ...(request.deliveryType === 'download' ? {} : { targetGroupId: groupId, targetClusterName }),
      ...request,
    };
    f.queue.put(JSON.stringify(full));
    const report = await drain(f, createRestoreService(f.deps));
    return { report, operation: await f.ledger.get('req-1') };
  };
  const posts = () =>
    f.sim.requests.filter((request) => request.operationId === 'createBackupRestoreJob' && request.status !== 400);

  it('adopts its point-in-time job after an unanswered POST, though Atlas shows no target on such jobs', async () => {
    // Prepare
    f = await simulatorFixture();
    f.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'dropAfterApply' });

    // Act
    const { operation } = await run({
      deliveryType: 'pointInTime',
      pointInTimeUTCSeconds: Math.floor(f.clock.now() / 1000) - 3600,
    });

    // Assess
    const jobs = f.sim.state.restoreJobs(f.sim.seed.groupId, f.sim.seed.sourceClusterName);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).not.toHaveProperty('targetClusterName');
    expect(operation).toMatchObject({ outcome: 'succeeded', adopted: true, restoreJobId: jobs[0]?.id });
    expect(posts()).toHaveLength(1);
  });

  it('defers, not fails, a download refused because another download of the snapshot is active', async () => {
    // Prepare: someone else's download of the newest snapshot is preparing for another two minutes.
    f = await simulatorFixture();
    const { groupId, sourceClusterName, completedSnapshotId } = f.sim.seed;
    f.sim.state.addRestoreJob(groupId, sourceClusterName, {
      deliveryType: 'download',
      snapshotId: completedSnapshotId,
      durationMs: 120_000,
      outcome: 'failed',
    });

    // Act
    const { operation } = await run({ deliveryType: 'download' });

    // Assess
    expect(f.reporter.deferrals.map((deferral) => deferral.code)).toContain('CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY');
    expect(operation).toMatchObject({ outcome: 'succeeded', snapshotId: completedSnapshotId });
  });

  it('defers, not fails, a download refused because the project is at its limit of active downloads', async () => {
    // Prepare: the project-wide cap is not simulated (no source gives its number): Atlas's refusal is injected.
    f = await simulatorFixture();
    f.sim.faults.inject(
      { operationId: 'createBackupRestoreJob' },
      { kind: 'status', status: 400, errorCode: 'TOO_MANY_SNAPSHOT_DOWNLOADS' },
    );

    // Act
    const { operation } = await run({ deliveryType: 'download' });

    // Assess
    expect(f.reporter.deferrals.map((deferral) => deferral.code)).toEqual(['TOO_MANY_SNAPSHOT_DOWNLOADS']);
    expect(operation).toMatchObject({ outcome: 'succeeded' });
  });

  it('does not let an hourly policy’s scheduled snapshot in progress starve a drill into DEFER_LIMIT_REACHED', async () => {
    // Prepare: a scheduled snapshot of the source that is always being taken (an hourly policy on a large cluster).
    f = await simulatorFixture();
    const { groupId, sourceClusterName } = f.sim.seed;
    f.sim.state.addSnapshot(groupId, sourceClusterName, {
      frequencyType: 'hourly',
      inProgressMs: Number.POSITIVE_INFINITY,
    });

    // Act
    const { operation } = await run({ deliveryType: 'automated', snapshotId: 'latest' });

    // Assess
    expect(f.reporter.deferrals).toEqual([]);
    expect(operation).toMatchObject({ outcome: 'succeeded', snapshotId: f.sim.seed.completedSnapshotId });
  });

  it('still defers while an on-demand snapshot of the source is queued or in progress', async () => {
    // Prepare
    f = await simulatorFixture({ seed: { onDemandSnapshotInProgress: true } });

    // Act
    const { operation } = await run({ deliveryType: 'automated', snapshotId: 'latest' });

    // Assess
    expect(f.reporter.deferrals[0]).toMatchObject({ code: 'SNAPSHOT_IN_PROGRESS' });
    expect(operation).toMatchObject({ outcome: 'succeeded' });
  });

  it('never picks a fallback snapshot as latest, but restores one named explicitly', async () => {
    // Prepare: the newest completed snapshot is a fallback one.
    f = await simulatorFixture();
    const { groupId, sourceClusterName, completedSnapshotId } = f.sim.seed;
    const fallback = f.sim.state.addSnapshot(groupId, sourceClusterName, {
      snapshotType: 'fallback',
      startedAt: f.clock.now() - 3_600_000,
    });

    // Act
    const { operation: latest } = await run({ deliveryType: 'automated', snapshotId: 'latest' });

    // Assess
    expect(latest).toMatchObject({ outcome: 'succeeded', snapshotId: completedSnapshotId });
    f.queue.put(
      JSON.stringify({
        groupId,
        clusterName: sourceClusterName,
        requestId: 'req-2',
        deliveryType: 'download',
        snapshotId: fallback,
      }),
    );
    await drain(f, createRestoreService(f.deps));
    expect(await f.ledger.get('req-2')).toMatchObject({ outcome: 'succeeded', snapshotId: fallback });
  });
});
