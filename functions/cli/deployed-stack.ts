import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { createDynamoDbLedger } from '../core/ledger/dynamodb-ledger.ts';
import type { Operation } from '../core/workflow/operation.ts';
import type { Ledger } from '../core/workflow/ports.ts';
import type { IdentifiedRequest } from '../core/workflow/service.ts';
import { cliCloudFormationClient, cliDynamoDbClient, cliSqsClient, queueProblem } from './aws-clients.ts';
import { UsageError } from './command.ts';

/** The stack's outputs that name its work queue and its ledger (infra/restore-orchestrator-stack.ts). */
export const STACK_OUTPUTS = { queueUrl: 'WorkQueueUrl', tableName: 'LedgerTableName' } as const;

export const queueUrl = z.url({ protocol: /^https?$/, error: 'must be an SQS queue URL' });
export const tableName = z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name');
export const stackName = z
  .string()
  .regex(/^([A-Za-z][A-Za-z0-9-]{0,127}|arn:[\w+=/,.@:-]+)$/, 'must be a CloudFormation stack name or ARN');

/** The deployed orchestrator a command talks to: the queue the Lambda reads and the ledger it writes. */
export interface DeployedStack {
  readonly queueUrl: string;
  readonly tableName: string;
  /** `stack NAME`, or the flags it came from, for messages. */
  readonly origin: string;
}

/** `--stack NAME`, or `--queueUrl URL --tableName NAME` for a stack whose outputs are known. */
export const deployedStackOptions = {
  stack: { type: 'string' },
  queueUrl: { type: 'string' },
  tableName: { type: 'string' },
} as const;

export const deployedStackFlags = z.object({
  stack: stackName.optional(),
  queueUrl: queueUrl.optional(),
  tableName: tableName.optional(),
});

/**
 * ATLAS_RESTORE_STACK: the stack a command uses when its flags name no stack, queue, table or ledger of their own,
 * so an operator sets it once per shell. Checked as --stack is.
 */
export function stackFromEnvironment(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.ATLAS_RESTORE_STACK?.trim();
  if (!value) return undefined;
  const checked = stackName.safeParse(value);
  if (!checked.success) throw new UsageError(`ATLAS_RESTORE_STACK: ${checked.error.issues[0]?.message}`);
  return checked.data;
}

/** CloudFormation could not tell where the stack's queue and ledger are. */
export class StackLookupError extends Error {
  readonly code = 'STACK_LOOKUP';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackLookupError';
  }
}

/**
 * The deployed stack the flags name, or undefined when they name none (the command then runs on this machine).
 * `--stack` reads the outputs with CloudFormation DescribeStacks; `--queueUrl` and `--tableName` go together.
 */
export async function resolveDeployedStack(
  flags: z.infer<typeof deployedStackFlags>,
  env: NodeJS.ProcessEnv,
): Promise<DeployedStack | undefined> {
  const { stack, queueUrl: url, tableName: table } = flags;
  if (stack !== undefined) {
    if (url !== undefined || table !== undefined) {
      throw new UsageError(
        `--stack: not with --${url !== undefined ? 'queueUrl' : 'tableName'} (the stack names both)`,
      );
    }
    return { ...(await stackOutputs(stack, env)), origin: `stack ${stack}` };
  }
  if (url === undefined && table === undefined) return undefined;
  if (url === undefined) throw new UsageError('--queueUrl: is required with --tableName (or give --stack NAME)');
  if (table === undefined) throw new UsageError('--tableName: is required with --queueUrl (or give --stack NAME)');
  return { queueUrl: url, tableName: table, origin: `queue ${url}` };
}

async function stackOutputs(stack: string, env: NodeJS.ProcessEnv): Promise<Omit<DeployedStack, 'origin'>> {
  const found = await stackOutputValues(stack, env, [STACK_OUTPUTS.queueUrl, STACK_OUTPUTS.tableName]);
  return { queueUrl: found[STACK_OUTPUTS.queueUrl], tableName: found[STACK_OUTPUTS.tableName] };
}

/** The values of the stack's outputs `keys`, read with CloudFormation DescribeStacks; all must be there. */
export async function stackOutputValues<K extends string>(
  stack: string,
  env: NodeJS.ProcessEnv,
  keys: readonly K[],
): Promise<Record<K, string>> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = await cliCloudFormationClient(env);
  let outputs: readonly { OutputKey?: string | undefined; OutputValue?: string | undefined }[];
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stack }));
    outputs = answer.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    // CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist".
    const message = error instanceof Error ? error.message : String(error);
    if (/does not exist/.test(message)) {
      const region = await client.config.region().catch(() => 'this region');
      throw new StackLookupError(
        `stack ${stack} was not found in ${region}: check the name (ATLAS_RESTORE_STACK, --stack) and AWS_REGION`,
        { cause: error },
      );
    }
    throw new StackLookupError(`stack ${stack}: ${message}`, { cause: error });
  } finally {
    client.destroy();
  }
  const found: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = outputs.find((candidate) => candidate.OutputKey === key)?.OutputValue;
    if (value !== undefined) found[key] = value;
  }
  const missing = keys.filter((key) => found[key] === undefined);
  if (missing.length > 0) {
    throw new StackLookupError(
      `stack ${stack} has no output ${missing.join(' or ')}: is it an atlas-restore orchestrator stack?`,
    );
  }
  return found as Record<K, string>;
}

/** The stack's ledger, read with the CLI's DynamoDB client; close it when done. */
export function deployedLedger(stack: DeployedStack, env: NodeJS.ProcessEnv): Ledger & { close(): void } {
  const client = cliDynamoDbClient(env);
  return Object.assign(createDynamoDbLedger({ client, tableName: stack.tableName }), { close: () => client.destroy() });
}

/** Sends the request to the stack's work queue; its requestId is fixed, so an SDK retry is the same operation. */
export async function sendToStack(
  stack: DeployedStack,
  request: IdentifiedRequest,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const sqs = cliSqsClient(env, stack.queueUrl);
  try {
    const sent = await sqs
      .send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: JSON.stringify(request) }))
      .catch((error: unknown) => {
        throw queueProblem(error, stack.queueUrl);
      });
    return sent.MessageId ?? '';
  } finally {
    sqs.destroy();
  }
}

/** The stack never recorded the operation: the function is not reading the queue, or refused the request. */
export class NotTakenUpError extends Error {
  readonly code = 'NOT_TAKEN_UP';

  constructor(message: string) {
    super(message);
    this.name = 'NotTakenUpError';
  }
}

/**
 * Follows an operation the deployed function runs, by reading its ledger item every `refreshMs`, until it has an
 * outcome or `until` holds. Gives up when the item has not appeared after `appearWithinMs`.
 */
export async function followOnStack(
  ledger: Pick<Ledger, 'get'>,
  operationId: string,
  options: {
    readonly refreshMs: number;
    readonly appearWithinMs: number;
    readonly onStep?: (operation: Operation) => void;
    readonly until?: (operation: Operation) => boolean;
  },
): Promise<Operation> {
  const startedAt = Date.now();
  let previous: string | undefined;
  for (;;) {
    const operation = await ledger.get(operationId);
    if (operation !== undefined) {
      const seen = JSON.stringify(operation);
      if (seen !== previous) options.onStep?.(operation);
      previous = seen;
      if (operation.outcome !== undefined || options.until?.(operation)) return operation;
    } else if (Date.now() - startedAt > options.appearWithinMs) {
      throw new NotTakenUpError(
        `operation ${operationId} is not in the ledger after ${Math.round(options.appearWithinMs / 1000)}s: is the function reading the queue? (requests it refuses are in the dead-letter queue)`,
      );
    }
    await sleep(options.refreshMs);
  }
}
