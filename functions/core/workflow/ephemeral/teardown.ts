import { AtlasApiError } from '../../atlas/errors.ts';
import { completePhase, restoreEndOf } from '../after-restore.ts';
import { nextPollDelay, SQS_MAX_DELAY_SECONDS } from '../cadence.ts';
import { WorkflowError } from '../errors.ts';
import type { EphemeralCluster } from '../operation.ts';
import { handOff, logAttributes, type StepContext, secondsBetween } from '../steps.ts';
import { hoursBetween } from './budget.ts';
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
  const end = restoreEndOf(operation);
  if (record === undefined) {
    throw new WorkflowError('OPERATION_INCONSISTENT', operation.operationId, 'teardown step without a cluster');
  }
  const now = deps.clock.now();
  // The hold, counted from the end of the phases before (a restore that did not succeed left nothing to look at).
  const holdMs = end.outcome === 'succeeded' ? (operation.request.ephemeralTarget?.holdMinutes ?? 0) * 60_000 : 0;
  const teardownAt = record.teardownAt ?? now + holdMs;
  if (now < teardownAt) {
    await handOff(
      context,
      { kind: 'teardown', delaySeconds: Math.ceil((teardownAt - now) / 1000) },
      { ephemeralCluster: { ...record, teardownAt } },
    );
    return;
  }
  await tearDown(context, { ...record, teardownAt });
}

async function tearDown(context: StepContext, record: EphemeralCluster & { teardownAt: number }): Promise<void> {
  const { deps, operation } = context;
  const now = deps.clock.now();
  const { teardownAt } = record;
  let result: Awaited<ReturnType<typeof deleteEphemeralCluster>>;
  try {
    result = await deleteEphemeralCluster(
      { api: context.atlas.api, config: deps.config, log: deps.log, reporter: deps.reporter },
      operation,
    );
  } catch (error) {
    if (!(error instanceof AtlasApiError)) throw error;
    await retryLater(context, record, error);
    return;
  }
  if (result.state === 'gone' || result.state === 'refused') {
    const final: EphemeralCluster =
      result.state === 'gone'
        ? withCost({ ...record, deletedAt: now }, now)
        : withCost({ ...record, deleteRefused: result.reason }, now);
    deps.log.info(
      result.state === 'gone' ? 'ephemeral target deleted' : 'ephemeral target left in place (delete refused)',
      logAttributes(operation, { clusterName: record.clusterName, clusterHours: final.clusterHours }),
    );
    await completePhase(context, 'teardown', { facts: { ephemeralCluster: final } });
    if (result.state === 'gone') await cancelReaper(context, operation.operationId);
    return;
  }
  const updated: EphemeralCluster = {
    ...record,
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
  reportIfLeftover(context, record, now, `cannot be deleted: ${error.message}`);
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

/** Cluster-hours from its creation to `end` (its deletion, or now if it stays), and their cost at the claimed price. */
export function withCost(record: EphemeralCluster, end: number): EphemeralCluster {
  if (record.createdAt === undefined) return record;
  const clusterHours = hoursBetween(record.createdAt, end);
  return {
    ...record,
    clusterHours,
    ...(record.hourlyPriceUsd === undefined
      ? {}
      : { estimatedCostUsd: Math.round(clusterHours * record.hourlyPriceUsd * 100) / 100 }),
  };
}
