import { describe, expect, it } from 'vitest';
import type { Ledger, Queue } from '../../../../functions/core/workflow/ports.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { operatorStartsTheSameDownload, twoOperationsOneSnapshot } from './adoption-scenarios.ts';
import {
  atlasError,
  crashAfter,
  type Fixture,
  fixture,
  GROUP,
  requests,
  SimulatedCrash,
  SOURCE,
  TARGET,
} from './fakes.ts';
import { drain, runRequest } from './harness.ts';

function assertExactlyOnce(f: Fixture) {
  expect(f.atlas.allJobs()).toHaveLength(1);
  expect(f.reporter.outcomes).toHaveLength(1);
  expect(f.reporter.outcomes[0]?.outcome).toBe('succeeded');
  const stored = [...f.ledger.items.values()];
  expect(stored).toHaveLength(1);
  expect(stored[0]?.restoreJobId).toBe(f.atlas.allJobs()[0]?.id);
  expect(stored[0]?.reportedAt).toBeTypeOf('number');
}

describe('Workflow: submit exactly once', () => {
  const crashPoints: [string, (f: Fixture) => Partial<{ ledger: Ledger; queue: Queue }>][] = [
    ['after the claim', (f) => ({ ledger: crashAfter(f.ledger, 'claim', (_args, won) => won === true) })],
    [
      'after recording the job id',
      (f) => ({ ledger: crashAfter(f.ledger, 'advance', ([, , update]) => hasJob(update)) }),
    ],
    [
      'after enqueueing the first poll',
      (f) => ({ queue: crashAfter(f.queue, 'send', ([message]) => isKind(message, 'poll')) }),
    ],
    ['after marking the poll sent', (f) => ({ ledger: crashAfter(f.ledger, 'markHandedOff') })],
    [
      'after a poll advanced',
      (f) => ({ ledger: crashAfter(f.ledger, 'advance', ([, , , counters]) => hasPolls(counters)) }),
    ],
    ['after recording the outcome', (f) => ({ ledger: crashAfter(f.ledger, 'finish', (_args, won) => won === true) })],
    ['after marking the outcome reported', (f) => ({ ledger: crashAfter(f.ledger, 'markReported') })],
  ];

  it.each(crashPoints)('survives a crash %s: one job, one outcome', async (_point, wrap) => {
    // Prepare
    const f = fixture();
    const crashing = fixture();
    Object.assign(crashing, f);
    const deps = { ...f.deps, ...wrap(f) };

    // Act
    const service = createRestoreService(deps);
    f.queue.put(JSON.stringify(requests.automated()));
    const report = await drain(f, service);

    // Assess
    expect(report.redriven).toEqual([]);
    assertExactlyOnce(f);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('survives a crash after the POST took effect by adopting the job once the claim expires', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('createRestoreJob', () => new SimulatedCrash('after POST'), { afterEffect: true });

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess
    assertExactlyOnce(f);
    expect(f.reporter.outcomes[0]).toMatchObject({ adopted: true });
    // The retries before the lease expired did not POST again: they waited.
    expect(report.failures.map(({ error }) => (error as { code?: string }).code)).toContain('SUBMIT_IN_PROGRESS');
  });

  it('adopts and follows a job submitted before the deadline even when the lease ran past it', async () => {
    // Prepare
    const f = fixture({ config: { claimLeaseSeconds: 900 } });
    f.atlas.failNext('createRestoreJob', () => new SimulatedCrash('after POST'), { afterEffect: true });

    // Act
    await runRequest(f, requests.automated({ maxWaitMinutes: 10 }));

    // Assess
    assertExactlyOnce(f);
    expect(f.reporter.outcomes[0]).toMatchObject({ adopted: true, outcome: 'succeeded' });
  });

  it('adopts the job at once when an ambiguous POST did create it', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext(
      'createRestoreJob',
      () => atlasError('createBackupRestoreJob', undefined, undefined, { retryable: true, ambiguous: true }),
      { afterEffect: true },
    );

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess
    expect(report.failures).toEqual([]);
    assertExactlyOnce(f);
    expect(f.reporter.outcomes[0]).toMatchObject({ adopted: true });
  });

  it('keeps the claim after an ambiguous POST that did nothing, and submits again only after the lease', async () => {
    // Prepare
    const f = fixture({ config: { claimLeaseSeconds: 900 } });
    f.atlas.failNext('createRestoreJob', () =>
      atlasError('createBackupRestoreJob', 504, undefined, { retryable: true, ambiguous: true }),
    );
    const requestedAt = f.clock.now();

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess
    expect(f.atlas.count('createRestoreJob')).toBe(2);
    const [, second] = f.atlas.allJobs().length === 1 ? [undefined, f.atlas.allJobs()[0]] : [];
    expect(second).toBeDefined();
    expect(report.failures.map(({ error }) => (error as { code?: string }).code)).toEqual([
      'SUBMIT_UNCONFIRMED',
      'SUBMIT_IN_PROGRESS',
      'SUBMIT_IN_PROGRESS',
    ]);
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored?.submittedAt).toBeGreaterThanOrEqual(requestedAt + 900_000);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', adopted: false }]);
  });

  it('releases the claim after a 429 (nothing happened) and submits on the retry', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('createRestoreJob', () => atlasError('createBackupRestoreJob', 429, 'RATE_LIMITED_TOKEN_BUCKET'));

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess
    expect(report.failures).toHaveLength(1);
    assertExactlyOnce(f);
  });

  it('fails with the Atlas errorCode when the POST is refused for good', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext('createRestoreJob', () => atlasError('createBackupRestoreJob', 403, 'CANNOT_RESTORE_TO_TARGET'));

    // Act
    await runRequest(f, requests.automated());

    // Assess
    expect(f.atlas.allJobs()).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'failed', errorCode: 'CANNOT_RESTORE_TO_TARGET' }]);
  });

  it('never fails an operation on a permanent error once a claim exists (a job may be running)', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    f.atlas.failNext('createRestoreJob', () => new SimulatedCrash('after POST'), { afterEffect: true });
    f.queue.put(JSON.stringify(requests.automated()));
    const crashed = await drain(f, service, { maxDeliveries: 1 }).catch(() => undefined);
    f.atlas.failNext('listRestoreJobs', () => atlasError('listBackupRestoreJobs', 401, 'UNAUTHORIZED'));

    // Act
    const report = await drain(f, service, { visibilityTimeoutMs: 16 * 60_000 });

    // Assess
    expect(crashed).toBeUndefined();
    expect(report.failures.map(({ error }) => (error as { status?: number }).status)).toContain(401);
    assertExactlyOnce(f);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('runs concurrent duplicate deliveries of every message into one job and one outcome', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const report = await drain(f, service, { duplicate: () => true });

    // Assess
    assertExactlyOnce(f);
    expect(report.results.filter((result) => result === 'processed').length).toBeGreaterThan(0);
  });

  it('treats a repeated request as the same operation, while running and after finishing', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const body = JSON.stringify(requests.automated());
    f.queue.put(body);
    const first = f.queue.takeNext();
    if (!first) throw new Error('no message');
    await service.handleMessage(first.body, { messageId: first.id }, { deadline: Date.now() + 60_000 });

    // Act
    const whileRunning = await service.handleMessage(body, { messageId: 'other' }, { deadline: Date.now() + 60_000 });
    await drain(f, service);
    f.clock.advance(3600_000);
    const afterwards = await service.handleMessage(body, { messageId: 'later' }, { deadline: Date.now() + 60_000 });

    // Assess
    expect([whileRunning, afterwards]).toEqual(['duplicate', 'duplicate']);
    assertExactlyOnce(f);
  });

  it('dead-letters a requestId reused for a different request, leaving the operation alone', async () => {
    // Prepare
    const f = fixture();
    await runRequest(f, requests.automated());
    const service = createRestoreService(f.deps);

    // Act
    const result = await service.handleMessage(
      JSON.stringify(requests.automated({ targetClusterName: 'other' })),
      { messageId: 'm-x' },
      { deadline: Date.now() + 60_000 },
    );

    // Assess
    expect(result).toBe('rejected');
    expect(f.queue.deadLetters).toMatchObject([
      { code: 'REQUEST_CONFLICT', issues: [{ path: 'requestId', rule: 'conflict' }] },
    ]);
    assertExactlyOnce(f);
  });
});

describe('Workflow: adopting a job, never by the clock, never another operation’s', () => {
  const source = { groupId: GROUP, clusterName: SOURCE };
  const onto = { deliveryType: 'automated' as const, targetGroupId: GROUP, targetClusterName: TARGET };

  it('adopts the job of a crashed POST with the workflow clock 5 minutes ahead of Atlas', async () => {
    // Prepare: the job's id carries Atlas's time, 5 minutes before the claim by our clock.
    const f = fixture({ atlasClockOffsetMs: -300_000 });
    f.atlas.failNext('createRestoreJob', () => new SimulatedCrash('after POST'), { afterEffect: true });

    // Act
    await runRequest(f, requests.automated());

    // Assess
    assertExactlyOnce(f);
    expect(f.reporter.outcomes[0]).toMatchObject({ adopted: true });
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('never adopts a matching job listed before the claim, however recent Atlas dates it', async () => {
    // Prepare: Atlas runs 5 minutes ahead; the same restore finished a minute ago, so by Atlas's time its id is as
    // recent as our claim. The claim is taken, then the process dies before the POST.
    const f = fixture({ atlasClockOffsetMs: 300_000 });
    const snapshotId = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 3600_000 });
    const atlasNow = f.clock.now() + 300_000;
    const earlier = f.atlas.addJob(source, { ...onto, snapshotId }, atlasNow - f.atlas.restoreMs - 60_000);
    const service = createRestoreService({
      ...f.deps,
      ledger: crashAfter(f.ledger, 'claim', (_args, won) => won === true),
    });
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    await drain(f, service);

    // Assess
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored).toMatchObject({ outcome: 'succeeded', adopted: false, snapshotId });
    expect(stored?.restoreJobId).not.toBe(earlier.id);
    expect(f.atlas.allJobs().map((job) => job.id)).toEqual([earlier.id, stored?.restoreJobId]);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('does not adopt the job another operation owns after an ambiguous POST, and submits its own after the lease', async () => {
    // Prepare: while this POST fails in flight, another operation restoring the same snapshot submits and owns its job.
    const f = fixture();
    const snapshotId = f.atlas.addSnapshot(GROUP, SOURCE, { status: 'completed', ageMs: 3600_000 });
    let theirs = '';
    f.atlas.failNext('createRestoreJob', () => {
      theirs = f.atlas.addJob(source, { ...onto, snapshotId }).id;
      f.ledger.jobOwners.set(theirs, 'drill-by-hand');
      return atlasError('createBackupRestoreJob', 502, undefined, { retryable: true, ambiguous: true });
    });

    // Act
    const report = await runRequest(f, requests.automated());

    // Assess
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored).toMatchObject({ outcome: 'succeeded', adopted: false });
    expect(stored?.restoreJobId).not.toBe(theirs);
    expect(f.ledger.jobOwners).toEqual(
      new Map([
        [theirs, 'drill-by-hand'],
        [stored?.restoreJobId ?? '', 'drill-2026-11-28'],
      ]),
    );
    expect(report.failures.map(({ error }) => (error as { code?: string }).code)[0]).toBe('SUBMIT_UNCONFIRMED');
    expect(f.log.lines.map((line) => line.message)).toContain('not adopting a restore job another operation owns');
  });

  it('submits again, after the lease, when another operation took the job its own POST created', async () => {
    // Prepare: another operation (its POST unanswered) adopts this POST's job before this one records it.
    const f = fixture();
    const create = f.atlas.createRestoreJob.bind(f.atlas);
    let taken = '';
    f.atlas.createRestoreJob = async (...args) => {
      const job = await create(...args);
      if (taken === '') {
        taken = job.id;
        f.ledger.jobOwners.set(job.id, 'drill-by-hand');
      }
      return job;
    };

    // Act
    await runRequest(f, requests.automated());

    // Assess
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored).toMatchObject({ outcome: 'succeeded', adopted: false });
    expect(stored?.restoreJobId).not.toBe(taken);
    expect(f.atlas.allJobs()).toHaveLength(2);
    expect(f.ledger.jobOwners.get(stored?.restoreJobId ?? '')).toBe('drill-2026-11-28');
  });
});

describe('Workflow: adoption prefers the job this operation already owns (issue 12, hole 1)', () => {
  it('gives two operations of one snapshot their own jobs when one died between owning its job and recording it', async () => {
    // Prepare
    const f = fixture();

    // Act
    const result = await twoOperationsOneSnapshot(f, f.ledger);

    // Assess: B records J4, which it owned; A adopts J3; nobody POSTs a third job.
    expect(result.jobs.map((job) => job.id).sort()).toEqual([result.j3, result.j4].sort());
    expect(result.b).toMatchObject({ outcome: 'succeeded', restoreJobId: result.j4 });
    expect(result.a).toMatchObject({ outcome: 'succeeded', restoreJobId: result.j3, adopted: true });
    expect(result.owners).toEqual(
      new Map([
        [result.j3, 'download-A'],
        [result.j4, 'download-B'],
      ]),
    );
  });

  it('records its own job, not one an operator started by hand between its claim and its POST', async () => {
    // Prepare
    const f = fixture();

    // Act
    const result = await operatorStartsTheSameDownload(f, f.ledger);

    // Assess
    expect(result.jobs).toHaveLength(2);
    expect(result.operation).toMatchObject({ outcome: 'succeeded', restoreJobId: result.ours, adopted: true });
    expect(result.owners.get(result.ours)).toBe('download-A');
    expect(result.owners.get(result.byHand)).toBeUndefined();
  });
});

function hasJob(update: unknown): boolean {
  return typeof update === 'object' && update !== null && 'restoreJobId' in update;
}

function hasPolls(counters: unknown): boolean {
  return typeof counters === 'object' && counters !== null && 'polls' in counters;
}

function isKind(message: unknown, kind: string): boolean {
  return typeof message === 'object' && message !== null && 'kind' in message && message.kind === kind;
}
