import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeContractIssues } from '../contract/issues.ts';
import { SQS_MAX_DELAY_SECONDS } from '../workflow/cadence.ts';
import type { DeadLetter, Queue } from '../workflow/ports.ts';

export interface SqsQueueOptions {
  readonly client: SQSClient;
  readonly workQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /**
   * Clock ms per real ms when the workflow's clock is simulated (local drills): real DelaySeconds is
   * ceil(delay / scale), so a 4-hour restore on a fast simulator runs in seconds with the same code. Default 1.
   */
  readonly delayScale?: number;
}

/** Message attributes on a dead letter; the body stays exactly as received, so a fixed message can be resent. */
export const DEAD_LETTER_ATTRIBUTES = {
  code: 'RejectionCode',
  reason: 'RejectionReason',
  issues: 'RejectionIssues',
  origin: 'RejectionOrigin',
} as const;

/** SQS message attributes hold 256 KB with the body; keep the reason well below. */
const MAX_REASON_LENGTH = 4_000;

export class QueueError extends Error {
  readonly code = 'QUEUE_DELAY_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'QueueError';
  }
}

/** The workflow's Queue port on SQS: internal messages and requests go to the work queue, rejections to the DLQ. */
export function createSqsQueue(options: SqsQueueOptions): Queue {
  const { client, workQueueUrl, deadLetterQueueUrl } = options;
  const scale = options.delayScale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new QueueError(`delayScale must be a positive number, got ${scale}`);

  return {
    async send(message, delaySeconds) {
      if (!Number.isFinite(delaySeconds) || delaySeconds < 0 || delaySeconds > SQS_MAX_DELAY_SECONDS) {
        throw new QueueError(`delay must be 0 to ${SQS_MAX_DELAY_SECONDS} s, got ${delaySeconds}`);
      }
      await client.send(
        new SendMessageCommand({
          QueueUrl: workQueueUrl,
          MessageBody: JSON.stringify(message),
          DelaySeconds: Math.ceil(delaySeconds / scale),
        }),
      );
    },

    async enqueueRequest(request) {
      await client.send(new SendMessageCommand({ QueueUrl: workQueueUrl, MessageBody: JSON.stringify(request) }));
    },

    async deadLetter(letter: DeadLetter) {
      const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
      await client.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          // SQS refuses an empty body: an empty message is dead-lettered as a visible placeholder.
          MessageBody: letter.body.length > 0 ? letter.body : '(empty message)',
          MessageAttributes: {
            [DEAD_LETTER_ATTRIBUTES.code]: text(letter.code),
            [DEAD_LETTER_ATTRIBUTES.reason]: text(truncate(describeContractIssues(letter.issues) || letter.code)),
            [DEAD_LETTER_ATTRIBUTES.issues]: text(truncate(JSON.stringify(letter.issues))),
            [DEAD_LETTER_ATTRIBUTES.origin]: text(letter.origin || 'unknown'),
          },
        }),
      );
    },
  };
}

function truncate(value: string): string {
  if (value.length <= MAX_REASON_LENGTH) return value;
  // Never cut a surrogate pair in two: SQS refuses a lone surrogate.
  return `${value.slice(0, MAX_REASON_LENGTH - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}
