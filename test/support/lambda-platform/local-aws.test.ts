import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalAws, peekMessages, pollOnce, sendToQueue, startLocalAws } from '../local-aws.ts';
import {
  deployedPlatform,
  deployedTemplate,
  type LambdaPlatform,
  platformFromTemplate,
  withoutRecursiveLoop,
  withProperties,
} from './deployed.ts';
import { lineageOfHeader, RECURSION_LIMIT, runInvocation } from './lineage.ts';
import { SQS_MAX_DELAY_SECONDS } from './sqs-rules.ts';

/** The local consumer (fauxqs) as Lambda runs the deployed function: lineage, recursion stop, timeouts, SQS limits. */
describe('Local AWS: Lambda and SQS as deployed', () => {
  let aws: LocalAws | undefined;
  afterEach(async () => {
    await aws?.stop();
    aws = undefined;
  });

  const start = async (platform?: LambdaPlatform, timeScale?: number) => {
    aws = await startLocalAws({
      prefix: `platform-${Math.random().toString(36).slice(2, 8)}`,
      ...(platform ? { platform } : {}),
      ...(timeScale ? { timeScale } : {}),
    });
    return aws;
  };
  const lineagesOf = (event: SQSEvent) =>
    event.Records.map((record) => lineageOfHeader(record.attributes.AWSTraceHeader));
  const waitingMessages = async (local: LocalAws, queueUrl: string) => {
    const { Attributes } = await local.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages);
  };

  it('creates the work queue with the template visibility timeout (scaled) and maxReceiveCount', async () => {
    // Prepare
    const platform = deployedPlatform();

    // Act
    const local = await start(undefined, 60);

    // Assess
    const { Attributes } = await local.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: local.workQueueUrl, AttributeNames: ['All'] }),
    );
    expect(Number(Attributes?.VisibilityTimeout)).toBe(Math.ceil(platform.workQueue.visibilityTimeoutSeconds / 60));
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}').maxReceiveCount).toBe(
      String(platform.workQueue.maxReceiveCount),
    );
  });

  it('creates the verification queue as the template does, and feeds it to the verifier one message per invocation', async () => {
    // Prepare
    const { verifier } = deployedPlatform();
    const local = await start(undefined, 60);
    const queueUrl = local.verification?.queueUrl ?? '';
    await sendToQueue(local.sqs, queueUrl, JSON.stringify({ v: 1, kind: 'verify', operationId: 'op-1' }));
    await sendToQueue(local.sqs, queueUrl, JSON.stringify({ v: 1, kind: 'verify', operationId: 'op-2' }));
    const batches: string[][] = [];
    const handler = async (event: SQSEvent) => {
      batches.push(event.Records.map((record) => JSON.parse(record.body).operationId));
      expect(event.Records[0]?.eventSourceARN).toBe(local.verification?.queueArn);
      return { batchItemFailures: [] };
    };

    // Act
    const { Attributes } = await local.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    await pollOnce({ aws: local, handler, waitTimeSeconds: 0, consumer: 'verifier' });
    await pollOnce({ aws: local, handler, waitTimeSeconds: 0, consumer: 'verifier' });

    // Assess
    expect(Number(Attributes?.VisibilityTimeout)).toBe(
      Math.ceil((verifier?.workQueue.visibilityTimeoutSeconds ?? 0) / 60),
    );
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}').maxReceiveCount).toBe(
      String(verifier?.workQueue.maxReceiveCount),
    );
    expect(batches).toEqual([['op-1'], ['op-2']]);
    expect(await waitingMessages(local, local.workQueueUrl)).toBe(0);
  });

  it('gives each message sent during an invocation that invocation lineage + 1, with invocations running concurrently', async () => {
    // Prepare: one record per invocation, two chains at different lineages, both invocations running at once.
    const template = withProperties(deployedTemplate(), 'eventSource', { BatchSize: 1 });
    const local = await start(platformFromTemplate(template));
    await sendToQueue(local.sqs, local.workQueueUrl, 'a');
    await runInvocation({ lineage: 5, killedAt: Number.POSITIVE_INFINITY, now: Date.now }, () =>
      sendToQueue(local.sqs, local.workQueueUrl, 'b'),
    );
    const seen: Record<string, number[]> = {};
    let arrived = 0;
    let bothArrived: () => void = () => undefined;
    const together = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    const handler = async (event: SQSEvent) => {
      const body = event.Records[0]?.body ?? '';
      seen[body] = lineagesOf(event);
      if (++arrived === 2) bothArrived();
      await together;
      await local.sqs.send(new SendMessageCommand({ QueueUrl: local.workQueueUrl, MessageBody: `${body}-next` }));
      return { batchItemFailures: [] };
    };

    // Act
    await Promise.all([
      pollOnce({ aws: local, handler, waitTimeSeconds: 0 }),
      pollOnce({ aws: local, handler, waitTimeSeconds: 0 }),
    ]);

    // Assess
    expect(seen).toEqual({ a: [0], b: [6] });
    const next = await peekMessages(local.sqs, local.workQueueUrl);
    expect(Object.fromEntries(next.map((message) => [message.Body, local.lineageOf(message.MessageId)]))).toEqual({
      'a-next': 1,
      'b-next': 7,
    });
  });

  it.each([
    ['without a RecursiveLoop setting (Terminate)', true],
    ['with the template as deployed (Allow)', false],
  ])('runs a chain of sends %s', async (_name, removed) => {
    // Prepare: a function that sends every message it gets back to its queue.
    const template = removed ? withoutRecursiveLoop(deployedTemplate()) : deployedTemplate();
    const local = await start(platformFromTemplate(template));
    await sendToQueue(local.sqs, local.workQueueUrl, 'again');
    const lineages: number[] = [];
    const handler = async (event: SQSEvent) => {
      lineages.push(...lineagesOf(event));
      await local.sqs.send(new SendMessageCommand({ QueueUrl: local.workQueueUrl, MessageBody: 'again' }));
      return { batchItemFailures: [] };
    };

    // Act
    for (let poll = 0; poll < RECURSION_LIMIT + 4; poll++) await pollOnce({ aws: local, handler, waitTimeSeconds: 0 });

    // Assess
    if (removed) {
      expect(lineages).toEqual(Array.from({ length: RECURSION_LIMIT }, (_, index) => index));
      expect(await waitingMessages(local, local.deadLetterQueueUrl)).toBe(1);
      expect(await waitingMessages(local, local.workQueueUrl)).toBe(0);
    } else {
      expect(lineages).toEqual(Array.from({ length: RECURSION_LIMIT + 4 }, (_, index) => index));
      expect(await waitingMessages(local, local.deadLetterQueueUrl)).toBe(0);
    }
  });

  it('ends an invocation at its timeout: nothing it sends afterwards leaves, and its batch comes back', async () => {
    // Prepare: a 1-second function on a queue whose visibility timeout passes 360 times faster.
    const platform = platformFromTemplate(withProperties(deployedTemplate(), 'function', { Timeout: 1 }));
    const local = await start(platform, platform.workQueue.visibilityTimeoutSeconds);
    await sendToQueue(local.sqs, local.workQueueUrl, 'slow');
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let lateSend: Promise<unknown> | undefined;
    const handler = async () => {
      await held;
      lateSend = local.sqs.send(new SendMessageCommand({ QueueUrl: local.workQueueUrl, MessageBody: 'late' }));
      await lateSend.catch(() => undefined);
      return { batchItemFailures: [] };
    };

    // Act
    const first = await pollOnce({ aws: local, handler, waitTimeSeconds: 0 });
    release();
    await held;
    await new Promise((resolve) => setImmediate(resolve));
    const again: SQSEvent[] = [];
    // Short polls until the message is visible again (fauxqs does not end a long poll when a visibility timeout ends).
    for (let attempt = 0; again.length === 0 && attempt < 200; attempt++) {
      const result = await pollOnce({
        aws: local,
        handler: async (event) => {
          again.push(event);
          return { batchItemFailures: [] };
        },
        waitTimeSeconds: 0,
      });
      if (result.received === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Assess
    expect(first).toMatchObject({ received: 1, failed: 1, timedOut: true });
    await expect(lateSend).rejects.toThrow(/ended at its timeout/);
    expect(
      again.flatMap((event) => event.Records.map((record) => [record.body, record.attributes.ApproximateReceiveCount])),
    ).toEqual([['slow', '2']]);
  });

  it('refuses a DelaySeconds over 900, as SQS does (fauxqs would take it)', async () => {
    // Prepare
    const local = await start();

    // Act
    const over = sendToQueue(local.sqs, local.workQueueUrl, 'later', SQS_MAX_DELAY_SECONDS + 1);
    const limit = sendToQueue(local.sqs, local.workQueueUrl, 'later', SQS_MAX_DELAY_SECONDS);

    // Assess
    await expect(over).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    await expect(limit).resolves.toBeUndefined();
  });
});
