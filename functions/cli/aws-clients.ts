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
 * The region a queue URL names: `https://sqs.eu-west-1.amazonaws.com/123456789012/work` (and the legacy
 * `https://eu-west-1.queue.amazonaws.com/…`); the queue lives there, whatever AWS_REGION says.
 */
export function regionOfQueueUrl(queueUrl: string | undefined): string | undefined {
  if (queueUrl === undefined) return undefined;
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  if (host === 'queue.amazonaws.com') return 'us-east-1';
  return (/^sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host) ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host))?.[1];
}

/**
 * SQS for the CLI: region and credentials from the usual AWS chain, the region named by `queueUrl` first. An endpoint override (AWS_ENDPOINT_URL_SQS or
 * AWS_ENDPOINT_URL, as the SDK reads them) is passed explicitly: otherwise the SQS client sends to the queue URL's
 * host, which for a local emulator is not a host at all.
 */
export function cliSqsClient(env: NodeJS.ProcessEnv, queueUrl?: string): SQSClient {
  const endpoint = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL;
  const named = regionOfQueueUrl(queueUrl);
  return new SQSClient({
    ...TERMINAL_CLIENT,
    ...(named ? { region: named } : region(env)),
    ...(endpoint ? { endpoint } : {}),
  });
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

/** SQS's answer for a queue URL that names no queue, in words that say which queue and what to check. */
export function queueProblem(error: unknown, queueUrl: string): unknown {
  if (error instanceof Error && /QueueDoesNotExist|NonExistentQueue/.test(error.name)) {
    return new Error(
      `SQS queue ${queueUrl} does not exist: check --queueUrl (or ATLAS_RESTORE_QUEUE_URL), or give --stack NAME to read it from the stack's outputs`,
      { cause: error },
    );
  }
  return error;
}
