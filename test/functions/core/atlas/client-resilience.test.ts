import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAtlasClient } from '../../../../functions/core/atlas/client.ts';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import type { Fault } from '../../../atlas-simulator/index.ts';
import { apiRequests, failure, type Harness, startHarness, steppedTime } from './simulator-harness.ts';

/** The automated restore of the seed's newest snapshot onto its drill target. */
function drillRestore(harness: Harness) {
  const { seed } = harness.sim;
  return {
    deliveryType: 'automated' as const,
    snapshotId: seed.completedSnapshotId,
    targetGroupId: seed.groupId,
    targetClusterName: seed.targetClusterName,
  };
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('Function: createAtlasClient (retries)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it.each<[string, Fault, number[]]>([
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfterSeconds: 7 }, [7_000, 10_000]],
    ['429 without Retry-After', { kind: 'status', status: 429 }, [5_000, 10_000]],
    ['500', { kind: 'status', status: 500 }, [5_000, 10_000]],
    ['502 from the load balancer (HTML)', { kind: 'status', status: 502 }, [5_000, 10_000]],
    ['503 with Retry-After', { kind: 'status', status: 503, retryAfterSeconds: 30 }, [30_000, 30_000]],
    ['504 from the load balancer (HTML)', { kind: 'status', status: 504 }, [5_000, 10_000]],
    [
      '405 during an Atlas upgrade',
      { kind: 'status', status: 405, errorCode: 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES' },
      [5_000, 10_000],
    ],
    ['a dropped connection', { kind: 'drop' }, [5_000, 10_000]],
  ])('retries a GET after %s with the computed waits', async (_case, fault, waits) => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject({ operationId: 'getCluster', times: 2 }, fault);

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(cluster.name).toBe(harness.cluster.clusterName);
    expect(harness.time.sleeps).toEqual(waits);
    const faulted = fault.kind === 'status' ? fault.status : 'dropped';
    expect(apiRequests(harness.sim).map((request) => request.status ?? 'dropped')).toEqual([faulted, faulted, 200]);
    const warnings = harness.log.entries.filter((entry) => entry.message === 'Atlas call failed; retrying');
    expect(warnings.map((entry) => entry.extra?.delayMs)).toEqual(waits);
  });

  it('retries a timed-out GET', async () => {
    // Prepare
    harness = await startHarness('serviceAccount', { client: { timeouts: { headersMs: 100 } } });
    harness.sim.faults.inject({ operationId: 'getCluster' }, { kind: 'delay', ms: 2_000 });

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(cluster.name).toBe(harness.cluster.clusterName);
    expect(harness.time.sleeps).toEqual([5_000]);
    expect(harness.log.entries.find((entry) => entry.level === 'warn')?.extra?.detail).toMatch(/HEADERS_TIMEOUT/);
  });

  it('gives up with the last error after maxAttempts', async () => {
    // Prepare
    harness = await startHarness('serviceAccount', { client: { retry: { maxAttempts: 3 } } });
    harness.sim.faults.inject(
      { operationId: 'listBackupSnapshots', times: Number.POSITIVE_INFINITY },
      { kind: 'status', status: 503 },
    );

    // Act
    const error = await failure(harness.client.listSnapshots(harness.cluster));

    // Assess
    expect(error).toMatchObject({ status: 503, errorCode: 'SERVICE_UNAVAILABLE', retryable: true, ambiguous: false });
    expect(apiRequests(harness.sim)).toHaveLength(3);
  });

  it('waits for the rate limiter to refill when Atlas answers 429 RATE_LIMITED_TOKEN_BUCKET', async () => {
    // Prepare
    harness = await startHarness('serviceAccount', {
      simulator: { rateLimit: { capacity: 2, refillPerMinute: 6 } },
    });

    // Act
    for (let call = 0; call < 3; call += 1) await harness.client.listRestoreJobs(harness.cluster);

    // Assess
    const answers = apiRequests(harness.sim).map((request) => request.status);
    expect(answers.slice(0, 2)).toEqual([200, 200]);
    expect(answers.at(-1)).toBe(200);
    expect(answers.filter((status) => status === 429).length).toBeGreaterThan(0);
    const warning = harness.log.entries.find((entry) => entry.level === 'warn' && entry.extra?.status === 429);
    expect(warning?.extra?.errorCode).toBe('RATE_LIMITED_TOKEN_BUCKET');
    const retryAfter = warning?.extra?.retryAfterSeconds;
    expect(typeof retryAfter).toBe('number');
    expect(harness.time.sleeps[0]).toBeGreaterThanOrEqual((retryAfter as number) * 1000);
  });
});

describe('Function: createAtlasClient (connection refused)', () => {
  it('retries a refused connection, then reports it as retryable and not ambiguous', async () => {
    // Prepare
    const port = await closedPort();
    const time = steppedTime();
    const client = createAtlasClient({
      baseUrl: `http://127.0.0.1:${port}`,
      credentials: {
        get: async () => ({ credentials: { kind: 'apiKey', publicKey: 'p', privateKey: 'k' } }),
        invalidate() {},
      },
      retry: { maxAttempts: 3 },
      sleep: time.sleep,
      now: time.now,
      random: () => 0.5,
    });

    // Act
    const get = await failure(client.getCluster({ groupId: '0123456789abcdef01234567', clusterName: 'prod' }));
    const post = await failure(
      client.createRestoreJob(
        { groupId: '0123456789abcdef01234567', clusterName: 'prod' },
        { deliveryType: 'download', snapshotId: '0123456789abcdef01234567' },
      ),
    );
    await client.close();

    // Assess
    for (const error of [get, post]) {
      expect(error).toBeInstanceOf(AtlasApiError);
      expect(error).toMatchObject({ retryable: true, ambiguous: false, status: undefined });
      expect((error as Error).message).toMatch(/: connection failed \(ECONNREFUSED\)$/);
    }
    expect(time.sleeps).toEqual([5_000, 10_000, 5_000, 10_000]);
  });
});

describe('Function: createAtlasClient (deadlines)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('throws the retryable error at once when the next wait would cross the deadline', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject(
      { operationId: 'getCluster', times: Number.POSITIVE_INFINITY },
      { kind: 'status', status: 503 },
    );
    const start = harness.time.now();

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster, { deadline: start + 12_000 }));

    // Assess
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(harness.time.sleeps).toEqual([5_000]);
    expect(harness.time.now()).toBeLessThan(start + 12_000);
    expect(apiRequests(harness.sim)).toHaveLength(2);
  });

  it('does not sleep for a Retry-After longer than the time left', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject({ operationId: 'getCluster' }, { kind: 'status', status: 429, retryAfterSeconds: 60 });

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster, { deadline: harness.time.now() + 30_000 }));

    // Assess
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 60 });
    expect(harness.time.sleeps).toEqual([]);
  });

  it('sends nothing once the deadline has passed', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster, { deadline: harness.time.now() - 1 }));

    // Assess
    expect(error).toMatchObject({ retryable: true, detail: 'deadline passed before the request was sent' });
    expect(harness.sim.requests).toEqual([]);
  });

  it('abandons a request still unanswered at the deadline', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    await harness.client.getCluster(harness.cluster);
    harness.sim.faults.inject({ operationId: 'getCluster' }, { kind: 'delay', ms: 5_000 });

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster, { deadline: harness.time.now() + 200 }));

    // Assess
    expect(error).toMatchObject({
      retryable: true,
      ambiguous: false,
      detail: 'deadline reached while waiting for Atlas',
    });
    expect(harness.time.sleeps).toEqual([]);
  });
});

describe('Function: createAtlasClient (createRestoreJob is never retried blindly)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it.each<[string, Fault]>([
    ['500', { kind: 'status', status: 500 }],
    ['502', { kind: 'status', status: 502 }],
    ['503', { kind: 'status', status: 503, retryAfterSeconds: 1 }],
    ['504', { kind: 'status', status: 504 }],
    ['a connection dropped after sending', { kind: 'drop' }],
  ])('reports %s as ambiguous at once, without a second POST', async (_case, fault) => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, fault);

    // Act
    const error = await failure(harness.client.createRestoreJob(harness.cluster, drillRestore(harness)));

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({ operation: 'createBackupRestoreJob', ambiguous: true, retryable: true });
    expect(apiRequests(harness.sim).filter((request) => request.method === 'POST')).toHaveLength(1);
    expect(harness.time.sleeps).toEqual([]);
  });

  it('reports a job created before the connection dropped as ambiguous (the job exists)', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'dropAfterApply' });

    // Act
    const error = await failure(harness.client.createRestoreJob(harness.cluster, drillRestore(harness)));

    // Assess
    expect(error).toMatchObject({ ambiguous: true, retryable: true, status: undefined });
    expect(harness.sim.state.restoreJobs(harness.cluster.groupId, harness.cluster.clusterName)).toHaveLength(1);
    expect(apiRequests(harness.sim).filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it('reports a timed-out POST as ambiguous', async () => {
    // Prepare
    harness = await startHarness('serviceAccount', { client: { timeouts: { headersMs: 100 } } });
    harness.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'delay', ms: 2_000 });

    // Act
    const error = await failure(harness.client.createRestoreJob(harness.cluster, drillRestore(harness)));

    // Assess
    expect(error).toMatchObject({ ambiguous: true, retryable: true });
    expect((error as AtlasApiError).detail).toMatch(/HEADERS_TIMEOUT/);
  });

  it.each<[string, Fault]>([
    ['429', { kind: 'status', status: 429, retryAfterSeconds: 2 }],
    ['405 during an Atlas upgrade', { kind: 'status', status: 405 }],
  ])('retries a POST refused with %s, and creates exactly one job', async (_case, fault) => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, fault);

    // Act
    const job = await harness.client.createRestoreJob(harness.cluster, drillRestore(harness));

    // Assess
    expect(
      harness.sim.state.restoreJobs(harness.cluster.groupId, harness.cluster.clusterName).map((each) => each.id),
    ).toEqual([job.id]);
    expect(harness.time.sleeps).toEqual([5_000]);
  });

  it('reports an unreadable 200 to a POST as ambiguous: the job may exist', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'malformed' });

    // Act
    const error = await failure(harness.client.createRestoreJob(harness.cluster, drillRestore(harness)));

    // Assess
    expect(error).toMatchObject({ status: 200, ambiguous: true, retryable: true });
    expect((error as AtlasApiError).detail).toMatch(/^response is not JSON: /);
  });
});

describe('Function: createAtlasClient (responses it cannot use)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it.each<[string, Fault]>([
    ['truncated JSON', { kind: 'malformed' }],
    ['a body over the size cap', { kind: 'huge', bytes: 512 * 1024 }],
  ])('reads a GET again after %s, as after a dropped connection', async (_case, fault) => {
    // Prepare
    harness = await startHarness('serviceAccount', { client: { maxResponseBytes: 64 * 1024 } });
    harness.sim.faults.inject({ operationId: 'listBackupSnapshots' }, fault);

    // Act
    const snapshots = await harness.client.listSnapshots(harness.cluster);

    // Assess
    expect(snapshots.length).toBeGreaterThan(0);
    expect(harness.time.sleeps).toEqual([5_000]);
    expect(apiRequests(harness.sim)).toHaveLength(2);
  });

  it('reports malformed JSON with the status and the first 100 bytes, retryable once the retries ran out', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject({ operationId: 'listBackupSnapshots', times: 4 }, { kind: 'malformed' });

    // Act
    const error = await failure(harness.client.listSnapshots(harness.cluster));

    // Assess
    expect(error).toMatchObject({ status: 200, retryable: true, ambiguous: false, operation: 'listBackupSnapshots' });
    expect((error as AtlasApiError).detail).toBe(
      'response is not JSON: "{\\"results\\":[{\\"id\\":\\"5f3a1c2b9d8e7f6a5b4c3d2e\\",\\"status\\":\\"comp"',
    );
    expect(apiRequests(harness.sim)).toHaveLength(4);
  });

  it('names the field when a response lacks what we rely on, permanently', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.state.addRestoreJob(harness.cluster.groupId, harness.cluster.clusterName, {
      // Atlas has no such delivery type: the model refuses it.
      deliveryType: 'tape' as never,
      snapshotId: harness.sim.seed.completedSnapshotId,
    });

    // Act
    const error = await failure(harness.client.listRestoreJobs(harness.cluster));

    // Assess
    expect(error).toMatchObject({ status: 200, retryable: false });
    expect((error as AtlasApiError).detail).toMatch(/^unexpected response: .*→ at results\[0\]\.deliveryType/);
    expect(apiRequests(harness.sim)).toHaveLength(1);
  });

  it('refuses a body over the size cap and keeps working afterwards', async () => {
    // Prepare
    harness = await startHarness('serviceAccount', {
      client: { maxResponseBytes: 64 * 1024, retry: { maxAttempts: 1 } },
    });
    harness.sim.faults.inject({ operationId: 'listBackupSnapshots' }, { kind: 'huge', bytes: 512 * 1024 });

    // Act
    const error = await failure(harness.client.listSnapshots(harness.cluster));
    const after = await harness.client.listSnapshots(harness.cluster);

    // Assess
    expect(error).toMatchObject({ status: 200, retryable: true, ambiguous: false });
    expect((error as AtlasApiError).detail).toBe('response body exceeds 65536 bytes');
    expect(after.length).toBeGreaterThan(0);
  });
});
