import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { AtlasSimulator } from '../../atlas-simulator/index.ts';
import { addClusterPair, atlasEnv, runCli, startRealTimeSimulator } from './run-cli.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const HOUR_MS = 3_600_000;

describe.concurrent('CLI: points in time, their window and cluster kinds', () => {
  const directory = mkdtempSync(join(tmpdir(), 'atlas-restore-pit-'));
  let sim: AtlasSimulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startRealTimeSimulator();
    env = atlasEnv(sim);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(directory, { recursive: true, force: true });
  });

  function requestFile(name: string, when: Record<string, number>): string {
    const path = join(directory, name);
    const request = {
      groupId: GROUP,
      clusterName: 'prod',
      deliveryType: 'pointInTime',
      targetGroupId: GROUP,
      targetClusterName: 'dr-drill',
      ...when,
    };
    writeFileSync(path, JSON.stringify(request));
    return path;
  }

  /** `start pointInTime` flags from a source to an allowed target, with a JSON outcome. */
  function pointInTimeStart(groupId: string, source: string, target: string, seconds: number): string[] {
    return [
      'start',
      'pointInTime',
      '--projectId',
      groupId,
      '--clusterName',
      source,
      '--targetProjectId',
      groupId,
      '--targetClusterName',
      target,
      '--pointInTimeUTCSeconds',
      String(seconds),
      '--allowTarget',
      `${groupId}/${target}`,
      '--json',
    ];
  }

  it('validate refuses pointInTimeUTCSeconds given in milliseconds, naming the field and the rule', async ({
    expect,
  }) => {
    // Act
    const path = requestFile('millis.json', { pointInTimeUTCSeconds: Date.now() - HOUR_MS });
    const result = await runCli(['validate', path], {});

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /pointInTimeUTCSeconds: looks like milliseconds: as seconds it is the year 5\d{4}; .* \[looks_like_milliseconds\]/,
    );
  });

  it('validate refuses an oplogTs in the future', async ({ expect }) => {
    // Act
    const path = requestFile('future.json', { oplogTs: Math.floor(Date.now() / 1000) + 3600, oplogInc: 1 });
    const result = await runCli(['validate', path], {});

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/oplogTs: is in the future: .* is after now \(.*\); .* \[in_the_future\]/);
  });

  it('a dry run refuses an instant before the oldest completed snapshot, naming the window', async ({ expect }) => {
    // Prepare: the pair's only snapshot is an hour old
    const pair = addClusterPair(sim);
    const seconds = Math.floor((sim.clock.now() - 2 * HOUR_MS) / 1000);

    // Act
    const result = await runCli(
      [...pointInTimeStart(pair.groupId, pair.source, pair.target, seconds), '--dry-run'],
      env,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      outcome: 'failed',
      errorCode: 'PIT_OUTSIDE_WINDOW',
      reason: expect.stringMatching(
        new RegExp(
          `^pointInTimeUTCSeconds \\S+Z is outside the window \\S+Z–now \\(oldest completed snapshot of ${pair.source} to now\\)$`,
        ),
      ),
    });
  });

  it('restores a sharded cluster with continuous backup to a point in time', async ({ expect }) => {
    // Prepare
    const { groupId } = sim.seed;
    sim.state.addCluster(groupId, { name: 'pit-sharded', clusterType: 'SHARDED' });
    sim.state.addCluster(groupId, { name: 'pit-sharded-drill', clusterType: 'SHARDED' });
    sim.state.addSnapshot(groupId, 'pit-sharded', { startedAt: sim.clock.now() - 6 * HOUR_MS });
    const seconds = Math.floor((sim.clock.now() - HOUR_MS) / 1000);
    const args = pointInTimeStart(groupId, 'pit-sharded', 'pit-sharded-drill', seconds);

    // Act
    const result = await runCli(args, { ...env, POLL_MIN_DELAY_SECONDS: '1', POLL_MAX_DELAY_SECONDS: '2' });

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'succeeded', snapshotAt: expect.any(String) });
    expect(sim.state.restoreJobs(groupId, 'pit-sharded')).toMatchObject([
      { deliveryType: 'pointInTime', pointInTimeUTCSeconds: seconds },
    ]);
  });

  it('fails for good on a Flex source, saying which endpoint Flex restores use', async ({ expect }) => {
    // Prepare
    const { groupId } = sim.seed;
    sim.state.addFlexCluster(groupId, 'pit-flex');
    sim.state.addCluster(groupId, { name: 'pit-flex-drill' });

    // Act
    const result = await runCli(
      [
        'start',
        'automated',
        '--projectId',
        groupId,
        '--clusterName',
        'pit-flex',
        '--targetProjectId',
        groupId,
        '--targetClusterName',
        'pit-flex-drill',
        '--allowTarget',
        `${groupId}/pit-flex-drill`,
        '--json',
      ],
      env,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      outcome: 'failed',
      errorCode: 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API',
      reason: expect.stringContaining(
        `Flex restores use another endpoint, POST /api/atlas/v2/groups/${groupId}/flexClusters/pit-flex/backup/restoreJobs`,
      ),
    });
  });
});
