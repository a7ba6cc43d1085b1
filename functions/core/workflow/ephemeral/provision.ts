import type { ClusterRef } from '../../atlas/api.ts';
import { AtlasApiError } from '../../atlas/errors.ts';
import type { Cluster } from '../../atlas/model.ts';
import type { NewCluster } from '../../atlas/requests.ts';
import type { WorkflowConfig } from '../../config.ts';
import type { EphemeralTarget } from '../../contract/ephemeral-target.ts';
import { clusterKey, type RestoreRequest } from '../../contract/restore-request.ts';
import { nextPollDelay } from '../cadence.ts';
import { WorkflowError } from '../errors.ts';
import { checkGuardrails } from '../guardrails.ts';
import type { EphemeralCluster, Operation } from '../operation.ts';
import { finishOperation, handOff, logAttributes, newToken, type StepContext, secondsBetween } from '../steps.ts';
import { checkBudget, spentThisMonth, usd } from './budget.ts';
import { deriveEphemeralSpec, isSpecRefusal } from './cluster-spec.ts';
import { isGone } from './delete-guard.ts';
import { carriesOperationTags, clusterNameAndTags, ephemeralClusterName } from './naming.ts';

/** Time after the deadline and the hold the reaper waits: verification and teardown run in it. */
export const REAPER_MARGIN_MS = 60 * 60_000;

/**
 * When the reaper deletes the cluster whatever the chain did: past the deadline, the verification's longest wait, the
 * hold, one claim lease and a margin, when the chain, alive, has torn it down long before.
 */
export function reaperAt(
  operation: Operation,
  target: EphemeralTarget,
  config: Pick<WorkflowConfig, 'claimLeaseSeconds' | 'verifyMaxMinutes'>,
): number {
  const holdMs = (target.holdMinutes ?? 0) * 60_000;
  const verifyMs = operation.request.verify === undefined ? 0 : config.verifyMaxMinutes * 60_000;
  return operation.deadlineAt + verifyMs + holdMs + config.claimLeaseSeconds * 1000 + REAPER_MARGIN_MS;
}

export type ProvisionResult =
  | { readonly kind: 'ready'; readonly request: RestoreRequest }
  /** This step's work is done: it handed off (creating, waiting for IDLE) or finished (refused, dry run). */
  | { readonly kind: 'handled' };

/** The request as the restore phase sees it: the ephemeral cluster as its target. */
export function targetedRequest(request: RestoreRequest, cluster: EphemeralCluster): RestoreRequest {
  return { ...request, targetGroupId: cluster.groupId, targetClusterName: cluster.clusterName };
}

/**
 * The provision phase of an ephemeral target, run by the start step until the cluster is IDLE: checks (guardrails,
 * the spec against Atlas's restore-target rules, the budget) before anything is created, then the creation claim (a
 * conditional write) and the reaper's schedule, then createCluster once, then getCluster on the poll cadence until
 * IDLE. An attempt that finds the claim without a recorded creation waits out the claim's lease, then adopts the
 * cluster found by name with our tags, or creates it (the name is the operation's: Atlas never holds two).
 */
export async function provisionEphemeralTarget(context: StepContext): Promise<ProvisionResult> {
  const { operation } = context;
  const record = operation.ephemeralCluster;
  const target = operation.request.ephemeralTarget;
  // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent, start provisions only a request with an ephemeralTarget
  if (target === undefined) {
    // Stryker disable next-line CallExpression: equivalent, as above (never reached)
    throw new WorkflowError('OPERATION_INCONSISTENT', operation.operationId, 'no ephemeralTarget');
  }
  // Stryker disable next-line StringLiteral: equivalent, the start step tells the results apart by 'handled' alone
  if (record?.idleAt !== undefined) return { kind: 'ready', request: targetedRequest(operation.request, record) };
  if (record === undefined) return claimAndCreate(context, target);
  if (record.createdAt === undefined) return resumeCreation(context, target, record);
  return waitUntilIdle(context, record);
}

async function claimAndCreate(context: StepContext, target: EphemeralTarget): Promise<ProvisionResult> {
  const { deps, operation, at } = context;
  const { request } = operation;
  const now = deps.clock.now();
  const refuse = async (code: string, reason: string) => {
    await finishOperation(context, { outcome: 'refused', errorCode: code, outcomeReason: reason, finishedAt: now });
    return { kind: 'handled' } as const;
  };
  if (deps.reaperSchedules === undefined) {
    return refuse(
      'EPHEMERAL_REAPER_MISSING',
      'this deployment has no reaper schedules: an ephemeral target would have no cleanup should the workflow die',
    );
  }
  if (now >= operation.deadlineAt) {
    await finishOperation(context, {
      outcome: 'timedOut',
      errorCode: 'MAX_WAIT_EXCEEDED',
      outcomeReason: 'ephemeral target not created within maxWait',
      finishedAt: now,
    });
    return { kind: 'handled' };
  }
  const refusal = checkGuardrails(request, deps.config, operation);
  if (refusal) return refuse(refusal.code, refusal.reason);

  const source = await context.atlas.api.getCluster({ groupId: request.groupId, clusterName: request.clusterName });
  const clusterName = ephemeralClusterName(target, operation.operationId);
  const spec = deriveEphemeralSpec(source, target, { name: clusterName, operationId: operation.operationId });
  if (isSpecRefusal(spec)) return refuse(spec.code, spec.reason);
  const spent = spentThisMonth(await deps.ledger.listOperations({ clusterKey: operation.clusterKey, limit: 500 }), now);
  const overBudget = checkBudget({
    config: deps.config,
    instanceSize: spec.instanceSize,
    spentUsd: spent,
    now,
    until: reaperAt(operation, target, deps.config),
  });
  if (overBudget) return refuse(overBudget.code, overBudget.reason);
  const what = describeSpec(spec.request, target.groupId);
  if (request.dryRun) {
    await finishOperation(context, {
      outcome: 'dryRun',
      outcomeReason: `would create ${what}, restore into it and delete it after ${target.holdMinutes ?? 0} minutes; ${usd(spent)} spent this month`,
      finishedAt: now,
    });
    return { kind: 'handled' };
  }

  const price = deps.config.tierPricesUsdPerHour.get(spec.instanceSize);
  const claim: EphemeralCluster = {
    groupId: target.groupId,
    clusterName,
    createdByOperation: operation.operationId,
    claimToken: newToken(deps),
    claimedAt: now,
    instanceSize: spec.instanceSize,
    // Stryker disable next-line ConditionalExpression: equivalent, an undefined price reads as none (every reader tests === undefined)
    ...(price === undefined ? {} : { hourlyPriceUsd: price }),
  };
  if (!(await deps.ledger.claimEphemeralCluster(at, claim))) {
    throw new WorkflowError('CLUSTER_CREATE_IN_PROGRESS', operation.operationId, 'another delivery claimed the create');
  }
  const claimed = { ...context, operation: { ...operation, ephemeralCluster: claim } };
  // Scheduled before the create, not after: a crash between the two must not leave a cluster no one reaps.
  await deps.reaperSchedules.schedule(operation.operationId, reaperAt(operation, target, deps.config));
  deps.log.info('creating the ephemeral target', logAttributes(operation, { cluster: what }));
  return create(claimed, claim, spec.request);
}

/** An earlier attempt claimed the create and recorded no answer: adopt what it created, or create after its lease. */
async function resumeCreation(
  context: StepContext,
  target: EphemeralTarget,
  record: EphemeralCluster,
): Promise<ProvisionResult> {
  const { deps, operation } = context;
  const age = deps.clock.now() - record.claimedAt;
  if (age < deps.config.claimLeaseSeconds * 1000) {
    throw new WorkflowError(
      'CLUSTER_CREATE_IN_PROGRESS',
      operation.operationId,
      `a create claimed ${Math.round(age / 1000)} s ago may be in flight; retrying after its lease`,
    );
  }
  await deps.reaperSchedules?.schedule(operation.operationId, reaperAt(operation, target, deps.config));
  const found = await findOurs(context, record);
  if (found !== undefined) return adopt(context, record, found);
  const { request } = operation;
  const source = await context.atlas.api.getCluster({ groupId: request.groupId, clusterName: request.clusterName });
  const spec = deriveEphemeralSpec(source, target, { name: record.clusterName, operationId: operation.operationId });
  if (isSpecRefusal(spec)) {
    await refuseCreate(context, record, spec.code, spec.reason);
    return { kind: 'handled' };
  }
  return create(context, record, spec.request);
}

async function create(context: StepContext, record: EphemeralCluster, body: NewCluster): Promise<ProvisionResult> {
  const { deps, operation } = context;
  const api = context.atlas.api;
  try {
    await api.createCluster(record.groupId, body);
  } catch (error) {
    if (!(error instanceof AtlasApiError)) throw error;
    const duplicate = error.errorCode === 'DUPLICATE_CLUSTER_NAME';
    if (error.ambiguous || error.retryable || duplicate) {
      // The create may have taken effect (or an earlier one did): the cluster found by name and tags is ours.
      const found = await findOurs(context, record);
      if (found !== undefined) return adopt(context, record, found);
      if (duplicate) {
        await refuseCreate(
          context,
          record,
          'EPHEMERAL_NAME_TAKEN',
          // Stryker disable next-line StringLiteral: message text (the outcome's reason)
          `a cluster ${record.clusterName} without our tags exists`,
        );
        return { kind: 'handled' };
      }
      throw new WorkflowError('CLUSTER_CREATE_UNCONFIRMED', operation.operationId, 'the create failed in flight', {
        cause: error,
      });
    }
    await refuseCreate(context, record, error.errorCode ?? `HTTP_${error.status ?? 'ERROR'}`, error.message);
    return { kind: 'handled' };
  }
  const createdAt = deps.clock.now();
  deps.log.info('ephemeral target created', logAttributes(operation, { clusterName: record.clusterName }));
  await handOff(
    context,
    { kind: 'start', delaySeconds: nextPollDelay(0, deps.config) },
    { ephemeralCluster: { ...record, createdAt } },
    { polls: 1 },
  );
  return { kind: 'handled' };
}

async function adopt(context: StepContext, record: EphemeralCluster, found: Cluster): Promise<ProvisionResult> {
  const { deps, operation } = context;
  // Stryker disable next-line StringLiteral: equivalent, Date.parse of '' and of any other non-date is NaN
  const createDate = Date.parse(found.createDate ?? '');
  const createdAt = Number.isFinite(createDate) ? createDate : deps.clock.now();
  deps.log.info(
    'adopting the ephemeral target an earlier attempt created',
    logAttributes(operation, { clusterName: record.clusterName }),
  );
  await handOff(
    context,
    { kind: 'start', delaySeconds: nextPollDelay(secondsBetween(createdAt, deps.clock.now()), deps.config) },
    { ephemeralCluster: { ...record, createdAt, adopted: true } },
    { polls: 1 },
  );
  return { kind: 'handled' };
}

/** Atlas refused the create: nothing exists to tear down; the reaper is cancelled and the operation fails. */
async function refuseCreate(
  context: StepContext,
  record: EphemeralCluster,
  code: string,
  reason: string,
): Promise<void> {
  const { deps, operation } = context;
  await finishOperation(context, {
    outcome: 'failed',
    errorCode: code,
    outcomeReason: `ephemeral target ${record.clusterName} not created: ${reason}`,
    finishedAt: deps.clock.now(),
    ephemeralCluster: { ...record, createRefused: code },
  });
  await cancelReaper(context, operation.operationId);
}

async function waitUntilIdle(context: StepContext, record: EphemeralCluster): Promise<ProvisionResult> {
  const { deps, operation } = context;
  const now = deps.clock.now();
  const ref: ClusterRef = { groupId: record.groupId, clusterName: record.clusterName };
  let cluster: Cluster;
  try {
    cluster = await context.atlas.api.getCluster(ref);
  } catch (error) {
    if (!isGone(error)) throw error;
    await finishOperation(context, {
      outcome: 'failed',
      errorCode: 'EPHEMERAL_TARGET_GONE',
      outcomeReason: `ephemeral target ${clusterKey(ref)} disappeared before it was IDLE`,
      finishedAt: now,
    });
    return { kind: 'handled' };
  }
  if (cluster.stateName === 'IDLE' && !cluster.paused) {
    deps.log.info('ephemeral target IDLE', logAttributes(operation, { clusterName: record.clusterName }));
    await handOff(
      context,
      { kind: 'start', delaySeconds: 0 },
      { ephemeralCluster: { ...record, idleAt: now } },
      { polls: 1 },
    );
    return { kind: 'handled' };
  }
  if (now >= operation.deadlineAt) {
    await finishOperation(context, {
      outcome: 'timedOut',
      errorCode: 'MAX_WAIT_EXCEEDED',
      outcomeReason: `ephemeral target ${clusterKey(ref)} still ${cluster.stateName} at the deadline`,
      finishedAt: now,
    });
    return { kind: 'handled' };
  }
  const untilDeadline = Math.ceil((operation.deadlineAt - now) / 1000);
  const delay = Math.max(
    1,
    // Stryker disable next-line LogicalOperator: equivalent, the wait for IDLE runs only once createdAt is recorded
    Math.min(nextPollDelay(secondsBetween(record.createdAt ?? now, now), deps.config), untilDeadline),
  );
  await handOff(context, { kind: 'start', delaySeconds: delay }, {}, { polls: 1 });
  return { kind: 'handled' };
}

/** The cluster of this operation's name if it carries our tags; undefined when there is none (404). */
async function findOurs(context: StepContext, record: EphemeralCluster): Promise<Cluster | undefined> {
  let cluster: Cluster;
  try {
    cluster = await context.atlas.api.getCluster({ groupId: record.groupId, clusterName: record.clusterName });
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
  const described = clusterNameAndTags(cluster);
  return described !== undefined && carriesOperationTags(described.tags, context.operation.operationId)
    ? cluster
    : undefined;
}

export async function cancelReaper(context: Pick<StepContext, 'deps'>, operationId: string): Promise<void> {
  try {
    // Stryker disable next-line OptionalChaining: equivalent, the catch below logs a missing port's TypeError as any failed cancel
    await context.deps.reaperSchedules?.cancel(operationId);
  } catch (error) {
    // Harmless when left: the reaper finds the cluster gone, or the outcome recorded, and does nothing.
    context.deps.log.warn('could not cancel the reaper schedule', { operationId, error: String(error) });
  }
}

function describeSpec(spec: NewCluster, groupId: string): string {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: message text (the dry run's description of the cluster)
  const shards = spec.clusterType === 'SHARDED' ? `, ${spec.shardCount} shards` : '';
  return `cluster ${spec.name} in project ${groupId} (${spec.instanceSize}, MongoDB ${spec.mongoDBMajorVersion}, ${spec.clusterType}${shards}, ${spec.providerName} ${spec.regionName}, ${spec.diskSizeGB} GB)`;
}
