import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import type { SimulatorStore } from './state.ts';
import { TestClient } from './test-client.ts';

describe('Atlas simulator: database users', () => {
  let simulator: AtlasSimulator;
  let client: TestClient;
  let store: SimulatorStore;
  const HOUR = 3_600_000;

  beforeAll(async () => {
    simulator = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }) });
    client = new TestClient(simulator);
    store = simulator.state as SimulatorStore;
  });
  afterAll(() => simulator.close());

  function user(username: string, extra: Record<string, unknown> = {}) {
    return {
      groupId: simulator.seed.groupId,
      databaseName: 'admin',
      username,
      password: 'correct-horse-battery',
      roles: [{ roleName: 'readAnyDatabase', databaseName: 'admin' }],
      ...extra,
    };
  }

  it('creates a user, never shows its password, and lets it log in to every cluster of the project', async () => {
    // Act
    const created = await client.call('/databaseUsers', { body: user('reader') });
    const read = await client.call('/databaseUsers/admin/reader');

    // Assess
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('correct-horse-battery');
    expect(read.text).not.toContain('correct-horse-battery');
    expect(read.json).toMatchObject({ username: 'reader', databaseName: 'admin', groupId: simulator.seed.groupId });
    const { groupId, sourceClusterName, targetClusterName } = simulator.seed;
    expect(store.databaseUsers.forCluster(groupId, sourceClusterName, 'reader')?.password).toBe(
      'correct-horse-battery',
    );
    expect(store.databaseUsers.forCluster(groupId, targetClusterName, 'reader')).toBeDefined();
  });

  it('limits a scoped user to the clusters its scopes name', async () => {
    // Prepare
    const { groupId, sourceClusterName, targetClusterName } = simulator.seed;

    // Act
    await client.call('/databaseUsers', {
      body: user('scoped', { scopes: [{ name: targetClusterName, type: 'CLUSTER' }] }),
    });

    // Assess
    expect(store.databaseUsers.forCluster(groupId, targetClusterName, 'scoped')?.username).toBe('scoped');
    expect(store.databaseUsers.forCluster(groupId, sourceClusterName, 'scoped')).toBeUndefined();
  });

  it('deletes a temporary user once its deleteAfterDate passes on the simulated clock', async () => {
    // Prepare
    const { groupId, targetClusterName } = simulator.seed;
    const deleteAfterDate = new Date(simulator.clock.now() + HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await client.call('/databaseUsers', { body: user('temporary', { deleteAfterDate }) });

    // Act
    const before = await client.call('/databaseUsers/admin/temporary');
    const canLogIn = store.databaseUsers.forCluster(groupId, targetClusterName, 'temporary') !== undefined;
    simulator.clock.advance(HOUR);
    const after = await client.call('/databaseUsers/admin/temporary');

    // Assess
    expect(before.json).toMatchObject({ deleteAfterDate });
    expect(canLogIn).toBe(true);
    expect(after.status).toBe(404);
    expect(store.databaseUsers.forCluster(groupId, targetClusterName, 'temporary')).toBeUndefined();
  });

  it('refuses a deleteAfterDate in the past or more than a week ahead, naming the field', async () => {
    // Act
    const past = await client.call('/databaseUsers', {
      body: user('past', { deleteAfterDate: new Date(simulator.clock.now() - 1000).toISOString() }),
    });
    const far = await client.call('/databaseUsers', {
      body: user('far', { deleteAfterDate: new Date(simulator.clock.now() + 8 * 24 * HOUR).toISOString() }),
    });

    // Assess
    for (const answer of [past, far]) {
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        errorCode: 'INVALID_ATTRIBUTE',
        parameters: ['deleteAfterDate', expect.any(String)],
      });
    }
  });

  it('refuses a user without a password, of another project, or twice; deletes one; 404 for a missing one', async () => {
    // Prepare
    const { password: _password, ...withoutPassword } = user('nopass');

    // Act
    const missing = await client.call('/databaseUsers', { body: withoutPassword });
    const otherProject = await client.call('/databaseUsers', { body: user('other', { groupId: 'a'.repeat(24) }) });
    await client.call('/databaseUsers', { body: user('twice') });
    const again = await client.call('/databaseUsers', { body: user('twice') });
    const deleted = await client.call('/databaseUsers/admin/twice', { method: 'DELETE' });
    const gone = await client.call('/databaseUsers/admin/twice');

    // Assess
    expect(missing.json).toMatchObject({ errorCode: 'MISSING_ATTRIBUTE', parameters: ['password'] });
    expect(otherProject.json).toMatchObject({
      errorCode: 'INVALID_ATTRIBUTE',
      parameters: ['groupId', 'a'.repeat(24)],
    });
    expect(again.status).toBe(409);
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(JSON.stringify(simulator.requests)).not.toContain('correct-horse-battery');
  });
});
