import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Log } from './ports.ts';
import type { DirectResult, RestoreService } from './service.ts';

export interface HandlerOptions {
  readonly service: RestoreService;
  /** Powertools Logger fits; `addContext` is called per invocation when present. */
  readonly log: Log & { addContext?(context: Context): void };
  /** Real ms kept back from the invocation's remaining time for ledger and queue writes after the last Atlas call. */
  readonly deadlineMarginMs?: number;
  /** Real time, for deadlines. Default Date.now. */
  readonly now?: () => number;
}

export type RestoreHandler = (event: unknown, context: Context) => Promise<SQSBatchResponse | DirectResult>;

const DEFAULT_DEADLINE_MARGIN_MS = 5_000;

/**
 * The Lambda handler over a RestoreService. An SQS batch is processed record by record, in parallel, with partial
 * batch responses: a record that throws is retried alone. Anything else is a direct invocation (a restore request,
 * or an EventBridge event carrying one): validated and put on the work queue.
 *
 * A local consumer calls it exactly as Lambda does: receive up to 10 messages, build an SQSEvent (`Records` with
 * messageId, receiptHandle, body, `eventSource: 'aws:sqs'`), call `handler(event, context)`, then delete every
 * message except those listed in `batchItemFailures`.
 */
export function createHandler(options: HandlerOptions): RestoreHandler {
  const { service, log } = options;
  const margin = options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  const now = options.now ?? Date.now;

  return async (event, context) => {
    log.addContext?.(context);
    const invocation = { deadline: now() + context.getRemainingTimeInMillis() - margin };
    if (!isSqsEvent(event)) return service.acceptDirect(event, { requestId: context.awsRequestId });

    const recordHandler = async (record: SQSRecord) => {
      try {
        const result = await service.handleMessage(record.body, { messageId: record.messageId }, invocation);
        log.debug('message handled', { messageId: record.messageId, result });
      } catch (error) {
        log.warn('message failed; SQS will deliver it again', {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          error,
        });
        throw error;
      }
    };
    // One processor per invocation: a local consumer may run several batches at once, and processors keep state.
    const processor = new BatchProcessor(EventType.SQS);
    return processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  };
}

function isSqsEvent(event: unknown): event is SQSEvent {
  if (typeof event !== 'object' || event === null || !('Records' in event)) return false;
  const records = (event as { Records: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => typeof record === 'object' && record !== null && record.eventSource === 'aws:sqs')
  );
}
