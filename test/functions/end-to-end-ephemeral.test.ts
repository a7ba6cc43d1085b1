import { describe, expect, it } from 'vitest';
import { reaperScheduleName } from '../../functions/core/scheduler/reaper-schedules.ts';
import { type EndToEnd, startEndToEnd } from './end-to-end-harness.ts';

async function withEndToEnd(run: (e2e: EndToEnd) => Promise<void>): Promise<void> {
  const e2e = await startEndToEnd({
    reaper: true,
    config: { allowedDrillProjects: [], tierPricesUsdPerHour: { M10: 0.08, M30: 0.54 } },
  });
  try {
    await run(e2e);
  } finally {
    await e2e.close();
  }
}

describe('End to end: an ephemeral drill target with the reaper on the local EventBridge Scheduler', () => {
  it('sets the reaper schedule when it creates the cluster and cancels it when the drill ends: no schedule is left', {
    timeout: 60_000,
  }, async () => {
    await withEndToEnd(async (e2e) => {
      // Prepare
      const { targetGroupId: _group, targetClusterName: _name, ...source } = e2e.request();
      const requestId = 'ephemeral-e2e-1';
      const request = { ...source, requestId, maxWaitMinutes: 120, ephemeralTarget: { groupId: e2e.sim.seed.groupId } };
      // The seed's project is the drill project (its id is known once the simulator runs).
      Object.assign(e2e.config, { allowedDrillProjects: new Set([e2e.sim.seed.groupId]) });
      let scheduled = false;

      // Act
      await e2e.send(request);
      const operation = await e2e.runUntilOutcome(requestId, {
        timeoutMs: 40_000,
        afterPoll: () => {
          scheduled ||= (e2e.scheduler?.schedules() ?? []).some(
            (schedule) => schedule.name === reaperScheduleName(requestId),
          );
        },
      });

      // Assess
      expect(operation.outcome).toBe('succeeded');
      expect(scheduled).toBe(true);
      expect(e2e.scheduler?.schedules()).toEqual([]);
      const cluster = operation.ephemeralCluster;
      expect(cluster?.deletedAt).toBeDefined();
      expect(e2e.sim.state.cluster(cluster?.groupId ?? '', cluster?.clusterName ?? '')).toBeUndefined();
    });
  });
});
