import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { narrateSteps } from '../../../functions/cli/operation-narrative.ts';
import { stateOf, writeOperation } from '../../../functions/cli/operation-report.ts';
import { workflowConfig } from '../../../functions/core/config.ts';
import type { Operation } from '../../../functions/core/workflow/operation.ts';
import { newOperation } from '../../../functions/core/workflow/service.ts';
import { requests } from '../core/workflow/fakes.ts';

const T0 = Date.UTC(2026, 10, 28, 6, 0, 0);
const JOB = '6940a1b2c3d4e5f6a7b8c9d0';

const submitted: Operation = {
  ...newOperation({ ...requests.automated({ verify: {} }), requestId: 'drill-1' }, T0, workflowConfig(), 't0'),
  step: 3,
  restoreJobId: JOB,
  submittedAt: T0 + 60_000,
  snapshotId: '693f9a8b7c6d5e4f3a2b1c0d',
  snapshotAt: T0 - 3_600_000,
  polls: 2,
};
const restoreEnd = { outcome: 'succeeded' as const, reason: `restore job ${JOB} completed`, finishedAt: T0 + 300_000 };
const ended: Operation = {
  ...submitted,
  step: 4,
  polls: 3,
  restoreEnd,
  pending: { kind: 'verify', dueAt: T0 + 300_000 },
};
const verifying: Operation = { ...ended, step: 5, verification: { status: 'pending', requestedAt: T0 + 301_000 } };
const checks = [
  { name: 'heartbeat-rpo', verdict: 'pass' as const, reason: 'newest heartbeat 42 s before the snapshot' },
  { name: 'count:shop.orders', verdict: 'fail' as const, reason: '812 documents, the source had 1000 (tolerance 5 %)' },
];
const finished: Operation = {
  ...verifying,
  step: 6,
  outcome: 'succeeded',
  outcomeReason: restoreEnd.reason,
  finishedAt: restoreEnd.finishedAt,
  verification: {
    status: 'recorded',
    requestedAt: T0 + 301_000,
    result: { verdict: 'fail', checks, achievedRpoSeconds: 42, recordedAt: T0 + 400_000 },
  },
};

describe('CLI: the operation narrative of a verified restore', () => {
  it('tells the restore end, the verification request, then the outcome with each check', () => {
    // Act
    const lines = [
      ...narrateSteps(submitted, ended, T0 + 300_000),
      ...narrateSteps(ended, verifying, T0 + 301_000),
      ...narrateSteps(verifying, finished, T0 + 400_000),
    ];

    // Assess
    expect(lines).toEqual([
      `restore ended: succeeded: restore job ${JOB} completed`,
      'verification requested: the verifier is checking the restored cluster',
      `succeeded: restore job ${JOB} completed`,
      'verification failed: count:shop.orders (812 documents, the source had 1000 (tolerance 5 %))',
      '  pass    heartbeat-rpo: newest heartbeat 42 s before the snapshot',
      '  fail    count:shop.orders: 812 documents, the source had 1000 (tolerance 5 %)',
    ]);
  });

  it('reports the verification in the summary, one line per check, and says verifying meanwhile', () => {
    // Prepare
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (chunk) => {
      text += String(chunk);
    });

    // Act
    writeOperation(stdout, finished, false);

    // Assess
    expect(text).toMatch(/Verification\s+failed: count:shop\.orders/);
    expect(text).toContain('  pass    heartbeat-rpo: newest heartbeat 42 s before the snapshot\n');
    expect(stateOf(verifying)).toBe('verifying');
    expect(stateOf(finished)).toBe('succeeded');
  });
});
