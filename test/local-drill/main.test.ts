import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const DRILL = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs `npm start`'s script as a process under this Node (24). */
function runDrill(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DRILL, ...args],
      { env: { PATH: process.env.PATH ?? '' }, timeout: 90_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      },
    );
  });
}

interface Report {
  succeeded: boolean;
  passed: boolean;
  verdict?: string;
  heartbeatsWritten: number;
  restoreJobs: number;
  failedMessages: number;
  steps: string[];
  operation: {
    outcome: string;
    deferrals: number;
    polls: number;
    rtoSeconds: number;
    rpoSeconds: number;
    verification?: string;
    achievedRpoSeconds?: number;
    verificationChecks?: { name: string; verdict: string; reason: string }[];
  };
}

describe.concurrent('Local drill: npm start', () => {
  it('runs the default drill to success: a deferral while the snapshot finishes, one job, polls', {
    timeout: 90_000,
  }, async ({ expect }) => {
    // Act
    const result = await runDrill(['--json']);

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ succeeded: true, restoreJobs: 1, failedMessages: 0 });
    expect(report.operation.outcome).toBe('succeeded');
    expect(report.operation.deferrals).toBeGreaterThan(0);
    expect(report.operation.polls).toBeGreaterThan(0);
    // The simulator's automated restore takes 240 s; Atlas's finishedAt has whole seconds.
    expect(Math.abs(report.operation.rtoSeconds - 240)).toBeLessThanOrEqual(2);
    expect(report.steps).toContainEqual(expect.stringMatching(/^\+\d\d:\d\d deferred \(1\): SNAPSHOT_IN_PROGRESS: /));
    expect(report.steps).toContainEqual(expect.stringMatching(/^\+\d\d:\d\d submitted restore job [a-f0-9]{24}/));
    expect(report.steps).toContainEqual(expect.stringMatching(/^\+\d\d:\d\d poll 1: restore job [a-f0-9]{24} running/));
    // The outcome, then its verification (checks after it).
    expect(report.steps).toContainEqual(
      expect.stringMatching(/^\+\d\d:\d\d succeeded: restore job [a-f0-9]{24} completed \(RTO (3m 5\ds|4m 0\ds), RPO/),
    );
    // The step lines went to stderr, so stdout held the JSON alone.
    expect(result.stderr).toContain('submitted restore job');
    // Verified: the verifier opened the restored cluster, and the heartbeats the writer put on the source every
    // simulated minute prove an RPO within one interval (the snapshot holds the heartbeat of the minute before it).
    expect(report).toMatchObject({ passed: true, verdict: 'pass' });
    expect(report.heartbeatsWritten).toBeGreaterThan(3);
    expect(report.operation.verification).toBe('passed');
    expect(report.operation.achievedRpoSeconds).toBeLessThanOrEqual(60);
    expect(report.operation.verificationChecks?.map((check) => [check.name, check.verdict])).toEqual([
      ['structure', 'pass'],
      ['counts', 'pass'],
      ['heartbeat-rpo', 'pass'],
    ]);
    expect(report.steps).toContainEqual(
      expect.stringMatching(/verification passed, 3 checks, RPO proven by heartbeats/),
    );
  });

  it('fails a drill whose restore Atlas completed but left the target broken: each check says why, exit 1', {
    timeout: 90_000,
  }, async ({ expect }) => {
    // Act
    const result = await runDrill(['--scenario', 'broken-restore']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Drill +FAILED/);
    expect(result.stdout).toMatch(/Outcome +succeeded/);
    expect(result.stdout).toMatch(/Verification +FAIL/);
    expect(result.stdout).toMatch(
      /fail +collection:shop\.customers: collection shop\.customers is missing on the target/,
    );
    expect(result.stdout).toMatch(/fail +count:shop\.orders: expected about \d+ documents \(±15 %\), found \d+/);
    expect(result.stdout).toMatch(/RPO proven +NOT PROVEN/);
  });

  it('lists its options with --help, and refuses an unknown scenario with exit 2', async ({ expect }) => {
    // Act
    const help = await runDrill(['--help']);
    const wrong = await runDrill(['--scenario', 'restore-everything']);

    // Assess
    expect(help.code).toBe(0);
    for (const option of [
      '--scenario',
      'automated',
      'download',
      'pointInTime',
      'snapshot-in-progress',
      'broken-restore',
      'ephemeral',
      'ephemeral-crash',
      '--scale',
      '--json',
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^local drill: .*scenario[^\n]*\(see --help\)\n$/);
  });
});

// After the drills above, one at a time: their simulated clocks run 600 times real time, and CPU taken from one
// another would shift the timings they check.
describe('Local drill: ephemeral drill targets', () => {
  it('runs an ephemeral drill: creates its target, restores into it, deletes it, and reports cluster-hours and cost', {
    timeout: 90_000,
  }, async ({ expect }) => {
    // Act
    const result = await runDrill(['--scenario', 'ephemeral', '--scale', '600', '--json']);

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report & { ephemeral: Record<string, unknown> };
    // Verified too: the verifier opened the drill cluster before it was deleted.
    expect(report).toMatchObject({ succeeded: true, passed: true, verdict: 'pass', restoreJobs: 1 });
    expect(report.operation.outcome).toBe('succeeded');
    expect(report.ephemeral).toMatchObject({
      cluster: expect.stringMatching(/^[a-f0-9]{24}\/drill-[a-f0-9]{10}$/),
      stillExists: false,
      reaperFired: 0,
    });
    expect(report.ephemeral.clusterHours).toBeGreaterThan(0);
    expect(report.ephemeral.costUsd).toBeGreaterThan(0);
    expect(report.steps).toContainEqual(
      expect.stringMatching(/drill cluster [a-f0-9]{24}\/drill-[a-f0-9]{10} deleted after [\d.]+ cluster-hours$/),
    );
  });

  it('runs an ephemeral drill whose chain dies after the create: the reaper schedule fires and deletes the cluster', {
    timeout: 90_000,
  }, async ({ expect }) => {
    // Act
    const result = await runDrill(['--scenario', 'ephemeral-crash', '--scale', '600', '--json']);

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report & { ephemeral: Record<string, unknown> };
    expect(report.succeeded).toBe(true);
    expect(report.operation.outcome).toBe('reaped');
    expect(report.ephemeral).toMatchObject({ stillExists: false, reaperFired: 1 });
    expect(report.steps).toContainEqual(expect.stringMatching(/crash: the chain dies/));
    expect(report.steps).toContainEqual(expect.stringMatching(/reaper: the schedule sent the reap message/));
    expect(report.steps.at(-1)).toMatch(/reaped: .*the reaper deleted its target/);
  });
});
