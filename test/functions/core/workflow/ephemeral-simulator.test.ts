import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import { ephemeralClusterName } from '../../../../functions/core/workflow/ephemeral/naming.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { RecordingReaper } from './fakes.ts';
import { drain } from './harness.ts';
import { type SimulatorFixture, simulatorFixture } from './simulator-fixture.ts';

const OPERATION = 'drill-sim-1';
let open: SimulatorFixture | undefined;

afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function ephemeralDrill(target: Record<string, unknown> = {}) {
  const f = await simulatorFixture();
  open = f;
  const { groupId, sourceClusterName } = f.sim.seed;
  const reaper = new RecordingReaper();
  const config = {
    ...f.config,
    allowedDrillProjects: new Set([groupId]),
    tierPricesUsdPerHour: new Map([['M10', 0.08]]),
  };
  const service = createRestoreService({ ...f.deps, config, reaperSchedules: reaper });
  const request: RestoreRequest = {
    groupId,
    clusterName: sourceClusterName,
    deliveryType: 'automated',
    snapshotId: 'latest',
    requestId: OPERATION,
    ephemeralTarget: { groupId, ...target },
  };
  f.queue.put(JSON.stringify(request));
  const report = await drain(f, service, { maxDeliveries: 2000 });
  const name = ephemeralClusterName({ groupId }, OPERATION);
  return { f, reaper, report, groupId, name };
}

describe('Workflow on the Atlas simulator: ephemeral drill targets', () => {
  it('creates the target through the Admin API, waits for IDLE, restores into it, deletes it and records the cost', async () => {
    // Act
    const { f, reaper, groupId, name } = await ephemeralDrill();

    // Assess: Atlas saw one create and one delete of that name, and has no such cluster any more
    const operation = await f.ledger.get(OPERATION);
    expect(operation?.outcome).toBe('succeeded');
    const calls = (operationId: string) => f.sim.requests.filter((request) => request.operationId === operationId);
    expect(calls('createCluster').filter((request) => request.status === 201)).toHaveLength(1);
    expect(calls('createCluster')[0]?.body).toMatchObject({
      name,
      clusterType: 'REPLICASET',
      mongoDBMajorVersion: '8.0',
      tags: [
        { key: 'atlas-restore-operation', value: OPERATION },
        { key: 'atlas-restore-created-by', value: 'atlas-restore-orchestrator' },
      ],
    });
    expect(calls('deleteCluster').length).toBeGreaterThanOrEqual(1);
    expect(f.sim.state.cluster(groupId, name)).toBeUndefined();
    const [job] = f.sim.state.restoreJobs(groupId, f.sim.seed.sourceClusterName);
    expect(job).toMatchObject({ targetClusterName: name, targetGroupId: groupId });
    const record = operation?.ephemeralCluster;
    expect(record?.idleAt).toBeGreaterThan(record?.createdAt ?? Number.NaN);
    expect(record?.deletedAt).toBeGreaterThan(record?.deleteRequestedAt ?? Number.NaN);
    expect(record?.clusterHours).toBeGreaterThan(0);
    expect(record?.estimatedCostUsd).toBeGreaterThanOrEqual(0);
    expect(reaper.calls.map((call) => call.kind)).toEqual(['schedule', 'cancel']);
  });

  it('refuses a disk smaller than the source before creating anything', async () => {
    // Prepare: the seeded source has 10 GB; nothing smaller is valid, so a larger source is made
    const f = await simulatorFixture();
    open = f;
    const { groupId } = f.sim.seed;
    f.sim.state.addCluster(groupId, { name: 'big-source', diskSizeGB: 80 });
    f.sim.state.addSnapshot(groupId, 'big-source');
    const service = createRestoreService({
      ...f.deps,
      config: { ...f.config, allowedDrillProjects: new Set([groupId]) },
      reaperSchedules: new RecordingReaper(),
    });
    f.queue.put(
      JSON.stringify({
        groupId,
        clusterName: 'big-source',
        deliveryType: 'automated',
        requestId: OPERATION,
        ephemeralTarget: { groupId, diskSizeGB: 40 },
      }),
    );

    // Act
    await drain(f, service);

    // Assess
    expect(await f.ledger.get(OPERATION)).toMatchObject({ outcome: 'refused', errorCode: 'EPHEMERAL_DISK_TOO_SMALL' });
    expect(f.sim.requests.filter((request) => request.operationId === 'createCluster')).toEqual([]);
  });
});
