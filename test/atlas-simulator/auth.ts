import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SimulatedClock } from './clock.ts';
import { DigestAuthority } from './digest.ts';
import { AtlasError } from './errors.ts';
import { TokenIssuer } from './service-accounts.ts';
import type { AuthKind, Credentials, ProjectAccess } from './types.ts';

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
  readonly #access = new Map<string, ProjectAccess>();
  #accessList: readonly string[] | undefined;

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

  /** Live (unexpired, unrevoked) tokens of the current service account. */
  liveTokens(): number {
    return this.#tokens.live(this.#credentials.clientId);
  }

  /** What the current key and service account may do in a project; default `owner`. */
  setProjectAccess(groupId: string, access: ProjectAccess): void {
    this.#access.set(groupId, access);
  }

  /**
   * Throws the 401 Atlas answers to authenticated credentials that are not allowed there. Each code means the
   * credentials are valid: minting a token or reading the secret again changes nothing until someone grants access.
   */
  authorize(groupId: string | undefined, method: string): void {
    const access = groupId === undefined ? 'owner' : (this.#access.get(groupId) ?? 'owner');
    if (access === 'notInOrganization') {
      throw this.#refused('NOT_IN_GROUP', `Current user is not in the group ${groupId}.`, [groupId]);
    }
    if (access === 'noProjectAccess') {
      throw this.#refused('USER_CANNOT_ACCESS_GROUP', 'User cannot access this group.', []);
    }
    if (access === 'readOnly' && method !== 'GET') {
      throw this.#refused('USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.', []);
    }
  }

  /** The API access list of the key and service account: addresses allowed to call; undefined allows all. */
  setApiAccessList(addresses: readonly string[] | undefined): void {
    this.#accessList = addresses;
  }

  /** Throws Atlas's 403 when the access list is on and the caller's address is not on it (after authentication). */
  checkAccessList(remoteAddress: string | undefined): void {
    if (this.#accessList === undefined) return;
    const address = (remoteAddress ?? '').replace(/^::ffff:/, '');
    if (this.#accessList.includes(address)) return;
    throw new AtlasError(
      403,
      'IP_ADDRESS_NOT_ON_ACCESS_LIST',
      `IP address ${address} is not allowed to access this resource.`,
      { parameters: [address] },
    );
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

  /**
   * `POST /api/oauth/revoke` (RFC 7009, as atlas-sdk-go's RevokeToken sends it): HTTP Basic clientId:clientSecret,
   * form body `token=…&token_type_hint=access_token`; 200 whether or not the token was live.
   */
  revokeToken(request: IncomingMessage, form: Record<string, string>): TokenEndpointAnswer {
    const [clientId, clientSecret] = basicCredentials(request.headers.authorization ?? '');
    if (clientId !== this.#credentials.clientId || clientSecret !== this.#credentials.clientSecret) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Invalid client credentials.' },
        headers: { 'WWW-Authenticate': 'Basic realm="MMS Public API"' },
      };
    }
    if (!form.token) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'token is required.' }, headers: {} };
    }
    this.#tokens.revoke(form.token, clientId);
    return { status: 200, body: {}, headers: { 'Cache-Control': 'no-store' } };
  }

  // A 401 is answered with a challenge (RFC 9110 requires one), also when the credentials were accepted and the
  // refusal is about permissions: a client must tell the two apart by errorCode, not by the header.
  #refused(errorCode: string, detail: string, parameters: readonly unknown[]): AtlasError {
    return new AtlasError(401, errorCode, detail, {
      parameters,
      headers: { 'WWW-Authenticate': this.#digest.challenge(false) },
    });
  }

  // Missing, wrong, expired or revoked credentials all get the body the Atlas CLI's e2e snapshots recorded for a
  // digest challenge: errorCode UNEXPECTED_ERROR, a generic detail, no parameters and no X-Error-Code. Why the
  // credentials failed stays in `_reason` (Atlas says nothing more either).
  #unauthorized(_reason: string, stale: boolean): AtlasError {
    return new AtlasError(401, 'UNEXPECTED_ERROR', 'You are not authorized for this resource.', {
      headers: { 'WWW-Authenticate': this.#digest.challenge(stale) },
      minimal: true,
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
