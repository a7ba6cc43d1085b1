import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as z from 'zod';
import { createAtlasClient } from '../atlas/client.ts';
import { cachedSecretDocument, secretsManagerCredentials } from '../credentials/secrets-manager.ts';
import { parseLambdaEnvironment } from '../lambda-environment.ts';
import type { createLogger } from '../reporting/logger.ts';
import { systemClock } from '../workflow/ports.ts';
import type { CommonEnvironment } from './config.ts';
import { databaseLoginDocument, databaseLogins } from './database-logins.ts';
import { mongoConnector } from './mongodb-database.ts';

/**
 * What the two functions that open clusters (the verifier and the heartbeat writer) build at cold start: their
 * environment, checked (and logged when wrong); the Atlas client on the stack's secret; the driver's connector; and
 * the database logins, from the user secret `loginSecretId` names (secrets are read on first use).
 */
export function driverFunction<E extends CommonEnvironment>(options: {
  readonly appName: string;
  readonly environment: z.ZodType<E>;
  readonly logger: ReturnType<typeof createLogger>;
  readonly loginSecretId: (env: E) => string | undefined;
}) {
  const { logger } = options;
  let env: E;
  try {
    env = parseLambdaEnvironment(options.environment, process.env);
  } catch (error) {
    logger.error('invalid configuration', { error });
    throw error;
  }
  const secrets = new SecretsManagerClient({});
  const atlas = createAtlasClient({
    credentials: secretsManagerCredentials({ secretId: env.ATLAS_SECRET_ID, client: secrets }),
    ...(env.ATLAS_BASE_URL ? { baseUrl: env.ATLAS_BASE_URL } : {}),
    logger: {
      warn: (message, attributes) => logger.warn(message, attributes ?? {}),
      debug: (message, attributes) => logger.debug(message, attributes ?? {}),
    },
  });
  const secretId = options.loginSecretId(env);
  return {
    env,
    atlas,
    connector: mongoConnector({
      appName: options.appName,
      ...(env.ATLAS_TLS_CA_FILE ? { tlsCAFile: env.ATLAS_TLS_CA_FILE } : {}),
    }),
    logins: databaseLogins({
      ...(secretId
        ? { secret: cachedSecretDocument({ secretId, client: secrets, schema: databaseLoginDocument }) }
        : {}),
      atlas,
      now: systemClock.now,
      log: logger,
    }),
  };
}
