import { randomBytes } from 'node:crypto';
import type { SimulatedClock } from './clock.ts';

/**
 * Service-account bearer tokens (OAuth 2.0 client credentials). Tokens expire on the simulated clock, and an account
 * may hold only so many live tokens: Atlas refuses the next one with 403 access_denied.
 */
export type TokenCheck =
  | { readonly ok: true; readonly clientId: string }
  | { readonly ok: false; readonly reason: string };

export class TokenIssuer {
  readonly #clock: SimulatedClock;
  readonly #ttlSeconds: number;
  readonly #maxPerAccount: number;
  readonly #tokens = new Map<string, { clientId: string; expiresAt: number }>();

  constructor(clock: SimulatedClock, ttlSeconds: number, maxPerAccount: number) {
    this.#clock = clock;
    this.#ttlSeconds = ttlSeconds;
    this.#maxPerAccount = maxPerAccount;
  }

  /** A new token, or undefined when the account already holds its maximum of live tokens. */
  issue(clientId: string): { accessToken: string; expiresIn: number } | undefined {
    const now = this.#clock.now();
    this.#forgetExpired(now);
    const live = [...this.#tokens.values()].filter((token) => token.clientId === clientId).length;
    if (live >= this.#maxPerAccount) return undefined;
    const accessToken = `sim_${randomBytes(32).toString('base64url')}`;
    this.#tokens.set(accessToken, { clientId, expiresAt: now + this.#ttlSeconds * 1000 });
    return { accessToken, expiresIn: this.#ttlSeconds };
  }

  check(accessToken: string): TokenCheck {
    const token = this.#tokens.get(accessToken);
    if (!token) return { ok: false, reason: 'unknown or revoked access token' };
    if (this.#clock.now() >= token.expiresAt) return { ok: false, reason: 'expired access token' };
    return { ok: true, clientId: token.clientId };
  }

  /**
   * RFC 7009 revocation as Atlas answers it: the token stops working and no longer counts against the cap. A token
   * that is unknown, expired or another account's is left alone; the answer is the same either way.
   */
  revoke(accessToken: string, clientId: string): void {
    if (this.#tokens.get(accessToken)?.clientId === clientId) this.#tokens.delete(accessToken);
  }

  /** Tokens that are neither expired nor revoked, per account when `clientId` is given. */
  live(clientId?: string): number {
    this.#forgetExpired(this.#clock.now());
    return [...this.#tokens.values()].filter((token) => clientId === undefined || token.clientId === clientId).length;
  }

  revokeAll(): void {
    this.#tokens.clear();
  }

  #forgetExpired(now: number): void {
    for (const [accessToken, token] of this.#tokens) {
      if (now >= token.expiresAt) this.#tokens.delete(accessToken);
    }
  }
}
