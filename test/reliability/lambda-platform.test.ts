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
      // Prepare: Lambda holds a received batch while the function is throttled (why the visibility timeout is six
      // times the timeout); the invocation starts late, and runs on past the visibility timeout counted from the receive.
      const platform = deployedPlatform();
      const visibilityMs = platform.workQueue.visibilityTimeoutSeconds * 1000;
      const timeoutMs = platform.function.timeoutSeconds * 1000;
      const heldMs = visibilityMs - timeoutMs / 2;
      const seen: number[] = [];
      const current = await start({
        wrapAtlas: (atlas) =>
          intercept(atlas, async (method, _args, call) => {
            if (method === 'listSnapshots' && seen.length === 0) {
              seen.push(current.queue.size);
              current.time.pass(timeoutMs / 2 + 1_000); // still within this invocation's timeout
              // Lambda's poller receives again while this copy still runs.
              const [again] = current.queue.receive(current.time.workflowClock.now(), platform.eventSource.batchSize);
              seen.push(again?.receiveCount ?? 0);
            }
            return call();
          }),
      });
      current.submit(drillRequest(current.seed));
      const [message] = current.queue.receive(current.time.workflowClock.now(), platform.eventSource.batchSize);
      if (message === undefined) throw new Error('nothing received');
      current.time.pass(heldMs);

      // Act
      await current.deliver([message]);

      // Assess: the second receive got the same message again, and the first copy's delete (an older receipt) did not
      // remove it: the second copy still holds it.
      expect(current.timedOut()).toBe(0);
      expect(seen).toEqual([1, 2]);
      expect(current.queue.size).toBeGreaterThanOrEqual(1);
    });

    it('refuses a template whose function timeout exceeds its queue visibility timeout, as Lambda does', () => {
      // Prepare
      const template = deployedTemplate();
      const visibilitySeconds = platformFromTemplate(template).workQueue.visibilityTimeoutSeconds;

      // Act
      const read = () => platformFromTemplate(withProperties(template, 'function', { Timeout: visibilitySeconds + 1 }));

      // Assess
      expect(read).toThrow(/visibility timeout/);
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
