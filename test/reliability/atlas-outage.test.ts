import { describe, expect, it } from 'vitest';
import { drillRequest, expectSettled, OPERATION_ID } from './support/expectations.ts';
import { useSystems } from './support/use-systems.ts';

/**
 * A long Atlas outage in the middle of a poll chain, with SQS's rules as the stack sets them (visibility 360 s,
 * redrive after 5 receives: about 30 minutes of failed receives). The chain must back off with the outage instead of
 * burning its receives into the DLQ, and follow the restore to its end once Atlas answers again.
 */
describe('Reliability: a long Atlas outage during the poll chain', () => {
  const start = useSystems();

  it.each([
    { hours: 1, maxWaitMinutes: 720 },
    { hours: 10, maxWaitMinutes: 720 },
  ])('survives a $hours h outage of the Admin API (maxWait $maxWaitMinutes min), no receive burned', async (outage) => {
    // Prepare
    const current = await start();
    current.submit(drillRequest(current.seed, { maxWaitMinutes: outage.maxWaitMinutes }));
    await current.run({ until: async () => (await current.ledger.get(OPERATION_ID))?.restoreJobId !== undefined });
    const outageEnds = current.time.workflowClock.now() + outage.hours * 3_600_000;
    current.sim.faults.inject(
      { pathIncludes: '/api/atlas/', times: Number.POSITIVE_INFINITY },
      { kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' },
    );

    // Act
    await current.run({
      maxInvocations: 1000,
      until: () => {
        if (current.time.workflowClock.now() >= outageEnds) current.sim.faults.clear();
        return false;
      },
    });

    // Assess
    await expectSettled(current, { outcome: 'succeeded' });
    expect(current.batchItemFailures).toEqual([]);
    const backoffs = current.logs.records().filter((record) => record.message === 'Atlas unreachable; polling later');
    expect(backoffs.length).toBeGreaterThan(0);
    // Backing off to the SQS delay cap: about four polls an hour, whatever the outage's length.
    expect(backoffs.length).toBeLessThanOrEqual(8 + outage.hours * 4);
  });

  it('ends as timed out, saying Atlas was unreachable, when the outage outlasts maxWait', async () => {
    // Prepare
    const current = await start();
    current.submit(drillRequest(current.seed, { maxWaitMinutes: 120 }));
    await current.run({ until: async () => (await current.ledger.get(OPERATION_ID))?.restoreJobId !== undefined });
    current.sim.faults.inject(
      { pathIncludes: '/api/atlas/', times: Number.POSITIVE_INFINITY },
      { kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' },
    );

    // Act
    await current.run({ maxInvocations: 100 });

    // Assess
    const operation = await expectSettled(current, { outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' });
    expect(operation.outcomeReason).toMatch(/Atlas unreachable since .*its state is unknown/);
    expect(current.batchItemFailures).toEqual([]);
  });
});

describe('Reliability: redriving the dead-letter queue after an outage that outlasted the start step', () => {
  const start = useSystems();

  it('resumes the operation from its redriven message (as `aws sqs start-message-move-task` moves it back)', async () => {
    // Prepare: Atlas down from the request on; the start step's message burns its 5 receives into the DLQ.
    const current = await start();
    current.sim.faults.inject(
      { pathIncludes: '/api/atlas/', times: Number.POSITIVE_INFINITY },
      { kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' },
    );
    current.submit(drillRequest(current.seed));
    await current.run();
    const [redriven] = current.queue.redriven;
    const stranded = await current.ledger.get(OPERATION_ID);

    // Act: Atlas is back hours later; an operator moves the DLQ's messages back to the work queue.
    current.sim.faults.clear();
    current.time.pass(6 * 3_600_000);
    for (const { message } of current.queue.redriven.splice(0)) current.submit(message.body);
    await current.run();

    // Assess
    expect(redriven?.reason).toMatch(/503|SERVICE_UNAVAILABLE|Atlas/);
    expect(stranded?.outcome).toBeUndefined();
    await expectSettled(current, { outcome: 'succeeded' });
  });
});
