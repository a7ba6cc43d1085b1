import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Authenticator, authKind } from './auth.ts';
import type { SimulatedClock } from './clock.ts';
import { AtlasError, errorBody } from './errors.ts';
import { faultAnswer } from './fault-answers.ts';
import type { FaultScript } from './faults.ts';
import { type Answer, type ParsedBody, parseBody, readBody, send } from './http.ts';
import { runOperation } from './operations.ts';
import type { TokenBuckets } from './rate-limit.ts';
import { recordRequest } from './request-log.ts';
import { CLOUD_BACKUP_OPERATIONS, matchRoute, REVOKE_PATH, type RouteMatch, TOKEN_PATH } from './routes.ts';
import type { SimulatorStore } from './state.ts';
import type { RecordedRequest } from './types.ts';
import { isJsonContentType, mediaType, negotiateVersion, resourceVersions } from './versioning.ts';

type OAuthRoute = { readonly kind: 'token' } | { readonly kind: 'revoke' };

export interface PipelineParts {
  readonly clock: SimulatedClock;
  readonly store: SimulatorStore;
  readonly auth: Authenticator;
  readonly faults: FaultScript;
  readonly buckets: TokenBuckets | undefined;
  readonly requests: RecordedRequest[];
  /** Aborts pending `delay` faults when the server closes. */
  readonly closing: AbortSignal;
  /** Once the data plane runs, waits for listeners still opening (clusters just added) before showing their ports. */
  readonly dataPlaneListening?: () => Promise<unknown>;
}

/** Operations whose answers carry `connectionStrings`. */
const SHOWS_CONNECTION_STRINGS: ReadonlySet<string> = new Set([
  'getCluster',
  'listClusters',
  'createCluster',
  'updateCluster',
]);

/**
 * One request, in the order a proxy and Atlas would see it: route, scripted fault, authentication, version
 * negotiation, rate limit, body checks, the operation. Every request lands in the log, secrets removed.
 */
export function createPipeline(
  parts: PipelineParts,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    const at = parts.clock.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const body = parseBody(await readBody(request), request.headers['content-type']);
    const route: RouteMatch | OAuthRoute =
      url.pathname === TOKEN_PATH
        ? { kind: 'token' }
        : url.pathname === REVOKE_PATH
          ? { kind: 'revoke' }
          : matchRoute(method, url.pathname);
    const operationId = route.kind === 'operation' ? route.operationId : undefined;
    const fault = parts.faults.take({ operationId, method, path: url.pathname });
    const log = (status: number | null) =>
      parts.requests.push(
        recordRequest({
          at,
          method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          operationId,
          auth: authKind(request.headers.authorization ?? ''),
          body: body.value,
          status,
          headers: request.headers,
          fault: fault?.kind,
        }),
      );

    if (fault?.kind === 'drop') {
      log(null);
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'status' || fault?.kind === 'malformed' || fault?.kind === 'huge') {
      const answer = faultAnswer(
        fault,
        mediaType(resourceVersions(operationId ?? '').versions.at(-1) ?? '2023-01-01'),
        () => parts.auth.challenge(),
      );
      log(answer.status);
      send(response, answer, parts.clock.now());
      return;
    }
    if (fault?.kind === 'delay') {
      const slept = await sleep(fault.ms, true, { signal: parts.closing }).catch(() => false);
      if (!slept) return;
    }

    if (operationId !== undefined && SHOWS_CONNECTION_STRINGS.has(operationId)) await parts.dataPlaneListening?.();
    const answer = answerRequest(parts, request, route, url, body);
    if (fault?.kind === 'dropAfterApply') {
      log(null);
      request.socket.destroy();
      return;
    }
    log(answer.status);
    send(response, answer, parts.clock.now());
  };
}

function answerRequest(
  parts: PipelineParts,
  request: IncomingMessage,
  route: RouteMatch | OAuthRoute,
  url: URL,
  body: ParsedBody,
): Answer {
  if (route.kind === 'token' || route.kind === 'revoke') {
    if (request.method !== 'POST') return atlasErrorAnswer(new AtlasError(405, 'METHOD_NOT_ALLOWED', 'Use POST.'));
    const form = (body.value ?? {}) as Record<string, string>;
    const answer =
      route.kind === 'token' ? parts.auth.issueToken(request, form) : parts.auth.revokeToken(request, form);
    return {
      status: answer.status,
      headers: { 'Content-Type': 'application/json', ...answer.headers },
      body: answer.body,
    };
  }
  try {
    parts.auth.authenticateApiCall(request);
    parts.auth.checkAccessList(request.socket.remoteAddress);
    if (route.kind === 'unknown')
      throw new AtlasError(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${url.pathname}.`);
    if (route.kind === 'methodNotAllowed') {
      throw new AtlasError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${url.pathname}.`);
    }
    parts.auth.authorize(route.params.groupId, request.method ?? 'GET');
    const version = negotiateVersion(request.headers.accept, route.operationId, url.pathname, parts.clock.now());
    const rateLimit = CLOUD_BACKUP_OPERATIONS.has(route.operationId)
      ? parts.buckets?.take(route.params.groupId ?? '', url.pathname)
      : undefined;
    if (body.value !== undefined || body.malformed) {
      if (!isJsonContentType(request.headers['content-type'])) {
        throw new AtlasError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'Send JSON as application/json or a versioned Atlas media type.',
        );
      }
      if (body.malformed) throw new AtlasError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
    }
    const result = runOperation(route.operationId, parts.store, {
      params: route.params,
      query: url.searchParams,
      body: body.value,
      path: url.pathname,
    });
    return {
      status: result.status,
      headers: { 'Content-Type': version.contentType, ...version.headers, ...rateLimit },
      body: result.body,
    };
  } catch (error) {
    if (error instanceof AtlasError) return atlasErrorAnswer(error);
    return {
      status: 500,
      headers: { 'Content-Type': 'application/json', 'X-Error-Code': 'UNEXPECTED_ERROR' },
      body: errorBody(
        500,
        'UNEXPECTED_ERROR',
        `Simulator error: ${error instanceof Error ? error.message : String(error)}`,
      ),
    };
  }
}

function atlasErrorAnswer(error: AtlasError): Answer {
  return {
    status: error.status,
    headers: {
      'Content-Type': 'application/json',
      ...(error.minimal ? {} : { 'X-Error-Code': error.errorCode }),
      ...error.headers,
    },
    body: error.body,
  };
}
