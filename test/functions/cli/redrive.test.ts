import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runInProcess } from './run-cli.ts';
import { stackWithOutputs } from './stack-outputs.ts';

const STACK = 'AtlasRestoreOrchestrator';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:dlq';
const WORK_ARN = 'arn:aws:sqs:eu-west-1:123456789012:work';

/** `atlas-restore redrive`: the stack's DLQ back to its work queue (SQS and CloudFormation mocked: fauxqs has no move tasks). */
describe('CLI: atlas-restore redrive', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  const sqs = mockClient(SQSClient);
  const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

  beforeAll(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    cloudFormation.restore();
    sqs.restore();
  });
  beforeEach(() => {
    cloudFormation.reset();
    sqs.reset();
    cloudFormation
      .on(DescribeStacksCommand, { StackName: STACK })
      .resolves(
        stackWithOutputs(STACK, { DeadLetterQueueUrl: DLQ_URL, DeadLetterQueueArn: DLQ_ARN, WorkQueueArn: WORK_ARN }),
      );
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
  });

  it('moves the DLQ to the work queue named explicitly, for the stack in ATLAS_RESTORE_STACK', async () => {
    // Act
    const result = await runInProcess(['redrive', '--json'], { ...env, ATLAS_RESTORE_STACK: STACK });

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      stack: STACK,
      deadLetterQueueUrl: DLQ_URL,
      messages: 3,
      moving: true,
      taskHandle: 'task-1',
    });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((call) => call.args[0].input)).toEqual([
      { SourceArn: DLQ_ARN, DestinationArn: WORK_ARN },
    ]);
  });

  it('moves nothing with --dry-run, and says how to look first', async () => {
    // Act
    const result = await runInProcess(['redrive', '--stack', STACK, '--dry-run'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Messages +3\nMove task +not started \(--dry-run\)\nLook at why each is there first: aws sqs receive-message --queue-url https:\/\/sqs/,
    );
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('needs a stack', async () => {
    const result = await runInProcess(['redrive'], env);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/--stack: is required \(or set ATLAS_RESTORE_STACK\)/);
  });
});
