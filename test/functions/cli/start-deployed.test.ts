import { setTimeout as sleep } from 'node:timers/promises';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteMessageCommand, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDynamoDbLedger } from '../../../functions/core/ledger/dynamodb-ledger.ts';
import { createRestoreService, type RestoreService } from '../../../functions/core/workflow/service.ts';
import { type LocalAws, peekMessages, startLocalAws } from '../../support/local-aws.ts';
import { type Fixture, fixture, GROUP, SOURCE, TARGET } from '../core/workflow/fakes.ts';
import { drain } from '../core/workflow/harness.ts';
import { runInProcess } from './run-cli.ts';
import { stackWithOutputs } from './stack-outputs.ts';

const STACK = 'AtlasRestoreOrchestrator';

/**
 * `atlas-restore start --stack NAME`: a restore started by hand goes through the deployed stack's queue and ledger
 * (fauxqs and dynalite here, CloudFormation mocked), so it lands in the same evidence as the drills.
 */
describe('CLI: atlas-restore start on the deployed stack', () => {
  let aws: LocalAws;
  let env: Record<string, string>;
  const cloudFormation = mockClient(CloudFormationClient);

  beforeAll(async () => {
    // The CLI runs in this process (for the CloudFormation mock): the SDK's credential chain reads process.env.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    aws = await startLocalAws({ prefix: 'deployed' });
    env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
    };
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    cloudFormation.restore();
    await aws.stop();
  });
  beforeEach(async () => {
    cloudFormation.reset();
    cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves(
      stackWithOutputs(STACK, {
        WorkQueueUrl: aws.workQueueUrl,
        WorkQueueArn: aws.workQueueArn,
        LedgerTableName: aws.tableName,
      }),
    );
    await aws.sqs.send(new PurgeQueueCommand({ QueueUrl: aws.workQueueUrl }));
  });

  /** The deployed function: its workflow on the stack's ledger (dynalite), Atlas faked, internal steps drained. */
  function deployedFunction(): { f: Fixture; service: RestoreService } {
    const f = fixture({ deps: { ledger: createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName }) } });
    return { f, service: createRestoreService(f.deps) };
  }

  /** Receives what the CLI sent to the work queue (waiting for it), runs it and its steps to the end. */
  async function runSentRequests({ f, service }: ReturnType<typeof deployedFunction>): Promise<number> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const { Messages = [] } = await aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: aws.workQueueUrl, MaxNumberOfMessages: 10 }),
      );
      for (const message of Messages) {
        await service.handleMessage(
          message.Body ?? '',
          { messageId: message.MessageId ?? '' },
          {
            deadline: Date.now() + 60_000,
          },
        );
        await aws.sqs.send(
          new DeleteMessageCommand({ QueueUrl: aws.workQueueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
      if (Messages.length > 0) {
        await drain(f, service);
        return Messages.length;
      }
      await sleep(100);
    }
    throw new Error('the CLI sent nothing');
  }

  const drill = (requestId: string, target = TARGET) => [
    'start',
    'automated',
    '--projectId',
    GROUP,
    '--clusterName',
    SOURCE,
    '--targetProjectId',
    GROUP,
    '--targetClusterName',
    target,
    '--requestId',
    requestId,
  ];

  it('sends the request to the stack found by name and follows its ledger to the outcome the function recorded', async () => {
    // Prepare
    const deployed = deployedFunction();

    // Act
    const run = runInProcess([...drill('by-hand-1'), '--stack', STACK, '--refreshSeconds', '0.1', '--json'], env);
    const received = await runSentRequests(deployed);
    const result = await run;

    // Assess
    expect(received).toBe(1);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ operationId: 'by-hand-1', outcome: 'succeeded' });
    expect(result.stderr).toMatch(
      /sent to the work queue of stack AtlasRestoreOrchestrator \(message [\w-]+, operation by-hand-1\)/,
    );
    expect(result.stderr).toContain('succeeded: restore job');
    expect(deployed.f.atlas.count('createRestoreJob')).toBe(1);
    expect(cloudFormation.commandCalls(DescribeStacksCommand, { StackName: STACK })).toHaveLength(1);
  });

  it('sends nothing for a requestId the stack already holds, and reports its outcome; history lists it', async () => {
    // Prepare
    const deployed = deployedFunction();
    const first = runInProcess([...drill('by-hand-2'), '--stack', STACK, '--refreshSeconds', '0.1'], env);
    await runSentRequests(deployed);
    await first;

    // Act
    const again = await runInProcess([...drill('by-hand-2'), '--stack', STACK, '--json'], env);
    const history = await runInProcess(['history', '--stack', STACK, '--json'], env);

    // Assess
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ operationId: 'by-hand-2', outcome: 'succeeded' });
    expect(again.stderr).toContain('operation by-hand-2 already finished (succeeded');
    expect(await peekMessages(aws.sqs, aws.workQueueUrl)).toEqual([]);
    expect(deployed.f.atlas.count('createRestoreJob')).toBe(1);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout).map((record: { operationId: string }) => record.operationId)).toContain(
      'by-hand-2',
    );
  });

  it('refuses a different request under a requestId the stack already holds, sending nothing', async () => {
    // Prepare
    const deployed = deployedFunction();
    const first = runInProcess([...drill('by-hand-3'), '--stack', STACK, '--refreshSeconds', '0.1'], env);
    await runSentRequests(deployed);
    await first;

    // Act
    const other = await runInProcess([...drill('by-hand-3', 'other-target'), '--stack', STACK], env);

    // Assess
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^atlas-restore: requestId by-hand-3 was already used for a different request/);
    expect(await peekMessages(aws.sqs, aws.workQueueUrl)).toEqual([]);
  });

  it('returns once sent with --no-watch, on a stack given by its queue and table (no CloudFormation)', async () => {
    // Act
    const result = await runInProcess(
      [...drill('by-hand-4'), '--queueUrl', aws.workQueueUrl, '--tableName', aws.tableName, '--no-watch', '--json'],
      env,
    );

    // Assess
    expect(result.code).toBe(0);
    const [message, ...others] = await peekMessages(aws.sqs, aws.workQueueUrl);
    expect(others).toEqual([]);
    expect(JSON.parse(result.stdout)).toEqual({
      operationId: 'by-hand-4',
      state: 'queued',
      messageId: message?.MessageId,
      queueUrl: aws.workQueueUrl,
    });
    expect(JSON.parse(message?.Body ?? '')).toMatchObject({ requestId: 'by-hand-4', targetClusterName: TARGET });
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('watch --stack follows an operation sent with --no-watch through the ledger to its outcome, telling its steps', async () => {
    // Prepare
    const deployed = deployedFunction();
    const sent = await runInProcess([...drill('by-hand-8'), '--stack', STACK, '--no-watch'], env);

    // Act
    const watching = runInProcess(['watch', 'by-hand-8', '--stack', STACK, '--refreshSeconds', '0.1', '--json'], env);
    await runSentRequests(deployed);
    const result = await watching;

    // Assess
    expect(sent.code).toBe(0);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ operationId: 'by-hand-8', outcome: 'succeeded' });
    expect(result.stderr).toMatch(/^\+[\d:]+ accepted: automated restore/m);
    expect(result.stderr).toContain('succeeded: restore job');
    expect(deployed.f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('watch follows an operation on ATLAS_RESTORE_STACK, printing its summary; watch JOB_ID --projectId stays a job watch', async () => {
    // Prepare
    const deployed = deployedFunction();
    const first = runInProcess([...drill('by-hand-9'), '--stack', STACK, '--refreshSeconds', '0.1'], env);
    await runSentRequests(deployed);
    await first;

    // Act
    const result = await runInProcess(['watch', 'by-hand-9'], { ...env, ATLAS_RESTORE_STACK: STACK });
    const job = await runInProcess(['watch', 'by-hand-9', '--projectId', GROUP, '--clusterName', SOURCE], {
      ...env,
      ATLAS_RESTORE_STACK: STACK,
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Operation\s+by-hand-9$/m);
    expect(result.stdout).toMatch(/^Outcome\s+succeeded$/m);
    expect(result.stdout).toMatch(/^RTO\s+/m);
    expect(job.code).toBe(2);
    expect(job.stderr).toContain('JOB_ID');
  });

  it('exits 1 naming the stack when CloudFormation does not know it', async () => {
    // Prepare
    cloudFormation
      .on(DescribeStacksCommand, { StackName: 'NoSuchStack' })
      .rejects(Object.assign(new Error('Stack with id NoSuchStack does not exist'), { name: 'ValidationError' }));

    // Act
    const result = await runInProcess([...drill('by-hand-5'), '--stack', 'NoSuchStack'], env);

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'atlas-restore: stack NoSuchStack was not found in us-east-1: check the name (ATLAS_RESTORE_STACK, --stack) and AWS_REGION\n',
    });
  });

  it('exits 1 when the stack lacks the outputs of an orchestrator', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: 'SomethingElse' }).resolves({
      Stacks: [{ StackName: 'SomethingElse', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });

    // Act
    const result = await runInProcess([...drill('by-hand-6'), '--stack', 'SomethingElse'], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stack SomethingElse has no output WorkQueueUrl or LedgerTableName');
  });

  it.for([
    [
      '--allowTarget',
      ['--stack', STACK, '--allowTarget', `${GROUP}/${TARGET}`],
      /--allowTarget: not with a deployed stack/,
    ],
    ['--ledger', ['--stack', STACK, '--ledger', 'l.db'], /--ledger: not with a deployed stack/],
    [
      '--queueUrl alone',
      ['--queueUrl', 'https://sqs.eu-west-1.amazonaws.com/1/q'],
      /--tableName: is required with --queueUrl/,
    ],
    ['--stack and --tableName', ['--stack', STACK, '--tableName', 'ledger'], /--stack: not with --tableName/],
    ['--refreshSeconds on this machine', ['--refreshSeconds', '1'], /--refreshSeconds: only with --stack/],
  ] as const)('exits 2 for %s', async ([, extra, message]) => {
    // Act
    const result = await runInProcess([...drill('by-hand-7'), ...extra], env);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
