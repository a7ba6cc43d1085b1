import * as z from 'zod';
import { AtlasApiError } from './errors.ts';
import { type HttpResponse, type Transport, TransportError } from './http.ts';
import { OAUTH_REVOKE_PATH, OAUTH_TOKEN_PATH } from './operations.ts';
import { isRetryableStatus, parseRetryAfter, retryAfterFromBody } from './retry.ts';

export interface ServiceAccount {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Bearer tokens for service accounts: one per client and account, shared by concurrent calls. */
export interface AccessTokens {
  /** A valid token, minted at most once at a time and reused until shortly before it expires. */
  get(account: ServiceAccount, origin: string, signal?: AbortSignal): Promise<string>;
  /** Forgets `token` after Atlas refused it; a newer token minted meanwhile is kept. */
  invalidate(token: string): void;
  /**
   * After Atlas refused `token` with a plain 401 (expired or revoked early): whether to mint a replacement for
   * `account` (the credentials as read again). A replacement that is refused in turn gets no successor until it
   * reaches its own refresh time or the secret changes: at most one extra live token per expiry or rotation, however
   * many calls Atlas refuses. True also when a newer token already replaced `token` (nothing to mint then).
   */
  replaceRefused(token: string, account: ServiceAccount): boolean;
  /**
   * Revokes the token this client minted (`POST /api/oauth/revoke`) and forgets it, so a short-lived process does
   * not leave an hour-long token counting against the account's cap. Never throws: resolves with whether Atlas
   * confirmed (true also when there was nothing to revoke).
   */
  revoke(signal: AbortSignal): Promise<boolean>;
}

/** Atlas caps a service account at 100 live tokens; reusing one until this margin before expiry keeps us at one. */
const REFRESH_MARGIN_MS = 60_000;
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

const tokenResponse = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive().nullish(),
});

/** RFC 6749 error bodies (`error`, `error_description`), or the Atlas envelope should a proxy answer. */
const text = z
  .string()
  .min(1)
  .transform((value) => value.slice(0, 300))
  .optional()
  .catch(undefined);
const oauthErrorBody = z.looseObject({
  error: text,
  errorCode: text,
  error_description: text,
  detail: text,
  parameters: z.array(z.unknown()).optional().catch(undefined),
});

interface Token {
  readonly key: string;
  readonly value: string;
  readonly refreshAt: number;
  /** Who minted it and where: revocation authenticates as the same client. */
  readonly account: ServiceAccount;
  readonly origin: string;
  /** Minted to replace a token Atlas refused before its time. */
  readonly replacement: boolean;
}

export function createAccessTokens(options: {
  transport: Transport;
  userAgent: string;
  now: () => number;
  /** Told of each token minted (client id and lifetime, never the token). */
  onMinted?: (details: { clientId: string; expiresInSeconds: number }) => void;
}): AccessTokens {
  const { transport, userAgent, now } = options;
  let current: Token | undefined;
  let minting: { key: string; token: Promise<Token> } | undefined;
  let nextIsReplacement = false;

  const formHeaders = (account: ServiceAccount) => ({
    // Raw id and secret, not form-encoded first: Atlas compares them byte for byte.
    authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': userAgent,
  });

  async function mint(key: string, account: ServiceAccount, origin: string): Promise<Token> {
    const requestedAt = now();
    const response = await send(transport, {
      origin,
      method: 'POST',
      path: OAUTH_TOKEN_PATH,
      headers: formHeaders(account),
      body: 'grant_type=client_credentials',
    });
    if (response.status !== 200) throw tokenRequestRefused(response, now());
    let parsed: z.ZodSafeParseResult<z.infer<typeof tokenResponse>>;
    try {
      parsed = tokenResponse.safeParse(JSON.parse(response.body.toString('utf8')));
    } catch {
      // No excerpt and no cause: this body is the one place a token could be quoted.
      throw tokenError({ status: response.status, retryable: false, detail: 'token response is not JSON' });
    }
    if (!parsed.success) {
      throw tokenError({ status: response.status, retryable: false, detail: 'token response lacks access_token' });
    }
    const lifetimeMs = (parsed.data.expires_in ?? DEFAULT_TOKEN_LIFETIME_SECONDS) * 1000;
    const token = {
      key,
      value: parsed.data.access_token,
      refreshAt: requestedAt + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2),
      account,
      origin,
      replacement: nextIsReplacement,
    };
    nextIsReplacement = false;
    current = token;
    options.onMinted?.({ clientId: account.clientId, expiresInSeconds: lifetimeMs / 1000 });
    return token;
  }

  return {
    async get(account, origin, signal) {
      const key = `${origin} ${account.clientId}`;
      if (current?.key === key && now() < current.refreshAt) return current.value;
      if (minting?.key !== key) {
        const token = mint(key, account, origin).finally(() => {
          if (minting?.token === token) minting = undefined;
        });
        // Callers that stop waiting leave no handler; the failure still reaches those that wait.
        token.catch(() => {});
        minting = { key, token };
      }
      // The shared mint is not tied to one caller's signal; each caller stops waiting on its own.
      return (await untilAborted(minting.token, signal)).value;
    },
    invalidate(token) {
      if (current?.value === token) current = undefined;
    },
    replaceRefused(token, account) {
      if (current?.value !== token) return true;
      const sameSecret =
        current.account.clientId === account.clientId && current.account.clientSecret === account.clientSecret;
      if (current.replacement && sameSecret) return false;
      current = undefined;
      nextIsReplacement = true;
      return true;
    },
    async revoke(signal) {
      // A mint under way would leave a token behind: let it land, then revoke it too.
      await minting?.token.catch(() => undefined);
      const token = current;
      if (token === undefined) return true;
      current = undefined;
      try {
        const response = await transport.send({
          origin: token.origin,
          method: 'POST',
          path: OAUTH_REVOKE_PATH,
          headers: formHeaders(token.account),
          body: new URLSearchParams({ token: token.value, token_type_hint: 'access_token' }).toString(),
          signal,
        });
        return response.status === 200;
      } catch {
        // Best effort, as the Atlas CLI and the Terraform provider do: the token still expires within the hour.
        return false;
      }
    },
  };
}

async function send(transport: Transport, request: Parameters<Transport['send']>[0]): Promise<HttpResponse> {
  try {
    return await transport.send(request);
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    throw tokenError(
      {
        retryable: error.failure !== 'tls' && error.failure !== 'tooLarge',
        detail: `token request failed: ${error.message}`,
        // Stryker disable next-line ConditionalExpression: equivalent when false, an undefined status reads as none
        ...(error.status === undefined ? {} : { status: error.status }),
      },
      error,
    );
  }
}

function tokenRequestRefused(response: HttpResponse, now: number): AtlasApiError {
  let body: z.infer<typeof oauthErrorBody> | undefined;
  try {
    body = oauthErrorBody.safeParse(JSON.parse(response.body.toString('utf8'))).data;
  } catch {
    // Not JSON: the code may still come from the X-Error-Code header.
  }
  const headerCode = response.headers['x-error-code'];
  const errorCode = body?.errorCode ?? body?.error ?? (typeof headerCode === 'string' ? headerCode : undefined);
  const description = body?.error_description ?? body?.detail;
  // The token endpoint's own limit answers in the Atlas envelope: "limited to 50 requests every 1 minutes".
  const retryAfterSeconds =
    parseRetryAfter(response.headers['retry-after'], now) ??
    retryAfterFromBody(response.status, { errorCode, detail: body?.detail, parameters: body?.parameters });
  return tokenError({
    status: response.status,
    retryable: isRetryableStatus(response.status, errorCode),
    detail: description === undefined ? 'token request refused' : `token request refused: ${description}`,
    // Stryker disable next-line ConditionalExpression: equivalent when false, an undefined code reads as none
    ...(errorCode === undefined ? {} : { errorCode }),
    // Stryker disable next-line ConditionalExpression: equivalent when false, an undefined wait reads as none
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

function tokenError(
  context: { status?: number; errorCode?: string; retryable: boolean; detail: string; retryAfterSeconds?: number },
  cause?: unknown,
): AtlasApiError {
  return new AtlasApiError(
    { operation: 'requestAccessToken', method: 'POST', path: OAUTH_TOKEN_PATH, ...context },
    cause === undefined ? undefined : { cause },
  );
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    // Stryker disable next-line BooleanLiteral,ObjectLiteral: equivalent, a signal dispatches 'abort' at most once
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
