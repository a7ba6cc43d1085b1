import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDbLedger } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { DEAD_LETTER_ATTRIBUTES } from '../../functions/core/queue/sqs-queue.ts';
import { type AtlasSimulator, startAtlasSimulator } from '../atlas-simulator/index.ts';
import { fakeLambdaContext } from '../support/lambda-context.ts';
import { type LocalAws, peekMessages, startLocalAws, toSqsEvent } from '../support/local-aws.ts';
import { LogCapture, SecretWatch } from './support/log-capture.ts';

/**
 * The deployed entry point itself (functions/restore-handler.ts, configured from its environment) on fauxqs, dynalite
 * and the Atlas simulator: hostile bodies end in the dead-letter queue with their reason, look-alike targets are
 * refused without a call to Atlas, and a base URL that would send credentials in the clear fails the cold start.
 */

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const SECRET_ID = 'atlas-restore/credentials';

describe('Reliability: the Lambda entry point', () => {
  let aws: LocalAws;
  let sim: AtlasSimulator;
  let handler: Handler;
  let groupId: string;
  const logs = new LogCapture();
  const secrets = new SecretWatch();
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'entry' });
    sim = await startAtlasSimulator();
    groupId = sim.seed.groupId;
    const { clientId, clientSecret } = sim.seed.credentials;
    secrets.add('client secret', clientSecret);
    secrets.addBasicPair(clientId, clientSecret);
    mockClient(SecretsManagerClient)
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ clientId, clientSecret }) });
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
      ATLAS_SECRET_ID: SECRET_ID,
      ATLAS_BASE_URL: sim.baseUrl,
      WORK_QUEUE_URL: aws.workQueueUrl,
      DEAD_LETTER_QUEUE_URL: aws.deadLetterQueueUrl,
      LEDGER_TABLE_NAME: aws.tableName,
      ALLOWED_TARGETS: `${groupId}/${sim.seed.targetClusterName}`,
      ALLOWED_SOURCES: `${groupId}/*`,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    logs.start();
    handler = (await import('../../functions/restore-handler.ts')).handler as Handler;
  });

  afterAll(async () => {
    logs.stop();
    process.env = savedEnv;
    await sim.close();
    await aws.stop();
  });

  const invoke = (records: readonly { id: string; body: string }[]) =>
    handler(
      toSqsEvent(
        records.map(({ id, body }) => ({ MessageId: id, ReceiptHandle: id, Body: body })),
        aws.workQueueArn,
      ) satisfies SQSEvent,
      fakeLambdaContext(),
    ) as Promise<SQSBatchResponse>;

  it('dead-letters hostile bodies with their reason, storing nothing and calling Atlas never', async () => {
    // Prepare
    const bodies = [
      '',
      'not json',
      '{"groupId": ',
      'null',
      '[]',
      '"text"',
      '{"__proto__":{"polluted":true}}',
      `{"constructor":{"prototype":{"polluted":true}},"groupId":"${groupId}","clusterName":"p","deliveryType":"download"}`,
      `{"groupId":"${groupId}","clusterName":"p","deliveryType":"download","maxWaitMinutes":"60"}`,
      `{"groupId":"${groupId}","clusterName":"p\u0441","deliveryType":"download"}`,
      `{"groupId":"${groupId}","clusterName":"../../oauth","deliveryType":"download"}`,
      `{"groupId":"${groupId}","clusterName":"p%2F..","deliveryType":"download"}`,
      `{"groupId":"${groupId}","clusterName":"p","deliveryType":"download","allowedTargets":["${groupId}/p"]}`,
      `{"detail-type":"x","source":"s","id":"e-1","detail":{"groupId":"${groupId}"}}`,
      '{"v":1,"kind":"poll","operationId":"x","step":-1,"token":"t"}',
      `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
      `{"groupId":"${groupId}","clusterName":"${'x'.repeat(200_000)}","deliveryType":"download"}`,
    ];
    const records = bodies.map((body, index) => ({ id: `hostile-${index}`, body }));

    // Act
    const responses = [];
    for (let index = 0; index < records.length; index += 10)
      responses.push(await invoke(records.slice(index, index + 10)));

    // Assess
    expect(responses.flatMap((response) => response.batchItemFailures)).toEqual([]);
    const letters = await peekMessages(aws.sqs, aws.deadLetterQueueUrl);
    expect(letters).toHaveLength(bodies.length);
    for (const letter of letters) {
      const origin = letter.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.origin]?.StringValue ?? '';
      const sent = records.find((record) => record.id === origin);
      expect(sent, origin).toBeDefined();
      expect(letter.Body).toBe(sent?.body === '' ? '(empty message)' : sent?.body);
      expect(letter.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.code]?.StringValue).toMatch(
        /^(MALFORMED_JSON|INVALID_\w+)$/,
      );
      expect(letter.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toMatch(/\[\w+\]/);
    }
    const stored = await aws.dynamodb.send(new ScanCommand({ TableName: aws.tableName }));
    expect(stored.Items).toEqual([]);
    expect(sim.requests).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('dead-letters, with its reason, an invalid body as large as the queue accepts', async () => {
    // Prepare: the work queue and the DLQ take the same maximum; the reason attributes come on top of the body.
    const body = `{"groupId":"${'x'.repeat(1_048_576 - 40)}"}`;

    // Act
    const response = await invoke([{ id: 'largest', body }]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const letters = await peekMessages(aws.sqs, aws.deadLetterQueueUrl);
    const letter = letters.find(
      (candidate) => candidate.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.origin]?.StringValue === 'largest',
    );
    expect(letter?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.code]?.StringValue).toBe('INVALID_REQUEST');
  });

  it.each([
    ['another case', (target: string) => target.toUpperCase()],
    ['a trailing hyphen', (target: string) => `${target}-`],
    ['a prefix of it', (target: string) => target.slice(0, -1)],
    ['a longer name', (target: string) => `${target}2`],
  ])('refuses a target that is the allowed one with %s, without calling Atlas', async (name, lookAlike) => {
    // Prepare
    const requestId = `look-alike-${name.replace(/\W+/g, '-')}`;
    const request = {
      groupId,
      clusterName: sim.seed.sourceClusterName,
      deliveryType: 'automated',
      targetGroupId: groupId,
      targetClusterName: lookAlike(sim.seed.targetClusterName),
      requestId,
    };
    const before = sim.requests.length;

    // Act
    const response = await invoke([{ id: requestId, body: JSON.stringify(request) }]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const stored = await createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName }).get(requestId);
    expect(stored?.outcome).toBe('refused');
    expect(stored?.errorCode).toBe('TARGET_NOT_ALLOWED');
    expect(sim.requests.length).toBe(before);
  });

  it('refuses the allowed cluster name in another project', async () => {
    // Prepare
    const otherProject = sim.state.addProject();
    sim.state.addCluster(otherProject, { name: sim.seed.targetClusterName });
    const requestId = 'look-alike-other-project';
    const request = {
      groupId,
      clusterName: sim.seed.sourceClusterName,
      deliveryType: 'automated',
      targetGroupId: otherProject,
      targetClusterName: sim.seed.targetClusterName,
      requestId,
    };

    // Act
    await invoke([{ id: requestId, body: JSON.stringify(request) }]);

    // Assess
    const stored = await createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName }).get(requestId);
    expect(stored?.outcome).toBe('refused');
    expect(sim.requests.filter((seen) => seen.method === 'POST' && seen.path.includes('restoreJobs'))).toEqual([]);
  });

  it('checks a real drill request (dry run) end to end without logging a secret', async () => {
    // Prepare
    const requestId = 'entry-dry-run';
    const request = {
      groupId,
      clusterName: sim.seed.sourceClusterName,
      deliveryType: 'automated',
      targetGroupId: groupId,
      targetClusterName: sim.seed.targetClusterName,
      requestId,
      dryRun: true,
    };

    // Act
    await invoke([{ id: requestId, body: JSON.stringify(request) }]);

    // Assess
    const stored = await createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName }).get(requestId);
    expect(stored?.outcome).toBe('dryRun');
    expect(sim.requests.some((seen) => seen.auth === 'bearer')).toBe(true);
    expect(secrets.leaksIn(logs.text())).toEqual([]);
  });

  it('fails the cold start when ATLAS_BASE_URL would send credentials in the clear', async () => {
    // Prepare
    vi.resetModules();
    process.env.ATLAS_BASE_URL = 'http://cloud.mongodb.com.attacker.example';

    // Act
    const loading = import('../../functions/restore-handler.ts');

    // Assess
    await expect(loading).rejects.toThrow(/https/);
  });
});
