/**
 * The reaper's one-off EventBridge Scheduler schedules: when an ephemeral drill cluster is created, a schedule is set
 * to put `{v:1, kind:'reap', operationId}` on the work queue at the end of its lease, so the cluster is deleted even
 * if the workflow's chain dies. Normal completion cancels it.
 *
 * - One schedule per operation, in the reaper's own schedule group (the function may touch no other), named
 *   `reap-` + the first 40 hex digits of SHA-256(operationId): an operation id may hold characters a schedule name
 *   may not (`:` in a drill's scheduled time), and a fixed length lets IAM name our schedules as
 *   `schedule/<group>/reap-????…` without `*`.
 * - `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the second (never before the lease's end); flexible window off;
 *   deleted by Scheduler once it has fired (ActionAfterCompletion DELETE); retries, then the dead-letter queue.
 * - Idempotent: a ConflictException on create means the name is taken; it is ours when the schedule found targets
 *   this operation (a redelivered step), anything else is an error. Cancel treats ResourceNotFoundException as done.
 * - The SDK is imported on first use, so the restore function's cold start never loads it.
 */
import { createHash } from 'node:crypto';
import type { SchedulerClient, SchedulerClientConfig } from '@aws-sdk/client-scheduler';
import type { ReaperSchedules } from '../workflow/ports.ts';

export interface ReaperSchedulesOptions {
  /** The reaper's schedule group (REAPER_SCHEDULE_GROUP). */
  readonly groupName: string;
  /** The role Scheduler assumes to send the reap message (REAPER_ROLE_ARN). */
  readonly roleArn: string;
  /** Where the reap message goes (WORK_QUEUE_ARN). */
  readonly workQueueArn: string;
  /** Where Scheduler puts what it could not deliver (DEAD_LETTER_QUEUE_ARN). */
  readonly deadLetterQueueArn: string;
  /** The SDK client's settings (a local endpoint in tests). @default {} */
  readonly clientConfig?: SchedulerClientConfig;
}

/** Delivery to SQS fails only on throttling or a broken permission: as the drill schedules, retry for 2 h, then DLQ. */
export const REAP_RETRY_POLICY = { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200 } as const;

const NAME_PREFIX = 'reap-';
const NAME_HASH_HEX_DIGITS = 40;

/** The schedule's name for an operation: valid for Scheduler (1-64 of [0-9a-zA-Z-_.]) whatever the id holds. */
export function reaperScheduleName(operationId: string): string {
  const digest = createHash('sha256').update(operationId, 'utf8').digest('hex');
  return `${NAME_PREFIX}${digest.slice(0, NAME_HASH_HEX_DIGITS)}`;
}

/** The name pattern, for IAM: one `?` per hex digit. */
export const REAPER_SCHEDULE_NAME_PATTERN = `${NAME_PREFIX}${'?'.repeat(NAME_HASH_HEX_DIGITS)}`;

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the whole second. */
export function atExpression(at: number): string {
  if (!Number.isFinite(at)) throw new RangeError(`at must be epoch milliseconds, got ${at}`);
  const iso = new Date(Math.ceil(at / 1000) * 1000).toISOString();
  return `at(${iso.slice(0, 19)})`;
}

/** The message the schedule sends, as text (Scheduler sends Input as the SQS message body). */
export function reapMessageBody(operationId: string): string {
  return JSON.stringify({ v: 1, kind: 'reap', operationId });
}

export class ReaperScheduleError extends Error {
  readonly code = 'REAPER_SCHEDULE_CONFLICT';
  readonly operationId: string;

  constructor(message: string, operationId: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReaperScheduleError';
    this.operationId = operationId;
  }
}

type SchedulerSdk = typeof import('@aws-sdk/client-scheduler');

let sdk: Promise<SchedulerSdk> | undefined;

function loadSdk(): Promise<SchedulerSdk> {
  sdk ??= import('@aws-sdk/client-scheduler');
  return sdk;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

/** The ReaperSchedules port on EventBridge Scheduler. */
export function createReaperSchedules(options: ReaperSchedulesOptions): ReaperSchedules {
  let client: SchedulerClient | undefined;
  const connect = async () => {
    const { SchedulerClient } = await loadSdk();
    client ??= new SchedulerClient(options.clientConfig ?? {});
    return client;
  };

  return {
    async schedule(operationId, at) {
      const { CreateScheduleCommand, GetScheduleCommand } = await loadSdk();
      const scheduler = await connect();
      const name = reaperScheduleName(operationId);
      const input = reapMessageBody(operationId);
      try {
        await scheduler.send(
          new CreateScheduleCommand({
            Name: name,
            GroupName: options.groupName,
            // Operation ids are at most 128 characters: well within Scheduler's 512 for a description.
            Description: `Deletes the ephemeral drill cluster of operation ${operationId} if its workflow has not`,
            ScheduleExpression: atExpression(at),
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            State: 'ENABLED',
            Target: {
              Arn: options.workQueueArn,
              RoleArn: options.roleArn,
              Input: input,
              RetryPolicy: REAP_RETRY_POLICY,
              DeadLetterConfig: { Arn: options.deadLetterQueueArn },
            },
          }),
        );
      } catch (error) {
        if (errorName(error) !== 'ConflictException') throw error;
        // The name is taken: an earlier attempt of this step set it, unless a hash collision or a hand-made schedule.
        const existing = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: options.groupName }));
        if (existing.Target?.Input !== input || existing.Target?.Arn !== options.workQueueArn) {
          throw new ReaperScheduleError(
            `reaper schedule ${options.groupName}/${name} exists and does not reap operation ${operationId}`,
            operationId,
            { cause: error },
          );
        }
      }
    },

    async cancel(operationId) {
      const { DeleteScheduleCommand } = await loadSdk();
      const scheduler = await connect();
      try {
        await scheduler.send(
          new DeleteScheduleCommand({ Name: reaperScheduleName(operationId), GroupName: options.groupName }),
        );
      } catch (error) {
        // Already deleted: by an earlier attempt, or by Scheduler itself after it fired (ActionAfterCompletion).
        if (errorName(error) !== 'ResourceNotFoundException') throw error;
      }
    },
  };
}
