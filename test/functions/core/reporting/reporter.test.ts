import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { workflowConfig } from '../../../../functions/core/config.ts';
import { createLogger, REDACTED, redactSecrets } from '../../../../functions/core/reporting/logger.ts';
import { createPowertoolsReporter, outcomeRecord } from '../../../../functions/core/reporting/reporter.ts';
import type { Operation } from '../../../../functions/core/workflow/operation.ts';
import { newOperation } from '../../../../functions/core/workflow/service.ts';
import { requests } from '../workflow/fakes.ts';

let lines: Record<string, unknown>[];

beforeEach(() => {
  lines = [];
  // Powertools writes warnings and errors to stderr, the rest (EMF included) to stdout: both reach CloudWatch.
  const capture = (chunk: unknown) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const T0 = Date.UTC(2026, 10, 28, 6, 0, 0);

function finished(overrides: Partial<Operation> = {}): Operation {
  return {
    ...newOperation({ ...requests.automated(), requestId: 'drill-2026-11-28' }, T0, workflowConfig(), 't'),
    snapshotId: '6650d1e2f3a4b5c6d7e8f9a0',
    snapshotAt: T0 - 3 * 3600_000,
    restoreJobId: '6650d1e2f3a4b5c6d7e8f9a1',
    submittedAt: T0 + 60_000,
    outcome: 'succeeded',
    outcomeReason: 'restore job completed',
    finishedAt: T0 + 300_000,
    rtoSeconds: 240,
    rpoSeconds: 10_800,
    polls: 5,
    atlasCalls: 9,
    ...overrides,
  };
}

const emf = () => lines.filter((line) => '_aws' in line);
const logs = () => lines.filter((line) => 'message' in line);

function reporter() {
  return createPowertoolsReporter({
    log: createLogger({ serviceName: 'atlas-restore-orchestrator' }),
    namespace: 'AtlasRestore',
    serviceName: 'atlas-restore-orchestrator',
  });
}

describe('Reporting: outcomes', () => {
  it('logs one structured line and emits the metrics with both dimension sets', () => {
    // Act
    reporter().outcome(finished());

    // Assess
    expect(logs()).toHaveLength(1);
    expect(logs()[0]).toMatchObject({
      level: 'INFO',
      message: 'restore outcome',
      outcome: 'succeeded',
      operationId: 'drill-2026-11-28',
      source: '5f1a2b3c4d5e6f7a8b9c0d1e/prod',
      target: '5f1a2b3c4d5e6f7a8b9c0d1e/dr-drill',
      rtoSeconds: 240,
      rpoSeconds: 10_800,
      polls: 5,
      atlasCalls: 9,
      requestedAt: '2026-11-28T06:00:00.000Z',
    });
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'AtlasRestore',
            Dimensions: [['service'], ['service', 'ProjectId', 'ClusterName']],
            Metrics: [
              { Name: 'RestoreSucceeded', Unit: 'Count' },
              { Name: 'RestoreDurationSeconds', Unit: 'Seconds' },
              { Name: 'SnapshotAgeSeconds', Unit: 'Seconds' },
            ],
          },
        ],
      },
      service: 'atlas-restore-orchestrator',
      ProjectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
      ClusterName: 'prod',
      RestoreSucceeded: 1,
      RestoreDurationSeconds: 240,
      SnapshotAgeSeconds: 10_800,
    });
  });

  it.each([
    ['failed', 'RestoreFailed'],
    ['cancelled', 'RestoreFailed'],
    ['expired', 'RestoreFailed'],
    ['timedOut', 'RestoreTimedOut'],
    ['refused', 'RestoreRefused'],
  ] as const)('counts a %s outcome as %s, at warn level', (outcome, metric) => {
    // Act
    reporter().outcome(finished({ outcome, errorCode: 'X' }));

    // Assess
    expect(logs()[0]).toMatchObject({ level: 'WARN', outcome, errorCode: 'X' });
    const aws = emf()[0]?._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } | undefined;
    const metrics = aws?.CloudWatchMetrics[0]?.Metrics;
    expect(metrics?.map((m) => m.Name)).toEqual([metric]);
  });

  it.each([
    ['pass', 'passed', 'VerificationPassed'],
    ['fail', 'failed', 'VerificationFailed'],
    ['unknown', 'unknown', 'VerificationUnknown'],
  ] as const)('carries a %s verification in the record and counts it, with the proven RPO', (verdict, word, metric) => {
    // Prepare
    const checks = [{ name: 'heartbeat-rpo', verdict, reason: 'newest heartbeat 42 s before the snapshot' }];
    const verification = {
      status: 'recorded' as const,
      requestedAt: T0 + 300_000,
      result: { verdict, checks, achievedRpoSeconds: 42, recordedAt: T0 + 400_000 },
    };

    // Act
    reporter().outcome(finished({ request: requests.automated({ verify: {} }), verification }));

    // Assess
    expect(logs()[0]).toMatchObject({ verification: word, achievedRpoSeconds: 42, verificationChecks: checks });
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['service'], ['service', 'ProjectId', 'ClusterName']] }] },
      [metric]: 1,
      AchievedRpoSeconds: 42,
      ProjectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
      ClusterName: 'prod',
    });
  });

  it('counts nothing for a dry run', () => {
    // Act
    reporter().outcome(finished({ outcome: 'dryRun', request: requests.automated({ dryRun: true }) }));

    // Assess
    expect(emf()).toEqual([]);
    expect(logs()[0]).toMatchObject({ outcome: 'dryRun', dryRun: true });
  });

  it('counts deferrals per cluster and rejections per service only', () => {
    // Act
    const report = reporter();
    const { outcome: _none, ...running } = finished({ deferAttempts: 2 });
    report.deferred(running, {
      code: 'TARGET_PAUSED',
      reason: 'paused',
      delaySeconds: 120,
    });
    report.rejected({
      body: '{',
      code: 'MALFORMED_JSON',
      origin: 'm-1',
      issues: [{ path: '(message)', rule: 'json', message: 'bad' }],
    });

    // Assess
    const [deferred, rejected] = emf();
    expect(deferred).toMatchObject({
      RestoreDeferred: 1,
      ProjectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
      ClusterName: 'prod',
      _aws: { CloudWatchMetrics: [{ Dimensions: [['service'], ['service', 'ProjectId', 'ClusterName']] }] },
    });
    expect(rejected).toMatchObject({
      RequestRejected: 1,
      _aws: { CloudWatchMetrics: [{ Dimensions: [['service']] }] },
    });
    expect(rejected).not.toHaveProperty('ClusterName');
    expect(logs().map((line) => line.message)).toEqual(['restore deferred', 'request rejected']);
  });

  it('keeps the record flat and free of the request’s absent fields', () => {
    // Act
    const record = outcomeRecord(finished({ request: requests.download() }));

    // Assess
    expect(record.target).toBeUndefined();
    expect(record.deliveryType).toBe('download');
  });
});

describe('Reporting: logger', () => {
  it('masks secret-looking keys at any depth', () => {
    // Act
    createLogger().info('credentials seen', {
      clientSecret: 's3cr3t',
      nested: { privateKey: 'k3y', authorization: 'Bearer x', deliveryUrl: ['https://dl/x'], publicKey: 'pub' },
    });

    // Assess
    const text = JSON.stringify(logs()[0]);
    expect(text).not.toMatch(/s3cr3t|k3y|Bearer x|https:\/\/dl/);
    expect(logs()[0]).toMatchObject({ clientSecret: REDACTED, nested: { privateKey: REDACTED, publicKey: 'pub' } });
    expect(redactSecrets('stepToken', 'abc')).toBe('abc');
  });
});
