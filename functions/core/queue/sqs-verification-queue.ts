import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { verificationMessage } from '../contract/verification.ts';
import type { VerificationQueue } from '../workflow/ports.ts';

export interface SqsVerificationQueueOptions {
  readonly client: SQSClient;
  /** VERIFICATION_QUEUE_URL: the verifier function's own queue. */
  readonly queueUrl: string;
}

/** The VerificationQueue port on SQS: `{v:1, kind, operationId}`, validated before it leaves, no delay. */
export function createSqsVerificationQueue({ client, queueUrl }: SqsVerificationQueueOptions): VerificationQueue {
  return {
    async send(message) {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(verificationMessage.parse(message)) }),
      );
    },
  };
}
