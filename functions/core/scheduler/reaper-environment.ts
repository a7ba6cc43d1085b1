import * as z from 'zod';
import { parseLambdaEnvironment } from '../lambda-environment.ts';
import type { ReaperSchedulesOptions } from './reaper-schedules.ts';

const sqsArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/, 'must be an SQS queue ARN');

const reaperEnvironment = z.object({
  // Scheduler's rule for a group name: 1 to 64 of [0-9a-zA-Z-_.].
  REAPER_SCHEDULE_GROUP: z.string().regex(/^[0-9a-zA-Z\-_.]{1,64}$/, 'must be a schedule group name'),
  REAPER_ROLE_ARN: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN'),
  WORK_QUEUE_ARN: sqsArn,
  DEAD_LETTER_QUEUE_ARN: sqsArn,
});

const REAPER_VARIABLES = Object.keys(reaperEnvironment.shape) as (keyof typeof reaperEnvironment.shape)[];

/**
 * The reaper's settings from the Lambda environment (the stack sets them only with ephemeral drill targets):
 * undefined when none is set, an error naming each variable at fault (never its value) when some are missing or bad.
 */
export function reaperSettingsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Omit<ReaperSchedulesOptions, 'clientConfig'> | undefined {
  if (REAPER_VARIABLES.every((name) => (env[name] ?? '').trim() === '')) return undefined;
  const e = parseLambdaEnvironment(reaperEnvironment, env);
  return {
    groupName: e.REAPER_SCHEDULE_GROUP,
    roleArn: e.REAPER_ROLE_ARN,
    workQueueArn: e.WORK_QUEUE_ARN,
    deadLetterQueueArn: e.DEAD_LETTER_QUEUE_ARN,
  };
}
