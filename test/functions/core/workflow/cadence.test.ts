import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { workflowConfig } from '../../../../functions/core/config.ts';
import { deferDelay, nextPollDelay, SQS_MAX_DELAY_SECONDS } from '../../../../functions/core/workflow/cadence.ts';
import { pendingFor } from '../../../../functions/core/workflow/steps.ts';

describe('Cadence: nextPollDelay', () => {
  it('starts at a minute and grows by 5 % of the elapsed time, up to the cap', () => {
    // Prepare
    const config = workflowConfig();

    // Act
    const delays = [0, 60, 600, 3600, 6 * 3600, 24 * 3600].map((elapsed) => nextPollDelay(elapsed, config));

    // Assess
    expect(delays).toEqual([60, 63, 90, 240, 900, 900]);
  });

  it('keeps the detection latency within min(POLL_MIN_DELAY_SECONDS, 60) + 5 % of the elapsed time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 14 * 86_400 }),
        fc.integer({ min: 1, max: 900 }),
        fc.integer({ min: 1, max: 43_200 }),
        (elapsed, min, max) => {
          const config = { pollMinDelaySeconds: min, pollMaxDelaySeconds: Math.max(min, max) };
          const delay = nextPollDelay(elapsed, config);
          expect(delay).toBeGreaterThanOrEqual(1);
          expect(delay).toBeLessThanOrEqual(Math.min(min, 60) + 0.05 * elapsed);
          expect(delay).toBeLessThanOrEqual(config.pollMaxDelaySeconds);
        },
      ),
    );
  });

  it('follows a 10-hour restore with about 75 polls', () => {
    // Prepare
    const config = workflowConfig({ pollMaxDelaySeconds: 3600 });
    let elapsed = 0;
    let polls = 0;

    // Act
    while (elapsed < 10 * 3600) {
      elapsed += nextPollDelay(elapsed, config);
      polls += 1;
    }

    // Assess
    expect(polls).toBeGreaterThan(60);
    expect(polls).toBeLessThan(80);
  });
});

describe('Cadence: deferDelay and wait hops', () => {
  it('doubles from POLL_MIN_DELAY_SECONDS up to 900 s', () => {
    // Act
    const delays = [1, 2, 3, 4, 5, 6, 12].map((attempt) => deferDelay(attempt, { pollMinDelaySeconds: 60 }));

    // Assess
    expect(delays).toEqual([60, 120, 240, 480, 900, 900, 900]);
  });

  it('sends a step directly up to 900 s, and a wait hop beyond', () => {
    // Act
    const direct = pendingFor({ kind: 'poll', delaySeconds: 900 }, 0);
    const hop = pendingFor({ kind: 'poll', delaySeconds: 3600 }, 0);

    // Assess
    expect(direct).toEqual({ kind: 'poll', dueAt: 900_000 });
    expect(hop).toEqual({ kind: 'wait', dueAt: SQS_MAX_DELAY_SECONDS * 1000, until: 3_600_000, next: 'poll' });
  });
});
