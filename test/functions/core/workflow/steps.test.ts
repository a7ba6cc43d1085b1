import { describe, expect, it } from 'vitest';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { REPORT_RECOVERY_AFTER_MS } from '../../../../functions/core/workflow/steps.ts';
import { atlasError, crashAfter, fixture, requests, SimulatedCrash } from './fakes.ts';
import { drain, runRequest } from './harness.ts';

const codeOf = (error: unknown) => (error as { code?: string }).code;

describe('Workflow steps: reporting an outcome whose writer crashed (issue 18)', () => {
  it('leaves a fresh unreported outcome to its writer for a minute, then reports it once', async () => {
    // Prepare: the writer records the outcome and dies before reporting; the message comes back every 25 s.
    const f = fixture();
    const ledger = crashAfter(f.ledger, 'finish', (_args, won) => won === true);
    const service = createRestoreService({ ...f.deps, ledger });
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const report = await drain(f, service, { visibilityTimeoutMs: 25_000 });

    // Assess: redeliveries within the minute waited; the first one at a minute or later reported, exactly once.
    const stored = [...f.ledger.items.values()][0];
    const recordedAt = stored?.outcomeRecordedAt ?? 0;
    const codes = report.failures.map(({ error }) => codeOf(error));
    expect(codes.filter((code) => code === 'REPORT_PENDING')).toHaveLength(2);
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(f.reporter.outcomes[0]).toMatchObject({ outcome: 'succeeded' });
    expect(stored?.reportedAt).toBe(recordedAt + 75_000);
    expect(REPORT_RECOVERY_AFTER_MS).toBe(60_000);
  });

  it('reports an outcome orphaned exactly a minute ago', async () => {
    // Prepare: redelivered exactly REPORT_RECOVERY_AFTER_MS after the crashed writer recorded its outcome.
    const f = fixture();
    const ledger = crashAfter(f.ledger, 'finish', (_args, won) => won === true);
    const service = createRestoreService({ ...f.deps, ledger });
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const report = await drain(f, service, { visibilityTimeoutMs: REPORT_RECOVERY_AFTER_MS });

    // Assess
    const stored = [...f.ledger.items.values()][0];
    expect(report.failures.map(({ error }) => codeOf(error))).not.toContain('REPORT_PENDING');
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(stored?.reportedAt).toBe((stored?.outcomeRecordedAt ?? 0) + REPORT_RECOVERY_AFTER_MS);
  });
});

describe('Workflow steps: finishing while holding the submit claim (issue 18)', () => {
  it('times out, without a second POST, an operation whose unanswered POST made nothing and whose deadline passed under the claim', async () => {
    // Prepare: the POST fails in flight without effect; the claim's lease (15 min) outlasts maxWait (5 min).
    const f = fixture();
    f.atlas.failNext('createRestoreJob', () =>
      atlasError('createBackupRestoreJob', undefined, undefined, { ambiguous: true, retryable: true }),
    );

    // Act
    const report = await runRequest(f, requests.automated({ maxWaitMinutes: 5 }), { visibilityTimeoutMs: 5 * 60_000 });

    // Assess: the delivery holding the claim may finish the operation; nothing was submitted twice.
    expect(report.redriven).toEqual([]);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
    expect(f.atlas.allJobs()).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
  });
});

describe('Workflow steps: two deliveries of one step (issue 18)', () => {
  it('lets only the delivery that advanced the step carry the chain on; the other fails, its sends orphaned', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const report = await drain(f, service, { duplicate: () => true });

    // Assess: a poll sends before its advance (one ledger write per poll), so the losing copy of a step may have sent
    // too; its message carries a token the ledger never recorded, and is dropped. The chain never forks: one message
    // per step and copy at most, steps in an unbroken sequence, one job, one outcome, nothing dead-lettered.
    const steps = f.queue.sent.map(({ message }) => message.step);
    const distinct = [...new Set(steps)].sort((a, b) => a - b);
    expect(distinct).toEqual(Array.from({ length: distinct.length }, (_, index) => (distinct[0] ?? 0) + index));
    for (const step of distinct) expect(steps.filter((each) => each === step).length).toBeLessThanOrEqual(2);
    expect(report.failures.map(({ error }) => codeOf(error))).toContain('STEP_CONTENDED');
    expect(report.redriven).toEqual([]);
    expect(f.atlas.allJobs()).toHaveLength(1);
    expect(f.reporter.outcomes).toHaveLength(1);
  });
});

describe("Workflow steps: the order of a step's write and its send (issue 18)", () => {
  it('records the submitted job before sending the first poll: a start that dies right after the send loses nothing', async () => {
    // Prepare: the process dies right after the first poll is sent.
    const f = fixture();
    const queue = crashAfter(f.queue, 'send', ([message]) => (message as { kind?: string }).kind === 'poll');
    const service = createRestoreService({ ...f.deps, queue });
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const report = await drain(f, service);

    // Assess: the poll that was out found the job recorded and followed it: nothing failed but the crash, nothing
    // waited out the submit claim, and the job did not have to be found again.
    expect(report.failures.map(({ error }) => error instanceof SimulatedCrash)).toEqual([true]);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(f.reporter.outcomes[0]).toMatchObject({ outcome: 'succeeded', adopted: false });
  });

  it('does not acknowledge a delivery that lost the race to advance its step, so SQS keeps the message', async () => {
    // Prepare: the first poll, delivered twice at once.
    const f = fixture();
    const service = createRestoreService(f.deps);
    await service.handleMessage(
      JSON.stringify(requests.automated()),
      { messageId: 'm-1' },
      { deadline: Date.now() + 60_000 },
    );
    const poll = f.queue.takeNext();
    if (poll === undefined) throw new Error('no poll queued');
    f.clock.set(poll.dueAt);

    // Act
    const settled = await Promise.allSettled(
      [1, 2].map(() => service.handleMessage(poll.body, { messageId: poll.id }, { deadline: Date.now() + 60_000 })),
    );

    // Assess: one copy advanced; the other fails (the winner might still die before its follow-up is out).
    const fulfilled = settled.flatMap((each) => (each.status === 'fulfilled' ? [each.value] : []));
    const rejected = settled.flatMap((each) => (each.status === 'rejected' ? [codeOf(each.reason)] : []));
    expect(fulfilled).toEqual(['processed']);
    expect(rejected).toEqual(['STEP_CONTENDED']);
  });
});
