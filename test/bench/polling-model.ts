/**
 * Polling strategies for a restore job, on simulated time: when each polls, how many polls find a job that finishes
 * at a given moment, and how late any finish can be noticed. Times are seconds since the job was submitted.
 */

/** Seconds from one poll to the next, given the seconds elapsed since submission at the current poll (0: submitted). */
export type NextDelay = (elapsedSeconds: number) => number;

/** Poll instants up to and including the first at or after `horizonSeconds`. */
export function pollSchedule(nextDelay: NextDelay, horizonSeconds: number, maxPolls = 1_000_000): number[] {
  const polls: number[] = [];
  let now = 0;
  while (polls.length < maxPolls) {
    const delay = nextDelay(now);
    if (!(delay > 0)) throw new RangeError(`a poll delay must be positive, got ${delay} at ${now} s`);
    now += delay;
    polls.push(now);
    if (now >= horizonSeconds) return polls;
  }
  throw new RangeError(`more than ${maxPolls} polls before ${horizonSeconds} s`);
}

/** Polls made until the job finishing at `finishSeconds` is seen (the first poll at or after it included). */
export function pollsUntilSeen(polls: readonly number[], finishSeconds: number): number {
  const index = polls.findIndex((at) => at >= finishSeconds);
  if (index === -1) throw new RangeError(`no poll at or after ${finishSeconds} s`);
  return index + 1;
}

export interface LatencySweep {
  /** Longest time from a finish to the poll that sees it, over every sampled finish instant. */
  readonly worstSeconds: number;
  /** The finish instant at which it happens. */
  readonly worstAt: number;
  /** Largest amount by which a detection latency exceeds `bound(finish)` (≤ 0: the bound always holds). */
  readonly worstExcessSeconds: number;
}

/**
 * Detection latency swept over finish instants in (0, untilSeconds], every `stepSeconds`, plus the instants just after
 * each poll (where a latency peaks, so the sweep never misses a maximum between samples).
 */
export function sweepLatency(
  polls: readonly number[],
  untilSeconds: number,
  bound: (finishSeconds: number) => number,
  stepSeconds = 0.1,
): LatencySweep {
  const epsilon = 1e-6;
  const instants: number[] = [];
  for (let at = stepSeconds; at <= untilSeconds + epsilon; at += stepSeconds) instants.push(Math.min(at, untilSeconds));
  for (const at of [0, ...polls]) if (at + epsilon <= untilSeconds) instants.push(at + epsilon);
  instants.sort((a, b) => a - b);

  let worstSeconds = 0;
  let worstAt = 0;
  let worstExcessSeconds = Number.NEGATIVE_INFINITY;
  let next = 0;
  for (const finish of instants) {
    while (next < polls.length && (polls[next] as number) < finish) next += 1;
    const seenAt = polls[next];
    if (seenAt === undefined) throw new RangeError(`no poll at or after ${finish} s`);
    const latency = seenAt - finish;
    if (latency > worstSeconds) {
      worstSeconds = latency;
      worstAt = finish;
    }
    worstExcessSeconds = Math.max(worstExcessSeconds, latency - bound(finish));
  }
  return { worstSeconds, worstAt, worstExcessSeconds };
}

/** Our latency bound: a finish at `f` seconds is seen within `base + fraction × f`. */
export interface LatencyBound {
  readonly baseSeconds: number;
  readonly fraction: number;
}

/**
 * The fewest polls that see a finish at any instant up to `horizonSeconds` within the bound, greedily: from a poll at
 * t, the next may wait until the latency of a finish just after t reaches its bound, t' = t + base + fraction × t
 * (the latest poll that keeps every finish in (t, t'] within bound). No schedule does with fewer: each greedy poll is
 * at least as late as the same-numbered poll of any schedule that keeps the bound.
 */
export function fewestPollsGreedy(bound: LatencyBound, horizonSeconds: number): number[] {
  return pollSchedule((elapsed) => bound.baseSeconds + bound.fraction * elapsed, horizonSeconds);
}

/**
 * The same count in closed form: t_k + base/fraction = (1 + fraction)^k × base/fraction, so the first k with
 * t_k ≥ D is ceil(ln(1 + D × fraction / base) / ln(1 + fraction)).
 */
export function fewestPollsAnalytic(bound: LatencyBound, horizonSeconds: number): number {
  const scale = bound.baseSeconds / bound.fraction;
  return Math.ceil(Math.log(1 + horizonSeconds / scale) / Math.log(1 + bound.fraction) - 1e-9);
}

/** Wait-hop messages a schedule needs when one queue delay is capped at `maxDelaySeconds` (SQS: 900 s). */
export function waitHops(polls: readonly number[], maxDelaySeconds: number): number {
  let hops = 0;
  let previous = 0;
  for (const at of polls) {
    hops += Math.max(0, Math.ceil((at - previous) / maxDelaySeconds - 1e-9) - 1);
    previous = at;
  }
  return hops;
}
