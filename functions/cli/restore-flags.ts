import { randomUUID } from 'node:crypto';
import type { ParseArgsConfig } from 'node:util';
import * as z from 'zod';
import { type DeliveryType, deliveryType } from '../core/atlas/model.ts';
import type { ContractIssue } from '../core/contract/issues.ts';
import type { RestoreRequest } from '../core/contract/restore-request.ts';
import { parseRestoreRequest } from '../core/contract/work-message.ts';
import { UsageError } from './command.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The flags that describe a restore, named as the Atlas CLI names them (`atlas backups restores start`):
 * `--projectId` is the contract's `groupId`, `--targetProjectId` its `targetGroupId`.
 *
 * They are read with node:util parseArgs (see `parseCommandLine`) rather than a CLI framework: nothing to install or
 * load, so the CLI starts as fast as Node does and shares the Lambda's code without adding to its dependencies. zod
 * and the contract's own schema do the validating, so the CLI accepts exactly what the workflow accepts.
 */
export const restoreRequestOptions = {
  projectId: { type: 'string' },
  clusterName: { type: 'string' },
  snapshotId: { type: 'string' },
  targetProjectId: { type: 'string' },
  targetClusterName: { type: 'string' },
  pointInTimeUTCSeconds: { type: 'string' },
  oplogTs: { type: 'string' },
  oplogInc: { type: 'string' },
  requestId: { type: 'string' },
  maxWaitMinutes: { type: 'string' },
} as const satisfies Options;

/** Contract field → the flag an operator typed, for messages that name what to fix. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  groupId: '--projectId',
  clusterName: '--clusterName',
  deliveryType: 'DELIVERY_TYPE',
  snapshotId: '--snapshotId',
  targetGroupId: '--targetProjectId',
  targetClusterName: '--targetClusterName',
  pointInTimeUTCSeconds: '--pointInTimeUTCSeconds',
  oplogTs: '--oplogTs',
  oplogInc: '--oplogInc',
  requestId: '--requestId',
  maxWaitMinutes: '--maxWaitMinutes',
  dryRun: '--dry-run',
};

const wholeNumber = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a whole number')
  .transform(Number)
  .optional();

/** The restore flags as parseArgs hands them over: strings, numbers still to convert. */
export const restoreRequestFlags = z.object({
  projectId: z.string().optional(),
  clusterName: z.string().optional(),
  snapshotId: z.string().optional(),
  targetProjectId: z.string().optional(),
  targetClusterName: z.string().optional(),
  pointInTimeUTCSeconds: wholeNumber,
  oplogTs: wholeNumber,
  oplogInc: wholeNumber,
  requestId: z.string().optional(),
  maxWaitMinutes: wholeNumber,
});
export type RestoreRequestFlags = z.infer<typeof restoreRequestFlags>;

/** `automated | download | pointInTime` as the first positional argument. */
export const deliveryTypeArgument = z.enum(deliveryType.options, {
  error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${deliveryType.options.join(', ')}`),
});

/**
 * The restore request the flags describe, checked against the contract (the same schema the Lambda applies), so a
 * request the CLI accepts is one the workflow accepts. Problems become one UsageError naming the flags.
 */
export function restoreRequestFromFlags(
  type: DeliveryType,
  flags: RestoreRequestFlags,
  extra: { readonly dryRun?: boolean } = {},
): RestoreRequest {
  const candidate = {
    groupId: flags.projectId,
    clusterName: flags.clusterName,
    deliveryType: type,
    snapshotId: flags.snapshotId,
    targetGroupId: flags.targetProjectId,
    targetClusterName: flags.targetClusterName,
    pointInTimeUTCSeconds: flags.pointInTimeUTCSeconds,
    oplogTs: flags.oplogTs,
    oplogInc: flags.oplogInc,
    requestId: flags.requestId,
    maxWaitMinutes: flags.maxWaitMinutes,
    ...(extra.dryRun ? { dryRun: true } : {}),
  };
  const defined = Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined));
  const parsed = parseRestoreRequest(defined, { now: Date.now() });
  if (!parsed.ok) throw new UsageError(describeIssuesAsFlags(parsed.issues));
  return parsed.request;
}

/** `--targetClusterName: required for deliveryType automated; --oplogInc: …` */
export function describeIssuesAsFlags(issues: readonly ContractIssue[]): string {
  return issues.map((issue) => `${FLAG_OF_FIELD[issue.path] ?? issue.path}: ${issue.message}`).join('; ');
}

/**
 * A requestId for a request given without one, chosen once before the first send: every retry of that send (by the
 * SDK, or by the operator with the printed id) is then the same operation. The work queue refuses requests without.
 */
export function newRequestId(now = new Date()): string {
  return `cli-${now.toISOString()}-${randomUUID().slice(0, 8)}`;
}
