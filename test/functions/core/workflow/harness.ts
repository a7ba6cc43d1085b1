import type { MessageResult, RestoreService } from '../../../../functions/core/workflow/service.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import type { Fixture, QueuedMessage } from './fakes.ts';

export interface DrainOptions {
  /** Clock ms before a failed message is visible again (SQS visibility timeout). Default 5 minutes. */
  readonly visibilityTimeoutMs?: number;
  /** Receives before a failing message goes to the (redrive) DLQ. Default 10. */
  readonly maxReceiveCount?: number;
  /** Stop after this many deliveries. Default 500. */
  readonly maxDeliveries?: number;
  /** Deliver this message twice, concurrently (a duplicate delivery by SQS). */
  readonly duplicate?: (message: QueuedMessage) => boolean;
}

export interface DrainReport {
  readonly results: MessageResult[];
  readonly failures: { message: QueuedMessage; error: unknown }[];
  readonly redriven: QueuedMessage[];
  readonly deliveries: number;
}

/** Delivers queued messages in due order on the manual clock, as SQS + Lambda would, until the queue is empty. */
export async function drain(f: Fixture, service: RestoreService, options: DrainOptions = {}): Promise<DrainReport> {
  const visibility = options.visibilityTimeoutMs ?? 5 * 60_000;
  const maxReceive = options.maxReceiveCount ?? 10;
  const results: MessageResult[] = [];
  const failures: DrainReport['failures'] = [];
  const redriven: QueuedMessage[] = [];
  let deliveries = 0;
  for (;;) {
    if (deliveries >= (options.maxDeliveries ?? 500)) throw new Error('drain: too many deliveries');
    const message = f.queue.takeNext();
    if (message === undefined) break;
    f.clock.set(message.dueAt);
    message.receiveCount += 1;
    deliveries += 1;
    const copies = options.duplicate?.(message) ? 2 : 1;
    const invocation = { deadline: Date.now() + 60_000 };
    const settled = await Promise.allSettled(
      Array.from({ length: copies }, () => service.handleMessage(message.body, { messageId: message.id }, invocation)),
    );
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    for (const outcome of settled) if (outcome.status === 'fulfilled') results.push(outcome.value);
    if (failed) {
      failures.push({ message, error: failed.reason });
      if (message.receiveCount >= maxReceive) redriven.push(message);
      else {
        message.dueAt = f.clock.now() + visibility;
        f.queue.messages.push(message);
      }
    }
  }
  return { results, failures, redriven, deliveries };
}

/** Puts a request on the queue as an operator would, and drains. */
export async function runRequest(
  f: Fixture,
  request: unknown,
  options: DrainOptions = {},
): Promise<DrainReport & { service: RestoreService }> {
  const service = createRestoreService(f.deps);
  f.queue.put(typeof request === 'string' ? request : JSON.stringify(request));
  return { ...(await drain(f, service, options)), service };
}
