import { describe, expect, it } from 'vitest';
import type { RestoreJob, Snapshot } from '../../../../functions/core/atlas/model.ts';
import { workflowConfig } from '../../../../functions/core/config.ts';
import { checkGuardrails } from '../../../../functions/core/workflow/guardrails.ts';
import {
  chooseSnapshot,
  findSubmittedJob,
  restoreJobBody,
  restoreRunningOnto,
} from '../../../../functions/core/workflow/preflight.ts';
import { GROUP, objectId, requests, SOURCE, TARGET } from './fakes.ts';

const T0 = Date.UTC(2026, 10, 28, 6, 0, 0);

function snapshot(status: Snapshot['status'], createdAt?: number, id = objectId(createdAt ?? T0)): Snapshot {
  return { id, status, createdAt: createdAt === undefined ? undefined : new Date(createdAt).toISOString() } as Snapshot;
}

function job(at: number, overrides: Partial<RestoreJob> = {}): RestoreJob {
  return {
    id: objectId(at),
    deliveryType: 'automated',
    snapshotId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
    targetGroupId: GROUP,
    targetClusterName: TARGET,
    cancelled: false,
    failed: false,
    expired: false,
    deliveryUrl: [],
    components: [],
    ...overrides,
  } as RestoreJob;
}

describe('Preflight: choosing the snapshot', () => {
  it('picks the newest completed snapshot whatever the list order', () => {
    // Prepare
    const newest = snapshot('completed', T0 - 3600_000);
    const list = [snapshot('completed', T0 - 7200_000), snapshot('inProgress'), newest, snapshot('failed', T0)];

    // Act
    const choice = chooseSnapshot(requests.automated(), list);

    // Assess
    expect(choice).toEqual({ kind: 'chosen', snapshotId: newest.id, snapshotAt: T0 - 3600_000 });
  });

  it('waits for an explicit snapshot that is still being taken', () => {
    // Prepare
    const queued = snapshot('queued');

    // Act
    const choice = chooseSnapshot(requests.automated({ snapshotId: queued.id }), [queued]);

    // Assess
    expect(choice).toMatchObject({ kind: 'defer', deferral: { code: 'SNAPSHOT_IN_PROGRESS' } });
  });
});

describe('Preflight: guardrails', () => {
  it('needs the target on the allow-list and, onto the source itself, the source-overwrite list too', () => {
    // Prepare
    const allowed = workflowConfig({ allowedTargets: [`${GROUP}/${TARGET}`, `${GROUP}/${SOURCE}`] });

    // Act
    const verdicts = [
      checkGuardrails(requests.automated(), allowed),
      checkGuardrails(requests.automated({ targetClusterName: 'elsewhere' }), allowed),
      checkGuardrails(requests.automated({ targetClusterName: SOURCE }), allowed),
      checkGuardrails(requests.pointInTime({ targetGroupId: 'ffffffffffffffffffffffff' }), allowed),
      checkGuardrails(requests.download(), workflowConfig()),
    ];

    // Assess
    expect(verdicts.map((verdict) => verdict?.code)).toEqual([
      undefined,
      'TARGET_NOT_ALLOWED',
      'SOURCE_OVERWRITE_NOT_ALLOWED',
      'TARGET_NOT_ALLOWED',
      undefined,
    ]);
  });
});

describe('Preflight: finding the job an earlier attempt submitted', () => {
  const body = restoreJobBody(requests.automated(), 'aaaaaaaaaaaaaaaaaaaaaaaa');

  it('matches delivery type, snapshot, target and creation time, oldest first', () => {
    // Prepare
    const floor = T0 - 120_000;
    const ours = job(T0 + 5_000);
    const later = job(T0 + 60_000);
    const jobs = [
      later,
      job(T0 - 600_000),
      job(T0, { snapshotId: 'bbbbbbbbbbbbbbbbbbbbbbbb' }),
      job(T0, { targetClusterName: 'other' }),
      job(T0, { deliveryType: 'download', targetClusterName: undefined, targetGroupId: undefined }),
      ours,
    ];

    // Act
    const found = findSubmittedJob(jobs, body, floor);

    // Assess
    expect(found?.id).toBe(ours.id);
  });

  it('tolerates clock skew between our claim and Atlas’s ObjectId time', () => {
    // Prepare: Atlas's clock runs 90 s behind ours
    const claimedAt = T0;
    const skewed = job(claimedAt - 90_000);

    // Act
    const withTolerance = findSubmittedJob([skewed], body, claimedAt - 120_000);
    const without = findSubmittedJob([skewed], body, claimedAt);

    // Assess
    expect(withTolerance?.id).toBe(skewed.id);
    expect(without).toBeUndefined();
  });

  it('matches point-in-time jobs on their time when Atlas echoes it', () => {
    // Prepare
    const pit = restoreJobBody(requests.pointInTime({ pointInTimeUTCSeconds: 1_764_300_000 }), undefined);
    const same = job(T0, { deliveryType: 'pointInTime', snapshotId: undefined, pointInTimeUTCSeconds: 1_764_300_000 });
    const other = job(T0, { deliveryType: 'pointInTime', snapshotId: undefined, pointInTimeUTCSeconds: 1_764_300_001 });

    // Act
    const found = findSubmittedJob([other, same], pit, T0 - 1000);

    // Assess
    expect(found?.id).toBe(same.id);
  });

  it('sees a pending restore onto the same target, and ignores finished ones and downloads', () => {
    // Act
    const running = restoreRunningOnto([job(T0, { finishedAt: new Date(T0).toISOString() }), job(T0)], {
      groupId: GROUP,
      clusterName: TARGET,
    });
    const none = restoreRunningOnto([job(T0, { failed: true })], { groupId: GROUP, clusterName: TARGET });

    // Assess
    expect(running?.code).toBe('RESTORE_IN_PROGRESS');
    expect(none).toBeUndefined();
  });
});
