import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as z from 'zod';
import { credentialsDocument, describeIssues } from './document.ts';
import { CredentialsError } from './errors.ts';
import type { CredentialsSource } from './source.ts';

// An hour: a rotated secret whose old key Atlas refuses is read again at once (invalidate() on a 401), so the TTL
// only bounds how long a still-valid old key is used, and each read is a billed call (the bench's cost section).
export const SECRET_CACHE_TTL_MS = 60 * 60_000;

/** Errors after which reading the secret again cannot help until someone fixes the configuration. */
const PERMANENT_SECRETS_MANAGER_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidParameterException',
  'InvalidRequestException',
]);

/**
 * Credentials from one Secrets Manager secret (JSON), cached across warm invocations for `ttlMs`.
 * Concurrent reads share one GetSecretValue call. When a refresh fails for a transient reason the
 * previous value is served until invalidate() says it is bad.
 */
export function secretsManagerCredentials(options: {
  secretId: string;
  client: SecretsManagerClient;
  ttlMs?: number;
  now?: () => number;
}): CredentialsSource {
  return cachedSecretDocument({ ...options, schema: credentialsDocument });
}

/** A cached reader of one JSON secret checked by `schema` (the same caching and errors as the Atlas credentials). */
export interface CachedSecret<T> {
  get(): Promise<T>;
  invalidate(): void;
}

/**
 * One Secrets Manager secret holding JSON, parsed by `schema` (whose messages name the field, never the value) and
 * cached for `ttlMs`; concurrent reads share one call, and a transient failure serves the previous value.
 */
export function cachedSecretDocument<T>(options: {
  secretId: string;
  client: SecretsManagerClient;
  schema: z.ZodType<T>;
  ttlMs?: number;
  now?: () => number;
}): CachedSecret<T> {
  const { secretId, client, schema } = options;
  const ttlMs = options.ttlMs ?? SECRET_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { value: T; readAt: number } | undefined;
  let reading: Promise<T> | undefined;
  let generation = 0;

  async function read(readGeneration: number): Promise<T> {
    try {
      const value = await readSecret(client, secretId, schema);
      if (readGeneration === generation) cached = { value, readAt: now() };
      return value;
    } catch (error) {
      const stale = cached;
      if (error instanceof CredentialsError && error.retryable && stale && readGeneration === generation) {
        return stale.value;
      }
      throw error;
    } finally {
      if (readGeneration === generation) reading = undefined;
    }
  }

  return {
    get() {
      if (cached && now() - cached.readAt < ttlMs) return Promise.resolve(cached.value);
      reading ??= read(generation);
      return reading;
    },
    invalidate() {
      generation += 1;
      cached = undefined;
      reading = undefined;
    },
  };
}

async function readSecret<T>(client: SecretsManagerClient, secretId: string, schema: z.ZodType<T>): Promise<T> {
  let text: string | undefined;
  try {
    const response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    text =
      response.SecretString ?? (response.SecretBinary ? new TextDecoder().decode(response.SecretBinary) : undefined);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'UnknownError';
    throw new CredentialsError('CREDENTIALS_UNAVAILABLE', `could not read secret ${secretId}: ${name}`, {
      retryable: !PERMANENT_SECRETS_MANAGER_ERRORS.has(name),
      cause: error,
    });
  }
  if (text === undefined) {
    throw new CredentialsError('CREDENTIALS_MISSING', `secret ${secretId} has no value`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // No cause: a SyntaxError quotes the text it could not parse, which is the secret.
    throw new CredentialsError('CREDENTIALS_INVALID', `secret ${secretId} is not a JSON object`);
  }
  const parsed = schema.safeParse(document);
  if (!parsed.success) {
    throw new CredentialsError('CREDENTIALS_INVALID', `secret ${secretId} is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
