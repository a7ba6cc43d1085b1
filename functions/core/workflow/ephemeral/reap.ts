import type { ReapMessage } from '../../contract/internal-messages.ts';
import { WorkflowError } from '../errors.ts';
import type { Invocation, WorkflowDeps } from '../ports.ts';
import { finishOperation, recordUnwrittenCalls, stepContext } from '../steps.ts';
import { usd } from './budget.ts';
import { deleteEphemeralCluster } from './delete-guard.ts';
import { cancelReaper } from './provision.ts';
import { withCost } from './teardown.ts';

/**
 * A reap message, from the reaper's one-off schedule: the operation's ephemeral target is deleted through the delete
 * path if it still exists, whatever the chain's state (a dead chain's cluster is deleted too). While Atlas shows the
 * cluster (deleting), the message fails and SQS delivers it again; once it is gone, an operation without an outcome
 * gets one, `reaped`, recorded at its current step (conditionally, as any outcome).
 */
export async function runReap(deps: WorkflowDeps, message: ReapMessage, invocation: Invocation): Promise<void> {
  const operation = await deps.ledger.get(message.operationId);
  if (operation?.ephemeralCluster === undefined || operation.ephemeralCluster.createRefused !== undefined) {
    deps.log.info('reap: no ephemeral target recorded; nothing to delete', { operationId: message.operationId });
    return;
  }
  const record = operation.ephemeralCluster;
  const context = stepContext(deps, operation, invocation);
  try {
    if (record.deletedAt !== undefined) return;
    const result = await deleteEphemeralCluster(
      { api: context.atlas.api, config: deps.config, log: deps.log, reporter: deps.reporter },
      operation,
    );
    if (result.state === 'refused') return;
    if (result.state === 'deleting') {
      const alarm = {
        kind: 'leftover' as const,
        operationId: operation.operationId,
        groupId: record.groupId,
        clusterName: record.clusterName,
        reason: 'the reaper found it still there',
      };
      deps.log.error('ephemeral target left behind; the reaper is deleting it', { ...alarm });
      deps.reporter.ephemeralAlarm?.(alarm);
      throw new WorkflowError(
        'CLUSTER_DELETING',
        operation.operationId,
        `cluster ${record.clusterName} is being deleted`,
      );
    }
    if (operation.outcome === undefined) {
      const now = deps.clock.now();
      const final = withCost({ ...record, deletedAt: now }, now);
      const end = operation.restoreEnd;
      await finishOperation(context, {
        outcome: 'reaped',
        errorCode: 'REAPED',
        outcomeReason:
          `the workflow stopped before recording an outcome${end ? ` (its restore: ${end.reason})` : ''}; ` +
          `the reaper deleted its target ${record.clusterName}` +
          `${final.clusterHours === undefined ? '' : ` after ${final.clusterHours} cluster-hours`}` +
          `${final.estimatedCostUsd === undefined ? '' : `, about ${usd(final.estimatedCostUsd)}`}`,
        finishedAt: now,
        ...(end?.rtoSeconds === undefined ? {} : { rtoSeconds: end.rtoSeconds }),
        ephemeralCluster: final,
      });
      deps.log.warn('reaped the ephemeral target of an operation without an outcome', {
        operationId: operation.operationId,
        clusterName: record.clusterName,
      });
    }
    await cancelReaper(context, operation.operationId);
  } finally {
    await recordUnwrittenCalls(context);
  }
}
