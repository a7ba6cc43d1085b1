import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './simulator-harness.ts';

function revokeRequests(harness: Harness) {
  return harness.sim.requests.filter((request) => request.path === '/api/oauth/revoke');
}

describe('Function: createAtlasClient (token revocation on close)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('revokes the token it minted with HTTP Basic and token_type_hint, leaving no live token', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    const client = harness.newClient({ revokeTokenOnClose: true });
    await client.getCluster(harness.cluster);
    const liveBefore = harness.sim.liveTokens();

    // Act
    await client.close();

    // Assess
    expect(liveBefore).toBe(1);
    expect(harness.sim.liveTokens()).toBe(0);
    expect(revokeRequests(harness)).toEqual([
      expect.objectContaining({
        method: 'POST',
        auth: 'basic',
        status: 200,
        body: { token: '[redacted]', token_type_hint: 'access_token' },
      }),
    ]);
    expect(revokeRequests(harness)[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('keeps its token on close by default (a Lambda reuses it across invocations)', async () => {
    // Prepare
    harness = await startHarness('serviceAccount');
    await harness.client.getCluster(harness.cluster);

    // Act
    await harness.client.close();

    // Assess
    expect(revokeRequests(harness)).toEqual([]);
    expect(harness.sim.liveTokens()).toBe(1);
  });

  it('revokes nothing for an API key, and closes even when the revocation is refused', async () => {
    // Prepare
    harness = await startHarness('apiKey');
    const keyClient = harness.newClient({ revokeTokenOnClose: true });
    await keyClient.getCluster(harness.cluster);
    const accountClient = harness.newClient({
      revokeTokenOnClose: true,
      credentials: {
        get: async () => ({ credentials: { kind: 'serviceAccount', ...harness.sim.seed.credentials } }),
        invalidate() {},
      },
    });
    await accountClient.getCluster(harness.cluster);
    harness.sim.rotateCredentials();

    // Act
    await keyClient.close();
    await accountClient.close();

    // Assess
    expect(revokeRequests(harness).map((request) => request.status)).toEqual([401]);
    expect(harness.log.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual([
      'Atlas access token could not be revoked; it expires within the hour',
    ]);
  });
});
