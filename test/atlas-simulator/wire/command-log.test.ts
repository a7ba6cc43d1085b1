import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_TAKING_COMMANDS } from './command-log.ts';
import { type DataPlane, startDataPlane } from './index.ts';
import { DriverClients, TestHost } from './test-host.ts';

const GROUP = '6789abcdef0123456789abcd';
const SOURCE = 'Source';
const TARGET = 'Target';
const ADMIN = { username: 'admin', password: 'admin-secret' };

describe('Wire protocol: the command log', () => {
  const host = new TestHost();
  let plane: DataPlane;
  let clients: DriverClients;
  let source: string;
  let target: string;

  beforeAll(async () => {
    host.addCluster(GROUP, SOURCE);
    host.addCluster(GROUP, TARGET);
    host.addUser(GROUP, { ...ADMIN, roles: [{ roleName: 'atlasAdmin', databaseName: 'admin' }] });
    plane = await startDataPlane({ host });
    clients = new DriverClients(plane.caFile);
    source = (await plane.listen(GROUP, SOURCE)).connectionString;
    target = (await plane.listen(GROUP, TARGET)).connectionString;
  });
  afterAll(async () => {
    await clients.closeAll();
    await plane.close();
  });

  it('records every command in order, per cluster, with the simulated time, database and user', async () => {
    // Prepare
    const client = clients.connect(source, ADMIN);
    host.advance(1000);

    // Act
    await client.db('atlas_restore').collection('heartbeats').insertOne({ seq: 1 });
    await client.db('atlas_restore').collection('heartbeats').find({}).toArray();
    await client.close();

    // Assess
    const log = plane.commands({ groupId: GROUP, clusterName: SOURCE });
    const names = log.map((entry) => entry.command);
    // The driver's first hello is the legacy `ismaster`, carrying a speculative saslStart: no saslStart command follows.
    expect(names[0]).toBe('ismaster');
    expect(names).toEqual(expect.arrayContaining(['saslContinue', 'insert', 'find']));
    expect(names).not.toContain('saslStart');
    expect(names.indexOf('insert')).toBeLessThan(names.indexOf('find'));
    expect(log.find((entry) => entry.command === 'insert')).toEqual({
      at: host.now(),
      groupId: GROUP,
      clusterName: SOURCE,
      db: 'atlas_restore',
      command: 'insert',
      user: 'admin',
      takesLock: false,
    });
    expect(log.find((entry) => entry.command === 'ismaster')).not.toHaveProperty('user');
    expect(plane.commands({ groupId: GROUP, clusterName: TARGET })).toEqual([]);
  });

  it('flags lock-taking commands (fsync with lock, compact, validate…) and only those', async () => {
    // Prepare
    const client = clients.connect(target, ADMIN);

    // Act
    await client
      .db('admin')
      .command({ fsync: 1 })
      .catch(() => undefined);
    await client
      .db('admin')
      .command({ fsync: 1, lock: true })
      .catch(() => undefined);
    await client
      .db('shop')
      .command({ compact: 'orders' })
      .catch(() => undefined);
    await client
      .db('shop')
      .command({ validate: 'orders' })
      .catch(() => undefined);
    await client
      .db('shop')
      .command({ dbHash: 1 })
      .catch(() => undefined);
    await client.db('shop').collection('orders').countDocuments();

    // Assess
    const locking = plane.lockTakingCommands({ groupId: GROUP, clusterName: TARGET });
    expect(locking.map((entry) => entry.command)).toEqual(['fsync', 'compact', 'validate', 'dbHash']);
    expect(plane.lockTakingCommands({ groupId: GROUP, clusterName: SOURCE })).toEqual([]);
    expect([...LOCK_TAKING_COMMANDS]).toEqual(expect.arrayContaining(['fsync', 'fsyncUnlock', 'compact', 'reIndex']));
  });
});
