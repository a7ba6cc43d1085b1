/**
 * The verifier's Lambda entry point, fed by its own SQS queue (`{v:1, kind:'inventory'|'verify', operationId}`):
 * reads the operation from the ledger, opens the source or the restored cluster with the official driver, and
 * records the inventory or the verification on the operation. Separate from the restore function so the driver
 * never weighs on its cold start. Configuration is validated at cold start; secrets are read on first use.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAtlasClient } from './core/atlas/client.ts';
import { cachedSecretDocument, secretsManagerCredentials } from './core/credentials/secrets-manager.ts';
import { createDynamoDbLedger } from './core/ledger/dynamodb-ledger.ts';
import { createLogger } from './core/reporting/logger.ts';
import { loadEnvironment, verifierEnvironment } from './core/verification/config.ts';
import { databaseLoginDocument, databaseLogins } from './core/verification/database-logins.ts';
import { mongoConnector } from './core/verification/mongodb-database.ts';
import { createVerifierHandler } from './core/verification/verifier-handler.ts';
import { createVerifierService } from './core/verification/verifier-service.ts';
import { systemClock } from './core/workflow/ports.ts';

const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'atlas-restore-verifier' });

function readEnvironment() {
  try {
    return loadEnvironment(verifierEnvironment, process.env);
  } catch (error) {
    logger.error('invalid configuration', { error });
    throw error;
  }
}

const env = readEnvironment();
const secrets = new SecretsManagerClient({});
const atlas = createAtlasClient({
  credentials: secretsManagerCredentials({ secretId: env.ATLAS_SECRET_ID, client: secrets }),
  ...(env.ATLAS_BASE_URL ? { baseUrl: env.ATLAS_BASE_URL } : {}),
  logger: {
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    debug: (message, attributes) => logger.debug(message, attributes ?? {}),
  },
});

const service = createVerifierService({
  store: createDynamoDbLedger({ client: new DynamoDBClient({}), tableName: env.LEDGER_TABLE_NAME }),
  atlas,
  connector: mongoConnector({
    appName: 'atlas-restore-verifier',
    ...(env.ATLAS_TLS_CA_FILE ? { tlsCAFile: env.ATLAS_TLS_CA_FILE } : {}),
  }),
  logins: databaseLogins({
    ...(env.VERIFIER_DATABASE_SECRET_ID
      ? {
          secret: cachedSecretDocument({
            secretId: env.VERIFIER_DATABASE_SECRET_ID,
            client: secrets,
            schema: databaseLoginDocument,
          }),
        }
      : {}),
    atlas,
    now: systemClock.now,
    log: logger,
  }),
  clock: systemClock,
  log: logger,
  now: Date.now,
});

export const handler = createVerifierHandler({ service, log: logger });
