import type { SimulatedClock } from './clock.ts';
import { AtlasError } from './errors.ts';
import type { RateLimitOptions } from './types.ts';

/** Atlas limits each endpoint set per project with a token bucket; this is the Cloud Backups set. */
export class TokenBuckets {
  readonly #clock: SimulatedClock;
  readonly #options: RateLimitOptions;
  readonly #buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(clock: SimulatedClock, options: RateLimitOptions) {
    this.#clock = clock;
    this.#options = options;
  }

  /**
   * Takes one token from the project's bucket: the RateLimit headers of the answer, or a thrown 429 whose body says
   * the wait as Atlas's rate-limit page shows it (detail and parameters), whether or not Retry-After is sent.
   */
  take(groupId: string, path: string): Record<string, string> {
    const { capacity, refillPerMinute, retryAfter = true } = this.#options;
    const now = this.#clock.now();
    const bucket = this.#buckets.get(groupId) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) * refillPerMinute) / 60_000);
    bucket.updatedAt = now;
    this.#buckets.set(groupId, bucket);
    if (bucket.tokens < 1) {
      const waitSeconds = Math.max(1, Math.ceil(((1 - bucket.tokens) * 60) / refillPerMinute));
      const resource = path.replace(/^\//, '');
      throw new AtlasError(
        429,
        'RATE_LIMITED_TOKEN_BUCKET',
        `Rate limit exceeded for ${resource}. Please retry after ${waitSeconds} seconds. ` +
          `Request capacity: ${capacity}. Refill rate: ${refillPerMinute} per 60 seconds.`,
        {
          parameters: [resource, waitSeconds, capacity, refillPerMinute, 60],
          headers: {
            'RateLimit-Limit': String(capacity),
            'RateLimit-Remaining': '0',
            ...(retryAfter ? { 'Retry-After': String(waitSeconds) } : {}),
          },
        },
      );
    }
    bucket.tokens -= 1;
    return { 'RateLimit-Limit': String(capacity), 'RateLimit-Remaining': String(Math.floor(bucket.tokens)) };
  }
}
