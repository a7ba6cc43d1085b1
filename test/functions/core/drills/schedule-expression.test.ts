import { describe, expect, it } from 'vitest';
import {
  longestInterval,
  parseScheduleExpression,
  rateRunTimes,
  runTimes,
  type ScheduleExpression,
  scheduledTimeText,
} from '../../../../functions/core/drills/schedule-expression.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
const iso = (times: number[]) => times.map(scheduledTimeText);

function parsed(text: string): ScheduleExpression {
  const result = parseScheduleExpression(text);
  if (!result.ok) throw new Error(result.reason);
  return result.expression;
}

describe('Function: parseScheduleExpression', () => {
  it.each([
    ['cron(0 3 * * MON *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['cron(0 3 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(61 3 ? * MON *)', /minutes "61": "61" must be 0-59/],
    ['cron(0 24 ? * MON *)', /hours "24": "24" must be 0-23/],
    ['cron(0 3 32 * ? *)', /day-of-month "32"/],
    ['cron(0 3 ? 13 MON *)', /month "13"/],
    ['cron(0 3 ? * 8 *)', /day-of-week "8": "8" must be 1-7 or SUN-SAT/],
    ['cron(0 3 ? * MON 1969)', /year "1969": "1969" must be 1970-2199/],
    ['cron(0 3 ? * MON)', /six fields.*got 5/],
    ['cron(0 3 ? * 3#2,6#3 *)', /"#" allows a single expression only/],
    ['cron(0 3 L * ? *)', null],
    ['cron(0/15 * ? * MON-FRI *)', null],
    ['cron(0 3 1 */3 ? *)', null],
    ['cron(0 3 ? * 3#2 *)', null],
    ['rate(0 hours)', /positive/],
    ['rate(5 hour)', /with the value 5 the unit is "hours", not "hour"/],
    ['rate(1 hours)', /with the value 1 the unit is "hour", not "hours"/],
    ['rate(2 weeks)', /unit "weeks" must be minutes, hours or days/],
    ['rate(-1 days)', /rate\(value unit\)/],
    ['rate(1 day)', null],
    ['rate(12 hours)', null],
    ['at(2026-02-30T03:00:00)', /not a calendar date/],
    ['at(2026-03-01 03:00:00)', /at\(yyyy-mm-ddThh:mm:ss\)/],
    ['at(2026-03-01T03:00:00)', null],
    ['every monday', /must be cron\(...\), rate\(...\) or at\(...\)/],
  ])('%s → %s', (expression, rule) => {
    // Act
    const result = parseScheduleExpression(expression);

    // Assess
    if (rule === null) expect(result).toMatchObject({ ok: true });
    else expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(rule) });
  });
});

describe('Function: runTimes', () => {
  it('places a weekly cron on its day, with Quartz weekday numbers (2 = Monday) as names', () => {
    const window = { from: at('2026-01-01T00:00:00Z'), to: at('2026-01-20T00:00:00Z') };
    const byName = runTimes(parsed('cron(0 3 ? * MON *)'), 'UTC', window);
    expect(iso(byName)).toEqual(['2026-01-05T03:00:00Z', '2026-01-12T03:00:00Z', '2026-01-19T03:00:00Z']);
    expect(runTimes(parsed('cron(0 3 ? * 2 *)'), 'UTC', window)).toEqual(byName);
  });

  it('places monthly (last day) and quarterly drills', () => {
    const year = { from: at('2026-01-01T00:00:00Z'), to: at('2026-12-31T23:59:59Z') };
    expect(runTimes(parsed('cron(0 3 L * ? *)'), 'UTC', year)).toHaveLength(12);
    expect(iso(runTimes(parsed('cron(0 3 1 1/3 ? *)'), 'UTC', year))).toEqual([
      '2026-01-01T03:00:00Z',
      '2026-04-01T03:00:00Z',
      '2026-07-01T03:00:00Z',
      '2026-10-01T03:00:00Z',
    ]);
  });

  it('skips a wall-clock time that does not exist (spring forward), as Scheduler does', () => {
    // 2026-03-29 02:30 does not exist in Paris: clocks go from 02:00 to 03:00.
    const times = runTimes(parsed('cron(30 2 ? * SUN *)'), 'Europe/Paris', {
      from: at('2026-03-20T00:00:00Z'),
      to: at('2026-04-06T00:00:00Z'),
    });
    expect(iso(times)).toEqual(['2026-03-22T01:30:00Z', '2026-04-05T00:30:00Z']);
  });

  it('runs a repeated wall-clock time once (fall back), at its first occurrence', () => {
    // 2026-10-25 02:00-02:59 happens twice in Paris.
    const times = runTimes(parsed('cron(0/30 2 * * ? *)'), 'Europe/Paris', {
      from: at('2026-10-24T12:00:00Z'),
      to: at('2026-10-25T12:00:00Z'),
    });
    expect(iso(times)).toEqual(['2026-10-25T00:00:00Z', '2026-10-25T00:30:00Z']);
  });

  it('reads an at() expression in its time zone', () => {
    const window = { from: at('2026-01-01T00:00:00Z'), to: at('2027-01-01T00:00:00Z') };
    expect(iso(runTimes(parsed('at(2026-07-01T09:00:00)'), 'Europe/Paris', window))).toEqual(['2026-07-01T07:00:00Z']);
  });
});

describe('Function: rateRunTimes and longestInterval', () => {
  it('places rate runs a whole number of intervals from the anchor', () => {
    const times = rateRunTimes(6 * HOUR, at('2026-01-01T01:00:00Z'), {
      from: at('2026-01-02T00:00:00Z'),
      to: at('2026-01-02T12:00:00Z'),
    });
    expect(iso(times)).toEqual(['2026-01-02T01:00:00Z', '2026-01-02T07:00:00Z']);
  });

  it('derives the period from the expression', () => {
    const from = at('2026-01-01T00:00:00Z');
    expect(longestInterval(parsed('cron(0 3 ? * MON *)'), 'Europe/Paris', from)).toBe(7 * DAY + HOUR);
    expect(longestInterval(parsed('cron(0 3 ? * MON *)'), 'UTC', from)).toBe(7 * DAY);
    expect(longestInterval(parsed('rate(5 hours)'), 'UTC', from)).toBe(5 * HOUR);
    expect(longestInterval(parsed('cron(0 3 1 1/3 ? *)'), 'UTC', from)).toBe(92 * DAY);
  });
});
