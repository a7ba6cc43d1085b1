import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsError } from '../../../../functions/core/credentials/errors.ts';
import { secretsManagerCredentials } from '../../../../functions/core/credentials/secrets-manager.ts';
import { type SecretAnswer, startSecretsManager } from './secrets-manager-server.ts';

const SERVICE_ACCOUNT = { clientId: 'mdb_sa_id_0123', clientSecret: 'mdb_sa_sk_very-secret-value' };
const API_KEY = { publicKey: 'abcdefgh', privateKey: '2f6b1a57-7c0e-4b8e-9a51-0d1c2b3a4f5e' };

describe('Function: secretsManagerCredentials', () => {
  let answers: Map<string, SecretAnswer>;
  let secretsManager: Awaited<ReturnType<typeof startSecretsManager>>;
  let time: number;
  const now = () => time;

  beforeEach(async () => {
    answers = new Map();
    secretsManager = await startSecretsManager(answers);
    time = 1_000_000;
  });
  afterEach(() => secretsManager.close());

  const source = (secretId: string, ttlMs?: number) =>
    secretsManagerCredentials({
      secretId,
      client: secretsManager.client,
      now,
      ...(ttlMs === undefined ? {} : { ttlMs }),
    });

  it('reads a service account in camelCase with its base URL', async () => {
    // Prepare
    answers.set('atlas/sa', {
      secretString: JSON.stringify({ ...SERVICE_ACCOUNT, baseUrl: 'https://cloud.mongodbgov.com' }),
    });

    // Act
    const resolved = await source('atlas/sa').get();

    // Assess
    expect(resolved).toEqual({
      credentials: { kind: 'serviceAccount', ...SERVICE_ACCOUNT },
      baseUrl: 'https://cloud.mongodbgov.com',
    });
  });

  it("reads the Terraform provider's snake_case keys for both kinds", async () => {
    // Prepare
    answers.set('tf/sa', {
      secretString: JSON.stringify({ client_id: 'id-1', client_secret: 'secret-1', base_url: 'https://x.example' }),
    });
    answers.set('tf/key', {
      secretString: JSON.stringify({ public_key: API_KEY.publicKey, private_key: API_KEY.privateKey }),
    });

    // Act
    const serviceAccount = await source('tf/sa').get();
    const apiKey = await source('tf/key').get();

    // Assess
    expect(serviceAccount).toEqual({
      credentials: { kind: 'serviceAccount', clientId: 'id-1', clientSecret: 'secret-1' },
      baseUrl: 'https://x.example',
    });
    expect(apiKey).toEqual({ credentials: { kind: 'apiKey', ...API_KEY } });
  });

  it('prefers the service account when a secret holds both kinds', async () => {
    // Prepare
    answers.set('both', { secretString: JSON.stringify({ ...API_KEY, ...SERVICE_ACCOUNT }) });

    // Act
    const resolved = await source('both').get();

    // Assess
    expect(resolved.credentials.kind).toBe('serviceAccount');
  });

  it('caches for the TTL, shares one read among concurrent callers, and reads again after invalidate()', async () => {
    // Prepare
    answers.set('cached', { secretString: JSON.stringify(SERVICE_ACCOUNT) });
    const credentials = source('cached', 60_000);

    // Act
    await Promise.all(Array.from({ length: 5 }, () => credentials.get()));
    time += 59_000;
    await credentials.get();
    const readsWithinTtl = secretsManager.calls.length;
    time += 2_000;
    await credentials.get();
    const readsAfterTtl = secretsManager.calls.length;
    credentials.invalidate();
    await credentials.get();

    // Assess
    expect(readsWithinTtl).toBe(1);
    expect(readsAfterTtl).toBe(2);
    expect(secretsManager.calls.length).toBe(3);
  });

  it('returns the rotated value after invalidate()', async () => {
    // Prepare
    answers.set('rotating', { secretString: JSON.stringify(SERVICE_ACCOUNT) });
    const credentials = source('rotating');
    await credentials.get();
    answers.set('rotating', { secretString: JSON.stringify({ ...SERVICE_ACCOUNT, clientSecret: 'rotated' }) });

    // Act
    const beforeInvalidate = await credentials.get();
    credentials.invalidate();
    const afterInvalidate = await credentials.get();

    // Assess
    expect(beforeInvalidate.credentials).toMatchObject({ clientSecret: SERVICE_ACCOUNT.clientSecret });
    expect(afterInvalidate.credentials).toMatchObject({ clientSecret: 'rotated' });
  });

  it('serves the previous value when a refresh is throttled, but not after invalidate()', async () => {
    // Prepare
    answers.set('flaky', { secretString: JSON.stringify(SERVICE_ACCOUNT) });
    const credentials = source('flaky', 1_000);
    await credentials.get();
    answers.set('flaky', { error: 'ThrottlingException' });
    time += 5_000;

    // Act
    const stale = await credentials.get();
    credentials.invalidate();
    const failure = await credentials.get().catch((error: unknown) => error);

    // Assess
    expect(stale.credentials).toMatchObject({ clientId: SERVICE_ACCOUNT.clientId });
    expect(failure).toBeInstanceOf(CredentialsError);
    expect(failure).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE', retryable: true });
  });

  it.each([
    ['a missing secret', 'absent', undefined, 'CREDENTIALS_UNAVAILABLE', /absent: ResourceNotFoundException/, false],
    [
      'access denied',
      'denied',
      { error: 'AccessDeniedException' },
      'CREDENTIALS_UNAVAILABLE',
      /denied: AccessDeniedException/,
      false,
    ],
    [
      'text that is not JSON',
      'text',
      { secretString: `clientSecret=${SERVICE_ACCOUNT.clientSecret}` },
      'CREDENTIALS_INVALID',
      /text is not a JSON object/,
      false,
    ],
    [
      'a half service account',
      'half',
      { secretString: JSON.stringify({ clientId: 'id-only' }) },
      'CREDENTIALS_INVALID',
      /half is invalid: .*clientSecret/,
      false,
    ],
    [
      'a half API key',
      'halfkey',
      { secretString: JSON.stringify({ private_key: API_KEY.privateKey }) },
      'CREDENTIALS_INVALID',
      /halfkey is invalid: .*publicKey/,
      false,
    ],
    [
      'a secret of the wrong type',
      'typed',
      { secretString: JSON.stringify({ clientId: 'id', clientSecret: 12345 }) },
      'CREDENTIALS_INVALID',
      /typed is invalid: .*clientSecret/,
      false,
    ],
    [
      'an empty object',
      'empty',
      { secretString: '{}' },
      'CREDENTIALS_INVALID',
      /expected clientId and clientSecret/,
      false,
    ],
  ] as const)(
    'fails on %s with an error naming the secret and field, never a value',
    async (_case, secretId, answer, code, message, retryable) => {
      // Prepare
      if (answer !== undefined) answers.set(secretId, answer);

      // Act
      const error = await source(secretId)
        .get()
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(CredentialsError);
      expect(error).toMatchObject({ code, retryable });
      expect((error as Error).message).toMatch(message);
      const everything = `${(error as Error).message} ${(error as Error).stack} ${String((error as Error).cause ?? '')}`;
      expect(everything).not.toContain(SERVICE_ACCOUNT.clientSecret);
      expect(everything).not.toContain(API_KEY.privateKey);
    },
  );
});
