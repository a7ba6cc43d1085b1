import { describe, expect, it } from 'vitest';
import { nextPollDelay } from '../../../../functions/core/workflow/cadence.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { atlasError, crashAfter, fixture, requests } from './fakes.ts';
import { drain, runRequest } from './harness.ts';

describe('Workflow: poll', () => {
  it('polls on the cadence: 60 s, then 60 s + 5 % of the time since submission', async () => {
    // Prepare
    const f = fixture();
    f.atlas.restoreMs = 30 * 60_000;

    // Act
    await runRequest(f, requests.automated());

    // Assess
    const pollDelays = f.queue.sent.filter(({ message }) => message.kind === 'poll').map((sent) => sent.delaySeconds);
    let elapsed = 0;
    const expected = pollDelays.map(() => {
      const delay = nextPollDelay(elapsed, f.config);
      elapsed += delay;
      return delay;
    });
    expect(pollDelays).toEqual(expected);
    expect(pollDelays.slice(0, 3)).toEqual([60, 63, 66]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', polls: pollDelays.length }]);
    // Detected within one interval of the end.
    const last = f.reporter.outcomes[0];
    expect((last?.rtoSeconds ?? 0) >= 30 * 60).toBe(true);
  });

  it.each([
    ['failed', 'failed', 'RESTORE_JOB_FAILED'],
    ['cancelled', 'cancelled', 'RESTORE_JOB_CANCELLED'],
    ['expired', 'expired', 'RESTORE_JOB_EXPIRED'],
  ] as const)('ends as %s when Atlas says the job %s', async (outcome, jobOutcome, errorCode) => {
    // Prepare
    const f = fixture();
    f.atlas.jobOutcome = jobOutcome;

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome, errorCode }]);
  });

  it('fails when the job disappears (404)', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('getRestoreJob', () => atlasError('getBackupRestoreJob', 404, 'RESTORE_JOB_NOT_FOUND'));

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'RESTORE_JOB_NOT_FOUND' }]);
  });

  it('backs off from a poll that failed for a passing reason, without failing its message or ending the operation', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('getRestoreJob', () => atlasError('getBackupRestoreJob', 429, 'RATE_LIMITED_TOKEN_BUCKET'), {
      times: 3,
    });

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess
    expect(report.failures).toHaveLength(0);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
    const backoffs = f.log.lines.filter((line) => line.message === 'Atlas unreachable; polling later');
    expect(backoffs.map((line) => line.attributes.delaySeconds)).toEqual([60, 60, 120]);
  });

  it('outlives an Atlas outage of 13 days within a 14-day maxWait, polling about 4 times an hour', async () => {
    // Prepare
    const f = fixture();
    f.atlas.restoreMs = 2 * 3600_000;
    const outageEnds = f.clock.now() + 13 * 86_400_000;
    const atlas = new Proxy(f.atlas, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          property === 'getRestoreJob' && f.clock.now() < outageEnds
            ? Promise.reject(atlasError('getBackupRestoreJob', 503, 'SERVICE_UNAVAILABLE'))
            : value.apply(target, args);
      },
    });
    const service = createRestoreService({ ...f.deps, atlas });
    f.queue.put(JSON.stringify(requests.automated({ maxWaitMinutes: 14 * 24 * 60 })));

    // Act
    const report = await drain(f, service, { maxDeliveries: 2000 });

    // Assess
    expect(report.failures).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
    const backoffs = f.log.lines.filter((line) => line.message === 'Atlas unreachable; polling later');
    expect(backoffs.length).toBeLessThanOrEqual(13 * 24 * 4 + 8);
  });

  it('retries, not fails, a poll refused for auth (the restore itself says nothing)', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('getRestoreJob', () => atlasError('getBackupRestoreJob', 401, 'UNAUTHORIZED'));

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess
    expect(report.failures).toHaveLength(1);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
  });

  it('times out past maxWaitMinutes and leaves an automated job running, saying so', async () => {
    // Prepare
    const f = fixture({ config: { cancelOnTimeout: true } });
    f.atlas.restoreMs = 10 * 3600_000;

    // Act
    await runRequest(f, requests.automated({ maxWaitMinutes: 120 }));

    // Assess
    expect(f.atlas.count('cancelRestoreJob')).toBe(0);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('Atlas cannot cancel automated restores');
    // Detected at the deadline, not an interval after it.
    expect(f.reporter.outcomes[0]?.finishedAt).toBe((f.reporter.outcomes[0]?.requestedAt ?? 0) + 120 * 60_000);
  });

  it('cancels a timed-out download when CANCEL_ON_TIMEOUT is on', async () => {
    // Prepare
    const f = fixture({ config: { cancelOnTimeout: true } });
    f.atlas.restoreMs = 10 * 3600_000;

    // Act
    await runRequest(f, requests.download({ maxWaitMinutes: 60 }));

    // Assess
    expect(f.atlas.count('cancelRestoreJob')).toBe(1);
    expect(f.atlas.allJobs()).toMatchObject([{ cancelled: true }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('was cancelled');
  });

  it.each([
    ['a crash right after the cancel', 'crash'],
    ['a concurrent copy of the poll that reads the job between the cancel and the outcome', 'concurrent'],
  ] as const)('records a timeout, not an outside cancellation, after %s (CANCEL_ON_TIMEOUT)', async (_case, fault) => {
    // Prepare
    const f = fixture({ config: { cancelOnTimeout: true } });
    f.atlas.restoreMs = 10 * 3600_000;
    let twin: (() => Promise<unknown>) | undefined;
    const atlas =
      fault === 'crash'
        ? crashAfter(f.atlas, 'cancelRestoreJob')
        : new Proxy(f.atlas, {
            get(target, property, receiver) {
              const value = Reflect.get(target, property, receiver);
              if (property !== 'cancelRestoreJob' || typeof value !== 'function') return value.bind?.(target) ?? value;
              return async (...args: unknown[]) => {
                const result = await value.apply(target, args);
                const runTwin = twin;
                twin = undefined;
                await runTwin?.().catch(() => undefined);
                return result;
              };
            },
          });
    const service = createRestoreService({ ...f.deps, atlas });
    const deliver = service.handleMessage.bind(service);
    service.handleMessage = async (body, origin, invocation) => {
      if (fault === 'concurrent' && body.includes('"poll"')) twin = () => deliver(body, origin, invocation);
      return deliver(body, origin, invocation);
    };
    f.queue.put(JSON.stringify(requests.download({ maxWaitMinutes: 60 })));

    // Act
    await drain(f, service);

    // Assess
    expect(f.atlas.allJobs()).toMatchObject([{ cancelled: true }]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('was cancelled');
  });

  it('ends a timed-out download as timed out, left running, when Atlas refuses the cancel (CANCEL_ON_TIMEOUT)', async () => {
    // Prepare
    const f = fixture({ config: { cancelOnTimeout: true } });
    f.atlas.restoreMs = 10 * 3600_000;
    f.atlas.failNext('cancelRestoreJob', () =>
      atlasError('cancelBackupRestoreJob', 409, 'RESTORE_JOB_NOT_CANCELLABLE'),
    );

    // Act
    const report = await runRequest(f, requests.download({ maxWaitMinutes: 60 }));

    // Assess
    expect(report.failures).toEqual([]);
    expect(f.atlas.count('cancelRestoreJob')).toBe(1);
    expect(f.atlas.allJobs()).toMatchObject([{ cancelled: false }]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('left running');
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('RESTORE_JOB_NOT_CANCELLABLE');
  });

  it.each([
    ['Atlas fails it for a passing reason (503)', () => atlasError('cancelBackupRestoreJob', 503)],
    ['it fails outside Atlas', () => new TypeError('socket hang up')],
  ])('retries the cancel of a timed-out download when %s, then records it cancelled', async (_case, error) => {
    // Prepare
    const f = fixture({ config: { cancelOnTimeout: true } });
    f.atlas.restoreMs = 10 * 3600_000;
    f.atlas.failNext('cancelRestoreJob', error);

    // Act
    const report = await runRequest(f, requests.download({ maxWaitMinutes: 60 }));

    // Assess: the failed cancel failed its message, whose redelivery cancelled; one outcome, a timeout.
    expect(report.failures).toHaveLength(1);
    expect(f.atlas.count('cancelRestoreJob')).toBe(2);
    expect(f.atlas.allJobs()).toMatchObject([{ cancelled: true }]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('was cancelled');
  });

  it('reports a completed restore as succeeded with no error code', async () => {
    // Prepare
    const f = fixture();

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(f.reporter.outcomes[0]?.outcome).toBe('succeeded');
    expect(f.reporter.outcomes[0]).not.toHaveProperty('errorCode');
    expect(f.reporter.outcomes[0]?.outcomeReason).toMatch(/^restore job [0-9a-f]{24} completed$/);
  });

  it('says how a job ended: a download ready until it expires, a failure by its state', async () => {
    // Prepare
    const download = fixture();
    const failed = fixture();
    failed.atlas.jobOutcome = 'failed';

    // Act
    await runRequest(download, requests.download());
    await runRequest(failed, requests.automated());

    // Assess
    const [ready] = download.reporter.outcomes;
    expect(ready?.outcomeReason).toMatch(/^restore job [0-9a-f]{24} download ready until \S+$/);
    expect(failed.reporter.outcomes[0]?.outcomeReason).toMatch(/^restore job [0-9a-f]{24} failed$/);
  });

  it.each([
    ['restore job', 'restoreJobId'],
    ['submission time', 'submittedAt'],
  ] as const)('refuses a poll step whose operation has no %s, asking Atlas nothing', async (_what, field) => {
    // Prepare: an operation at its first poll, its ledger item then missing one field.
    const f = fixture();
    const service = createRestoreService(f.deps);
    f.queue.put(JSON.stringify(requests.automated()));
    await drain(f, service, { maxDeliveries: 1 }).catch(() => undefined);
    const item = [...f.ledger.items.values()][0] as unknown as Record<string, unknown>;
    delete item[field];
    const polls = f.atlas.count('getRestoreJob');

    // Act
    const poll = f.queue.takeNext();
    const error = await service
      .handleMessage(poll?.body ?? '', { messageId: poll?.id ?? '' }, { deadline: Date.now() + 60_000 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(JSON.parse(poll?.body ?? '{}')).toMatchObject({ kind: 'poll' });
    expect(error).toMatchObject({ code: 'OPERATION_INCONSISTENT' });
    expect(f.atlas.count('getRestoreJob')).toBe(polls);
    expect(f.reporter.outcomes).toEqual([]);
  });

  it('ends as timed out at the deadline itself when Atlas stays unreachable past it, counting every poll', async () => {
    // Prepare: every poll fails for a passing reason, for longer than maxWait.
    const f = fixture();
    f.atlas.restoreMs = 10 * 3600_000;
    f.atlas.failNext('getRestoreJob', () => atlasError('getBackupRestoreJob', 503), { times: 1000 });

    // Act
    const report = await runRequest(f, requests.automated({ maxWaitMinutes: 60 }));

    // Assess
    const stored = [...f.ledger.items.values()][0];
    expect(report.failures).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
    expect(f.reporter.outcomes[0]?.finishedAt).toBe(stored?.deadlineAt);
    expect(f.reporter.outcomes[0]?.polls).toBe(f.atlas.count('getRestoreJob'));
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('within 60 minutes');
  });

  it('fails a job that disappears with RESTORE_JOB_NOT_FOUND when Atlas gives no code, counting the poll', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('getRestoreJob', () => atlasError('getBackupRestoreJob', 404));

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'RESTORE_JOB_NOT_FOUND' }]);
    expect(f.reporter.outcomes[0]?.polls).toBe(f.atlas.count('getRestoreJob'));
  });

  it('counts every poll of a timed-out download it cancels, the one that decided the cancel included', async () => {
    // Prepare
    const f = fixture({ config: { cancelOnTimeout: true } });
    f.atlas.restoreMs = 10 * 3600_000;

    // Act
    await runRequest(f, requests.download({ maxWaitMinutes: 60 }));

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut' }]);
    expect(f.reporter.outcomes[0]?.polls).toBe(f.atlas.count('getRestoreJob'));
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('still running after 60 minutes');
  });

  it('backs off from a second outage from the start again, the first being over', async () => {
    // Prepare: an outage of three polls, answered polls, then another outage.
    const f = fixture();
    f.atlas.restoreMs = 3 * 3600_000;
    let polls = 0;
    const failing = new Set([2, 3, 4, 9]);
    const atlas = new Proxy(f.atlas, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'getRestoreJob' || typeof value !== 'function') return value.bind?.(target) ?? value;
        return async (...args: unknown[]) => {
          polls += 1;
          if (failing.has(polls)) throw atlasError('getBackupRestoreJob', 503);
          return value.apply(target, args);
        };
      },
    });
    const withAtlas = createRestoreService({ ...f.deps, atlas });
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    await drain(f, withAtlas);

    // Assess: the fourth failure is the first of a new outage: it waits the minimum again.
    const backoffs = f.log.lines.filter((line) => line.message === 'Atlas unreachable; polling later');
    expect(backoffs.map((line) => line.attributes.delaySeconds)).toEqual([60, 60, 120, 60]);
  });

  it('leaves the job running on timeout when CANCEL_ON_TIMEOUT is off', async () => {
    // Prepare
    const f = fixture();
    f.atlas.restoreMs = 10 * 3600_000;

    // Act
    await runRequest(f, requests.download({ maxWaitMinutes: 60 }));

    // Assess
    expect(f.atlas.count('cancelRestoreJob')).toBe(0);
    expect(f.reporter.outcomes[0]?.outcomeReason).toContain('CANCEL_ON_TIMEOUT is off');
  });

  it('chains waits longer than 900 s as wait hops that never call Atlas', async () => {
    // Prepare
    const f = fixture({ config: { pollMaxDelaySeconds: 3600 } });
    f.atlas.restoreMs = 30 * 3600_000;

    // Act
    await runRequest(f, requests.automated({ maxWaitMinutes: 40 * 60 }));

    // Assess
    const kinds = f.queue.sent.map(({ message }) => message.kind);
    expect(kinds).toContain('wait');
    expect(Math.max(...f.queue.sent.map(({ delaySeconds }) => delaySeconds))).toBeLessThanOrEqual(900);
    const polls = f.atlas.count('getRestoreJob');
    expect(polls).toBe(kinds.filter((kind) => kind === 'poll').length);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', polls }]);
    // A 30-hour restore is followed with about a hundred polls, not 1800.
    expect(polls).toBeLessThan(120);
  });

  it('counts every Atlas call of the operation in the ledger', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('getRestoreJob', () => atlasError('getBackupRestoreJob', 503, 'SERVICE_UNAVAILABLE'));

    // Act
    await runRequest(f, requests.automated());

    // Assess
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored?.atlasCalls).toBe(f.atlas.calls.length);
    expect(f.reporter.outcomes[0]?.atlasCalls).toBe(f.atlas.calls.length);
    expect(f.atlas.calls.every((call) => call.operation !== 'getRestoreJob' || call.deadline !== undefined)).toBe(true);
  });
});
