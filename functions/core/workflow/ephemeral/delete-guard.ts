import type { AtlasApi, ClusterRef } from '../../atlas/api.ts';
import { AtlasApiError } from '../../atlas/errors.ts';
import type { Cluster } from '../../atlas/model.ts';
import type { WorkflowConfig } from '../../config.ts';
import type { Operation } from '../operation.ts';
import type { Log, Reporter } from '../ports.ts';
import { carriesOperationTags, clusterNameAndTags, ephemeralClusterName } from './naming.ts';

export type DeleteDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * Whether `cluster`, as getCluster answered it in project `groupId`, may be deleted for `operation`. Every condition
 * must hold, each from a different witness: the deployment's configuration (an allow-listed drill project), the
 * request (our name prefix, the project it named), Atlas (the name and our tags with this operation's id) and the
 * ledger (this operation recorded, before creating it, that it creates this very cluster). A name alone never
 * suffices: anyone can name a cluster `drill-…`.
 */
export function decideDelete(
  groupId: string,
  cluster: Cluster,
  operation: Operation,
  config: Pick<WorkflowConfig, 'allowedDrillProjects'>,
): DeleteDecision {
  const refuse = (reason: string): DeleteDecision => ({ allowed: false, reason });
  const target = operation.request.ephemeralTarget;
  const record = operation.ephemeralCluster;
  if (target === undefined) return refuse('the operation did not ask for an ephemeral target');
  if (record === undefined) return refuse('the ledger records no cluster created by this operation');
  if (record.createdByOperation !== operation.operationId) {
    return refuse(`the ledger records the cluster as created by operation ${record.createdByOperation}`);
  }
  if (record.createRefused !== undefined) return refuse('Atlas refused the create: this operation created nothing');
  if (!config.allowedDrillProjects.has(groupId)) return refuse(`project ${groupId} is not in ALLOWED_DRILL_PROJECTS`);
  if (groupId !== record.groupId || groupId !== target.groupId) {
    return refuse(`project ${groupId} is not the one the ledger and the request name`);
  }
  const described = clusterNameAndTags(cluster);
  if (described === undefined) return refuse('Atlas described the cluster without a name or with malformed tags');
  const { name, tags } = described;
  const expected = ephemeralClusterName(target, operation.operationId);
  if (name !== record.clusterName || name !== expected) {
    return refuse(`cluster ${name} is not the one this operation names (${expected})`);
  }
  if (!carriesOperationTags(tags, operation.operationId)) {
    return refuse(`cluster ${name} does not carry this operation's tags (and no other operation's)`);
  }
  return { allowed: true };
}

export type DeleteResult =
  | { readonly state: 'gone' }
  | { readonly state: 'deleting'; readonly requested: boolean }
  | { readonly state: 'refused'; readonly reason: string };

export interface DeletePathDeps {
  readonly api: AtlasApi;
  readonly config: Pick<WorkflowConfig, 'allowedDrillProjects'>;
  readonly log: Log;
  readonly reporter: Reporter;
}

/**
 * The only path that deletes a cluster. It reads the cluster afresh and deletes it only when `decideDelete` allows;
 * otherwise it refuses loudly (an error log line and the EphemeralDeleteRefused metric) and deletes nothing. Atlas
 * errors other than 404 are thrown: the caller retries them.
 */
export async function deleteEphemeralCluster(deps: DeletePathDeps, operation: Operation): Promise<DeleteResult> {
  const record = operation.ephemeralCluster;
  if (record === undefined) return refused(deps, operation, undefined, 'the ledger records no cluster');
  const ref: ClusterRef = { groupId: record.groupId, clusterName: record.clusterName };
  let cluster: Cluster;
  try {
    cluster = await deps.api.getCluster(ref);
  } catch (error) {
    if (isGone(error)) return { state: 'gone' };
    throw error;
  }
  const decision = decideDelete(ref.groupId, cluster, operation, deps.config);
  if (!decision.allowed) return refused(deps, operation, ref, decision.reason);
  if (cluster.stateName === 'DELETING') return { state: 'deleting', requested: false };
  try {
    await deps.api.deleteCluster(ref);
  } catch (error) {
    if (isGone(error)) return { state: 'gone' };
    throw error;
  }
  deps.log.info('ephemeral target deletion requested', {
    operationId: operation.operationId,
    groupId: ref.groupId,
    clusterName: ref.clusterName,
  });
  return { state: 'deleting', requested: true };
}

function refused(
  deps: DeletePathDeps,
  operation: Operation,
  ref: ClusterRef | undefined,
  reason: string,
): DeleteResult {
  const where = { groupId: ref?.groupId ?? '', clusterName: ref?.clusterName ?? '' };
  deps.log.error('refused to delete a cluster this operation did not provably create', {
    operationId: operation.operationId,
    ...where,
    reason,
  });
  deps.reporter.ephemeralAlarm?.({ kind: 'deleteRefused', operationId: operation.operationId, ...where, reason });
  return { state: 'refused', reason };
}

export function isGone(error: unknown): boolean {
  return error instanceof AtlasApiError && error.status === 404;
}
