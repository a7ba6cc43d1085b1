import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AtlasSimulator } from '../../atlas-simulator/index.ts';
import { addClusterPair, atlasEnv, runInProcess, startCli, startRealTimeSimulator } from './run-cli.ts';

/** A download restore: `jobs describe` says how to fetch it; `watch` says where to look, never printing a link. */
describe('CLI: download restores', () => {
  let sim: AtlasSimulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startRealTimeSimulator();
    env = atlasEnv(sim);
  });
  afterAll(() => sim.close());

  function addDownload() {
    const pair = addClusterPair(sim);
    const jobId = sim.state.addRestoreJob(pair.groupId, pair.source, {
      deliveryType: 'download',
      snapshotId: pair.snapshotId,
      submittedAt: sim.clock.now(),
      durationMs: 3_600_000,
    });
    return { ...pair, jobId, args: [jobId, '--projectId', pair.groupId, '--clusterName', pair.source] };
  }

  it('jobs describe says how to wait for a download that is not ready, and how to fetch one that is', async () => {
    // Prepare
    const job = addDownload();

    // Act
    const pending = await runInProcess(['jobs', 'describe', ...job.args], env);
    sim.state.completeRestoreJob(job.jobId);
    const ready = await runInProcess(['jobs', 'describe', ...job.args], env);
    const json = await runInProcess(['jobs', 'describe', ...job.args, '--json'], env);

    // Assess
    expect(pending.code).toBe(0);
    expect(pending.stdout).toContain(`wait for them with:\n  atlas-restore watch ${job.args.join(' ')}\n`);
    const { deliveryUrl, expiresAt } = JSON.parse(json.stdout) as { deliveryUrl: string[]; expiresAt: string };
    expect(deliveryUrl.length).toBeGreaterThan(0);
    expect(ready.code).toBe(0);
    expect(ready.stdout).toContain(`each link works until ${expiresAt}, for one download`);
    for (const url of deliveryUrl)
      expect(ready.stdout).toMatch(
        new RegExp(`curl -fSL -o '[^']+\\.tar\\.gz' '${url.replace(/[.?*+^$()[\]{}|\\/]/g, '\\$&')}'\n`),
      );
  });

  it('watch --interval polls at that interval and, when the download is ready, points at jobs describe', async () => {
    // Prepare
    const job = addDownload();

    // Act
    const watching = startCli(['watch', ...job.args, '--interval', '1'], env);
    await watching.stderrMatches(/^poll 1: /m);
    sim.state.completeRestoreJob(job.jobId);
    const result = await watching.result;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^poll 1: restore job [0-9a-f]{24} pending, running for \d+s; next poll in 1s$/m);
    expect(result.stderr).toContain(
      `its links and how to fetch them: atlas-restore jobs describe ${job.args.join(' ')}\n`,
    );
    expect(result.stdout + result.stderr).not.toMatch(/https?:\/\/\S*download/i);
  });
});
