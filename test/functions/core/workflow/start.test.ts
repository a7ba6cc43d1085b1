import { describe, expect, it } from 'vitest';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { atlasError, crashAfter, fixture, GROUP, requests, SOURCE, TARGET } from './fakes.ts';
import { drain, runRequest } from './harness.ts';
import { FakeVerifier } from './verifier-fake.ts';

describe('Workflow: start', () => {
  it('restores the newest completed snapshot onto the target and records RTO, RPO, polls and calls', async () => {
    // Prepare
    const f = fixture();
    const newest = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 3600_000 });
    const requestedAt = f.clock.now();

    // Act
    const { failures } = await runRequest(f, requests.automated());

    // Assess
    expect(failures).toEqual([]);
    const jobs = f.atlas.allJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ deliveryType: 'automated', snapshotId: newest, targetClusterName: TARGET });
    const [operation] = f.reporter.outcomes;
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(operation).toMatchObject({
      outcome: 'succeeded',
      snapshotId: newest,
      snapshotAt: requestedAt - 3600_000,
      rpoSeconds: 3600,
      rtoSeconds: 240,
      restoreJobId: jobs[0]?.id,
      adopted: false,
    });
    expect(operation?.polls).toBeGreaterThanOrEqual(4);
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored?.outcome).toBe('succeeded');
    expect(stored?.atlasCalls).toBe(f.atlas.calls.length);
    expect(stored?.polls).toBe(f.atlas.count('getRestoreJob'));
  });

  it('restores a download without a target and never reports the download URL', async () => {
    // Prepare
    const f = fixture({ config: { allowedTargets: [] } });

    // Act
    await runRequest(f, requests.download());

    // Assess
    expect(f.atlas.allJobs()).toMatchObject([{ deliveryType: 'download', targetClusterName: undefined }]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('download ready');
    expect(JSON.stringify([f.reporter.outcomes, f.log.lines, [...f.ledger.items.values()]])).not.toContain(
      'secret-link',
    );
  });

  it('restores to a point in time with the time as the data time (RPO) and no snapshot id', async () => {
    // Prepare
    const f = fixture();
    const request = requests.pointInTime();

    // Act
    await runRequest(f, request);

    // Assess
    expect(f.atlas.allJobs()).toMatchObject([
      { deliveryType: 'pointInTime', snapshotId: undefined, pointInTimeUTCSeconds: request.pointInTimeUTCSeconds },
    ]);
    expect(f.reporter.outcomes).toMatchObject([
      { outcome: 'succeeded', snapshotAt: (request.pointInTimeUTCSeconds ?? 0) * 1000, rpoSeconds: 3600 },
    ]);
  });

  it('submits oplogTs and oplogInc as given', async () => {
    // Prepare
    const f = fixture();
    // Inside the window: after the oldest completed snapshot (9 h before the clock's start).
    const oplogTs = Math.floor(Date.UTC(2026, 10, 28, 4, 0, 0) / 1000);
    const request = requests.pointInTime({ pointInTimeUTCSeconds: undefined, oplogTs, oplogInc: 7 });

    // Act
    await runRequest(f, request);

    // Assess
    expect(f.atlas.allJobs()).toMatchObject([{ deliveryType: 'pointInTime', oplogTs, oplogInc: 7 }]);
  });

  it('restores an explicit snapshot id', async () => {
    // Prepare
    const f = fixture();
    const older = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 48 * 3600_000 });

    // Act
    await runRequest(f, requests.automated({ snapshotId: older }));

    // Assess
    expect(f.atlas.allJobs()).toMatchObject([{ snapshotId: older }]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', rpoSeconds: 48 * 3600 }]);
  });

  it('reads snapshots of a sharded cluster through the sharded endpoints', async () => {
    // Prepare
    const f = fixture();
    f.atlas.addCluster(GROUP, SOURCE, { clusterType: 'SHARDED' });

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.atlas.calls.filter((call) => call.operation === 'listSnapshots')).toMatchObject([{ sharded: true }]);
  });

  it('refuses a target off the allow-list without calling Atlas', async () => {
    // Prepare
    const f = fixture({ config: { allowedTargets: [] } });

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.atlas.calls).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'refused', errorCode: 'TARGET_NOT_ALLOWED' }]);
  });

  it.each([
    [
      'a source off ALLOWED_SOURCES',
      { allowedSources: [`${GROUP}/other`] },
      requests.automated(),
      'SOURCE_NOT_ALLOWED',
    ],
    [
      'a download of a source without the opt-in',
      { allowedSources: [`${GROUP}/*`], downloadAllowedSources: [] },
      requests.download(),
      'DOWNLOAD_NOT_ALLOWED',
    ],
  ])('refuses %s without calling Atlas, recorded and reported as refused', async (_case, lists, request, code) => {
    // Prepare
    const f = fixture({ config: lists });

    // Act
    const { failures } = await runRequest(f, request);

    // Assess
    expect(failures).toEqual([]);
    expect(f.atlas.calls).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'refused', errorCode: code }]);
    expect(await f.ledger.get(request.requestId ?? '')).toMatchObject({ outcome: 'refused', errorCode: code });
  });

  it('refuses restoring a cluster onto itself unless SOURCE_OVERWRITE_ALLOWED has it', async () => {
    // Prepare
    const self = `${GROUP}/${SOURCE}`;
    const refused = fixture({ config: { allowedTargets: [self] } });
    const allowed = fixture({ config: { allowedTargets: [self], sourceOverwriteAllowed: [self] } });
    const onto = requests.automated({ targetClusterName: SOURCE });

    // Act
    await runRequest(refused, onto);
    await runRequest(allowed, onto);

    // Assess
    expect(refused.reporter.outcomes).toMatchObject([
      { outcome: 'refused', errorCode: 'SOURCE_OVERWRITE_NOT_ALLOWED' },
    ]);
    expect(refused.atlas.calls).toEqual([]);
    expect(allowed.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
  });

  it.each([
    ['a missing snapshot', { snapshotId: 'aaaaaaaaaaaaaaaaaaaaaaaa' }, 'SNAPSHOT_NOT_FOUND'],
    ['a failed snapshot', { snapshotId: 'failed' }, 'SNAPSHOT_FAILED'],
  ])('fails on %s without submitting', async (_name, overrides, errorCode) => {
    // Prepare
    const f = fixture();
    const snapshotId =
      overrides.snapshotId === 'failed'
        ? f.atlas.addSnapshot(GROUP, SOURCE, { status: 'failed' })
        : overrides.snapshotId;

    // Act
    await runRequest(f, requests.automated({ snapshotId }));

    // Assess
    expect(f.atlas.count('createRestoreJob')).toBe(0);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode }]);
  });

  it('fails when the source has no completed snapshot', async () => {
    // Prepare
    const f = fixture();
    f.atlas.snapshots.clear();

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'NO_COMPLETED_SNAPSHOT' }]);
  });

  it('fails with the Atlas errorCode on a permanent error before submitting', async () => {
    // Prepare
    const f = fixture();
    f.atlas.clusters.delete(`${GROUP}/${SOURCE}`);

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'CLUSTER_NOT_FOUND' }]);
  });

  it('retries the start after a retryable Atlas error, then succeeds', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('listSnapshots', () => atlasError('listBackupSnapshots', 503, 'SERVICE_UNAVAILABLE'));

    // Act
    const { failures } = await runRequest(f, requests.automated());

    // Assess
    expect(failures).toHaveLength(1);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
    expect(f.atlas.allJobs()).toHaveLength(1);
    // The failed attempt's calls are counted too.
    expect((await f.ledger.get('drill-2026-11-28'))?.atlasCalls).toBe(f.atlas.calls.length);
  });

  it('gives every Atlas call the invocation deadline', async () => {
    // Prepare
    const f = fixture();

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.atlas.calls.length).toBeGreaterThan(0);
    for (const call of f.atlas.calls) expect(call.deadline).toBeTypeOf('number');
  });
});

describe('Workflow: deferral', () => {
  it('defers while an on-demand snapshot of the source is in progress, then restores', async () => {
    // Prepare
    const f = fixture();
    const running = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'inProgress', snapshotType: 'onDemand' });
    const service = createRestoreService(f.deps);
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const first = f.queue.takeNext();
    if (!first) throw new Error('no message');
    await service.handleMessage(first.body, { messageId: first.id }, { deadline: Date.now() + 60_000 });
    const deferred = f.queue.sent.at(-1);
    f.atlas.setSnapshotStatus(running, 'completed');
    await drain(f, service);

    // Assess
    expect(deferred).toMatchObject({ message: { kind: 'start', step: 1 }, delaySeconds: 60 });
    expect(f.reporter.deferrals).toMatchObject([{ code: 'SNAPSHOT_IN_PROGRESS', delaySeconds: 60 }]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', deferAttempts: 1, snapshotId: running }]);
    expect(f.atlas.allJobs()).toHaveLength(1);
  });

  it.each([
    ['paused', { paused: true }, 'TARGET_PAUSED'],
    ['not IDLE', { stateName: 'UPDATING' }, 'TARGET_NOT_IDLE'],
  ])('defers while the target is %s, and fails past DEFER_MAX_ATTEMPTS with backoff', async (_name, patch, code) => {
    // Prepare
    const f = fixture({ config: { deferMaxAttempts: 3 } });
    f.atlas.addCluster(GROUP, TARGET, patch);

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.deferrals.map((deferral) => [deferral.code, deferral.delaySeconds])).toEqual([
      [code, 60],
      [code, 120],
      [code, 240],
    ]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'DEFER_LIMIT_REACHED' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain(code);
    expect(f.atlas.count('createRestoreJob')).toBe(0);
  });

  it('defers while another restore job runs onto the same target', async () => {
    // Prepare
    const f = fixture({ config: { deferMaxAttempts: 5 } });
    f.atlas.addJob(
      { groupId: GROUP, clusterName: SOURCE },
      { deliveryType: 'automated', targetGroupId: GROUP, targetClusterName: TARGET },
    );

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.deferrals[0]).toMatchObject({ code: 'RESTORE_IN_PROGRESS' });
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
    expect(f.atlas.allJobs()).toHaveLength(2);
  });

  it('defers on 409 ATLAS_CLUSTER_RESTORE_IN_PROGRESS after the claim, releasing it, then submits once', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('createRestoreJob', () =>
      atlasError('createBackupRestoreJob', 409, 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS'),
    );

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.deferrals).toMatchObject([{ code: 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS' }]);
    expect(f.atlas.allJobs()).toHaveLength(1);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', adopted: false }]);
  });

  it('times out when deferrals pass maxWaitMinutes, without submitting', async () => {
    // Prepare
    const f = fixture({ config: { deferMaxAttempts: 100 } });
    f.atlas.addSnapshot(GROUP, SOURCE, { status: 'queued', snapshotType: 'onDemand' });

    // Act
    await runRequest(f, requests.automated({ maxWaitMinutes: 30 }));

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('SNAPSHOT_IN_PROGRESS');
    expect(f.atlas.count('createRestoreJob')).toBe(0);
  });
});

describe('Workflow: dry run', () => {
  it('checks everything, submits nothing and says what it would do', async () => {
    // Prepare
    const f = fixture();

    // Act
    await runRequest(f, requests.automated({ dryRun: true }));

    // Assess
    expect(f.atlas.count('createRestoreJob')).toBe(0);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'dryRun' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toMatch(/^would restore snapshot [a-f0-9]{24} .* onto .*dr-drill/);
    expect((await f.ledger.get('drill-2026-11-28'))?.claimToken).toBeUndefined();
  });

  it('reports that it would wait instead of deferring', async () => {
    // Prepare
    const f = fixture();
    f.atlas.addCluster(GROUP, TARGET, { paused: true });

    // Act
    await runRequest(f, requests.automated({ dryRun: true }));

    // Assess
    expect(f.reporter.deferrals).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([
      { outcome: 'dryRun', outcomeReason: `would wait: target ${TARGET} is paused` },
    ]);
  });

  it('still refuses a target off the allow-list', async () => {
    // Prepare
    const f = fixture({ config: { allowedTargets: [] } });

    // Act
    await runRequest(f, requests.automated({ dryRun: true }));

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'refused' }]);
  });
});

describe('Workflow: start at the deadline and after a claim (issue 18)', () => {
  it('submits nothing once maxWait has run out, from the deadline itself on', async () => {
    // Prepare: the target is paused, so the first start defers for 60 s: the second start lands on the deadline.
    const f = fixture({ config: { pollMinDelaySeconds: 60, deferMaxAttempts: 100 } });
    f.atlas.addCluster(GROUP, TARGET, { paused: true });
    const requestedAt = f.clock.now();

    // Act
    await runRequest(f, requests.automated({ maxWaitMinutes: 1 }));

    // Assess
    expect(f.reporter.deferrals).toHaveLength(1);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
    expect(f.reporter.outcomes[0]?.finishedAt).toBe(requestedAt + 60_000);
    expect(f.atlas.count('createRestoreJob')).toBe(0);
  });

  it('fails the message with the Atlas error, and keeps the operation, when a permanent error follows its own unanswered POST', async () => {
    // Prepare: the POST fails in flight without effect, then listing the jobs to find it is refused (403).
    const f = fixture();
    const service = createRestoreService(f.deps);
    f.atlas.failNext('createRestoreJob', () => {
      f.atlas.failNext('listRestoreJobs', () => atlasError('listBackupRestoreJobs', 403, 'USER_UNAUTHORIZED'));
      return atlasError('createBackupRestoreJob', undefined, undefined, { ambiguous: true, retryable: true });
    });

    // Act
    const error = await service
      .handleMessage(JSON.stringify(requests.automated()), { messageId: 'm-1' }, { deadline: Date.now() + 60_000 })
      .catch((caught: unknown) => caught);
    const stored = await f.ledger.get('drill-2026-11-28');

    // Assess: a job may exist, so nothing is decided: the message fails with what Atlas said, the claim stays.
    expect(error).toMatchObject({ status: 403, errorCode: 'USER_UNAUTHORIZED' });
    expect(stored?.outcome).toBeUndefined();
    expect(stored?.claimToken).toBeTypeOf('string');
    expect(f.reporter.outcomes).toEqual([]);
  });
});

describe('Workflow: start, what Atlas refuses and what a dry run says (issue 18)', () => {
  it.each([
    'UNFINISHED_ON_DEMAND_SNAPSHOT',
    'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT',
    'CLUSTER_PAUSED_CANNOT_RESTORE',
  ])('defers, then submits once, when Atlas refuses the POST with %s', async (errorCode) => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('createRestoreJob', () => atlasError('createBackupRestoreJob', 409, errorCode));

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.deferrals).toMatchObject([{ code: errorCode, operation: { operationId: 'drill-2026-11-28' } }]);
    expect(f.reporter.deferrals[0]?.operation.deferAttempts).toBe(1);
    expect(f.atlas.allJobs()).toHaveLength(1);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
  });

  it('fails with HTTP_<status> when Atlas refuses for good without an error code, before or at the POST', async () => {
    // Prepare
    const atPost = fixture();
    atPost.atlas.failNext('createRestoreJob', () => atlasError('createBackupRestoreJob', 400));
    const before = fixture();
    before.atlas.failNext('getCluster', () => atlasError('getCluster', 403));

    // Act
    await runRequest(atPost, requests.automated());
    await runRequest(before, requests.automated());

    // Assess
    expect(atPost.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'HTTP_400' }]);
    expect(before.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'HTTP_403' }]);
  });

  it('waits for a snapshot named explicitly that is still being taken, even a scheduled one', async () => {
    // Prepare
    const f = fixture({ config: { deferMaxAttempts: 1 } });
    const taking = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'inProgress', snapshotType: 'scheduled' });

    // Act
    await runRequest(f, requests.automated({ snapshotId: taking }));

    // Assess
    expect(f.reporter.deferrals).toMatchObject([{ code: 'SNAPSHOT_IN_PROGRESS' }]);
    expect(f.atlas.count('createRestoreJob')).toBe(0);
  });

  it('keeps what Atlas said as the cause when its own unanswered POST shows no job yet', async () => {
    // Prepare
    const f = fixture();
    const lost = atlasError('createBackupRestoreJob', undefined, undefined, { ambiguous: true, retryable: true });
    f.atlas.failNext('createRestoreJob', () => lost);
    const service = createRestoreService(f.deps);

    // Act
    const error = await service
      .handleMessage(JSON.stringify(requests.automated()), { messageId: 'm-1' }, { deadline: Date.now() + 60_000 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'SUBMIT_UNCONFIRMED' });
    expect((error as Error).cause).toBe(lost);
  });

  it('reports the snapshot, its time and the RPO a dry run would restore; a point in time by its instant', async () => {
    // Prepare
    const f = fixture();
    const requestedAt = f.clock.now();
    const pit = fixture();
    const instant = Math.floor(requestedAt / 1000) - 3600;

    // Act
    await runRequest(f, requests.automated({ dryRun: true }));
    await runRequest(pit, requests.pointInTime({ dryRun: true, pointInTimeUTCSeconds: instant }));

    // Assess
    const [dry] = f.reporter.outcomes;
    expect(dry).toMatchObject({ outcome: 'dryRun', snapshotAt: requestedAt - 3 * 3600_000, rpoSeconds: 3 * 3600 });
    expect(dry?.snapshotId).toMatch(/^[0-9a-f]{24}$/);
    expect(pit.reporter.outcomes[0]).toMatchObject({ outcome: 'dryRun', snapshotAt: instant * 1000, rpoSeconds: 3600 });
    expect(pit.reporter.outcomes[0]?.outcomeReason).toContain(`point in time ${instant} `);
  });
});

describe('Workflow: a dry run that would wait (issue 18)', () => {
  it('reports no snapshot time or RPO when it would wait', async () => {
    // Prepare
    const f = fixture();
    f.atlas.addCluster(GROUP, TARGET, { paused: true });

    // Act
    await runRequest(f, requests.automated({ dryRun: true }));

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'dryRun' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toMatch(/^would wait: /);
    expect(f.reporter.outcomes[0]).not.toHaveProperty('rpoSeconds');
  });
});

describe('Workflow: start, the source inventory and the snapshot topology (issue 18)', () => {
  function verifiedFixture(config: NonNullable<Parameters<typeof fixture>[0]>['config'] = {}) {
    const f = fixture({ config });
    const verifier = new FakeVerifier(f.clock);
    return { f, verifier, deps: { ...f.deps, ledger: verifier.observe(f.ledger), verificationQueue: verifier } };
  }

  it('asks the verifier for the source inventory once when restoring a source onto itself, not again at the POST', async () => {
    // Prepare
    const self = `${GROUP}/${SOURCE}`;
    const { f, verifier, deps } = verifiedFixture({ allowedTargets: [self], sourceOverwriteAllowed: [self] });
    f.queue.put(JSON.stringify(requests.automated({ verify: {}, targetClusterName: SOURCE })));

    // Act
    await drain(f, createRestoreService(deps));

    // Assess: it waited once for the inventory, then submitted without asking for it again.
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', deferAttempts: 1 }]);
    expect(verifier.received.map(({ message }) => message.kind)).toEqual(['inventory', 'verify']);
  });

  it('restores a verified drill onto another cluster without waiting for the source inventory', async () => {
    // Prepare: the verifier never records the inventory; only a restore over its own source needs it first.
    const { f, verifier, deps } = verifiedFixture();
    verifier.recordsInventory = false;
    f.queue.put(JSON.stringify(requests.automated({ verify: {} })));

    // Act
    await drain(f, createRestoreService(deps));

    // Assess
    expect(f.reporter.deferrals).toEqual([]);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
    expect(verifier.received.map(({ message }) => message.kind)).toEqual(['inventory', 'verify']);
  });

  it('restores the newest snapshot of the topology the source has now, never a newer one from before a conversion', async () => {
    // Prepare: the source was converted to sharded 4 h ago; its replica-set snapshots (3 h and 9 h old) remain.
    const f = fixture();
    f.atlas.addCluster(GROUP, SOURCE, { clusterType: 'SHARDED' });
    const sharded = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 3.5 * 3600_000 });
    const list = f.atlas.snapshots.get(`${GROUP}/${SOURCE}`) ?? [];
    f.atlas.snapshots.set(
      `${GROUP}/${SOURCE}`,
      list.map((snapshot) => (snapshot.id === sharded ? { ...snapshot, type: 'shardedCluster' } : snapshot)),
    );

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.atlas.allJobs()).toMatchObject([{ snapshotId: sharded }]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', snapshotId: sharded }]);
  });
});

describe('Workflow: start, adopting after its own POST (issue 18)', () => {
  const source = { groupId: GROUP, clusterName: SOURCE };
  const onto = { deliveryType: 'automated' as const, targetGroupId: GROUP, targetClusterName: TARGET };

  it('never adopts, after its own POST went unanswered, a matching job no operation owns that was listed before its claim', async () => {
    // Prepare: the same restore, started by hand, finished a minute ago; this operation's POST then fails in flight.
    const f = fixture();
    const snapshotId = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 3600_000 });
    const byHand = f.atlas.addJob(source, { ...onto, snapshotId }, f.clock.now() - f.atlas.restoreMs - 60_000);
    f.atlas.failNext('createRestoreJob', () =>
      atlasError('createBackupRestoreJob', 502, undefined, { retryable: true, ambiguous: true }),
    );

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess: the lost POST is unconfirmed; after the lease the operation submits and follows its own job.
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(report.failures.map(({ error }) => (error as { code?: string }).code)[0]).toBe('SUBMIT_UNCONFIRMED');
    expect(stored).toMatchObject({ outcome: 'succeeded', adopted: false });
    expect(stored?.restoreJobId).not.toBe(byHand.id);
    expect(f.ledger.jobOwners.get(byHand.id)).toBeUndefined();
  });

  it('ends the redelivery that adopts the job its crashed attempt already owned, with no further retry', async () => {
    // Prepare: the attempt POSTs, owns its job, and dies before recording it; the retry comes after the claim lease.
    const f = fixture();
    const service = createRestoreService({ ...f.deps, ledger: crashAfter(f.ledger, 'ownJob') });
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const report = await drain(f, service, { visibilityTimeoutMs: (f.config.claimLeaseSeconds + 60) * 1000 });

    // Assess
    expect(report.failures.map(({ error }) => (error as Error).name)).toEqual(['SimulatedCrash']);
    expect(f.atlas.allJobs()).toHaveLength(1);
    expect(f.reporter.outcomes).toMatchObject([
      { outcome: 'succeeded', adopted: true, restoreJobId: f.atlas.allJobs()[0]?.id },
    ]);
  });

  it('blames no Atlas error when another operation took the job its POST created', async () => {
    // Prepare: another operation (its own POST unanswered) owns this POST's job before this one can.
    const f = fixture();
    const create = f.atlas.createRestoreJob.bind(f.atlas);
    f.atlas.createRestoreJob = async (...args) => {
      const job = await create(...args);
      if (f.ledger.jobOwners.size === 0) f.ledger.jobOwners.set(job.id, 'drill-by-hand');
      return job;
    };

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess: Atlas answered the POST; the retry waits for the lease, and the error carries no cause.
    const [taken] = report.failures;
    expect(taken?.error).toMatchObject({ code: 'SUBMIT_UNCONFIRMED' });
    expect(Object.hasOwn(taken?.error as Error, 'cause')).toBe(false);
  });
});
