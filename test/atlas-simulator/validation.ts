import * as z from 'zod';
import { AtlasError } from './errors.ts';

/**
 * Request validation with the spec's patterns and the README's rules, answered as Atlas does: 400 with an errorCode
 * and `parameters` naming the field (MISSING_ATTRIBUTE, INVALID_ATTRIBUTE, INVALID_ENUM_VALUE).
 */
const ATLAS_ID = /^[a-f0-9]{24}$/;
const CLUSTER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/;
const EARLIEST_SECONDS = 1_199_145_600;

const pathParams = z.object({
  groupId: z.string().regex(ATLAS_ID).optional(),
  clusterName: z.string().max(64).regex(CLUSTER_NAME).optional(),
  snapshotId: z.string().regex(ATLAS_ID).optional(),
  restoreJobId: z.string().regex(ATLAS_ID).optional(),
});

const pagination = z.object({
  pageNum: z.coerce.number().int().min(1).default(1),
  itemsPerPage: z.coerce.number().int().min(1).max(500).default(100),
  includeCount: z.enum(['true', 'false']).default('true'),
});
export type Pagination = { readonly pageNum: number; readonly itemsPerPage: number; readonly includeCount: boolean };

const restoreJobRequest = z.object({
  deliveryType: z.enum(['automated', 'download', 'pointInTime']),
  snapshotId: z.string().regex(ATLAS_ID).optional(),
  targetGroupId: z.string().regex(ATLAS_ID).optional(),
  targetClusterName: z.string().max(64).regex(CLUSTER_NAME).optional(),
  pointInTimeUTCSeconds: z.int().min(EARLIEST_SECONDS).optional(),
  oplogTs: z.int().min(EARLIEST_SECONDS).optional(),
  oplogInc: z.int().min(1).optional(),
});
export type RestoreJobRequest = z.infer<typeof restoreJobRequest>;

const onDemandSnapshotRequest = z.object({
  description: z.string().optional(),
  retentionInDays: z.int().min(1).optional(),
});
export type OnDemandSnapshotRequest = z.infer<typeof onDemandSnapshotRequest>;

export function validatePathParams(params: Readonly<Record<string, string>>): void {
  parseOrThrow(pathParams, params);
}

export function parsePagination(query: URLSearchParams): Pagination {
  const parsed = parseOrThrow(pagination, Object.fromEntries(query));
  return { ...parsed, includeCount: parsed.includeCount === 'true' };
}

export function parseOnDemandSnapshotRequest(body: unknown): OnDemandSnapshotRequest {
  return parseOrThrow(onDemandSnapshotRequest, requireObject(body ?? {}));
}

/** The body of createBackupRestoreJob, with the rules the spec states only in prose. */
export function parseRestoreJobRequest(body: unknown): RestoreJobRequest {
  const request = parseOrThrow(restoreJobRequest, requireObject(body));
  const { deliveryType } = request;
  if (deliveryType !== 'download') {
    if (request.targetClusterName === undefined) throw missing('targetClusterName');
    if (request.targetGroupId === undefined) throw missing('targetGroupId');
  }
  if (deliveryType !== 'pointInTime') {
    if (request.snapshotId === undefined) throw missing('snapshotId');
    return request;
  }
  const byOplog = request.oplogTs !== undefined || request.oplogInc !== undefined;
  if (request.pointInTimeUTCSeconds !== undefined && byOplog) {
    throw new AtlasError(
      400,
      'INVALID_ATTRIBUTE',
      'Specify either pointInTimeUTCSeconds or oplogTs and oplogInc, not both.',
      {
        parameters: ['pointInTimeUTCSeconds'],
      },
    );
  }
  if (request.pointInTimeUTCSeconds === undefined && !byOplog) throw missing('pointInTimeUTCSeconds');
  if (byOplog && request.oplogTs === undefined) throw missing('oplogTs');
  if (byOplog && request.oplogInc === undefined) throw missing('oplogInc');
  return request;
}

export function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AtlasError(400, 'INVALID_JSON', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

export function parseOrThrow<T extends z.ZodType>(schema: T, input: Record<string, unknown>): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  const value = input[String(issue?.path[0] ?? '')];
  if (value === undefined) throw missing(field);
  if (issue?.code === 'invalid_value') {
    throw new AtlasError(
      400,
      'INVALID_ENUM_VALUE',
      `An invalid enumeration value ${String(value)} was specified for ${field}.`,
      {
        parameters: [field, value],
      },
    );
  }
  throw new AtlasError(
    400,
    'INVALID_ATTRIBUTE',
    `Invalid attribute ${field} specified: ${issue?.message ?? 'invalid'}.`,
    {
      parameters: [field, value],
    },
  );
}

export function missing(field: string): AtlasError {
  return new AtlasError(400, 'MISSING_ATTRIBUTE', `The required attribute ${field} was not specified.`, {
    parameters: [field],
  });
}
