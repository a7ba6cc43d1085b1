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

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * createDatabaseUser's body, SCRAM users only (the data plane authenticates with SCRAM-SHA-256), scoped to clusters
 * only (the simulator has no data lakes nor stream workspaces).
 */
const databaseUserRequest = z.object({
  groupId: z.string().regex(ATLAS_ID),
  databaseName: z.literal('admin'),
  username: z.string().min(1).max(1024),
  password: z.string().min(8),
  roles: z
    .array(
      z.object({ roleName: z.string().min(1), databaseName: z.string().min(1), collectionName: z.string().optional() }),
    )
    .min(1),
  scopes: z.array(z.object({ name: z.string().regex(CLUSTER_NAME), type: z.literal('CLUSTER') })).optional(),
  deleteAfterDate: z.string().regex(ISO_DATE_TIME).optional(),
  description: z.string().max(100).optional(),
  labels: z.array(z.object({ key: z.string().optional(), value: z.string().optional() })).optional(),
  awsIAMType: z.literal('NONE').optional(),
  ldapAuthType: z.literal('NONE').optional(),
  oidcAuthType: z.literal('NONE').optional(),
  x509Type: z.literal('NONE').optional(),
});
export type DatabaseUserRequest = z.infer<typeof databaseUserRequest>;

/**
 * The body of createDatabaseUser: the project in the body must be the path's, and `deleteAfterDate` must be in the
 * future and at most a week ahead (the spec's rule), on the simulated clock.
 */
export function parseDatabaseUserRequest(body: unknown, groupId: string, now: number): DatabaseUserRequest {
  const request = parseOrThrow(databaseUserRequest, requireObject(body));
  if (request.groupId !== groupId) {
    throw new AtlasError(400, 'INVALID_ATTRIBUTE', `Invalid attribute groupId specified: it must be ${groupId}.`, {
      parameters: ['groupId', request.groupId],
    });
  }
  if (request.deleteAfterDate !== undefined) {
    const at = Date.parse(request.deleteAfterDate);
    if (!(at > now && at <= now + 7 * 86_400_000)) {
      throw new AtlasError(
        400,
        'INVALID_ATTRIBUTE',
        'Invalid attribute deleteAfterDate specified: it must be in the future and within one week.',
        { parameters: ['deleteAfterDate', request.deleteAfterDate] },
      );
    }
  }
  return request;
}

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

function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AtlasError(400, 'INVALID_JSON', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function parseOrThrow<T extends z.ZodType>(schema: T, input: Record<string, unknown>): z.infer<T> {
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

function missing(field: string): AtlasError {
  return new AtlasError(400, 'MISSING_ATTRIBUTE', `The required attribute ${field} was not specified.`, {
    parameters: [field],
  });
}
