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
  /**
   * The dead-letter queue's MaximumMessageSize: the body and the message attributes must fit in it together.
   * Default 1 MiB (SQS's largest, and a new queue's default).
   */
  readonly deadLetterMaxBytes?: number;
}

/** Message attributes on a dead letter; the body stays exactly as received, so a fixed message can be resent. */
export const DEAD_LETTER_ATTRIBUTES = {
  code: 'RejectionCode',
  reason: 'RejectionReason',
  issues: 'RejectionIssues',
  origin: 'RejectionOrigin',
  /** Only on a body that had to be cut to fit beside its reason: its length in bytes as received. */
  bodyBytes: 'RejectionBodyBytes',
} as const;

/** SQS's largest message (body and attributes together), and the MaximumMessageSize of a new queue. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** Readable in a console: longer reasons are cut (the issues list says the rest, when it fits). */
const MAX_REASON_LENGTH = 4_000;
/** SQS refuses an empty body: an empty message is dead-lettered as this visible placeholder. */
const EMPTY_BODY = '(empty message)';

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
  const deadLetterMaxBytes = options.deadLetterMaxBytes ?? SQS_MAX_MESSAGE_BYTES;

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
      const { body, attributes } = deadLetterMessage(letter, deadLetterMaxBytes);
      await client.send(
        new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: body, MessageAttributes: attributes }),
      );
    },
  };
}

/**
 * A dead letter within the queue's size: the body exactly as received with its code and origin, then as much of
 * the reason and of the issues as the bytes left hold. Only a body too large to leave room even for its code and
 * origin (one as large as the work queue takes, or a direct invocation's event of up to 6 MB) is cut, keeping its
 * reason, and `RejectionBodyBytes` says how long it was.
 */
function deadLetterMessage(
  letter: DeadLetter,
  maxBytes: number,
): { body: string; attributes: Record<string, MessageAttributeValue> } {
  const attributes: Record<string, MessageAttributeValue> = {
    [DEAD_LETTER_ATTRIBUTES.code]: text(letter.code),
    [DEAD_LETTER_ATTRIBUTES.origin]: text(letter.origin || 'unknown'),
  };
  const reason = cutToLength(describeContractIssues(letter.issues) || letter.code);
  const issues = cutToLength(JSON.stringify(letter.issues));
  let body = letter.body.length > 0 ? letter.body : EMPTY_BODY;
  if (utf8Bytes(body) + attributesBytes(attributes) > maxBytes) {
    attributes[DEAD_LETTER_ATTRIBUTES.bodyBytes] = text(String(utf8Bytes(letter.body)));
    const left = maxBytes - attributesBytes(attributes);
    // The reason is what an operator needs first; the list of issues repeats it for machines and gives way.
    addCut(attributes, DEAD_LETTER_ATTRIBUTES.reason, reason, Math.floor(left / 2));
    body = cutToBytes(body, maxBytes - attributesBytes(attributes), '');
    return { body, attributes };
  }
  addCut(attributes, DEAD_LETTER_ATTRIBUTES.reason, reason, maxBytes - utf8Bytes(body) - attributesBytes(attributes));
  addCut(attributes, DEAD_LETTER_ATTRIBUTES.issues, issues, maxBytes - utf8Bytes(body) - attributesBytes(attributes));
  return { body, attributes };
}

function text(value: string): MessageAttributeValue {
  // SQS refuses a lone surrogate (an unknown key may hold one): it becomes U+FFFD.
  return { DataType: 'String', StringValue: value.toWellFormed() };
}

/** Adds `name` with as much of `value` as `roomBytes` holds (name and type included), or not at all. */
function addCut(
  attributes: Record<string, MessageAttributeValue>,
  name: string,
  value: string,
  roomBytes: number,
): void {
  const cut = cutToBytes(value, roomBytes - attributeBytes(name, ''));
  if (cut.length > 0) attributes[name] = text(cut);
}

/** What SQS counts for a message attribute: its name, its data type and its value, in UTF-8 bytes. */
function attributeBytes(name: string, value: string): number {
  return utf8Bytes(name) + utf8Bytes('String') + utf8Bytes(value);
}

function attributesBytes(attributes: Record<string, MessageAttributeValue>): number {
  return Object.entries(attributes).reduce(
    (total, [name, attribute]) => total + attributeBytes(name, attribute.StringValue ?? ''),
    0,
  );
}

function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

const ELLIPSIS = '…';

function cutToLength(value: string): string {
  if (value.length <= MAX_REASON_LENGTH) return value;
  // Never cut a surrogate pair in two: SQS refuses a lone surrogate.
  return `${value.slice(0, MAX_REASON_LENGTH - 1).replace(/[\uD800-\uDBFF]$/, '')}${ELLIPSIS}`;
}

/** The longest start of `value` that fits in `maxBytes` of UTF-8 with `marker` after it, whole characters only. */
function cutToBytes(value: string, maxBytes: number, marker = ELLIPSIS): string {
  if (utf8Bytes(value) <= maxBytes) return value;
  const room = maxBytes - utf8Bytes(marker);
  if (room <= 0) return '';
  // encodeInto writes whole code points only (a surrogate pair is one), and says how many UTF-16 units it read.
  const { read } = new TextEncoder().encodeInto(value, new Uint8Array(room));
  return read > 0 ? `${value.slice(0, read)}${marker}` : '';
}
