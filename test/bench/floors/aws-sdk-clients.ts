/**
 * Cold-start floor (a): the AWS SDK clients the restore handler uses, imported and constructed as it does at init,
 * with nothing else. Bundled by the bench with the handler's own esbuild settings.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

export const clients = [new SecretsManagerClient({}), new SQSClient({}), new DynamoDBClient({})];

export const handler = async (): Promise<number> => clients.length;
