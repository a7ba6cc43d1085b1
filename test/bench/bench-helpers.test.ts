import { describe, expect, it } from 'vitest';
import { packageOf } from './bundles.ts';
import {
  itemSizeBytes,
  ourDrillUsage,
  priceDrill,
  readUnits,
  stepFunctionsTransitions,
  writeUnits,
} from './cost-model.ts';
import {
  fewestPollsAnalytic,
  fewestPollsGreedy,
  pollSchedule,
  pollsUntilSeen,
  sweepLatency,
  waitHops,
} from './polling-model.ts';
import { peakInWindow } from './scale.ts';
import { median, percentile, ratio } from './stats.ts';

describe('Function: percentile', () => {
  it('interpolates between closest ranks', () => {
    // Prepare
    const samples = [4, 1, 3, 2];

    // Act
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);

    // Assess
    expect(p50).toBe(2.5);
    expect(p99).toBeCloseTo(3.97, 10);
    expect(median([7])).toBe(7);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('refuses a rank outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('Function: ratio', () => {
  it('is NaN, never a figure, when a side is missing or zero', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(Number.isNaN(ratio(undefined, 3))).toBe(true);
    expect(Number.isNaN(ratio(1, 0))).toBe(true);
  });
});

describe('Polling model', () => {
  it('polls a fixed interval until the horizon and counts the poll that sees the finish', () => {
    // Act
    const polls = pollSchedule(() => 30, 100);

    // Assess
    expect(polls).toEqual([30, 60, 90, 120]);
    expect(pollsUntilSeen(polls, 90)).toBe(3);
    expect(pollsUntilSeen(polls, 91)).toBe(4);
  });

  it('finds the worst latency just after a poll, and the excess over a bound', () => {
    // Prepare
    const polls = [10, 40, 100];

    // Act
    const sweep = sweepLatency(polls, 100, () => 50, 1);

    // Assess: a finish just after 40 is seen at 100, nearly 60 s later; the bound of 50 is exceeded by nearly 10.
    expect(sweep.worstSeconds).toBeCloseTo(60, 4);
    expect(sweep.worstAt).toBeCloseTo(40, 4);
    expect(sweep.worstExcessSeconds).toBeCloseTo(10, 4);
  });

  it('computes the fewest polls greedily, in agreement with the closed form', () => {
    const bound = { baseSeconds: 60, fraction: 0.05 };
    for (const horizon of [1, 60, 61, 300, 3_600, 21_600, 86_400]) {
      expect(fewestPollsGreedy(bound, horizon).length).toBe(fewestPollsAnalytic(bound, horizon));
    }
    const first = fewestPollsGreedy(bound, 200);
    expect(first).toHaveLength(4);
    [60, 123, 189.15, 258.6075].forEach((at, index) => {
      expect(first[index]).toBeCloseTo(at, 9);
    });
  });

  it('keeps the bound with the greedy schedule, and no schedule with one poll fewer does', () => {
    // Prepare
    const bound = { baseSeconds: 60, fraction: 0.05 };
    const limit = (finish: number) => 60 + 0.05 * finish;
    const greedy = fewestPollsGreedy(bound, 3_600);

    // Act: spread one poll fewer evenly over the same span.
    const fewer = Array.from({ length: greedy.length - 1 }, (_, index) => ((index + 1) * 3_600) / (greedy.length - 1));

    // Assess
    expect(sweepLatency(greedy, 3_600, limit).worstExcessSeconds).toBeLessThanOrEqual(1e-6);
    expect(sweepLatency(fewer, 3_600, limit).worstExcessSeconds).toBeGreaterThan(0);
  });

  it('counts the wait hops a capped queue delay needs', () => {
    expect(waitHops([900, 2_000, 4_700], 900)).toBe(0 + 1 + 2);
  });
});

describe('Cost model', () => {
  it('sizes a DynamoDB item by its names and values', () => {
    // Prepare: "pk" + "op#1" = 6, "n" + 123 (two digits a byte, plus one) = 4, "ok" + bool = 3,
    // "m" + map { "a": "xy" } = 1 + 3 + 1 + 1 + 2 = 8
    const item = { pk: { S: 'op#1' }, n: { N: '123' }, ok: { BOOL: true }, m: { M: { a: { S: 'xy' } } } };

    // Act
    const size = itemSizeBytes(item);

    // Assess
    expect(size).toBe(6 + 4 + 3 + 8);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(4096)).toBe(1);
  });

  it('prices a drill: cold starts after idle gaps, secret reads per cache period, SQS sends, receives and deletes', () => {
    // Prepare
    const message = { durationMs: 9.2, dynamodbWrites: 2, dynamodbReads: 1, sqsSends: 1, logBytes: 100 };
    const assumptions = {
      memoryMb: 1024,
      initMs: 200,
      idleEnvironmentSeconds: 350,
      secretCacheSeconds: 300,
      ledgerItemBytes: 900,
      indexProjection: 'ALL' as const,
      platformLogBytesPerInvocation: 0,
    };

    // Act: a start at 0 (cold) and polls at 60 s (warm), 400 s (warm, the secret expired) and 800 s (cold again).
    const usage = ourDrillUsage([60, 400, 800], message, message, assumptions);
    const priced = priceDrill(usage);

    // Assess
    expect(usage.invocations).toBe(4);
    expect(usage.coldStarts).toBe(2);
    expect(usage.secretsManagerCalls).toBe(3);
    expect(usage.billedGbSeconds).toBeCloseTo((4 * 10 + 2 * 200) / 1000, 10);
    expect(usage.sqsRequests).toBe(1 + 4 + 2 * 4);
    expect(usage.writeUnits).toBe(4 * 2 * 2);
    expect(usage.readUnits).toBe(4);
    expect(priced.totalUsd).toBeCloseTo(
      priced.lines.reduce((total, line) => total + line.usd, 0),
      15,
    );
    expect(stepFunctionsTransitions(3)).toBe(7 + 9 + 2);
  });

  it('charges a keys-only index one write per drill (the put that creates its entry), an ALL index every write', () => {
    // Prepare
    const message = { durationMs: 5, dynamodbWrites: 2, dynamodbReads: 1, sqsSends: 1, logBytes: 0 };
    const base = {
      memoryMb: 256,
      initMs: 0,
      idleEnvironmentSeconds: 300,
      secretCacheSeconds: 3600,
      ledgerItemBytes: 2000,
      platformLogBytesPerInvocation: 0,
    };

    // Act
    const all = ourDrillUsage([60, 120], message, message, { ...base, indexProjection: 'ALL' });
    const keysOnly = ourDrillUsage([60, 120], message, message, { ...base, indexProjection: 'KEYS_ONLY' });

    // Assess: 6 writes of a 2 KB item are 12 WRU on the table; the index adds 12 (ALL) or 1 (a keys-only entry).
    expect(all.writeUnits).toBe(12 + 12);
    expect(keysOnly.writeUnits).toBe(12 + 1);
  });
});

describe('Bench plumbing', () => {
  it('names the package of a bundled input', () => {
    expect(packageOf('node_modules/@aws-sdk/client-sqs/dist-es/index.js')).toBe('@aws-sdk/client-sqs');
    expect(packageOf('node_modules/undici/lib/core/util.js')).toBe('undici');
    expect(packageOf('functions/core/config.ts')).toBe('(ours)');
  });

  it('finds the busiest window', () => {
    expect(peakInWindow([0, 10, 20, 70, 75, 79], 60)).toBe(4);
    expect(peakInWindow([], 60)).toBe(0);
  });
});
