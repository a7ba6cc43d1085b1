import type { RestoreRequest } from '../../functions/core/contract/restore-request.ts';
import type { AtlasSimulator, LifecycleDurations, SeedInfo, SeedOptions } from '../atlas-simulator/index.ts';

export const SCENARIOS = [
  'snapshot-in-progress',
  'automated',
  'download',
  'pointInTime',
  'broken-restore',
  'ephemeral',
  'ephemeral-crash',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface ScenarioPlan {
  readonly summary: string;
  /** The simulated Atlas project the drill starts from. */
  readonly seed: SeedOptions;
  /** How long the simulated Atlas takes, where the scenario needs it. */
  readonly durations?: Partial<LifecycleDurations>;
  /** The request a schedule would send; `now` is the simulated clock (epoch ms). Verified when it has a target. */
  request(seed: SeedInfo, now: number): RestoreRequest;
  /** What goes wrong in the simulated Atlas before the drill starts. */
  fault?(sim: AtlasSimulator, seed: SeedInfo): void;
  /**
   * Ephemeral target: the drill creates its cluster (in the seed's project, listed as the drill project).
   * `crashAfterCreate`: the chain dies once the cluster is created (its step messages are dropped, as by a dead
   * chain), and the reaper's schedule deletes the cluster. The outcome the drill expects.
   */
  readonly ephemeral?: { readonly crashAfterCreate: boolean; readonly expectedOutcome: 'succeeded' | 'reaped' };
}

const HOUR_SECONDS = 3600;

/** What each `--scenario` restores, on the simulator's default project (a source with scheduled snapshots). */
export const SCENARIO_PLANS: Readonly<Record<Scenario, ScenarioPlan>> = {
  'snapshot-in-progress': {
    summary: 'weekly DR drill onto the drill cluster while an on-demand snapshot is still being taken',
    seed: { onDemandSnapshotInProgress: true },
    // Five minutes in progress: the drill's first step finds it so on a loaded machine too (the default 140 s is
    // under three real seconds at 60x).
    durations: { snapshotInProgressMs: 5 * 60_000 },
    request: (seed) => ({ ...source(seed), deliveryType: 'automated', snapshotId: 'latest', ...target(seed) }),
  },
  automated: {
    summary: 'DR drill onto the drill cluster from the newest completed snapshot',
    seed: {},
    request: (seed) => ({ ...source(seed), deliveryType: 'automated', snapshotId: 'latest', ...target(seed) }),
  },
  'broken-restore': {
    summary:
      'DR drill whose restore Atlas reports completed, but the target lacks shop.customers and holds a third of the rest',
    seed: {},
    request: (seed) => ({ ...source(seed), deliveryType: 'automated', snapshotId: 'latest', ...target(seed) }),
    fault: (sim, seed) =>
      sim.dataPlane.faults.breakRestoresOnto(seed.groupId, seed.targetClusterName, {
        dropNamespaces: ['shop.customers'],
        keepFraction: 1 / 3,
      }),
  },
  download: {
    summary: 'download link for the newest completed snapshot; no cluster is overwritten',
    seed: {},
    request: (seed) => ({ ...source(seed), deliveryType: 'download', snapshotId: 'latest' }),
  },
  pointInTime: {
    summary: 'point-in-time restore onto the drill cluster, one hour back',
    seed: {},
    request: (seed, now) => ({
      ...source(seed),
      deliveryType: 'pointInTime',
      pointInTimeUTCSeconds: Math.floor(now / 1000) - HOUR_SECONDS,
      ...target(seed),
    }),
  },
  ephemeral: {
    summary:
      'DR drill that creates its own target cluster, restores into it, verifies it, deletes it and reports cluster-hours',
    seed: {},
    request: (seed) => ({ ...source(seed), ...ephemeralTarget(seed), verify: VERIFY }),
    ephemeral: { crashAfterCreate: false, expectedOutcome: 'succeeded' },
  },
  'ephemeral-crash': {
    summary: 'ephemeral drill whose chain dies after creating its cluster: the reaper schedule deletes it',
    seed: {},
    request: (seed) => ({ ...source(seed), ...ephemeralTarget(seed) }),
    ephemeral: { crashAfterCreate: true, expectedOutcome: 'reaped' },
  },
};

const source = (seed: SeedInfo) => ({ groupId: seed.groupId, clusterName: seed.sourceClusterName });
/**
 * Every drill onto a cluster is verified: structure, counts, heartbeat RPO. The source keeps taking orders between
 * its snapshot (3 hours old) and the inventory taken at the request, so counts are compared within 15 %.
 */
const VERIFY = { countTolerancePercent: 15 };
const target = (seed: SeedInfo) => ({
  targetGroupId: seed.groupId,
  targetClusterName: seed.targetClusterName,
  verify: VERIFY,
});

/** A short deadline: the reaper fires after it (plus the claim lease), which the crash drill waits for. */
const EPHEMERAL_MAX_WAIT_MINUTES = 60;

const ephemeralTarget = (seed: SeedInfo) =>
  ({
    deliveryType: 'automated',
    snapshotId: 'latest',
    maxWaitMinutes: EPHEMERAL_MAX_WAIT_MINUTES,
    ephemeralTarget: { groupId: seed.groupId, namePrefix: 'drill-' },
  }) as const;
