import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseUserRole } from './host.ts';
import { type DataPlane, startDataPlane } from './index.ts';
import { DriverClients, TestHost } from './test-host.ts';

const GROUP = '6789abcdef0123456789abcd';
const CLUSTER = 'Cluster0';

describe('Wire protocol: authorization from Atlas built-in roles', () => {
  const host = new TestHost();
  let plane: DataPlane;
  let clients: DriverClients;
  let connectionString: string;

  function as(username: string, roles: DatabaseUserRole[]): MongoClient {
    host.addUser(GROUP, { username, password: `${username}-secret`, roles });
    return clients.connect(connectionString, { username, password: `${username}-secret` });
  }

  beforeAll(async () => {
    const data = host.addCluster(GROUP, CLUSTER);
    for (const db of ['shop', 'atlas_restore']) {
      data.apply({ kind: 'insert', db, collection: 'orders', documents: [{ _id: 1 }] }, host.now());
      data.apply({ kind: 'insert', db, collection: 'heartbeats', documents: [{ _id: 1 }] }, host.now());
    }
    plane = await startDataPlane({ host });
    clients = new DriverClients(plane.caFile);
    connectionString = (await plane.listen(GROUP, CLUSTER)).connectionString;
  });
  afterAll(async () => {
    await clients.closeAll();
    await plane.close();
  });

  it('lets read find but not insert, with MongoDB’s message', async () => {
    // Prepare
    const reader = as('reader', [{ roleName: 'read', databaseName: 'shop' }]);

    // Act
    const found = await reader.db('shop').collection<{ _id: number }>('orders').countDocuments();
    const insert = await reader
      .db('shop')
      .collection<{ _id: number }>('orders')
      .insertOne({ _id: 2 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(found).toBe(1);
    expect(insert).toMatchObject({
      code: 13,
      codeName: 'Unauthorized',
      message: 'not authorized on shop to execute command { insert: "orders" }',
    });
  });

  it('limits a role to its database', async () => {
    // Prepare
    const reader = as('shop-reader', [{ roleName: 'read', databaseName: 'shop' }]);

    // Act
    const other = await reader
      .db('atlas_restore')
      .collection<{ _id: number }>('orders')
      .findOne({})
      .catch((caught: unknown) => caught);

    // Assess
    expect(other).toMatchObject({
      code: 13,
      message: 'not authorized on atlas_restore to execute command { find: "orders" }',
    });
  });

  it('limits a role with a collectionName to that collection (Atlas’s heartbeat-writer grant), listed only with authorizedCollections', async () => {
    // Prepare
    const writer = as('heartbeat-writer', [
      { roleName: 'readWrite', databaseName: 'atlas_restore', collectionName: 'heartbeats' },
    ]);

    // Act
    const inserted = await writer.db('atlas_restore').collection('heartbeats').insertOne({ seq: 1 });
    const elsewhere = await writer
      .db('atlas_restore')
      .collection('orders')
      .insertOne({ seq: 1 })
      .catch((caught: unknown) => caught);

    const listed = await writer
      .db('atlas_restore')
      .listCollections({}, { nameOnly: true, authorizedCollections: true })
      .toArray();
    const listAll = await writer
      .db('atlas_restore')
      .listCollections()
      .toArray()
      .catch((caught: unknown) => caught);

    // Assess
    expect(inserted.acknowledged).toBe(true);
    expect(elsewhere).toMatchObject({ code: 13 });
    expect(listed).toEqual([{ name: 'heartbeats', type: 'collection' }]);
    expect(listAll).toMatchObject({ code: 13 });
  });

  it('lets readAnyDatabase read and list every database, but not write', async () => {
    // Prepare
    const verifier = as('verifier', [{ roleName: 'readAnyDatabase', databaseName: 'admin' }]);

    // Act
    const databases = await verifier.db('admin').admin().listDatabases({ nameOnly: true });
    const count = await verifier.db('shop').collection('heartbeats').estimatedDocumentCount();
    const indexes = await verifier.db('atlas_restore').collection<{ _id: number }>('orders').indexes();
    const write = await verifier
      .db('shop')
      .collection<{ _id: number }>('orders')
      .insertOne({ _id: 3 })
      .catch((caught: unknown) => caught);

    const authorizedOnly = await verifier
      .db('admin')
      .admin()
      .listDatabases({ nameOnly: true, authorizedDatabases: true });

    // Assess
    expect(databases.databases.map((database) => database.name)).toEqual(
      expect.arrayContaining(['atlas_restore', 'shop']),
    );
    expect(authorizedOnly.databases.map((database) => database.name)).toEqual(['atlas_restore', 'shop']);
    expect(count).toBe(1);
    expect(indexes).toHaveLength(1);
    expect(write).toMatchObject({ code: 13 });
  });

  it('shows a user without listDatabases only the databases its roles name', async () => {
    // Prepare
    const reader = as('narrow', [{ roleName: 'read', databaseName: 'shop' }]);

    // Act
    const databases = await reader.db('admin').admin().listDatabases({ nameOnly: true });
    const refused = await reader
      .db('admin')
      .admin()
      .listDatabases({ authorizedDatabases: false })
      .catch((caught: unknown) => caught);

    // Assess
    expect(databases.databases.map((database) => database.name)).toEqual(['shop']);
    expect(refused).toMatchObject({ code: 13 });
  });

  it('lets readWriteAnyDatabase write anywhere but the system databases; atlasAdmin drops databases, readWrite cannot', async () => {
    // Prepare
    const writer = as('any-writer', [{ roleName: 'readWriteAnyDatabase', databaseName: 'admin' }]);
    const dbWriter = as('db-writer', [{ roleName: 'readWrite', databaseName: 'shop' }]);
    const atlasAdmin = as('atlas-admin', [{ roleName: 'atlasAdmin', databaseName: 'admin' }]);

    // Act
    const inserted = await writer.db('anywhere').collection('c').insertOne({ x: 1 });
    const local = await writer
      .db('local')
      .collection('c')
      .insertOne({ x: 1 })
      .catch((caught: unknown) => caught);
    const dropByReadWrite = await dbWriter
      .db('shop')
      .dropDatabase()
      .catch((caught: unknown) => caught);
    const dropByAdmin = await atlasAdmin.db('anywhere').dropDatabase();

    // Assess
    expect(inserted.acknowledged).toBe(true);
    expect(local).toMatchObject({ code: 13 });
    expect(dropByReadWrite).toMatchObject({ code: 13 });
    expect(dropByAdmin).toBe(true);
  });

  it('grants nothing through a role it does not model (the stricter reading)', async () => {
    // Prepare
    const monitor = as('monitor', [{ roleName: 'clusterMonitor', databaseName: 'admin' }]);

    // Act
    const error = await monitor
      .db('shop')
      .collection<{ _id: number }>('orders')
      .findOne({})
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 13 });
  });
});
