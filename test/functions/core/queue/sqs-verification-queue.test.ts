import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationMessage } from '../../../../functions/core/contract/verification.ts';
import { createSqsVerificationQueue } from '../../../../functions/core/queue/sqs-verification-queue.ts';
import { type LocalAws, peekMessages, startLocalAws } from '../../../support/local-aws.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ prefix: 'verification-queue' });
});

afterAll(async () => {
  await aws?.stop();
});

function verificationQueueUrl(): string {
  const created = aws.fauxqs.createQueue('verification');
  return new URL(new URL(created.queueUrl).pathname, aws.sqsEndpoint).toString();
}

describe('SQS verification queue adapter', () => {
  it("sends the verifier's messages to its own queue, as the contract's JSON", async () => {
    // Prepare
    const url = verificationQueueUrl();
    const queue = createSqsVerificationQueue({ client: aws.sqs, queueUrl: url });

    // Act
    await queue.send({ v: 1, kind: 'inventory', operationId: 'drill-1' });
    await queue.send({ v: 1, kind: 'verify', operationId: 'drill-1' });

    // Assess
    const bodies = (await peekMessages(aws.sqs, url)).map((message) => JSON.parse(message.Body ?? ''));
    expect(bodies).toEqual([
      { v: 1, kind: 'inventory', operationId: 'drill-1' },
      { v: 1, kind: 'verify', operationId: 'drill-1' },
    ]);
    expect(await peekMessages(aws.sqs, aws.workQueueUrl)).toEqual([]);
  });

  it('refuses a message outside the contract before it leaves', async () => {
    // Prepare
    const queue = createSqsVerificationQueue({ client: aws.sqs, queueUrl: verificationQueueUrl() });

    // Act
    const sent = queue.send({ v: 1, kind: 'teardown', operationId: 'drill-1' } as unknown as VerificationMessage);

    // Assess
    await expect(sent).rejects.toThrow(/kind/);
  });
});
