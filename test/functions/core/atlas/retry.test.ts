import { describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import {
  backoffDelayMs,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  retryAfterFromBody,
  retryDelayMs,
  withRetries,
} from '../../../../functions/core/atlas/retry.ts';

const POLICY: RetryPolicy = { baseDelayMs: 10_000, maxDelayMs: 40_000, maxAttempts: 5 };

function retryable(extra: { retryAfterSeconds?: number; ambiguous?: boolean } = {}) {
  return new AtlasApiError({ operation: 'op', method: 'GET', path: '/p', status: 503, retryable: true, ...extra });
}

describe('Function: backoffDelayMs', () => {
  it('doubles the ceiling from the base up to the cap and jitters below it', () => {
    // Act
    const ceilings = [1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, POLICY, () => 0.999999));
    const floors = [1, 2, 3].map((retry) => backoffDelayMs(retry, POLICY, () => 0));
    const halfway = backoffDelayMs(2, POLICY, () => 0.5);

    // Assess
    expect(ceilings).toEqual([9_999, 19_999, 39_999, 39_999, 39_999]);
    expect(floors).toEqual([0, 0, 0]);
    expect(halfway).toBe(10_000);
  });
});

describe('Function: retryDelayMs', () => {
  it('waits at least Retry-After, and longer when the jittered backoff is longer', () => {
    // Act & Assess
    expect(retryDelayMs(1, 30, POLICY, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(3, 1, POLICY, () => 0.5)).toBe(20_000);
    expect(retryDelayMs(1, undefined, POLICY, () => 0.5)).toBe(5_000);
  });
});

describe('Function: parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and ignores what it cannot read', () => {
    // Prepare
    const now = Date.parse('2025-01-01T00:00:00Z');

    // Act & Assess
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:12 GMT', now)).toBe(12);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('reads delay-seconds only as a whole number, spaces around it allowed, and the first of repeated headers', () => {
    // Prepare
    const now = Date.parse('2025-01-01T00:00:00Z');

    // Act & Assess
    expect(parseRetryAfter(' 12 ', now)).toBe(12);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3);
    for (const unreadable of ['', '   ', '7 seconds', '7x', 'x7', 'a 7', 'in 7', '1.5']) {
      expect(parseRetryAfter(unreadable, now), JSON.stringify(unreadable)).toBeUndefined();
    }
  });

  it('rounds an HTTP date up to the next whole second, and never reads a date-like text that is no HTTP date', () => {
    // Prepare: half a second past the minute
    const now = Date.parse('2025-01-01T00:00:00.500Z');

    // Act & Assess
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:12 GMT', now)).toBe(12);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:12', now)).toBeUndefined();
  });
});

describe('Function: isRetryableStatus', () => {
  it('retries 429 and 5xx, and 405 only while Atlas refuses writes during an upgrade', () => {
    // Act & Assess
    expect([429, 500, 502, 503, 504].every((status) => isRetryableStatus(status, undefined))).toBe(true);
    expect(isRetryableStatus(405, 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES')).toBe(true);
    expect(isRetryableStatus(405, 'ATLAS_BACKUP_CANCEL_SHARD_RESTORE_JOB_NOT_ALLOWED')).toBe(false);
    expect(isRetryableStatus(400, 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES')).toBe(false);
    expect([400, 401, 403, 404, 409, 410, 501].some((status) => isRetryableStatus(status, undefined))).toBe(false);
  });
});

describe('Function: withRetries', () => {
  function harness(deadline = Number.POSITIVE_INFINITY) {
    let time = 0;
    const sleeps: number[] = [];
    const options = {
      policy: POLICY,
      deadline,
      now: () => time,
      random: () => 0.5,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        time += ms;
      },
    };
    return { options, sleeps, time: () => time };
  }

  it('retries a retryable failure with the computed waits until it succeeds', async () => {
    // Prepare
    const { options, sleeps } = harness();
    let attempts = 0;

    // Act
    const result = await withRetries(async () => {
      attempts += 1;
      if (attempts < 3) throw retryable();
      return 'done';
    }, options);

    // Assess
    expect(result).toBe('done');
    expect(sleeps).toEqual([5_000, 10_000]);
  });

  it('throws the last error after maxAttempts', async () => {
    // Prepare
    const { options, sleeps } = harness();
    let attempts = 0;

    // Act
    const error = await withRetries(async () => {
      attempts += 1;
      throw retryable();
    }, options).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(attempts).toBe(POLICY.maxAttempts);
    expect(sleeps).toHaveLength(POLICY.maxAttempts - 1);
  });

  it('throws the retryable error at once when the next wait would cross the deadline', async () => {
    // Prepare
    const { options, sleeps, time } = harness(12_000);
    const failures = [retryable(), retryable({ retryAfterSeconds: 60 })];
    let attempts = 0;

    // Act
    const error = await withRetries(async () => {
      const failure = failures[attempts];
      attempts += 1;
      throw failure;
    }, options).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBe(failures[1]);
    expect((error as AtlasApiError).retryable).toBe(true);
    expect(sleeps).toEqual([5_000]);
    expect(time()).toBeLessThan(12_000);
  });

  it('waits only when the wait ends before the deadline: a wait ending on it is not taken (issue 18)', async () => {
    // Prepare: the first wait is 5 s (half the 10 s base); one deadline falls on its end, one a millisecond later.
    const onIt = harness(5_000);
    const justAfter = harness(5_001);
    const attemptsUntilSuccess = (count: { n: number }) => async () => {
      count.n += 1;
      if (count.n < 2) throw retryable();
      return 'done';
    };
    const a = { n: 0 };
    const b = { n: 0 };

    // Act
    const refused = await withRetries(attemptsUntilSuccess(a), onIt.options).catch((caught: unknown) => caught);
    const retried = await withRetries(attemptsUntilSuccess(b), justAfter.options);

    // Assess
    expect(refused).toBeInstanceOf(AtlasApiError);
    expect(a.n).toBe(1);
    expect(onIt.sleeps).toEqual([]);
    expect(retried).toBe('done');
    expect(justAfter.sleeps).toEqual([5_000]);
  });

  it('never retries an ambiguous or permanent failure', async () => {
    // Prepare
    const { options, sleeps } = harness();
    const ambiguous = retryable({ ambiguous: true });
    const permanent = new AtlasApiError({ operation: 'op', method: 'GET', path: '/p', status: 404, retryable: false });

    // Act
    const first = await withRetries(() => Promise.reject(ambiguous), options).catch((caught: unknown) => caught);
    const second = await withRetries(() => Promise.reject(permanent), options).catch((caught: unknown) => caught);

    // Assess
    expect(first).toBe(ambiguous);
    expect(second).toBe(permanent);
    expect(sleeps).toEqual([]);
  });
});

describe('Function: retryAfterFromBody', () => {
  it.each([
    [
      'the token-bucket sample of the rate-limit page',
      'RATE_LIMITED_TOKEN_BUCKET',
      'Rate limit exceeded for api/atlas/v2/orgs. Please retry after 55 seconds. Request capacity: 10. Refill rate: 5 per 60 seconds.',
      ['api/atlas/v2/orgs', 55, 10, 5, 60],
      55,
    ],
    [
      'the detail alone',
      'RATE_LIMITED_TOKEN_BUCKET',
      'Rate limit exceeded for api/atlas/v2/orgs. Please retry after 7 seconds.',
      undefined,
      7,
    ],
    [
      'the older fixed window of the token endpoint (a whole window)',
      'RATE_LIMITED',
      'Resource /api/oauth/token is limited to 50 requests every 1 minutes.',
      ['/api/oauth/token', 50, 1],
      60,
    ],
    ['nothing usable', 'RATE_LIMITED_TOKEN_BUCKET', 'Too many requests.', ['x', 'soon'], undefined],
    ['a wait of two digits from the detail', 'RATE_LIMITED_TOKEN_BUCKET', 'Please retry after 55 seconds.', [], 55],
    ['one second, singular', 'RATE_LIMITED_TOKEN_BUCKET', 'Please retry after 1 second.', undefined, 1],
    ['a zero wait in the parameters', 'RATE_LIMITED_TOKEN_BUCKET', 'Please retry after 9 seconds.', ['p', 0], 0],
    ['a fractional wait, rounded up', 'RATE_LIMITED_TOKEN_BUCKET', undefined, ['p', 2.2], 3],
    ['a negative wait: the detail instead', 'RATE_LIMITED_TOKEN_BUCKET', 'Please retry after 9 seconds.', ['p', -5], 9],
    [
      'an infinite wait: the detail instead',
      'RATE_LIMITED_TOKEN_BUCKET',
      'Please retry after 9 seconds.',
      ['p', Number.POSITIVE_INFINITY],
      9,
    ],
    [
      'a wait given as text: the detail instead',
      'RATE_LIMITED_TOKEN_BUCKET',
      'Please retry after 9 seconds.',
      ['p', '55'],
      9,
    ],
    [
      'a window of ten minutes from the detail',
      'RATE_LIMITED',
      'Resource /x is limited to 5 requests every 10 minutes.',
      undefined,
      600,
    ],
    [
      'a window of one minute, singular',
      'RATE_LIMITED',
      'Resource /x is limited to 5 requests every 1 minute.',
      undefined,
      60,
    ],
    ['a window from the parameters alone', 'RATE_LIMITED', 'Too many requests.', ['/x', 5, 2], 120],
    ['a window too long, capped at an hour', 'RATE_LIMITED', undefined, ['/x', 5, 120], 3600],
    ['a fixed window that names no length', 'RATE_LIMITED', 'Too many requests.', ['/x', 5], undefined],
    [
      'a window under another code',
      'RATE_LIMITED_FOR_SOMETHING_ELSE',
      'limited to 5 requests every 1 minutes',
      ['/x', 5, 1],
      undefined,
    ],
    ['another status code', 'UNEXPECTED_ERROR', 'Please retry after 9 seconds.', undefined, undefined],
  ])('reads %s', (_case, errorCode, detail, parameters, seconds) => {
    // Act
    const wait = retryAfterFromBody(429, { errorCode, detail, parameters });

    // Assess
    expect(wait).toBe(seconds);
  });

  it('ignores bodies of other statuses and caps an absurd wait at an hour', () => {
    // Act
    const other = retryAfterFromBody(503, { errorCode: 'RATE_LIMITED_TOKEN_BUCKET', parameters: ['p', 55] });
    const absurd = retryAfterFromBody(429, { errorCode: 'RATE_LIMITED_TOKEN_BUCKET', parameters: ['p', 1e9] });

    // Assess
    expect(other).toBeUndefined();
    expect(absurd).toBe(3600);
  });
});
