import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { reapMessage } from '../../../../functions/core/contract/internal-messages.ts';
import {
  atExpression,
  createReaperSchedules,
  REAPER_SCHEDULE_NAME_PATTERN,
  ReaperScheduleError,
  reaperScheduleName,
} from '../../../../functions/core/scheduler/reaper-schedules.ts';

const scheduler = mockClient(SchedulerClient);

const GROUP = 'Test-reapers';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/Test-Reaper';
const WORK_QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:Test-work';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:Test-dlq';
const OPERATION = 'weekly-prod-drill-2026-01-05T03:00:00Z';

beforeEach(() => {
  scheduler.reset();
});

function reapers() {
  return createReaperSchedules({
    groupName: GROUP,
    roleArn: ROLE_ARN,
    workQueueArn: WORK_QUEUE_ARN,
    deadLetterQueueArn: DLQ_ARN,
    clientConfig: { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
  });
}

const conflict = () =>
  new ConflictException({ message: 'Schedule already exists.', Message: 'Schedule already exists.', $metadata: {} });
const notFound = () =>
  new ResourceNotFoundException({
    message: 'Schedule does not exist.',
    Message: 'Schedule does not exist.',
    $metadata: {},
  });

describe('Function: createReaperSchedules', () => {
  it('creates one one-off schedule in the reaper group that sends the reap message to the work queue at the lease end', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:…' });

    // Act
    await reapers().schedule(OPERATION, Date.parse('2026-01-05T07:30:00.000Z'));

    // Assess
    expect(scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input)).toEqual([
      {
        Name: reaperScheduleName(OPERATION),
        GroupName: GROUP,
        Description: `Deletes the ephemeral drill cluster of operation ${OPERATION} if its workflow has not`,
        ScheduleExpression: 'at(2026-01-05T07:30:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: WORK_QUEUE_ARN,
          RoleArn: ROLE_ARN,
          Input: JSON.stringify({ v: 1, kind: 'reap', operationId: OPERATION }),
          RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: DLQ_ARN },
        },
      },
    ]);
    expect(scheduler.calls()).toHaveLength(1);
    // What the work queue receives is the workflow's reap message.
    const [call] = scheduler.commandCalls(CreateScheduleCommand);
    expect(reapMessage.parse(JSON.parse(call?.args[0].input.Target?.Input ?? ''))).toEqual({
      v: 1,
      kind: 'reap',
      operationId: OPERATION,
    });
  });

  it('takes a schedule of the same name that reaps this operation as its own (a redelivered step)', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(conflict());
    scheduler.on(GetScheduleCommand).resolves({
      Name: reaperScheduleName(OPERATION),
      Target: {
        Arn: WORK_QUEUE_ARN,
        RoleArn: ROLE_ARN,
        Input: JSON.stringify({ v: 1, kind: 'reap', operationId: OPERATION }),
      },
    });

    // Act
    await reapers().schedule(OPERATION, Date.parse('2026-01-05T07:30:00Z'));

    // Assess
    expect(scheduler.commandCalls(GetScheduleCommand).map((call) => call.args[0].input)).toEqual([
      { Name: reaperScheduleName(OPERATION), GroupName: GROUP },
    ]);
  });

  it('refuses a schedule of the same name that reaps something else, naming the operation', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(conflict());
    scheduler.on(GetScheduleCommand).resolves({
      Target: {
        Arn: WORK_QUEUE_ARN,
        RoleArn: ROLE_ARN,
        Input: JSON.stringify({ v: 1, kind: 'reap', operationId: 'x' }),
      },
    });

    // Act
    const attempt = reapers().schedule(OPERATION, Date.parse('2026-01-05T07:30:00Z'));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ReaperScheduleError);
    await expect(attempt).rejects.toThrow(`does not reap operation ${OPERATION}`);
  });

  it('passes any other refusal on', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ValidationException({ message: 'bad', Message: 'bad', $metadata: {} }));

    // Act / Assess
    await expect(reapers().schedule(OPERATION, Date.now())).rejects.toBeInstanceOf(ValidationException);
    expect(scheduler.commandCalls(GetScheduleCommand)).toEqual([]);
  });

  it('cancels by deleting the schedule in the reaper group, and is done when it is already gone', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).resolvesOnce({}).rejectsOnce(notFound());

    // Act
    await reapers().cancel(OPERATION);
    await reapers().cancel(OPERATION);

    // Assess
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([
      { Name: reaperScheduleName(OPERATION), GroupName: GROUP },
      { Name: reaperScheduleName(OPERATION), GroupName: GROUP },
    ]);
  });

  it('passes a failed cancel on (the caller retries)', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).rejects(conflict());

    // Act / Assess
    await expect(reapers().cancel(OPERATION)).rejects.toBeInstanceOf(ConflictException);
  });
});

describe('Function: reaperScheduleName', () => {
  it('is a valid schedule name of fixed length for any operation id, and one per id', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 128, unit: 'grapheme' }),
        fc.string({ minLength: 1 }),
        (a, b) => {
          const name = reaperScheduleName(a);
          // Scheduler's rule for Name: 1 to 64 characters of [0-9a-zA-Z-_.].
          expect(name).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
          expect(name).toHaveLength(REAPER_SCHEDULE_NAME_PATTERN.length);
          expect(reaperScheduleName(a) === reaperScheduleName(b)).toBe(a === b);
        },
      ),
    );
  });
});

describe('Function: atExpression', () => {
  it('writes at(yyyy-mm-ddThh:mm:ss) in UTC, rounded up to the second so it never fires before the lease ends', () => {
    // Assess
    expect(atExpression(Date.parse('2026-01-05T07:30:00.000Z'))).toBe('at(2026-01-05T07:30:00)');
    expect(atExpression(Date.parse('2026-01-05T07:30:00.001Z'))).toBe('at(2026-01-05T07:30:01)');
    expect(atExpression(Date.parse('2026-12-31T23:59:59.500Z'))).toBe('at(2027-01-01T00:00:00)');
    expect(() => atExpression(Number.NaN)).toThrow(RangeError);
  });
});
