import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import { databaseLogins } from '../../../../functions/core/verification/database-logins.ts';
import type { DatabaseLogin } from '../../../../functions/core/verification/database-port.ts';
import { writeHeartbeats } from '../../../../functions/core/verification/heartbeat-writer.ts';
import { mongoConnector } from '../../../../functions/core/verification/mongodb-database.ts';
import type {
  VerifiableOperation,
  VerificationStore,
} from '../../../../functions/core/verification/verification-store.ts';
import { createVerifierService } from '../../../../functions/core/verification/verifier-service.ts';
import {
  apiRequests,
  expectRequestsValidAgainstOpenApi,
  type Harness,
  startHarness,
} from '../atlas/simulator-harness.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const MINUTE = 60_000;

function memoryStore(operation: VerifiableOperation) {
  let stored = operation;
  const store: VerificationStore = {
    get: async (operationId) => (operationId === stored.operationId ? stored : undefined),
    async recordInventory(_operationId, inventory) {
      if (stored.sourceInventory) return false;
      stored = { ...stored, sourceInventory: inventory };
      return true;
    },
    async recordVerification(_operationId, result) {
      if (stored.verification?.result) return false;
      stored = { ...stored, verification: { status: 'recorded', result } };
      return true;
    },
  };
  return {
    store,
    current: () => stored,
    /** What the restore chain records on the operation meanwhile (the restored instant). */
    update: (fields: Partial<VerifiableOperation>) => {
      stored = { ...stored, ...fields };
    },
  };
}

describe('Service: a verified drill against the Atlas simulator (Admin API, wire protocol, official driver)', () => {
  let harness: Harness;
  let caFile: string;
  let verifierUser: DatabaseLogin;
  let writerUser: DatabaseLogin;

  beforeAll(async () => {
    harness = await startHarness('serviceAccount');
    ({ caFile } = await harness.sim.dataPlane.ready());
    const users = harness.sim.seed.databaseUsers;
    if (users === undefined) throw new Error('the simulator seeds database users');
    verifierUser = users.verifier;
    writerUser = users.heartbeatWriter;
  });
  afterAll(() => harness.close());

  function deps(login: DatabaseLogin) {
    return {
      atlas: harness.client,
      connector: mongoConnector({ appName: 'atlas-restore-verifier', tlsCAFile: caFile }),
      logins: databaseLogins({
        secret: { get: async () => login, invalidate: () => {} },
        atlas: harness.client,
        now: () => harness.sim.clock.now(),
        log: silent,
      }),
      clock: { now: () => harness.sim.clock.now() },
      log: silent,
      now: Date.now,
    };
  }

  async function verifiedDrill(operationId: string, verify: NonNullable<RestoreRequest['verify']>) {
    const { groupId, sourceClusterName, targetClusterName, completedSnapshotId } = harness.sim.seed;
    const ledger = memoryStore({
      operationId,
      request: {
        groupId,
        clusterName: sourceClusterName,
        deliveryType: 'automated',
        targetGroupId: groupId,
        targetClusterName,
        verify,
      },
    });
    const service = createVerifierService({ ...deps(verifierUser), store: ledger.store });
    const send = (kind: 'inventory' | 'verify') =>
      service.handleMessage(JSON.stringify({ v: 1, kind, operationId }), { deadline: Date.now() + 30_000 });
    await send('inventory');
    const source = { groupId, clusterName: sourceClusterName };
    const snapshot = await harness.client.getSnapshot(source, completedSnapshotId);
    const job = await harness.client.createRestoreJob(source, {
      deliveryType: 'automated',
      snapshotId: completedSnapshotId,
      targetGroupId: groupId,
      targetClusterName,
    });
    harness.sim.state.completeRestoreJob(job.id);
    harness.sim.clock.advance(MINUTE);
    const snapshotAt = Date.parse(snapshot.createdAt ?? '');
    ledger.update({ snapshotAt });
    await send('verify');
    return {
      result: ledger.current().verification?.result,
      inventory: ledger.current().sourceInventory,
      snapshotAt,
    };
  }

  it('passes a restored snapshot: structure, counts, the heartbeat RPO and a declared check; no lock on the source', async () => {
    // The seeded snapshot is hours old and orders keep coming: the counts differ by about 9 %.
    const { result, inventory } = await verifiedDrill('sim-drill', {
      countTolerancePercent: 15,
      checks: [
        { database: 'shop', collection: 'orders', minCount: 150, newestField: 'createdAt', maxAgeMinutes: 24 * 60 },
      ],
    });
    expect(inventory?.collections.map((entry) => `${entry.database}.${entry.collection}`)).toEqual(
      expect.arrayContaining(['shop.orders', 'shop.customers', 'atlas_restore.heartbeats']),
    );
    expect(
      result?.checks.map((check) => `${check.name} ${check.verdict}`),
      JSON.stringify(result),
    ).toEqual(['structure pass', 'counts pass', 'heartbeat-rpo pass', 'check:1 pass']);
    expect(result?.verdict).toBe('pass');
    expect(result?.achievedRpoSeconds).toBeLessThanOrEqual(60);
    const { groupId, sourceClusterName } = harness.sim.seed;
    const sourceCommands = harness.sim.dataPlane.commands({ groupId, clusterName: sourceClusterName });
    expect(sourceCommands.length).toBeGreaterThan(0);
    expect(sourceCommands.filter((entry) => entry.takesLock)).toEqual([]);
  });

  it('with temporaryUser, creates a read-only user scoped to the target with a deleteAfterDate, and deletes it', async () => {
    const before = apiRequests(harness.sim).length;
    const { result } = await verifiedDrill('sim-temporary', {
      credentials: 'temporaryUser',
      heartbeats: false,
      countTolerancePercent: 15,
    });
    const userCalls = apiRequests(harness.sim)
      .slice(before)
      .filter((request) => request.path.includes('/databaseUsers'));
    expect(result?.verdict, JSON.stringify(result)).toBe('pass');
    expect(userCalls.map((request) => request.method)).toEqual(['POST', 'DELETE', 'POST', 'DELETE']);
    const created = userCalls[2]?.body as {
      roles: unknown;
      scopes: unknown;
      deleteAfterDate: string;
      password?: string;
    };
    expect(created.roles).toEqual([{ roleName: 'readAnyDatabase', databaseName: 'admin' }]);
    expect(created.scopes).toEqual([{ name: harness.sim.seed.targetClusterName, type: 'CLUSTER' }]);
    expect(Date.parse(created.deleteAfterDate) - harness.sim.clock.now()).toBeLessThanOrEqual(2 * 60 * MINUTE);
    expectRequestsValidAgainstOpenApi(harness.sim);
  });

  it('refuses an invalid database user before sending it, naming the field and not the password', async () => {
    const before = apiRequests(harness.sim).length;
    const error = await harness.client
      .createDatabaseUser({
        groupId: harness.sim.seed.groupId,
        databaseName: 'admin',
        username: 'someone',
        password: 'short!',
        roles: [{ roleName: 'read', databaseName: 'shop' }],
        scopes: [{ name: 'prod', type: 'CLUSTER' }],
        deleteAfterDate: new Date(harness.sim.clock.now() + MINUTE).toISOString(),
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(String((error as Error).message)).toContain('password');
    expect(String((error as Error).message)).not.toContain('short!');
    expect(apiRequests(harness.sim).length).toBe(before);
  });

  it("writes the next heartbeat on the source with the heartbeat writer's collection-scoped user", async () => {
    const { groupId, sourceClusterName } = harness.sim.seed;
    harness.sim.clock.advance(MINUTE);
    const [report] = await writeHeartbeats(deps(writerUser), [{ groupId, clusterName: sourceClusterName }], {
      writer: 'test-writer',
      deadline: Date.now() + 30_000,
    });
    expect(report, JSON.stringify(report)).toMatchObject({
      written: true,
      at: new Date(harness.sim.clock.now()).toISOString(),
    });
    const data = harness.sim.state.clusterData(groupId, sourceClusterName);
    const documents = data?.collection('atlas_restore', 'heartbeats')?.documents ?? [];
    expect(documents.at(-1)).toMatchObject({ writer: 'test-writer', seq: (documents.at(-2)?.seq as number) + 1 });
  });
});
