import * as z from 'zod';
import { atlasId, clusterName, deliveryType } from '../atlas/model.ts';
import { ephemeralTargetSchema } from './ephemeral-target.ts';
import { type ContractIssue, ruleIssue } from './issues.ts';
import { requestId } from './request-id.ts';
import { verifyOptions } from './verification.ts';

/**
 * The public restore request: the body of an SQS message on the work queue, the `detail` of an EventBridge event,
 * a Scheduler schedule's input, or a direct invocation's payload.
 *
 * A weekly DR drill onto a dedicated cluster, from the newest completed snapshot:
 * ```json
 * { "groupId": "5f1a2b3c4d5e6f7a8b9c0d1e", "clusterName": "prod", "deliveryType": "automated",
 *   "snapshotId": "latest", "targetGroupId": "5f1a2b3c4d5e6f7a8b9c0d1e", "targetClusterName": "dr-drill",
 *   "requestId": "drill-2026-11-28", "maxWaitMinutes": 720 }
 * ```
 * A point-in-time restore (no snapshotId: the point in time picks the snapshot), checked but not submitted:
 * ```json
 * { "groupId": "5f1a2b3c4d5e6f7a8b9c0d1e", "clusterName": "prod", "deliveryType": "pointInTime",
 *   "targetGroupId": "5f1a2b3c4d5e6f7a8b9c0d1e", "targetClusterName": "dr-drill",
 *   "pointInTimeUTCSeconds": 1764300000, "requestId": "pit-incident-4711", "dryRun": true }
 * ```
 * A download of a given snapshot (no target: Atlas prepares a download link):
 * ```json
 * { "groupId": "5f1a2b3c4d5e6f7a8b9c0d1e", "clusterName": "prod", "deliveryType": "download",
 *   "snapshotId": "6650d1e2f3a4b5c6d7e8f9a0", "requestId": "legal-hold-2026-03" }
 * ```
 * Unknown keys are rejected: a typo in an operator's message must not be silently ignored.
 */

/** Atlas refuses points in time before 2008-01-01 (`oplogTs`, `pointInTimeUTCSeconds` >= 1199145600). */
export const MIN_POINT_IN_TIME_SECONDS = 1_199_145_600;
export const MAX_WAIT_MINUTES_LIMIT = 14 * 24 * 60;

export { REQUEST_ID_PATTERN, requestId } from './request-id.ts';

/**
 * Atlas stores these instants as 32-bit integers (`format: int32` in the spec): nothing after 2038-01-19T03:14:07Z.
 * A value a thousand times too large is milliseconds given by mistake (the Atlas CLI's own flag was once named
 * `--pointInTimeUTCMillis` while taking seconds): refused with a rule that says so, never read as year 57878.
 */
export const MAX_POINT_IN_TIME_SECONDS = 2_147_483_647;

const epochSeconds = z
  .int()
  .min(MIN_POINT_IN_TIME_SECONDS, 'must be seconds since the epoch, 1199145600 or later')
  .refine((seconds) => !looksLikeMilliseconds(seconds), {
    error: (issue) => millisecondsMessage(issue.input as number),
    params: { rule: 'looks_like_milliseconds' },
    abort: true,
  })
  .max(
    MAX_POINT_IN_TIME_SECONDS,
    `must be seconds since the epoch, at most ${MAX_POINT_IN_TIME_SECONDS} (2038-01-19, Atlas's 32-bit limit)`,
  );

/** Milliseconds by mistake: too large for seconds, and a plausible instant once divided by 1000. */
function looksLikeMilliseconds(value: number): boolean {
  return value / 1000 >= MIN_POINT_IN_TIME_SECONDS && value / 1000 <= MAX_POINT_IN_TIME_SECONDS;
}

function millisecondsMessage(value: number): string {
  const asSeconds = Math.floor(value / 1000);
  const year = new Date(value * 1000).getUTCFullYear();
  return `looks like milliseconds: as seconds it is the year ${year}; give seconds since the epoch (${asSeconds} is ${isoSeconds(asSeconds)})`;
}

/** `2026-11-28T03:20:00Z`, for messages that name an instant given in epoch seconds. */
export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export const restoreRequestFields = z.strictObject({
  groupId: atlasId.describe('Project (group) id of the source cluster.'),
  clusterName: clusterName.describe('Name of the source cluster whose snapshots are restored.'),
  deliveryType: deliveryType.describe(
    'automated: restore onto a target cluster; download: prepare a download link; pointInTime: restore onto a target cluster at a point in time.',
  ),
  snapshotId: z
    .union([atlasId, z.literal('latest')], { error: 'must be a 24-hex snapshot id or "latest"' })
    .optional()
    .describe('Snapshot to restore, or "latest" (default) for the newest completed one. Not used with pointInTime.'),
  targetGroupId: atlasId
    .optional()
    .describe(
      'Project of the target cluster. Required for automated and pointInTime, unless ephemeralTarget is given.',
    ),
  targetClusterName: clusterName
    .optional()
    .describe(
      'Target cluster: it is OVERWRITTEN. Required for automated and pointInTime (unless ephemeralTarget is given), refused for download.',
    ),
  ephemeralTarget: ephemeralTargetSchema
    .optional()
    .describe(
      'automated and pointInTime only, instead of targetGroupId/targetClusterName: create the target in a drill project, restore into it, delete it after holdMinutes.',
    ),
  pointInTimeUTCSeconds: epochSeconds
    .optional()
    .describe(
      'pointInTime only: the moment to restore, in epoch seconds (not milliseconds); not in the future when received.',
    ),
  oplogTs: epochSeconds
    .optional()
    .describe(
      'pointInTime only, with oplogInc: the oplog timestamp to restore to, in epoch seconds; not in the future when received.',
    ),
  oplogInc: z.int().min(1, 'must be 1 or more').optional().describe('pointInTime only, with oplogTs.'),
  requestId: requestId
    .optional()
    .describe(
      'Idempotency key: a request repeated with the same requestId is the same operation. Required by the work queue and direct invocations (no default: a retried send must carry the same id); optional here only so a CLI or schedule can fill it in before sending.',
    ),
  maxWaitMinutes: z
    .int()
    .min(1, 'must be 1 or more')
    .max(MAX_WAIT_MINUTES_LIMIT, `must be at most ${MAX_WAIT_MINUTES_LIMIT} (14 days)`)
    .optional()
    .describe('Give up waiting after this many minutes from the request (default: DEFAULT_MAX_WAIT_MINUTES).'),
  dryRun: z
    .boolean()
    .optional()
    .describe('Check guardrails, snapshot and target, report what would be done, and submit nothing.'),
  verify: verifyOptions
    .optional()
    .describe(
      'automated and pointInTime only: verify the restored cluster (heartbeat RPO, structure and counts against the source, declared checks); {} runs the default checks. A drill passes only when the restore succeeded and the verification passed.',
    ),
});

type RestoreRequestFields = z.infer<typeof restoreRequestFields>;

const TARGET_FIELDS = ['targetGroupId', 'targetClusterName'] as const;
const POINT_IN_TIME_FIELDS = ['pointInTimeUTCSeconds', 'oplogTs', 'oplogInc'] as const;

/** The rules between fields that Atlas enforces (or that keep an operator from a surprise). Mirrored in the JSON Schema. */
function checkFieldCombinations(request: RestoreRequestFields, context: z.RefinementCtx): void {
  const present = (field: keyof RestoreRequestFields) => request[field] !== undefined;
  const kind = request.deliveryType;
  const ephemeral = present('ephemeralTarget');
  if ((kind === 'automated' || kind === 'pointInTime') && !ephemeral) {
    for (const field of TARGET_FIELDS) {
      if (!present(field)) context.addIssue(ruleIssue(field, 'required', `required for deliveryType ${kind}`));
    }
  }
  if (ephemeral && kind !== 'download') {
    for (const field of TARGET_FIELDS) {
      if (present(field)) {
        context.addIssue(
          ruleIssue(
            field,
            'not_with_ephemeral_target',
            'not allowed with ephemeralTarget (the drill creates its target)',
          ),
        );
      }
    }
  }
  if (kind === 'download') {
    if (ephemeral) {
      context.addIssue(
        ruleIssue(
          'ephemeralTarget',
          'refused_for_download',
          'not allowed for deliveryType download (it restores no cluster)',
        ),
      );
    }
    for (const field of TARGET_FIELDS) {
      if (present(field)) {
        context.addIssue(
          ruleIssue(field, 'refused_for_download', 'not allowed for deliveryType download (it restores no cluster)'),
        );
      }
    }
  }
  if (kind === 'download' && present('verify')) {
    context.addIssue(
      ruleIssue(
        'verify',
        'refused_for_download',
        'not allowed for deliveryType download (it restores no cluster to verify)',
      ),
    );
  }
  if (kind === 'automated' || kind === 'download') {
    for (const field of POINT_IN_TIME_FIELDS) {
      if (present(field)) {
        context.addIssue(ruleIssue(field, 'point_in_time_only', 'only allowed with deliveryType pointInTime'));
      }
    }
  }
  if (kind === 'pointInTime') {
    if (present('snapshotId')) {
      context.addIssue(
        ruleIssue(
          'snapshotId',
          'not_with_point_in_time',
          'not used with pointInTime: the point in time picks the snapshot',
        ),
      );
    }
    const bySeconds = present('pointInTimeUTCSeconds');
    const byOplog = present('oplogTs') || present('oplogInc');
    if (bySeconds && byOplog) {
      context.addIssue(
        ruleIssue(
          'pointInTimeUTCSeconds',
          'one_point_in_time',
          'give pointInTimeUTCSeconds or oplogTs+oplogInc, not both',
        ),
      );
    } else if (!bySeconds && !byOplog) {
      context.addIssue(
        ruleIssue('pointInTimeUTCSeconds', 'required', 'pointInTime needs pointInTimeUTCSeconds or oplogTs+oplogInc'),
      );
    } else if (byOplog) {
      for (const field of ['oplogTs', 'oplogInc'] as const) {
        if (!present(field)) context.addIssue(ruleIssue(field, 'required', 'oplogTs and oplogInc go together'));
      }
    }
  }
}

export const restoreRequestSchema = restoreRequestFields.superRefine(checkFieldCombinations);
export type RestoreRequest = z.infer<typeof restoreRequestSchema>;

/**
 * The one rule that needs a clock: a point in time must not be after `now`, the receiver's clock when the request
 * arrives (Atlas refuses a future instant with INVALID_PIT_RESTORE_TIME, and an instant only moves into the past, so
 * it is checked once, here, and not again before submitting). Not expressible in the JSON Schema; its descriptions
 * say it.
 */
export function pointInTimeIssues(request: RestoreRequest, now: number): ContractIssue[] {
  const nowSeconds = Math.floor(now / 1000);
  return (['pointInTimeUTCSeconds', 'oplogTs'] as const).flatMap((field) => {
    const seconds = request[field];
    if (seconds === undefined || seconds <= nowSeconds) return [];
    return [
      {
        path: field,
        rule: 'in_the_future',
        message: `is in the future: ${isoSeconds(seconds)} is after now (${isoSeconds(nowSeconds)}); a point in time must be in the past`,
      },
    ];
  });
}

export const RESTORE_REQUEST_KEYS: readonly string[] = Object.keys(restoreRequestFields.shape);

/** `groupId/clusterName`, the form of the allow-lists and of the ledger's byCluster index. */
export function clusterKey(cluster: { readonly groupId: string; readonly clusterName: string }): string {
  return `${cluster.groupId}/${cluster.clusterName}`;
}

/** The cluster a request overwrites, or undefined for a download. */
export function restoreTarget(request: RestoreRequest): { groupId: string; clusterName: string } | undefined {
  if (request.targetGroupId === undefined || request.targetClusterName === undefined) return undefined;
  return { groupId: request.targetGroupId, clusterName: request.targetClusterName };
}

/** A JSON Schema `if`/`then` clause, applying `then` to requests of these delivery types. */
function whenDeliveryType(types: readonly string[], then: Record<string, unknown>): Record<string, unknown> {
  return { if: { properties: { deliveryType: { enum: types } } }, then };
}

/**
 * The cross-field rules as JSON Schema (draft 2020-12) `allOf` clauses, published with the generated schema. Kept
 * next to `checkFieldCombinations` so the two change together; a property test checks they agree.
 */
export const restoreRequestJsonSchemaRules = [
  whenDeliveryType(['automated', 'pointInTime'], {
    oneOf: [
      { required: ['targetGroupId', 'targetClusterName'], not: { required: ['ephemeralTarget'] } },
      {
        required: ['ephemeralTarget'],
        not: { anyOf: [{ required: ['targetGroupId'] }, { required: ['targetClusterName'] }] },
      },
    ],
  }),
  whenDeliveryType(['download'], {
    not: {
      anyOf: [
        { required: ['targetGroupId'] },
        { required: ['targetClusterName'] },
        { required: ['verify'] },
        { required: ['ephemeralTarget'] },
      ],
    },
  }),
  whenDeliveryType(['automated', 'download'], {
    not: { anyOf: [{ required: ['pointInTimeUTCSeconds'] }, { required: ['oplogTs'] }, { required: ['oplogInc'] }] },
  }),
  whenDeliveryType(['pointInTime'], {
    not: { required: ['snapshotId'] },
    oneOf: [
      { required: ['pointInTimeUTCSeconds'], not: { anyOf: [{ required: ['oplogTs'] }, { required: ['oplogInc'] }] } },
      { required: ['oplogTs', 'oplogInc'], not: { required: ['pointInTimeUTCSeconds'] } },
    ],
  }),
];
