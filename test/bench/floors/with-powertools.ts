/**
 * Cold-start diagnostic (c), not a floor: floor (b) plus the Powertools Logger, Metrics and BatchProcessor the
 * handler builds at init. Between (b), (c) and the handler, an init time splits into libraries and our own code.
 */
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Agent } from 'undici';
import * as z from 'zod';

export const clients = [new SecretsManagerClient({}), new SQSClient({}), new DynamoDBClient({})];
export const agent = new Agent({ connectTimeout: 5_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
export const environment = z
  .object({ WORK_QUEUE_URL: z.url(), LEDGER_TABLE_NAME: z.string().min(3) })
  .safeParse(process.env);
export const logger = new Logger({ serviceName: 'bench' });
export const metrics = new Metrics({ namespace: 'Bench', serviceName: 'bench' });
export const processor = new BatchProcessor(EventType.SQS);

export const handler = async (): Promise<number> => clients.length;
