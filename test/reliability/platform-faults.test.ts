import { describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../functions/core/atlas/errors.ts';
import type { Queue } from '../../functions/core/workflow/ports.ts';
import { atlasRequests, drillRequest, expectSettled, OPERATION_ID, outcomeLines } from './support/expectations.ts';
import {
  crashAfterFirstPost,
  dynamodbFaultOnce,
  intercept,
  SimulatedCrash,
  throttling,
  throughputExceeded,
  touches,
  touchesOnly,
} from './support/faults.ts';
import { useSystems } from './support/use-systems.ts';

/**
 * Faults of everything around Atlas, through the whole function: SQS sends failing, DynamoDB throttling and lost
 * conditional writes, Lambda invocations running out of time mid-step, duplicate and stale deliveries, and a
 * workflow clock skewed from Atlas's. Each must leave one restore job, the ledger agreeing with Atlas, one reported
 * outcome, and nothing secret in the logs.
 */
describe('Reliability: platform faults', () => {
  const start = useSystems();

  const isPoll = (message: unknown) =>
    typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'poll';

  describe('SQS', () => {
    it.each([
      // The start writes, then sends: its redelivery finds the step advanced and re-sends the message.
      ['the first poll, right after the submit', 1, 'resent'],
      // A poll sends, then writes: nothing was written, so its redelivery polls again and sends a new message.
      ['a later poll', 3, 'processed'],
    ])('re-sends %s when its send failed, from the redelivered message', async (_name, failingPoll, redelivery) => {
      // Prepare
      let polls = 0;
      const current = await start({
        wrapQueue: (queue) =>
          intercept<Queue>(queue, async (method, args, call) => {
            if (method === 'send' && isPoll(args[0])) {
              polls += 1;
              if (polls === failingPoll)
                throw Object.assign(new Error('Service Unavailable'), { name: 'QueueDoesNotExist' });
            }
            return call();
          }),
      });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run();

      // Assess
      expect(current.batchItemFailures).toHaveLength(1);
      const [failed] = current.batchItemFailures;
      expect(current.results.get(failed ?? '')).toEqual([redelivery]);
      await expectSettled(current, { outcome: 'succeeded' });
    });
  });

  describe('DynamoDB throttling', () => {
    const updateOf = (attribute: string) => (command: string, input: Record<string, unknown>) =>
      command === 'UpdateItemCommand' && touches(input, attribute);
    const markOf = (attribute: string) => (command: string, input: Record<string, unknown>) =>
      command === 'UpdateItemCommand' && touchesOnly(input, attribute);

    it.each([
      ['creating the operation', (command: string) => command === 'PutItemCommand', throughputExceeded, true],
      ['reading the operation for a poll', (command: string) => command === 'GetItemCommand', throttling, true],
      ['taking the submit claim', updateOf('claimToken'), throughputExceeded, true],
      ['recording the job id after the POST', updateOf('restoreJobId'), throughputExceeded, true],
      ['recording the outcome', updateOf('outcome'), throttling, true],
      ['marking the poll sent (best effort)', markOf('handedOff'), throttling, false],
      ['marking the outcome reported (best effort)', markOf('reportedAt'), throughputExceeded, false],
    ] as const)('survives throttling when %s', async (_name, matches, error, redelivered) => {
      // Prepare
      const throttle = dynamodbFaultOnce(matches, error);
      const current = await start({ dynamodbFault: throttle.fault });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run();

      // Assess
      expect(throttle.hits()).toBe(1);
      expect(current.batchItemFailures.length > 0).toBe(redelivered);
      await expectSettled(current, { outcome: 'succeeded' });
      expect(atlasRequests(current, 'createBackupRestoreJob')).toHaveLength(1);
    });

    it('adopts the job whose id could not be recorded on the next delivery, its claim lease (90 s) having passed', async () => {
      // Prepare
      const throttle = dynamodbFaultOnce(
        (command, input) => command === 'UpdateItemCommand' && touches(input, 'restoreJobId'),
        throughputExceeded,
      );
      const current = await start({ dynamodbFault: throttle.fault });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run();

      // Assess
      const operation = await expectSettled(current, { outcome: 'succeeded' });
      expect(operation.adopted).toBe(true);
      const codes = [...current.errors.values()]
        .flat()
        .map((error) => (error as { code?: string }).code ?? (error as Error).name);
      expect(codes).toEqual(['ProvisionedThroughputExceededException']);
    });
  });

  describe('duplicate and concurrent deliveries', () => {
    it('runs concurrent duplicates of every message into one job and one outcome', async () => {
      // Prepare
      const current = await start();
      current.submit(drillRequest(current.seed));

      // Act
      await current.run({ duplicate: () => true });

      // Assess
      await expectSettled(current, { outcome: 'succeeded' });
      expect(atlasRequests(current, 'createBackupRestoreJob')).toHaveLength(1);
    });

    it('drops a poll delivered again after it was processed, calling Atlas no more', async () => {
      // Prepare
      const current = await start();
      current.submit(drillRequest(current.seed));
      await current.run({ until: async () => ((await current.ledger.get(OPERATION_ID))?.polls ?? 0) >= 1 });
      const firstPoll = current.queue.sent.find(({ message }) => message.kind === 'poll');
      if (!firstPoll) throw new Error('no poll sent');
      const before = atlasRequests(current).length;

      // Act
      const again = current.submit(JSON.stringify(firstPoll.message));
      await current.deliver(
        current.queue.receive(current.time.workflowClock.now(), 10).filter((m) => m.id === again.id),
      );
      await current.run();

      // Assess
      expect(current.results.get(again.id)).toEqual(['duplicate']);
      expect(atlasRequests(current).length).toBeGreaterThan(before);
      await expectSettled(current, { outcome: 'succeeded' });
    });

    it('drops a stale poll arriving after the outcome, without calling Atlas or reporting again', async () => {
      // Prepare
      const current = await start();
      current.submit(drillRequest(current.seed));
      await current.run();
      const firstPoll = current.queue.sent.find(({ message }) => message.kind === 'poll');
      if (!firstPoll) throw new Error('no poll sent');
      const requestsBefore = current.sim.requests.length;

      // Act
      current.time.pass(3_600_000);
      const stale = current.submit(JSON.stringify(firstPoll.message));
      const forged = current.submit(JSON.stringify({ ...firstPoll.message, token: 'forged-token' }));
      await current.run();

      // Assess
      expect(current.results.get(stale.id)).toEqual(['finished-already']);
      expect(current.results.get(forged.id)).toEqual(['finished-already']);
      expect(current.sim.requests).toHaveLength(requestsBefore);
      await expectSettled(current, { outcome: 'succeeded' });
    });

    it('keeps a concurrent duplicate whose twin crashed after the POST from acknowledging the request for good', async () => {
      // Prepare
      const current = await start({ wrapAtlas: crashAfterFirstPost });
      const request = current.submit(drillRequest(current.seed));
      current.queue.receive(current.time.workflowClock.now(), 1);

      // Act
      await current.deliver([request], { duplicates: [request] });
      await current.run();

      // Assess
      await expectSettled(current, { outcome: 'succeeded' });
    });

    it('keeps a concurrent duplicate whose twin crashed before sending the first poll from acknowledging it', async () => {
      // Prepare
      let crashed = false;
      const current = await start({
        wrapQueue: (queue) =>
          intercept<Queue>(queue, async (method, args, call) => {
            if (method === 'send' && isPoll(args[0]) && !crashed) {
              crashed = true;
              throw new SimulatedCrash('before sending the first poll');
            }
            return call();
          }),
      });
      const request = current.submit(drillRequest(current.seed));
      current.queue.receive(current.time.workflowClock.now(), 1);

      // Act
      await current.deliver([request], { duplicates: [request] });
      await current.run();

      // Assess
      await expectSettled(current, { outcome: 'succeeded' });
    });
  });

  describe('two operations restoring the same snapshot onto the same target', () => {
    it.each([
      ['a 500 that did nothing', { kind: 'status', status: 500 } as const],
      ['a connection dropped before Atlas acted', { kind: 'drop' } as const],
    ])('never lets one adopt the job the other submitted after %s', async (_name, fault) => {
      // Prepare: two requests (a schedule and an operator, say) in one batch (the deployed batch size); one POST fails.
      const current = await start();
      current.submit(drillRequest(current.seed, { requestId: 'drill-scheduled' }));
      current.submit(drillRequest(current.seed, { requestId: 'drill-by-hand' }));
      current.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, fault);

      // Act
      await current.run();

      // Assess
      const scheduled = await current.ledger.get('drill-scheduled');
      const byHand = await current.ledger.get('drill-by-hand');
      const jobs = current.sim.state.restoreJobs(current.seed.groupId, current.seed.sourceClusterName);
      const recorded = [scheduled?.restoreJobId, byHand?.restoreJobId].filter((id) => id !== undefined);
      expect(new Set(recorded).size, 'two operations record the same restore job').toBe(recorded.length);
      expect(jobs.map((job) => job.id).sort()).toEqual([...recorded].sort());
    });
  });

  describe('a concurrent duplicate meeting a permanent error while its twin holds the submit claim', () => {
    it('cannot end the operation as failed while the twin submits the restore', async () => {
      // Prepare: copy 2's last check fails for good just after copy 1 claimed; copy 1's POST lands after that.
      let lists = 0;
      const ledger = () => current.ledger;
      const current = await start({
        wrapAtlas: (atlas) =>
          intercept(atlas, async (method, _args, call) => {
            if (method === 'listRestoreJobs' && ++lists === 2) {
              await waitFor(async () => (await ledger()?.get(OPERATION_ID))?.claimToken !== undefined);
              throw new AtlasApiError({
                operation: 'listBackupRestoreJobs',
                method: 'GET',
                path: '/x',
                status: 200,
                retryable: false,
                detail: 'response is not JSON',
              });
            }
            if (method !== 'createRestoreJob') return call();
            const job = await call();
            await waitFor(async () => (await ledger()?.get(OPERATION_ID))?.outcome !== undefined, 500).catch(
              () => undefined,
            );
            return job;
          }),
      });
      const request = current.submit(drillRequest(current.seed));
      current.queue.receive(current.time.workflowClock.now(), 1);

      // Act
      await current.deliver([request], { duplicates: [request] });
      await current.run();

      // Assess
      await expectSettled(current, { outcome: 'succeeded' });
    });
  });

  describe('a concurrent duplicate of a poll whose twin crashed after advancing the operation', () => {
    it('does not acknowledge the poll for good: the next poll is sent again', async () => {
      // Prepare
      let polls = 0;
      const current = await start({
        wrapQueue: (queue) =>
          intercept<Queue>(queue, async (method, args, call) => {
            if (method === 'send' && isPoll(args[0]) && ++polls === 2)
              throw new SimulatedCrash('before sending the second poll');
            return call();
          }),
      });
      current.submit(drillRequest(current.seed));
      await current.run({ until: async () => (await current.ledger.get(OPERATION_ID))?.restoreJobId !== undefined });
      const [poll] = current.queue.receive(Number.POSITIVE_INFINITY, 1);
      if (poll === undefined) throw new Error('no poll queued');
      current.time.passUntil(poll.dueAt);

      // Act
      await current.deliver([poll], { duplicates: [poll] });
      await current.run();

      // Assess
      await expectSettled(current, { outcome: 'succeeded' });
    });
  });

  describe('Lambda time running out', () => {
    const MARGIN_MS = 5_000;

    it('retries a step begun with almost no time left, without a call past the deadline', async () => {
      // Prepare
      const current = await start();
      current.submit(drillRequest(current.seed));

      // Act
      await current.run({ remainingMs: (invocation) => (invocation < 2 ? MARGIN_MS + 1 : undefined) });

      // Assess
      expect(current.batchItemFailures.length).toBeGreaterThanOrEqual(1);
      await expectSettled(current, { outcome: 'succeeded' });
    });

    it('stops a step whose deadline passes between two calls, and finishes it on redelivery', async () => {
      // Prepare
      let slowed = false;
      const current = await start({
        wrapAtlas: (atlas) =>
          intercept(atlas, async (method, args, call) => {
            const result = await call();
            const target = (args[0] as { clusterName?: string }).clusterName;
            if (method === 'getCluster' && target === current.seed.targetClusterName && !slowed) {
              slowed = true;
              // Past the handler's deadline (the timeout less its margin), still within the function's timeout.
              current.time.pass(current.platform.function.timeoutSeconds * 1000 - MARGIN_MS / 2);
            }
            return result;
          }),
      });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run();

      // Assess
      expect(current.batchItemFailures).toHaveLength(1);
      await expectSettled(current, { outcome: 'succeeded' });
    });

    it('abandons a read Atlas answers after the deadline, and reads again on redelivery', async () => {
      // Prepare
      const current = await start();
      current.sim.faults.inject({ operationId: 'listBackupSnapshots' }, { kind: 'delay', ms: 1_500 });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run({ remainingMs: (invocation) => (invocation === 0 ? MARGIN_MS + 400 : undefined) });

      // Assess
      expect(current.batchItemFailures).toHaveLength(1);
      await expectSettled(current, { outcome: 'succeeded' });
    });

    it('adopts the job of a POST Atlas carried out after the invocation gave up on it', async () => {
      // Prepare
      const current = await start();
      current.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'delay', ms: 1_000 });
      current.submit(drillRequest(current.seed));
      const [first] = current.queue.receive(current.time.workflowClock.now(), 1);
      if (!first) throw new Error('nothing queued');
      await current.deliver([first], { remainingMs: MARGIN_MS + 400 });
      await until(() => atlasRequests(current, 'createBackupRestoreJob').length === 1);

      // Act
      await current.run();

      // Assess
      const operation = await expectSettled(current, { outcome: 'succeeded' });
      expect(operation.adopted).toBe(true);
      expect(atlasRequests(current, 'createBackupRestoreJob')).toHaveLength(1);
    });
  });

  describe('clock skew between the workflow and Atlas', () => {
    it.each([
      ['2 minutes ahead', 120_000],
      ['2 minutes behind', -120_000],
      ['5 minutes behind', -300_000],
      ['5 minutes ahead', 300_000],
    ])('adopts the job of a crashed POST with the workflow clock %s', async (_name, skewMs) => {
      // Prepare
      const current = await start({ skewMs, wrapAtlas: crashAfterFirstPost });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run();

      // Assess
      const operation = await expectSettled(current, { outcome: 'succeeded' });
      expect(operation.adopted).toBe(true);
      expect(outcomeLines(current)).toHaveLength(1);
    });
  });
});

/** Waits (real time) for something a concurrent delivery does. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits (real time) for something the simulator does on its own, such as finishing a delayed request. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
