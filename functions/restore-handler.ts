/**
 * The Lambda entry point: SQS batches of the work queue, and direct invocations (a restore request or an
 * EventBridge event). Everything is built once per execution environment; the configuration is validated here,
 * at cold start, and a bad variable fails the init with its name. Atlas credentials are read on first use.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createAtlasClient } from './core/atlas/client.ts';
import { type LambdaConfig, loadLambdaConfig } from './core/config.ts';
import { secretsManagerCredentials } from './core/credentials/secrets-manager.ts';
import { createDynamoDbLedger } from './core/ledger/dynamodb-ledger.ts';
import { createSqsQueue } from './core/queue/sqs-queue.ts';
import { createSqsVerificationQueue } from './core/queue/sqs-verification-queue.ts';
import { createLogger } from './core/reporting/logger.ts';
import { createPowertoolsReporter } from './core/reporting/reporter.ts';
import { createHandler } from './core/workflow/lambda-handler.ts';
import { systemClock } from './core/workflow/ports.ts';
import { createRestoreService } from './core/workflow/service.ts';

const logger = createLogger();

function readConfig(): LambdaConfig {
  try {
    return loadLambdaConfig(process.env);
  } catch (error) {
    logger.error('invalid configuration', { error });
    throw error;
  }
}

const config = readConfig();

const atlas = createAtlasClient({
  credentials: secretsManagerCredentials({ secretId: config.atlasSecretId, client: new SecretsManagerClient({}) }),
  ...(config.atlasBaseUrl ? { baseUrl: config.atlasBaseUrl } : {}),
  logger: {
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    debug: (message, attributes) => logger.debug(message, attributes ?? {}),
  },
});

const sqs = new SQSClient({});

const service = createRestoreService({
  atlas,
  queue: createSqsQueue({
    client: sqs,
    workQueueUrl: config.workQueueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
  }),
  ...(config.verificationQueueUrl
    ? { verificationQueue: createSqsVerificationQueue({ client: sqs, queueUrl: config.verificationQueueUrl }) }
    : {}),
  ledger: createDynamoDbLedger({ client: new DynamoDBClient({}), tableName: config.ledgerTableName }),
  clock: systemClock,
  config: config.workflow,
  log: logger,
  reporter: createPowertoolsReporter({ log: logger }),
});

export const handler = createHandler({ service, log: logger });
