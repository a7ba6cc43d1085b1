import * as z from 'zod';
import { atlasId } from '../atlas/model.ts';

/**
 * Ephemeral drill targets (issue 15): instead of a fixed target, a request may ask the workflow to create the drill's
 * cluster in an allow-listed drill project, restore into it, and delete it afterwards.
 *
 * ```json
 * { "groupId": "5f1a2b3c4d5e6f7a8b9c0d1e", "clusterName": "prod", "deliveryType": "automated",
 *   "ephemeralTarget": { "groupId": "6a1b2c3d4e5f6a7b8c9d0e1f", "namePrefix": "drill-", "holdMinutes": 30 },
 *   "requestId": "drill-2026-11-28" }
 * ```
 * The spec is the source's (same MongoDB major version, topology and shard count, disk at least the source's); tier,
 * provider, region and a larger disk may be given.
 */

export const DEFAULT_EPHEMERAL_NAME_PREFIX = 'drill-';
/** Hex characters of the operation id's hash after the prefix: the cluster's name is one per operation. */
export const EPHEMERAL_NAME_HASH_LENGTH = 10;
/**
 * Atlas builds host names from a cluster name's first 23 characters (longer names are truncated there), so prefix +
 * hash stays within 23: two operations' clusters never share a host-name prefix.
 */
export const MAX_EPHEMERAL_PREFIX_LENGTH = 23 - EPHEMERAL_NAME_HASH_LENGTH;
export const MAX_HOLD_MINUTES = 24 * 60;

export const ephemeralTargetSchema = z.strictObject({
  groupId: atlasId.describe(
    'The drill project (groupId) the cluster is created in: must be in ALLOWED_DRILL_PROJECTS.',
  ),
  namePrefix: z
    .string()
    .regex(
      new RegExp(`^[a-zA-Z][a-zA-Z0-9-]{0,${MAX_EPHEMERAL_PREFIX_LENGTH - 1}}$`),
      `must start with a letter and hold 1 to ${MAX_EPHEMERAL_PREFIX_LENGTH} letters, digits or hyphens`,
    )
    .optional()
    .describe(
      `Start of the cluster's name (default "${DEFAULT_EPHEMERAL_NAME_PREFIX}"); a hash of the requestId follows it.`,
    ),
  instanceSize: z
    .string()
    .regex(/^(M|R)[1-9][0-9]{1,2}(_NVME)?$/, 'must be a dedicated tier (M10 or larger, R40…, …_NVME)')
    .optional()
    .describe("Tier of the cluster (default: the source's)."),
  providerName: z.enum(['AWS', 'GCP', 'AZURE']).optional().describe("Cloud provider (default: the source's)."),
  regionName: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{1,40}$/, 'must be an Atlas region name (US_EAST_1, EUROPE_WEST_1, …)')
    .optional()
    .describe("Region (default: the source's first region)."),
  diskSizeGB: z
    .int()
    .min(10, 'must be at least 10')
    .max(14_400, 'must be at most 14400')
    .optional()
    .describe("Disk in GB: at least the source's (default: the source's)."),
  holdMinutes: z
    .int()
    .min(0, 'must be 0 or more')
    .max(MAX_HOLD_MINUTES, `must be at most ${MAX_HOLD_MINUTES} (a day)`)
    .optional()
    .describe('Minutes the cluster is kept after the restore (and verification) before it is deleted (default 0).'),
});

export type EphemeralTarget = z.infer<typeof ephemeralTargetSchema>;
