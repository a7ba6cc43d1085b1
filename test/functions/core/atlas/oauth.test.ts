import { getEventListeners } from 'node:events';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import {
  type HttpRequest,
  type HttpResponse,
  type Transport,
  TransportError,
  type TransportFailure,
} from '../../../../functions/core/atlas/http.ts';
import { createAccessTokens, type ServiceAccount } from '../../../../functions/core/atlas/oauth.ts';
import { failure } from './simulator-harness.ts';

const ORIGIN = 'https://cloud.mongodb.com';
const ACCOUNT: ServiceAccount = { clientId: 'mdb_sa_id_one', clientSecret: 'mdb_sa_sk_one' };
const OTHER_ACCOUNT: ServiceAccount = { clientId: 'mdb_sa_id_two', clientSecret: 'mdb_sa_sk_two' };

function response(status: number, body: unknown, headers: HttpResponse['headers'] = {}): HttpResponse {
  return { status, headers, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * A token endpoint answering from a script: by default a fresh token `token-<n>` for an hour. Records every request;
 * `gates[n]` holds the n-th answer back until released.
 */
function tokenEndpoint(answer?: (request: HttpRequest, index: number) => HttpResponse) {
  const requests: HttpRequest[] = [];
  const gates = new Map<number, Deferred>();
  const transport: Transport = {
    async send(request) {
      const index = requests.length;
      requests.push(request);
      await gates.get(index)?.promise;
      return answer ? answer(request, index) : response(200, { access_token: `token-${index + 1}`, expires_in: 3600 });
    },
    async close() {},
  };
  return {
    requests,
    transport,
    /** Holds back the answer to request `index` until `resolve()`. */
    gate(index: number): Deferred {
      const gate = deferred();
      gates.set(index, gate);
      return gate;
    },
  };
}

function tokensOver(transport: Transport) {
  let time = Date.parse('2026-01-01T00:00:00Z');
  const minted: { clientId: string; expiresInSeconds: number }[] = [];
  const tokens = createAccessTokens({
    transport,
    userAgent: 'atlas-restore-orchestrator/test',
    now: () => time,
    onMinted: (details) => minted.push(details),
  });
  return {
    tokens,
    minted,
    advance(ms: number) {
      time += ms;
    },
  };
}

const basic = (account: ServiceAccount) =>
  `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`;

/** Lets every pending callback and promise job run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function tokenError(answer: HttpResponse): Promise<AtlasApiError> {
  const { tokens } = tokensOver(tokenEndpoint(() => answer).transport);
  const error = await failure(tokens.get(ACCOUNT, ORIGIN));
  expect(error).toBeInstanceOf(AtlasApiError);
  return error as AtlasApiError;
}

describe('Function: createAccessTokens (minting and reuse)', () => {
  it('asks for a JSON token with HTTP Basic and a client_credentials form', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);

    // Act
    const token = await tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect(token).toBe('token-1');
    expect(endpoint.requests).toEqual([
      {
        origin: ORIGIN,
        method: 'POST',
        path: '/api/oauth/token',
        headers: {
          authorization: basic(ACCOUNT),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': 'atlas-restore-orchestrator/test',
        },
        body: 'grant_type=client_credentials',
      },
    ]);
  });

  it('reuses a token until a minute before its expires_in, and mints again at that instant', async () => {
    // Prepare: two minutes of life, refreshed after one.
    const endpoint = tokenEndpoint((_request, index) => response(200, { access_token: `t${index}`, expires_in: 120 }));
    const clock = tokensOver(endpoint.transport);

    // Act
    const first = await clock.tokens.get(ACCOUNT, ORIGIN);
    clock.advance(59_999);
    const justBefore = await clock.tokens.get(ACCOUNT, ORIGIN);
    clock.advance(1);
    const atRefresh = await clock.tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect([first, justBefore, atRefresh]).toEqual(['t0', 't0', 't1']);
    expect(clock.minted).toEqual([
      { clientId: ACCOUNT.clientId, expiresInSeconds: 120 },
      { clientId: ACCOUNT.clientId, expiresInSeconds: 120 },
    ]);
  });

  it('refreshes a token of under two minutes at half its life', async () => {
    // Prepare
    const endpoint = tokenEndpoint((_request, index) => response(200, { access_token: `t${index}`, expires_in: 60 }));
    const clock = tokensOver(endpoint.transport);

    // Act
    await clock.tokens.get(ACCOUNT, ORIGIN);
    clock.advance(29_999);
    const justBefore = await clock.tokens.get(ACCOUNT, ORIGIN);
    clock.advance(1);
    const atRefresh = await clock.tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect([justBefore, atRefresh]).toEqual(['t0', 't1']);
  });

  it.each([
    ['absent', {}],
    ['null', { expires_in: null }],
  ])('takes an hour of life when expires_in is %s', async (_name, lifetime) => {
    // Prepare
    const endpoint = tokenEndpoint((_request, index) => response(200, { access_token: `t${index}`, ...lifetime }));
    const clock = tokensOver(endpoint.transport);

    // Act
    await clock.tokens.get(ACCOUNT, ORIGIN);
    clock.advance(3_540_000 - 1);
    const justBefore = await clock.tokens.get(ACCOUNT, ORIGIN);
    clock.advance(1);
    const atRefresh = await clock.tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect([justBefore, atRefresh]).toEqual(['t0', 't1']);
    expect(clock.minted[0]).toEqual({ clientId: ACCOUNT.clientId, expiresInSeconds: 3600 });
  });

  it('mints without anyone listening for mints', async () => {
    // Prepare
    const tokens = createAccessTokens({ transport: tokenEndpoint().transport, userAgent: 'test', now: () => 0 });

    // Act & Assess
    await expect(tokens.get(ACCOUNT, ORIGIN)).resolves.toBe('token-1');
  });

  it('does not hand one account’s token to another account', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);

    // Act
    const first = await tokens.get(ACCOUNT, ORIGIN);
    const second = await tokens.get(OTHER_ACCOUNT, ORIGIN);

    // Assess
    expect([first, second]).toEqual(['token-1', 'token-2']);
    expect(endpoint.requests.map((request) => request.headers.authorization)).toEqual([
      basic(ACCOUNT),
      basic(OTHER_ACCOUNT),
    ]);
  });

  it('keeps sharing a mint under way when another account’s mint ends first or last', async () => {
    // Prepare: one mint per account, both held back.
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);
    const firstGate = endpoint.gate(0);
    const secondGate = endpoint.gate(1);
    const first = tokens.get(ACCOUNT, ORIGIN);
    const second = tokens.get(OTHER_ACCOUNT, ORIGIN);
    await settle();

    // Act: the first account's mint ends while the other's is under way; the other is asked again meanwhile.
    firstGate.resolve();
    const firstToken = await first;
    const secondAgain = tokens.get(OTHER_ACCOUNT, ORIGIN);
    await settle();
    secondGate.resolve();

    // Assess
    expect(firstToken).toBe('token-1');
    expect(await second).toBe('token-2');
    expect(await secondAgain).toBe('token-2');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('hands a mint its token when another account’s mint, started later, ended first', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);
    const firstGate = endpoint.gate(0);
    const secondGate = endpoint.gate(1);
    const first = tokens.get(ACCOUNT, ORIGIN);
    const second = tokens.get(OTHER_ACCOUNT, ORIGIN);
    await settle();

    // Act
    secondGate.resolve();
    const secondToken = await second;
    firstGate.resolve();

    // Assess
    expect(secondToken).toBe('token-2');
    expect(await first).toBe('token-1');
  });
});

describe('Function: createAccessTokens (callers that stop waiting)', () => {
  it('rejects a caller whose signal aborts with its reason; the others still get the one token', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);
    const gate = endpoint.gate(0);
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const impatient = tokens.get(ACCOUNT, ORIGIN, controller.signal).catch((error: unknown) => error);
    const patient = tokens.get(ACCOUNT, ORIGIN);
    await settle();

    // Act
    controller.abort(reason);
    gate.resolve();

    // Assess
    expect(await impatient).toBe(reason);
    expect(await patient).toBe('token-1');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('rejects at once a caller whose signal had already aborted, and leaves no unhandled rejection when the mint fails', async () => {
    // Prepare: the mint would fail, after the caller has gone.
    const endpoint = tokenEndpoint(() => {
      throw new TransportError('connect', false, 'connect ECONNREFUSED', {});
    });
    const { tokens } = tokensOver(endpoint.transport);
    const gate = endpoint.gate(0);
    const reason = new Error('caller gave up');
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown) => unhandled.push(error);
    process.on('unhandledRejection', onUnhandled);

    // Act
    const outcome = await tokens.get(ACCOUNT, ORIGIN, AbortSignal.abort(reason)).catch((error: unknown) => error);
    gate.resolve();
    await settle();
    await settle();
    process.off('unhandledRejection', onUnhandled);

    // Assess
    expect(outcome).toBe(reason);
    expect(endpoint.requests).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });

  it('leaves no abort listener on a long-lived signal, whether the mint succeeds or fails', async () => {
    // Prepare
    const controller = new AbortController();
    const good = tokensOver(tokenEndpoint().transport).tokens;
    const bad = tokensOver(
      tokenEndpoint(() => {
        throw new TransportError('timeout', true, 'HEADERS_TIMEOUT', {});
      }).transport,
    ).tokens;

    // Act
    const token = await good.get(ACCOUNT, ORIGIN, controller.signal);
    const afterSuccess = getEventListeners(controller.signal, 'abort').length;
    const error = await failure(bad.get(ACCOUNT, ORIGIN, controller.signal));
    const afterFailure = getEventListeners(controller.signal, 'abort').length;

    // Assess
    expect(token).toBe('token-1');
    expect(error).toBeInstanceOf(AtlasApiError);
    expect([afterSuccess, afterFailure]).toEqual([0, 0]);
  });
});

describe('Function: createAccessTokens (refused tokens)', () => {
  it('invalidate drops that token only: another or an older one leaves the current token in use', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);

    // Act
    tokens.invalidate('token-0');
    const first = await tokens.get(ACCOUNT, ORIGIN);
    tokens.invalidate('not-ours');
    const afterOther = await tokens.get(ACCOUNT, ORIGIN);
    tokens.invalidate(first);
    const replacement = await tokens.get(ACCOUNT, ORIGIN);
    tokens.invalidate(first);
    const afterStale = await tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect([first, afterOther, replacement, afterStale]).toEqual(['token-1', 'token-1', 'token-2', 'token-2']);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('replaces a refused token once; a refused replacement gets none until the secret changes', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);
    const rotated: ServiceAccount = { clientId: ACCOUNT.clientId, clientSecret: 'mdb_sa_sk_rotated' };

    // Act
    const first = await tokens.get(ACCOUNT, ORIGIN);
    const replaceFirst = tokens.replaceRefused(first, ACCOUNT);
    const second = await tokens.get(ACCOUNT, ORIGIN);
    const replaceSecond = tokens.replaceRefused(second, ACCOUNT);
    const kept = await tokens.get(ACCOUNT, ORIGIN);
    const replaceAfterRotation = tokens.replaceRefused(second, rotated);
    const third = await tokens.get(rotated, ORIGIN);

    // Assess
    expect([replaceFirst, replaceSecond, replaceAfterRotation]).toEqual([true, false, true]);
    expect([first, second, kept, third]).toEqual(['token-1', 'token-2', 'token-2', 'token-3']);
    expect(endpoint.requests.map((request) => request.headers.authorization)).toEqual([
      basic(ACCOUNT),
      basic(ACCOUNT),
      basic(rotated),
    ]);
  });

  it('replaces a refused token minted on schedule after an earlier one expired', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const clock = tokensOver(endpoint.transport);
    await clock.tokens.get(ACCOUNT, ORIGIN);
    clock.advance(3_600_000);
    const second = await clock.tokens.get(ACCOUNT, ORIGIN);

    // Act
    const replace = clock.tokens.replaceRefused(second, ACCOUNT);
    const third = await clock.tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect(replace).toBe(true);
    expect([second, third]).toEqual(['token-2', 'token-3']);
  });

  it('replaces a refused replacement when the credentials read again are another client id with the same secret', async () => {
    // Prepare
    const { tokens } = tokensOver(tokenEndpoint().transport);
    const sameSecret: ServiceAccount = { clientId: 'mdb_sa_id_new', clientSecret: ACCOUNT.clientSecret };
    const first = await tokens.get(ACCOUNT, ORIGIN);
    tokens.replaceRefused(first, ACCOUNT);
    const replacement = await tokens.get(ACCOUNT, ORIGIN);

    // Act
    const replace = tokens.replaceRefused(replacement, sameSecret);

    // Assess
    expect(replace).toBe(true);
  });

  it('answers a refusal of an older token with yes and keeps the newer one; with nothing held, yes', async () => {
    // Prepare
    const endpoint = tokenEndpoint();
    const { tokens } = tokensOver(endpoint.transport);
    const nothingHeld = tokens.replaceRefused('token-0', ACCOUNT);
    const first = await tokens.get(ACCOUNT, ORIGIN);
    tokens.replaceRefused(first, ACCOUNT);
    const replacement = await tokens.get(ACCOUNT, ORIGIN);

    // Act
    const stale = tokens.replaceRefused(first, ACCOUNT);
    const current = await tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect([nothingHeld, stale]).toEqual([true, true]);
    expect(current).toBe(replacement);
    expect(endpoint.requests).toHaveLength(2);
  });
});

describe('Function: createAccessTokens (revocation)', () => {
  it('revokes its token as the client that minted it, true when Atlas confirms, and forgets it', async () => {
    // Prepare
    const endpoint = tokenEndpoint((request, index) =>
      request.path === '/api/oauth/revoke' ? response(200, '') : response(200, { access_token: `t${index}` }),
    );
    const { tokens } = tokensOver(endpoint.transport);
    const token = await tokens.get(ACCOUNT, ORIGIN);
    const signal = new AbortController().signal;

    // Act
    const revoked = await tokens.revoke(signal);
    const next = await tokens.get(ACCOUNT, ORIGIN);

    // Assess
    expect(revoked).toBe(true);
    expect(endpoint.requests[1]).toEqual({
      origin: ORIGIN,
      method: 'POST',
      path: '/api/oauth/revoke',
      headers: expect.objectContaining({ authorization: basic(ACCOUNT) }),
      body: `token=${token}&token_type_hint=access_token`,
      signal,
    });
    expect(next).toBe('t2');
  });

  it.each([
    ['refused', () => response(401, { error: 'invalid_client' })],
    [
      'not delivered',
      () => {
        throw new TransportError('connect', false, 'connect ECONNREFUSED', {});
      },
    ],
  ])('is best effort: false, without throwing, when the revocation is %s', async (_name, revocation) => {
    // Prepare
    const endpoint = tokenEndpoint((request) =>
      request.path === '/api/oauth/revoke' ? revocation() : response(200, { access_token: 'tok' }),
    );
    const { tokens } = tokensOver(endpoint.transport);
    await tokens.get(ACCOUNT, ORIGIN);

    // Act
    const revoked = await tokens.revoke(new AbortController().signal);

    // Assess
    expect(revoked).toBe(false);
    expect(endpoint.requests.map((request) => request.path)).toEqual(['/api/oauth/token', '/api/oauth/revoke']);
  });
});

describe('Function: createAccessTokens (token endpoint failures)', () => {
  it.each([
    ['not JSON', '{"access_token":"tok-secret-123"'],
    ['JSON without access_token', { token_type: 'Bearer', note: 'tok-secret-123' }],
    ['an empty access_token', { access_token: '', note: 'tok-secret-123' }],
  ])('reports a 200 answer that is %s as a permanent error, quoting nothing of it', async (_name, body) => {
    // Act
    const error = await tokenError(response(200, body));

    // Assess
    expect(error).toMatchObject({
      operation: 'requestAccessToken',
      method: 'POST',
      path: '/api/oauth/token',
      status: 200,
      retryable: false,
    });
    expect(Object.hasOwn(error, 'cause')).toBe(false);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain('tok-secret-123');
  });

  it.each([
    ['connect', true],
    ['timeout', true],
    ['connection', true],
    ['aborted', true],
    ['tls', false],
    ['tooLarge', false],
  ] as const)('reports a %s transport failure as retryable: %s, with it as the cause', async (kind, retryable) => {
    // Prepare
    const thrown = new TransportError(kind as TransportFailure, false, `${kind} failed`, {});
    const { tokens } = tokensOver(
      tokenEndpoint(() => {
        throw thrown;
      }).transport,
    );

    // Act
    const error = await failure(tokens.get(ACCOUNT, ORIGIN));

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({
      operation: 'requestAccessToken',
      path: '/api/oauth/token',
      retryable,
      status: undefined,
    });
    expect((error as Error).cause).toBe(thrown);
  });

  it.each([
    ['a body too large', 'tooLarge', 200, false],
    ['a body cut short', 'connection', 502, true],
  ] as const)(
    'keeps the status of an answer whose headers arrived before %s',
    async (_name, kind, status, retryable) => {
      // Prepare
      const { tokens } = tokensOver(
        tokenEndpoint(() => {
          throw new TransportError(kind, true, 'body failed', { status });
        }).transport,
      );

      // Act
      const error = await failure(tokens.get(ACCOUNT, ORIGIN));

      // Assess
      expect(error).toMatchObject({ status, retryable });
    },
  );

  it('passes on an error that is not a transport failure as it is', async () => {
    // Prepare
    const bug = new TypeError('a bug in the transport');
    const { tokens } = tokensOver(
      tokenEndpoint(() => {
        throw bug;
      }).transport,
    );

    // Act & Assess
    await expect(tokens.get(ACCOUNT, ORIGIN)).rejects.toBe(bug);
  });
});

describe('Function: createAccessTokens (token requests refused)', () => {
  it.each([
    [
      'the body’s errorCode first',
      { errorCode: 'RATE_LIMITED', error: 'invalid_request' },
      'HEADER_CODE',
      'RATE_LIMITED',
    ],
    ['else its OAuth error', { error: 'invalid_client' }, 'HEADER_CODE', 'invalid_client'],
    ['else the X-Error-Code header (body not JSON)', 'Unauthorized', 'HEADER_CODE', 'HEADER_CODE'],
    ['else the header (codes in the body not text)', { error: 42, errorCode: '' }, 'HEADER_CODE', 'HEADER_CODE'],
    ['the header only when it is one string', 'Unauthorized', ['ONE', 'TWO'], undefined],
    ['none without any', 'Unauthorized', undefined, undefined],
  ])('takes the error code from %s', async (_name, body, header, errorCode) => {
    // Prepare
    const headers = header === undefined ? {} : { 'x-error-code': header };

    // Act
    const error = await tokenError(response(401, body, headers));

    // Assess
    expect(error).toMatchObject({ operation: 'requestAccessToken', status: 401, retryable: false, errorCode });
  });

  it.each([
    [
      'error_description',
      { error: 'invalid_client', error_description: 'Invalid client secret' },
      'Invalid client secret',
    ],
    ['the Atlas envelope’s detail', { errorCode: 'INVALID_CLIENT', detail: 'No such client.' }, 'No such client.'],
    ['its first 300 characters', { error: 'invalid_client', error_description: 'x'.repeat(1000) }, 'x'.repeat(300)],
  ])('carries the description from %s', async (_name, body, description) => {
    // Act
    const error = await tokenError(response(400, body));

    // Assess
    expect(error.detail).toBe(`token request refused: ${description}`);
  });

  it('says only that the request was refused when the answer describes nothing', async () => {
    // Act
    const error = await tokenError(response(401, { error: 'invalid_client' }));

    // Assess
    expect(error.detail).toBe('token request refused');
  });

  it('carries the wait from Retry-After, before the one a 429 body names', async () => {
    // Prepare
    const limited = {
      errorCode: 'RATE_LIMITED',
      detail: 'Resource /api/oauth/token is limited to 50 requests every 1 minutes.',
      parameters: ['/api/oauth/token', 50, 1],
    };

    // Act
    const unavailable = await tokenError(response(503, 'Service Unavailable', { 'retry-after': '7' }));
    const headerFirst = await tokenError(response(429, limited, { 'retry-after': '5' }));
    const fromBody = await tokenError(response(429, limited));
    const unexplained = await tokenError(response(429, '<html>Too Many Requests</html>'));

    // Assess
    expect(unavailable).toMatchObject({ status: 503, retryable: true, retryAfterSeconds: 7 });
    expect(headerFirst).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 5 });
    expect(fromBody).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 60 });
    expect(unexplained).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: undefined });
  });
});
