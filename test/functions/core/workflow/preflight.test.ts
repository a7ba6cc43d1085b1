import { describe, expect, it } from 'vitest';
import type { RestoreJob, Snapshot } from '../../../../functions/core/atlas/model.ts';
import { type Cluster, restoreJobSchema } from '../../../../functions/core/atlas/model.ts';
import { defaultWorkflowConfig, workflowConfig } from '../../../../functions/core/config.ts';
import { checkGuardrails } from '../../../../functions/core/workflow/guardrails.ts';
import {
  chooseSnapshot,
  findSubmittedJobs,
  isSharded,
  isShardedSnapshot,
  matchingJobs,
  permanentFailureReason,
  pointInTimeOutsideWindow,
  restoreJobBody,
  restoreRunningOnto,
  snapshotInProgress,
} from '../../../../functions/core/workflow/preflight.ts';
import { atlasError, GROUP, objectId, requests, SOURCE, TARGET } from './fakes.ts';

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

describe('Preflight: finding our own job when Atlas leaves fields out (issue 18)', () => {
  const SNAP = 'aaaaaaaaaaaaaaaaaaaaaaaa';
  const automatedBody = restoreJobBody(requests.automated(), SNAP);

  it('finds the job a POST created when Atlas lists it with its project or snapshot missing or null', () => {
    // Prepare: the same restore, echoed with fields omitted or set to null.
    const withoutGroup = job(T0, { targetGroupId: undefined });
    const nullGroup = restoreJobSchema.parse({ ...job(T0 + 1000), targetGroupId: null });
    const withoutSnapshot = job(T0 + 2000, { snapshotId: undefined });
    const nullSnapshot = restoreJobSchema.parse({ ...job(T0 + 3000), snapshotId: null });

    // Act
    const found = findSubmittedJobs([nullSnapshot, withoutSnapshot, nullGroup, withoutGroup], automatedBody, []);

    // Assess
    expect(found.map((each) => each.id)).toEqual([withoutGroup.id, nullGroup.id, withoutSnapshot.id, nullSnapshot.id]);
  });

  it('never takes a job that echoes a different project, snapshot or instant for ours', () => {
    // Prepare
    const otherGroup = job(T0, { targetGroupId: 'ffffffffffffffffffffffff' });
    const otherSnapshot = job(T0, { snapshotId: 'bbbbbbbbbbbbbbbbbbbbbbbb' });
    const instant = Math.floor(T0 / 1000) - 3600;
    const pitBody = restoreJobBody(requests.pointInTime({ pointInTimeUTCSeconds: instant }), undefined);
    const pitOtherGroup = job(T0, {
      deliveryType: 'pointInTime',
      snapshotId: undefined,
      pointInTimeUTCSeconds: instant,
      targetGroupId: 'ffffffffffffffffffffffff',
    });
    const pitWithOplog = job(T0, {
      deliveryType: 'pointInTime',
      snapshotId: undefined,
      pointInTimeUTCSeconds: instant,
      oplogTs: 5,
    });

    // Act
    const automated = matchingJobs([otherGroup, otherSnapshot], automatedBody);
    const pit = matchingJobs([pitOtherGroup, pitWithOplog], pitBody);

    // Assess
    expect(automated).toEqual([]);
    expect(pit).toEqual([]);
  });

  it('finds a point-in-time job whose target and instant details Atlas leaves out, and the snapshot it names', () => {
    // Prepare: Atlas promises the instant only; it may name the snapshot it replays from, or null what it omits.
    const instant = Math.floor(T0 / 1000) - 3600;
    const pitBody = restoreJobBody(requests.pointInTime({ pointInTimeUTCSeconds: instant }), undefined);
    const namesItsSnapshot = job(T0, {
      deliveryType: 'pointInTime',
      pointInTimeUTCSeconds: instant,
      snapshotId: SNAP,
      targetClusterName: undefined,
      targetGroupId: undefined,
      oplogTs: null,
      oplogInc: undefined,
    });

    // Act
    const found = findSubmittedJobs([namesItsSnapshot], pitBody, []);

    // Assess
    expect(found.map((each) => each.id)).toEqual([namesItsSnapshot.id]);
  });

  it('matches an oplog point in time on its timestamp, its increment when echoed, never another increment', () => {
    // Prepare
    const body = restoreJobBody(
      requests.pointInTime({ pointInTimeUTCSeconds: undefined, oplogTs: 1_764_300_000, oplogInc: 3 }),
      undefined,
    );
    const pit = {
      deliveryType: 'pointInTime',
      snapshotId: undefined,
      targetClusterName: undefined,
      targetGroupId: undefined,
    } as const;
    const same = job(T0, { ...pit, oplogTs: 1_764_300_000, oplogInc: 3 });
    const incrementLeftOut = job(T0 + 1000, { ...pit, oplogTs: 1_764_300_000, oplogInc: undefined });
    const otherIncrement = job(T0 + 2000, { ...pit, oplogTs: 1_764_300_000, oplogInc: 4 });
    const otherTimestamp = job(T0 + 3000, { ...pit, oplogTs: 1_764_300_001, oplogInc: 3 });

    // Act
    const found = matchingJobs([otherTimestamp, otherIncrement, incrementLeftOut, same], body);

    // Assess
    expect(found.map((each) => each.id)).toEqual([same.id, incrementLeftOut.id]);
  });

  it('never takes a point-in-time job that echoes no instant for ours: Atlas promises the instant', () => {
    // Prepare
    const pit = { deliveryType: 'pointInTime', snapshotId: undefined, targetClusterName: undefined } as const;
    const silent = job(T0, { ...pit, targetGroupId: undefined });
    const byTime = restoreJobBody(requests.pointInTime({ pointInTimeUTCSeconds: 1_764_300_000 }), undefined);
    const byOplog = restoreJobBody(
      requests.pointInTime({ pointInTimeUTCSeconds: undefined, oplogTs: 1_764_300_000, oplogInc: 3 }),
      undefined,
    );

    // Act
    const found = [matchingJobs([silent], byTime), matchingJobs([silent], byOplog)];

    // Assess
    expect(found).toEqual([[], []]);
  });

  it('never takes a restore of another delivery type for ours, even of the same snapshot with its target left out', () => {
    // Prepare: an automated restore of the snapshot our download asks for, listed with its target nulled.
    const downloadBody = restoreJobBody(requests.download({ snapshotId: SNAP }), SNAP);
    const automated = job(T0, { snapshotId: SNAP, targetClusterName: undefined, targetGroupId: undefined });
    const download = job(T0 + 1000, {
      deliveryType: 'download',
      snapshotId: SNAP,
      targetClusterName: undefined,
      targetGroupId: undefined,
    });

    // Act
    const found = matchingJobs([automated, download], downloadBody);

    // Assess
    expect(found.map((each) => each.id)).toEqual([download.id]);
  });

  it('orders jobs created in the same second by id, whatever order Atlas lists them in', () => {
    // Prepare: ObjectIds of one second differ in their later bytes only.
    const first = job(T0);
    const second = job(T0);
    const third = job(T0);

    // Act
    const found = matchingJobs([third, first, second], automatedBody);

    // Assess
    expect(found.map((each) => each.id)).toEqual([first.id, second.id, third.id]);
  });
});

describe('Preflight: a restore already running onto the target (issue 18)', () => {
  const target = { groupId: GROUP, clusterName: TARGET };

  it('blocks on a pending restore listed without its project, and not on one onto another cluster or project', () => {
    // Act
    const withoutGroup = restoreRunningOnto([job(T0, { targetGroupId: undefined })], target);
    const otherCluster = restoreRunningOnto([job(T0, { targetClusterName: 'elsewhere' })], target);
    const otherProject = restoreRunningOnto([job(T0, { targetGroupId: 'ffffffffffffffffffffffff' })], target);

    // Assess
    expect(withoutGroup?.code).toBe('RESTORE_IN_PROGRESS');
    expect(otherCluster).toBeUndefined();
    expect(otherProject).toBeUndefined();
  });
});

describe('Preflight: topology', () => {
  it('treats sharded and global (GEOSHARDED) clusters as sharded, replica sets not', () => {
    // Act
    const kinds = (['REPLICASET', 'SHARDED', 'GEOSHARDED'] as const).map((clusterType) =>
      isSharded({ clusterType } as Cluster),
    );

    // Assess
    expect(kinds).toEqual([false, true, true]);
  });
});

describe('Preflight: snapshot topology and choice (issue 18)', () => {
  it('reads a snapshot type in either spelling, and leaves one it does not know undecided', () => {
    // Act
    const kinds = ['shardedCluster', 'SHARDED_CLUSTER', 'replicaSet', 'REPLICA_SET', 'config', undefined].map((type) =>
      isShardedSnapshot({ ...snapshot('completed', T0), type } as Snapshot),
    );

    // Assess
    expect(kinds).toEqual([true, true, false, false, undefined, undefined]);
  });

  it('uses snapshots of any topology when the cluster type is unknown, and untyped snapshots on either', () => {
    // Prepare
    const sharded = { ...snapshot('completed', T0 - 3600_000), type: 'shardedCluster' };
    const replicaSet = { ...snapshot('completed', T0 - 7200_000), type: 'replicaSet' };
    const untyped = snapshot('completed', T0 - 1800_000);

    // Act
    const unknownCluster = chooseSnapshot(requests.automated(), [replicaSet, sharded]);
    const explicitUnknown = chooseSnapshot(requests.automated({ snapshotId: replicaSet.id }), [replicaSet], {});
    const untypedOnSharded = chooseSnapshot(requests.automated(), [sharded, untyped], { sharded: true });
    const untypedOnReplicaSet = chooseSnapshot(requests.automated(), [replicaSet, untyped], { sharded: false });

    // Assess
    expect(unknownCluster).toMatchObject({ kind: 'chosen', snapshotId: sharded.id });
    expect(explicitUnknown).toMatchObject({ kind: 'chosen', snapshotId: replicaSet.id });
    expect(untypedOnSharded).toMatchObject({ kind: 'chosen', snapshotId: untyped.id });
    expect(untypedOnReplicaSet).toMatchObject({ kind: 'chosen', snapshotId: untyped.id });
  });

  it('says which way an explicit snapshot mismatches the cluster', () => {
    // Prepare
    const sharded = { ...snapshot('completed', T0), type: 'shardedCluster' };
    const replicaSet = { ...snapshot('completed', T0), type: 'replicaSet' };

    // Act
    const onSharded = chooseSnapshot(requests.automated({ snapshotId: replicaSet.id }), [replicaSet], {
      sharded: true,
    });
    const onReplicaSet = chooseSnapshot(requests.automated({ snapshotId: sharded.id }), [sharded], { sharded: false });

    // Assess
    expect(onSharded).toMatchObject({ kind: 'fail', code: 'SNAPSHOT_TOPOLOGY_MISMATCH' });
    expect(onSharded.kind === 'fail' && onSharded.reason).toContain('a replica-set snapshot of a sharded cluster');
    expect(onReplicaSet.kind === 'fail' && onReplicaSet.reason).toContain('a sharded snapshot of a replica set');
  });

  it('never picks as latest a completed snapshot whose creation time cannot be read', () => {
    // Prepare
    const unreadable = { ...snapshot('completed', T0), createdAt: 'yesterday' };
    const readable = snapshot('completed', T0 - 3600_000);

    // Act
    const choice = chooseSnapshot(requests.automated(), [unreadable, readable]);

    // Assess
    expect(choice).toEqual({ kind: 'chosen', snapshotId: readable.id, snapshotAt: T0 - 3600_000 });
  });

  it('defers on an on-demand or untyped snapshot being taken, not on a scheduled one', () => {
    // Prepare
    const taking = (snapshotType?: string) => ({ ...snapshot('inProgress', T0), snapshotType }) as Snapshot;

    // Act
    const verdicts = [taking(undefined), taking('onDemand'), taking('scheduled'), taking('fallback')].map(
      (each) => snapshotInProgress([each])?.code,
    );

    // Assess
    expect(verdicts).toEqual(['SNAPSHOT_IN_PROGRESS', 'SNAPSHOT_IN_PROGRESS', undefined, undefined]);
  });
});

describe('Preflight: the point-in-time window (issue 18)', () => {
  const cluster = { name: SOURCE, stateName: 'IDLE', paused: false, pitEnabled: true } as Cluster;
  const instant = Math.floor(T0 / 1000) - 7200;

  it('starts the window at the oldest completed snapshot: failed, unfinished and undated ones do not count', () => {
    // Prepare: the only snapshots older than the instant failed, are still running, or cannot be dated.
    const snapshots = [
      { ...snapshot('completed', T0), createdAt: 'not a date' },
      snapshot('failed', T0 - 9 * 3600_000),
      snapshot('inProgress', T0 - 8 * 3600_000),
      snapshot('completed', T0 - 3600_000),
    ];

    // Act
    const byTime = pointInTimeOutsideWindow(
      requests.pointInTime({ pointInTimeUTCSeconds: instant }),
      cluster,
      snapshots,
    );
    const byOplog = pointInTimeOutsideWindow(
      requests.pointInTime({ pointInTimeUTCSeconds: undefined, oplogTs: instant, oplogInc: 1 }),
      cluster,
      snapshots,
    );

    // Assess
    expect(byTime?.code).toBe('PIT_OUTSIDE_WINDOW');
    expect(byTime?.reason).toMatch(/^pointInTimeUTCSeconds /);
    expect(byOplog?.code).toBe('PIT_OUTSIDE_WINDOW');
    expect(byOplog?.reason).toMatch(/^oplogTs /);
  });

  it('refuses any instant of a source with no completed snapshot', () => {
    // Act
    const refusal = pointInTimeOutsideWindow(requests.pointInTime({ pointInTimeUTCSeconds: instant }), cluster, [
      snapshot('failed', T0 - 9 * 3600_000),
    ]);

    // Assess
    expect(refusal?.code).toBe('PIT_OUTSIDE_WINDOW');
    expect(refusal?.reason).toContain('no completed snapshot');
  });
});

describe('Preflight: permanent failures and running downloads (issue 18)', () => {
  it("gives Atlas's own words for a permanent error, and the Flex endpoint for a Flex cluster", () => {
    // Prepare
    const refused = atlasError('createBackupRestoreJob', 400, 'INVALID_PIT_RESTORE_TIME');
    const flex = atlasError('getCluster', 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API');

    // Act
    const plain = permanentFailureReason(refused);
    const flexReason = permanentFailureReason(flex);

    // Assess
    expect(plain).toBe(refused.message);
    expect(flexReason).toContain(
      'POST /api/atlas/v2/groups/{groupId}/flexClusters/{name}/backup/restoreJobs, which this tool does not call',
    );
  });

  it('is not blocked by a download of the source being prepared, even one listed with the target', () => {
    // Act
    const blocker = restoreRunningOnto([job(T0, { deliveryType: 'download' })], {
      groupId: GROUP,
      clusterName: TARGET,
    });

    // Assess
    expect(blocker).toBeUndefined();
  });
});
