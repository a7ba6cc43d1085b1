import { afterEach, describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import { type ProjectAccess, SimulatedClock } from '../../../atlas-simulator/index.ts';
import { apiRequests, failure, type Harness, startHarness, tokenRequests } from './simulator-harness.ts';

const MINUTE_MS = 60_000;
const RESTORE = { deliveryType: 'automated', snapshotId: '0123456789abcdef01234567' } as const;

/**
 * A 401 with USER_UNAUTHORIZED, NOT_IN_GROUP or USER_CANNOT_ACCESS_GROUP refuses credentials that Atlas accepted:
 * only someone granting access fixes it. Minting a token or reading the secret again for it would only spend
 * tokens (each lives an hour, at most 100 per service account) and Secrets Manager calls.
 */
describe('Function: createAtlasClient (permission refusals)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it.each([
    ['notInOrganization', 'NOT_IN_GROUP'],
    ['noProjectAccess', 'USER_CANNOT_ACCESS_GROUP'],
  ] as const)('reports %s (401 %s) as permanent after one request, minting nothing more', async (access, errorCode) => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.sim.setProjectAccess(harness.cluster.groupId, access);

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster));

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({ status: 401, errorCode, retryable: false, groupId: harness.cluster.groupId });
    const message = (error as Error).message;
    expect(message).toContain(errorCode);
    expect(message).toContain(`project ${harness.cluster.groupId}`);
    expect(message).not.toContain(harness.sim.seed.credentials.clientSecret);
    expect(apiRequests(harness.sim)).toHaveLength(1);
    expect(tokenRequests(harness.sim)).toHaveLength(1);
    expect(harness.credentials.counts.invalidations).toBe(0);
    expect(harness.time.sleeps).toEqual([]);
  });

  it('reports a write refused to read-only credentials (401 USER_UNAUTHORIZED) as permanent, with an API key', async () => {
    // Prepare
    harness = await startHarness('apiKey');
    harness.sim.setProjectAccess(harness.cluster.groupId, 'readOnly');

    // Act
    const error = await failure(harness.client.createRestoreJob(harness.cluster, { ...RESTORE, ...target() }));

    // Assess
    expect(error).toMatchObject({ status: 401, errorCode: 'USER_UNAUTHORIZED', retryable: false, ambiguous: false });
    expect(apiRequests(harness.sim).map((request) => [request.auth, request.status])).toEqual([
      ['none', 401],
      ['digest', 401],
    ]);
    expect(harness.credentials.counts.invalidations).toBe(0);
  });

  it('keeps live tokens at two or fewer under a storm of permission 401s from two warm clients over five hours', async () => {
    // Prepare: two execution environments, each retrying its messages (SQS redeliveries) every few minutes.
    const clock = new SimulatedClock({ scale: 0 });
    harness = await startHarness('serviceAccount', {
      simulator: { clock, tokenTtlSeconds: 3600 },
      client: { now: () => clock.now() },
    });
    const clients = [harness.client, harness.newClient()];
    const accesses: ProjectAccess[] = ['notInOrganization', 'noProjectAccess', 'readOnly'];
    let maxLive = 0;
    let refusals = 0;

    // Act: 30 rounds 10 minutes apart; each client makes 8 calls per round that Atlas refuses.
    for (let round = 0; round < 30; round += 1) {
      harness.sim.setProjectAccess(harness.cluster.groupId, accesses[round % accesses.length] ?? 'readOnly');
      const calls = clients.flatMap((client) =>
        Array.from({ length: 8 }, () => client.createRestoreJob(harness.cluster, { ...RESTORE, ...target() })),
      );
      const results = await Promise.allSettled(calls);
      refusals += results.filter((result) => result.status === 'rejected' && isPermission(result.reason)).length;
      maxLive = Math.max(maxLive, harness.sim.liveTokens());
      clock.advance(10 * MINUTE_MS);
    }

    // Assess
    expect(refusals).toBe(30 * 2 * 8);
    expect(maxLive).toBeLessThanOrEqual(2);
    // One token per client per hour of lifetime (refreshed a minute early), never one per refusal.
    expect(tokenRequests(harness.sim).length).toBeLessThanOrEqual(2 * 6);
    expect(harness.credentials.counts.invalidations).toBe(0);
  });

  it('mints at most one replacement when Atlas keeps refusing fresh tokens with 401 UNAUTHORIZED', async () => {
    // Prepare: every API call is refused as if the token were bad, whatever the token.
    harness = await startHarness('serviceAccount');
    harness.sim.faults.inject(
      { operationId: 'getCluster', times: Number.POSITIVE_INFINITY },
      { kind: 'status', status: 401, errorCode: 'UNAUTHORIZED' },
    );

    // Act
    for (let round = 0; round < 5; round += 1) {
      await Promise.allSettled(Array.from({ length: 8 }, () => harness.client.getCluster(harness.cluster)));
    }

    // Assess
    expect(tokenRequests(harness.sim)).toHaveLength(2);
    expect(harness.sim.liveTokens()).toBeLessThanOrEqual(2);
  });

  it('mints again after a refusal when the secret was rotated meanwhile', async () => {
    // Prepare: a replacement token already spent on a refusal, then the secret changes and old tokens are revoked.
    const clock = new SimulatedClock({ scale: 0 });
    harness = await startHarness('serviceAccount', { simulator: { clock, tokenTtlSeconds: 3600 } });
    await harness.client.getCluster(harness.cluster);
    clock.advance(2 * 3600_000);
    await harness.client.getCluster(harness.cluster);
    harness.sim.rotateCredentials();

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(cluster.name).toBe(harness.cluster.clusterName);
    expect(tokenRequests(harness.sim).map((request) => request.status)).toEqual([200, 200, 200]);
  });

  it('still mints once more when a token expired early (401 UNAUTHORIZED), then reuses it', async () => {
    // Prepare: the simulator's clock runs ahead of the client's, so the token expires early for the client.
    const clock = new SimulatedClock({ scale: 0 });
    harness = await startHarness('serviceAccount', { simulator: { clock, tokenTtlSeconds: 3600 } });
    await harness.client.getCluster(harness.cluster);
    clock.advance(2 * 3600_000);

    // Act
    for (let call = 0; call < 5; call += 1) await harness.client.getCluster(harness.cluster);

    // Assess
    expect(tokenRequests(harness.sim)).toHaveLength(2);
    expect(harness.sim.liveTokens()).toBe(1);
  });
});

describe('Function: createAtlasClient (API access list)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it.each([
    ['IP_ADDRESS_NOT_ON_ACCESS_LIST', 'the access list'],
    ['IP_ADDRESS_NOT_ON_WHITELIST', 'a fault with the older code'],
  ] as const)('reports 403 %s (%s) as permanent, saying what to add', async (errorCode, how) => {
    // Prepare
    harness = await startHarness('serviceAccount');
    if (how === 'the access list') harness.sim.setApiAccessList(['203.0.113.9']);
    else harness.sim.faults.inject({ operationId: 'listBackupSnapshots' }, { kind: 'status', status: 403, errorCode });

    // Act
    const error = await failure(harness.client.listSnapshots(harness.cluster));

    // Assess
    expect(error).toMatchObject({ status: 403, errorCode, retryable: false });
    expect((error as Error).message).toMatch(/API access list of the service account or API key/);
    expect(apiRequests(harness.sim)).toHaveLength(1);
    expect(harness.time.sleeps).toEqual([]);
  });
});

function target() {
  return { targetGroupId: '0123456789abcdef01234567', targetClusterName: 'target' };
}

function isPermission(error: unknown): boolean {
  return error instanceof AtlasApiError && error.status === 401 && !error.retryable;
}

describe('Function: createAtlasClient (429 without Retry-After)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('waits what the 429 body says, then succeeds', async () => {
    // Prepare
    harness = await startHarness('serviceAccount', {
      simulator: { rateLimit: { capacity: 1, refillPerMinute: 1, retryAfter: false } },
    });
    await harness.client.listRestoreJobs(harness.cluster);

    // Act
    await harness.client.listRestoreJobs(harness.cluster);

    // Assess
    expect(apiRequests(harness.sim).map((request) => request.status)).toEqual([200, 429, 200]);
    expect(harness.time.sleeps).toEqual([60_000]);
  });

  it('throws at once, retryable with the wait, when the wait from the body would cross the deadline', async () => {
    // Prepare
    harness = await startHarness('serviceAccount', {
      simulator: { rateLimit: { capacity: 1, refillPerMinute: 1, retryAfter: false } },
    });
    await harness.client.listRestoreJobs(harness.cluster);

    // Act
    const error = await failure(
      harness.client.listRestoreJobs(harness.cluster, { deadline: harness.time.now() + 30_000 }),
    );

    // Assess
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 60 });
    expect(harness.time.sleeps).toEqual([]);
  });
});
