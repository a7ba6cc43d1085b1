import type { SourceAllowList, WorkflowConfig } from '../config.ts';
import { clusterKey, type RestoreRequest, restoreTarget } from '../contract/restore-request.ts';
import type { Operation } from './operation.ts';

export interface Refusal {
  readonly code:
    | 'SOURCE_NOT_ALLOWED'
    | 'DOWNLOAD_NOT_ALLOWED'
    | 'TARGET_NOT_ALLOWED'
    | 'SOURCE_OVERWRITE_NOT_ALLOWED'
    | 'DRILL_PROJECT_NOT_ALLOWED';
  readonly reason: string;
}

/** Whether `source` (`groupId/clusterName`) is on `list`: by itself, or by its project's `groupId/*`. */
export function sourceAllowed(list: SourceAllowList, source: { groupId: string; clusterName: string }): boolean {
  return list === 'any' || list.has(clusterKey(source)) || list.has(`${source.groupId}/*`);
}

/**
 * Deployment guardrails, from configuration only (never from the message). Every restore reads its source, so the
 * source must be on ALLOWED_SOURCES; a download hands the data out of the deployment's control, so its source must
 * also be on DOWNLOAD_ALLOWED_SOURCES; a restore overwrites its target, so the target must be on ALLOWED_TARGETS, and
 * restoring a cluster onto itself also needs it in SOURCE_OVERWRITE_ALLOWED. An ephemeral target's project must be in
 * ALLOWED_DRILL_PROJECTS, and the cluster it names is allowed only because `operation` recorded creating it there
 * (never because of its name).
 */
export function checkGuardrails(
  request: RestoreRequest,
  config: Pick<
    WorkflowConfig,
    'allowedTargets' | 'sourceOverwriteAllowed' | 'allowedSources' | 'downloadAllowedSources' | 'allowedDrillProjects'
  >,
  operation?: Pick<Operation, 'operationId' | 'ephemeralCluster'>,
): Refusal | undefined {
  const sourceKey = clusterKey(request);
  if (!sourceAllowed(config.allowedSources, request)) {
    return { code: 'SOURCE_NOT_ALLOWED', reason: `source ${sourceKey} is not in ALLOWED_SOURCES` };
  }
  if (request.deliveryType === 'download' && !sourceAllowed(config.downloadAllowedSources, request)) {
    return { code: 'DOWNLOAD_NOT_ALLOWED', reason: `downloads of ${sourceKey} need it in DOWNLOAD_ALLOWED_SOURCES` };
  }
  const target = restoreTarget(request);
  if (request.ephemeralTarget !== undefined)
    return checkEphemeralTarget(request.ephemeralTarget.groupId, target, config, operation);
  if (target === undefined) return undefined;
  const targetKey = clusterKey(target);
  if (!config.allowedTargets.has(targetKey)) {
    return { code: 'TARGET_NOT_ALLOWED', reason: `target ${targetKey} is not in ALLOWED_TARGETS` };
  }
  if (targetKey === sourceKey && !config.sourceOverwriteAllowed.has(targetKey)) {
    return {
      code: 'SOURCE_OVERWRITE_NOT_ALLOWED',
      reason: `restoring ${targetKey} onto itself needs it in SOURCE_OVERWRITE_ALLOWED`,
    };
  }
  return undefined;
}

function checkEphemeralTarget(
  drillProject: string,
  target: { groupId: string; clusterName: string } | undefined,
  config: Pick<WorkflowConfig, 'allowedDrillProjects'>,
  operation: Pick<Operation, 'operationId' | 'ephemeralCluster'> | undefined,
): Refusal | undefined {
  if (!config.allowedDrillProjects.has(drillProject)) {
    return {
      code: 'DRILL_PROJECT_NOT_ALLOWED',
      reason: `drill project ${drillProject} is not in ALLOWED_DRILL_PROJECTS`,
    };
  }
  // Not provisioned yet: nothing to overwrite.
  if (target === undefined) return undefined;
  const created = operation?.ephemeralCluster;
  const ours =
    created !== undefined &&
    // Stryker disable next-line OptionalChaining: equivalent, reached only when operation recorded an ephemeralCluster
    created.createdByOperation === operation?.operationId &&
    created.createdAt !== undefined &&
    created.createRefused === undefined &&
    created.groupId === drillProject &&
    clusterKey(created) === clusterKey(target);
  return ours
    ? undefined
    : {
        code: 'TARGET_NOT_ALLOWED',
        reason: `target ${clusterKey(target)} was not created by this operation in drill project ${drillProject}`,
      };
}
