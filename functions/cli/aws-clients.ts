import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

/** A terminal should not hang on an unreachable endpoint: short socket timeouts, few attempts. */
const TERMINAL_CLIENT = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 },
} as const;

function region(env: NodeJS.ProcessEnv): { region?: string } {
  const name = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  return name ? { region: name } : {};
}

/**
 * SQS for the CLI: region and credentials from the usual AWS chain. An endpoint override (AWS_ENDPOINT_URL_SQS or
 * AWS_ENDPOINT_URL, as the SDK reads them) is passed explicitly: otherwise the SQS client sends to the queue URL's
 * host, which for a local emulator is not a host at all.
 */
export function cliSqsClient(env: NodeJS.ProcessEnv): SQSClient {
  const endpoint = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL;
  return new SQSClient({ ...TERMINAL_CLIENT, ...region(env), ...(endpoint ? { endpoint } : {}) });
}

/** DynamoDB for the CLI; AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL) points it at a local table. */
export function cliDynamoDbClient(env: NodeJS.ProcessEnv): DynamoDBClient {
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  return new DynamoDBClient({ ...TERMINAL_CLIENT, ...region(env), ...(endpoint ? { endpoint } : {}) });
}

/**
 * CloudFormation for the CLI, to read a deployed stack's outputs; AWS_ENDPOINT_URL_CLOUDFORMATION (or
 * AWS_ENDPOINT_URL) points it elsewhere. Loaded on demand: only `--stack` needs it.
 */
export async function cliCloudFormationClient(env: NodeJS.ProcessEnv): Promise<CloudFormationClient> {
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  const endpoint = env.AWS_ENDPOINT_URL_CLOUDFORMATION || env.AWS_ENDPOINT_URL;
  return new CloudFormationClient({ ...TERMINAL_CLIENT, ...region(env), ...(endpoint ? { endpoint } : {}) });
}
