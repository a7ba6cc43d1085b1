/**
 * 401 codes with which Atlas refuses credentials it accepted: not in the project's organisation (NOT_IN_GROUP), in
 * it but without access to the project (USER_CANNOT_ACCESS_GROUP), or without a role for the action
 * (USER_UNAUTHORIZED). A new token or a fresh read of the secret changes nothing; someone must grant access.
 */
export const PERMISSION_ERROR_CODES: ReadonlySet<string> = new Set([
  'USER_UNAUTHORIZED',
  'NOT_IN_GROUP',
  'USER_CANNOT_ACCESS_GROUP',
]);

/** 403 codes for a caller whose IP address is not on the API access list of the key or service account. */
export const IP_ACCESS_LIST_ERROR_CODES: ReadonlySet<string> = new Set([
  'IP_ADDRESS_NOT_ON_ACCESS_LIST',
  'IP_ADDRESS_NOT_ON_WHITELIST',
]);

/** What went wrong with one Atlas call, with the context an operator needs and nothing secret. */
export interface AtlasErrorContext {
  readonly operation: string;
  readonly method: string;
  /** The request path (never the query string's secrets: there are none, and never a credential). */
  readonly path: string;
  readonly groupId?: string;
  readonly clusterName?: string;
  /** Absent for network errors and timeouts. */
  readonly status?: number;
  readonly errorCode?: string;
  readonly detail?: string;
  /** Whether waiting and trying again may succeed (429, 5xx, 405 during upgrades, network, timeout). */
  readonly retryable: boolean;
  /** The request may have taken effect although no answer proves it (a non-idempotent POST that failed in flight). */
  readonly ambiguous?: boolean;
  /** Seconds Atlas asked us to wait (Retry-After). */
  readonly retryAfterSeconds?: number;
}

export class AtlasApiError extends Error {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly groupId: string | undefined;
  readonly clusterName: string | undefined;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly detail: string | undefined;
  readonly retryable: boolean;
  readonly ambiguous: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(context: AtlasErrorContext, options?: { cause?: unknown }) {
    super(describe(context), options);
    this.name = 'AtlasApiError';
    this.operation = context.operation;
    this.method = context.method;
    this.path = context.path;
    this.groupId = context.groupId;
    this.clusterName = context.clusterName;
    this.status = context.status;
    this.errorCode = context.errorCode;
    this.detail = context.detail;
    this.retryable = context.retryable;
    this.ambiguous = context.ambiguous ?? false;
    this.retryAfterSeconds = context.retryAfterSeconds;
  }
}

/** `createBackupRestoreJob on cluster prod (project 5f…): 409 ATLAS_CLUSTER_RESTORE_IN_PROGRESS: …` */
function describe(context: AtlasErrorContext): string {
  const where = context.clusterName
    ? ` on cluster ${context.clusterName}${context.groupId ? ` (project ${context.groupId})` : ''}`
    : context.groupId
      ? ` in project ${context.groupId}`
      : '';
  const answer = [context.status, context.errorCode].filter(Boolean).join(' ');
  // Without a status the detail says what failed (connection refused, timeout, credentials unreadable).
  const what = [answer, context.detail].filter(Boolean).join(': ') || 'network error';
  return `${context.operation}${where}: ${what}`;
}
