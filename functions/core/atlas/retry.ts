import { AtlasApiError } from './errors.ts';

export interface RetryPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
}

/** Atlas's advice: back off 10 s, 20 s, 40 s. With full jitter the expected waits are half of that. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 10_000, maxDelayMs: 40_000, maxAttempts: 4 };

/** 405 is retryable only with this code: Atlas refuses writes for the minutes an upgrade takes. */
export const WRITES_NOT_ALLOWED_DURING_APP_UPGRADES = 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES';

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number, errorCode: string | undefined): boolean {
  return RETRYABLE_STATUSES.has(status) || (status === 405 && errorCode === WRITES_NOT_ALLOWED_DURING_APP_UPGRADES);
}

/** Full jitter: a uniform wait between 0 and the capped exponential step (`retry` counts from 1). */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** At least what Atlas asked for in Retry-After, else the jittered backoff. */
export function retryDelayMs(
  retry: number,
  retryAfterSeconds: number | undefined,
  policy: RetryPolicy,
  random: () => number,
): number {
  const backoff = backoffDelayMs(retry, policy, random);
  return retryAfterSeconds === undefined ? backoff : Math.max(retryAfterSeconds * 1000, backoff);
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  // Stryker disable next-line StringLiteral: equivalent, an absent header and any other text that is no number or date read alike
  const text = (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10);
  // An HTTP date ends in GMT (RFC 9110 5.6.7); Date.parse alone reads text such as "in 7" as a day of 2001.
  const date = text.endsWith(' GMT') ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** A wait read from a body is trusted up to this; past it the body is more likely wrong than the limit that long. */
const MAX_BODY_WAIT_SECONDS = 3600;

/**
 * The wait a 429 body names when Retry-After is absent. The token-bucket answer says it in `parameters[1]` and in
 * `detail` ("Please retry after 55 seconds"); the older fixed-window answer ("limited to 50 requests every
 * 1 minutes", parameters [resource, limit, minutes]) names only its window, so the whole window is waited.
 */
export function retryAfterFromBody(
  status: number,
  body: { errorCode?: string | undefined; detail?: string | undefined; parameters?: readonly unknown[] | undefined },
): number | undefined {
  if (status !== 429) return undefined;
  const { errorCode, parameters } = body;
  // Stryker disable next-line StringLiteral: equivalent, neither pattern below matches an empty text or Stryker's
  const detail = body.detail ?? '';
  const seconds = (value: unknown) =>
    typeof value === 'number' && value >= 0 && value < Number.POSITIVE_INFINITY
      ? Math.min(MAX_BODY_WAIT_SECONDS, Math.ceil(value))
      : undefined;
  if (errorCode === 'RATE_LIMITED_TOKEN_BUCKET') {
    return seconds(parameters?.[1]) ?? seconds(Number(/retry after (\d+) seconds?/i.exec(detail)?.[1]));
  }
  if (errorCode === 'RATE_LIMITED') {
    const minutes = seconds(parameters?.[2]) ?? seconds(Number(/every (\d+) minutes?/i.exec(detail)?.[1]));
    return minutes === undefined ? undefined : Math.min(MAX_BODY_WAIT_SECONDS, minutes * 60);
  }
  return undefined;
}

export interface RetryLoopOptions {
  readonly policy: RetryPolicy;
  /** Epoch milliseconds; no wait or attempt starts past it. */
  readonly deadline: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
  readonly onRetry?: (error: AtlasApiError, delayMs: number, attempt: number) => void;
}

/**
 * Runs `attempt` until it succeeds or fails for good. Only AtlasApiErrors that are retryable and not ambiguous
 * are tried again; when the next wait would cross the deadline the last error is thrown at once, still retryable,
 * so the caller can re-enqueue the work instead of sleeping in a Lambda.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryLoopOptions,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!(error instanceof AtlasApiError) || !error.retryable || error.ambiguous) throw error;
      if (attemptNumber >= options.policy.maxAttempts || options.signal?.aborted) throw error;
      const delayMs = retryDelayMs(attemptNumber, error.retryAfterSeconds, options.policy, options.random);
      if (options.now() + delayMs >= options.deadline) throw error;
      options.onRetry?.(error, delayMs, attemptNumber);
      await options.sleep(delayMs, options.signal);
    }
  }
}
