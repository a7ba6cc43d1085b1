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

describe('CLI: the operation narrative of a drill with an ephemeral target', () => {
  const DRILL_PROJECT = '6a1b2c3d4e5f6a7b8c9d0e1f';
  const request = {
    groupId: '5f1a2b3c4d5e6f7a8b9c0d1e',
    clusterName: 'prod',
    deliveryType: 'automated' as const,
    ephemeralTarget: { groupId: DRILL_PROJECT, namePrefix: 'drill-' },
    requestId: 'drill-eph',
  };
  const claimed = {
    groupId: DRILL_PROJECT,
    clusterName: 'drill-0a1b2c3d4e',
    createdByOperation: 'drill-eph',
    claimToken: 'c1',
    claimedAt: T0,
    instanceSize: 'M10',
  };
  const accepted: Operation = { ...newOperation(request, T0, workflowConfig(), 't0'), step: 1, polls: 1 };
  const created: Operation = { ...accepted, step: 2, polls: 2, ephemeralCluster: { ...claimed, createdAt: T0 + 1000 } };
  const ready: Operation = {
    ...created,
    step: 3,
    ephemeralCluster: { ...claimed, createdAt: T0 + 1000, idleAt: T0 + 600_000 },
  };
  const gone: Operation = {
    ...ready,
    step: 9,
    ephemeralCluster: {
      ...claimed,
      createdAt: T0 + 1000,
      idleAt: T0 + 600_000,
      deleteRequestedAt: T0 + 900_000,
      deletedAt: T0 + 1_200_000,
      clusterHours: 0.33,
    },
  };

  it('names the drill cluster instead of an undefined target, and tells its creation, readiness and deletion', () => {
    // Act
    const lines = [
      ...narrateSteps(undefined, accepted, T0),
      ...narrateSteps(accepted, created, T0 + 1000),
      ...narrateSteps(created, ready, T0 + 600_000),
      ...narrateSteps(ready, gone, T0 + 1_200_000),
    ];

    // Assess
    expect(lines.join('\n')).not.toContain('undefined');
    expect(lines).toEqual([
      `accepted: automated restore of 5f1a2b3c4d5e6f7a8b9c0d1e/prod (snapshot latest) onto a new drill cluster in ${DRILL_PROJECT} (named drill-…) (operation drill-eph)`,
      `created drill cluster ${DRILL_PROJECT}/drill-0a1b2c3d4e (M10)`,
      `drill cluster ${DRILL_PROJECT}/drill-0a1b2c3d4e is ready`,
      `deleting drill cluster ${DRILL_PROJECT}/drill-0a1b2c3d4e`,
      `drill cluster ${DRILL_PROJECT}/drill-0a1b2c3d4e deleted after 0.33 cluster-hours`,
    ]);
  });
});
