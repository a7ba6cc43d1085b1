import { CfnResource, TagManager } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrchestratorConfigInput } from '../../infra/config.ts';
import type { RestoreOrchestratorStack } from '../../infra/restore-orchestrator-stack.ts';
import { ACCOUNT, allowed, type Request, resolve } from './policy-evaluation.ts';
import { allow, rolePermissions, sampleConfig, sortPermissions, synthesize } from './synth.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:atlas/prod-AbC123';
const SECRET_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_ACCOUNT = '210987654321';
const APP_ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/order-service`;
const OPERATOR_SSO = 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DbaOperators_*';
const OPERATOR_ELSEWHERE = `arn:aws:iam::${OTHER_ACCOUNT}:role/dr-runbook`;

/** The statements of the resource policies on one resource (a queue policy, or the bus's policies). */
function queueStatements(template: Template, queueRef: unknown): unknown[] {
  return Object.values(template.findResources('AWS::SQS::QueuePolicy'))
    .filter((policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([queueRef]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The drill schedules: those that send to a queue (the judge's and the heartbeat writer's invoke a function). */
function drillSchedules(template: Template) {
  return template.findResources('AWS::Scheduler::Schedule', {
    Properties: { Target: { Input: Match.stringLikeRegexp('requestId') } },
  });
}

function busStatements(template: Template): unknown[] {
  return Object.values(template.findResources('AWS::Events::EventBus')).flatMap(
    (bus) => bus.Properties.Policy?.Statement ?? [],
  );
}

/** The callers every access test asks about. */
function callers(stack: RestoreOrchestratorStack) {
  const arn = (token: string) => resolve(stack.resolve(token)) as string;
  const [schedule] = stack.triggers.schedules.values();
  const scheduleTarget = stack.resolve((schedule?.node.defaultChild as CfnSchedule | undefined)?.target);
  const role = (principalArn: string): Omit<Request, 'action'> => ({ principalArn, identityAllows: true });
  return {
    function: role(arn(stack.restoreFunction.function.role?.roleArn ?? '')),
    schedules: role(resolve(scheduleTarget?.roleArn) as string),
    rule: {
      service: 'events.amazonaws.com',
      sourceArn: arn(stack.triggers.rule?.ruleArn ?? ''),
      identityAllows: false,
    },
    anotherRule: {
      service: 'events.amazonaws.com',
      sourceArn: `arn:aws:events:eu-west-1:${ACCOUNT}:rule/someone-elses`,
      identityAllows: false,
    },
    accountAdmin: role(`arn:aws:iam::${ACCOUNT}:role/Administrator`),
    otherRoleHere: role(`arn:aws:iam::${ACCOUNT}:role/ci-deployer`),
    ssoOperator: role(
      `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DbaOperators_0a1b2c3d`,
    ),
    operatorElsewhere: role(OPERATOR_ELSEWHERE),
    appElsewhere: role(APP_ROLE),
    anyoneElsewhere: role(`arn:aws:iam::${OTHER_ACCOUNT}:role/intern`),
    stranger: role('arn:aws:iam::999999999999:role/anyone'),
  };
}

describe('Stack: RestoreOrchestratorStack, from the sample configuration in cdk.json', () => {
  let stack: RestoreOrchestratorStack;
  let template: Template;
  const ref = (value: string) => stack.resolve(value);

  beforeAll(() => {
    ({ stack, template } = synthesize(sampleConfig()));
  });

  it('creates each resource once, and no secret', () => {
    // Assess
    const counts: Record<string, number> = {
      // The restore function, the drill judge, the verifier and the heartbeat writer.
      'AWS::Lambda::Function': 4,
      'AWS::Lambda::EventSourceMapping': 2,
      'AWS::Logs::LogGroup': 4,
      'AWS::SQS::Queue': 4,
      'AWS::SQS::QueuePolicy': 4,
      'AWS::DynamoDB::GlobalTable': 1,
      'AWS::Scheduler::Schedule': 3,
      'AWS::Events::Rule': 1,
      'AWS::Events::EventBus': 1,
      'AWS::Events::EventBusPolicy': 0,
      'AWS::IAM::Role': 7,
      'AWS::IAM::Policy': 7,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::TopicPolicy': 1,
      'AWS::SNS::Subscription': 0,
      'AWS::KMS::Key': 1,
      'AWS::CloudWatch::Alarm': 12,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::SecretsManager::Secret': 0,
    };
    for (const [type, count] of Object.entries(counts)) template.resourceCountIs(type, count);
  });

  describe('the function', () => {
    it('runs the ESM bundle on Node.js 24, arm64, with memory, timeout and JSON logs to its own log group', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 60,
        LoggingConfig: {
          LogFormat: 'JSON',
          ApplicationLogLevel: 'INFO',
          SystemLogLevel: 'INFO',
          LogGroup: ref(stack.restoreFunction.logGroup.logGroupName),
        },
        ReservedConcurrentExecutions: Match.absent(),
      });
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 365 },
        DeletionPolicy: 'Retain',
      });
    });

    it('lets the function run in an SQS -> Lambda -> SQS loop: its poll chain is intended, and bounded by the workflow', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', { RecursiveLoop: 'Allow' });
    });

    it('gets exactly the environment of the contract with functions/core/config.ts', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectEquals({
            ATLAS_SECRET_ID: 'atlas-restore/atlas-api',
            WORK_QUEUE_URL: ref(stack.queues.queue.queueUrl),
            DEAD_LETTER_QUEUE_URL: ref(stack.queues.deadLetterQueue.queueUrl),
            LEDGER_TABLE_NAME: ref(stack.ledger.table.tableName),
            ALLOWED_TARGETS: `${GROUP}/dr-drill`,
            SOURCE_OVERWRITE_ALLOWED: '',
            ALLOWED_SOURCES: `${GROUP}/prod`,
            DOWNLOAD_ALLOWED_SOURCES: '',
            POLL_MIN_DELAY_SECONDS: '60',
            POLL_MAX_DELAY_SECONDS: '900',
            DEFER_MAX_ATTEMPTS: '12',
            DEFAULT_MAX_WAIT_MINUTES: '720',
            CANCEL_ON_TIMEOUT: 'false',
            LEDGER_RETENTION_DAYS: '400',
            CLAIM_LEASE_SECONDS: '90',
            VERIFICATION_QUEUE_URL: ref(stack.verifier?.queues.queue.queueUrl ?? ''),
            VERIFY_MAX_MINUTES: '30',
            POWERTOOLS_SERVICE_NAME: 'atlas-restore-orchestrator',
            POWERTOOLS_METRICS_NAMESPACE: 'AtlasRestore',
            // No --enable-source-maps: it cost ~14 ms of every cold start; logged stacks are mapped on first use.
          }),
        },
      });
    });

    it('consumes the work queue with partial batch responses, the batch size and a concurrency cap', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: ref(stack.queues.queue.queueArn),
        FunctionName: ref(stack.restoreFunction.function.functionName),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: Match.absent(),
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    });

    it('has a role of its own, with no managed policy', () => {
      // Assess
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        },
        ManagedPolicyArns: Match.absent(),
        Description: Match.stringLikeRegexp('Atlas restore handler'),
      });
    });

    it('may do exactly what the workflow does, each on its own resource', () => {
      // Prepare
      const workQueueArn = ref(stack.queues.queue.queueArn);
      const deadLetterQueueArn = ref(stack.queues.deadLetterQueue.queueArn);
      const secretArn = {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':secretsmanager:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':secret:atlas-restore/atlas-api-??????',
          ],
        ],
      };

      // Act
      const permissions = rolePermissions(template, ref(stack.restoreFunction.function.role?.roleName ?? ''));

      // Assess
      expect(permissions).toEqual(
        sortPermissions([
          ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], ref(stack.restoreFunction.logGroup.logGroupArn)),
          ...allow(
            [
              'sqs:ReceiveMessage',
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              'sqs:SendMessage',
            ],
            workQueueArn,
          ),
          ...allow(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], secretArn),
          ...allow(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], deadLetterQueueArn),
          ...allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], ref(stack.ledger.table.tableArn)),
          ...allow(['sqs:SendMessage'], ref(stack.verifier?.queues.queue.queueArn ?? '')),
        ]),
      );
    });
  });

  describe('the queues', () => {
    it('keeps work invisible for six function timeouts, long-polls, and dead-letters after maxReceiveCount', () => {
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 360,
        ReceiveMessageWaitTimeSeconds: 20,
        MessageRetentionPeriod: 4 * 24 * 3600,
        RedrivePolicy: { deadLetterTargetArn: ref(stack.queues.deadLetterQueue.queueArn), maxReceiveCount: 5 },
      });
    });

    it('keeps dead letters 14 days, encrypted', () => {
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        RedrivePolicy: Match.absent(),
      });
    });

    it.each(['queue', 'deadLetterQueue'] as const)('refuses any request to the %s without TLS', (which) => {
      // Assess
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack.queues[which].queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Resource: ref(stack.queues[which].queueArn),
            },
          ]),
        },
      });
    });

    it('lets only the restore rule send events to the work queue and its dead-letter queue', () => {
      // Prepare
      const fromTheRule = { ArnEquals: { 'aws:SourceArn': ref(stack.triggers.rule?.ruleArn ?? '') } };

      // Assess
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack.queues.queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*' }),
            {
              Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
              Condition: fromTheRule,
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Resource: ref(stack.queues.queue.queueArn),
            },
            Match.objectLike({ Sid: 'DenySendersNotListed' }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack.queues.deadLetterQueue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectLike({ Effect: 'Deny' }),
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Condition: fromTheRule,
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Resource: ref(stack.queues.deadLetterQueue.queueArn),
            }),
          ]),
        },
      });
    });
  });

  describe('who may start a restore', () => {
    it('lets only the function, the schedules and the restore rule send to the work queue: no operator is listed', () => {
      // Prepare
      const who = callers(stack);
      const statements = queueStatements(template, ref(stack.queues.queue.queueUrl));
      const send = (caller: Omit<Request, 'action'>) => allowed(statements, { ...caller, action: 'sqs:SendMessage' });

      // Assess
      expect(send(who.function)).toBe(true);
      expect(send(who.schedules)).toBe(true);
      expect(send(who.rule)).toBe(true);
      expect(send(who.anotherRule)).toBe(false);
      expect(send(who.accountAdmin)).toBe(false);
      expect(send(who.otherRoleHere)).toBe(false);
      expect(send(who.ssoOperator)).toBe(false);
    });

    it('denies only sqs:SendMessage: the event source still receives and deletes, administrators still manage', () => {
      // Prepare
      const who = callers(stack);
      const statements = queueStatements(template, ref(stack.queues.queue.queueUrl));

      // Assess
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
        expect(allowed(statements, { ...who.function, action })).toBe(true);
      }
      for (const action of ['sqs:SetQueueAttributes', 'sqs:GetQueueAttributes', 'sqs:PurgeQueue']) {
        expect(allowed(statements, { ...who.accountAdmin, action })).toBe(true);
      }
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack.queues.queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'DenySendersNotListed',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'sqs:SendMessage',
              Resource: ref(stack.queues.queue.queueArn),
              Condition: {
                ArnNotLike: {
                  'aws:PrincipalArn': [ref(stack.restoreFunction.function.role?.roleArn ?? ''), Match.anyValue()],
                },
                ArnNotEquals: { 'aws:SourceArn': [ref(stack.triggers.rule?.ruleArn ?? '')] },
              },
            },
          ]),
        },
      });
    });

    it('creates its own restore bus, on which nobody may put events until senders or operators are listed', () => {
      // Prepare
      const who = callers(stack);
      const put = (caller: Omit<Request, 'action'>) =>
        allowed(busStatements(template), { ...caller, action: 'events:PutEvents' });

      // Assess
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'Test-restore-requests' });
      template.hasResourceProperties('AWS::Events::EventBus', {
        Policy: {
          Statement: [
            {
              Sid: 'DenyEveryoneElse',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'events:PutEvents',
              Resource: Match.anyValue(),
            },
          ],
        },
      });
      expect(put(who.accountAdmin)).toBe(false);
      expect(put(who.function)).toBe(false);
    });

    it('alarms on any refused request', () => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Test-RestoreRefused',
        Namespace: 'AtlasRestore',
        MetricName: 'RestoreRefused',
        Dimensions: [{ Name: 'service', Value: 'atlas-restore-orchestrator' }],
        Statistic: 'Sum',
        Period: 300,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(stack.monitoring.topic.topicArn)],
      });
    });

    it('tags every resource that takes tags with the project, the stack and what manages it', () => {
      // Act
      const taggable = stack.node
        .findAll()
        .filter((construct): construct is CfnResource => CfnResource.isCfnResource(construct))
        .flatMap((resource): { resource: CfnResource; tags: TagManager }[] => {
          if (TagManager.isTaggable(resource)) return [{ resource, tags: resource.tags }];
          if (TagManager.isTaggableV2(resource)) return [{ resource, tags: resource.cdkTagManager }];
          return [];
        });

      // Assess
      expect(taggable.map(({ resource }) => resource.cfnResourceType)).toEqual(
        expect.arrayContaining([
          'AWS::SQS::Queue',
          'AWS::Lambda::Function',
          'AWS::Lambda::EventSourceMapping',
          'AWS::IAM::Role',
          'AWS::Events::EventBus',
          'AWS::Events::Rule',
          'AWS::SNS::Topic',
          'AWS::KMS::Key',
          'AWS::CloudWatch::Alarm',
          'AWS::Logs::LogGroup',
        ]),
      );
      for (const { resource, tags } of taggable) {
        expect({ path: resource.node.path, tags: tags.tagValues() }).toEqual({
          path: resource.node.path,
          tags: { project: 'atlas-restore-orchestrator', stack: 'Test', 'managed-by': 'cdk' },
        });
      }
      template.hasResourceProperties('AWS::SQS::Queue', {
        Tags: Match.arrayWith([{ Key: 'project', Value: 'atlas-restore-orchestrator' }]),
      });
    });
  });

  describe('the ledger', () => {
    it('is the table of the ledger contract: pk, TTL expiresAt, GSI byCluster (clusterKey, requestedAt)', () => {
      // Assess
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'clusterKey', AttributeType: 'S' },
          { AttributeName: 'requestedAt', AttributeType: 'S' },
        ]),
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byCluster',
            KeySchema: [
              { AttributeName: 'clusterKey', KeyType: 'HASH' },
              { AttributeName: 'requestedAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      });
    });

    it('is kept as audit evidence: retained, protected from deletion, recoverable to a point in time', () => {
      // Assess
      template.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          Replicas: [
            Match.objectLike({
              DeletionProtectionEnabled: true,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            }),
          ],
        },
      });
    });
  });

  describe('the triggers', () => {
    it('schedules the weekly drill in its time zone, on time, with retries and the dead-letter queue', () => {
      // Assess
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 3 ? * MON *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: ref(stack.queues.queue.queueArn),
          DeadLetterConfig: { Arn: ref(stack.queues.deadLetterQueue.queueArn) },
          RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200 },
          RoleArn: Match.anyValue(),
        },
      });
    });

    it('sends the drill request with a requestId made of the drill name and the scheduled time', () => {
      // Act
      const [schedule] = Object.values(drillSchedules(template));
      const input = JSON.parse(schedule?.Properties.Target.Input);

      // Assess
      expect(input).toEqual({
        groupId: GROUP,
        clusterName: 'prod',
        deliveryType: 'automated',
        snapshotId: 'latest',
        targetGroupId: GROUP,
        targetClusterName: 'dr-drill',
        maxWaitMinutes: 720,
        requestId: 'weekly-prod-drill-<aws.scheduler.scheduled-time>',
      });
    });

    it('runs schedules under a role that may only send to the work queue and its dead-letter queue', () => {
      // Prepare
      const [schedule] = Object.values(drillSchedules(template));
      const roleLogicalId = schedule?.Properties.Target.RoleArn['Fn::GetAtt'][0];
      const role = template.findResources('AWS::IAM::Role')[roleLogicalId];

      // Act
      const permissions = rolePermissions(template, { Ref: roleLogicalId });

      // Assess
      expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': expect.objectContaining({ 'Fn::Join': expect.anything() }),
            },
          },
        },
      ]);
      expect(JSON.stringify(role?.Properties.AssumeRolePolicyDocument)).toContain(':schedule-group/default');
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      expect(permissions).toEqual(
        sortPermissions([
          ...allow(['sqs:SendMessage'], ref(stack.queues.queue.queueArn)),
          ...allow(['sqs:SendMessage'], ref(stack.queues.deadLetterQueue.queueArn)),
        ]),
      );
    });

    it('routes restore events from the stack’s own bus to the work queue, with retries and the dead-letter queue', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: ref(stack.eventBus?.bus.eventBusName ?? ''),
        EventPattern: { source: ['atlas-restore-orchestrator'], 'detail-type': ['Restore Requested'] },
        State: 'ENABLED',
        Targets: [
          {
            Arn: ref(stack.queues.queue.queueArn),
            Id: Match.anyValue(),
            DeadLetterConfig: { Arn: ref(stack.queues.deadLetterQueue.queueArn) },
            RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200 },
          },
        ],
      });
    });
  });

  describe('the alarms', () => {
    const topic = () => [ref(stack.monitoring.topic.topicArn)];

    it('raises one when a message is dead-lettered', () => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Test-DeadLetters',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: ref(stack.queues.deadLetterQueue.queueName) }],
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        AlarmActions: topic(),
      });
    });

    it.each(['RestoreFailed', 'RestoreTimedOut'])('raises one on any %s of the service', (metricName) => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `Test-${metricName}`,
        Namespace: 'AtlasRestore',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'atlas-restore-orchestrator' }],
        Statistic: 'Sum',
        Period: 300,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: topic(),
      });
    });

    it.each(['Errors', 'Throttles'])('raises one on function %s', (metricName) => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack.restoreFunction.function.functionName) }],
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmActions: topic(),
      });
    });

    it('raises one per drill on its last run failed or missed, keeps that state between runs, and clears on a pass', () => {
      // Assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Test-Drill-weekly-prod-drill',
        Namespace: 'AtlasRestore',
        MetricName: 'DrillRunNotPassed',
        Dimensions: Match.arrayEquals([
          { Name: 'ClusterName', Value: 'prod' },
          { Name: 'Drill', Value: 'weekly-prod-drill' },
          { Name: 'ProjectId', Value: GROUP },
          { Name: 'service', Value: 'atlas-restore-orchestrator' },
        ]),
        Statistic: 'Maximum',
        Period: 900,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'ignore',
        AlarmActions: topic(),
        OKActions: topic(),
      });
    });

    it('sends every alarm, and its return to OK, to the topic', () => {
      // Assess
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(12);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual(topic());
        expect(alarm.Properties.OKActions).toEqual(topic());
      }
    });

    it('raises one when the drill judge fails, and one when it stops running', () => {
      // Assess
      const judge = ref(stack.drillJudge?.function.functionName ?? '');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Test-DrillJudgeErrors',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: judge }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Test-DrillJudgeSilent',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: judge }],
        Period: 3600,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 2,
        TreatMissingData: 'breaching',
      });
    });

    it('warns loudly at synth that no alarm reaches anyone', () => {
      // Assess
      Annotations.fromStack(stack).hasWarning(
        '/Test/Monitoring',
        Match.stringLikeRegexp('NO ALARM DESTINATION: no alarmEmails and no alarmTopicArn'),
      );
    });

    it('notifies through a topic encrypted with a rotated key that CloudWatch may use, TLS only', () => {
      // Assess
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: ref(stack.monitoring.topic.masterKey?.keyArn ?? ''),
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Resource: '*',
            },
          ]),
        },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: topic(),
        PolicyDocument: {
          Statement: Match.arrayEquals([
            {
              Sid: 'AllowPublishThroughSSLOnly',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: '*',
              Resource: topic()[0],
            },
            {
              Sid: 'AllowAlarmsOfThisAccount',
              Action: 'sns:Publish',
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': Match.anyValue() },
              },
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Resource: topic()[0],
            },
          ]),
        },
      });
    });
  });

  describe('the drill judge', () => {
    it('runs its own bundle every 15 minutes, with the enabled drills as its input', () => {
      // Assess
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [stack.getLogicalId(stack.drillJudge?.function.node.defaultChild as never), 'Arn'] },
          Input: JSON.stringify({
            drills: [
              {
                name: 'weekly-prod-drill',
                expression: 'cron(0 3 ? * MON *)',
                timeZone: 'Europe/Paris',
                maxWaitMinutes: 720,
                request: sampleConfig().schedules?.[0]?.request,
              },
            ],
          }),
        }),
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: 'Gives every DR drill run a verdict: passed, failed or missed',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        ReservedConcurrentExecutions: 1,
        LoggingConfig: Match.objectLike({ LogGroup: ref(stack.drillJudge?.logGroup.logGroupName ?? '') }),
        Environment: {
          Variables: {
            LEDGER_TABLE_NAME: ref(stack.ledger.table.tableName),
            LEDGER_RETENTION_DAYS: '400',
            DRILL_EVENT_BUS_NAME: 'default',
            POWERTOOLS_SERVICE_NAME: 'atlas-restore-orchestrator',
            POWERTOOLS_METRICS_NAMESPACE: 'AtlasRestore',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    });

    it('is invoked by Scheduler under a role that may invoke the judge only', () => {
      // Assess
      const [judgeSchedule] = Object.values(
        template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'rate(15 minutes)' } }),
      );
      const roleArn = judgeSchedule?.Properties.Target.RoleArn as { 'Fn::GetAtt': [string, string] };
      expect(rolePermissions(template, { Ref: roleArn['Fn::GetAtt'][0] })).toEqual(
        allow(['lambda:InvokeFunction'], ref(stack.drillJudge?.function.functionArn ?? '')),
      );
    });

    it('may read operations, write verdicts and put events on the default bus, nothing else', () => {
      // Assess
      const table = ref(stack.ledger.table.tableArn);
      expect(rolePermissions(template, ref(stack.drillJudge?.function.role?.roleName ?? ''))).toEqual(
        sortPermissions([
          ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], ref(stack.drillJudge?.logGroup.logGroupArn ?? '')),
          ...allow(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
          ...allow(['dynamodb:Query'], { 'Fn::Join': ['', [table, '/index/byCluster']] }),
          ...allow(['events:PutEvents'], {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':events:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':event-bus/default',
              ],
            ],
          }),
        ]),
      );
    });
  });

  it('draws outcomes, RTO and RPO per cluster, and every alarm on the dashboard', () => {
    // Act
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    // Assess
    for (const metricName of ['RestoreDurationSeconds', 'SnapshotAgeSeconds', 'RestoreSucceeded']) {
      expect(body).toContain(
        `SEARCH('{AtlasRestore,ClusterName,ProjectId,service} MetricName=\\\\\\"${metricName}\\\\\\" service=\\\\\\"atlas-restore-orchestrator\\\\\\"'`,
      );
    }
    for (const metricName of [
      'RestoreFailed',
      'RestoreTimedOut',
      'RestoreRefused',
      'RequestRejected',
      'RestoreDeferred',
    ]) {
      expect(body).toContain(metricName);
    }
    for (const metricName of ['DrillPassed', 'DrillFailed', 'DrillMissed']) {
      expect(body).toContain(
        `SEARCH('{AtlasRestore,ClusterName,Drill,ProjectId,service} MetricName=\\\\\\"${metricName}\\\\\\" service=\\\\\\"atlas-restore-orchestrator\\\\\\"'`,
      );
    }
    expect(body.match(/"Arn"\]/g)?.length ?? 0).toBeGreaterThanOrEqual(8);
    expect(dashboard?.Properties.DashboardName).toEqual({ 'Fn::Join': ['', ['Test-', { Ref: 'AWS::Region' }]] });
  });

  it('exports the queue URLs and ARNs, the table name, the dashboard and the alarm topic', () => {
    // Assess
    template.hasOutput('WorkQueueUrl', { Value: ref(stack.queues.queue.queueUrl) });
    template.hasOutput('WorkQueueArn', { Value: ref(stack.queues.queue.queueArn) });
    template.hasOutput('DeadLetterQueueUrl', { Value: ref(stack.queues.deadLetterQueue.queueUrl) });
    template.hasOutput('DeadLetterQueueArn', { Value: ref(stack.queues.deadLetterQueue.queueArn) });
    template.hasOutput('LedgerTableName', { Value: ref(stack.ledger.table.tableName) });
    template.hasOutput('DashboardName', { Value: ref(stack.monitoring.dashboard.dashboardName) });
    template.hasOutput('AlarmTopicArn', { Value: ref(stack.monitoring.topic.topicArn) });
  });
});

describe('Stack: RestoreOrchestratorStack, with every option set', () => {
  let stack: RestoreOrchestratorStack;
  let template: Template;
  const ref = (value: string) => stack.resolve(value);
  const input: OrchestratorConfigInput = {
    ...sampleConfig(),
    atlasSecret: SECRET_ARN,
    atlasSecretKmsKeyArn: SECRET_KEY_ARN,
    atlasBaseUrl: 'https://cloud.mongodbgov.com',
    allowedTargets: [`${GROUP}/dr-drill`, `${GROUP}/prod`],
    sourceOverwriteAllowed: [`${GROUP}/prod`],
    schedules: [
      ...(sampleConfig().schedules ?? []),
      {
        name: 'daily-download',
        expression: 'rate(1 day)',
        request: { groupId: GROUP, clusterName: 'orders', deliveryType: 'download' },
      },
      {
        name: 'paused-drill',
        expression: 'rate(12 hours)',
        enabled: false,
        request: { groupId: GROUP, clusterName: 'billing', deliveryType: 'download' },
      },
    ],
    eventRule: {
      eventPattern: { source: ['ops.runbooks'], detail: { action: ['restore'] } },
      senders: [OTHER_ACCOUNT, APP_ROLE],
    },
    allowedSources: [`${GROUP}/*`],
    downloadAllowedSources: [`${GROUP}/orders`, `${GROUP}/billing`],
    operatorPrincipals: [OPERATOR_SSO, OPERATOR_ELSEWHERE],
    alarmEmails: ['oncall@example.com', 'dba@example.com'],
    alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:team-chat',
    drillEventBusName: 'operations',
    memorySize: 1024,
    timeoutSeconds: 120,
    logLevel: 'DEBUG',
    logRetentionDays: 90,
    maxConcurrency: null,
    reservedConcurrency: 3,
    batchSize: 50,
    maxBatchingWindowSeconds: 5,
    maxReceiveCount: 3,
    pollMinDelaySeconds: 30,
    pollMaxDelaySeconds: 600,
    deferMaxAttempts: 4,
    defaultMaxWaitMinutes: 240,
    cancelOnTimeout: true,
    ledgerRetentionDays: 30,
    removalPolicy: 'destroy',
  };

  beforeAll(() => {
    ({ stack, template } = synthesize(input));
  });

  it('sizes the function and its event source from the configuration', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 120,
      ReservedConcurrentExecutions: 3,
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'DEBUG' }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: Match.absent(),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 120 + 5,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('passes the guardrails and timings to the function', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ATLAS_SECRET_ID: SECRET_ARN,
          ATLAS_BASE_URL: 'https://cloud.mongodbgov.com',
          ALLOWED_TARGETS: `${GROUP}/dr-drill,${GROUP}/prod`,
          SOURCE_OVERWRITE_ALLOWED: `${GROUP}/prod`,
          POLL_MIN_DELAY_SECONDS: '30',
          POLL_MAX_DELAY_SECONDS: '600',
          DEFER_MAX_ATTEMPTS: '4',
          DEFAULT_MAX_WAIT_MINUTES: '240',
          CANCEL_ON_TIMEOUT: 'true',
          LEDGER_RETENTION_DAYS: '30',
          CLAIM_LEASE_SECONDS: '150',
        }),
      },
    });
  });

  it('reads the secret by its ARN and decrypts it with its key only through Secrets Manager', () => {
    // Act
    const permissions = rolePermissions(template, ref(stack.restoreFunction.function.role?.roleName ?? ''));
    const onSecret = permissions.filter(({ action }) => /^(secretsmanager|kms):/.test(action));

    // Assess
    expect(onSecret).toEqual(
      sortPermissions([
        ...allow(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], SECRET_ARN),
        ...allow(['kms:Decrypt'], SECRET_KEY_ARN, {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        }),
      ]),
    );
  });

  it('lets the ledger, its log group and the alarm key go with the stack', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: { Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] },
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  it('schedules every drill, disabled ones too, with an input for each', () => {
    // Assess
    template.resourceCountIs('AWS::Scheduler::Schedule', 4);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: Match.objectLike({
        Input: JSON.stringify({
          groupId: GROUP,
          clusterName: 'orders',
          deliveryType: 'download',
          requestId: 'daily-download-<aws.scheduler.scheduled-time>',
        }),
      }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(12 hours)',
      State: 'DISABLED',
    });
  });

  it('watches and judges enabled drills only, each on its own verdicts', () => {
    // Assess
    // The verifier's two, not the heartbeat writer's: allowedSources is groupId/* only, so heartbeats go nowhere.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-Drill-daily-download',
      MetricName: 'DrillRunNotPassed',
      Dimensions: Match.arrayWith([
        { Name: 'ClusterName', Value: 'orders' },
        { Name: 'Drill', Value: 'daily-download' },
        { Name: 'ProjectId', Value: GROUP },
      ]),
    });
    expect(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'Test-Drill-paused-drill' } }),
    ).toEqual({});
    const [judgeSchedule] = Object.values(
      template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'rate(15 minutes)' } }),
    );
    const judged = JSON.parse(judgeSchedule?.Properties.Target.Input).drills.map((d: { name: string }) => d.name);
    expect(judged).toEqual(['weekly-prod-drill', 'daily-download']);
  });

  it('sends every alarm and its return to OK to the configured topic too, and warns of nothing', () => {
    // Assess
    const destinations = [ref(stack.monitoring.topic.topicArn), 'arn:aws:sns:eu-west-1:123456789012:team-chat'];
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual(destinations);
      expect(alarm.Properties.OKActions).toEqual(destinations);
    }
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('NO ALARM DESTINATION'))).toEqual([]);
  });

  it('lets the judge put its verdict events on the configured bus only', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DRILL_EVENT_BUS_NAME: 'operations' }) },
    });
    const permissions = rolePermissions(template, ref(stack.drillJudge?.function.role?.roleName ?? ''));
    expect(permissions.filter((p) => p.action === 'events:PutEvents')).toEqual([
      {
        action: 'events:PutEvents',
        resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':events:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':event-bus/operations',
            ],
          ],
        },
      },
    ]);
  });

  it('listens on the stack’s bus with the configured pattern', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(stack.eventBus?.bus.eventBusName ?? ''),
      EventPattern: { source: ['ops.runbooks'], detail: { action: ['restore'] } },
    });
  });

  it('lets the listed operator roles send to the work queue, wildcards and other accounts included, and no one else', () => {
    // Prepare
    const who = callers(stack);
    const statements = queueStatements(template, ref(stack.queues.queue.queueUrl));
    const send = (caller: Omit<Request, 'action'>) => allowed(statements, { ...caller, action: 'sqs:SendMessage' });

    // Assess
    expect(send(who.ssoOperator)).toBe(true);
    expect(send(who.operatorElsewhere)).toBe(true);
    expect(send(who.function)).toBe(true);
    expect(send(who.schedules)).toBe(true);
    expect(send(who.rule)).toBe(true);
    expect(send(who.accountAdmin)).toBe(false);
    expect(send(who.otherRoleHere)).toBe(false);
    expect(send(who.appElsewhere)).toBe(false);
    expect(send(who.stranger)).toBe(false);
  });

  it('lets the listed senders and the operators put events on the restore bus, and no one else', () => {
    // Prepare
    const who = callers(stack);
    const put = (caller: Omit<Request, 'action'>) =>
      allowed(busStatements(template), { ...caller, action: 'events:PutEvents' });

    // Assess
    expect(put(who.appElsewhere)).toBe(true);
    expect(put(who.anyoneElsewhere)).toBe(true); // the whole account is a sender
    expect(put(who.ssoOperator)).toBe(true);
    expect(put(who.operatorElsewhere)).toBe(true);
    expect(put(who.accountAdmin)).toBe(false);
    expect(put(who.otherRoleHere)).toBe(false);
    expect(put(who.stranger)).toBe(false);
    template.hasOutput('RestoreEventBusName', { Value: ref(stack.eventBus?.bus.eventBusName ?? '') });
    template.hasOutput('RestoreEventBusArn', { Value: ref(stack.eventBus?.bus.eventBusArn ?? '') });
  });

  it('passes the source allow-list and the download opt-in to the function', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ALLOWED_SOURCES: `${GROUP}/*`,
          DOWNLOAD_ALLOWED_SOURCES: `${GROUP}/orders,${GROUP}/billing`,
        }),
      },
    });
  });

  it('subscribes each alarm e-mail', () => {
    // Assess
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const email of ['oncall@example.com', 'dba@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: ref(stack.monitoring.topic.topicArn),
      });
    }
  });
});

describe('Stack: RestoreOrchestratorStack, with monthly and quarterly drills', () => {
  it('synthesizes them, judges them and alarms on each', () => {
    // Prepare
    const [weekly] = sampleConfig().schedules ?? [];
    if (weekly === undefined) throw new Error('cdk.json must ship a sample schedule');

    // Act
    const { template } = synthesize({
      ...sampleConfig(),
      alarmEmails: ['oncall@example.com'],
      schedules: [
        { ...weekly, name: 'monthly-prod', expression: 'cron(0 3 L * ? *)' },
        { ...weekly, name: 'quarterly-prod', expression: 'cron(0 4 1 1/3 ? *)' },
      ],
    });

    // Assess
    for (const expression of ['cron(0 3 L * ? *)', 'cron(0 4 1 1/3 ? *)']) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: expression });
    }
    for (const name of ['monthly-prod', 'quarterly-prod']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `Test-Drill-${name}`,
        MetricName: 'DrillRunNotPassed',
        TreatMissingData: 'ignore',
      });
    }
    const [judgeSchedule] = Object.values(
      template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'rate(15 minutes)' } }),
    );
    expect(JSON.parse(judgeSchedule?.Properties.Target.Input).drills).toMatchObject([
      { name: 'monthly-prod', expression: 'cron(0 3 L * ? *)' },
      { name: 'quarterly-prod', expression: 'cron(0 4 1 1/3 ? *)' },
    ]);
  });
});

describe('Stack: RestoreOrchestratorStack, judging verified drills with an ephemeral target', () => {
  it('gives the judge the time the run may take: maxWait, the verification wait and the cluster hold', () => {
    // Prepare
    const [weekly] = sampleConfig().schedules ?? [];
    if (weekly === undefined) throw new Error('cdk.json must ship a sample schedule');
    const { targetGroupId: _group, targetClusterName: _cluster, ...request } = weekly.request;

    // Act
    const { template } = synthesize({
      ...sampleConfig(),
      allowedDrillProjects: ['6a1b2c3d4e5f6a7b8c9d0e1f'],
      drillTierPricesUsdPerHour: { M10: 0.08 },
      verification: { ...sampleConfig().verification, verifyMaxMinutes: 45 },
      schedules: [
        {
          ...weekly,
          request: {
            ...request,
            verify: {},
            ephemeralTarget: { groupId: '6a1b2c3d4e5f6a7b8c9d0e1f', holdMinutes: 120 },
          },
        },
      ],
    });

    // Assess: a run that holds its cluster two hours after a 45-minute verification is not missed before then.
    const [judgeSchedule] = Object.values(
      template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'rate(15 minutes)' } }),
    );
    expect(JSON.parse(judgeSchedule?.Properties.Target.Input).drills).toMatchObject([
      { name: 'weekly-prod-drill', maxWaitMinutes: 720 + 45 + 120 },
    ]);
  });
});

describe('Stack: RestoreOrchestratorStack, without an event rule', () => {
  it('creates no rule, and no queue permission for EventBridge', () => {
    // Act
    const { template } = synthesize({
      ...sampleConfig(),
      eventRule: null,
      schedules: [],
      verification: { enabled: false },
    });

    // Assess
    template.resourceCountIs('AWS::Events::Rule', 0);
    // No drills, no judge either.
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(JSON.stringify(template.findResources('AWS::SQS::QueuePolicy'))).not.toContain('events.amazonaws.com');
  });
});

describe('Stack: RestoreOrchestratorStack, verified drills (the sample configuration)', () => {
  let stack: RestoreOrchestratorStack;
  let template: Template;
  const ref = (value: string) => stack.resolve(value);
  const secretArn = (name: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':secretsmanager:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:secret:${name}-??????`,
      ],
    ],
  });
  const readSecret = (name: string) =>
    allow(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], secretArn(name));

  beforeAll(() => {
    ({ stack, template } = synthesize(sampleConfig()));
  });

  const verifier = () => {
    if (stack.verifier === undefined) throw new Error('the sample configuration must turn verification on');
    return stack.verifier;
  };
  const heartbeatWriter = () => {
    if (stack.heartbeatWriter === undefined) throw new Error('the sample configuration must write heartbeats');
    return stack.heartbeatWriter;
  };

  it('runs the verifier’s own bundle on Node.js 24, arm64, with its memory, timeout and environment', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Verifies restored Atlas clusters'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 120,
      VpcConfig: Match.absent(),
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: ref(verifier().logGroup.logGroupName) }),
      Environment: {
        Variables: Match.objectEquals({
          LEDGER_TABLE_NAME: ref(stack.ledger.table.tableName),
          ATLAS_SECRET_ID: 'atlas-restore/atlas-api',
          VERIFIER_DATABASE_SECRET_ID: 'atlas-restore/verifier-db',
          POWERTOOLS_SERVICE_NAME: 'atlas-restore-orchestrator',
          POWERTOOLS_METRICS_NAMESPACE: 'AtlasRestore',
        }),
      },
    });
  });

  it('feeds the verifier one message at a time from its own queue, with partial batch responses', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(verifier().queues.queue.queueArn),
      FunctionName: ref(verifier().function.functionName),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * 120,
      RedrivePolicy: { deadLetterTargetArn: ref(verifier().queues.deadLetterQueue.queueArn), maxReceiveCount: 3 },
    });
    for (const queue of [verifier().queues.queue, verifier().queues.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('lets only the restore function send to the verification queue', () => {
    // Prepare
    const who = callers(stack);
    const statements = queueStatements(template, ref(verifier().queues.queue.queueUrl));
    const send = (caller: Omit<Request, 'action'>) => allowed(statements, { ...caller, action: 'sqs:SendMessage' });
    const verifierRole = resolve(ref(verifier().function.role?.roleArn ?? '')) as string;

    // Assess
    expect(send(who.function)).toBe(true);
    expect(send({ principalArn: verifierRole, identityAllows: true })).toBe(false);
    expect(send(who.schedules)).toBe(false);
    expect(send(who.accountAdmin)).toBe(false);
    expect(send(who.rule)).toBe(false);
    expect(allowed(statements, { ...who.function, action: 'sqs:ReceiveMessage' })).toBe(true);
  });

  it('gives the verifier exactly its log group, its queue, both secrets, and read and update of ledger items', () => {
    // Act
    const permissions = rolePermissions(template, ref(verifier().function.role?.roleName ?? ''));

    // Assess
    expect(permissions).toEqual(
      sortPermissions([
        ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], ref(verifier().logGroup.logGroupArn)),
        ...allow(
          [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueUrl',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
          ],
          ref(verifier().queues.queue.queueArn),
        ),
        ...readSecret('atlas-restore/atlas-api'),
        ...readSecret('atlas-restore/verifier-db'),
        ...allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], ref(stack.ledger.table.tableArn)),
      ]),
    );
  });

  it('deploys the verifier without a database secret when drills verify with temporary users: no such secret in its environment or its role', () => {
    // Prepare
    const base = sampleConfig();
    const { stack: bare, template: bareTemplate } = synthesize({
      ...base,
      verification: { ...base.verification, databaseSecret: undefined },
    });
    const bareVerifier = bare.verifier;
    if (bareVerifier === undefined) throw new Error('verification is on: the verifier must be deployed');

    // Act
    const permissions = rolePermissions(bareTemplate, bare.resolve(bareVerifier.function.role?.roleName ?? ''));

    // Assess
    bareTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Verifies restored Atlas clusters'),
      Environment: { Variables: Match.objectLike({ VERIFIER_DATABASE_SECRET_ID: Match.absent() }) },
    });
    expect(permissions).toEqual(expect.arrayContaining(readSecret('atlas-restore/atlas-api')));
    expect(permissions).not.toEqual(expect.arrayContaining(readSecret('atlas-restore/verifier-db')));
  });

  it('writes heartbeats every minute on the allowed sources through the writer’s own bundle', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Writes RPO heartbeats into each drilled source cluster',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 1,
      LoggingConfig: Match.objectLike({ LogGroup: ref(heartbeatWriter().logGroup.logGroupName) }),
      Environment: {
        Variables: Match.objectEquals({
          ATLAS_SECRET_ID: 'atlas-restore/atlas-api',
          HEARTBEAT_DATABASE_SECRET_ID: 'atlas-restore/heartbeat-db',
          HEARTBEAT_SOURCES: `${GROUP}/prod`,
          HEARTBEAT_DATABASE: 'atlas_restore',
          HEARTBEAT_COLLECTION: 'heartbeats',
          POWERTOOLS_SERVICE_NAME: 'atlas-restore-orchestrator',
          POWERTOOLS_METRICS_NAMESPACE: 'AtlasRestore',
        }),
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: ref(heartbeatWriter().function.functionArn),
        RoleArn: Match.anyValue(),
        Input: JSON.stringify({ scheduledAt: '<aws.scheduler.scheduled-time>' }),
        DeadLetterConfig: { Arn: ref(verifier().queues.deadLetterQueue.queueArn) },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
      },
    });
  });

  it('runs the heartbeat schedule under a role that may invoke the writer and dead-letter, nothing else', () => {
    // Prepare
    const [schedule] = Object.values(
      template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'rate(1 minute)' } }),
    );
    const roleLogicalId = schedule?.Properties.Target.RoleArn['Fn::GetAtt'][0];

    // Assess
    expect(template.findResources('AWS::IAM::Role')[roleLogicalId]?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    expect(rolePermissions(template, { Ref: roleLogicalId })).toEqual(
      sortPermissions([
        ...allow(['lambda:InvokeFunction'], ref(heartbeatWriter().function.functionArn)),
        ...allow(['sqs:SendMessage'], ref(verifier().queues.deadLetterQueue.queueArn)),
      ]),
    );
  });

  it('gives the heartbeat writer exactly its log group and the two secrets: no ledger, no queue', () => {
    // Assess
    expect(rolePermissions(template, ref(heartbeatWriter().function.role?.roleName ?? ''))).toEqual(
      sortPermissions([
        ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], ref(heartbeatWriter().logGroup.logGroupArn)),
        ...readSecret('atlas-restore/atlas-api'),
        ...readSecret('atlas-restore/heartbeat-db'),
      ]),
    );
  });

  it.each([
    ['VerifierErrors', 'AWS/Lambda', 'Errors', () => verifier().function.functionName, 'FunctionName'],
    [
      'VerificationDeadLetters',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      () => verifier().queues.deadLetterQueue.queueName,
      'QueueName',
    ],
    ['HeartbeatWriterErrors', 'AWS/Lambda', 'Errors', () => heartbeatWriter().function.functionName, 'FunctionName'],
  ])('raises %s to the topic', (name, namespace, metricName, dimension, dimensionName) => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `Test-${name}`,
      Namespace: namespace,
      MetricName: metricName,
      Dimensions: [{ Name: dimensionName, Value: ref(dimension()) }],
      AlarmActions: [ref(stack.monitoring.topic.topicArn)],
      OKActions: [ref(stack.monitoring.topic.topicArn)],
    });
  });
});

describe('Stack: RestoreOrchestratorStack, verified drills in a VPC, with a KMS-encrypted Atlas secret', () => {
  const vpc = {
    vpcId: 'vpc-0123456789abcdef0',
    subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
    securityGroupIds: ['sg-0123456789abcdef0'],
  };

  it('places both functions in the subnets with the security groups, after their network permissions', () => {
    // Act
    const { stack, template } = synthesize({
      ...sampleConfig(),
      atlasSecretKmsKeyArn: SECRET_KEY_ARN,
      verification: { ...sampleConfig().verification, vpc },
    });

    // Assess
    const ec2 = (resource: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ec2:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:${resource}`,
        ],
      ],
    });
    for (const owner of [stack.verifier, stack.heartbeatWriter]) {
      const fn = owner?.function;
      const logicalId = stack.getLogicalId(fn?.node.defaultChild as CfnResource);
      const resource = template.findResources('AWS::Lambda::Function')[logicalId];
      expect(resource?.Properties.VpcConfig).toEqual({
        SubnetIds: vpc.subnetIds,
        SecurityGroupIds: vpc.securityGroupIds,
      });
      const permissions = rolePermissions(template, stack.resolve(fn?.role?.roleName));
      expect(permissions.filter(({ action }) => /^(ec2|kms):/.test(action))).toEqual(
        sortPermissions([
          ...allow(['ec2:CreateNetworkInterface'], ec2('network-interface/*')),
          ...vpc.subnetIds.map((id) => ({ action: 'ec2:CreateNetworkInterface', resource: ec2(`subnet/${id}`) })),
          ...allow(['ec2:CreateNetworkInterface'], ec2(`security-group/${vpc.securityGroupIds[0]}`)),
          ...allow(
            ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
            ec2('network-interface/*'),
          ),
          ...allow(['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], '*'),
          ...allow(['kms:Decrypt'], SECRET_KEY_ARN, {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
            },
          }),
        ]),
      );
      const policyId = Object.keys(template.findResources('AWS::IAM::Policy')).find((id) =>
        id.startsWith(`${logicalId.startsWith('Verifier') ? 'Verifier' : 'HeartbeatWriter'}NetworkInterfaces`),
      );
      expect(template.toJSON().Resources[logicalId].DependsOn).toContain(policyId);
    }
    // The restore function stays outside: it only calls Atlas and AWS APIs.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Restores MongoDB Atlas'),
      VpcConfig: Match.absent(),
    });
  });
});

describe('Stack: RestoreOrchestratorStack, verification off', () => {
  it('creates no verifier, no heartbeat writer, and gives the restore function no verification queue', () => {
    // Act
    const { stack, template } = synthesize({ ...sampleConfig(), verification: { enabled: false } });

    // Assess
    expect(stack.verifier).toBeUndefined();
    expect(stack.heartbeatWriter).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/VERIFICATION_QUEUE_URL|VERIFY_MAX_MINUTES/);
  });

  it('writes no heartbeats when verification.heartbeatSources is empty, but still verifies', () => {
    // Act
    const { stack } = synthesize({
      ...sampleConfig(),
      verification: { ...sampleConfig().verification, heartbeatSources: [] },
    });

    // Assess
    expect(stack.verifier).toBeDefined();
    expect(stack.heartbeatWriter).toBeUndefined();
  });
});
