import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrchestratorConfigInput } from '../../infra/config.ts';
import type { RestoreOrchestratorStack } from '../../infra/restore-orchestrator-stack.ts';
import { ACCOUNT, allowed, resolve } from './policy-evaluation.ts';
import { allow, rolePermissions, sampleConfig, sortPermissions, synthesize } from './synth.ts';

const DRILL_PROJECT = '6a1b2c3d4e5f6a7b8c9d0e1f';
const EPHEMERAL: OrchestratorConfigInput = {
  ...sampleConfig(),
  allowedDrillProjects: [DRILL_PROJECT],
  drillTierPricesUsdPerHour: { M10: 0.08, M30: 0.54 },
  drillMonthlyBudgetUsd: 25,
};

/**
 * Roles of the sample stack: the restore function, the drill schedules', the drill judge and its schedule, the
 * verifier, the heartbeat writer and its schedule.
 */
const ROLES_WITHOUT_DRILL_PROJECTS = 7;

/** `schedule/<group>/reap-` and one `?` per hex digit of the adapter's names. */
const REAPER_NAMES = `reap-${'?'.repeat(40)}`;

describe('Stack: RestoreOrchestratorStack, with ephemeral drill targets', () => {
  let stack: RestoreOrchestratorStack;
  let template: Template;
  const ref = (value: string) => stack.resolve(value);
  const reaper = () => {
    if (stack.reaper === undefined) throw new Error('the stack made no reaper');
    return stack.reaper;
  };

  // The first synthesis of a process loads aws-cdk-lib: 30 s and more on a loaded machine.
  beforeAll(() => {
    ({ stack, template } = synthesize(EPHEMERAL));
  }, 120_000);

  it('creates one schedule group for the reapers, and the reaper role', () => {
    // Assess
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResource('AWS::Scheduler::ScheduleGroup', {
      Properties: { Name: reaper().group.scheduleGroupName },
      DeletionPolicy: 'Retain',
    });
    // One role more than the stack has without drill projects: the reaper's (the sample's others are the functions'
    // and the schedules').
    const reaperRoles = template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('reaper') },
    });
    expect(Object.keys(reaperRoles)).toHaveLength(1);
    expect(Object.keys(template.findResources('AWS::IAM::Role'))).toHaveLength(ROLES_WITHOUT_DRILL_PROJECTS + 1);
  });

  it('lets Scheduler assume the reaper role only for this account’s reaper group', () => {
    // Act
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('reaper') },
    });

    // Assess
    expect(Object.values(roles).map((role) => role.Properties.AssumeRolePolicyDocument.Statement)).toEqual([
      [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': ref(reaper().group.scheduleGroupArn),
            },
          },
        },
      ],
    ]);
    expect(Object.values(roles)[0]?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('lets the reaper role send to the work queue (and its dead-letter queue), nothing else', () => {
    // Act
    const permissions = rolePermissions(template, ref(reaper().role.roleName));

    // Assess
    expect(permissions).toEqual(
      sortPermissions([
        ...allow(['sqs:SendMessage'], ref(stack.queues.queue.queueArn)),
        ...allow(['sqs:SendMessage'], ref(stack.queues.deadLetterQueue.queueArn)),
      ]),
    );
  });

  it('lets the function set, read and cancel reaper schedules of the reaper group only, and pass the reaper role to Scheduler only', () => {
    // Act
    const permissions = rolePermissions(template, ref(stack.restoreFunction.function.role?.roleName ?? '')).filter(
      ({ action }) => /^(scheduler|iam):/.test(action),
    );

    // Assess
    const schedules = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':scheduler:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:schedule/${reaper().group.scheduleGroupName}/${REAPER_NAMES}`,
        ],
      ],
    };
    expect(permissions).toEqual(
      sortPermissions([
        ...allow(['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule'], schedules),
        ...allow(['iam:PassRole'], ref(reaper().role.roleArn), {
          StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
        }),
      ]),
    );
  });

  it('admits the reaper role among the work queue’s senders', () => {
    // Prepare
    const statements = Object.values(template.findResources('AWS::SQS::QueuePolicy'))
      .filter(
        (policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([ref(stack.queues.queue.queueUrl)]),
      )
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const as = (principalArn: string) =>
      allowed(statements, { principalArn, identityAllows: true, action: 'sqs:SendMessage' });

    // Assess
    expect(as(resolve(ref(reaper().role.roleArn)) as string)).toBe(true);
    expect(as(`arn:aws:iam::${ACCOUNT}:role/Administrator`)).toBe(false);
  });

  it('gives the function the drill projects, the tier prices, the budget and the reaper’s names', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ALLOWED_DRILL_PROJECTS: DRILL_PROJECT,
          DRILL_TIER_PRICES: JSON.stringify({ M10: 0.08, M30: 0.54 }),
          DRILL_MONTHLY_BUDGET_USD: '25',
          REAPER_SCHEDULE_GROUP: reaper().group.scheduleGroupName,
          REAPER_ROLE_ARN: ref(reaper().role.roleArn),
          WORK_QUEUE_ARN: ref(stack.queues.queue.queueArn),
          DEAD_LETTER_QUEUE_ARN: ref(stack.queues.deadLetterQueue.queueArn),
        }),
      },
    });
  });

  it.each(['EphemeralClusterLeftover', 'EphemeralDeleteRefused'])('alarms on any %s, to the topic', (metricName) => {
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
      AlarmActions: [ref(stack.monitoring.topic.topicArn)],
      OKActions: [ref(stack.monitoring.topic.topicArn)],
    });
  });
});

describe('Stack: RestoreOrchestratorStack, without drill projects', () => {
  it('makes no reaper: no schedule group, no Scheduler permission, no ephemeral settings, no ephemeral alarms', {
    timeout: 120_000,
  }, () => {
    // Act
    const { stack, template } = synthesize(sampleConfig());

    // Assess
    expect(stack.reaper).toBeUndefined();
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    const functionPermissions = rolePermissions(
      template,
      stack.resolve(stack.restoreFunction.function.role?.roleName ?? ''),
    );
    expect(functionPermissions.filter(({ action }) => /^(scheduler|iam):/.test(action))).toEqual([]);
    const [fn] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ ATLAS_SECRET_ID: Match.anyValue() }) } },
      }),
    );
    expect(Object.keys(fn?.Properties.Environment.Variables ?? {})).not.toContain('REAPER_SCHEDULE_GROUP');
    expect(Object.keys(fn?.Properties.Environment.Variables ?? {})).not.toContain('ALLOWED_DRILL_PROJECTS');
    for (const metricName of ['EphemeralClusterLeftover', 'EphemeralDeleteRefused']) {
      expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } })).toEqual({});
    }
  });
});
