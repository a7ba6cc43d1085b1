import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsError } from '../../../../functions/core/credentials/errors.ts';
import { cachedSecretDocument } from '../../../../functions/core/credentials/secrets-manager.ts';
import { databaseLoginDocument } from '../../../../functions/core/verification/database-logins.ts';
import { type SecretAnswer, startSecretsManager } from '../credentials/secrets-manager-server.ts';

describe('Function: cachedSecretDocument with the database login document', () => {
  let answers: Map<string, SecretAnswer>;
  let secretsManager: Awaited<ReturnType<typeof startSecretsManager>>;

  beforeEach(async () => {
    answers = new Map();
    secretsManager = await startSecretsManager(answers);
  });
  afterEach(() => secretsManager.close());

  const login = (secretId: string) =>
    cachedSecretDocument({ secretId, client: secretsManager.client, schema: databaseLoginDocument });

  it('reads the user and password once, then serves them from the cache', async () => {
    answers.set('db/verifier', {
      secretString: JSON.stringify({ username: 'drill-verifier', password: 'pw-0123456789' }),
    });
    const secret = login('db/verifier');
    expect(await secret.get()).toEqual({ username: 'drill-verifier', password: 'pw-0123456789' });
    answers.set('db/verifier', { secretString: JSON.stringify({ username: 'other', password: 'other-pw' }) });
    expect((await secret.get()).username).toBe('drill-verifier');
  });

  it('names a missing or empty field and never quotes a value', async () => {
    answers.set('db/broken', { secretString: JSON.stringify({ username: 'drill-verifier', password: '' }) });
    const error = await login('db/broken')
      .get()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('password');
    expect((error as Error).message).not.toContain('drill-verifier');
    answers.set('db/no-user', { secretString: JSON.stringify({ password: 'pw-never-shown' }) });
    const missing = await login('db/no-user')
      .get()
      .catch((caught: unknown) => caught);
    expect((missing as Error).message).toContain('username');
    expect((missing as Error).message).not.toContain('pw-never-shown');
  });
});
