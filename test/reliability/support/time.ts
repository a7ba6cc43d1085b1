import type { Clock } from '../../../functions/core/workflow/ports.ts';
import type { SimulatedClock } from '../../atlas-simulator/index.ts';

/**
 * The three clocks of a run, kept apart as they are in production:
 * - Atlas's clock: the simulator's (frozen; it moves only when time is passed);
 * - the workflow's clock (the Clock port): Atlas's plus a skew, as a Lambda's clock may drift from Atlas's;
 * - Lambda's real time (`realNow`): deadlines, token refresh and the secrets cache. It is the machine's clock plus
 *   every period passed, so a client's 40 s backoff or a 15-minute wait takes no real time.
 */
export class SystemTime {
  readonly atlas: SimulatedClock;
  skewMs: number;
  #realOffsetMs = 0;

  constructor(atlas: SimulatedClock, skewMs = 0) {
    this.atlas = atlas;
    this.skewMs = skewMs;
  }

  readonly realNow = (): number => Date.now() + this.#realOffsetMs;

  readonly workflowClock: Clock = { now: () => this.atlas.now() + this.skewMs };

  /** Time passes for everyone. */
  pass(ms: number): void {
    if (ms <= 0) return;
    this.atlas.advance(ms);
    this.#realOffsetMs += ms;
  }

  /** Time passes at Atlas only: its tokens expire while the client, whose clock did not move, still trusts them. */
  passAtAtlasOnly(ms: number): void {
    if (ms > 0) this.atlas.advance(ms);
  }

  /** Passes time until the workflow's clock reads `workflowMs` (never backwards). */
  passUntil(workflowMs: number): void {
    this.pass(workflowMs - this.workflowClock.now());
  }

  /** The Atlas client's sleep between retries: the wait passes instantly, for Atlas's token buckets too. */
  readonly sleep = async (ms: number): Promise<void> => {
    this.pass(ms);
  };
}
