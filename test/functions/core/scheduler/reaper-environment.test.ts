import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../functions/core/lambda-environment.ts';
import { reaperSettingsFromEnvironment } from '../../../../functions/core/scheduler/reaper-environment.ts';

const COMPLETE = {
  REAPER_SCHEDULE_GROUP: 'AtlasRestoreOrchestratorReaperGroup1A2B3C4D',
  REAPER_ROLE_ARN: 'arn:aws:iam::123456789012:role/AtlasRestoreOrchestrator-ReaperRole-1A2B3C',
  WORK_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:AtlasRestoreOrchestrator-WorkQueues-1A2B',
  DEAD_LETTER_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:AtlasRestoreOrchestrator-DeadLetter-1A2B',
};

describe('Function: reaperSettingsFromEnvironment', () => {
  it('reads the reaper group, role and queues the stack sets', () => {
    // Act
    const settings = reaperSettingsFromEnvironment({ ...COMPLETE, ATLAS_SECRET_ID: 'x' });

    // Assess
    expect(settings).toEqual({
      groupName: COMPLETE.REAPER_SCHEDULE_GROUP,
      roleArn: COMPLETE.REAPER_ROLE_ARN,
      workQueueArn: COMPLETE.WORK_QUEUE_ARN,
      deadLetterQueueArn: COMPLETE.DEAD_LETTER_QUEUE_ARN,
    });
  });

  it('is absent when the stack set none (no ephemeral drill targets), blank ones included', () => {
    // Assess
    expect(reaperSettingsFromEnvironment({})).toBeUndefined();
    expect(reaperSettingsFromEnvironment({ REAPER_SCHEDULE_GROUP: ' ' })).toBeUndefined();
  });

  it('names each variable missing or bad, never its value', () => {
    // Act
    let error: unknown;
    try {
      reaperSettingsFromEnvironment({
        ...COMPLETE,
        REAPER_ROLE_ARN: 'secret-looking-value',
        WORK_QUEUE_ARN: undefined,
      });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['REAPER_ROLE_ARN', 'WORK_QUEUE_ARN']);
    expect((error as ConfigError).message).toMatch(
      /REAPER_ROLE_ARN: must be an IAM role ARN; WORK_QUEUE_ARN: is required/,
    );
    expect((error as ConfigError).message).not.toContain('secret-looking-value');
  });
});
