import { ConflictException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createReaperSchedules,
  reaperScheduleName,
  reapMessageBody,
} from '../../functions/core/scheduler/reaper-schedules.ts';
import { SimulatedClock } from '../atlas-simulator/index.ts';
import { type LocalAws, peekMessages, startLocalAws } from './local-aws.ts';
import { type LocalScheduler, startLocalScheduler } from './local-scheduler.ts';

const GROUP = 'local-reapers';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/local-reaper';
const HOUR_MS = 3_600_000;

describe('Local model: EventBridge Scheduler one-off schedules (the reaper)', () => {
  let aws: LocalAws;
  let scheduler: LocalScheduler;
  // Frozen: only advance() moves it, as a drill's clock would pass the lease's end.
  const clock = new SimulatedClock({ start: Date.parse('2026-11-30T10:00:00Z'), scale: 0 });
  const clientConfig = () => ({
    endpoint: scheduler.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const reapers = () =>
    createReaperSchedules({
      groupName: GROUP,
      roleArn: ROLE_ARN,
      workQueueArn: aws.workQueueArn,
      deadLetterQueueArn: 'arn:aws:sqs:us-east-1:000000000000:local-scheduler-dlq',
      clientConfig: clientConfig(),
    });

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'local-scheduler' });
    scheduler = await startLocalScheduler({
      clock,
      sqs: aws.sqs,
      queueUrls: { [aws.workQueueArn]: aws.workQueueUrl },
    });
  });
  afterAll(async () => {
    await scheduler.close();
    await aws.stop();
  });

  it('fires at the at() time on the clock, sends the target input to the queue, and deletes itself', async () => {
    // Prepare
    await reapers().schedule('op-fires', clock.now() + HOUR_MS);

    // Act
    const early = await scheduler.fireDue();
    clock.advance(HOUR_MS);
    const due = await scheduler.fireDue();

    // Assess
    expect(early).toBe(0);
    expect(due).toBe(1);
    const messages = await peekMessages(aws.sqs, aws.workQueueUrl);
    expect(messages.map((message) => message.Body)).toEqual([reapMessageBody('op-fires')]);
    expect(scheduler.schedules().map((schedule) => schedule.name)).not.toContain(reaperScheduleName('op-fires'));
    // Gone after completion: cancelling it is no error.
    await expect(reapers().cancel('op-fires')).resolves.toBeUndefined();
  });

  it('answers a second create of the same name with ConflictException, which the adapter takes as its own', async () => {
    // Prepare
    const at = clock.now() + 2 * HOUR_MS;
    await reapers().schedule('op-twice', at);
    const raw = new SchedulerClient(clientConfig());

    // Act
    const again = reapers().schedule('op-twice', at);
    const { CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
    const direct = raw.send(
      new CreateScheduleCommand({
        Name: reaperScheduleName('op-twice'),
        GroupName: GROUP,
        ScheduleExpression: 'at(2026-12-01T00:00:00)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: aws.workQueueArn, RoleArn: ROLE_ARN, Input: '{}' },
      }),
    );

    // Assess
    const [ours, theirs] = await Promise.allSettled([again, direct]);
    expect(ours).toEqual({ status: 'fulfilled', value: undefined });
    expect(theirs.status === 'rejected' && theirs.reason).toBeInstanceOf(ConflictException);
    expect(scheduler.schedules().filter((schedule) => schedule.name === reaperScheduleName('op-twice'))).toHaveLength(
      1,
    );
    raw.destroy();
  });

  it('never fires a schedule cancelled before its time', async () => {
    // Prepare
    await reapers().schedule('op-cancelled', clock.now() + HOUR_MS);
    await reapers().cancel('op-cancelled');
    await peekMessages(aws.sqs, aws.workQueueUrl);

    // Act
    clock.advance(3 * HOUR_MS);
    await scheduler.fireDue();

    // Assess
    const bodies = (await peekMessages(aws.sqs, aws.workQueueUrl)).map((message) => message.Body);
    expect(bodies).not.toContain(reapMessageBody('op-cancelled'));
    expect(scheduler.schedules().map((schedule) => schedule.name)).not.toContain(reaperScheduleName('op-cancelled'));
  });

  it('refuses what it does not model (a rate expression), as a ValidationException', async () => {
    // Prepare
    const raw = new SchedulerClient(clientConfig());
    const { CreateScheduleCommand, ValidationException } = await import('@aws-sdk/client-scheduler');

    // Act
    const attempt = raw.send(
      new CreateScheduleCommand({
        Name: 'recurring',
        ScheduleExpression: 'rate(5 minutes)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: aws.workQueueArn, RoleArn: ROLE_ARN },
      }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ValidationException);
    raw.destroy();
  });
});
