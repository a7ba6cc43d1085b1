/**
 * EventBridge Scheduler schedule expressions: validated by Scheduler's own rules, and turned into the times a drill
 * runs, so a drill's period is read from its expression and never given twice.
 *
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields; exactly one of day-of-month and
 *   day-of-week is `?`; ranges 0-59, 0-23, 1-31, 1-12 or JAN-DEC, 1-7 or SUN-SAT (1 = Sunday), 1970-2199; `L`, `W`
 *   in day-of-month, `L`, `#` in day-of-week. Run times come from croner (7-part mode, Quartz weekday numbering,
 *   IANA time zone), then Scheduler's daylight saving rules are applied on top: a wall-clock time that does not
 *   exist (spring forward) is skipped, one that occurs twice (fall back) runs once. Croner instead runs a skipped
 *   time after the gap and interval jobs twice (it follows Vixie cron), hence the filter.
 * - `rate(value unit)`: a positive integer; `minute`, `hour`, `day` for 1, `minutes`, `hours`, `days` otherwise.
 *   Scheduler counts from the schedule's start, which the stack does not fix: rate runs are placed from an anchor
 *   (a run seen in the ledger), `value × unit` apart (a day is 24 hours, DST or not).
 * - `at(yyyy-mm-ddThh:mm:ss)`: one run, at that wall-clock time in the schedule's time zone.
 *
 * Sources: the EventBridge Scheduler user guide, "Schedule types" (rate, cron and one-time syntax, and "Daylight
 * saving time": a non-existent time is skipped, a repeated one runs once), and the EventBridge "Cron expressions
 * reference" (fields, ranges, wildcards, the `?` rule).
 */
import { Cron } from 'croner';

export type ScheduleExpression =
  | { readonly kind: 'cron'; readonly fields: readonly string[] }
  | { readonly kind: 'rate'; readonly intervalMs: number }
  | { readonly kind: 'at'; readonly wallClock: string };

export type ParsedExpression =
  | { readonly ok: true; readonly expression: ScheduleExpression }
  | { readonly ok: false; readonly reason: string };

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** What beyond `, - * /` the field allows. */
  readonly special: RegExp | undefined;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldRule[] = [
  { name: 'minutes', min: 0, max: 59, special: undefined },
  { name: 'hours', min: 0, max: 23, special: undefined },
  { name: 'day-of-month', min: 1, max: 31, special: /^(\?|L|LW|\d{1,2}W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS, special: undefined },
  { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, special: /^(\?|L|\w{1,3}L|\w{1,3}#[1-5])$/ },
  { name: 'year', min: 1970, max: 2199, special: undefined },
];

const RATE = /^rate\((\d+) ([a-z]+)\)$/;
const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

/** Parses an expression as EventBridge Scheduler does; the reason says which field or part breaks which rule. */
export function parseScheduleExpression(text: string): ParsedExpression {
  const fail = (reason: string): ParsedExpression => ({ ok: false, reason });
  if (text.startsWith('cron(')) {
    if (!text.endsWith(')')) return fail('cron(...) must end with ")"');
    const fields = text.slice(5, -1).trim().split(/\s+/);
    if (fields.length !== 6) {
      return fail(
        `cron(...) needs six fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
      );
    }
    const [, , dayOfMonth, , dayOfWeek] = fields;
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
      return fail('exactly one of day-of-month and day-of-week must be "?" (the other names the days)');
    }
    for (const [index, rule] of FIELDS.entries()) {
      const reason = fieldIssue(fields[index] ?? '', rule);
      if (reason !== undefined) return fail(`${rule.name} "${fields[index]}": ${reason}`);
    }
    try {
      cronFor(fields, 'UTC');
    } catch (error) {
      return fail((error as Error).message);
    }
    return { ok: true, expression: { kind: 'cron', fields } };
  }
  if (text.startsWith('rate(')) {
    const match = RATE.exec(text);
    if (!match?.[1] || !match[2]) return fail('rate(...) must be rate(value unit), e.g. rate(12 hours)');
    const value = Number(match[1]);
    if (value < 1) return fail('the rate value must be a positive integer');
    const unit = match[2];
    const singular = unit.replace(/s$/, '');
    const perUnit = RATE_UNITS[singular];
    if (perUnit === undefined) return fail(`unit "${unit}" must be minutes, hours or days`);
    const expected = value === 1 ? singular : `${singular}s`;
    if (unit !== expected) return fail(`with the value ${value} the unit is "${expected}", not "${unit}"`);
    return { ok: true, expression: { kind: 'rate', intervalMs: value * perUnit } };
  }
  if (text.startsWith('at(')) {
    const match = AT.exec(text);
    if (!match) return fail('at(...) must be at(yyyy-mm-ddThh:mm:ss)');
    const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
      return fail('at(...) is not a calendar date and time');
    }
    return { ok: true, expression: { kind: 'at', wallClock: text.slice(3, -1) } };
  }
  return fail('must be cron(...), rate(...) or at(...)');
}

function fieldIssue(field: string, rule: FieldRule): string | undefined {
  const parts = field.split(',');
  if (parts.some((part) => part.includes('#')) && parts.length > 1) return '"#" allows a single expression only';
  for (const part of parts) {
    if (rule.special?.test(part)) {
      const base = part.replace(/(#\d|L|W|LW)$/, '');
      if (base === '' || base === '?' || part === 'L' || part === 'LW') continue;
      const value = fieldValue(base, rule);
      if (value === undefined) return `"${base}" must be ${range(rule)}`;
      continue;
    }
    const [span, step, ...extra] = part.split('/');
    if (extra.length > 0 || span === undefined || span === '') return 'not a value, range or increment';
    if (step !== undefined && !/^\d+$/.test(step)) return `the increment "${step}" must be a number`;
    if (step !== undefined && Number(step) < 1) return 'the increment must be at least 1';
    if (span === '*') continue;
    const bounds = span.split('-');
    if (bounds.length > 2) return `"${span}" is not a value or range`;
    for (const bound of bounds) {
      if (fieldValue(bound, rule) === undefined) return `"${bound}" must be ${range(rule)}`;
    }
  }
  return undefined;
}

function fieldValue(token: string, rule: FieldRule): number | undefined {
  const named = rule.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token)) return undefined;
  const value = Number(token);
  return value >= rule.min && value <= rule.max ? value : undefined;
}

function range(rule: FieldRule): string {
  const names = rule.names ? ` or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : '';
  return `${rule.min}-${rule.max}${names}`;
}

/** Croner pattern: seconds first, `start/step` as `start-max/step` (croner wants a range before a step). */
function cronFor(fields: readonly string[], timeZone: string): Cron {
  const pattern = fields.map((field, index) =>
    field
      .split(',')
      .map((part) => (/^\w+\/\d+$/.test(part) ? part.replace('/', `-${FIELDS[index]?.max}/`) : part))
      .join(','),
  );
  return new Cron(['0', ...pattern].join(' '), {
    timezone: timeZone,
    mode: '7-part',
    alternativeWeekdays: true,
    paused: true,
  });
}

/**
 * The scheduled times (epoch ms) of a cron or at expression in [from, to], oldest first, at most `limit` (the newest
 * are kept). Rate expressions need an anchor: see rateRunTimes.
 */
export function runTimes(
  expression: ScheduleExpression,
  timeZone: string,
  window: { readonly from: number; readonly to: number; readonly limit?: number },
): number[] {
  const limit = window.limit ?? 1000;
  if (expression.kind === 'rate') throw new TypeError('rate expressions are placed from an anchor: use rateRunTimes');
  if (expression.kind === 'at') {
    const time = zonedWallClockToEpoch(expression.wallClock, timeZone);
    return time !== undefined && time >= window.from && time <= window.to ? [time] : [];
  }
  const cron = cronFor(expression.fields, timeZone);
  const [minuteField = '*', hourField = '*'] = expression.fields;
  const minutes = fieldValues(minuteField, 0, 59);
  const hours = fieldValues(hourField, 0, 23);
  const wallClock = wallClockFormat(timeZone);
  const times: number[] = [];
  const seen = new Set<string>();
  let next = cron.nextRun(new Date(window.from - 1));
  while (next && next.getTime() <= window.to) {
    const local = wallClock(next);
    // Scheduler skips a time that does not exist (croner moves it past the gap) and runs a repeated one once.
    if (minutes.has(local.minute) && hours.has(local.hour) && !seen.has(local.key)) {
      seen.add(local.key);
      times.push(next.getTime());
      if (times.length > limit) times.shift();
    }
    next = cron.nextRun(next);
  }
  return times;
}

/** The times of a rate expression in [from, to] that are a whole number of intervals from `anchor`. */
export function rateRunTimes(
  intervalMs: number,
  anchor: number,
  window: { readonly from: number; readonly to: number; readonly limit?: number },
): number[] {
  const limit = window.limit ?? 1000;
  const first = anchor + Math.ceil((window.from - anchor) / intervalMs) * intervalMs;
  const times: number[] = [];
  for (let time = first; time <= window.to; time += intervalMs) times.push(time);
  return times.slice(-limit);
}

/** The longest gap between two runs over the coming year: what "one period" of a drill means. */
export function longestInterval(expression: ScheduleExpression, timeZone: string, from: number): number | undefined {
  if (expression.kind === 'rate') return expression.intervalMs;
  if (expression.kind === 'at') return undefined;
  const times = runTimes(expression, timeZone, { from, to: from + 400 * 86_400_000, limit: 100_000 });
  let longest: number | undefined;
  for (let index = 1; index < times.length; index++) {
    const gap = (times[index] ?? 0) - (times[index - 1] ?? 0);
    longest = Math.max(longest ?? 0, gap);
  }
  return longest;
}

function fieldValues(field: string, min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [span = '*', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [low, high] = span === '*' ? [min, max] : span.split('-').map(Number);
    const end = high ?? (stepText === undefined ? low : max);
    for (let value = low ?? min; value <= (end ?? max); value += step) values.add(value);
  }
  return values;
}

function wallClockFormat(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  return (date: Date) => {
    const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
    return {
      hour: Number(parts.hour),
      minute: Number(parts.minute),
      key: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`,
    };
  };
}

/** The instant a wall-clock time names in a time zone; undefined when that time does not exist there. */
function zonedWallClockToEpoch(wallClock: string, timeZone: string): number | undefined {
  const asUtc = Date.parse(`${wallClock}Z`);
  const wall = wallClockFormat(timeZone);
  const target = wallClock.slice(0, 16);
  // The zone's offset is within ±14 h: try the candidates an offset away, earliest first (a repeated time runs at its
  // first occurrence), and keep the first that reads back.
  for (let offsetMinutes = 14 * 60; offsetMinutes >= -14 * 60; offsetMinutes -= 15) {
    const candidate = asUtc - offsetMinutes * 60_000;
    if (wall(new Date(candidate)).key === target) return candidate;
  }
  return undefined;
}

/**
 * How Scheduler writes `<aws.scheduler.scheduled-time>`: ISO 8601 in UTC, to the second (the Scheduler user guide,
 * "Adding context attributes": for example 2022-03-22T18:59:43Z). A drill run's requestId ends with it.
 */
export function scheduledTimeText(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
