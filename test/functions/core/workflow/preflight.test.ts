import { describe, expect, it } from 'vitest';
import type { RestoreJob, Snapshot } from '../../../../functions/core/atlas/model.ts';
import { defaultWorkflowConfig, workflowConfig } from '../../../../functions/core/config.ts';
import { checkGuardrails } from '../../../../functions/core/workflow/guardrails.ts';
import {
  chooseSnapshot,
  findSubmittedJobs,
  matchingJobs,
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

  it('reads the topology from the snapshot type, in both spellings, and picks only snapshots the cluster can restore', () => {
    // Prepare: a cluster converted from a replica set to sharded keeps its replica-set snapshots.
    const sharded = { ...snapshot('completed', T0 - 7200_000), type: 'shardedCluster' };
    const shardedOwn = { ...snapshot('completed', T0 - 9000_000), type: 'SHARDED_CLUSTER' };
    const replicaSet = { ...snapshot('completed', T0 - 3600_000), type: 'replicaSet' };

    // Act
    const forSharded = chooseSnapshot(requests.automated(), [replicaSet, sharded, shardedOwn], { sharded: true });
    const forReplicaSet = chooseSnapshot(requests.automated(), [replicaSet, sharded], { sharded: false });
    const explicit = chooseSnapshot(requests.automated({ snapshotId: replicaSet.id }), [replicaSet], { sharded: true });

    // Assess
    expect(forSharded).toMatchObject({ kind: 'chosen', snapshotId: sharded.id });
    expect(forReplicaSet).toMatchObject({ kind: 'chosen', snapshotId: replicaSet.id });
    expect(explicit).toMatchObject({ kind: 'fail', code: 'SNAPSHOT_TOPOLOGY_MISMATCH' });
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

describe('Preflight: source allow-list and download opt-in', () => {
  const OTHER_GROUP = 'ffffffffffffffffffffffff';
  const restoreTo = { allowedTargets: [`${GROUP}/${TARGET}`] };

  it.each([
    ['a listed source', { allowedSources: [`${GROUP}/${SOURCE}`] }, requests.automated(), undefined],
    ['a source of a listed project (groupId/*)', { allowedSources: [`${GROUP}/*`] }, requests.automated(), undefined],
    ['an unlisted source', { allowedSources: [`${GROUP}/other`] }, requests.automated(), 'SOURCE_NOT_ALLOWED'],
    [
      'a same-named source in another project',
      { allowedSources: [`${OTHER_GROUP}/${SOURCE}`, `${OTHER_GROUP}/*`] },
      requests.automated(),
      'SOURCE_NOT_ALLOWED',
    ],
    ['any source when none is listed', { allowedSources: [] }, requests.pointInTime(), 'SOURCE_NOT_ALLOWED'],
    [
      'an unlisted source, before its (allowed) target is looked at',
      { allowedSources: [`${GROUP}/other`] },
      requests.automated({ targetClusterName: 'elsewhere' }),
      'SOURCE_NOT_ALLOWED',
    ],
    [
      'a download of a listed source that did not opt in',
      { allowedSources: [`${GROUP}/*`], downloadAllowedSources: [] },
      requests.download(),
      'DOWNLOAD_NOT_ALLOWED',
    ],
    [
      'a download of a source that opted in',
      { allowedSources: [`${GROUP}/*`], downloadAllowedSources: [`${GROUP}/${SOURCE}`] },
      requests.download(),
      undefined,
    ],
    [
      'a download of a source opted in by project',
      { allowedSources: [`${GROUP}/${SOURCE}`], downloadAllowedSources: [`${GROUP}/*`] },
      requests.download(),
      undefined,
    ],
    [
      'a download opted in but not an allowed source',
      { allowedSources: [], downloadAllowedSources: [`${GROUP}/${SOURCE}`] },
      requests.download(),
      'SOURCE_NOT_ALLOWED',
    ],
    [
      'a restore onto a target, which needs no download opt-in',
      { allowedSources: [`${GROUP}/${SOURCE}`], downloadAllowedSources: [] },
      requests.automated(),
      undefined,
    ],
  ])('decides %s', (_case, lists, request, code) => {
    // Act
    const verdict = checkGuardrails(request, workflowConfig({ ...restoreTo, ...lists }));

    // Assess
    expect(verdict?.code).toBe(code);
    if (code === 'SOURCE_NOT_ALLOWED') expect(verdict?.reason).toContain(`${request.groupId}/${request.clusterName}`);
  });

  it("reads a deployed function's empty lists as no source allowed, and only a terminal run as any", () => {
    // Act
    const deployed = checkGuardrails(requests.automated(), {
      ...defaultWorkflowConfig,
      allowedTargets: new Set([`${GROUP}/${TARGET}`]),
    });
    const terminal = checkGuardrails(requests.download(), workflowConfig());

    // Assess
    expect(deployed?.code).toBe('SOURCE_NOT_ALLOWED');
    expect(terminal).toBeUndefined();
  });
});

describe('Preflight: finding the job an earlier attempt submitted', () => {
  const body = restoreJobBody(requests.automated(), 'aaaaaaaaaaaaaaaaaaaaaaaa');

  it('matches delivery type, snapshot and target, oldest first', () => {
    // Prepare
    const older = job(T0 - 600_000);
    const newer = job(T0 + 60_000);
    const jobs = [
      newer,
      job(T0, { snapshotId: 'bbbbbbbbbbbbbbbbbbbbbbbb' }),
      job(T0, { targetClusterName: 'other' }),
      job(T0, { deliveryType: 'download', targetClusterName: undefined, targetGroupId: undefined }),
      older,
    ];

    // Act
    const matching = matchingJobs(jobs, body);

    // Assess
    expect(matching.map((each) => each.id)).toEqual([older.id, newer.id]);
  });

  it('matches on what Atlas promises per delivery type: the target for automated jobs, the instant for point in time', () => {
    // Prepare: Atlas shows no target on point-in-time jobs, and the target on automated ones.
    const instant = Math.floor(T0 / 1000) - 3600;
    const pitBody = restoreJobBody(requests.pointInTime({ pointInTimeUTCSeconds: instant }), undefined);
    const noTarget = { targetClusterName: undefined, targetGroupId: undefined, snapshotId: undefined };
    const pit = job(T0, { deliveryType: 'pointInTime', pointInTimeUTCSeconds: instant, ...noTarget });
    const otherInstant = job(T0, { deliveryType: 'pointInTime', pointInTimeUTCSeconds: instant - 60, ...noTarget });
    const otherTarget = job(T0, {
      deliveryType: 'pointInTime',
      pointInTimeUTCSeconds: instant,
      targetClusterName: 'x',
    });
    const automatedWithoutTarget = job(T0, { targetClusterName: undefined });

    // Act
    const pitMatches = matchingJobs([pit, otherInstant, otherTarget], pitBody);
    const automatedMatches = matchingJobs([automatedWithoutTarget], body);

    // Assess
    expect(pitMatches.map((each) => each.id)).toEqual([pit.id]);
    expect(automatedMatches).toEqual([]);
  });

  it('finds a submitted job among the matches that were not listed before the claim, whatever the clocks say', () => {
    // Prepare: Atlas's clock runs 5 minutes ahead of ours, so the job listed before the claim looks newer than it.
    const claimedAt = T0;
    const listedBeforeClaim = job(claimedAt + 240_000);
    const ours = job(claimedAt + 300_000);
    const jobs = [ours, listedBeforeClaim, job(claimedAt + 300_000, { snapshotId: 'bbbbbbbbbbbbbbbbbbbbbbbb' })];

    // Act
    const found = findSubmittedJobs(jobs, body, [listedBeforeClaim.id]);
    const beforeAnyClaim = findSubmittedJobs([listedBeforeClaim], body, [listedBeforeClaim.id]);

    // Assess
    expect(found.map((each) => each.id)).toEqual([ours.id]);
    expect(beforeAnyClaim).toEqual([]);
  });

  it('matches point-in-time jobs on their time when Atlas echoes it', () => {
    // Prepare
    const pit = restoreJobBody(requests.pointInTime({ pointInTimeUTCSeconds: 1_764_300_000 }), undefined);
    const same = job(T0, { deliveryType: 'pointInTime', snapshotId: undefined, pointInTimeUTCSeconds: 1_764_300_000 });
    const other = job(T0, { deliveryType: 'pointInTime', snapshotId: undefined, pointInTimeUTCSeconds: 1_764_300_001 });

    // Act
    const found = findSubmittedJobs([other, same], pit, []);

    // Assess
    expect(found.map((each) => each.id)).toEqual([same.id]);
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
