import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { digestAuthorization, rawRequest, requestToken, TestClient, V2023 } from './test-client.ts';

const run = promisify(execFile);

/** curl with `-w` appending the status on its own line. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const lines = stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

describe('Atlas simulator: authentication', () => {
  let simulator: AtlasSimulator;
  let snapshotsPath: string;

  beforeEach(async () => {
    simulator = await startAtlasSimulator({
      clock: new SimulatedClock({ scale: 0 }),
      nonceTtlMs: 60_000,
      tokenTtlSeconds: 3600,
      maxTokensPerServiceAccount: 3,
    });
    snapshotsPath = `/api/atlas/v2/groups/${simulator.seed.groupId}/clusters/${simulator.seed.sourceClusterName}/backup/snapshots`;
  });
  afterEach(() => simulator.close());

  it('completes the digest handshake with curl --digest', async () => {
    // Prepare
    const { publicKey, privateKey } = simulator.seed.credentials;

    // Act
    const answer = await curl([
      '--digest',
      '-u',
      `${publicKey}:${privateKey}`,
      '-H',
      `Accept: ${V2023}`,
      `${simulator.baseUrl}${snapshotsPath}`,
    ]);

    // Assess
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { results: unknown[] }).results.length).toBeGreaterThan(0);
    expect(simulator.requests.map((request) => [request.auth, request.status])).toEqual([
      ['none', 401],
      ['digest', 200],
    ]);
  });

  it('refuses curl --digest with a wrong private key', async () => {
    // Act
    const answer = await curl([
      '--digest',
      '-u',
      `${simulator.seed.credentials.publicKey}:wrong`,
      '-H',
      `Accept: ${V2023}`,
      `${simulator.baseUrl}${snapshotsPath}`,
    ]);

    // Assess
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 401, errorCode: 'UNEXPECTED_ERROR' });
  });

  it('mints a bearer token with curl and the client-credentials grant, and accepts it', async () => {
    // Prepare
    const { clientId, clientSecret } = simulator.seed.credentials;

    // Act
    const minted = await curl([
      '-u',
      `${clientId}:${clientSecret}`,
      '-d',
      'grant_type=client_credentials',
      `${simulator.baseUrl}/api/oauth/token`,
    ]);
    const token = (JSON.parse(minted.body) as { access_token: string }).access_token;
    const answer = await curl([
      '-H',
      `Authorization: Bearer ${token}`,
      '-H',
      `Accept: ${V2023}`,
      `${simulator.baseUrl}${snapshotsPath}`,
    ]);

    // Assess
    expect(minted.status).toBe(200);
    expect(JSON.parse(minted.body)).toEqual({ access_token: token, token_type: 'Bearer', expires_in: 3600 });
    expect(answer.status).toBe(200);
  });

  it('challenges unauthenticated calls with the digest challenge and body recorded from Atlas', async () => {
    // Act
    const answer = await rawRequest(`${simulator.baseUrl}${snapshotsPath}`, {
      method: 'GET',
      headers: { accept: V2023 },
    });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.headers['x-error-code']).toBeUndefined();
    expect(answer.headers['www-authenticate']).toMatch(
      /^Digest realm="MMS Public API", domain="", nonce="[^"]+", algorithm=MD5, qop="auth", stale=false$/,
    );
    expect(answer.json).toEqual({
      error: 401,
      reason: 'Unauthorized',
      detail: 'You are not authorized for this resource.',
      errorCode: 'UNEXPECTED_ERROR',
    });
  });

  it('answers stale=true to a correct digest on an expired nonce, and accepts the new nonce', async () => {
    // Prepare
    const client = new TestClient(simulator);
    await client.call(`/clusters/${simulator.seed.sourceClusterName}`, {
      accept: 'application/vnd.atlas.2024-08-05+json',
    });
    simulator.clock.advance(61_000);

    // Act
    const stale = await rawRequest(`${simulator.baseUrl}${snapshotsPath}`, {
      method: 'GET',
      headers: { accept: V2023, authorization: client.digestFor('GET', snapshotsPath) },
    });
    const retried = await client.call(snapshotsPath);

    // Assess
    expect(stale.status).toBe(401);
    expect(stale.headers['www-authenticate']).toContain('stale=true');
    expect(retried.status).toBe(200);
  });

  it('refuses a replayed nonce count', async () => {
    // Prepare
    const client = new TestClient(simulator);
    expect((await client.call(snapshotsPath)).status).toBe(200);
    const authorization = client.digestFor('GET', snapshotsPath);
    const first = await rawRequest(`${simulator.baseUrl}${snapshotsPath}`, {
      method: 'GET',
      headers: { accept: V2023, authorization },
    });

    // Act
    const replay = await rawRequest(`${simulator.baseUrl}${snapshotsPath}`, {
      method: 'GET',
      headers: { accept: V2023, authorization },
    });

    // Assess
    expect(first.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toContain('stale=false');
  });

  it('refuses a digest computed for another URI', async () => {
    // Prepare
    const probe = await rawRequest(`${simulator.baseUrl}${snapshotsPath}`, { method: 'GET', headers: {} });
    const nonce = /nonce="([^"]+)"/.exec(probe.headers['www-authenticate'] ?? '')?.[1] ?? '';

    // Act
    const answer = await rawRequest(`${simulator.baseUrl}${snapshotsPath}`, {
      method: 'GET',
      headers: {
        accept: V2023,
        authorization: digestAuthorization(simulator.seed.credentials, 'GET', '/other', nonce, 1),
      },
    });

    // Assess
    expect(answer.status).toBe(401);
  });

  it('expires bearer tokens on the simulated clock', async () => {
    // Prepare
    const client = new TestClient(simulator);
    expect((await client.call(snapshotsPath, { auth: 'bearer' })).status).toBe(200);
    simulator.clock.advance(3_600_000);

    // Act
    const expired = await client.call(snapshotsPath, { auth: 'bearer' });

    // Assess
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ errorCode: 'UNEXPECTED_ERROR' });
  });

  it('caps live tokens per service account, and frees the cap as tokens expire', async () => {
    // Prepare
    const { credentials } = simulator.seed;
    for (let minted = 0; minted < 3; minted += 1)
      expect((await requestToken(simulator.baseUrl, credentials)).status).toBe(200);

    // Act
    const refused = await requestToken(simulator.baseUrl, credentials);
    simulator.clock.advance(3_600_000);
    const afterExpiry = await requestToken(simulator.baseUrl, credentials);

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'access_denied' });
    expect(afterExpiry.status).toBe(200);
  });

  it('refuses wrong client credentials and other grant types', async () => {
    // Act
    const wrong = await requestToken(simulator.baseUrl, {
      clientId: simulator.seed.credentials.clientId,
      clientSecret: 'nope',
    });
    const basic = Buffer.from(
      `${simulator.seed.credentials.clientId}:${simulator.seed.credentials.clientSecret}`,
    ).toString('base64');
    const grant = await rawRequest(`${simulator.baseUrl}/api/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password',
    });

    // Assess
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: 'invalid_client' });
    expect(grant.status).toBe(400);
    expect(grant.json).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('rotates credentials: old keys, secrets and tokens stop working, new ones work', async () => {
    // Prepare
    const oldClient = new TestClient(simulator);
    expect((await oldClient.call(snapshotsPath, { auth: 'bearer' })).status).toBe(200);
    const oldCredentials = simulator.seed.credentials;

    // Act
    const fresh = simulator.rotateCredentials();
    const oldToken = await oldClient.call(snapshotsPath, { auth: 'bearer' });
    const oldDigest = await oldClient.call(snapshotsPath);
    const oldSecret = await requestToken(simulator.baseUrl, oldCredentials);
    const newClient = new TestClient(simulator);

    // Assess
    expect(fresh).not.toEqual(oldCredentials);
    expect(simulator.seed.credentials).toEqual(fresh);
    expect([oldToken.status, oldDigest.status, oldSecret.status]).toEqual([401, 401, 401]);
    expect((await newClient.call(snapshotsPath)).status).toBe(200);
    expect((await newClient.call(snapshotsPath, { auth: 'bearer' })).status).toBe(200);
  });

  it.each([
    ['notInOrganization', 'GET', 'NOT_IN_GROUP'],
    ['noProjectAccess', 'GET', 'USER_CANNOT_ACCESS_GROUP'],
    ['readOnly', 'POST', 'USER_UNAUTHORIZED'],
  ] as const)(
    'answers valid credentials with %s access to a %s: 401 %s, for digest and bearer',
    async (access, method, errorCode) => {
      // Prepare
      const client = new TestClient(simulator);
      simulator.setProjectAccess(simulator.seed.groupId, access);
      const options = method === 'POST' ? { method, body: {}, contentType: V2023 } : { method };

      // Act
      const digest = await client.call(snapshotsPath, options);
      const bearer = await client.call(snapshotsPath, { ...options, auth: 'bearer' });

      // Assess
      for (const answer of [digest, bearer]) {
        expect(answer.status).toBe(401);
        expect(answer.json).toMatchObject({ error: 401, errorCode, reason: 'Unauthorized' });
        expect(answer.headers['x-error-code']).toBe(errorCode);
      }
      expect(simulator.liveTokens()).toBe(1);
    },
  );

  it('lets read-only credentials read', async () => {
    // Prepare
    simulator.setProjectAccess(simulator.seed.groupId, 'readOnly');

    // Act
    const answer = await new TestClient(simulator).call(snapshotsPath, { auth: 'bearer' });

    // Assess
    expect(answer.status).toBe(200);
  });

  it('revokes a token with HTTP Basic and token_type_hint: it stops working and frees the cap', async () => {
    // Prepare
    const { clientId, clientSecret } = simulator.seed.credentials;
    const client = new TestClient(simulator);
    expect((await client.call(snapshotsPath, { auth: 'bearer' })).status).toBe(200);
    const token = client.currentToken ?? '';
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    const revoke = (authorization: string) =>
      rawRequest(`${simulator.baseUrl}/api/oauth/revoke`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      });

    // Act
    const wrongSecret = await revoke(`Basic ${Buffer.from(`${clientId}:nope`).toString('base64')}`);
    const liveAfterRefusal = simulator.liveTokens();
    const revoked = await revoke(`Basic ${basic}`);
    const afterwards = await client.call(snapshotsPath, { auth: 'bearer' });
    const again = await revoke(`Basic ${basic}`);

    // Assess
    expect(wrongSecret.status).toBe(401);
    expect(liveAfterRefusal).toBe(1);
    expect(revoked.status).toBe(200);
    expect(simulator.liveTokens()).toBe(0);
    expect(afterwards.status).toBe(401);
    expect(again.status).toBe(200);
    expect(JSON.stringify(simulator.requests)).not.toContain(token);
  });

  it('refuses callers off the API access list with 403 IP_ADDRESS_NOT_ON_ACCESS_LIST, naming the address', async () => {
    // Prepare
    const client = new TestClient(simulator);
    simulator.setApiAccessList(['203.0.113.9']);

    // Act
    const refused = await client.call(snapshotsPath);
    simulator.setApiAccessList(['127.0.0.1']);
    const allowed = await client.call(snapshotsPath);

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({
      error: 403,
      errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
      reason: 'Forbidden',
      parameters: ['127.0.0.1'],
    });
    expect(allowed.status).toBe(200);
  });
});
