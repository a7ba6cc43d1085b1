import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbLedger } from '../../../../functions/core/ledger/dynamodb-ledger.ts';
import { jobKey, operationKey } from '../../../../functions/core/ledger/item.ts';
import type { Ledger } from '../../../../functions/core/workflow/ports.ts';
import { type LocalAws, startLocalAws } from '../../../support/local-aws.ts';
import { operatorStartsTheSameDownload, twoOperationsOneSnapshot } from '../workflow/adoption-scenarios.ts';
import { fixture, requests } from '../workflow/fakes.ts';
import { runRequest } from '../workflow/harness.ts';
import { ledgerContract, sampleOperation } from './ledger-contract.ts';

let aws: LocalAws;
let ledger: Ledger;

beforeAll(async () => {
  aws = await startLocalAws();
  ledger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });
});

afterAll(async () => {
  await aws?.stop();
});

ledgerContract('DynamoDB (dynalite)', () => ledger);

describe('DynamoDB ledger: adoption after a crash between owning a job and recording it (issue 12, hole 1)', () => {
  it('gives two operations of one snapshot their own jobs, and POSTs no third', async () => {
    // Prepare
    const f = fixture();
    const ids = { a: `dl-A-${randomBytes(4).toString('hex')}`, b: `dl-B-${randomBytes(4).toString('hex')}` };

    // Act
    const result = await twoOperationsOneSnapshot(f, ledger, ids);

    // Assess
    expect(result.jobs).toHaveLength(2);
    expect(result.b).toMatchObject({ outcome: 'succeeded', restoreJobId: result.j4 });
    expect(result.a).toMatchObject({ outcome: 'succeeded', restoreJobId: result.j3 });
    expect(result.owners).toEqual(
      new Map([
        [result.j3, ids.a],
        [result.j4, ids.b],
      ]),
    );
  });

  it('records its own job, not the one an operator started by hand', async () => {
    // Prepare
    const f = fixture();
    const operationId = `dl-hand-${randomBytes(4).toString('hex')}`;

    // Act
    const result = await operatorStartsTheSameDownload(f, ledger, operationId);

    // Assess
    expect(result.operation).toMatchObject({ outcome: 'succeeded', restoreJobId: result.ours });
    expect(result.owners.get(result.byHand)).toBeUndefined();
  });
});

describe('DynamoDB ledger: item layout', () => {
  it('stores the key, TTL and GSI attributes the stack defines, with readable times', async () => {
    // Prepare
    const operation = sampleOperation();

    // Act
    await ledger.create(operation);
    const { Item } = await aws.dynamodb.send(
      new GetItemCommand({ TableName: aws.tableName, Key: operationKey(operation.operationId) }),
    );

    // Assess
    expect(Item?.pk).toEqual({ S: `op#${operation.operationId}` });
    expect(Item?.expiresAt).toEqual({ N: String(operation.expiresAt) });
    expect(Item?.clusterKey).toEqual({ S: '5f1a2b3c4d5e6f7a8b9c0d1e/prod' });
    expect(Item?.requestedAt).toEqual({ S: new Date(operation.requestedAt).toISOString() });
    expect(JSON.parse(Item?.request?.S ?? '{}')).toEqual(operation.request);
  });

  it('stores who owns a restore job as an item of its own, expiring with the operation and out of the GSI', async () => {
    // Prepare
    const operation = sampleOperation();
    const restoreJobId = randomBytes(12).toString('hex');

    // Act
    await ledger.ownJob(restoreJobId, operation);
    const { Item } = await aws.dynamodb.send(
      new GetItemCommand({ TableName: aws.tableName, Key: jobKey(restoreJobId) }),
    );

    // Assess
    expect(Item).toEqual({
      pk: { S: `job#${restoreJobId}` },
      restoreJobId: { S: restoreJobId },
      operationId: { S: operation.operationId },
      expiresAt: { N: String(operation.expiresAt) },
    });
  });

  it('refuses to read a corrupt item, naming the attribute', async () => {
    // Prepare
    const operation = sampleOperation();
    await ledger.create(operation);
    const { UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
    await aws.dynamodb.send(
      new UpdateItemCommand({
        TableName: aws.tableName,
        Key: operationKey(operation.operationId),
        UpdateExpression: 'SET #step = :bad',
        ExpressionAttributeNames: { '#step': 'step' },
        ExpressionAttributeValues: { ':bad': { S: 'three' } },
      }),
    );

    // Act
    const read = ledger.get(operation.operationId);

    // Assess
    await expect(read).rejects.toMatchObject({ code: 'LEDGER_ITEM_INVALID', message: expect.stringContaining('step') });
  });
});

describe('DynamoDB ledger: outcomes of operations that never claimed a submission (issue 18)', () => {
  it('records and reports a refusal and a dry run, which hold no claim', async () => {
    // Prepare
    const f = fixture();
    const deps = { ...f.deps, ledger };
    const suffix = randomBytes(4).toString('hex');

    // Act
    await runRequest(
      { ...f, deps },
      requests.automated({ requestId: `refused-${suffix}`, targetClusterName: 'elsewhere' }),
    );
    await runRequest({ ...f, deps }, requests.automated({ requestId: `dry-${suffix}`, dryRun: true }));

    // Assess
    expect(f.reporter.outcomes).toMatchObject([
      { outcome: 'refused', errorCode: 'TARGET_NOT_ALLOWED' },
      { outcome: 'dryRun' },
    ]);
    expect(f.atlas.count('createRestoreJob')).toBe(0);
  });
});
