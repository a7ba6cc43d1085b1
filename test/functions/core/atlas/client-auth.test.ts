import { afterEach, describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import { CredentialsError } from '../../../../functions/core/credentials/errors.ts';
import { SimulatedClock } from '../../../atlas-simulator/index.ts';
import {
  apiRequests,
  expectRequestsValidAgainstOpenApi,
  failure,
  type Harness,
  startHarness,
  tokenRequests,
} from './simulator-harness.ts';

const MINUTE_MS = 60_000;

describe('Function: createAtlasClient (service account auth)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('mints one token with HTTP Basic and a client_credentials form, and reuses it', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');

    // Act
    for (let call = 0; call < 5; call += 1) await harness.client.getCluster(harness.cluster);

    // Assess
    const tokens = tokenRequests(harness.sim);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({
      method: 'POST',
      auth: 'basic',
      status: 200,
      body: { grant_type: 'client_credentials' },
    });
    expect(tokens[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(apiRequests(harness.sim).map((request) => [request.auth, request.status])).toEqual(
      Array.from({ length: 5 }, () => ['bearer', 200]),
    );
  });

  it('mints ONE token for ten concurrent calls on a cold client', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');

    // Act
    await Promise.all(Array.from({ length: 10 }, () => harness.client.listSnapshots(harness.cluster)));

    // Assess
    expect(tokenRequests(harness.sim)).toHaveLength(1);
    expect(apiRequests(harness.sim).every((request) => request.status === 200)).toBe(true);
    expect(apiRequests(harness.sim)).toHaveLength(10);
  });

  it('mints a new token shortly before the old one expires, without a 401', async () => {
    // Prepare: the client's clock is the simulator's, as both are real time in production.
    const clock = new SimulatedClock({ scale: 0 });
    harness = await startHarness('serviceAccount', {
      simulator: { clock, tokenTtlSeconds: 3600 },
      client: { now: () => clock.now() },
    });
    await harness.client.getCluster(harness.cluster);

    // Act
    clock.advance(3600_000 - 2 * MINUTE_MS);
    await harness.client.getCluster(harness.cluster);
    const tokensBeforeMargin = tokenRequests(harness.sim).length;
    clock.advance(MINUTE_MS + 1_000);
    await harness.client.getCluster(harness.cluster);

    // Assess
    expect(tokensBeforeMargin).toBe(1);
    expect(tokenRequests(harness.sim)).toHaveLength(2);
    expect(apiRequests(harness.sim).map((request) => request.status)).toEqual([200, 200, 200]);
  });

  it('never reaches the per-account token cap over hours of calls', async () => {
    // Prepare: a cap of two live tokens, so a client minting per call would hit it on the third.
    const clock = new SimulatedClock({ scale: 0 });
    harness = await startHarness('serviceAccount', {
      simulator: { clock, tokenTtlSeconds: 3600, maxTokensPerServiceAccount: 2 },
      client: { now: () => clock.now() },
    });

    // Act: 150 calls, 5 at a time every 10 minutes for 5 hours.
    for (let step = 0; step < 30; step += 1) {
      await Promise.all(
        Array.from({ length: 5 }, () =>
          harness.client.getRestoreJob(harness.cluster, '0123456789abcdef01234567').catch(() => undefined),
        ),
      );
      clock.advance(10 * MINUTE_MS);
    }

    // Assess
    const tokens = tokenRequests(harness.sim);
    expect(tokens.every((request) => request.status === 200)).toBe(true);
    expect(tokens.length).toBeLessThanOrEqual(6);
    expect(apiRequests(harness.sim).every((request) => request.status === 404)).toBe(true);
  });

  it('on a 401 for its token, drops it and the credentials, mints again once and retries once', async () => {
    // Prepare: the simulator's clock runs ahead of the client's, so the token expires early for the client.
    const clock = new SimulatedClock({ scale: 0 });
    harness = await startHarness('serviceAccount', { simulator: { clock, tokenTtlSeconds: 3600 } });
    await harness.client.getCluster(harness.cluster);
    clock.advance(3 * 3600_000);

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(cluster.name).toBe(harness.cluster.clusterName);
    expect(apiRequests(harness.sim).map((request) => request.status)).toEqual([200, 401, 200]);
    expect(tokenRequests(harness.sim)).toHaveLength(2);
    expect(harness.credentials.counts.invalidations).toBe(1);
  });

  it('picks up rotated credentials after the old token is revoked', async () => {
    // Prepare: the source serves the old secret until invalidated, as a cached secret would.
    harness = await startHarness('serviceAccount');
    await harness.client.getCluster(harness.cluster);
    const old = harness.sim.seed.credentials;
    harness.credentials.override({ kind: 'serviceAccount', clientId: old.clientId, clientSecret: old.clientSecret });
    harness.sim.rotateCredentials();
    const source = harness.credentials.source;
    const originalInvalidate = source.invalidate.bind(source);
    source.invalidate = () => {
      originalInvalidate();
      harness.credentials.override(undefined);
    };

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(cluster.name).toBe(harness.cluster.clusterName);
    expect(tokenRequests(harness.sim).map((request) => request.status)).toEqual([200, 200]);
    expect(apiRequests(harness.sim).map((request) => request.status)).toEqual([200, 401, 200]);
  });

  it('fails permanently when the token endpoint refuses the secret twice', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.credentials.override({
      kind: 'serviceAccount',
      clientId: harness.sim.seed.credentials.clientId,
      clientSecret: 'wrong',
    });

    // Act
    const error = await failure(harness.client.listRestoreJobs(harness.cluster));

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({
      operation: 'listBackupRestoreJobs',
      path: '/api/oauth/token',
      status: 401,
      errorCode: 'invalid_client',
      retryable: false,
    });
    expect(tokenRequests(harness.sim)).toHaveLength(2);
    expect(apiRequests(harness.sim)).toEqual([]);
    expect(harness.credentials.counts.invalidations).toBe(1);
  });

  it('reports the token cap (403 access_denied) as a permanent error', async () => {
    // Prepare: another client of the same account holds the only token allowed.
    harness = await startHarness('serviceAccount', { simulator: { maxTokensPerServiceAccount: 1 } });
    await harness.newClient().getCluster(harness.cluster);

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster));

    // Assess
    expect(error).toMatchObject({ status: 403, errorCode: 'access_denied', retryable: false });
    expect(harness.time.sleeps).toEqual([]);
  });
});

describe('Function: createAtlasClient (API key auth)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('learns the challenge once, then answers it on every request with a growing nc', async () => {
    // Prepare
    harness = await startHarness('apiKey');

    // Act
    for (let call = 0; call < 4; call += 1) await harness.client.getCluster(harness.cluster);

    // Assess
    expect(apiRequests(harness.sim).map((request) => [request.auth, request.status])).toEqual([
      ['none', 401],
      ['digest', 200],
      ['digest', 200],
      ['digest', 200],
      ['digest', 200],
    ]);
    expect(harness.credentials.counts.invalidations).toBe(0);
    expectRequestsValidAgainstOpenApi(harness.sim);
  });

  it('answers a stale nonce with one new handshake', async () => {
    // Prepare
    const clock = new SimulatedClock({ scale: 0 });
    harness = await startHarness('apiKey', { simulator: { clock, nonceTtlMs: 5 * MINUTE_MS } });
    await harness.client.getCluster(harness.cluster);
    clock.advance(10 * MINUTE_MS);

    // Act
    await harness.client.getCluster(harness.cluster);

    // Assess
    expect(apiRequests(harness.sim).map((request) => [request.auth, request.status])).toEqual([
      ['none', 401],
      ['digest', 200],
      ['digest', 401],
      ['digest', 200],
    ]);
    expect(harness.credentials.counts.invalidations).toBe(0);
  });

  it('keeps nc unique and in order under concurrency, cold and warm', async () => {
    // Prepare
    harness = await startHarness('apiKey');
    const burst = () => Promise.all(Array.from({ length: 10 }, () => harness.client.listRestoreJobs(harness.cluster)));

    // Act
    await burst();
    await burst();
    await burst();

    // Assess
    const requests = apiRequests(harness.sim);
    expect(requests.filter((request) => request.status === 200)).toHaveLength(30);
    expect(requests.filter((request) => request.auth === 'digest' && request.status === 401)).toEqual([]);
    expect(requests.filter((request) => request.auth === 'none').length).toBeLessThanOrEqual(10);
    expect(harness.credentials.counts.invalidations).toBe(0);
  });

  it('reads the credentials again once after a refused key, then fails permanently', async () => {
    // Prepare
    harness = await startHarness('apiKey');
    harness.credentials.override({
      kind: 'apiKey',
      publicKey: harness.sim.seed.credentials.publicKey,
      privateKey: 'wrong',
    });

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster));

    // Assess
    expect(error).toMatchObject({
      status: 401,
      errorCode: 'UNEXPECTED_ERROR',
      retryable: false,
      operation: 'getCluster',
    });
    expect(harness.credentials.counts.invalidations).toBe(1);
    expect(apiRequests(harness.sim).map((request) => [request.auth, request.status])).toEqual([
      ['none', 401],
      ['digest', 401],
      ['digest', 401],
    ]);
  });

  it('recovers when the key was rotated and the source serves the new one after invalidate()', async () => {
    // Prepare
    harness = await startHarness('apiKey');
    await harness.client.getCluster(harness.cluster);
    const old = harness.sim.seed.credentials;
    harness.credentials.override({ kind: 'apiKey', publicKey: old.publicKey, privateKey: old.privateKey });
    harness.sim.rotateCredentials();
    const source = harness.credentials.source;
    const originalInvalidate = source.invalidate.bind(source);
    source.invalidate = () => {
      originalInvalidate();
      harness.credentials.override(undefined);
    };

    // Act
    const cluster = await harness.client.getCluster(harness.cluster);

    // Assess
    expect(cluster.name).toBe(harness.cluster.clusterName);
    expect(apiRequests(harness.sim).map((request) => request.status)).toEqual([401, 200, 401, 200]);
  });
});

describe('Function: createAtlasClient (credentials it cannot read)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it.each([
    ['malformed', new CredentialsError('CREDENTIALS_INVALID', 'secret atlas/x: clientSecret is required'), false],
    [
      'unreadable for now',
      new CredentialsError('CREDENTIALS_UNAVAILABLE', 'secret atlas/x: throttled', { retryable: true }),
      true,
    ],
  ])('fails with the credentials’ own code when they are %s, calling nothing', async (_name, thrown, retryable) => {
    // Prepare
    harness = await startHarness('serviceAccount');
    harness.credentials.source.get = async () => {
      throw thrown;
    };

    // Act
    const error = await failure(harness.client.getCluster(harness.cluster));

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({ errorCode: thrown.code, retryable, status: undefined, detail: thrown.message });
    expect(harness.sim.requests).toEqual([]);
  });
});
