import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createVerifierHandler } from '../../../../functions/core/verification/verifier-handler.ts';
import {
  MalformedVerifierMessageError,
  type VerifierOutcome,
} from '../../../../functions/core/verification/verifier-service.ts';
import { fakeLambdaContext } from '../../../support/lambda-context.ts';

function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m${index}`,
      receiptHandle: `r${index}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:verifier',
      awsRegion: 'eu-west-1',
    })),
  };
}

describe('Function: createVerifierHandler', () => {
  it('reports a malformed message and a failed one as batch item failures, the others done, within the deadline', async () => {
    const errors: string[] = [];
    const deadlines: number[] = [];
    const handler = createVerifierHandler({
      service: {
        async handleMessage(body, invocation): Promise<VerifierOutcome> {
          deadlines.push(invocation.deadline);
          if (body === 'bad') throw new MalformedVerifierMessageError('not JSON');
          if (body === 'boom') throw new Error('ledger unavailable');
          return 'recorded';
        },
      },
      log: {
        debug: () => {},
        info: () => {},
        warn: () => {},
        error: (message) => errors.push(message),
      },
      now: () => 1_000,
    });
    const response = await handler(sqsEvent(['ok', 'bad', 'boom']), fakeLambdaContext({ timeoutMs: 60_000 }));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect(errors).toEqual(['malformed verifier message']);
    // One deadline for the batch: now + remaining time - the 5 s margin.
    expect(new Set(deadlines).size).toBe(1);
    expect(deadlines[0]).toBeGreaterThan(50_000);
    expect(deadlines[0]).toBeLessThanOrEqual(56_000);
  });
});
