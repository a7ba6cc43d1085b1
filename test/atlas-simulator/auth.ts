import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SimulatedClock } from './clock.ts';
import { DigestAuthority } from './digest.ts';
import { AtlasError } from './errors.ts';
import { TokenIssuer } from './service-accounts.ts';
import type { AuthKind, Credentials } from './types.ts';

/** The answer of `POST /api/oauth/token`: OAuth 2.0 bodies, not the Atlas error envelope. */
export interface TokenEndpointAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/** Who may call: the current API key (Digest) and service account (bearer tokens from the token endpoint). */
export class Authenticator {
  readonly #digest: DigestAuthority;
  readonly #tokens: TokenIssuer;
  #credentials: Credentials = newCredentials();

  constructor(options: { clock: SimulatedClock; nonceTtlMs: number; tokenTtlSeconds: number; maxTokens: number }) {
    this.#digest = new DigestAuthority(options.clock, options.nonceTtlMs);
    this.#tokens = new TokenIssuer(options.clock, options.tokenTtlSeconds, options.maxTokens);
  }

  get credentials(): Credentials {
    return this.#credentials;
  }

  /** New key and secret; the old ones stop working and every token minted before is revoked. */
  rotate(): Credentials {
    this.#credentials = newCredentials();
    this.#tokens.revokeAll();
    return this.#credentials;
  }

  /** A fresh digest challenge, for 401 answers made elsewhere (injected faults). */
  challenge(): string {
    return this.#digest.challenge(false);
  }

  /** Throws the 401 Atlas answers (with a digest challenge) unless the request carries valid credentials. */
  authenticateApiCall(request: IncomingMessage): void {
    const authorization = request.headers.authorization ?? '';
    const kind = authKind(authorization);
    if (kind === 'bearer') {
      const check = this.#tokens.check(authorization.replace(/^Bearer\s+/i, '').trim());
      if (!check.ok) throw this.#unauthorized(`Invalid service account token: ${check.reason}.`, false);
      return;
    }
    if (kind === 'digest') {
      const verdict = this.#digest.verify(authorization, request.method ?? 'GET', request.url ?? '/', (user) =>
        user === this.#credentials.publicKey ? this.#credentials.privateKey : undefined,
      );
      if (!verdict.ok) throw this.#unauthorized(`Digest authentication failed: ${verdict.reason}.`, verdict.stale);
      return;
    }
    throw this.#unauthorized('You are not authorized for this resource.', false);
  }

  /** `POST /api/oauth/token`: HTTP Basic clientId:clientSecret, form body grant_type=client_credentials. */
  issueToken(request: IncomingMessage, form: Record<string, string>): TokenEndpointAnswer {
    const [clientId, clientSecret] = basicCredentials(request.headers.authorization ?? '');
    if (clientId !== this.#credentials.clientId || clientSecret !== this.#credentials.clientSecret) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Invalid client credentials.' },
        headers: { 'WWW-Authenticate': 'Basic realm="MMS Public API"' },
      };
    }
    if (form.grant_type !== 'client_credentials') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials.' },
        headers: {},
      };
    }
    const token = this.#tokens.issue(clientId);
    if (!token) {
      return {
        status: 403,
        body: {
          error: 'access_denied',
          error_description: 'The service account has reached its limit of active tokens.',
        },
        headers: {},
      };
    }
    return {
      status: 200,
      body: { access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn },
      headers: { 'Cache-Control': 'no-store' },
    };
  }

  #unauthorized(detail: string, stale: boolean): AtlasError {
    return new AtlasError(401, 'UNAUTHORIZED', detail, {
      headers: { 'WWW-Authenticate': this.#digest.challenge(stale) },
    });
  }
}

export function authKind(authorization: string): AuthKind {
  const scheme = authorization.trim().split(/\s+/, 1)[0]?.toLowerCase();
  if (scheme === 'digest' || scheme === 'bearer' || scheme === 'basic') return scheme;
  return 'none';
}

function basicCredentials(authorization: string): [string?, string?] {
  if (authKind(authorization) !== 'basic') return [];
  const decoded = Buffer.from(authorization.trim().slice('basic'.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? [] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function newCredentials(): Credentials {
  return {
    publicKey: randomLetters(8),
    privateKey: randomUUID(),
    clientId: `mdb_sa_id_${randomBytes(12).toString('hex')}`,
    clientSecret: `mdb_sa_sk_${randomBytes(30).toString('base64url')}`,
  };
}

function randomLetters(count: number): string {
  return [...randomBytes(count)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('');
}
