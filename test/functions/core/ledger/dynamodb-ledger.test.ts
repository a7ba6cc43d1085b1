import { randomBytes } from 'node:crypto';
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbLedger } from '../../../../functions/core/ledger/dynamodb-ledger.ts';
import { jobKey, operationKey } from '../../../../functions/core/ledger/item.ts';
import type { Ledger } from '../../../../functions/core/workflow/ports.ts';
import { createLedgerTable, type LocalAws, startLocalAws } from '../../../support/local-aws.ts';
import { operatorStartsTheSameDownload, twoOperationsOneSnapshot } from '../workflow/adoption-scenarios.ts';
import { fixture, requests } from '../workflow/fakes.ts';
import { runRequest } from '../workflow/harness.ts';
import { ledgerContract, sampleOperation } from './ledger-contract.ts';

const T0 = Date.UTC(2026, 10, 28, 6, 0, 0);
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
    // Prepare: a cluster of its own, so that the other tests' listings never meet the corrupt item.
    const operation = sampleOperation({}, { clusterName: 'corrupt-item' });
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

/** A DynamoDB client that hands each command to `intercept`, which may change it, answer it, or pass it on. */
function intercepted(
  intercept: (
    command: { input: Record<string, unknown> },
    send: (command: unknown) => Promise<unknown>,
  ) => Promise<unknown>,
): DynamoDBClient {
  const send = (command: unknown) => aws.dynamodb.send(command as GetItemCommand);
  // The ledger uses the client's send only.
  return {
    send: (command: { input: Record<string, unknown> }) => intercept(command, send),
  } as unknown as DynamoDBClient;
}

/** A table of its own, so listings see only what the test wrote. */
async function freshTable(): Promise<string> {
  const tableName = `ledger-${randomBytes(4).toString('hex')}`;
  await createLedgerTable(aws.dynamodb, tableName);
  return tableName;
}

describe('DynamoDB ledger: reads and pages as DynamoDB answers them (issue 18)', () => {
  it('reads every item with a strongly consistent read: a step never reads a state older than its own write', async () => {
    // Prepare
    const reads: unknown[] = [];
    const client = intercepted((command, send) => {
      if (command instanceof GetItemCommand) reads.push(command.input.ConsistentRead);
      if (command instanceof BatchGetItemCommand) {
        for (const request of Object.values(command.input.RequestItems ?? {})) reads.push(request.ConsistentRead);
      }
      return send(command);
    });
    const reading = createDynamoDbLedger({ client, tableName: aws.tableName });
    const operation = sampleOperation();
    await ledger.create(operation);

    // Act
    await reading.get(operation.operationId);
    await reading.create(operation);
    await reading.jobOwner(randomBytes(12).toString('hex'));
    await reading.listOperations({ clusterKey: operation.clusterKey, limit: 5 });

    // Assess
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.every((consistent) => consistent === true)).toBe(true);
  });

  it('answers a second create from the item DynamoDB returns with the failed condition, reading nothing more', async () => {
    // Prepare: DynamoDB returns the item that failed the condition when the put asks for ALL_OLD (dynalite does not).
    const sent: string[] = [];
    const client = intercepted(async (command, send) => {
      sent.push(command.constructor.name);
      try {
        return await send(command);
      } catch (error) {
        if (
          error instanceof ConditionalCheckFailedException &&
          command instanceof PutItemCommand &&
          command.input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD'
        ) {
          const { Item } = await aws.dynamodb.send(
            new GetItemCommand({
              TableName: aws.tableName,
              Key: { pk: command.input.Item?.pk ?? { S: '' } },
            }),
          );
          Object.assign(error, { Item });
        }
        throw error;
      }
    });
    const answering = createDynamoDbLedger({ client, tableName: aws.tableName });
    const operation = sampleOperation();
    await ledger.create(operation);

    // Act
    const second = await answering.create({ ...operation, stepToken: 'other' });

    // Assess
    expect(second).toEqual({ created: false, operation });
    expect(sent).toEqual(['PutItemCommand']);
  });

  it('asks again for the keys a batch read left unprocessed', async () => {
    // Prepare: the first batch read answers one item and leaves the others unprocessed, as DynamoDB may under load.
    let batches = 0;
    const client = intercepted(async (command, send) => {
      if (!(command instanceof BatchGetItemCommand)) return send(command);
      batches += 1;
      const answer = (await send(command)) as BatchGetItemCommandOutput;
      // Then an empty list of unprocessed keys: nothing is left to ask for.
      if (batches > 1) return { ...answer, UnprocessedKeys: { [aws.tableName]: { Keys: [] } } };
      const [first, ...rest] = answer.Responses?.[aws.tableName] ?? [];
      return {
        Responses: { [aws.tableName]: first ? [first] : [] },
        UnprocessedKeys: { [aws.tableName]: { Keys: rest.map((item) => ({ pk: item.pk })), ConsistentRead: true } },
      };
    });
    const reading = createDynamoDbLedger({ client, tableName: aws.tableName });
    const cluster = `u${randomBytes(4).toString('hex')}`;
    const operations = [0, 1, 2].map((index) => ({
      ...sampleOperation({}, { clusterName: cluster }),
      requestedAt: T0 + index,
    }));
    for (const operation of operations) await ledger.create(operation);

    // Act
    const listed = await reading.listOperations({ clusterKey: operations[0]?.clusterKey ?? '', limit: 10 });

    // Assess
    expect(batches).toBe(2);
    expect(listed.map((operation) => operation.operationId)).toEqual(
      operations.map((operation) => operation.operationId).reverse(),
    );
  });

  it('lists more operations of one cluster than one batch read takes (100)', async () => {
    // Prepare
    const tableName = await freshTable();
    const own = createDynamoDbLedger({ client: aws.dynamodb, tableName });
    const operations = Array.from({ length: 101 }, (_, index) => ({ ...sampleOperation(), requestedAt: T0 + index }));
    await Promise.all(operations.map((operation) => own.create(operation)));

    // Act
    const listed = await own.listOperations({ clusterKey: operations[0]?.clusterKey ?? '', limit: 200 });

    // Assess
    expect(listed.map((operation) => operation.operationId)).toEqual(
      operations.map((operation) => operation.operationId).reverse(),
    );
  });

  it('lists across all clusters through every page of the scan', async () => {
    // Prepare: a scan answers at most 1 MB a page; pages of 2 items here.
    const tableName = await freshTable();
    const client = intercepted((command, send) => {
      if (command instanceof ScanCommand) command.input.Limit = 2;
      return send(command);
    });
    const paged = createDynamoDbLedger({ client, tableName });
    const operations = Array.from({ length: 5 }, (_, index) => ({ ...sampleOperation(), requestedAt: T0 + index }));
    for (const operation of operations) await paged.create(operation);
    await paged.ownJob(randomBytes(12).toString('hex'), operations[0] ?? sampleOperation());

    // Act
    const listed = await paged.listOperations({ limit: 10 });

    // Assess
    expect(listed.map((operation) => operation.operationId)).toEqual(
      operations.map((operation) => operation.operationId).reverse(),
    );
  });
});

describe('DynamoDB ledger: an operation expiring during a listing (issue 18)', () => {
  it('leaves out an operation whose item is deleted (TTL) between the index query and the read', async () => {
    // Prepare
    const tableName = await freshTable();
    const operations = [0, 1, 2].map((index) => ({ ...sampleOperation(), requestedAt: T0 + index }));
    const [oldest, middle, newest] = operations;
    const client = intercepted(async (command, send) => {
      const answer = await send(command);
      if (command instanceof QueryCommand) {
        await aws.dynamodb.send(
          new DeleteItemCommand({ TableName: tableName, Key: operationKey(middle?.operationId ?? '') }),
        );
      }
      return answer;
    });
    const listing = createDynamoDbLedger({ client, tableName });
    for (const operation of operations) await listing.create(operation);

    // Act
    const listed = await listing.listOperations({ clusterKey: oldest?.clusterKey ?? '', limit: 10 });

    // Assess
    expect(listed.map((operation) => operation.operationId)).toEqual([newest?.operationId, oldest?.operationId]);
  });
});

describe('DynamoDB ledger: failures that are no lost race (issue 18)', () => {
  it('throws a DynamoDB failure other than a failed condition instead of reading it as a lost race', async () => {
    // Prepare
    const client = intercepted(async () => {
      throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    });
    const failing = createDynamoDbLedger({ client, tableName: aws.tableName });
    const operation = sampleOperation();

    // Act
    const attempts = [
      failing.create(operation),
      failing.advance(
        { operationId: operation.operationId, step: 0, token: 't0' },
        { token: 't1', pending: { kind: 'poll', dueAt: T0 } },
      ),
      failing.ownJob(randomBytes(12).toString('hex'), operation),
    ];

    // Assess
    for (const attempt of attempts) await expect(attempt).rejects.toThrow(ProvisionedThroughputExceededException);
  });

  it('throws a failed create that is no failed condition, even when the operation is already stored', async () => {
    // Prepare
    const operation = sampleOperation();
    await ledger.create(operation);
    const client = intercepted(async (command, send) => {
      if (command instanceof PutItemCommand) {
        throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      }
      return send(command);
    });
    const throttled = createDynamoDbLedger({ client, tableName: aws.tableName });

    // Act
    const created = throttled.create(operation);

    // Assess
    await expect(created).rejects.toThrow(ProvisionedThroughputExceededException);
  });

  it('throws the failed condition of a create when the item is gone by the time it reads it (expired in between)', async () => {
    // Prepare
    const client = intercepted(async (command, send) => {
      if (command instanceof PutItemCommand) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      }
      return send(command);
    });
    const racing = createDynamoDbLedger({ client, tableName: aws.tableName });

    // Act
    const created = racing.create(sampleOperation());

    // Assess
    await expect(created).rejects.toThrow(ConditionalCheckFailedException);
  });
});
