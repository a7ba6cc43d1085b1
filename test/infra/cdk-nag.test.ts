import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyValidationReportJson } from '@aws-cdk/cloud-assembly-schema';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import type { OrchestratorConfigInput } from '../../infra/config.ts';
import { parseOrchestratorConfig } from '../../infra/config.ts';
import { RestoreOrchestratorStack } from '../../infra/restore-orchestrator-stack.ts';
import { sampleConfig, testApp } from './synth.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

/**
 * Synthesizes with the AwsSolutions pack as app.ts registers it and answers the validation report. cdk-nag 3 is a
 * policy validation plugin: findings go to validation-report.json (and errors also fail the synth), not annotations.
 */
function checkWithCdkNag(addStacks: (app: App) => Stack) {
  const outdir = mkdtempSync(join(tmpdir(), 'atlas-restore-nag-'));
  outdirs.push(outdir);
  const app = testApp(outdir);
  const stack = addStacks(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  let synthError: unknown;
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  const report: PolicyValidationReportJson = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  const nagReports = report.pluginReports.filter((plugin) => /AwsSolutions|Serverless/.test(plugin.pluginName));
  const findings = nagReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map((construct) => `${violation.ruleName} at ${construct.constructPath}`),
    ),
  );
  const acknowledged = nagReports.flatMap((plugin) => plugin.suppressedViolations ?? []);
  return { stack, synthError, report, nagReports, findings, acknowledged };
}

const FULL_CONFIG: OrchestratorConfigInput = {
  ...sampleConfig(),
  atlasSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:atlas/prod-AbC123',
  atlasSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  eventRule: { eventPattern: { source: ['ops.runbooks'] }, senders: ['210987654321'] },
  operatorPrincipals: ['arn:aws:iam::123456789012:role/dba'],
  alarmEmails: ['oncall@example.com'],
  reservedConcurrency: 5,
  removalPolicy: 'destroy',
  verification: {
    ...sampleConfig().verification,
    vpc: {
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      securityGroupIds: ['sg-0123456789abcdef0'],
    },
  },
};

describe('cdk-nag: AwsSolutionsChecks and ServerlessChecks', () => {
  it.each([
    ['the sample configuration', sampleConfig()],
    ['every option set', FULL_CONFIG],
    [
      'ephemeral drill targets (the reaper), with no acknowledgement of its own',
      {
        ...FULL_CONFIG,
        allowedDrillProjects: ['6a1b2c3d4e5f6a7b8c9d0e1f'],
        drillTierPricesUsdPerHour: { M10: 0.08 },
        drillMonthlyBudgetUsd: 25,
      },
    ],
  ])('finds nothing unacknowledged in the stack from %s, errors or warnings', { timeout: 120_000 }, (_case, input) => {
    // Act
    const { stack, synthError, report, nagReports, findings, acknowledged } = checkWithCdkNag(
      (app) => new RestoreOrchestratorStack(app, 'NagTest', { config: parseOrchestratorConfig(input) }),
    );

    // Assess
    expect(synthError).toBeUndefined();
    expect(findings).toEqual([]);
    expect(nagReports.flatMap((plugin) => plugin.violations)).toEqual([]);
    // Beyond cdk-nag, only the loud warning that no alarm reaches anyone (the sample configuration has no e-mail).
    expect(report.pluginReports.flatMap((plugin) => plugin.violations).map((violation) => violation.ruleName)).toEqual(
      input.alarmEmails?.length ? [] : ['Annotation::atlas-restore:no-alarm-destination'],
    );
    // The Serverless pack ran too: its findings are exactly those the stack acknowledges, each with its reason.
    expect(
      acknowledged
        .flatMap((finding) =>
          finding.violatingConstructs.map((construct) => `${finding.ruleName} at ${construct.constructPath}`),
        )
        .sort(),
    ).toEqual([
      // In a VPC only: Lambda's network interface permissions, which EC2 cannot scope further (vpc-placement.ts).
      ...(input.verification?.vpc
        ? [
            'Resource::*',
            'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*',
          ].flatMap((finding) =>
            ['HeartbeatWriter', 'Verifier'].map(
              (owner) => `AwsSolutions-IAM5[${finding}] at NagTest/${owner}/NetworkInterfaces/Resource`,
            ),
          )
        : []),
      'Serverless-LambdaDLQ at NagTest/DrillJudge/Handler/Resource',
      'Serverless-LambdaDLQ at NagTest/HeartbeatWriter/Handler/Resource',
      'Serverless-LambdaDLQ at NagTest/RestoreFunction/Handler/Resource',
      'Serverless-LambdaDLQ at NagTest/Verifier/Handler/Resource',
      expect.stringMatching(
        /^Serverless-LambdaEventSourceMappingDestination at NagTest\/RestoreFunction\/Handler\/SqsEventSource:.*\/Resource$/,
      ),
      expect.stringMatching(
        /^Serverless-LambdaEventSourceMappingDestination at NagTest\/Verifier\/Handler\/SqsEventSource:.*\/Resource$/,
      ),
      'Serverless-LambdaTracing at NagTest/DrillJudge/Handler/Resource',
      'Serverless-LambdaTracing at NagTest/HeartbeatWriter/Handler/Resource',
      'Serverless-LambdaTracing at NagTest/RestoreFunction/Handler/Resource',
      'Serverless-LambdaTracing at NagTest/Verifier/Handler/Resource',
      ...(input.alarmEmails?.length
        ? ['Serverless-SNSRedrivePolicy at NagTest/Monitoring/AlarmTopic/oncall@example.com/Resource']
        : []),
      'Serverless-SQSRedrivePolicy at NagTest/Verifier/Queues/DeadLetterQueue/Resource',
      'Serverless-SQSRedrivePolicy at NagTest/WorkQueues/DeadLetterQueue/Resource',
    ]);
    for (const finding of acknowledged) expect(finding.reason?.trim().length).toBeGreaterThan(40);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  it('does report a finding when there is one (the check is live)', () => {
    // Prepare
    const insecure = (app: App) => {
      const stack = new Stack(app, 'Insecure');
      new Queue(stack, 'PlainQueue');
      return stack;
    };

    // Act
    const { synthError, findings } = checkWithCdkNag(insecure);

    // Assess
    expect(synthError).toBeInstanceOf(Error);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AwsSolutions-SQS3 at .*PlainQueue/),
        expect.stringMatching(/^AwsSolutions-SQS4 at .*PlainQueue/),
        expect.stringMatching(/^Serverless-SQSRedrivePolicy at .*PlainQueue/),
      ]),
    );
  });
});
