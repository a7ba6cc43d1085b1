import type { WorkflowConfig } from '../config.ts';

/** SQS delays one message at most this long; longer waits are chained as wait hops. */
export const SQS_MAX_DELAY_SECONDS = 900;

/** The cadence's floor never exceeds this: detection latency stays within a minute plus 5 % of the elapsed time. */
const BASE_DELAY_CAP_SECONDS = 60;
const ELAPSED_FRACTION = 0.05;

/**
 * Seconds until the next poll of a restore job submitted `elapsedSeconds` ago. A job that ends just after a poll is
 * seen at the next one, so the detection latency is the interval: at most min(POLL_MIN_DELAY_SECONDS, 60) + 5 % of
 * the elapsed time, capped by POLL_MAX_DELAY_SECONDS. Growing with the elapsed time keeps a 10-hour restore to
 * about 75 polls rather than 600.
 */
export function nextPollDelay(
  elapsedSeconds: number,
  config: Pick<WorkflowConfig, 'pollMinDelaySeconds' | 'pollMaxDelaySeconds'>,
): number {
  const base = Math.min(config.pollMinDelaySeconds, BASE_DELAY_CAP_SECONDS);
  const interval = base + ELAPSED_FRACTION * Math.max(0, elapsedSeconds);
  // Rounded down: SQS delays are whole seconds, and rounding up would overshoot the latency bound.
  return Math.max(1, Math.floor(Math.min(interval, config.pollMaxDelaySeconds)));
}

/**
 * Seconds before retrying a deferred start: doubling from POLL_MIN_DELAY_SECONDS, capped at 900 s, so a snapshot
 * in progress (minutes to hours) is rechecked often early on and cheaply later.
 */
export function deferDelay(attempt: number, config: Pick<WorkflowConfig, 'pollMinDelaySeconds'>): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 20);
  return Math.min(config.pollMinDelaySeconds * 2 ** exponent, SQS_MAX_DELAY_SECONDS);
}
