import { MongoBulkWriteError, type MongoClient, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataPlane, startDataPlane } from './index.ts';
import { DriverClients, TestHost } from './test-host.ts';

const GROUP = '6789abcdef0123456789abcd';
const CLUSTER = 'Cluster0';
interface Order {
  _id: number;
  sku?: string;
}

const VALIDATOR = { $jsonSchema: { bsonType: 'object', required: ['sku'] } };

describe('Wire protocol: databases, collections and indexes', () => {
  const host = new TestHost();
  let plane: DataPlane;
  let clients: DriverClients;
  let admin: MongoClient;

  beforeAll(async () => {
    const data = host.addCluster(GROUP, CLUSTER);
    data.apply(
      { kind: 'createCollection', db: 'shop', collection: 'orders', options: { validator: VALIDATOR } },
      host.now(),
    );
    data.apply({ kind: 'insert', db: 'shop', collection: 'orders', documents: [{ _id: 1, sku: 'a' }] }, host.now());
    data.apply(
      {
        kind: 'createIndexes',
        db: 'shop',
        collection: 'orders',
        indexes: [{ name: 'sku_1', key: { sku: 1 }, unique: true }],
      },
      host.now(),
    );
    host.addUser(GROUP, {
      username: 'admin',
      password: 'admin-secret',
      roles: [{ roleName: 'atlasAdmin', databaseName: 'admin' }],
    });
    plane = await startDataPlane({ host });
    clients = new DriverClients(plane.caFile);
    const { connectionString } = await plane.listen(GROUP, CLUSTER);
    admin = clients.connect(connectionString, { username: 'admin', password: 'admin-secret' });
  });
  afterAll(async () => {
    await clients.closeAll();
    await plane.close();
  });

  it('creates a capped collection and lists it with its options, beside one with a validator', async () => {
    // Act
    await admin.db('atlas_restore').createCollection('heartbeats', { capped: true, size: 1_048_576, max: 3 });
    const shop = await admin.db('shop').listCollections().toArray();
    const heartbeats = await admin.db('atlas_restore').listCollections({ name: 'heartbeats' }).toArray();
    const names = await admin.db('shop').listCollections({}, { nameOnly: true }).toArray();

    // Assess
    expect(shop).toEqual([
      expect.objectContaining({ name: 'orders', type: 'collection', options: { validator: VALIDATOR } }),
    ]);
    expect(heartbeats).toEqual([
      expect.objectContaining({
        name: 'heartbeats',
        type: 'collection',
        options: { capped: true, size: 1_048_576, max: 3 },
      }),
    ]);
    expect(names).toEqual([{ name: 'orders', type: 'collection' }]);
  });

  it('keeps only the newest max documents of a capped collection', async () => {
    // Prepare
    const capped = admin.db('capped_test').collection('log');
    await admin.db('capped_test').createCollection('log', { capped: true, size: 4096, max: 2 });

    // Act
    for (const seq of [1, 2, 3]) await capped.insertOne({ seq });

    // Assess
    expect((await capped.find({}).toArray()).map((document) => document.seq)).toEqual([2, 3]);
  });

  it('refuses to create a collection that exists, or a capped one without a size', async () => {
    // Act
    const exists = await admin
      .db('shop')
      .createCollection('orders')
      .catch((caught: unknown) => caught);
    const noSize = await admin
      .db('shop')
      .command({ create: 'nosize', capped: true })
      .catch((caught: unknown) => caught);

    // Assess
    expect(exists).toMatchObject({ code: 48, codeName: 'NamespaceExists' });
    expect(noSize).toMatchObject({ code: 72, codeName: 'InvalidOptions' });
  });

  it('creates indexes (TTL, unique) and lists them after the _id index', async () => {
    // Act
    const created = await admin
      .db('atlas_restore')
      .collection('ttl')
      .createIndex({ at: 1 }, { name: 'at_ttl', expireAfterSeconds: 86_400 });
    const indexes = await admin.db('atlas_restore').collection('ttl').listIndexes().toArray();
    const orders = await admin.db('shop').collection<Order>('orders').indexes();

    // Assess
    expect(created).toBe('at_ttl');
    expect(indexes).toEqual([
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { at: 1 }, name: 'at_ttl', expireAfterSeconds: 86_400 },
    ]);
    expect(orders).toEqual([
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { sku: 1 }, name: 'sku_1', unique: true },
    ]);
  });

  it('answers NamespaceNotFound (26) for the indexes of a collection that does not exist', async () => {
    // Act
    const error = await admin
      .db('shop')
      .collection('missing')
      .listIndexes()
      .toArray()
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({
      code: 26,
      codeName: 'NamespaceNotFound',
      message: 'ns does not exist: shop.missing',
    });
  });

  it('refuses a duplicate _id or unique key with E11000 write errors, keeping the documents before it', async () => {
    // Act
    const duplicateId = await admin
      .db('shop')
      .collection<Order>('orders')
      .insertMany([
        { _id: 2, sku: 'b' },
        { _id: 1, sku: 'c' },
        { _id: 3, sku: 'd' },
      ])
      .catch((caught: unknown) => caught);
    const duplicateKey = await admin
      .db('shop')
      .collection<Order>('orders')
      .insertOne({ _id: 4, sku: 'a' })
      .catch((caught: unknown) => caught);

    // Assess
    expect(duplicateId).toBeInstanceOf(MongoBulkWriteError);
    expect(duplicateId).toMatchObject({
      code: 11000,
      insertedCount: 1,
      message: expect.stringMatching(
        /^E11000 duplicate key error collection: shop\.orders index: _id_ dup key: \{ _id: 1 \}/,
      ),
    });
    expect(duplicateKey).toBeInstanceOf(MongoServerError);
    expect(duplicateKey).toMatchObject({ code: 11000, keyValue: { sku: 'a' } });
    expect(await admin.db('shop').collection<Order>('orders').countDocuments()).toBe(2);
  });

  it('lists databases with their sizes, and the system databases Atlas clusters hold', async () => {
    // Act
    const listed = await admin.db('admin').admin().listDatabases();
    const names = await admin.db('admin').admin().listDatabases({ nameOnly: true });

    // Assess
    const shop = listed.databases.find((database) => database.name === 'shop');
    expect(listed.databases.map((database) => database.name)).toEqual(
      expect.arrayContaining(['admin', 'atlas_restore', 'config', 'local', 'shop']),
    );
    expect(shop).toMatchObject({ empty: false, sizeOnDisk: expect.any(Number) });
    expect(shop?.sizeOnDisk).toBeGreaterThan(0);
    expect(listed.totalSize).toBeGreaterThan(0);
    expect(names.databases.every((database) => Object.keys(database).join() === 'name')).toBe(true);
  });

  it('drops a collection (a missing one: ns not found, which the driver reads as false) and a database', async () => {
    // Prepare
    await admin.db('scratch').collection('a').insertOne({ x: 1 });
    await admin.db('scratch').collection('b').insertOne({ x: 1 });

    // Act
    const dropped = await admin.db('scratch').collection('a').drop();
    const droppedAgain = await admin.db('scratch').collection('a').drop();
    const afterDrop = await admin.db('scratch').listCollections({}, { nameOnly: true }).toArray();
    await admin.db('scratch').dropDatabase();
    const databases = await admin.db('admin').admin().listDatabases({ nameOnly: true });

    // Assess
    expect(dropped).toBe(true);
    expect(droppedAgain).toBe(false);
    expect(afterDrop.map((collection) => collection.name)).toEqual(['b']);
    expect(databases.databases.map((database) => database.name)).not.toContain('scratch');
  });
});
