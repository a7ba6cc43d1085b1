import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../../../functions/core/verification/database-port.ts';
import { captureInventory } from '../../../../functions/core/verification/inventory.ts';
import { mongoConnector } from '../../../../functions/core/verification/mongodb-database.ts';
import { GROUP, NARROW, READER, seedSource, startWireFixture, WRITER } from './wire-fixture.ts';

const ALLOWED_INVENTORY_COMMANDS = [
  'listDatabases',
  'listCollections',
  'listIndexes',
  'count',
  'getMore',
  'endSessions',
];

describe('Adapter: mongoConnector (official driver, simulator wire server)', () => {
  let fixture: Awaited<ReturnType<typeof startWireFixture>>;
  let connector: ReturnType<typeof mongoConnector>;
  const deadline = () => Date.now() + 30_000;

  beforeAll(async () => {
    fixture = await startWireFixture(['prod', 'down']);
    seedSource(fixture.data('prod'), fixture.host.now(), [fixture.host.now() - 60_000, fixture.host.now()]);
    fixture.host.setReachable(GROUP, 'down', false);
    connector = mongoConnector({ appName: 'verifier-test', tlsCAFile: fixture.plane.caFile });
  });
  afterAll(() => fixture.plane.close());

  it('reads listings, counts and the newest value over TLS and SCRAM', async () => {
    const session = await connector.connect({
      connectionString: fixture.uri('prod'),
      login: READER,
      role: 'source',
      deadline: deadline(),
    });
    try {
      expect(await session.listDatabases()).toEqual(expect.arrayContaining(['shop', 'atlas_restore']));
      expect(await session.listCollections('shop')).toEqual([
        { name: 'orders', type: 'collection', capped: false, hasValidator: true },
      ]);
      expect(await session.listCollections('atlas_restore')).toEqual([
        { name: 'heartbeats', type: 'collection', capped: true, hasValidator: false },
      ]);
      expect((await session.listIndexes('shop', 'orders')).sort()).toEqual(['_id_', 'createdAt_1']);
      expect(await session.estimatedCount('shop', 'orders')).toBe(3);
      expect(await session.count('shop', 'orders', { status: 'paid' })).toBe(2);
      expect(await session.newestValue('shop', 'orders', 'createdAt', { status: 'paid' })).toEqual(
        new Date(fixture.host.now() - 60_000),
      );
      expect(await session.newestValue('shop', 'orders', 'createdAt', { status: 'refunded' })).toBeUndefined();
    } finally {
      await session.close();
    }
  });

  it('takes an inventory of the source with no lock-taking command, only listings and counts', async () => {
    const before = fixture.plane.commands({ groupId: GROUP, clusterName: 'prod' }).length;
    const session = await connector.connect({
      connectionString: fixture.uri('prod'),
      login: READER,
      role: 'source',
      deadline: deadline(),
    });
    const inventory = await captureInventory(session, { capturedAt: 1 }).finally(() => session.close());
    expect(inventory.collections.map((entry) => `${entry.database}.${entry.collection}`)).toEqual([
      'atlas_restore.heartbeats',
      'shop.orders',
    ]);
    const sent = fixture.plane.commands({ groupId: GROUP, clusterName: 'prod' }).slice(before);
    expect(fixture.plane.lockTakingCommands({ groupId: GROUP, clusterName: 'prod' })).toEqual([]);
    const afterHandshake = sent.filter((entry) => entry.user !== undefined).map((entry) => entry.command);
    expect(
      afterHandshake.filter((command) => !ALLOWED_INVENTORY_COMMANDS.includes(command) && command !== 'ping'),
    ).toEqual([]);
    // Not vacuous: the inventory's own commands are in the log.
    expect(afterHandshake).toEqual(
      expect.arrayContaining(['listDatabases', 'listCollections', 'listIndexes', 'count']),
    );
  });

  it('creates the capped heartbeat collection once and inserts into it', async () => {
    const session = await connector.connect({
      connectionString: fixture.uri('prod'),
      login: WRITER,
      role: 'heartbeat',
      deadline: deadline(),
    });
    try {
      await session.createCappedCollection('atlas_restore', 'fresh', { sizeBytes: 4096, maxDocuments: 2 });
      await session.createCappedCollection('atlas_restore', 'fresh', { sizeBytes: 4096, maxDocuments: 2 });
      for (const seq of [1, 2, 3]) await session.insert('atlas_restore', 'fresh', { seq, at: new Date() });
      expect(await session.listCollections('atlas_restore')).toContainEqual({
        name: 'fresh',
        type: 'collection',
        capped: true,
        hasValidator: false,
      });
      expect(await session.estimatedCount('atlas_restore', 'fresh')).toBe(2);
      expect(await session.newestValue('atlas_restore', 'fresh', 'seq')).toBe(3);
    } finally {
      await session.close();
    }
  });

  it('classifies a wrong password as authentication failed, never quoting it', async () => {
    const error = await connector
      .connect({
        connectionString: fixture.uri('prod'),
        login: { username: 'verifier', password: 'wrong-password-42' },
        role: 'target',
        deadline: deadline(),
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    expect(String((error as Error).message)).not.toContain('wrong-password-42');
  });

  it("classifies a read outside the user's roles as not authorized", async () => {
    const session = await connector.connect({
      connectionString: fixture.uri('prod'),
      login: NARROW,
      role: 'target',
      deadline: deadline(),
    });
    try {
      await expect(session.count('shop', 'orders')).rejects.toMatchObject({ code: 'NOT_AUTHORIZED' });
    } finally {
      await session.close();
    }
  });

  it('classifies an unreachable cluster as cannot connect, within the deadline', async () => {
    await expect(
      connector.connect({
        connectionString: fixture.uri('down'),
        login: READER,
        role: 'target',
        deadline: Date.now() + 6_000,
      }),
    ).rejects.toMatchObject({ code: 'CANNOT_CONNECT' });
  });

  it('refuses a connection string that turns TLS off, before connecting', async () => {
    const plain = fixture.uri('prod').replace('tls=true', 'tls=false');
    await expect(
      connector.connect({ connectionString: plain, login: READER, role: 'target', deadline: deadline() }),
    ).rejects.toMatchObject({ code: 'INVALID_CONNECTION_STRING' });
  });
});
