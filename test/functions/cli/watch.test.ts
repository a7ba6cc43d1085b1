import { afterAll, beforeAll, describe, it } from 'vitest';
import { formatDuration } from '../../../functions/cli/progress.ts';
import { atlasIdCreatedAt } from '../../../functions/core/atlas/model.ts';
import { nextPollDelay } from '../../../functions/core/workflow/cadence.ts';
import { type AtlasSimulator, SimulatedClock, startAtlasSimulator } from '../../atlas-simulator/index.ts';
import { addClusterPair, atlasEnv, runCli, runInProcess, startCli, startRealTimeSimulator } from './run-cli.ts';

describe.concurrent('CLI: atlas-restore watch', () => {
  let sim: AtlasSimulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startRealTimeSimulator();
    env = { ...atlasEnv(sim), POLL_MIN_DELAY_SECONDS: '1', POLL_MAX_DELAY_SECONDS: '5' };
  });
  afterAll(() => sim.close());

  /** A pending restore job on a cluster of its own, submitted `agoMs` ago; it ends when the test says so. */
  function addJob(spec: { agoMs?: number; outcome?: 'completed' | 'failed'; download?: boolean } = {}) {
    const pair = addClusterPair(sim);
    const jobId = sim.state.addRestoreJob(pair.groupId, pair.source, {
      ...(spec.download
        ? { deliveryType: 'download' as const }
        : { deliveryType: 'automated' as const, targetGroupId: pair.groupId, targetClusterName: pair.target }),
      snapshotId: pair.snapshotId,
      submittedAt: sim.clock.now() - (spec.agoMs ?? 0),
      durationMs: 3_600_000,
      ...(spec.outcome ? { outcome: spec.outcome } : {}),
    });
    return { ...pair, jobId, args: [jobId, '--projectId', pair.groupId, '--clusterName', pair.source] };
  }

  /** Watches a job, and ends it in Atlas once the watch has seen it pending. */
  async function watchUntilFirstPoll(job: ReturnType<typeof addJob>, extra: readonly string[] = []) {
    const watching = startCli(['watch', ...job.args, ...extra], env);
    await watching.stderrMatches(/^poll 1: /m);
    sim.state.completeRestoreJob(job.jobId);
    return watching.result;
  }

  it('follows a job to its end at the poller’s cadence', async ({ expect }) => {
    // Prepare: 20 s (plus start-up) into the restore; the cadence is 1 s + 5 % of the elapsed time, rounded down. (The
    // line below reads whole seconds: start-up must stay under 40 s for the job to be under a minute old.)
    const job = addJob({ agoMs: 20_000 });

    // Act
    const result = await watchUntilFirstPoll(job);

    // Assess
    expect(result.code).toBe(0);
    const firstPoll = new RegExp(
      `^poll 1: restore job ${job.jobId} pending, running for (\\d+)s; next poll in (\\d+)s$`,
      'm',
    ).exec(result.stderr);
    const [runningFor, nextPollIn] = [Number(firstPoll?.[1]), Number(firstPoll?.[2])];
    expect(runningFor).toBeGreaterThanOrEqual(20);
    // The line shows whole seconds; the cadence saw the exact elapsed time, within the next second.
    const cadence = { pollMinDelaySeconds: 1, pollMaxDelaySeconds: 5 };
    expect(nextPollIn).toBeGreaterThanOrEqual(nextPollDelay(runningFor, cadence));
    expect(nextPollIn).toBeLessThanOrEqual(nextPollDelay(runningFor + 1, cadence));
    expect(result.stdout).toMatch(new RegExp(`^ID\\s+${job.jobId}$`, 'm'));
    expect(result.stdout).toMatch(/^State\s+completed$/m);
    expect(result.stdout).toMatch(/^Polls\s+2$/m);
    const polls = sim.requests.filter((request) => request.path.endsWith(`/restoreJobs/${job.jobId}`));
    expect(polls.map((request) => request.status)).toEqual([200, 200]);
    expect((polls[1]?.at ?? 0) - (polls[0]?.at ?? 0)).toBeGreaterThanOrEqual(nextPollIn * 1000);
  });

  it('prints the job as JSON, without its download links', async ({ expect }) => {
    // Prepare
    const job = addJob({ download: true });

    // Act
    const result = await watchUntilFirstPoll(job, ['--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: job.jobId,
      state: 'completed',
      deliveryType: 'download',
      polls: 2,
    });
    expect(JSON.parse(result.stdout)).not.toHaveProperty('deliveryUrl');
    const [link] = sim.state.restoreJob(job.groupId, job.source, job.jobId)?.deliveryUrl ?? [];
    expect(link).toMatch(/^https?:\/\/.+tar.gz$/);
    expect(result.stdout + result.stderr).not.toContain(link);
  });

  it('rides out a transient Atlas error', async ({ expect }) => {
    // Prepare
    const job = addJob();
    sim.faults.inject(
      { operationId: 'getBackupRestoreJob', pathIncludes: job.jobId },
      { kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 },
    );

    // Act
    const result = await watchUntilFirstPoll(job);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^State\s+completed$/m);
    const answers = sim.requests.filter((request) => request.path.endsWith(`/restoreJobs/${job.jobId}`));
    expect(answers.map((request) => request.status)).toEqual([503, 200, 200]);
  });

  it('exits 1 when the job fails', async ({ expect }) => {
    // Prepare
    const job = addJob({ outcome: 'failed' });

    // Act
    const result = await watchUntilFirstPoll(job);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^State\s+failed$/m);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`atlas-restore: restore job ${job.jobId} failed`);
  });

  it('gives up at --maxWaitMinutes, leaving the job running', async ({ expect }) => {
    // Prepare: a poll a minute or more never fits in a wait of one minute.
    const job = addJob();

    // Act
    const result = await runCli(['watch', ...job.args, '--maxWaitMinutes', '1'], {
      ...env,
      POLL_MIN_DELAY_SECONDS: '60',
      POLL_MAX_DELAY_SECONDS: '900',
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `atlas-restore: restore job ${job.jobId} still running after --maxWaitMinutes 1; it keeps running in Atlas\n`,
    );
  });

  it('exits 1 with the Atlas error on one line for a job that does not exist', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const result = await runCli(
      ['watch', '0123456789abcdef01234567', '--projectId', pair.groupId, '--clusterName', pair.source],
      env,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^atlas-restore: getBackupRestoreJob on cluster src-\d+ \(project [a-f0-9]{24}\): 404 RESTORE_JOB_NOT_FOUND: [^\n]+\n$/,
    );
  });

  it('exits 1 on one line when Atlas refuses the API key, without echoing it', async ({ expect }) => {
    // Prepare
    const job = addJob();

    // Act
    const result = await runCli(['watch', ...job.args], {
      MONGODB_ATLAS_PUBLIC_API_KEY: sim.seed.credentials.publicKey,
      MONGODB_ATLAS_PRIVATE_API_KEY: 'not-the-private-key',
      MONGODB_ATLAS_BASE_URL: sim.baseUrl,
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^atlas-restore: getBackupRestoreJob on cluster src-\d+ .*: 401 UNEXPECTED_ERROR: [^\n]+Atlas did not accept the credentials[^\n]+\n$/,
    );
    expect(result.stderr).not.toContain('not-the-private-key');
  });

  it('documents its cadence, exit statuses and examples with --help', async ({ expect }) => {
    // Act
    const result = await runCli(['watch', '--help'], {});

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Usage: atlas-restore watch JOB_ID --projectId ID --clusterName NAME');
    expect(result.stdout).toContain('Exit status: 0 the job completed');
    expect(result.stdout).toContain('Examples:\n  atlas-restore watch ');
  });

  it.for([
    [
      'a job id that is not an id',
      ['latest', '--projectId', '0123456789abcdef01234567', '--clusterName', 'prod'],
      /JOB_ID: must be 24 lowercase hex/,
    ],
    [
      'a missing cluster',
      ['0123456789abcdef01234567', '--projectId', '0123456789abcdef01234567'],
      /--clusterName: is required/,
    ],
    [
      'a max wait of zero',
      [
        '0123456789abcdef01234567',
        '--projectId',
        '0123456789abcdef01234567',
        '--clusterName',
        'p',
        '--maxWaitMinutes',
        '0',
      ],
      /--maxWaitMinutes: /,
    ],
  ] as const)('exits 2 with one line for %s', async ([, args, message], { expect }) => {
    // Act
    const result = await runInProcess(['watch', ...args], { MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:9' });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+ \(see atlas-restore [a-z ]*--help\)\n$/);
    expect(result.stderr).toMatch(message);
  });
});

/** `npm run sim -- --scale 60`: Atlas's clock runs 60 times faster than this machine's, and is ahead of it. */
describe('CLI: atlas-restore watch against a simulator at scale 60', () => {
  let sim: AtlasSimulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 60 }), rateLimit: false });
    // Atlas's clock three hours ahead of the machine's: a job it created is in this machine's future.
    sim.clock.advance(3 * 3_600_000);
    env = { ...atlasEnv(sim), POLL_MIN_DELAY_SECONDS: '1', POLL_MAX_DELAY_SECONDS: '2' };
  });
  afterAll(() => sim.close());

  it('shows the running time and the RTO on Atlas’s clock (its Date header, the job id, finishedAt)', async ({
    expect,
  }) => {
    // Prepare: a job Atlas submitted 20 simulated minutes ago
    const pair = addClusterPair(sim);
    const jobId = sim.state.addRestoreJob(pair.groupId, pair.source, {
      deliveryType: 'automated',
      targetGroupId: pair.groupId,
      targetClusterName: pair.target,
      snapshotId: pair.snapshotId,
      submittedAt: sim.clock.now() - 20 * 60_000,
      durationMs: 10 * 3_600_000,
    });

    // Act
    const watching = startCli(['watch', jobId, '--projectId', pair.groupId, '--clusterName', pair.source], env);
    await watching.stderrMatches(/^poll 1: /m);
    sim.state.completeRestoreJob(jobId);
    const result = await watching.result;

    // Assess: the machine's clock would say 0s (the job is in its future); Atlas's says 20 minutes and more
    expect(result.code).toBe(0);
    const running = /^poll 1: restore job \w+ pending, running for (\d+)m (\d+)s;/m.exec(result.stderr);
    expect(running, result.stderr).not.toBeNull();
    const runningSeconds = Number(running?.[1]) * 60 + Number(running?.[2]);
    expect(runningSeconds).toBeGreaterThanOrEqual(20 * 60);
    expect(runningSeconds).toBeLessThan(60 * 60);
    const job = sim.state.restoreJob(pair.groupId, pair.source, jobId);
    const rto = Math.round((Date.parse(job?.finishedAt ?? '') - atlasIdCreatedAt(jobId).getTime()) / 1000);
    expect(rto).toBeGreaterThanOrEqual(runningSeconds);
    expect(result.stdout).toMatch(new RegExp(`^RTO\\s+${formatDuration(rto)}$`, 'm'));
  });
});
