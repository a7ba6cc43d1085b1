import { describe, expect, it } from 'vitest';
import { workflowConfig } from '../../../../functions/core/config.ts';
import {
  AFTER_RESTORE_PHASES,
  type AfterRestorePhase,
  nextPhase,
} from '../../../../functions/core/workflow/after-restore.ts';
import type { RestoreEnd } from '../../../../functions/core/workflow/operation.ts';
import { newOperation } from '../../../../functions/core/workflow/service.ts';
import { requests } from './fakes.ts';

const T0 = Date.UTC(2026, 10, 28, 6, 0, 0);
const completed: RestoreEnd = { outcome: 'succeeded', reason: 'restore job x completed', finishedAt: T0 };
const failed: RestoreEnd = { outcome: 'failed', errorCode: 'RESTORE_JOB_FAILED', reason: 'failed', finishedAt: T0 };
const operation = (verify: boolean) =>
  newOperation({ ...requests.automated(verify ? { verify: {} } : {}), requestId: 'op-1' }, T0, workflowConfig(), 't0');

describe('Module: after-restore phases', () => {
  it('runs verify after a completed restore of a request with verify, and nothing otherwise', () => {
    // Act
    const phases = [
      nextPhase(operation(true), completed)?.name,
      nextPhase(operation(true), failed)?.name,
      nextPhase(operation(false), completed)?.name,
      nextPhase(operation(true), completed, 'verify')?.name,
    ];

    // Assess
    expect(phases).toEqual(['verify', undefined, undefined, undefined]);
    expect(AFTER_RESTORE_PHASES.map((phase) => phase.name)).toEqual(['verify']);
  });

  it('takes the phases in their order, skipping those that do not apply (a list another phase extends)', () => {
    // Prepare: a later phase that applies after any end, as a teardown would
    const teardown = { name: 'teardown', step: 'verify', applies: () => true } as const satisfies AfterRestorePhase;
    const phases = [...AFTER_RESTORE_PHASES, { ...teardown, step: 'teardown' as never }];

    // Act
    const afterFailure = nextPhase(operation(true), failed, undefined, phases)?.name;
    const afterVerify = nextPhase(operation(true), completed, 'verify', phases)?.name;
    const first = nextPhase(operation(true), completed, undefined, phases)?.name;

    // Assess
    expect([first, afterVerify, afterFailure]).toEqual(['verify', 'teardown', 'teardown']);
  });
});
