/**
 * Cold-start floor (b): floor (a) plus the two libraries the handler cannot do without, undici (one keep-alive
 * Agent, as the Atlas client makes) and zod (one object schema built and used at init, as a config check would).
 */
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

export const handler = async (): Promise<number> => clients.length;
