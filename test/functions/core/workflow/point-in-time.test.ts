import { describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import { fixture, GROUP, requests, SOURCE } from './fakes.ts';
import { runRequest } from './harness.ts';

/** The fixture's clock starts at 2026-11-28T06:00:00Z; its source has completed snapshots 3 h and 9 h old. */
const OLDEST_SNAPSHOT = '2026-11-27T21:00:00Z';
const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('Workflow: point-in-time windows', () => {
  it.each([
    ['a dry run', true],
    ['a restore', false],
  ])(
    'refuses in %s an instant before the oldest completed snapshot, naming the window, and submits nothing',
    async (_case, dryRun) => {
      // Prepare
      const f = fixture();
      const request = requests.pointInTime({ pointInTimeUTCSeconds: seconds('2026-11-27T20:59:59Z'), dryRun });

      // Act
      await runRequest(f, request);

      // Assess
      expect(f.atlas.count('createRestoreJob')).toBe(0);
      expect(f.reporter.outcomes).toMatchObject([
        {
          outcome: 'failed',
          errorCode: 'PIT_OUTSIDE_WINDOW',
          outcomeReason: `pointInTimeUTCSeconds 2026-11-27T20:59:59Z is outside the window ${OLDEST_SNAPSHOT}–now (oldest completed snapshot of ${SOURCE} to now)`,
        },
      ]);
    },
  );

  it('approves in a dry run the oldest snapshot’s own second, by oplogTs', async () => {
    // Prepare
    const f = fixture();
    const request = requests.pointInTime({
      pointInTimeUTCSeconds: undefined,
      oplogTs: seconds(OLDEST_SNAPSHOT),
      oplogInc: 1,
      dryRun: true,
    });

    // Act
    await runRequest(f, request);

    // Assess
    expect(f.reporter.outcomes).toMatchObject([
      {
        outcome: 'dryRun',
        outcomeReason: expect.stringContaining(`would restore point in time ${seconds(OLDEST_SNAPSHOT)}`),
      },
    ]);
  });

  it('refuses a point in time of a source without Continuous Cloud Backup, whatever the instant', async () => {
    // Prepare
    const f = fixture();
    f.atlas.addCluster(GROUP, SOURCE, { pitEnabled: false });

    // Act
    await runRequest(f, requests.pointInTime());

    // Assess
    expect(f.atlas.count('createRestoreJob')).toBe(0);
    expect(f.reporter.outcomes).toMatchObject([
      {
        outcome: 'failed',
        errorCode: 'PIT_NOT_ENABLED',
        outcomeReason: expect.stringContaining('Continuous Cloud Backup'),
      },
    ]);
  });

  it('restores a sharded source with continuous backup to a point in time, from its sharded snapshots', async () => {
    // Prepare
    const f = fixture();
    f.atlas.addCluster(GROUP, SOURCE, { clusterType: 'SHARDED', pitEnabled: true });
    const request = requests.pointInTime();

    // Act
    await runRequest(f, request);

    // Assess
    expect(f.atlas.calls.filter((call) => call.operation === 'listSnapshots')).toMatchObject([{ sharded: true }]);
    expect(f.atlas.allJobs()).toMatchObject([
      { deliveryType: 'pointInTime', pointInTimeUTCSeconds: request.pointInTimeUTCSeconds },
    ]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
  });

  it('fails for good on a Flex cluster, saying that Flex restores use the flexClusters endpoint', async () => {
    // Prepare
    const f = fixture();
    f.atlas.failNext(
      'getCluster',
      () =>
        new AtlasApiError({
          operation: 'getCluster',
          method: 'GET',
          path: `/api/atlas/v2/groups/${GROUP}/clusters/${SOURCE}`,
          groupId: GROUP,
          clusterName: SOURCE,
          status: 400,
          errorCode: 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API',
          detail: `Flex cluster ${SOURCE} cannot be used in the Cluster API.`,
          retryable: false,
        }),
    );

    // Act
    const { failures } = await runRequest(f, requests.automated());

    // Assess
    expect(failures).toEqual([]);
    expect(f.atlas.count('createRestoreJob')).toBe(0);
    expect(f.reporter.outcomes).toMatchObject([
      {
        outcome: 'failed',
        errorCode: 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API',
        outcomeReason: expect.stringContaining(
          `Flex restores use another endpoint, POST /api/atlas/v2/groups/${GROUP}/flexClusters/${SOURCE}/backup/restoreJobs`,
        ),
      },
    ]);
  });
});
