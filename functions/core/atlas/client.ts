import { setTimeout as delay } from 'node:timers/promises';
import * as z from 'zod';
import packageJson from '../../../package.json' with { type: 'json' };
import type { CredentialsSource } from '../credentials/source.ts';
import type { AtlasApi, AtlasDatabaseUsersApi, CallOptions, ClusterRef } from './api.ts';
import { createAuthenticatedSender } from './auth.ts';
import { atlasOrigin } from './base-url.ts';
import { type DatabaseUser, databaseUserRequestSchema, databaseUserSchema } from './database-users.ts';
import { DigestSession } from './digest.ts';
import { createTransport, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUTS, type HttpResponse } from './http.ts';
import {
  type Cluster,
  clusterSchema,
  type RestoreJob,
  type RestoreJobRequest,
  restoreJobSchema,
  type Snapshot,
  snapshotSchema,
} from './model.ts';
import { createAccessTokens } from './oauth.ts';
import { type AtlasOperation, DATABASE_USER_OPERATIONS, OPERATIONS } from './operations.ts';
import { buildPath, type PathParameters, withQuery } from './paths.ts';
import { restoreJobRequestSchema, snapshotRequestSchema } from './requests.ts';
import { type CallContext, callError, errorFromResponse, parseResponse } from './responses.ts';
import { DEFAULT_RETRY_POLICY, withRetries } from './retry.ts';

/** Structured logging; Powertools' Logger fits as it is (its extra arguments are attribute objects). */
export interface AtlasLogger {
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  debug?(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface AtlasClientOptions {
  credentials: CredentialsSource;
  /** Else the credentials' baseUrl, else https://cloud.mongodb.com; plain http only for loopback hosts. */
  baseUrl?: string;
  /** Full-jitter exponential backoff. @default { baseDelayMs: 10_000, maxDelayMs: 40_000, maxAttempts: 4 } */
  retry?: { baseDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  /** @default { connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 } */
  timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number };
  /** Structured warnings (retries, Deprecation/Sunset headers) and per-request debug lines; never a secret. */
  logger?: AtlasLogger;
  /** @default `atlas-restore-orchestrator/<version>` */
  userAgent?: string;
  /** Waits between retries; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** For jitter; injectable for tests. */
  random?: () => number;
  /** Real time in epoch milliseconds, for deadlines and token expiry. */
  now?: () => number;
  /** Items per page when listing (Atlas allows 1–500). @default 500 */
  pageSize?: number;
  /** Larger responses fail instead of filling memory. @default 5 MiB */
  maxResponseBytes?: number;
  /**
   * Revoke the service-account token on close(), for short-lived processes (the CLI); a Lambda keeps reusing its
   * token across invocations instead. @default false
   */
  revokeTokenOnClose?: boolean;
}

export interface AtlasClient extends AtlasApi, AtlasDatabaseUsersApi {
  /** Closes the keep-alive connections. */
  close(): Promise<void>;
  /**
   * Atlas's clock at its latest answer, in epoch ms: the HTTP `Date` header (RFC 9110 §6.6.1) of the last response
   * that had one, or undefined before any. Durations shown against Atlas's own timestamps use it, not this machine's
   * clock (which may disagree, and does with a simulator that runs faster than real time).
   */
  serverDate?(): number | undefined;
}

/** Stops a listing that never ends (a server that ignores pageNum); 200 pages of 500 is far past any real cluster. */
const MAX_PAGES = 200;
/** Revoking on exit is best effort: a process should not hang on it. */
const REVOKE_TIMEOUT_MS = 5_000;
/** AbortSignal.timeout (setTimeout) cannot wait longer than this; a farther deadline needs no timer. */
const MAX_TIMER_MS = 2_147_483_647;

/** The Atlas Admin API v2 over keep-alive node:http(s) Agents, with retries, deadlines and both kinds of auth. */
export function createAtlasClient(options: AtlasClientOptions): AtlasClient {
  const configuredOrigin = options.baseUrl === undefined ? undefined : atlasOrigin(options.baseUrl);
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep =
    options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }).catch(() => {}));
  const logger = options.logger;
  const userAgent = options.userAgent ?? `atlas-restore-orchestrator/${packageJson.version}`;
  const policy = { ...DEFAULT_RETRY_POLICY, ...definedOnly(options.retry ?? {}) };
  const pageSize = Math.min(500, Math.max(1, Math.floor(options.pageSize ?? 500)));
  const transport = createTransport({
    timeouts: { ...DEFAULT_TIMEOUTS, ...definedOnly(options.timeouts ?? {}) },
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  });
  const tokens = createAccessTokens({
    transport,
    userAgent,
    now,
    onMinted: (details) => logger?.debug?.('Atlas access token minted', details),
  });
  const send = createAuthenticatedSender({
    credentials: options.credentials,
    configuredOrigin,
    transport,
    tokens,
    digest: new DigestSession(),
  });
  const noticesLogged = new Set<string>();
  let lastServerDate: number | undefined;
  let closing: Promise<void> | undefined;

  interface Call {
    readonly operation: AtlasOperation;
    readonly parameters: PathParameters;
    readonly query?: Record<string, string | number>;
    readonly body?: unknown;
    readonly options: CallOptions | undefined;
  }

  /**
   * One operation, retried as its idempotency and the deadline allow; resolves with what `read` makes of the 2xx
   * response. Reading is part of the attempt, so a GET whose body cannot be read is sent again.
   */
  async function call<T>(
    { operation, parameters, query, body, options: callOptions }: Call,
    read: (response: HttpResponse, context: CallContext) => T,
  ): Promise<T> {
    const context = callContext(operation, parameters);
    const built = buildPath(operation.path, parameters);
    if (!built.ok) throw callError(context, { retryable: false, detail: built.problem });
    const located = { ...context, path: built.path };
    const path = query === undefined ? built.path : withQuery(built.path, query);
    const deadline = callOptions?.deadline ?? Number.POSITIVE_INFINITY;
    const signal = callOptions?.signal;
    const headers: Record<string, string> = { accept: operation.mediaType, 'user-agent': userAgent };
    if (body !== undefined) headers['content-type'] = operation.mediaType;
    const payload = body === undefined ? {} : { body: JSON.stringify(body) };

    return withRetries(
      async (attempt) => {
        if (signal?.aborted)
          throw callError(located, { retryable: true, detail: 'aborted before the request was sent' });
        const remainingMs = deadline - now();
        if (remainingMs <= 0) {
          throw callError(located, { retryable: true, detail: 'deadline passed before the request was sent' });
        }
        const attemptSignal = withDeadline(signal, remainingMs);
        const startedAt = now();
        const response = await send(
          { method: operation.method, path, headers, ...payload, ...(attemptSignal ? { signal: attemptSignal } : {}) },
          located,
        );
        logger?.debug?.('Atlas request', {
          operation: operation.operationId,
          method: operation.method,
          path,
          status: response.status,
          attempt,
          durationMs: now() - startedAt,
        });
        noteDeprecation(operation, response);
        noteServerDate(response);
        if (response.status >= 200 && response.status < 300) return read(response, located);
        throw errorFromResponse(located, response, now());
      },
      {
        policy,
        deadline,
        now,
        random,
        sleep,
        signal,
        onRetry: (error, delayMs, attempt) =>
          logger?.warn('Atlas call failed; retrying', {
            operation: operation.operationId,
            groupId: context.groupId,
            clusterName: context.clusterName,
            status: error.status,
            errorCode: error.errorCode,
            detail: error.detail,
            retryAfterSeconds: error.retryAfterSeconds,
            attempt,
            delayMs,
          }),
      },
    );
  }

  function noteServerDate(response: HttpResponse) {
    const date = response.headers.date;
    const ms = date === undefined ? Number.NaN : Date.parse(date);
    if (Number.isFinite(ms)) lastServerDate = ms;
  }

  /** Deprecation and Sunset headers announce the end of a resource version: worth one warning per client. */
  function noteDeprecation(operation: AtlasOperation, response: HttpResponse) {
    const { deprecation, sunset } = response.headers;
    if (deprecation === undefined && sunset === undefined) return;
    const key = `${operation.operationId} ${deprecation} ${sunset}`;
    if (noticesLogged.has(key)) return;
    noticesLogged.add(key);
    const deprecatedSince = headerDate(deprecation);
    const sunsetAt = headerDate(sunset);
    logger?.warn('Atlas API resource version is deprecated', {
      operation: operation.operationId,
      mediaType: operation.mediaType,
      deprecation,
      sunset,
      ...(deprecatedSince === undefined ? {} : { deprecatedSince }),
      ...(sunsetAt === undefined ? {} : { sunsetAt }),
    });
  }

  function getOne<T>(schema: z.ZodType<T>, request: Call): Promise<T> {
    return call(request, (response, context) => parseResponse(schema, response, context));
  }

  /**
   * Every page, de-duplicated by id (items can shift between pages while we read them). A short page ends the
   * listing: Atlas calls `totalCount` an estimate, so stopping on it could drop the newest restore job.
   */
  async function listAll<T extends { id: string }>(schema: z.ZodType<T>, request: Call, paged: boolean): Promise<T[]> {
    const page = z.looseObject({ results: z.array(schema) });
    const items = new Map<string, T>();
    for (let pageNum = 1; pageNum <= MAX_PAGES; pageNum += 1) {
      const query = paged ? { pageNum, itemsPerPage: pageSize } : undefined;
      const { results } = await call(query ? { ...request, query } : request, (response, context) =>
        parseResponse(page, response, context),
      );
      for (const item of results) items.set(item.id, item);
      if (!paged || results.length < pageSize) return [...items.values()];
    }
    // A partial list could hide the job a caller looks for before submitting again: fail instead.
    throw callError(callContext(request.operation, request.parameters), {
      retryable: false,
      detail: `listing did not end after ${MAX_PAGES} pages of ${pageSize}`,
    });
  }

  function validated<T>(schema: z.ZodType<T>, value: unknown, operation: AtlasOperation, cluster: ClusterRef): T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw callError(callContext(operation, cluster), {
      retryable: false,
      detail: `invalid request: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' ')}`,
    });
  }

  const cluster = (ref: ClusterRef): PathParameters => ({ groupId: ref.groupId, clusterName: ref.clusterName });

  return {
    serverDate: () => lastServerDate,

    getCluster(ref, callOptions) {
      return getOne<Cluster>(clusterSchema, {
        operation: OPERATIONS.getCluster,
        parameters: cluster(ref),
        options: callOptions,
      });
    },

    async listSnapshots(ref, callOptions) {
      const sharded = callOptions?.sharded === true;
      // The sharded listing takes no paging parameters in the API description; it answers with every snapshot.
      const operation = sharded ? OPERATIONS.listBackupShardedClusters : OPERATIONS.listBackupSnapshots;
      const snapshots = await listAll(
        snapshotSchema,
        { operation, parameters: cluster(ref), options: callOptions },
        !sharded,
      );
      return snapshots.sort(newestSnapshotFirst);
    },

    getSnapshot(ref, snapshotId, callOptions) {
      const operation = callOptions?.sharded ? OPERATIONS.getBackupShardedCluster : OPERATIONS.getClusterBackupSnapshot;
      return getOne<Snapshot>(snapshotSchema, {
        operation,
        parameters: { ...cluster(ref), snapshotId },
        options: callOptions,
      });
    },

    async takeSnapshot(ref, request, callOptions) {
      const operation = OPERATIONS.takeSnapshots;
      const body = validated(snapshotRequestSchema, request, operation, ref);
      return getOne<Snapshot>(snapshotSchema, { operation, parameters: cluster(ref), body, options: callOptions });
    },

    async listRestoreJobs(ref, callOptions) {
      const operation = OPERATIONS.listBackupRestoreJobs;
      const jobs = await listAll(restoreJobSchema, { operation, parameters: cluster(ref), options: callOptions }, true);
      // Ids are ObjectIds: fixed-width hex whose order is creation order (time first), newest last.
      return jobs.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    },

    getRestoreJob(ref, restoreJobId, callOptions) {
      return getOne<RestoreJob>(restoreJobSchema, {
        operation: OPERATIONS.getBackupRestoreJob,
        parameters: { ...cluster(ref), restoreJobId },
        options: callOptions,
      });
    },

    async createRestoreJob(ref, request: RestoreJobRequest, callOptions) {
      const operation = OPERATIONS.createBackupRestoreJob;
      const body = validated(restoreJobRequestSchema, request, operation, ref);
      return getOne<RestoreJob>(restoreJobSchema, { operation, parameters: cluster(ref), body, options: callOptions });
    },

    async cancelRestoreJob(ref, restoreJobId, callOptions) {
      await call(
        {
          operation: OPERATIONS.cancelBackupRestoreJob,
          parameters: { ...cluster(ref), restoreJobId },
          options: callOptions,
        },
        () => undefined,
      );
    },

    // Database users (the verifier's temporary users).
    async createDatabaseUser(user, callOptions) {
      const operation = DATABASE_USER_OPERATIONS.createDatabaseUser;
      const parsed = databaseUserRequestSchema.safeParse(user);
      if (!parsed.success) {
        throw callError(callContext(operation, { groupId: user.groupId }), {
          retryable: false,
          // zod's messages name the field and the rule, never the value (the password stays out).
          detail: `invalid request: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' ')}`,
        });
      }
      return getOne<DatabaseUser>(databaseUserSchema, {
        operation,
        parameters: { groupId: user.groupId },
        body: parsed.data,
        options: callOptions,
      });
    },

    async deleteDatabaseUser(user, callOptions) {
      await call(
        {
          operation: DATABASE_USER_OPERATIONS.deleteDatabaseUser,
          parameters: { groupId: user.groupId, databaseName: user.databaseName, username: user.username },
          options: callOptions,
        },
        () => undefined,
      );
    },

    close() {
      closing ??= (async () => {
        if (options.revokeTokenOnClose === true) {
          const revoked = await tokens.revoke(AbortSignal.timeout(REVOKE_TIMEOUT_MS));
          if (!revoked) logger?.warn('Atlas access token could not be revoked; it expires within the hour');
        }
        await transport.close();
      })();
      return closing;
    },
  };
}

/** The context of errors for a call: ids and names only once they are known to be well formed. */
function callContext(operation: AtlasOperation, parameters: PathParameters): CallContext {
  const wellFormed = (name: 'groupId' | 'clusterName') => {
    const value = parameters[name];
    return value !== undefined && buildPath(`{${name}}`, { [name]: value }).ok ? { [name]: value } : {};
  };
  return {
    operation: operation.operationId,
    method: operation.method,
    path: operation.path,
    idempotent: operation.idempotent,
    ...wellFormed('groupId'),
    ...wellFormed('clusterName'),
  };
}

/** Queued and in-progress snapshots (no createdAt yet) first, then by createdAt, then by id. */
function newestSnapshotFirst(a: Snapshot, b: Snapshot): number {
  const time = (snapshot: Snapshot) => {
    if (snapshot.createdAt === undefined) return Number.POSITIVE_INFINITY;
    const parsed = Date.parse(snapshot.createdAt);
    return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
  };
  const byTime = time(b) - time(a);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function withDeadline(signal: AbortSignal | undefined, remainingMs: number): AbortSignal | undefined {
  if (remainingMs > MAX_TIMER_MS) return signal;
  const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(remainingMs)));
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/**
 * The instant a Deprecation or Sunset header names, as ISO 8601: RFC 9745's structured date (`@` and epoch seconds)
 * or an HTTP-date (RFC 8594, and the Deprecation drafts before RFC 9745). `true` and unreadable values give undefined.
 */
function headerDate(value: string | string[] | undefined): string | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  const structured = /^@(-?\d+)$/.exec(text)?.[1];
  const ms = structured === undefined ? Date.parse(text) : Number(structured) * 1000;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** Drops undefined entries so they do not overwrite defaults when spread. */
function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
