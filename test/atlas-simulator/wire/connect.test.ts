import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataPlane, startDataPlane } from './server.ts';
import { TestHost } from './test-host.ts';

const GROUP = '6789abcdef0123456789abcd';
const CLUSTER = 'Cluster0';

describe('Wire protocol: connect, authenticate, insert and find', () => {
  const host = new TestHost();
  let plane: DataPlane;
  let uri: string;
  const clients: MongoClient[] = [];

  function client(username: string, password: string): MongoClient {
    const created = new MongoClient(uri, {
      auth: { username, password },
      tlsCAFile: plane.caFile,
      serverSelectionTimeoutMS: 2000,
      connectTimeoutMS: 2000,
    });
    clients.push(created);
    return created;
  }

  beforeAll(async () => {
    host.addCluster(GROUP, CLUSTER);
    host.addUser(GROUP, {
      username: 'writer',
      password: 'writer-secret',
      roles: [{ roleName: 'readWrite', databaseName: 'atlas_restore' }],
    });
    plane = await startDataPlane({ host });
    uri = (await plane.listen(GROUP, CLUSTER)).connectionString;
  });
  afterAll(async () => {
    await Promise.all(clients.map((created) => created.close()));
    await plane.close();
  });

  it('lets the official driver connect over TLS, authenticate with SCRAM-SHA-256, insert and read back', async () => {
    // Prepare
    const heartbeats = client('writer', 'writer-secret').db('atlas_restore').collection('heartbeats');
    const at = new Date(host.now());

    // Act
    await heartbeats.insertOne({ _id: new ObjectId(), seq: 1, at, writer: 'test' });
    const found = await heartbeats.find({ seq: 1 }).toArray();

    // Assess
    expect(found).toEqual([expect.objectContaining({ seq: 1, at, writer: 'test' })]);
  });

  it('refuses a wrong password with AuthenticationFailed, never echoing the password', async () => {
    // Act
    const error = await client('writer', 'not-the-secret')
      .db('atlas_restore')
      .collection('heartbeats')
      .findOne({})
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 18, codeName: 'AuthenticationFailed', message: 'Authentication failed.' });
    expect(JSON.stringify(error)).not.toContain('not-the-secret');
  });
});
