import { randomBytes } from 'node:crypto';
import { md5, parseAuthParams } from './digest.ts';
import type { AtlasSimulator, Credentials } from './types.ts';

/**
 * A tiny client for the simulator's own tests: HTTP Digest written from RFC 7616 (independent of the server's
 * verifier except for MD5 and header parsing), bearer tokens from the token endpoint, and raw access to answers.
 */
export const V2023 = 'application/vnd.atlas.2023-01-01+json';
export const V2024 = 'application/vnd.atlas.2024-08-05+json';

export interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  /** Default the 2023-01-01 media type; null sends no Accept. */
  readonly accept?: string | null;
  readonly contentType?: string;
  /** Default 'digest'. */
  readonly auth?: 'digest' | 'bearer' | 'none';
  readonly headers?: Record<string, string>;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  readonly json: unknown;
}

export class TestClient {
  readonly #simulator: AtlasSimulator;
  #nonce: string | undefined;
  #nonceCount = 0;
  #token: string | undefined;
  credentials: Credentials;

  constructor(simulator: AtlasSimulator) {
    this.#simulator = simulator;
    this.credentials = simulator.seed.credentials;
  }

  /** Paths are relative to the seeded project's API prefix unless they start with /api. */
  async call(path: string, options: CallOptions = {}): Promise<CallResult> {
    const target = path.startsWith('/api') ? path : `/api/atlas/v2/groups/${this.#simulator.seed.groupId}${path}`;
    const auth = options.auth ?? 'digest';
    if (auth === 'bearer' && !this.#token) this.#token = await this.mintToken();
    if (auth === 'digest' && !this.#nonce) await this.#refreshNonce();
    let result = await this.#send(target, options, auth);
    const challenge = result.headers['www-authenticate'];
    if (auth === 'digest' && result.status === 401 && challenge && /stale=true/.test(challenge)) {
      this.#adoptChallenge(challenge);
      result = await this.#send(target, options, auth);
    }
    return result;
  }

  /** The bearer token the client holds, if it minted one. */
  get currentToken(): string | undefined {
    return this.#token;
  }

  async mintToken(credentials: Credentials = this.credentials): Promise<string> {
    const answer = await requestToken(this.#simulator.baseUrl, credentials);
    if (answer.status !== 200) throw new Error(`token endpoint answered ${answer.status}: ${answer.text}`);
    return (answer.json as { access_token: string }).access_token;
  }

  /** The Authorization value the next digest request would carry (for replay tests). */
  digestFor(method: string, uri: string): string {
    this.#nonceCount += 1;
    return digestAuthorization(this.credentials, method, uri, this.#nonce ?? '', this.#nonceCount);
  }

  async #send(target: string, options: CallOptions, auth: 'digest' | 'bearer' | 'none'): Promise<CallResult> {
    const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
    const headers: Record<string, string> = { ...options.headers };
    if (options.accept !== null) headers.accept = options.accept ?? V2023;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? V2023;
    if (auth === 'digest') headers.authorization = this.digestFor(method, target);
    if (auth === 'bearer') headers.authorization = `Bearer ${this.#token}`;
    const body =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    return rawRequest(`${this.#simulator.baseUrl}${target}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
  }

  /** Probes a path that no operation (nor a fault scripted for one) matches: Atlas challenges before routing. */
  async #refreshNonce(): Promise<void> {
    const probe = await rawRequest(`${this.#simulator.baseUrl}/api/atlas/v2`, { method: 'GET', headers: {} });
    const challenge = probe.headers['www-authenticate'];
    if (!challenge) throw new Error(`expected a digest challenge, got ${probe.status}`);
    this.#adoptChallenge(challenge);
  }

  #adoptChallenge(challenge: string): void {
    this.#nonce = parseAuthParams(challenge.replace(/^Digest\s+/i, '')).nonce;
    this.#nonceCount = 0;
  }
}

export function digestAuthorization(
  credentials: Credentials,
  method: string,
  uri: string,
  nonce: string,
  count: number,
): string {
  const realm = 'MMS Public API';
  const nc = count.toString(16).padStart(8, '0');
  const cnonce = randomBytes(8).toString('hex');
  const ha1 = md5(`${credentials.publicKey}:${realm}:${credentials.privateKey}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${credentials.publicKey}", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
}

export async function requestToken(
  baseUrl: string,
  credentials: Pick<Credentials, 'clientId' | 'clientSecret'>,
): Promise<CallResult> {
  const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
  return rawRequest(`${baseUrl}/api/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
}

export async function rawRequest(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<CallResult> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), text, json };
}
