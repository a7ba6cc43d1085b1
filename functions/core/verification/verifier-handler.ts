import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Log } from '../workflow/ports.ts';
import { MalformedVerifierMessageError, type VerifierOutcome } from './verifier-service.ts';

export interface VerifierHandlerOptions {
  readonly service: {
    handleMessage(body: string, invocation: { readonly deadline: number }): Promise<VerifierOutcome>;
  };
  readonly log: Log & { addContext?(context: Context): void };
  /** Real ms kept back from the remaining time to record the result after the last database call. */
  readonly deadlineMarginMs?: number;
  readonly now?: () => number;
}

const DEFAULT_DEADLINE_MARGIN_MS = 5_000;

/**
 * The verifier queue's SQS batch handler (Powertools, partial batch responses): a record that throws is delivered
 * again alone. A malformed message is reported (an error log line) and left to fail, so it reaches the dead-letter
 * queue where the alarm sees it.
 */
export function createVerifierHandler(options: VerifierHandlerOptions) {
  const { service, log } = options;
  const margin = options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  const now = options.now ?? Date.now;

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    log.addContext?.(context);
    const invocation = { deadline: now() + context.getRemainingTimeInMillis() - margin };
    const recordHandler = async (record: SQSRecord) => {
      try {
        const outcome = await service.handleMessage(record.body, invocation);
        log.debug('verifier message handled', { messageId: record.messageId, outcome });
      } catch (error) {
        if (error instanceof MalformedVerifierMessageError) {
          log.error('malformed verifier message', { messageId: record.messageId, issues: error.issues });
        } else {
          log.warn('verifier message failed; SQS will deliver it again', {
            messageId: record.messageId,
            receiveCount: record.attributes?.ApproximateReceiveCount,
            error,
          });
        }
        throw error;
      }
    };
    const processor = new BatchProcessor(EventType.SQS);
    return processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  };
}
