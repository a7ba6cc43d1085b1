import type { WorkflowConfig } from '../config.ts';
import { clusterKey, type RestoreRequest, restoreTarget } from '../contract/restore-request.ts';

export interface Refusal {
  readonly code: 'TARGET_NOT_ALLOWED' | 'SOURCE_OVERWRITE_NOT_ALLOWED';
  readonly reason: string;
}

/**
 * Deployment guardrails, from configuration only (never from the message): a restore overwrites its target, so the
 * target must be on ALLOWED_TARGETS, and restoring a cluster onto itself also needs it in SOURCE_OVERWRITE_ALLOWED.
 * A download overwrites nothing and passes.
 */
export function checkGuardrails(
  request: RestoreRequest,
  config: Pick<WorkflowConfig, 'allowedTargets' | 'sourceOverwriteAllowed'>,
): Refusal | undefined {
  const target = restoreTarget(request);
  if (target === undefined) return undefined;
  const targetKey = clusterKey(target);
  if (!config.allowedTargets.has(targetKey)) {
    return { code: 'TARGET_NOT_ALLOWED', reason: `target ${targetKey} is not in ALLOWED_TARGETS` };
  }
  if (targetKey === clusterKey(request) && !config.sourceOverwriteAllowed.has(targetKey)) {
    return {
      code: 'SOURCE_OVERWRITE_NOT_ALLOWED',
      reason: `restoring ${targetKey} onto itself needs it in SOURCE_OVERWRITE_ALLOWED`,
    };
  }
  return undefined;
}
