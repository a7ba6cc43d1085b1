import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDbLedger } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { createHandler } from '../../functions/core/workflow/lambda-handler.ts';
import { createRestoreService } from '../../functions/core/workflow/service.ts';
import { type AtlasSimulator, startAtlasSimulator } from '../atlas-simulator/index.ts';
import { fakeLambdaContext } from '../support/lambda-context.ts';
import { type LocalAws, pollOnce, sendToQueue, startLocalAws, toSqsEvent } from '../support/local-aws.ts';
import { atlasError, fixture, requests } from './core/workflow/fakes.ts';

describe('Handler: SQS batches and direct invocations', () => {
  it('fails only the records that must be retried (partial batch response)', async () => {
    // Prepare
    const f = fixture();
    const handler = createHandler({ service: createRestoreService(f.deps), log: f.log });
    f.atlas.failNext('getCluster', () => atlasError('getCluster', 503, 'SERVICE_UNAVAILABLE'));
    const event = toSqsEvent(
      [
        { MessageId: 'retry-me', Body: JSON.stringify(requests.automated()) },
        { MessageId: 'malformed', Body: '{' },
        { MessageId: 'fine', Body: JSON.stringify(requests.download()) },
      ],
      'arn:aws:sqs:us-east-1:000000000000:work',
    );

    // Act
    const response = (await handler(event, fakeLambdaContext())) as SQSBatchResponse;

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'retry-me' }] });
    expect(f.queue.deadLetters.map((letter) => letter.origin)).toEqual(['malformed']);
    expect(f.log.lines.find((line) => line.message.startsWith('message failed'))?.attributes).toMatchObject({
      messageId: 'retry-me',
    });
  });

  it('lists every record when all fail, rather than throwing', async () => {
    // Prepare
    const f = fixture();
    f.ledger.get = async () => {
      throw new Error('DynamoDB unavailable');
    };
    const handler = createHandler({ service: createRestoreService(f.deps), log: f.log });
    const body = JSON.stringify({ v: 1, kind: 'poll', operationId: 'x', step: 1, token: 't' });
    const event = toSqsEvent(
      [
        { MessageId: 'a', Body: body },
        { MessageId: 'b', Body: body },
      ],
      'arn:q',
    );

    // Act
    const response = await handler(event, fakeLambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
  });

  it('gives Atlas calls the invocation’s remaining time less the margin', async () => {
    // Prepare
    const f = fixture();
    const handler = createHandler({
      service: createRestoreService(f.deps),
      log: f.log,
      deadlineMarginMs: 4_000,
      now: () => 1_000_000,
    });
    const event = toSqsEvent([{ MessageId: 'm', Body: JSON.stringify(requests.automated()) }], 'arn:q');
    const context = { ...fakeLambdaContext(), getRemainingTimeInMillis: () => 30_000 };

    // Act
    await handler(event, context);

    // Assess
    expect(f.atlas.calls.length).toBeGreaterThan(0);
    for (const call of f.atlas.calls) expect(call.deadline).toBe(1_000_000 + 30_000 - 4_000);
  });

  it('queues a direct invocation, and answers a rejection with the issues', async () => {
    // Prepare
    const f = fixture();
    const handler = createHandler({ service: createRestoreService(f.deps), log: f.log });

    // Act
    const accepted = await handler(requests.automated(), fakeLambdaContext());
    const rejected = await handler({ groupId: 'nope' }, fakeLambdaContext());

    // Assess
    expect(accepted).toEqual({ status: 'accepted', requestId: 'drill-2026-11-28' });
    expect(f.queue.requests).toHaveLength(1);
    expect(rejected).toMatchObject({ status: 'rejected', code: 'INVALID_REQUEST' });
    expect(f.atlas.calls).toEqual([]);
  });
});

describe('Handler module: the deployed entry point, configured from its environment', () => {
  let aws: LocalAws;
  let sim: AtlasSimulator;
  const secrets = mockClient(SecretsManagerClient);
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    aws = await startLocalAws();
    sim = await startAtlasSimulator({ durations: { automatedRestoreMs: 500 }, rateLimit: false });
  });

  afterEach(() => {
    process.env = { ...savedEnv };
    secrets.reset();
    vi.restoreAllMocks();
    vi.resetModules();
  });

  afterAll(async () => {
    await sim?.close();
    await aws?.stop();
  });

  function environment(overrides: Record<string, string> = {}) {
    return {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
      ATLAS_SECRET_ID: 'atlas/restore',
      ATLAS_BASE_URL: sim.baseUrl,
      WORK_QUEUE_URL: aws.workQueueUrl,
      DEAD_LETTER_QUEUE_URL: aws.deadLetterQueueUrl,
      LEDGER_TABLE_NAME: aws.tableName,
      ALLOWED_TARGETS: `${sim.seed.groupId}/${sim.seed.targetClusterName}`,
      ALLOWED_SOURCES: `${sim.seed.groupId}/${sim.seed.sourceClusterName}`,
      POLL_MIN_DELAY_SECONDS: '1',
      POWERTOOLS_SERVICE_NAME: 'atlas-restore-orchestrator',
      POWERTOOLS_METRICS_NAMESPACE: 'AtlasRestore',
      ...overrides,
    };
  }

  it('runs a restore from request to outcome with credentials from Secrets Manager, logging no secret', async () => {
    // Prepare
    Object.assign(process.env, environment());
    const { clientId, clientSecret } = sim.seed.credentials;
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ clientId, clientSecret }) });
    const written: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        written.push(String(chunk));
        return true;
      });
    }
    const { handler } = await import('../../functions/restore-handler.ts');
    const ledger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });
    const request = {
      groupId: sim.seed.groupId,
      clusterName: sim.seed.sourceClusterName,
      deliveryType: 'automated',
      targetGroupId: sim.seed.groupId,
      targetClusterName: sim.seed.targetClusterName,
      requestId: 'module-drill-1',
    };

    // Act
    await sendToQueue(aws.sqs, aws.workQueueUrl, JSON.stringify(request));
    const deadline = Date.now() + 20_000;
    let operation = await ledger.get('module-drill-1');
    while (operation?.reportedAt === undefined && Date.now() < deadline) {
      await pollOnce({ aws, handler: (event, context) => handler(event, context) });
      operation = await ledger.get('module-drill-1');
    }

    // Assess
    expect(operation).toMatchObject({ outcome: 'succeeded' });
    expect(sim.state.restoreJobs(sim.seed.groupId, sim.seed.sourceClusterName)).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const output = written.join('');
    expect(output).toContain('"message":"restore outcome"');
    expect(output).toContain('"RestoreSucceeded":1');
    expect(output).not.toContain(clientSecret);
  });

  it.each([
    ['a source off ALLOWED_SOURCES', { ALLOWED_SOURCES: '' }, 'automated', 'SOURCE_NOT_ALLOWED'],
    ['a download without DOWNLOAD_ALLOWED_SOURCES', {}, 'download', 'DOWNLOAD_NOT_ALLOWED'],
  ])('refuses %s: recorded, reported as RestoreRefused, nothing asked of Atlas', async (_case, env, type, code) => {
    // Prepare
    Object.assign(process.env, environment(env));
    const { clientId, clientSecret } = sim.seed.credentials;
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ clientId, clientSecret }) });
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    const { handler } = await import('../../functions/restore-handler.ts');
    const ledger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });
    const requestId = `module-refused-${type}`;
    const target = { targetGroupId: sim.seed.groupId, targetClusterName: sim.seed.targetClusterName };
    const request = {
      groupId: sim.seed.groupId,
      clusterName: sim.seed.sourceClusterName,
      deliveryType: type,
      ...(type === 'download' ? {} : target),
      requestId,
    };
    const jobsBefore = sim.state.restoreJobs(sim.seed.groupId, sim.seed.sourceClusterName).length;

    // Act
    await sendToQueue(aws.sqs, aws.workQueueUrl, JSON.stringify(request));
    const deadline = Date.now() + 20_000;
    let operation = await ledger.get(requestId);
    while (operation?.reportedAt === undefined && Date.now() < deadline) {
      await pollOnce({ aws, handler: (event, context) => handler(event, context) });
      operation = await ledger.get(requestId);
    }

    // Assess
    expect(operation).toMatchObject({ outcome: 'refused', errorCode: code });
    expect(sim.state.restoreJobs(sim.seed.groupId, sim.seed.sourceClusterName)).toHaveLength(jobsBefore);
    expect(written.join('')).toContain('"RestoreRefused":1');
  });

  it('fails its cold start naming the variable at fault', async () => {
    // Prepare
    Object.assign(process.env, environment({ POLL_MIN_DELAY_SECONDS: 'soon' }));
    delete process.env.WORK_QUEUE_URL;
    const logged: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => logged.push(String(chunk)) > 0);

    // Act
    const loading = import('../../functions/restore-handler.ts');

    // Assess
    await expect(loading).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      variables: ['WORK_QUEUE_URL', 'POLL_MIN_DELAY_SECONDS'],
    });
    expect(logged.join('')).toContain('"message":"invalid configuration"');
  });
});
