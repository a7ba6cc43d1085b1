import { describe, expect, it } from 'vitest';
import { environmentCredentials } from '../../../../functions/core/credentials/environment.ts';
import { CredentialsError } from '../../../../functions/core/credentials/errors.ts';

describe('Function: environmentCredentials', () => {
  it('reads a service account and the base URL from the Atlas CLI variables', async () => {
    // Prepare
    const env = {
      MONGODB_ATLAS_CLIENT_ID: 'mdb_sa_id_1',
      MONGODB_ATLAS_CLIENT_SECRET: 'mdb_sa_sk_1',
      MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:8080',
    };

    // Act
    const resolved = await environmentCredentials(env).get();

    // Assess
    expect(resolved).toEqual({
      credentials: { kind: 'serviceAccount', clientId: 'mdb_sa_id_1', clientSecret: 'mdb_sa_sk_1' },
      baseUrl: 'http://127.0.0.1:8080',
    });
  });

  it('reads an API key, under the Atlas CLI or the Terraform provider names', async () => {
    // Prepare
    const cli = { MONGODB_ATLAS_PUBLIC_API_KEY: 'pub', MONGODB_ATLAS_PRIVATE_API_KEY: 'priv' };
    const terraform = { MONGODB_ATLAS_PUBLIC_KEY: 'pub', MONGODB_ATLAS_PRIVATE_KEY: 'priv' };

    // Act
    const fromCli = await environmentCredentials(cli).get();
    const fromTerraform = await environmentCredentials(terraform).get();

    // Assess
    expect(fromCli).toEqual({ credentials: { kind: 'apiKey', publicKey: 'pub', privateKey: 'priv' } });
    expect(fromTerraform).toEqual(fromCli);
  });

  it('prefers the service account when both kinds are set', async () => {
    // Prepare
    const env = {
      MONGODB_ATLAS_PUBLIC_API_KEY: 'pub',
      MONGODB_ATLAS_PRIVATE_API_KEY: 'priv',
      MONGODB_ATLAS_CLIENT_ID: 'id',
      MONGODB_ATLAS_CLIENT_SECRET: 'secret',
    };

    // Act
    const resolved = await environmentCredentials(env).get();

    // Assess
    expect(resolved.credentials).toEqual({ kind: 'serviceAccount', clientId: 'id', clientSecret: 'secret' });
  });

  it.each([
    [
      'nothing set',
      {},
      /set MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET .* or MONGODB_ATLAS_PUBLIC_API_KEY/,
    ],
    ['a client id alone', { MONGODB_ATLAS_CLIENT_ID: 'id' }, /MONGODB_ATLAS_CLIENT_SECRET is not set/],
    [
      'a private key alone',
      { MONGODB_ATLAS_PRIVATE_API_KEY: 'hidden-private-key' },
      /MONGODB_ATLAS_PUBLIC_API_KEY is not set/,
    ],
    [
      'an empty secret',
      { MONGODB_ATLAS_CLIENT_ID: 'id', MONGODB_ATLAS_CLIENT_SECRET: '' },
      /MONGODB_ATLAS_CLIENT_SECRET is not set/,
    ],
    [
      'a base URL that is not one',
      { MONGODB_ATLAS_CLIENT_ID: 'id', MONGODB_ATLAS_CLIENT_SECRET: 'hidden-secret', MONGODB_ATLAS_BASE_URL: 'cloud' },
      /MONGODB_ATLAS_BASE_URL: Invalid URL/,
    ],
  ])('fails on %s with the variable to set, never a value', async (_case, env, message) => {
    // Act
    const error = await environmentCredentials(env)
      .get()
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ code: 'CREDENTIALS_MISSING', retryable: false });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/hidden/);
  });
});
