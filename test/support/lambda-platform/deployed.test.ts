import { describe, expect, it } from 'vitest';
import { parseOrchestratorConfig } from '../../../infra/config.ts';
import { sampleConfig } from '../../infra/synth.ts';
import {
  deployedPlatform,
  deployedTemplate,
  platformFromTemplate,
  withoutRecursiveLoop,
  withProperties,
  workflowConfigOf,
} from './deployed.ts';

/** The platform model reads the synthesized template, not cdk.json nor a copy of its numbers. */
describe('Lambda platform: the settings as synthesized', () => {
  it('reads the function, its event source mapping and its queue from the template', () => {
    // Prepare
    const config = sampleConfig();

    // Act
    const platform = deployedPlatform();

    // Assess: the template's values, which the stack derives from cdk.json (the visibility timeout: 6 × the timeout).
    expect(platform).toMatchObject({
      function: { timeoutSeconds: config.timeoutSeconds, memorySize: config.memorySize, recursiveLoop: 'Allow' },
      eventSource: {
        batchSize: config.batchSize,
        maximumBatchingWindowSeconds: config.maxBatchingWindowSeconds,
        maximumConcurrency: config.maxConcurrency,
        reportBatchItemFailures: true,
      },
      workQueue: {
        visibilityTimeoutSeconds: 6 * (config.timeoutSeconds ?? 0) + (config.maxBatchingWindowSeconds ?? 0),
        maxReceiveCount: config.maxReceiveCount,
      },
    });
    expect([...platform.function.unresolvedEnvironment].sort()).toEqual([
      'DEAD_LETTER_QUEUE_URL',
      'LEDGER_TABLE_NAME',
      'VERIFICATION_QUEUE_URL',
      'WORK_QUEUE_URL',
    ]);
  });

  it('reads the verifier, its event source mapping and its queue, found through VERIFICATION_QUEUE_URL', () => {
    // Prepare
    const { verification } = parseOrchestratorConfig(sampleConfig());

    // Act
    const { verifier } = deployedPlatform();

    // Assess
    expect(verifier).toEqual({
      function: {
        timeoutSeconds: verification.timeoutSeconds,
        memorySize: verification.memorySize,
        recursiveLoop: 'Terminate',
        environment: expect.objectContaining({ VERIFIER_DATABASE_SECRET_ID: verification.databaseSecret }),
        unresolvedEnvironment: ['LEDGER_TABLE_NAME'],
      },
      eventSource: {
        batchSize: 1,
        maximumBatchingWindowSeconds: 0,
        maximumConcurrency: undefined,
        reportBatchItemFailures: true,
      },
      workQueue: { visibilityTimeoutSeconds: 6 * verification.timeoutSeconds, maxReceiveCount: 3 },
    });
  });

  it('reads the heartbeat writer’s schedule and function', () => {
    // Act
    const { heartbeatWriter } = deployedPlatform();

    // Assess
    expect(heartbeatWriter?.expression).toBe(parseOrchestratorConfig(sampleConfig()).verification.heartbeatRate);
    expect(heartbeatWriter?.function.environment).toMatchObject({ HEARTBEAT_COLLECTION: 'heartbeats' });
  });

  it('edits the verifier alone when asked to, and has no verifier when the restore function names no queue', () => {
    // Act
    const slower = platformFromTemplate(withProperties(deployedTemplate(), 'function', { Timeout: 7 }, 'verifier'));
    const template = deployedTemplate();
    const restore = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(resource.Properties?.Environment).includes('VERIFICATION_QUEUE_URL'),
    );
    const variables = (restore?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    if (variables !== undefined) delete variables.VERIFICATION_QUEUE_URL;

    // Assess
    expect(slower.verifier?.function.timeoutSeconds).toBe(7);
    expect(slower.function.timeoutSeconds).toBe(deployedPlatform().function.timeoutSeconds);
    expect(platformFromTemplate(template).verifier).toBeUndefined();
  });

  it("takes Lambda's default, Terminate, when the template has no RecursiveLoop", () => {
    // Act
    const platform = platformFromTemplate(withoutRecursiveLoop(deployedTemplate()));

    // Assess
    expect(platform.function.recursiveLoop).toBe('Terminate');
  });

  it('builds the workflow settings from the function environment', () => {
    // Prepare
    const environment = deployedPlatform().function.environment;

    // Act
    const config = workflowConfigOf(deployedPlatform(), { allowedTargets: ['0123456789abcdef01234567/target'] });

    // Assess
    expect(config).toMatchObject({
      claimLeaseSeconds: Number(environment.CLAIM_LEASE_SECONDS),
      pollMinDelaySeconds: Number(environment.POLL_MIN_DELAY_SECONDS),
      deferMaxAttempts: Number(environment.DEFER_MAX_ATTEMPTS),
    });
    expect([...config.allowedTargets]).toEqual(['0123456789abcdef01234567/target']);
  });

  it('names the resource and the property of a setting it cannot read', () => {
    // Act
    const read = () => platformFromTemplate(withProperties(deployedTemplate(), 'workQueue', { VisibilityTimeout: -1 }));

    // Assess
    expect(read).toThrow(expect.objectContaining({ code: 'PLATFORM_TEMPLATE_INVALID' }));
    expect(read).toThrow(/WorkQueues\w*\.Properties.*VisibilityTimeout/s);
  });
});
