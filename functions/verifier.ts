/**
 * The verifier's Lambda entry point, fed by its own SQS queue (`{v:1, kind:'inventory'|'verify', operationId}`):
 * reads the operation from the ledger, opens the source or the restored cluster with the official driver, and
 * records the inventory or the verification on the operation. Separate from the restore function so the driver
 * never weighs on its cold start. Configuration is validated at cold start; secrets are read on first use.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbLedger } from './core/ledger/dynamodb-ledger.ts';
import { createLogger } from './core/reporting/logger.ts';
import { verifierEnvironment } from './core/verification/config.ts';
import { driverFunction } from './core/verification/driver-function.ts';
import { createVerifierHandler } from './core/verification/verifier-handler.ts';
import { createVerifierService } from './core/verification/verifier-service.ts';
import { systemClock } from './core/workflow/ports.ts';

const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'atlas-restore-verifier' });
const { env, atlas, connector, logins } = driverFunction({
  appName: 'atlas-restore-verifier',
  environment: verifierEnvironment,
  logger,
  loginSecretId: (environment) => environment.VERIFIER_DATABASE_SECRET_ID,
});

const service = createVerifierService({
  store: createDynamoDbLedger({ client: new DynamoDBClient({}), tableName: env.LEDGER_TABLE_NAME }),
  atlas,
  connector,
  logins,
  clock: systemClock,
  log: logger,
  now: Date.now,
});

export const handler = createVerifierHandler({ service, log: logger });
