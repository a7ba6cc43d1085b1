import { expect } from 'vitest';
import { restoreJobSchema, restoreJobState } from '../../../functions/core/atlas/model.ts';
import type { RestoreRequest } from '../../../functions/core/contract/restore-request.ts';
import type { Operation, OutcomeKind } from '../../../functions/core/workflow/operation.ts';
import type { SeedInfo } from '../../atlas-simulator/index.ts';
import type { System } from './system.ts';

export const OPERATION_ID = 'drill-2026-11-28';

/** The weekly drill: the newest completed snapshot of the seeded source onto the seeded target. */
export function drillRequest(seed: SeedInfo, overrides: Partial<RestoreRequest> = {}): RestoreRequest {
  return {
    groupId: seed.groupId,
    clusterName: seed.sourceClusterName,
    deliveryType: 'automated',
    snapshotId: 'latest',
    targetGroupId: seed.groupId,
    targetClusterName: seed.targetClusterName,
    requestId: OPERATION_ID,
    ...overrides,
  };
}

const OUTCOME_OF_JOB_STATE: Record<string, OutcomeKind> = {
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  expired: 'expired',
};

export interface Settlement {
  readonly outcome: OutcomeKind;
  /** Restore jobs of the source in the simulator: exactly this many (0 or 1). Default 1. */
  readonly jobs?: 0 | 1;
  readonly errorCode?: string;
  /** Messages SQS redrove to the DLQ. Default 0. */
  readonly redriven?: number;
}

/**
 * The invariants every fault must leave intact: the expected outcome, exactly the expected number of restore jobs at
 * Atlas, the ledger agreeing with Atlas (job id, outcome), the outcome reported once, and nothing secret in any log
 * line. Answers the stored operation.
 */
export async function expectSettled(
  system: System,
  expected: Settlement,
  operationId = OPERATION_ID,
): Promise<Operation> {
  const { seed, sim } = system;
  const operation = await system.ledger.get(operationId);
  if (operation === undefined) throw new Error(`no operation ${operationId} in the ledger`);
  const jobs = sim.state.restoreJobs(seed.groupId, seed.sourceClusterName);

  expect(
    { outcome: operation.outcome, errorCode: operation.errorCode, jobs: jobs.length },
    `outcome ${operation.outcome}: ${operation.outcomeReason}`,
  ).toEqual({
    outcome: expected.outcome,
    errorCode: expected.errorCode ?? operation.errorCode,
    jobs: expected.jobs ?? 1,
  });
  const [job] = jobs;
  if (job) {
    expect(operation.restoreJobId).toBe(job.id);
    const state = restoreJobState(restoreJobSchema.parse(job));
    if (state !== 'pending' && operation.outcome !== 'timedOut') {
      expect(OUTCOME_OF_JOB_STATE[state]).toBe(operation.outcome);
    }
  } else {
    expect(operation.restoreJobId).toBeUndefined();
  }
  expect(system.queue.redriven).toHaveLength(expected.redriven ?? 0);
  expect(outcomeLines(system, operationId)).toHaveLength(1);
  expectNothingSecretLogged(system);
  return operation;
}

/** The `restore outcome` log lines of an operation: exactly one per operation, whatever was retried. */
export function outcomeLines(system: System, operationId = OPERATION_ID): Record<string, unknown>[] {
  return system.logs
    .records()
    .filter((record) => record.message === 'restore outcome' && record.operationId === operationId);
}

/** No private key, client secret, bearer token, Basic or Digest credential, or download URL in any output. */
export function expectNothingSecretLogged(system: System): void {
  const { seed, sim } = system;
  for (const job of sim.state.restoreJobs(seed.groupId, seed.sourceClusterName)) {
    for (const url of job.deliveryUrl ?? []) system.secrets.add('a download URL', url);
  }
  const text = system.logs.text();
  expect(text.length).toBeGreaterThan(0);
  expect(system.secrets.leaksIn(text)).toEqual([]);
}

/** Requests the simulator saw for an Admin API operation. */
export function atlasRequests(system: System, operationId?: string) {
  return system.sim.requests.filter(
    (request) =>
      request.path.startsWith('/api/atlas/') && (operationId === undefined || request.operationId === operationId),
  );
}
