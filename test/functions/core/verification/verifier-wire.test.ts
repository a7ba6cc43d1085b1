import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AtlasDatabaseUsersApi } from '../../../../functions/core/atlas/api.ts';
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
import { GROUP, READER, seedSource, startWireFixture, WRITER } from './wire-fixture.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const noUsers: AtlasDatabaseUsersApi = {
  createDatabaseUser: () => Promise.reject(new Error('not used')),
  deleteDatabaseUser: () => Promise.reject(new Error('not used')),
};

function memoryStore(operations: VerifiableOperation[]) {
  const byId = new Map(operations.map((operation) => [operation.operationId, operation]));
  const store: VerificationStore = {
    async get(operationId) {
      return byId.get(operationId);
    },
    async recordInventory(operationId, inventory) {
      const found = byId.get(operationId);
      if (found === undefined || found.sourceInventory) return false;
      byId.set(operationId, { ...found, sourceInventory: inventory });
      return true;
    },
    async recordVerification(operationId, result) {
      const found = byId.get(operationId);
      if (found === undefined || found.verification?.result) return false;
      byId.set(operationId, { ...found, verification: { status: 'recorded', result } });
      return true;
    },
  };
  return { store, get: (operationId: string) => byId.get(operationId) };
}

describe('Service: verifier and heartbeat writer over the official driver and the simulator wire server', () => {
  let fixture: Awaited<ReturnType<typeof startWireFixture>>;
  const deadline = () => Date.now() + 30_000;
  let snapshotAt: number;

  beforeAll(async () => {
    fixture = await startWireFixture(['prod', 'drill', 'pit', 'broken', 'down', 'prod2']);
    const start = fixture.host.now();
    snapshotAt = start + 120_000;
    // Heartbeats a minute apart; the snapshot is taken 30 s after the third, before the fourth.
    seedSource(fixture.data('prod'), start, [start, start + 30_000, start + 90_000, start + 150_000]);
    fixture.host.advance(200_000);
    fixture.data('drill').replaceWith(fixture.data('prod').stateAt(snapshotAt), fixture.host.now());
    fixture.data('pit').replaceWith(fixture.data('prod').stateAt(snapshotAt + 10_000), fixture.host.now());
    fixture.data('broken').replaceWith(fixture.data('prod').stateAt(snapshotAt), fixture.host.now());
    fixture.data('broken').apply({ kind: 'dropCollection', db: 'shop', collection: 'orders' }, fixture.host.now());
    fixture.host.setReachable(GROUP, 'down', false);
  });
  afterAll(() => fixture.plane.close());

  function verifier(operations: VerifiableOperation[], login: DatabaseLogin = READER) {
    const ledger = memoryStore(operations);
    const service = createVerifierService({
      store: ledger.store,
      atlas: fixture.atlas,
      connector: mongoConnector({ appName: 'atlas-restore-verifier', tlsCAFile: fixture.plane.caFile }),
      logins: databaseLogins({
        secret: { get: async () => login, invalidate: () => {} },
        atlas: noUsers,
        now: () => fixture.host.now(),
        log: silent,
      }),
      clock: { now: () => fixture.host.now() },
      log: silent,
      now: Date.now,
    });
    const send = (kind: 'inventory' | 'verify', operationId: string, until = deadline()) =>
      service.handleMessage(JSON.stringify({ v: 1, kind, operationId }), { deadline: until });
    return { send, get: ledger.get };
  }

  function drill(
    operationId: string,
    target: string,
    overrides: Partial<VerifiableOperation['request']> = {},
    instant = snapshotAt,
  ): VerifiableOperation {
    const request: VerifiableOperation['request'] = {
      groupId: GROUP,
      clusterName: 'prod',
      deliveryType: 'automated' as RestoreRequest['deliveryType'],
      targetGroupId: GROUP,
      targetClusterName: target,
      verify: { checks: [{ database: 'shop', collection: 'orders', filter: { status: 'paid' }, minCount: 2 }] },
      ...overrides,
    };
    return { operationId, request, snapshotAt: instant };
  }

  it('passes an automated restore and proves its RPO by heartbeats; the source saw no lock-taking command', async () => {
    const { send, get } = verifier([drill('auto', 'drill')]);
    expect(await send('inventory', 'auto')).toBe('recorded');
    expect(await send('verify', 'auto')).toBe('recorded');
    expect(await send('verify', 'auto')).toBe('duplicate');
    const result = get('auto')?.verification?.result;
    expect(result?.checks.map((check) => `${check.name} ${check.verdict}`)).toEqual([
      'structure pass',
      'counts pass',
      'heartbeat-rpo pass',
      'check:1 pass',
    ]);
    expect(result).toMatchObject({ verdict: 'pass', achievedRpoSeconds: 30 });
    expect(fixture.plane.lockTakingCommands({ groupId: GROUP, clusterName: 'prod' })).toEqual([]);
    expect(fixture.plane.commands({ groupId: GROUP, clusterName: 'prod' }).length).toBeGreaterThan(0);
  });

  it('passes a point-in-time restore: no heartbeat newer than the requested instant, the newest within one interval', async () => {
    const { send, get } = verifier([drill('pit', 'pit', { deliveryType: 'pointInTime' }, snapshotAt + 10_000)]);
    await send('inventory', 'pit');
    await send('verify', 'pit');
    const result = get('pit')?.verification?.result;
    expect(result?.checks.find((check) => check.name === 'heartbeat-rpo')).toMatchObject({
      verdict: 'pass',
      reason: expect.stringContaining('before the requested point in time'),
    });
    expect(result?.achievedRpoSeconds).toBe(40);
  });

  it('fails a point-in-time restore whose target holds data past the requested instant', async () => {
    const { send, get } = verifier([drill('pit-early', 'pit', { deliveryType: 'pointInTime' }, snapshotAt - 60_000)]);
    await send('verify', 'pit-early');
    expect(get('pit-early')?.verification?.result?.checks).toContainEqual(
      expect.objectContaining({
        name: 'heartbeat-rpo',
        verdict: 'fail',
        reason: expect.stringContaining('is on the target'),
      }),
    );
  });

  it('fails a broken restore missing a collection (structure and the declared check)', async () => {
    const { send, get } = verifier([drill('broken', 'broken')]);
    await send('inventory', 'broken');
    await send('verify', 'broken');
    const result = get('broken')?.verification?.result;
    expect(result?.verdict).toBe('fail');
    expect(result?.checks).toContainEqual(expect.objectContaining({ name: 'collection:shop.orders', verdict: 'fail' }));
    expect(result?.checks).toContainEqual(expect.objectContaining({ name: 'check:1', verdict: 'fail' }));
  });

  it('is unknown, never passed, when the target is unreachable', async () => {
    const { send, get } = verifier([drill('down', 'down')]);
    await send('inventory', 'down');
    // Six seconds left: the driver gives up selecting a server after two.
    await send('verify', 'down', Date.now() + 6_000);
    const result = get('down')?.verification?.result;
    expect(result?.verdict).toBe('unknown');
    expect(
      result?.checks.every((check) => check.verdict === 'unknown' && check.reason.includes('cannot connect')),
    ).toBe(true);
  });

  it('is unknown with "authentication failed" for wrong credentials, without the password', async () => {
    const wrong = { username: 'verifier', password: 'not-the-password-77' };
    const { send, get } = verifier([drill('wrong', 'drill')], wrong);
    await send('verify', 'wrong');
    const result = get('wrong')?.verification?.result;
    expect(result?.verdict).toBe('unknown');
    expect(result?.checks[0]?.reason).toContain('authentication failed');
    expect(JSON.stringify(result)).not.toContain('not-the-password-77');
  });

  it('writes sequenced heartbeats on each source, reporting an unreachable one without stopping the others', async () => {
    const deps = {
      atlas: fixture.atlas,
      connector: mongoConnector({ appName: 'atlas-restore-heartbeat-writer', tlsCAFile: fixture.plane.caFile }),
      logins: databaseLogins({
        secret: { get: async () => WRITER, invalidate: () => {} },
        atlas: noUsers,
        now: () => fixture.host.now(),
        log: silent,
      }),
      clock: { now: () => fixture.host.now() },
      log: silent,
      now: Date.now,
    };
    const sources = ['prod', 'down', 'prod2'].map((clusterName) => ({ groupId: GROUP, clusterName }));
    const first = await writeHeartbeats(deps, sources, { writer: 'test-writer', deadline: Date.now() + 8_000 });
    fixture.host.advance(60_000);
    const second = await writeHeartbeats(deps, [{ groupId: GROUP, clusterName: 'prod2' }], {
      writer: 'test-writer',
      deadline: deadline(),
    });
    expect(first.map((report) => [report.source.split('/')[1], report.written])).toEqual([
      ['prod', true],
      ['down', false],
      ['prod2', true],
    ]);
    expect(first[0]).toMatchObject({ seq: 5 });
    expect(first[1]).toMatchObject({ reason: expect.stringContaining('cannot connect') });
    expect(first[2]).toMatchObject({ seq: 1 });
    expect(second[0]).toMatchObject({ written: true, seq: 2, at: new Date(fixture.host.now()).toISOString() });
    const heartbeats = fixture.data('prod2').collection('atlas_restore', 'heartbeats');
    expect(heartbeats?.options.capped).toBe(true);
    expect(heartbeats?.documents.map((document) => [document.seq, document.writer])).toEqual([
      [1, 'test-writer'],
      [2, 'test-writer'],
    ]);
  });
});
