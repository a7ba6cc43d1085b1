import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalAws, peekMessages, startLocalAws } from '../../support/local-aws.ts';
import { runInProcess } from './run-cli.ts';
import { stackWithOutputs } from './stack-outputs.ts';

const STACK = 'AtlasRestoreOrchestrator';
const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const DRILL = ['automated', '--projectId', GROUP, '--clusterName', 'prod', '--targetProjectId', GROUP];

/** `--stack NAME` and ATLAS_RESTORE_STACK name the deployed stack for enqueue and history too (CloudFormation mocked). */
describe('CLI: the deployed stack by name', () => {
  let aws: LocalAws;
  let env: Record<string, string>;
  const cloudFormation = mockClient(CloudFormationClient);

  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    aws = await startLocalAws({ prefix: 'by-name' });
    env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
      HOME: '/nonexistent',
    };
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    cloudFormation.restore();
    await aws.stop();
  });
  beforeEach(async () => {
    cloudFormation.reset();
    cloudFormation
      .on(DescribeStacksCommand, { StackName: STACK })
      .resolves(stackWithOutputs(STACK, { WorkQueueUrl: aws.workQueueUrl, LedgerTableName: aws.tableName }));
    await aws.sqs.send(new PurgeQueueCommand({ QueueUrl: aws.workQueueUrl }));
  });

  it.each([
    ['--stack', [`--stack`, STACK], {}],
    ['ATLAS_RESTORE_STACK', [], { ATLAS_RESTORE_STACK: STACK }],
  ])('enqueue sends to the stack named by %s', async (_name, flags, extra) => {
    // Act
    const result = await runInProcess(
      ['enqueue', ...DRILL, '--targetClusterName', 'dr-1', '--requestId', 'by-name-1', ...flags, '--json'],
      { ...env, ...extra },
    );

    // Assess
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ operationId: 'by-name-1', queueUrl: aws.workQueueUrl });
    const sent = await peekMessages(aws.sqs, aws.workQueueUrl);
    expect(sent.map((message) => JSON.parse(message.Body ?? '{}').requestId)).toEqual(['by-name-1']);
  });

  it('enqueue refuses --stack with --queueUrl', async () => {
    const result = await runInProcess(
      ['enqueue', ...DRILL, '--targetClusterName', 'dr-1', '--stack', STACK, '--queueUrl', aws.workQueueUrl],
      env,
    );
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/--stack: not with --queueUrl/);
  });

  it('history reads the table of the stack named by ATLAS_RESTORE_STACK', async () => {
    // Act
    const result = await runInProcess(['history', '--json'], { ...env, ATLAS_RESTORE_STACK: STACK });

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('refuses a malformed ATLAS_RESTORE_STACK as a usage error', async () => {
    const result = await runInProcess(['history'], { ...env, ATLAS_RESTORE_STACK: 'not a stack' });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/ATLAS_RESTORE_STACK: must be a CloudFormation stack name/);
  });
});
