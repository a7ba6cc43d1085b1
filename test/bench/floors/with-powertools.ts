/**
 * Cold-start diagnostic (c), not a floor: floor (a) plus what the handler holds besides its own code: zod (one object
 * schema built and used at init) and the Powertools Logger, Metrics and BatchProcessor it builds at init. Its Atlas
 * transport is node:http(s), already loaded by the SDK. Between (a), (c) and the handler, an init time splits into
 * libraries and our own code.
 */
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';

export const clients = [new SecretsManagerClient({}), new SQSClient({}), new DynamoDBClient({})];
export const environment = z
  .object({ WORK_QUEUE_URL: z.url(), LEDGER_TABLE_NAME: z.string().min(3) })
  .safeParse(process.env);
export const logger = new Logger({ serviceName: 'bench' });
export const metrics = new Metrics({ namespace: 'Bench', serviceName: 'bench' });
export const processor = new BatchProcessor(EventType.SQS);

export const handler = async (): Promise<number> => clients.length;
