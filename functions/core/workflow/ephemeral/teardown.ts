import { AtlasApiError } from '../../atlas/errors.ts';
import { nextPollDelay, SQS_MAX_DELAY_SECONDS } from '../cadence.ts';
import { WorkflowError } from '../errors.ts';
import type { EphemeralCluster, Operation } from '../operation.ts';
import type { Finish } from '../ports.ts';
import { finishOperation, handOff, logAttributes, type StepContext, secondsBetween } from '../steps.ts';
import { hoursBetween, usd } from './budget.ts';
import { deleteEphemeralCluster } from './delete-guard.ts';
import { cancelReaper } from './provision.ts';

/** A cluster still there this long after its teardown began is a leftover: EphemeralClusterLeftover alarms. */
export const LEFTOVER_AFTER_MS = 60 * 60_000;

/**
 * The teardown step of an ephemeral target, after the restore (and its verification) and the hold: delete it through
 * the delete path, wait until getCluster answers 404, cancel the reaper, and record the one outcome: the restore's
 * end with the cluster's times, cluster-hours and cost. Atlas outages and failed deletes never end the chain: it
 * backs off (doubling to SQS's 15 minutes) and tries again until the cluster is gone; past LEFTOVER_AFTER_MS each
 * attempt reports a leftover.
 */
export async function runTeardown(context: StepContext): Promise<void> {
  const { deps, operation } = context;
  const record = operation.ephemeralCluster;
  const end = operation.restoreEnd;
  if (record === undefined || end === undefined) {
    throw new WorkflowError('OPERATION_INCONSISTENT', operation.operationId, 'teardown step without a cluster or end');
  }
  const now = deps.clock.now();
  const teardownAt = record.teardownAt ?? now;
  let result: Awaited<ReturnType<typeof deleteEphemeralCluster>>;
  try {
    result = await deleteEphemeralCluster(
      { api: context.atlas.api, config: deps.config, log: deps.log, reporter: deps.reporter },
      operation,
    );
  } catch (error) {
    if (!(error instanceof AtlasApiError)) throw error;
    await retryLater(context, { ...record, teardownAt }, error);
    return;
  }
  if (result.state === 'gone' || result.state === 'refused') {
    const final: EphemeralCluster =
      result.state === 'gone'
        ? withCost({ ...record, teardownAt, deletedAt: now })
        : withCost({ ...record, teardownAt, deleteRefused: result.reason }, now);
    await finishOperation(context, teardownFinish(operation, final), { polls: 1 });
    if (result.state === 'gone') await cancelReaper(context, operation.operationId);
    return;
  }
  const updated: EphemeralCluster = {
    ...record,
    teardownAt,
    ...(result.requested && record.deleteRequestedAt === undefined ? { deleteRequestedAt: now } : {}),
  };
  reportIfLeftover(context, updated, now, `still there ${secondsBetween(teardownAt, now)} s after its teardown began`);
  const delaySeconds = nextPollDelay(secondsBetween(teardownAt, now), deps.config);
  await handOff(
    context,
    { kind: 'teardown', delaySeconds },
    { ephemeralCluster: updated, ...(operation.outageSince ? { outageSince: 0 } : {}) },
    { polls: 1 },
  );
}

/** An outage or a refused delete: back off as polls do, and keep trying; the cluster must go. */
async function retryLater(context: StepContext, record: EphemeralCluster, error: AtlasApiError): Promise<void> {
  const { deps, operation } = context;
  const now = deps.clock.now();
  const outageSince = operation.outageSince ?? now;
  const backoff = Math.min(
    SQS_MAX_DELAY_SECONDS,
    Math.max(deps.config.pollMinDelaySeconds, secondsBetween(outageSince, now)),
  );
  deps.log.warn('could not delete the ephemeral target yet; trying again', {
    ...logAttributes(operation),
    clusterName: record.clusterName,
    status: error.status,
    errorCode: error.errorCode,
    delaySeconds: backoff,
  });
  reportIfLeftover(context, record, now, `cannot be deleted: ${error.errorCode ?? error.status ?? 'network error'}`);
  await handOff(
    context,
    { kind: 'teardown', delaySeconds: backoff },
    { ephemeralCluster: record, outageSince },
    { polls: 1 },
  );
}

function reportIfLeftover(context: StepContext, record: EphemeralCluster, now: number, why: string): void {
  if (now - (record.teardownAt ?? now) < LEFTOVER_AFTER_MS) return;
  const alarm = {
    kind: 'leftover' as const,
    operationId: context.operation.operationId,
    groupId: record.groupId,
    clusterName: record.clusterName,
    reason: why,
  };
  context.deps.log.error('ephemeral target left behind', { ...alarm });
  context.deps.reporter.ephemeralAlarm?.(alarm);
}

/** Cluster-hours from its creation to its deletion (or `now`, if it stays), and their cost at the claimed price. */
export function withCost(record: EphemeralCluster, now?: number): EphemeralCluster {
  const end = record.deletedAt ?? now;
  if (record.createdAt === undefined || end === undefined) return record;
  const clusterHours = hoursBetween(record.createdAt, end);
  return {
    ...record,
    clusterHours,
    ...(record.hourlyPriceUsd === undefined
      ? {}
      : { estimatedCostUsd: Math.round(clusterHours * record.hourlyPriceUsd * 100) / 100 }),
  };
}

/** The outcome after a teardown: the restore's end, its reason told with the cluster's fate. */
export function teardownFinish(operation: Operation, record: EphemeralCluster): Omit<Finish, 'outcomeRecordedAt'> {
  const end = operation.restoreEnd;
  const fate = describeFate(record);
  if (end === undefined) {
    return {
      outcome: 'reaped',
      errorCode: 'REAPED',
      outcomeReason: fate,
      finishedAt: record.deletedAt ?? 0,
      ephemeralCluster: record,
    };
  }
  return {
    outcome: end.outcome,
    outcomeReason: `${end.outcomeReason}; ${fate}`,
    ...(end.errorCode === undefined ? {} : { errorCode: end.errorCode }),
    finishedAt: end.finishedAt,
    ...(end.rtoSeconds === undefined ? {} : { rtoSeconds: end.rtoSeconds }),
    ...(end.rpoSeconds === undefined ? {} : { rpoSeconds: end.rpoSeconds }),
    ...(end.snapshotId === undefined ? {} : { snapshotId: end.snapshotId }),
    ...(end.snapshotAt === undefined ? {} : { snapshotAt: end.snapshotAt }),
    ephemeralCluster: record,
  };
}

function describeFate(record: EphemeralCluster): string {
  const cost = record.estimatedCostUsd === undefined ? '' : `, about ${usd(record.estimatedCostUsd)}`;
  const hours = record.clusterHours === undefined ? '' : ` after ${record.clusterHours} cluster-hours${cost}`;
  if (record.deleteRefused !== undefined) {
    return `ephemeral target ${record.clusterName} NOT deleted (${record.deleteRefused})${hours}`;
  }
  return `ephemeral target ${record.clusterName} deleted${hours}`;
}
