import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRestoreService } from '../../../functions/core/workflow/service.ts';
import { type LocalAws, peekMessages, startLocalAws } from '../../support/local-aws.ts';
import { startLossyProxy } from '../../support/lossy-proxy.ts';
import { fixture } from '../core/workflow/fakes.ts';
import { runCli, runInProcess } from './run-cli.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';

/** A sent body: a request, or an event with the request as its detail. */
type Sent = { requestId?: string; detail?: { requestId?: string } };
const DRILL_FLAGS = [
  'automated',
  '--projectId',
  GROUP,
  '--clusterName',
  'prod',
  '--targetProjectId',
  GROUP,
  '--targetClusterName',
  'dr-drill',
];

describe.concurrent('CLI: atlas-restore enqueue', () => {
  let aws: LocalAws;
  let queues = 0;
  const directory = mkdtempSync(join(tmpdir(), 'atlas-restore-enqueue-'));

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'enqueue' });
  });
  afterAll(async () => {
    await aws.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  /** A queue of its own per test, and the environment an operator's shell would have. */
  function queueAndEnv(): { queueUrl: string; env: Record<string, string> } {
    queues += 1;
    const { queueUrl } = aws.fauxqs.createQueue(`enqueue-${queues}`);
    return {
      queueUrl,
      env: {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
        ATLAS_RESTORE_QUEUE_URL: queueUrl,
      },
    };
  }

  function file(name: string, content: string): string {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  }

  it('sends the request built from flags and prints the message and operation ids', async ({ expect }) => {
    // Prepare
    const { queueUrl, env } = queueAndEnv();

    // Act
    const result = await runCli(['enqueue', ...DRILL_FLAGS, '--requestId', 'drill-2026-11-28'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const [message, ...others] = await peekMessages(aws.sqs, queueUrl);
    expect(others).toHaveLength(0);
    expect(result.stdout).toBe(
      `queued automated restore of ${GROUP}/prod (snapshot latest) onto ${GROUP}/dr-drill\nmessage ${message?.MessageId}, operation drill-2026-11-28\n`,
    );
    expect(JSON.parse(message?.Body ?? '')).toEqual({
      groupId: GROUP,
      clusterName: 'prod',
      deliveryType: 'automated',
      targetGroupId: GROUP,
      targetClusterName: 'dr-drill',
      requestId: 'drill-2026-11-28',
    });
  });

  it('sends a message file exactly as written, with --queueUrl and --json', async ({ expect }) => {
    // Prepare
    const { queueUrl, env } = queueAndEnv();
    const event = JSON.stringify({
      'detail-type': 'Restore requested',
      source: 'ops.runbook',
      id: 'evt-42',
      detail: { groupId: GROUP, clusterName: 'prod', deliveryType: 'download', dryRun: true, requestId: 'dl-7' },
    });
    const { ATLAS_RESTORE_QUEUE_URL: _fromFlag, ...withoutQueueVariable } = env;

    // Act
    const result = await runCli(
      ['enqueue', '--message', file('event.json', `${event}\n`), '--queueUrl', queueUrl, '--json'],
      withoutQueueVariable,
    );

    // Assess
    expect(result.code).toBe(0);
    const [message] = await peekMessages(aws.sqs, queueUrl);
    expect(message?.Body).toBe(event);
    expect(JSON.parse(result.stdout)).toEqual({ messageId: message?.MessageId, operationId: 'dl-7', queueUrl });
  });

  it('fixes a requestId before sending, so an SDK retry of a send whose answer was lost is one operation', async ({
    expect,
  }) => {
    // Prepare: SQS applies the first SendMessage but its answer is lost; the SDK sends the same call again.
    const { queueUrl, env } = queueAndEnv();
    const proxy = await startLossyProxy({
      upstream: aws.sqsEndpoint,
      lose: 1,
      matches: (request) => request.headers['x-amz-target'] === 'AmazonSQS.SendMessage',
    });
    const f = fixture();
    const service = createRestoreService(f.deps);

    // Act
    const result = await runCli(['enqueue', ...DRILL_FLAGS, '--json'], {
      ...env,
      AWS_ENDPOINT_URL_SQS: proxy.endpoint,
    }).finally(() => proxy.stop());
    const messages = await peekMessages(aws.sqs, queueUrl);
    for (const message of messages) {
      await service.handleMessage(
        message.Body ?? '',
        { messageId: message.MessageId ?? '' },
        { deadline: Date.now() + 60_000 },
      );
    }

    // Assess
    expect(result.code).toBe(0);
    expect(proxy.lost).toBe(1);
    expect(messages).toHaveLength(2);
    const { operationId } = JSON.parse(result.stdout);
    expect(operationId).toMatch(/^cli-/);
    expect(messages.map((message) => JSON.parse(message.Body ?? '').requestId)).toEqual([operationId, operationId]);
    expect([...f.ledger.items.keys()]).toEqual([operationId]);
    expect(f.queue.deadLetters).toEqual([]);
  });

  it.for([
    ['a request', { groupId: GROUP, clusterName: 'prod', deliveryType: 'download' }, (body: Sent) => body.requestId],
    [
      'an event',
      {
        'detail-type': 'Restore requested',
        source: 'ops',
        id: 'evt-7',
        detail: { groupId: GROUP, clusterName: 'prod', deliveryType: 'download' },
      },
      (body: Sent) => body.detail?.requestId,
    ],
  ] as const)(
    'writes a requestId into %s from a file that has none before sending it',
    async ([, content, idOf], { expect }) => {
      // Prepare
      const { queueUrl, env } = queueAndEnv();
      const path = file(`no-id-${queues}.json`, JSON.stringify(content));

      // Act
      const result = await runCli(['enqueue', '--message', path, '--json'], env);

      // Assess
      expect(result.code).toBe(0);
      const [message] = await peekMessages(aws.sqs, queueUrl);
      const body = JSON.parse(message?.Body ?? '');
      expect(idOf(body)).toMatch(/^cli-/);
      expect(JSON.parse(result.stdout).operationId).toBe(idOf(body));
    },
  );

  it('sends nothing and exits 2 when the request breaks the contract', async ({ expect }) => {
    // Prepare
    const { queueUrl, env } = queueAndEnv();
    const path = file(
      'typo.json',
      JSON.stringify({ groupId: GROUP, clusterName: 'prod', deliveryType: 'download', snapshotID: 'latest' }),
    );

    // Act
    const result = await runCli(['enqueue', '--message', path], env);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `atlas-restore: ${path} is not a valid message (INVALID_REQUEST): snapshotID: unknown field (did you mean snapshotId?) [unrecognized_keys] (see atlas-restore enqueue --help)\n`,
    );
    expect(await peekMessages(aws.sqs, queueUrl)).toHaveLength(0);
  });

  it('exits 1 on one line when SQS refuses the queue', async ({ expect }) => {
    // Prepare
    const { env } = queueAndEnv();
    const missing = env.ATLAS_RESTORE_QUEUE_URL?.replace(/enqueue-\d+$/, 'no-such-queue') ?? '';

    // Act
    const result = await runCli(['enqueue', ...DRILL_FLAGS, '--queueUrl', missing], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: SQS queue [^\n]+ does not exist: check --queueUrl[^\n]+\n$/);
  });

  it('exits 1 on one line when SQS cannot be reached', async ({ expect }) => {
    // Prepare
    const { env } = queueAndEnv();

    // Act
    const result = await runCli(['enqueue', ...DRILL_FLAGS], { ...env, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9' });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]*ECONNREFUSED[^\n]*\n$/);
  });

  it('documents the queue, exit statuses and examples with --help', async ({ expect }) => {
    // Act
    const result = await runInProcess(['enqueue', '--help']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ATLAS_RESTORE_QUEUE_URL');
    expect(result.stdout).toContain('Exit status: 0 sent');
    expect(result.stdout).toContain('Examples:\n  atlas-restore enqueue automated');
  });

  it.for([
    [
      'no queue URL',
      ['enqueue', ...DRILL_FLAGS],
      {},
      /--queueUrl: is required \(or --stack NAME, ATLAS_RESTORE_QUEUE_URL or ATLAS_RESTORE_STACK\)/,
    ],
    [
      'a queue URL that is not a URL',
      ['enqueue', ...DRILL_FLAGS, '--queueUrl', 'work'],
      {},
      /--queueUrl: must be an SQS queue URL/,
    ],
    [
      'a bad ATLAS_RESTORE_QUEUE_URL',
      ['enqueue', ...DRILL_FLAGS],
      { ATLAS_RESTORE_QUEUE_URL: 'work' },
      /ATLAS_RESTORE_QUEUE_URL: must be an SQS queue URL/,
    ],
    [
      'neither flags nor a file',
      ['enqueue', '--queueUrl', 'https://sqs.eu-west-1.amazonaws.com/1/q'],
      {},
      /DELIVERY_TYPE: is required \(or pass --message FILE\)/,
    ],
    [
      'both flags and a file',
      ['enqueue', ...DRILL_FLAGS, '--message', 'drill.json', '--queueUrl', 'https://sqs.eu-west-1.amazonaws.com/1/q'],
      {},
      /--message: give the request in the file or as flags, not both/,
    ],
    [
      'a request the contract refuses',
      [
        'enqueue',
        'pointInTime',
        '--projectId',
        GROUP,
        '--clusterName',
        'prod',
        '--queueUrl',
        'https://sqs.eu-west-1.amazonaws.com/1/q',
      ],
      {},
      /--targetProjectId: required for deliveryType pointInTime/,
    ],
  ] as const)('exits 2 with one line for %s, before calling SQS', async ([, args, env, message], { expect }) => {
    // Act
    const result = await runInProcess(args, {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
      ...env,
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+ \(see atlas-restore [a-z ]*--help\)\n$/);
    expect(result.stderr).toMatch(message);
  });

  it('refuses to send an internal step message', async ({ expect }) => {
    // Prepare
    const path = file(
      'poll.json',
      JSON.stringify({ v: 1, kind: 'poll', operationId: 'drill-1', step: 3, token: 'abc' }),
    );

    // Act
    const result = await runInProcess([
      'enqueue',
      '--message',
      path,
      '--queueUrl',
      'https://sqs.eu-west-1.amazonaws.com/1/q',
    ]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('internal step messages are sent by the workflow only');
  });
});
