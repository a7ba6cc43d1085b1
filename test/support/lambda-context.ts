import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { deployedPlatform } from './lambda-platform/deployed.ts';

/** A Lambda context whose remaining time counts down in real time from `timeoutMs` (default: the deployed timeout). */
export function fakeLambdaContext(
  options: { timeoutMs?: number; functionName?: string; requestId?: string } = {},
): Context {
  const startedAt = Date.now();
  const platform = deployedPlatform();
  const timeoutMs = options.timeoutMs ?? platform.function.timeoutSeconds * 1000;
  const functionName = options.functionName ?? 'atlas-restore-orchestrator';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(platform.function.memorySize),
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - startedAt)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
