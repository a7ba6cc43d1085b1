import * as z from 'zod';
import { atlasId, clusterName, deliveryType } from './model.ts';

/** Atlas refuses point-in-time values before 2008-01-01 (seconds since the epoch). */
const epochSeconds = z.number().int().min(1199145600);

/**
 * createBackupRestoreJob's body, checked before it is sent: Atlas's own errors for these cases arrive only
 * after a rate-limited round trip, and some (a missing target) are easy to misread.
 */
export const restoreJobRequestSchema = z
  .strictObject({
    deliveryType,
    snapshotId: atlasId.optional(),
    targetGroupId: atlasId.optional(),
    targetClusterName: clusterName.optional(),
    pointInTimeUTCSeconds: epochSeconds.optional(),
    oplogTs: epochSeconds.optional(),
    oplogInc: z.number().int().min(1).optional(),
  })
  .superRefine((request, context) => {
    const require = (key: keyof typeof request, why: string) => {
      if (request[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    const refuse = (key: keyof typeof request, why: string) => {
      if (request[key] !== undefined) context.addIssue({ code: 'custom', path: [key], message: `not allowed ${why}` });
    };
    const forType = `for deliveryType ${request.deliveryType}`;
    if (request.deliveryType !== 'download') {
      require('targetGroupId', forType);
      require('targetClusterName', forType);
    }
    if (request.deliveryType !== 'pointInTime') {
      require('snapshotId', forType);
      for (const key of ['pointInTimeUTCSeconds', 'oplogTs', 'oplogInc'] as const) refuse(key, forType);
      return;
    }
    const byOplog = request.oplogTs !== undefined || request.oplogInc !== undefined;
    if (byOplog) {
      require('oplogTs', 'with oplogInc');
      require('oplogInc', 'with oplogTs');
      refuse('pointInTimeUTCSeconds', 'with oplogTs and oplogInc');
    } else {
      require('pointInTimeUTCSeconds', 'for deliveryType pointInTime (or oplogTs and oplogInc)');
    }
  });

/** takeSnapshots' body. */
export const snapshotRequestSchema = z.strictObject({
  description: z.string().max(1000).optional(),
  retentionInDays: z.number().int().min(1).optional(),
});
