import { afterEach, describe, expect, it } from 'vitest';
import { type EndToEnd, startEndToEnd } from './end-to-end-harness.ts';

let e2e: EndToEnd | undefined;

afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

const jobsOf = (run: EndToEnd) => run.sim.state.restoreJobs(run.sim.seed.groupId, run.sim.seed.sourceClusterName);

describe('End to end: Atlas refusing, failing and throttling', () => {
  it('defers on 409 ATLAS_CLUSTER_RESTORE_IN_PROGRESS, then submits once', async () => {
    // Prepare
    e2e = await startEndToEnd();
    e2e.sim.faults.inject(
      { operationId: 'createBackupRestoreJob' },
      { kind: 'status', status: 409, errorCode: 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS' },
    );
    const request = e2e.request();

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(e2e.reporter.deferrals.map((deferral) => deferral.code)).toEqual(['ATLAS_CLUSTER_RESTORE_IN_PROGRESS']);
    expect(operation).toMatchObject({ outcome: 'succeeded', deferAttempts: 1 });
    expect(jobsOf(e2e)).toHaveLength(1);
  });

  it('defers while the target is paused, and restores once it is resumed', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const { groupId, targetClusterName } = e2e.sim.seed;
    e2e.sim.state.updateCluster(groupId, targetClusterName, { paused: true });
    const request = e2e.request();
    const run = e2e;

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '', {
      afterPoll: () => {
        if (run.reporter.deferrals.length > 0)
          run.sim.state.updateCluster(groupId, targetClusterName, { paused: false });
      },
    });

    // Assess
    expect(e2e.reporter.deferrals[0]).toMatchObject({ code: 'TARGET_PAUSED' });
    expect(operation.outcome).toBe('succeeded');
    expect(e2e.submissions()).toBe(1);
  });

  it('fails past DEFER_MAX_ATTEMPTS while the target stays paused, without submitting', async () => {
    // Prepare
    e2e = await startEndToEnd({ config: { deferMaxAttempts: 2 } });
    e2e.sim.state.updateCluster(e2e.sim.seed.groupId, e2e.sim.seed.targetClusterName, { paused: true });
    const request = e2e.request();

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(operation).toMatchObject({ outcome: 'failed', errorCode: 'DEFER_LIMIT_REACHED', deferAttempts: 2 });
    expect(e2e.submissions()).toBe(0);
  });

  it('fails on a missing snapshot without submitting', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const request = e2e.request({ snapshotId: 'aaaaaaaaaaaaaaaaaaaaaaaa' });

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(operation).toMatchObject({ outcome: 'failed', errorCode: 'SNAPSHOT_NOT_FOUND' });
    expect(e2e.submissions()).toBe(0);
  });

  it('rides out a storm of 429s on every endpoint', async () => {
    // Prepare
    e2e = await startEndToEnd();
    e2e.sim.faults.inject(
      { pathIncludes: '/api/atlas/', times: 8 },
      { kind: 'status', status: 429, errorCode: 'RATE_LIMITED_TOKEN_BUCKET' },
    );
    const request = e2e.request();

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(operation.outcome).toBe('succeeded');
    expect(e2e.sim.requests.filter((r) => r.status === 429)).toHaveLength(8);
    expect(jobsOf(e2e)).toHaveLength(1);
  });

  it('never submits twice after a 503 on the POST (its effect unknown): waits out the claim, then submits', async () => {
    // Prepare
    e2e = await startEndToEnd();
    e2e.sim.faults.inject(
      { operationId: 'createBackupRestoreJob' },
      { kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' },
    );
    const request = e2e.request();

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '', { timeoutMs: 25_000 });

    // Assess
    expect(operation.outcome).toBe('succeeded');
    expect(jobsOf(e2e)).toHaveLength(1);
  });

  it('adopts the job when the POST took effect but its answer was lost', async () => {
    // Prepare
    e2e = await startEndToEnd();
    e2e.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'dropAfterApply' });
    const request = e2e.request();

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(operation).toMatchObject({ outcome: 'succeeded', adopted: true });
    expect(jobsOf(e2e)).toHaveLength(1);
    expect(e2e.submissions()).toBe(1);
  });

  it('polls again, backing off, after a poll that hit 5xx and one that outlived the invocation deadline', async () => {
    // Prepare
    e2e = await startEndToEnd();
    e2e.sim.faults.inject({ operationId: 'getBackupRestoreJob', times: 3 }, { kind: 'status', status: 502 });
    e2e.sim.faults.inject({ operationId: 'getBackupRestoreJob' }, { kind: 'delay', ms: 4_500 });
    const request = e2e.request();

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(operation.outcome).toBe('succeeded');
    expect(e2e.sim.faults.pending).toBe(0);
    const backoffs = e2e.log.lines.filter((line) => line.message === 'Atlas unreachable; polling later');
    // Three 502s exhaust the client's attempts once; the slow answer is cut at the deadline once: neither fails the
    // message (no receive burned), each moves the chain on to a later poll.
    expect(backoffs.length).toBeGreaterThanOrEqual(2);
    expect(jobsOf(e2e)).toHaveLength(1);
  });

  it('times out past maxWaitMinutes and leaves the automated job running', async () => {
    // Prepare
    e2e = await startEndToEnd({ simulator: { durations: { automatedRestoreMs: 10 * 3600_000 } } });
    const request = e2e.request({ maxWaitMinutes: 5 });

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(operation).toMatchObject({ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' });
    const [job] = jobsOf(e2e);
    expect(job?.finishedAt).toBeUndefined();
    expect(job?.cancelled).toBe(false);
  });
});
