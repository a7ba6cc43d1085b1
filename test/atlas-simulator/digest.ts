import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SimulatedClock } from './clock.ts';

/**
 * HTTP Digest (RFC 7616) as Atlas speaks it for API keys: MD5, qop="auth". Nonces carry their issue time under an
 * HMAC, so an authentic but old nonce is answered `stale=true` (the client retries with the new nonce, no password
 * prompt), and each nonce's `nc` must grow (a replayed request is refused).
 */
export const DIGEST_REALM = 'MMS Public API';

export type DigestVerdict =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly stale: boolean; readonly reason: string };

export class DigestAuthority {
  readonly #clock: SimulatedClock;
  readonly #ttlMs: number;
  readonly #key = randomBytes(32);
  readonly #lastCount = new Map<string, { count: number; issuedAt: number }>();

  constructor(clock: SimulatedClock, ttlMs: number) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /** The `WWW-Authenticate` value of a 401, with a fresh nonce. */
  challenge(stale: boolean): string {
    const issuedAt = this.#clock.now().toString(36);
    const salt = randomBytes(9).toString('base64url');
    const nonce = `${issuedAt}.${salt}.${this.#sign(`${issuedAt}.${salt}`)}`;
    return `Digest realm="${DIGEST_REALM}", domain="", nonce="${nonce}", algorithm=MD5, qop="auth", stale=${stale}`;
  }

  verify(
    authorization: string,
    method: string,
    requestTarget: string,
    passwordOf: (user: string) => string | undefined,
  ): DigestVerdict {
    const fields = parseAuthParams(authorization.replace(/^Digest\s+/i, ''));
    const { username, realm, nonce, uri, response, qop, nc, cnonce } = fields;
    if (!username || !realm || !nonce || !uri || !response || !qop || !nc || !cnonce) {
      return refuse('incomplete digest credentials');
    }
    if (realm !== DIGEST_REALM || qop !== 'auth' || (fields.algorithm && fields.algorithm.toUpperCase() !== 'MD5')) {
      return refuse('unsupported digest parameters');
    }
    if (uri !== requestTarget) return refuse('digest uri does not match the request');
    const issuedAt = this.#nonceIssuedAt(nonce);
    if (issuedAt === undefined) return refuse('unknown nonce');
    const password = passwordOf(username);
    if (password === undefined) return refuse('unknown API key');
    const ha1 = md5(`${username}:${realm}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    if (!sameText(expected, response.toLowerCase())) return refuse('wrong digest response');
    const now = this.#clock.now();
    if (now - issuedAt > this.#ttlMs) return { ok: false, stale: true, reason: 'stale nonce' };
    const count = Number.parseInt(nc, 16);
    const seen = this.#lastCount.get(nonce);
    if (!/^[0-9a-f]{8}$/i.test(nc) || (seen && count <= seen.count)) return refuse('nonce count replayed');
    this.#lastCount.set(nonce, { count, issuedAt });
    this.#forgetExpired(now);
    return { ok: true, user: username };
  }

  #nonceIssuedAt(nonce: string): number | undefined {
    const [issuedAt, salt, signature] = nonce.split('.');
    if (!issuedAt || !salt || !signature || !sameText(signature, this.#sign(`${issuedAt}.${salt}`))) return undefined;
    return Number.parseInt(issuedAt, 36);
  }

  #sign(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }

  #forgetExpired(now: number): void {
    for (const [nonce, { issuedAt }] of this.#lastCount) {
      if (now - issuedAt > this.#ttlMs) this.#lastCount.delete(nonce);
    }
  }
}

/** `key=value` or `key="value"` pairs, comma-separated (RFC 7235 auth-params). */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of text.matchAll(/([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    const [, key, quoted, bare] = match;
    if (key) params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  }
  return params;
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

function refuse(reason: string): DigestVerdict {
  return { ok: false, stale: false, reason };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
