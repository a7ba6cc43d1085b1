/**
 * Cold-start floor (b): floor (a) plus an HTTP client library and a validation library, undici (one keep-alive
 * Agent, as the Atlas client made before issue 17) and zod (one object schema built and used at init, as a config
 * check would). The handler is held to this floor: whatever it holds must cost no more than these two.
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
