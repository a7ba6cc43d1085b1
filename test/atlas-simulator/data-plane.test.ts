import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient } from './test-client.ts';

const MINUTE = 60_000;

describe('Atlas simulator: the clusters hold data the official driver reads', () => {
  let simulator: AtlasSimulator;
  let api: TestClient;
  let caFile: string;
  const clients: MongoClient[] = [];

  async function standard(clusterName: string): Promise<string> {
    const cluster = await api.call(`/clusters/${clusterName}`, { accept: 'application/vnd.atlas.2024-08-05+json' });
    return (cluster.json as { connectionStrings: { standard: string } }).connectionStrings.standard;
  }

  async function connect(clusterName: string, user: { username: string; password: string }): Promise<MongoClient> {
    const client = new MongoClient(await standard(clusterName), {
      auth: user,
      tlsCAFile: caFile,
      serverSelectionTimeoutMS: 1500,
      connectTimeoutMS: 1500,
    });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    simulator = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }) });
    api = new TestClient(simulator);
    ({ caFile } = await simulator.dataPlane.ready());
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await simulator.close();
  });

  it('serves the seeded source: orders with their index and validator, unique customers, a heartbeat a minute', async () => {
    // Prepare
    const { sourceClusterName, databaseUsers } = simulator.seed;
    const client = await connect(sourceClusterName, databaseUsers?.verifier ?? { username: '', password: '' });

    // Act
    const orders = await client.db('shop').collection('orders').countDocuments();
    const indexes = await client.db('shop').collection('orders').indexes();
    const customerIndexes = await client.db('shop').collection('customers').indexes();
    const [ordersInfo] = await client.db('shop').listCollections({ name: 'orders' }).toArray();
    const newest = await client
      .db('atlas_restore')
      .collection('heartbeats')
      .find()
      .sort({ seq: -1 })
      .limit(1)
      .toArray();
    const heartbeats = await client.db('atlas_restore').collection('heartbeats').countDocuments();

    // Assess
    expect(orders).toBe(216);
    expect(indexes.map((index) => index.name)).toContain('createdAt_1');
    expect(customerIndexes).toContainEqual(expect.objectContaining({ name: 'email_1', unique: true }));
    expect((ordersInfo as { options?: unknown } | undefined)?.options).toMatchObject({
      validator: { $jsonSchema: expect.any(Object) },
    });
    expect(heartbeats).toBe(36 * 60);
    expect(newest[0]).toMatchObject({ seq: 36 * 60, at: new Date(simulator.clock.now()), writer: 'seed' });
  });

  it('restores the snapshot onto the target: heartbeats up to its createdAt, none written after, the target own data gone', async () => {
    // Prepare
    const { groupId, sourceClusterName, targetClusterName, completedSnapshotId, databaseUsers } = simulator.seed;
    const writer = await connect(sourceClusterName, databaseUsers?.heartbeatWriter ?? { username: '', password: '' });
    await writer
      .db('atlas_restore')
      .collection('heartbeats')
      .insertOne({ _id: new ObjectId(), seq: 100_000, at: new Date(simulator.clock.now()), writer: 'test' });
    simulator.state
      .clusterData(groupId, targetClusterName)
      ?.apply({ kind: 'insert', db: 'old', collection: 'stuff', documents: [{ _id: 1 }] }, simulator.clock.now());
    const snapshot = await api.call(`/clusters/${sourceClusterName}/backup/snapshots/${completedSnapshotId}`);
    const createdAt = Date.parse((snapshot.json as { createdAt: string }).createdAt);

    // Act
    const job = await api.call(`/clusters/${sourceClusterName}/backup/restoreJobs`, {
      body: { deliveryType: 'automated', snapshotId: completedSnapshotId, targetGroupId: groupId, targetClusterName },
    });
    const during = simulator.state.dataPlaneReachable(groupId, targetClusterName);
    simulator.clock.advance(10 * MINUTE);
    const reader = await connect(targetClusterName, databaseUsers?.verifier ?? { username: '', password: '' });
    const heartbeats = reader.db('atlas_restore').collection('heartbeats');
    const newest = await heartbeats.find().sort({ at: -1 }).limit(1).toArray();
    const afterSnapshot = await heartbeats.countDocuments({ at: { $gt: new Date(createdAt) } });
    const databases = (await reader.db('admin').admin().listDatabases()).databases.map((db) => db.name);

    // Assess
    expect(job.status).toBe(200);
    expect(during).toBe(false);
    expect(newest[0]?.at.getTime()).toBeLessThanOrEqual(createdAt);
    expect(newest[0]?.at.getTime()).toBeGreaterThan(createdAt - MINUTE);
    expect(afterSnapshot).toBe(0);
    expect(databases).not.toContain('old');
    expect(databases).toEqual(expect.arrayContaining(['atlas_restore', 'shop']));
  });

  it('restores a point in time through the API: the heartbeat of that minute is the newest on the target', async () => {
    // Prepare
    const { groupId, sourceClusterName, targetClusterName, databaseUsers } = simulator.seed;
    const pointInTime = Math.floor((simulator.clock.now() - 90 * MINUTE) / 1000);

    // Act
    const job = await api.call(`/clusters/${sourceClusterName}/backup/restoreJobs`, {
      body: {
        deliveryType: 'pointInTime',
        pointInTimeUTCSeconds: pointInTime,
        targetGroupId: groupId,
        targetClusterName,
      },
    });
    simulator.clock.advance(10 * MINUTE);
    const reader = await connect(targetClusterName, databaseUsers?.verifier ?? { username: '', password: '' });
    const heartbeats = reader.db('atlas_restore').collection('heartbeats');
    const newest = await heartbeats.find().sort({ at: -1 }).limit(1).toArray();
    const newer = await heartbeats.countDocuments({ at: { $gt: new Date(pointInTime * 1000) } });

    // Assess
    expect(job.status).toBe(200);
    expect(newest[0]?.at.getTime()).toBeLessThanOrEqual(pointInTime * 1000);
    expect(newest[0]?.at.getTime()).toBeGreaterThan(pointInTime * 1000 - MINUTE);
    expect(newer).toBe(0);
  });

  it('refuses connections to an unreachable cluster and a wrong password', async () => {
    // Prepare
    const { groupId, sourceClusterName, databaseUsers } = simulator.seed;
    const verifier = databaseUsers?.verifier ?? { username: '', password: '' };
    simulator.dataPlane.faults.setReachable(groupId, sourceClusterName, false);

    // Act
    const unreachable = await (await connect(sourceClusterName, verifier))
      .db('shop')
      .collection('orders')
      .findOne()
      .catch((error: unknown) => error);
    simulator.dataPlane.faults.setReachable(groupId, sourceClusterName, true);
    const wrongPassword = await (await connect(sourceClusterName, { ...verifier, password: 'not-it' }))
      .db('shop')
      .collection('orders')
      .findOne()
      .catch((error: unknown) => error);

    // Assess
    expect((unreachable as Error).name).toBe('MongoServerSelectionError');
    expect((wrongPassword as Error).message).toMatch(/Authentication failed/);
  });
});
