import { CredentialsError } from '../credentials/errors.ts';
import type { CredentialsSource, ResolvedCredentials } from '../credentials/source.ts';
import { AtlasBaseUrlError, atlasOrigin, DEFAULT_ATLAS_BASE_URL } from './base-url.ts';
import { type DigestSession, parseDigestChallenge } from './digest.ts';
import { AtlasApiError, PERMISSION_ERROR_CODES } from './errors.ts';
import { type HttpRequest, type HttpResponse, type Transport, TransportError } from './http.ts';
import type { AccessTokens, ServiceAccount } from './oauth.ts';
import { type CallContext, callError } from './responses.ts';

export interface AuthenticatedRequest {
  readonly method: HttpRequest['method'];
  /** Path and query. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/**
 * Sends one request with the current credentials and answers authentication on the way:
 * - service account: a shared bearer token; on a 401 for the token (expired, revoked) the credentials are read again
 *   and a replacement is minted once, and the request is sent once more; a replacement refused in turn gets no
 *   successor until its refresh time or a new secret (AccessTokens.replaceRefused);
 * - API key: HTTP Digest; a bare first request learns the challenge, `stale=true` gets one answer with the new
 *   nonce, any other 401 drops the credentials and reads them again once.
 * A 401 that refuses accepted credentials (PERMISSION_ERROR_CODES) is returned at once: neither a new token nor
 * the secret read again can change it, and minting per refusal would spend the account's 100 live tokens.
 * A 401 that survives this is returned for the caller to report.
 */
export function createAuthenticatedSender(options: {
  credentials: CredentialsSource;
  configuredOrigin: string | undefined;
  transport: Transport;
  tokens: AccessTokens;
  digest: DigestSession;
}): (request: AuthenticatedRequest, context: CallContext) => Promise<HttpResponse> {
  const { credentials: source, configuredOrigin, transport, tokens, digest } = options;

  async function readCredentials(context: CallContext): Promise<{ resolved: ResolvedCredentials; origin: string }> {
    let resolved: ResolvedCredentials;
    try {
      resolved = await source.get();
    } catch (error) {
      if (error instanceof CredentialsError) {
        // Its code (CREDENTIALS_INVALID, …) becomes the call's: the outcome names the credentials, not HTTP.
        throw callError(context, { retryable: error.retryable, errorCode: error.code, detail: error.message }, error);
      }
      throw callError(context, { retryable: false, detail: 'could not read the Atlas credentials' }, error);
    }
    try {
      return { resolved, origin: configuredOrigin ?? atlasOrigin(resolved.baseUrl ?? DEFAULT_ATLAS_BASE_URL) };
    } catch (error) {
      if (!(error instanceof AtlasBaseUrlError)) throw error;
      throw callError(context, { retryable: false, detail: `credentials' ${error.message}` }, error);
    }
  }

  async function bearer(context: CallContext, account: ServiceAccount, origin: string, signal?: AbortSignal) {
    try {
      return await tokens.get(account, origin, signal);
    } catch (error) {
      if (signal?.aborted) {
        throw callError(context, { retryable: true, detail: 'aborted while waiting for an access token' }, error);
      }
      if (error instanceof AtlasApiError) {
        // Keep the call's context; the token endpoint's answer goes in status, code and detail.
        throw callError(
          { ...context, path: error.path },
          {
            retryable: error.retryable,
            ...(error.status === undefined ? {} : { status: error.status }),
            ...(error.errorCode === undefined ? {} : { errorCode: error.errorCode }),
            ...(error.detail === undefined ? {} : { detail: error.detail }),
            ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
          },
          error,
        );
      }
      throw error;
    }
  }

  interface Attempt {
    readonly request: AuthenticatedRequest;
    readonly context: CallContext;
    resolved: ResolvedCredentials;
    origin: string;
    /** Credentials were dropped and read again once already. */
    reauthenticated: boolean;
  }

  async function reauthenticate(attempt: Attempt): Promise<void> {
    attempt.reauthenticated = true;
    source.invalidate();
    Object.assign(attempt, await readCredentials(attempt.context));
  }

  async function sendWithBearer(attempt: Attempt, account: ServiceAccount): Promise<HttpResponse> {
    const { request, context } = attempt;
    let token: string;
    try {
      token = await bearer(context, account, attempt.origin, request.signal);
    } catch (error) {
      // The token endpoint refused the client id and secret: they may have been rotated since we read them.
      const refused = error instanceof AtlasApiError && (error.status === 400 || error.status === 401);
      if (!refused || attempt.reauthenticated) throw error;
      await reauthenticate(attempt);
      return dispatch(attempt);
    }
    const response = await sendOnce(
      transport,
      { ...request, origin: attempt.origin, authorization: `Bearer ${token}` },
      context,
    );
    if (response.status !== 401 || attempt.reauthenticated || refusesPermission(response)) return response;
    // Revoked or expired early: mint again once, with credentials read again in case they were rotated; but not
    // for every refused call (each token lives an hour and counts against the account's 100).
    await reauthenticate(attempt);
    const { credentials } = attempt.resolved;
    if (credentials.kind === 'serviceAccount' && !tokens.replaceRefused(token, credentials)) return response;
    if (credentials.kind !== 'serviceAccount') tokens.invalidate(token);
    return dispatch(attempt);
  }

  async function sendWithDigest(
    attempt: Attempt,
    key: { publicKey: string; privateKey: string },
  ): Promise<HttpResponse> {
    const { request, context } = attempt;
    let lease = digest.lease();
    let staleAnswered = false;
    try {
      for (;;) {
        const authorization =
          lease === undefined
            ? undefined
            : digest.authorization(lease, {
                username: key.publicKey,
                password: key.privateKey,
                method: request.method,
                uri: request.path,
              });
        const response = await sendOnce(transport, { ...request, origin: attempt.origin, authorization }, context);
        if (response.status !== 401) return response;
        if (authorization !== undefined && refusesPermission(response)) return response;
        const challenge = parseDigestChallenge(response.headers['www-authenticate']);
        if (challenge === undefined) return response;
        lease = digest.leaseFrom(challenge);
        // A bare request has just learnt the challenge; a stale nonce gets one answer with the new one.
        if (authorization === undefined) continue;
        if (challenge.stale && !staleAnswered) {
          staleAnswered = true;
          continue;
        }
        if (attempt.reauthenticated) return response;
        await reauthenticate(attempt);
        if (attempt.resolved.credentials.kind !== 'apiKey') return dispatch(attempt);
        key = attempt.resolved.credentials;
      }
    } finally {
      if (lease !== undefined) digest.release(lease);
    }
  }

  function dispatch(attempt: Attempt): Promise<HttpResponse> {
    const { credentials } = attempt.resolved;
    return credentials.kind === 'serviceAccount'
      ? sendWithBearer(attempt, credentials)
      : sendWithDigest(attempt, credentials);
  }

  return async function send(request, context) {
    return dispatch({ request, context, ...(await readCredentials(context)), reauthenticated: false });
  };
}

async function sendOnce(
  transport: Transport,
  request: AuthenticatedRequest & { origin: string; authorization: string | undefined },
  context: CallContext,
): Promise<HttpResponse> {
  const { authorization, headers, ...rest } = request;
  try {
    return await transport.send({ ...rest, headers: authorization ? { ...headers, authorization } : headers });
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    const ambiguous = !context.idempotent && error.sent;
    const detail =
      error.failure === 'aborted'
        ? request.signal?.reason instanceof DOMException && request.signal.reason.name === 'TimeoutError'
          ? 'deadline reached while waiting for Atlas'
          : 'aborted'
        : error.message;
    // A body over the cap is a proxy's page or a glitch, not an answer: a GET may be sent again, as after a drop.
    throw callError(
      context,
      {
        retryable: ambiguous || error.failure !== 'tls',
        ambiguous,
        detail,
        ...(error.status === undefined ? {} : { status: error.status }),
      },
      error,
    );
  }
}

/** Whether a 401 refuses credentials Atlas accepted (see PERMISSION_ERROR_CODES): by body errorCode or X-Error-Code. */
function refusesPermission(response: HttpResponse): boolean {
  const header = response.headers['x-error-code'];
  if (typeof header === 'string' && PERMISSION_ERROR_CODES.has(header)) return true;
  try {
    const body: unknown = JSON.parse(response.body.toString('utf8'));
    const code = typeof body === 'object' && body !== null ? (body as { errorCode?: unknown }).errorCode : undefined;
    return typeof code === 'string' && PERMISSION_ERROR_CODES.has(code);
  } catch {
    return false;
  }
}
