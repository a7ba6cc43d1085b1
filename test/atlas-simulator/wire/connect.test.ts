import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { MongoServerSelectionError, ObjectId } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DataPlane, startDataPlane } from './index.ts';
import { DriverClients, TestHost } from './test-host.ts';

const GROUP = '6789abcdef0123456789abcd';
const CLUSTER = 'Cluster0';
const OTHER_CLUSTER = 'Cluster1';
const WRITER = { username: 'writer', password: 'writer-secret' };

describe('Wire protocol: connection and authentication', () => {
  const host = new TestHost();
  let plane: DataPlane;
  let clients: DriverClients;
  let uri: string;
  let otherUri: string;

  beforeAll(async () => {
    host.addCluster(GROUP, CLUSTER);
    host.addCluster(GROUP, OTHER_CLUSTER);
    host.addUser(GROUP, { ...WRITER, roles: [{ roleName: 'readWrite', databaseName: 'atlas_restore' }] });
    host.addUser(GROUP, {
      username: 'scoped',
      password: 'scoped-secret',
      roles: [{ roleName: 'readAnyDatabase', databaseName: 'admin' }],
      scopes: [{ name: OTHER_CLUSTER, type: 'CLUSTER' }],
    });
    host.addUser(GROUP, {
      username: 'temporary',
      password: 'temporary-secret',
      roles: [{ roleName: 'readAnyDatabase', databaseName: 'admin' }],
      deleteAfterDate: host.now() + 60_000,
    });
    plane = await startDataPlane({ host });
    clients = new DriverClients(plane.caFile);
    uri = (await plane.listen(GROUP, CLUSTER)).connectionString;
    otherUri = (await plane.listen(GROUP, OTHER_CLUSTER, { setName: 'atlas-other-shard-0' })).connectionString;
  });
  afterEach(() => clients.closeAll());
  afterAll(() => plane.close());

  it('answers the standard connection string form, one port per cluster', async () => {
    // Assess
    expect(uri).toMatch(
      /^mongodb:\/\/127\.0\.0\.1:\d+\/\?tls=true&authSource=admin&replicaSet=atlas-[a-z0-9]{6}-shard-0$/,
    );
    expect(otherUri).toMatch(/replicaSet=atlas-other-shard-0$/);
    expect(new URL(uri).port).not.toBe(new URL(otherUri).port);
    expect(await plane.listen(GROUP, CLUSTER)).toMatchObject({ connectionString: uri });
  });

  it('lets the official driver connect over TLS, authenticate with SCRAM-SHA-256, insert and read back', async () => {
    // Prepare
    const heartbeats = clients.connect(uri, WRITER).db('atlas_restore').collection('heartbeats');
    const at = new Date(host.now());

    // Act
    await heartbeats.insertOne({ _id: new ObjectId(), seq: 1, at, writer: 'test' });
    const found = await heartbeats.find({ seq: 1 }).toArray();

    // Assess
    expect(found).toEqual([expect.objectContaining({ seq: 1, at, writer: 'test' })]);
  });

  it('describes itself as the primary of a replica set with a current wire version', async () => {
    // Act
    const hello = await clients.connect(uri, WRITER).db('admin').command({ hello: 1 });

    // Assess
    const address = new URL(uri).host;
    expect(hello).toMatchObject({
      isWritablePrimary: true,
      setName: new URL(uri).searchParams.get('replicaSet'),
      hosts: [address],
      primary: address,
      me: address,
      maxWireVersion: 25,
      logicalSessionTimeoutMinutes: 30,
      ok: 1,
    });
    expect(hello).not.toHaveProperty('compression');
  });

  it('refuses a wrong password with AuthenticationFailed, never echoing the password', async () => {
    // Act
    const error = await clients
      .connect(uri, { username: 'writer', password: 'not-the-secret' })
      .db('atlas_restore')
      .collection('heartbeats')
      .findOne({})
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 18, codeName: 'AuthenticationFailed', message: 'Authentication failed.' });
    expect(JSON.stringify(error)).not.toContain('not-the-secret');
  });

  it('refuses an unknown user the same way', async () => {
    // Act
    const error = await clients
      .connect(uri, { username: 'nobody', password: 'writer-secret' })
      .db('admin')
      .command({ ping: 1 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 18, message: 'Authentication failed.' });
  });

  it('knows a user scoped to another cluster only on that cluster', async () => {
    // Act
    const here = await clients
      .connect(uri, { username: 'scoped', password: 'scoped-secret' })
      .db('admin')
      .command({ ping: 1 })
      .catch((caught: unknown) => caught);
    const there = await clients
      .connect(otherUri, { username: 'scoped', password: 'scoped-secret' })
      .db('admin')
      .command({ ping: 1 });

    // Assess
    expect(here).toMatchObject({ code: 18 });
    expect(there).toMatchObject({ ok: 1 });
  });

  it('forgets a user once its deleteAfterDate has passed, also on a connection it already opened', async () => {
    // Prepare
    const client = clients.connect(uri, { username: 'temporary', password: 'temporary-secret' });
    await client.db('atlas_restore').collection('heartbeats').findOne({});

    // Act
    host.advance(60_000);
    const onOpenConnection = await client
      .db('atlas_restore')
      .collection('heartbeats')
      .findOne({})
      .catch((caught: unknown) => caught);
    const newClient = await clients
      .connect(uri, { username: 'temporary', password: 'temporary-secret' })
      .db('admin')
      .command({ ping: 1 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(onOpenConnection).toMatchObject({ code: 13, codeName: 'Unauthorized' });
    expect(newClient).toMatchObject({ code: 18 });
  });

  it('refuses SCRAM-SHA-1 (only SCRAM-SHA-256 is offered)', async () => {
    // Act
    const error = await clients
      .connect(uri, WRITER, { authMechanism: 'SCRAM-SHA-1' })
      .db('admin')
      .command({ ping: 1 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ codeName: 'MechanismUnavailable' });
  });

  it('answers only the handshake, ping, buildInfo and endSessions before authentication (13 otherwise)', async () => {
    // Prepare
    const anonymous = clients.connect(uri);

    // Act
    const ping = await anonymous.db('admin').command({ ping: 1 });
    const buildInfo = await anonymous.db('admin').command({ buildInfo: 1 });
    const endSessions = await anonymous.db('admin').command({ endSessions: [] });
    const find = await anonymous
      .db('atlas_restore')
      .collection('heartbeats')
      .findOne({})
      .catch((caught: unknown) => caught);

    // Assess
    expect(ping).toMatchObject({ ok: 1 });
    expect(endSessions).toMatchObject({ ok: 1 });
    expect(buildInfo).toMatchObject({ version: expect.stringMatching(/^8\.0\./), ok: 1 });
    expect(find).toMatchObject({ code: 13, codeName: 'Unauthorized', message: 'Command find requires authentication' });
  });

  it('answers an unknown command with CommandNotFound (59), authenticated or not', async () => {
    // Act
    const error = await clients
      .connect(uri, WRITER)
      .db('admin')
      .command({ frobnicate: 1 })
      .catch((caught: unknown) => caught);
    const anonymous = await clients
      .connect(uri)
      .db('admin')
      .command({ frobnicate: 1 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 59, codeName: 'CommandNotFound', message: "no such command: 'frobnicate'" });
    expect(anonymous).toMatchObject({ code: 59 });
  });

  it('refuses connections to an unreachable cluster (server selection fails) and drops live ones', async () => {
    // Prepare
    const live = clients.connect(uri, WRITER, { serverSelectionTimeoutMS: 500 });
    await live.db('admin').command({ ping: 1 });
    host.setReachable(GROUP, CLUSTER, false);

    try {
      // Act
      const fresh = await clients
        .connect(uri, WRITER, { serverSelectionTimeoutMS: 500 })
        .db('admin')
        .command({ ping: 1 })
        .catch((caught: unknown) => caught);
      const onLive = await live
        .db('admin')
        .command({ ping: 1 }, { timeoutMS: 1000 })
        .catch((caught: unknown) => caught);

      const tlsSocket = connect({
        host: '127.0.0.1',
        port: Number(new URL(uri).port),
        ca: [readFileSync(plane.caFile)],
      });
      const handshake = await new Promise((resolve) => {
        tlsSocket.once('secureConnect', () => resolve('connected'));
        tlsSocket.once('error', () => resolve('refused'));
        tlsSocket.once('close', () => resolve('refused'));
      });
      tlsSocket.destroy();

      // Assess
      expect(handshake).toBe('refused');
      expect(fresh).toBeInstanceOf(MongoServerSelectionError);
      expect(onLive).toBeInstanceOf(Error);
    } finally {
      host.setReachable(GROUP, CLUSTER, true);
    }
  });
});
