import { describe, expect, it } from 'vitest';
import type { AtlasDatabaseUsersApi, ClusterRef } from '../../../../functions/core/atlas/api.ts';
import { clusterSchema } from '../../../../functions/core/atlas/model.ts';
import type { SourceInventory, VerificationResult } from '../../../../functions/core/contract/verification.ts';
import { databaseLogins } from '../../../../functions/core/verification/database-logins.ts';
import { DatabaseError } from '../../../../functions/core/verification/database-port.ts';
import type {
  VerifiableOperation,
  VerificationStore,
} from '../../../../functions/core/verification/verification-store.ts';
import {
  createVerifierService,
  MalformedVerifierMessageError,
} from '../../../../functions/core/verification/verifier-service.ts';
import { type MemoryCluster, memoryConnector } from './memory-database.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const SNAPSHOT_AT = Date.parse('2026-11-30T12:00:00Z');
const PASSWORD = 'verifier-password-0123';

function sourceData(): MemoryCluster {
  return {
    shop: { orders: { documents: [{ n: 1 }, { n: 2 }], indexes: ['_id_', 'n_1'], validator: true } },
    atlas_restore: {
      heartbeats: {
        documents: [
          { seq: 1, at: new Date(SNAPSHOT_AT - 70_000) },
          { seq: 2, at: new Date(SNAPSHOT_AT - 10_000) },
          { seq: 3, at: new Date(SNAPSHOT_AT + 50_000) },
        ],
        indexes: ['_id_'],
        capped: true,
      },
    },
  };
}

/** The target as a restore of the snapshot leaves it: the heartbeat written after the snapshot is not there. */
function restoredData(): MemoryCluster {
  const data = sourceData();
  const heartbeats = data.atlas_restore?.heartbeats;
  if (heartbeats) heartbeats.documents = heartbeats.documents.slice(0, 2);
  return data;
}

function memoryStore(operation: VerifiableOperation) {
  let stored: VerifiableOperation = operation;
  const writes: string[] = [];
  const store: VerificationStore = {
    async get(operationId) {
      return operationId === stored.operationId ? stored : undefined;
    },
    async recordInventory(operationId, inventory: SourceInventory) {
      writes.push('inventory');
      if (operationId !== stored.operationId || stored.sourceInventory) return false;
      stored = { ...stored, sourceInventory: inventory };
      return true;
    },
    async recordVerification(operationId, result: VerificationResult) {
      writes.push('verification');
      if (operationId !== stored.operationId || stored.verification?.result) return false;
      stored = { ...stored, verification: { status: 'recorded', result } };
      return true;
    },
  };
  return { store, writes, current: () => stored };
}

function operation(overrides: Partial<VerifiableOperation> = {}): VerifiableOperation {
  return {
    operationId: 'drill-1',
    request: {
      groupId: GROUP,
      clusterName: 'prod',
      deliveryType: 'automated',
      targetGroupId: GROUP,
      targetClusterName: 'drill',
      verify: { checks: [{ database: 'shop', collection: 'orders', minCount: 2 }] },
    },
    snapshotAt: SNAPSHOT_AT,
    ...overrides,
  };
}

function setup(
  options: {
    operation?: VerifiableOperation;
    target?: MemoryCluster;
    refuse?: DatabaseError | ((attempt: number) => DatabaseError | undefined);
    /** Deployed without `verification.databaseSecret`. */
    noSecret?: boolean;
  } = {},
) {
  const clusters: Record<string, MemoryCluster> = {
    'mongodb://prod:1/?tls=true': sourceData(),
    'mongodb://drill:1/?tls=true': options.target ?? restoredData(),
    'mongodb://ephemeral:1/?tls=true': restoredData(),
  };
  const connection = memoryConnector(clusters, options.refuse);
  const ledger = memoryStore(options.operation ?? operation());
  const users: string[] = [];
  const usersApi: AtlasDatabaseUsersApi = {
    async createDatabaseUser(user) {
      users.push(`create ${user.username} ${user.scopes.map((scope) => scope.name).join(',')}`);
      return { username: user.username, databaseName: 'admin', deleteAfterDate: user.deleteAfterDate };
    },
    async deleteDatabaseUser(user) {
      users.push(`delete ${user.username}`);
    },
  };
  const logLines: string[] = [];
  const sleeps: number[] = [];
  let time = 0;
  const log = {
    debug: () => {},
    info: (message: string, ...attributes: Record<string, unknown>[]) =>
      logLines.push(JSON.stringify([message, attributes])),
    warn: (message: string, ...attributes: Record<string, unknown>[]) =>
      logLines.push(JSON.stringify([message, attributes])),
    error: (message: string, ...attributes: Record<string, unknown>[]) =>
      logLines.push(JSON.stringify([message, attributes])),
  };
  const service = createVerifierService({
    store: ledger.store,
    atlas: {
      async getCluster(ref: ClusterRef) {
        return clusterSchema.parse({
          name: ref.clusterName,
          stateName: 'IDLE',
          paused: false,
          pitEnabled: false,
          connectionStrings: { standard: `mongodb://${ref.clusterName}:1/?tls=true` },
        });
      },
    },
    connector: connection.connector,
    logins: databaseLogins({
      ...(options.noSecret
        ? {}
        : { secret: { get: async () => ({ username: 'verifier', password: PASSWORD }), invalidate: () => {} } }),
      atlas: usersApi,
      now: () => SNAPSHOT_AT + 3_600_000,
      log,
    }),
    clock: { now: () => SNAPSHOT_AT + 3_600_000 },
    log,
    now: () => time,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time += ms;
    },
  });
  const send = (kind: string, operationId = 'drill-1') =>
    service.handleMessage(JSON.stringify({ v: 1, kind, operationId }), { deadline: 600_000 });
  return { service, send, ledger, connection, users, logLines, sleeps };
}

describe('Class: VerifierService', () => {
  it('captures the source inventory from the source, reading secondaries, once for two deliveries', async () => {
    const { send, ledger, connection } = setup();
    expect(await send('inventory')).toBe('recorded');
    expect(await send('inventory')).toBe('duplicate');
    expect(connection.requests.map((request) => [request.connectionString, request.role])).toEqual([
      ['mongodb://prod:1/?tls=true', 'source'],
    ]);
    expect(ledger.current().sourceInventory?.collections.map((entry) => entry.collection)).toEqual([
      'heartbeats',
      'orders',
    ]);
  });

  it('passes a faithful restore with the RPO proven by heartbeats, and records once for two deliveries', async () => {
    const { send, ledger } = setup();
    await send('inventory');
    expect(await send('verify')).toBe('recorded');
    expect(await send('verify')).toBe('duplicate');
    const result = ledger.current().verification?.result;
    expect(result?.checks.map((check) => [check.name, check.verdict])).toEqual([
      ['structure', 'pass'],
      ['counts', 'pass'],
      ['heartbeat-rpo', 'pass'],
      ['check:1', 'pass'],
    ]);
    expect(result).toMatchObject({ verdict: 'pass', achievedRpoSeconds: 10, recordedAt: SNAPSHOT_AT + 3_600_000 });
    expect(ledger.writes.filter((write) => write === 'verification')).toHaveLength(1);
  });

  it('fails a target missing a collection', async () => {
    const target = restoredData();
    delete target.shop;
    const { send, ledger } = setup({ target });
    await send('inventory');
    await send('verify');
    const result = ledger.current().verification?.result;
    expect(result?.verdict).toBe('fail');
    expect(result?.checks).toContainEqual(expect.objectContaining({ name: 'collection:shop.orders', verdict: 'fail' }));
  });

  it("fails a target that holds a heartbeat newer than the snapshot (not the snapshot's data)", async () => {
    const { send, ledger } = setup({ target: sourceData() });
    await send('inventory');
    await send('verify');
    expect(ledger.current().verification?.result?.checks).toContainEqual(
      expect.objectContaining({ name: 'heartbeat-rpo', verdict: 'fail' }),
    );
  });

  it('makes every check unknown when the target cannot be reached, with the reason and no password', async () => {
    const { send, ledger, logLines } = setup({
      operation: operation({ sourceInventory: { capturedAt: 0, collections: [], truncated: false } }),
      refuse: new DatabaseError('CANNOT_CONNECT', 'MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:1'),
    });
    await send('verify');
    const result = ledger.current().verification?.result;
    expect(result?.verdict).toBe('unknown');
    expect(result?.checks.map((check) => [check.name, check.verdict])).toEqual([
      ['structure', 'unknown'],
      ['heartbeat-rpo', 'unknown'],
      ['check:1', 'unknown'],
    ]);
    expect(result?.checks[0]?.reason).toContain('cannot connect');
    expect(JSON.stringify([result, logLines])).not.toContain(PASSWORD);
  });

  it('verifies the ephemeral target when the operation has one', async () => {
    const { send, connection } = setup({
      operation: operation({ ephemeralCluster: { groupId: GROUP, clusterName: 'ephemeral' } }),
    });
    await send('verify');
    expect(connection.requests.map((request) => request.connectionString)).toEqual(['mongodb://ephemeral:1/?tls=true']);
  });

  it('with temporaryUser, logs in as a user made for the target and deletes it afterwards, even when the checks cannot run', async () => {
    const base = operation();
    const temporary = operation({ request: { ...base.request, verify: { credentials: 'temporaryUser' } } });
    const { send, users, connection } = setup({
      operation: temporary,
      refuse: new DatabaseError('CANNOT_CONNECT', 'unreachable'),
    });
    await send('verify');
    expect(users).toEqual([
      expect.stringMatching(/^create atlas-restore-verify-[a-z0-9]{12} drill$/),
      expect.stringMatching(/^delete atlas-restore-verify-[a-z0-9]{12}$/),
    ]);
    expect(connection.requests[0]?.login.username).toMatch(/^atlas-restore-verify-/);
  });

  it('with temporaryUser, retries a refused login while the new user reaches the cluster, then gives up', async () => {
    const base = operation();
    const temporary = operation({ request: { ...base.request, verify: { credentials: 'temporaryUser' } } });
    const refused = new DatabaseError('AUTHENTICATION_FAILED', 'MongoServerError AuthenticationFailed(18)');
    const late = setup({ operation: temporary, refuse: (attempt) => (attempt <= 2 ? refused : undefined) });
    await late.send('inventory');
    expect(late.sleeps).toEqual([5_000, 5_000]);
    expect(late.ledger.current().sourceInventory).toBeDefined();

    const never = setup({ operation: temporary, refuse: refused });
    await never.send('verify');
    expect(never.sleeps.reduce((total, ms) => total + ms, 0)).toBeLessThan(90_000);
    expect(never.ledger.current().verification?.result?.checks[0]?.reason).toContain('authentication failed');
    expect(never.users.filter((call) => call.startsWith('delete'))).toHaveLength(1);
  });

  it('without a database secret, records a verification asking for one as unknown, naming why, and connects nowhere', async () => {
    const { send, ledger, connection } = setup({
      operation: operation({ sourceInventory: { capturedAt: 0, collections: [], truncated: false } }),
      noSecret: true,
    });
    await send('verify');
    const result = ledger.current().verification?.result;
    expect(result?.verdict).toBe('unknown');
    expect(result?.checks[0]?.reason).toContain('no database user secret is configured');
    expect(connection.requests).toEqual([]);
  });

  it('with a secret, does not retry a refused login', async () => {
    const refused = setup({ refuse: new DatabaseError('AUTHENTICATION_FAILED', 'refused') });
    await refused.send('verify');
    expect(refused.sleeps).toEqual([]);
    expect(refused.connection.requests).toHaveLength(1);
  });

  it('refuses a malformed message and an unknown operation', async () => {
    const { service, send } = setup();
    await expect(service.handleMessage('{"v":1,"kind":"explode"}', { deadline: 1 })).rejects.toBeInstanceOf(
      MalformedVerifierMessageError,
    );
    await expect(send('verify', 'nobody')).rejects.toThrow('operation nobody is not in the ledger');
  });
});
