import type { RestoreRequest } from '../../functions/core/contract/restore-request.ts';
import type { AtlasSimulator } from '../atlas-simulator/index.ts';

const HOUR_MS = 3_600_000;
/** A source cluster keeps a few scheduled snapshots, as the simulator's default seed does. */
const SNAPSHOTS_PER_SOURCE = 4;

/** One restore's own source and target clusters: a start never waits behind another restore's job. */
export interface RestorePair {
  readonly operationId: string;
  readonly sourceClusterName: string;
  readonly targetClusterName: string;
}

/**
 * `count` source/target pairs named `<role>-<index>` with a fixed width, so names of every role have the same length
 * and a request replayed with another pair's names has exactly the same size.
 */
export function restorePairs(role: string, count: number): RestorePair[] {
  return Array.from({ length: count }, (_, index) => {
    const suffix = `${role}-${String(index).padStart(5, '0')}`;
    return { operationId: `bench-${suffix}`, sourceClusterName: `src-${suffix}`, targetClusterName: `tgt-${suffix}` };
  });
}

/**
 * Adds the pairs' clusters to the simulator: sources with completed scheduled snapshots, idle targets. Answers the
 * newest snapshot of each source (what `snapshotId: "latest"` picks), by operation id.
 */
export function seedPairs(sim: AtlasSimulator, groupId: string, pairs: readonly RestorePair[]): Map<string, string> {
  const now = sim.clock.now();
  const newest = new Map<string, string>();
  for (const pair of pairs) {
    sim.state.addCluster(groupId, { name: pair.sourceClusterName });
    sim.state.addCluster(groupId, { name: pair.targetClusterName });
    for (let age = 0; age < SNAPSHOTS_PER_SOURCE; age += 1) {
      const id = sim.state.addSnapshot(groupId, pair.sourceClusterName, { startedAt: now - (3 + 6 * age) * HOUR_MS });
      if (age === 0) newest.set(pair.operationId, id);
    }
  }
  return newest;
}

/** A weekly DR drill of the pair: the newest completed snapshot onto its target. */
export function drillRequest(groupId: string, pair: RestorePair, maxWaitMinutes?: number): RestoreRequest {
  return {
    groupId,
    clusterName: pair.sourceClusterName,
    deliveryType: 'automated',
    snapshotId: 'latest',
    targetGroupId: groupId,
    targetClusterName: pair.targetClusterName,
    requestId: pair.operationId,
    ...(maxWaitMinutes === undefined ? {} : { maxWaitMinutes }),
  };
}

export function allowedTargets(groupId: string, pairs: readonly RestorePair[]): string[] {
  return pairs.map((pair) => `${groupId}/${pair.targetClusterName}`);
}
