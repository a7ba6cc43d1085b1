import { defaultWorkflowConfig, type WorkflowConfig } from '../../functions/core/config.ts';
import { nextPollDelay, SQS_MAX_DELAY_SECONDS } from '../../functions/core/workflow/cadence.ts';
import { secondsBetween } from '../../functions/core/workflow/steps.ts';
import { SimulatedClock } from '../atlas-simulator/index.ts';
import {
  fewestPollsAnalytic,
  fewestPollsGreedy,
  type LatencyBound,
  pollSchedule,
  pollsUntilSeen,
  sweepLatency,
  waitHops,
} from './polling-model.ts';
import { format, type SectionResult } from './report.ts';

export const RESTORE_DURATIONS = [
  { label: '5 min', seconds: 300 },
  { label: '1 h', seconds: 3_600 },
  { label: '6 h', seconds: 21_600 },
  { label: '24 h', seconds: 86_400 },
] as const;

/** The bound the cadence promises (cadence.ts): a minute plus 5 % of the time elapsed when the job finished. */
export const OUR_BOUND: LatencyBound = { baseSeconds: 60, fraction: 0.05 };

/**
 * Our poll instants, from the real cadence function on a simulated clock: the start hands off the first poll
 * `nextPollDelay(0)` after submitting, and each poll schedules the next from the elapsed seconds as poll.ts does.
 */
export function cadenceSchedule(config: WorkflowConfig, horizonSeconds: number): number[] {
  const clock = new SimulatedClock({ start: 0, scale: 0 });
  const submittedAt = clock.now();
  const polls: number[] = [];
  let delaySeconds = nextPollDelay(0, config);
  for (;;) {
    clock.advance(delaySeconds * 1000);
    const elapsed = secondsBetween(submittedAt, clock.now());
    polls.push(elapsed);
    if (elapsed >= horizonSeconds) return polls;
    delaySeconds = Math.max(1, nextPollDelay(elapsed, config));
  }
}

interface Strategy {
  readonly name: string;
  readonly schedule: (horizonSeconds: number) => number[];
  /** Where the poll interval comes from. */
  readonly source: string;
}

const fixed = (seconds: number, name: string, source: string): Strategy => ({
  name,
  source,
  schedule: (horizon) => pollSchedule(() => seconds, horizon),
});

export interface PollingFigures {
  /** Our poll instants (seconds since submission) for each restore duration, for the cost model. */
  readonly ourPolls: Readonly<Record<string, readonly number[]>>;
}

/** Section 3: Atlas calls and worst detection latency per restore duration, ours beside fixed pollers and the bound. */
export function measurePolling(): Omit<SectionResult & { status: 'measured' }, 'seconds'> & {
  figures: PollingFigures;
} {
  const uncapped: WorkflowConfig = { ...defaultWorkflowConfig, pollMaxDelaySeconds: 43_200 };
  const strategies: Strategy[] = [
    {
      name: 'ours (cadence.ts, defaults)',
      source: `POLL_MIN_DELAY_SECONDS=${defaultWorkflowConfig.pollMinDelaySeconds}, POLL_MAX_DELAY_SECONDS=${defaultWorkflowConfig.pollMaxDelaySeconds}`,
      schedule: (horizon) => cadenceSchedule(defaultWorkflowConfig, horizon),
    },
    {
      name: 'ours, POLL_MAX_DELAY_SECONDS=43200',
      source: 'longer waits chained as 900 s SQS wait hops (no Atlas call)',
      schedule: (horizon) => cadenceSchedule(uncapped, horizon),
    },
    fixed(4, 'fixed 4 s', 'Atlas CLI `watch`'),
    fixed(30, 'fixed 30 s', "MongoDB's CloudFormation restore resource"),
    fixed(60, 'fixed 60 s', "Terraform's snapshot waiter"),
    {
      name: 'fewest polls within our bound',
      source: 'greedy: next poll when the latency of a finish just after this one reaches 60 s + 5 %',
      schedule: (horizon) => fewestPollsGreedy(OUR_BOUND, horizon),
    },
  ];
  const bound = (finish: number) => OUR_BOUND.baseSeconds + OUR_BOUND.fraction * finish;

  const results = strategies.map((strategy) => ({
    strategy: strategy.name,
    source: strategy.source,
    durations: RESTORE_DURATIONS.map((duration) => {
      const polls = strategy.schedule(duration.seconds);
      const sweep = sweepLatency(polls, duration.seconds, bound);
      const atlasCalls = pollsUntilSeen(polls, duration.seconds);
      return {
        restore: duration.label,
        atlasCalls,
        waitHops: waitHops(polls.slice(0, atlasCalls), SQS_MAX_DELAY_SECONDS),
        worstLatencySeconds: sweep.worstSeconds,
        worstExcessOverBoundSeconds: sweep.worstExcessSeconds,
      };
    }),
  }));
  for (const duration of RESTORE_DURATIONS) {
    const greedy = fewestPollsGreedy(OUR_BOUND, duration.seconds).length;
    const analytic = fewestPollsAnalytic(OUR_BOUND, duration.seconds);
    if (greedy !== analytic) throw new Error(`lower bound disagrees for ${duration.label}: ${greedy} vs ${analytic}`);
  }

  const ours = results[0];
  const lowerBound = results.at(-1);
  const ourPolls = Object.fromEntries(
    RESTORE_DURATIONS.map((duration) => [duration.label, cadenceSchedule(defaultWorkflowConfig, duration.seconds)]),
  );

  return {
    section: '3. Polling efficiency',
    status: 'measured',
    data: { bound: OUR_BOUND, results },
    figures: { ourPolls },
    tables: [
      {
        title: 'Atlas calls (polls until the job is seen) · worst detection latency, per restore duration',
        columns: ['strategy', ...RESTORE_DURATIONS.map((duration) => duration.label), 'interval from'],
        rows: results.map((result, index) => [
          result.strategy,
          ...result.durations.map(
            (cell) =>
              `${format.int(cell.atlasCalls)} · ${format.seconds(cell.worstLatencySeconds)}${cell.waitHops > 0 ? ` (+${cell.waitHops} hops)` : ''}`,
          ),
          strategies[index]?.source ?? '',
        ]),
      },
      {
        title: 'Ours against the fewest polls that keep the bound (60 s + 5 % of elapsed)',
        columns: [
          'restore',
          'our polls',
          'fewest',
          'ours/fewest',
          'worst latency',
          'bound at the end',
          'worst over bound',
        ],
        rows: RESTORE_DURATIONS.map((duration, index) => {
          const mine = ours?.durations[index];
          const best = lowerBound?.durations[index];
          return [
            duration.label,
            format.int(mine?.atlasCalls ?? Number.NaN),
            format.int(best?.atlasCalls ?? Number.NaN),
            format.ratio((mine?.atlasCalls ?? Number.NaN) / (best?.atlasCalls ?? Number.NaN)),
            format.seconds(mine?.worstLatencySeconds ?? Number.NaN),
            format.seconds(bound(duration.seconds)),
            format.seconds(mine?.worstExcessOverBoundSeconds ?? Number.NaN),
          ];
        }),
      },
    ],
    notes: [
      'Worst latency = max over finish instants every 0.1 s in (0, duration] (and just after each poll) of (first poll at or after the finish) − finish. Calls = polls until a job finishing exactly at the duration is seen; the start adds the same 5 calls to every strategy (section 2).',
      `Our cadence is nextPollDelay() from functions/core/workflow/cadence.ts run on the simulator's SimulatedClock; the lower bound is computed greedily and checked against its closed form ceil(ln(1 + D/1200) / ln 1.05).`,
      `The default POLL_MAX_DELAY_SECONDS (${defaultWorkflowConfig.pollMaxDelaySeconds}, one SQS delay) caps the interval from about 4.7 h on: long restores are polled more often than the bound needs. Raising it chains 900 s wait hops (an SQS message and an invocation each, no Atlas call).`,
      `A 24 h restore also needs maxWaitMinutes ≥ 1440: the default (DEFAULT_MAX_WAIT_MINUTES=${defaultWorkflowConfig.defaultMaxWaitMinutes}) times it out at 12 h.`,
    ],
  };
}
