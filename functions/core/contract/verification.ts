import * as z from 'zod';
import { ruleIssue } from './issues.ts';
import { requestId } from './request-id.ts';

/**
 * Verified drills: what a request asks to check on the restored cluster, what the restore function tells the
 * verifier (its own queue), and what the verifier records on the operation. The restore function never opens a
 * database connection: the verifier (functions/verifier.ts, the official driver) does, and writes its result into
 * the ledger, where the restore chain's verify phase reads it.
 *
 * A request's `verify` (all optional; `"verify": {}` runs the default checks):
 * ```json
 * { "heartbeats": { "database": "atlas_restore", "collection": "heartbeats", "intervalSeconds": 60 },
 *   "countTolerancePercent": 5,
 *   "checks": [ { "database": "shop", "collection": "orders", "minCount": 1000,
 *                 "newestField": "createdAt", "maxAgeMinutes": 1440 } ],
 *   "credentials": "secret" }
 * ```
 */

const databaseName = z
  .string()
  .regex(/^[^/\\. "$\0]{1,63}$/, 'must be a MongoDB database name (1 to 63 characters, none of / \\ . " $)');
const collectionName = z
  .string()
  .regex(/^(?!system\.)[^$\0]{1,120}$/, 'must be a MongoDB collection name (1 to 120 characters, no $, not system.*)');

export const DEFAULT_HEARTBEATS = { database: 'atlas_restore', collection: 'heartbeats', intervalSeconds: 60 } as const;

export const heartbeatOptions = z.strictObject({
  database: databaseName.default(DEFAULT_HEARTBEATS.database),
  collection: collectionName.default(DEFAULT_HEARTBEATS.collection),
  intervalSeconds: z.int().min(10).max(3600).default(DEFAULT_HEARTBEATS.intervalSeconds),
});

export const userCheck = z
  .strictObject({
    database: databaseName,
    collection: collectionName,
    /** A query filter (plain JSON, no operators that run code: `$where`, `$function`, `$accumulator` are refused). */
    filter: z
      .record(z.string(), z.unknown())
      .refine((filter) => !/"\$(where|function|accumulator)"/.test(JSON.stringify(filter)), {
        message: 'must not use $where, $function or $accumulator',
        params: { rule: 'no_code' },
      })
      .optional(),
    minCount: z.int().min(0).optional(),
    /** With maxAgeMinutes: the newest document by this date field must be at most that old (against the restored instant). */
    newestField: z.string().min(1).max(200).optional(),
    maxAgeMinutes: z.int().min(1).optional(),
  })
  // Half an age check would pass on the count alone: a user who wrote one of the two meant the age to be checked.
  .superRefine((check, context) => {
    const missing =
      check.newestField !== undefined && check.maxAgeMinutes === undefined
        ? 'maxAgeMinutes'
        : check.maxAgeMinutes !== undefined && check.newestField === undefined
          ? 'newestField'
          : undefined;
    if (missing === undefined) return;
    context.addIssue({
      ...ruleIssue(
        missing,
        'age_check_pair',
        'required with the other: newestField and maxAgeMinutes make one age check',
      ),
    });
  });

export const verifyOptions = z.strictObject({
  /** Heartbeat RPO check; `false` turns it off. Default: the heartbeat writer's collection, every 60 s. */
  heartbeats: z.union([heartbeatOptions, z.literal(false)]).optional(),
  /** Estimated counts on the target may differ from the source's inventory by this much. Default 5. */
  countTolerancePercent: z.number().min(0).max(100).optional(),
  checks: z.array(userCheck).max(50).optional(),
  /** `secret`: the verifier's database user from Secrets Manager; `temporaryUser`: one made through the Admin API for the drill. */
  credentials: z.enum(['secret', 'temporaryUser']).optional(),
});
export type VerifyOptions = z.infer<typeof verifyOptions>;

/** What the restore function sends the verifier. `inventory`: read the source (before the restore); `verify`: check the target. */
export const verificationMessage = z.strictObject({
  v: z.literal(1),
  kind: z.enum(['inventory', 'verify']),
  operationId: requestId,
});
export type VerificationMessage = z.infer<typeof verificationMessage>;

export const checkVerdict = z.enum(['pass', 'fail', 'unknown']);
export type CheckVerdict = z.infer<typeof checkVerdict>;

export const checkResult = z.strictObject({
  /** e.g. `heartbeat-rpo`, `collection:shop.orders`, `indexes:shop.orders`, `count:shop.orders`, `check:1`. */
  name: z.string().min(1),
  verdict: checkVerdict,
  /** Why: what was expected and found, or why it could not be known. Never a credential or a document's content. */
  reason: z.string().min(1),
});
export type CheckResult = z.infer<typeof checkResult>;

export const collectionInventory = z.strictObject({
  database: z.string(),
  collection: z.string(),
  estimatedCount: z.int().min(0),
  indexes: z.array(z.string()),
  hasValidator: z.boolean(),
  capped: z.boolean(),
});

/** A read-only inventory of the source, taken before the restore. Bounded (the ledger item's 400 KB). */
export const sourceInventory = z.strictObject({
  capturedAt: z.int().min(0),
  collections: z.array(collectionInventory).max(1000),
  /** More collections than kept: the comparison says so instead of passing in silence. */
  truncated: z.boolean(),
});
export type SourceInventory = z.infer<typeof sourceInventory>;

export const verificationResult = z.strictObject({
  verdict: checkVerdict,
  checks: z.array(checkResult),
  /** The RPO proven by heartbeats: restored instant minus the newest heartbeat found (seconds), when known. */
  achievedRpoSeconds: z.int().min(0).optional(),
  recordedAt: z.int().min(0),
});
export type VerificationResult = z.infer<typeof verificationResult>;

/** A verdict over checks: fail if any fails, unknown if any is unknown (never a silent pass), else pass. */
export function overallVerdict(checks: readonly CheckResult[]): CheckVerdict {
  if (checks.some((check) => check.verdict === 'fail')) return 'fail';
  if (checks.length === 0 || checks.some((check) => check.verdict === 'unknown')) return 'unknown';
  return 'pass';
}
