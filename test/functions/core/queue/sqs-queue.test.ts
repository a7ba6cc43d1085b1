import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqsQueue, DEAD_LETTER_ATTRIBUTES } from '../../../../functions/core/queue/sqs-queue.ts';
import { type LocalAws, peekMessages, startLocalAws } from '../../../support/local-aws.ts';
import { requests } from '../workflow/fakes.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

beforeEach(() => {
  aws.fauxqs.reset();
});

afterAll(async () => {
  await aws?.stop();
});

const queueName = (url: string) => url.split('/').at(-1) ?? '';

function delayedFor(url: string) {
  const inspected = aws.fauxqs.inspectQueue(queueName(url));
  return (inspected?.messages.delayed ?? []).map((message) => ({
    body: JSON.parse(message.body) as unknown,
    delayMs: (message.delayUntil ?? 0) - message.sentTimestamp,
  }));
}

const poll = { v: 1 as const, kind: 'poll' as const, operationId: 'op-1', step: 2, token: 't' };

/** A dead-letter queue that takes `maxBytes` (SQS's smallest setting is 1 KiB), and the queue adapter on it. */
function smallDeadLetterQueue(maxBytes: number) {
  const created = aws.fauxqs.createQueue(`small-dlq-${maxBytes}`, {
    attributes: { MaximumMessageSize: String(maxBytes) },
  });
  const url = new URL(new URL(created.queueUrl).pathname, aws.sqsEndpoint).toString();
  const queue = createSqsQueue({
    client: aws.sqs,
    workQueueUrl: aws.workQueueUrl,
    deadLetterQueueUrl: url,
    deadLetterMaxBytes: maxBytes,
  });
  return { queue, url };
}

/** Bytes SQS counts for a message: the body, and each attribute's name, data type and value. */
function messageBytes(message: Message | undefined): number {
  const attributes = Object.entries(message?.MessageAttributes ?? {});
  return attributes.reduce(
    (total, [name, value]) =>
      total +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? ''),
    Buffer.byteLength(message?.Body ?? ''),
  );
}

const attribute = (message: Message | undefined, name: string) => message?.MessageAttributes?.[name]?.StringValue;

const longIssues = [
  { path: 'groupId', rule: 'invalid_format', message: `Invalid string: ${'€'.repeat(300)}` },
  { path: 'clusterName', rule: 'too_big', message: 'Too big: expected string to have <=64 characters' },
];

describe('SQS queue adapter', () => {
  it('sends an internal message with its delay', async () => {
    // Prepare
    const queue = createSqsQueue({
      client: aws.sqs,
      workQueueUrl: aws.workQueueUrl,
      deadLetterQueueUrl: aws.deadLetterQueueUrl,
    });

    // Act
    await queue.send(poll, 120);

    // Assess
    expect(delayedFor(aws.workQueueUrl)).toEqual([{ body: poll, delayMs: 120_000 }]);
  });

  it('scales delays for a fast simulated clock, rounding up', async () => {
    // Prepare
    const queue = createSqsQueue({
      client: aws.sqs,
      workQueueUrl: aws.workQueueUrl,
      deadLetterQueueUrl: aws.deadLetterQueueUrl,
      delayScale: 60,
    });

    // Act
    await queue.send(poll, 900);
    await queue.send({ ...poll, step: 3 }, 61);

    // Assess
    expect(delayedFor(aws.workQueueUrl).map(({ delayMs }) => delayMs)).toEqual([15_000, 2_000]);
  });

  it('refuses a delay SQS cannot hold instead of truncating it', async () => {
    // Prepare
    const queue = createSqsQueue({
      client: aws.sqs,
      workQueueUrl: aws.workQueueUrl,
      deadLetterQueueUrl: aws.deadLetterQueueUrl,
    });

    // Act
    const tooLong = queue.send(poll, 901);

    // Assess
    await expect(tooLong).rejects.toMatchObject({ code: 'QUEUE_DELAY_INVALID' });
  });

  it('enqueues a request on the work queue, at once', async () => {
    // Prepare
    const queue = createSqsQueue({
      client: aws.sqs,
      workQueueUrl: aws.workQueueUrl,
      deadLetterQueueUrl: aws.deadLetterQueueUrl,
    });
    const request = requests.automated();

    // Act
    await queue.enqueueRequest(request);

    // Assess
    const messages = await peekMessages(aws.sqs, aws.workQueueUrl);
    expect(messages.map((message) => JSON.parse(message.Body ?? ''))).toEqual([request]);
  });

  it('dead-letters a message verbatim, with the reason in attributes', async () => {
    // Prepare
    const queue = createSqsQueue({
      client: aws.sqs,
      workQueueUrl: aws.workQueueUrl,
      deadLetterQueueUrl: aws.deadLetterQueueUrl,
    });
    const issues = [
      { path: 'snapshotID', rule: 'unrecognized_keys', message: 'unknown field (did you mean snapshotId?)' },
    ];

    // Act
    await queue.deadLetter({ body: '{"snapshotID":"latest"}', code: 'INVALID_REQUEST', issues, origin: 'msg-1' });
    await queue.deadLetter({
      body: '',
      code: 'MALFORMED_JSON',
      issues: [{ path: '(message)', rule: 'json', message: 'x'.repeat(9000) }],
      origin: 'msg-2',
    });

    // Assess
    const [first, second] = await peekMessages(aws.sqs, aws.deadLetterQueueUrl);
    expect(first?.Body).toBe('{"snapshotID":"latest"}');
    expect(first?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.code]?.StringValue).toBe('INVALID_REQUEST');
    expect(first?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe(
      'snapshotID: unknown field (did you mean snapshotId?) [unrecognized_keys]',
    );
    expect(JSON.parse(first?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.issues]?.StringValue ?? '')).toEqual(issues);
    expect(first?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.origin]?.StringValue).toBe('msg-1');
    expect(second?.Body).toBe('(empty message)');
    expect(second?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue?.length).toBeLessThanOrEqual(4000);
  });

  it('dead-letters a body as large as the queue takes whole, with its reason cut to the bytes left', async () => {
    // Prepare: multi-byte characters, so that bytes and characters differ.
    const { queue, url } = smallDeadLetterQueue(2048);
    const body = `{"groupId":"${'é'.repeat(850)}"}`;

    // Act
    await queue.deadLetter({ body, code: 'INVALID_REQUEST', issues: longIssues, origin: 'largest' });

    // Assess
    const [letter] = await peekMessages(aws.sqs, url);
    expect(letter?.Body).toBe(body);
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.code)).toBe('INVALID_REQUEST');
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.origin)).toBe('largest');
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.reason)).toMatch(/^groupId: Invalid string: €+…$/);
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.bodyBytes)).toBeUndefined();
    expect(messageBytes(letter)).toBeLessThanOrEqual(2048);
    expect(messageBytes(letter)).toBeGreaterThan(2048 - 8);
  });

  it('cuts only a body too large to leave room for its code, keeping the reason and saying how long it was', async () => {
    // Prepare
    const { queue, url } = smallDeadLetterQueue(1024);
    const body = `{"groupId":"${'x'.repeat(1024 - 16)}"}`;

    // Act
    await queue.deadLetter({ body, code: 'INVALID_REQUEST', issues: longIssues.slice(1), origin: 'too-large' });

    // Assess
    const [letter] = await peekMessages(aws.sqs, url);
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.code)).toBe('INVALID_REQUEST');
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.origin)).toBe('too-large');
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.reason)).toBe(
      'clusterName: Too big: expected string to have <=64 characters [too_big]',
    );
    expect(attribute(letter, DEAD_LETTER_ATTRIBUTES.bodyBytes)).toBe(String(body.length));
    expect(body.startsWith(letter?.Body ?? '-')).toBe(true);
    expect(letter?.Body?.length).toBeGreaterThan(512);
    expect(messageBytes(letter)).toBeLessThanOrEqual(1024);
  });
});
