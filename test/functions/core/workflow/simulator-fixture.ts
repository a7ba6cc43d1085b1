/**
 * The workflow fakes (manual clock, in-memory ledger and queue, `drain`) with the real Atlas client talking to the
 * Atlas simulator, whose clock follows the manual one: every delivery sees Atlas as it is at that instant. Fast enough
 * for unit-style tests of how the workflow meets Atlas's behaviour.
 */
import { createAtlasClient } from '../../../../functions/core/atlas/client.ts';
import { workflowConfig } from '../../../../functions/core/config.ts';
import {
  type AtlasSimulator,
  type SeedOptions,
  SimulatedClock,
  startAtlasSimulator,
} from '../../../atlas-simulator/index.ts';
import { type Fixture, InMemoryLedger, InMemoryQueue, ManualClock, RecordingLog, RecordingReporter } from './fakes.ts';

/** A manual clock that moves the simulator's clock with it. */
class LinkedClock extends ManualClock {
  readonly #simulated: SimulatedClock;

  constructor(start: number, simulated: SimulatedClock) {
    super(start);
    this.#simulated = simulated;
  }

  override advance(ms: number): void {
    super.advance(ms);
    this.#sync();
  }

  override set(ms: number): void {
    super.set(ms);
    this.#sync();
  }

  #sync(): void {
    const behind = this.now() - this.#simulated.now();
    if (behind > 0) this.#simulated.advance(behind);
  }
}

export interface SimulatorFixture extends Fixture {
  readonly sim: AtlasSimulator;
  close(): Promise<void>;
}

export async function simulatorFixture(
  options: { seed?: SeedOptions; config?: Parameters<typeof workflowConfig>[0] } = {},
): Promise<SimulatorFixture> {
  const start = Date.UTC(2026, 10, 28, 6, 0, 0);
  const simulatedClock = new SimulatedClock({ start, scale: 0 });
  const sim = await startAtlasSimulator({
    clock: simulatedClock,
    seed: options.seed ?? {},
    rateLimit: false,
    tokenTtlSeconds: 10 * 365 * 86_400,
  });
  const clock = new LinkedClock(start, simulatedClock);
  const { clientId, clientSecret } = sim.seed.credentials;
  const atlas = createAtlasClient({
    baseUrl: sim.baseUrl,
    credentials: {
      get: async () => ({ credentials: { kind: 'serviceAccount', clientId, clientSecret } }),
      invalidate: () => undefined,
    },
    retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 },
    now: () => clock.now(),
    sleep: async () => {},
  });
  const ledger = new InMemoryLedger();
  const queue = new InMemoryQueue(clock);
  const log = new RecordingLog();
  const reporter = new RecordingReporter();
  const config = workflowConfig({
    allowedTargets: [`${sim.seed.groupId}/${sim.seed.targetClusterName}`],
    ...options.config,
  });
  const deps = { atlas, queue, ledger, clock, config, log, reporter };
  return {
    sim,
    clock,
    // The fixture's FakeAtlas type is not used by drain; tests here read Atlas through `sim`.
    atlas: undefined as never,
    ledger,
    queue,
    log,
    reporter,
    config,
    deps,
    async close() {
      await atlas.close();
      await sim.close();
    },
  };
}
