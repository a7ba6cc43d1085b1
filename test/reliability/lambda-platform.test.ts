import { describe, expect, it } from 'vitest';
import {
  deployedPlatform,
  deployedTemplate,
  platformFromTemplate,
  withoutRecursiveLoop,
  withProperties,
} from '../support/lambda-platform/deployed.ts';
import { RECURSION_LIMIT, RECURSION_STOPPED } from '../support/lambda-platform/lineage.ts';
import { SQS_MAX_DELAY_SECONDS } from '../support/lambda-platform/sqs-rules.ts';
import { drillRequest, expectSettled, OPERATION_ID } from './support/expectations.ts';
import { intercept } from './support/faults.ts';
import { useSystems } from './support/use-systems.ts';

const HOUR_MS = 3_600_000;

/**
 * The whole function on Lambda and SQS as the stack deploys them: every number (timeout, batch size, visibility
 * timeout, maxReceiveCount, the recursive-loop setting, the workflow's environment) comes from the synthesized
 * template; a variant is the same template with one property edited.
 */
describe('Reliability: Lambda and SQS as deployed', () => {
  const start = useSystems();

  describe('recursive loop detection', () => {
    it('dead-letters a 1-hour restore at its 17th invocation when the function has no RecursiveLoop setting', async () => {
      // Prepare
      const platform = platformFromTemplate(withoutRecursiveLoop(deployedTemplate()));
      const current = await start({ platform, simulator: { durations: { automatedRestoreMs: HOUR_MS } } });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run();

      // Assess
      expect(platform.function.recursiveLoop).toBe('Terminate');
      expect(current.invocations()).toBe(RECURSION_LIMIT);
      expect(current.queue.redriven.map(({ message, reason }) => ({ lineage: message.lineage, reason }))).toEqual([
        { lineage: RECURSION_LIMIT, reason: RECURSION_STOPPED },
      ]);
      const operation = await current.ledger.get(OPERATION_ID);
      expect(operation?.outcome).toBeUndefined();
    });

    it('finishes the same 1-hour restore with the template as deployed (RecursiveLoop: Allow)', async () => {
      // Prepare
      const current = await start({ simulator: { durations: { automatedRestoreMs: HOUR_MS } } });
      current.submit(drillRequest(current.seed));

      // Act
      await current.run();

      // Assess
      expect(current.queue.redriven).toEqual([]);
      await expectSettled(current, { outcome: 'succeeded' });
      expect(current.invocations()).toBeGreaterThan(RECURSION_LIMIT);
      // Each invocation's sends carry its lineage + 1; the last one (the outcome) sends nothing.
      expect(Math.max(...current.queue.sent.map((sent) => sent.lineage))).toBe(current.invocations() - 1);
    });
  });

  describe('timeouts and visibility', () => {
    it('loses the whole batch of an invocation ended at its timeout: every record comes back after the visibility timeout', async () => {
      // Prepare: two requests in one batch; creating the second one's operation hangs past the function's timeout.
      const platform = deployedPlatform();
      let hung = false;
      const current = await start({
        wrapLedger: (ledger) =>
          intercept(ledger, async (method, args, call) => {
            const result = await call();
            if (method === 'create' && (args[0] as { operationId?: string }).operationId === 'drill-slow' && !hung) {
              hung = true;
              current.time.pass(platform.function.timeoutSeconds * 1000 + 1_000);
            }
            return result;
          }),
      });
      const fast = current.submit(drillRequest(current.seed, { requestId: 'drill-fast' }));
      const slow = current.submit(drillRequest(current.seed, { requestId: 'drill-slow' }));
      const receivedAt = current.time.workflowClock.now();
      const batch = current.queue.receive(receivedAt, platform.eventSource.batchSize);
      expect(batch).toEqual([fast, slow]);

      // Act
      await current.deliver(batch);

      // Assess: nothing the handler answered arrived; both records are back when the visibility timeout ends.
      expect(current.timedOut()).toBe(1);
      const visibleAt = receivedAt + platform.workQueue.visibilityTimeoutSeconds * 1000;
      expect(current.queue.receive(visibleAt - 1, platform.eventSource.batchSize)).toEqual([]);
      expect(current.queue.receive(visibleAt, platform.eventSource.batchSize).map((message) => message.id)).toEqual([
        fast.id,
        slow.id,
      ]);
    });

    it('redelivers a message whose visibility timeout ends while its first copy still runs', async () => {
      // Prepare: a template whose function may run longer than its queue's visibility timeout.
      const template = deployedTemplate();
      const visibilitySeconds = platformFromTemplate(template).workQueue.visibilityTimeoutSeconds;
      const platform = platformFromTemplate(withProperties(template, 'function', { Timeout: visibilitySeconds * 2 }));
      const seen: number[] = [];
      const current = await start({
        platform,
        wrapAtlas: (atlas) =>
          intercept(atlas, async (method, _args, call) => {
            if (method === 'listSnapshots' && seen.length === 0) {
              seen.push(current.queue.size);
              current.time.pass(visibilitySeconds * 1000 + 1_000);
              // Lambda's poller receives again while this copy still runs.
              const [again] = current.queue.receive(current.time.workflowClock.now(), 10);
              seen.push(again?.receiveCount ?? 0);
            }
            return call();
          }),
      });
      current.submit(drillRequest(current.seed));

      // Act
      const [message] = current.queue.receive(current.time.workflowClock.now(), 1);
      if (message === undefined) throw new Error('nothing received');
      await current.deliver([message]);

      // Assess: the second receive got the same message again, and the first copy's delete did not remove it.
      expect(seen).toEqual([1, 2]);
      expect(current.queue.size).toBeGreaterThanOrEqual(1);
    });

    it('keeps the deployed visibility timeout above the timeout: a hung invocation is ended before its message reappears', () => {
      // Assess
      const platform = deployedPlatform();
      expect(platform.workQueue.visibilityTimeoutSeconds).toBeGreaterThan(platform.function.timeoutSeconds);
    });
  });

  describe('SQS delays', () => {
    it('refuses a send delayed past 900 s, as SQS does', async () => {
      // Prepare
      const current = await start();

      // Act
      const send = current.queue.send({ kind: 'poll' } as never, SQS_MAX_DELAY_SECONDS + 1);

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    });
  });
});
