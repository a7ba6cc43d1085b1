import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { AtlasSimulator } from '../../atlas-simulator/index.ts';
import { addClusterPair, atlasEnv, runCli, startCli, startRealTimeSimulator } from './run-cli.ts';

/** The workflow's cadence from its own variables: a poll a second, so a 1.5 s restore ends in a few seconds. */
const FAST_CADENCE = { POLL_MIN_DELAY_SECONDS: '1', POLL_MAX_DELAY_SECONDS: '2' };

describe.concurrent('CLI: atlas-restore start', () => {
  let sim: AtlasSimulator;
  let env: Record<string, string>;

  // Each run keeps its operation in the ledger file under the state directory: a directory of the tests' own.
  const state = mkdtempSync(join(tmpdir(), 'atlas-restore-start-'));

  beforeAll(async () => {
    sim = await startRealTimeSimulator();
    env = { ...atlasEnv(sim), ...FAST_CADENCE, XDG_STATE_HOME: state };
  });
  afterAll(async () => {
    await sim.close();
    rmSync(state, { recursive: true, force: true });
  });

  /** `automated` flags from a source to a target, with the target allowed. */
  function automated(pair: ReturnType<typeof addClusterPair>): string[] {
    return [
      'start',
      'automated',
      '--projectId',
      pair.groupId,
      '--clusterName',
      pair.source,
      '--targetProjectId',
      pair.groupId,
      '--targetClusterName',
      pair.target,
      '--allowTarget',
      `${pair.groupId}/${pair.target}`,
    ];
  }

  const posts = (cluster: string) =>
    sim.requests.filter(
      (request) => request.operationId === 'createBackupRestoreJob' && request.path.includes(`/clusters/${cluster}/`),
    );

  it('runs an automated restore to its outcome: steps on stderr, the outcome on stdout', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const result = await runCli(automated(pair), env);

    // Assess
    expect(result.code).toBe(0);
    const [job, ...others] = sim.state.restoreJobs(pair.groupId, pair.source);
    expect(others).toHaveLength(0);
    expect(job).toMatchObject({
      deliveryType: 'automated',
      snapshotId: pair.snapshotId,
      targetClusterName: pair.target,
    });
    expect(result.stdout).toMatch(/^Outcome\s+succeeded$/m);
    expect(result.stdout).toMatch(new RegExp(`^Restore job\\s+${job?.id}$`, 'm'));
    expect(result.stdout).toMatch(/^RTO\s+\ds$/m);
    expect(result.stderr).toMatch(
      /^\+00:0\d accepted: automated restore of [a-f0-9]{24}\/src-\d+ \(snapshot latest\)/m,
    );
    expect(result.stderr).toContain(`snapshot check: snapshot ${pair.snapshotId} taken at`);
    expect(result.stderr).toContain(`submitted restore job ${job?.id}`);
    expect(result.stderr).toMatch(/^\+00:0\d succeeded: restore job [a-f0-9]{24} completed \(RTO \ds, RPO 1h 00m\)$/m);
  });

  it('prints the outcome record as JSON with --json', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const result = await runCli(
      ['start', 'download', '--projectId', pair.groupId, '--clusterName', pair.source, '--json', '--requestId', 'dl-1'],
      env,
    );

    // Assess
    expect(result.code).toBe(0);
    const record = JSON.parse(result.stdout);
    const [job] = sim.state.restoreJobs(pair.groupId, pair.source);
    expect(record).toMatchObject({
      outcome: 'succeeded',
      state: 'succeeded',
      operationId: 'dl-1',
      deliveryType: 'download',
      source: `${pair.groupId}/${pair.source}`,
      snapshotId: pair.snapshotId,
      restoreJobId: job?.id,
      deferrals: 0,
    });
    expect(record.polls).toBeGreaterThan(0);
    expect(record.rpoSeconds).toBeGreaterThanOrEqual(3600);
    // A download link is a credential: never printed by start.
    expect(result.stdout + result.stderr).not.toMatch(/https?:\/\/\S*download/i);
  });

  it('waits while a snapshot of the source is being taken, then restores the newest', async ({ expect }) => {
    // Prepare: an on-demand snapshot that runs until the CLI has deferred once (however long its process takes to start).
    const pair = addClusterPair(sim);
    const onDemand = sim.state.addSnapshot(pair.groupId, pair.source, {
      snapshotType: 'onDemand',
      queuedMs: 1_000,
      inProgressMs: 3_600_000,
    });

    // Act
    const cli = startCli(automated(pair), env);
    await cli.stderrMatches(/deferred \(1\)/);
    sim.state.finishSnapshotNow(onDemand);
    const result = await cli.result;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`deferred \\(1\\): SNAPSHOT_IN_PROGRESS: snapshot ${onDemand} of the source is (queued|inProgress)`),
    );
    expect(sim.state.restoreJobs(pair.groupId, pair.source).map((job) => job.snapshotId)).toEqual([onDemand]);
    expect(posts(pair.source)).toHaveLength(1);
  });

  it('defers when Atlas answers that a restore is already running, then submits once', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);
    sim.faults.inject(
      { operationId: 'createBackupRestoreJob', pathIncludes: `/clusters/${pair.source}/` },
      { kind: 'status', status: 409, errorCode: 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS' },
    );

    // Act
    const result = await runCli([...automated(pair), '--json'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('deferred (1): ATLAS_CLUSTER_RESTORE_IN_PROGRESS');
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'succeeded', deferrals: 1 });
    expect(posts(pair.source).map((request) => request.status)).toEqual([409, 200]);
    expect(sim.state.restoreJobs(pair.groupId, pair.source)).toHaveLength(1);
  });

  it('fails with the Atlas error code when Atlas refuses the restore for good', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);
    sim.faults.inject(
      { operationId: 'createBackupRestoreJob', pathIncludes: `/clusters/${pair.source}/` },
      { kind: 'status', status: 403, errorCode: 'CANNOT_RESTORE_TO_TARGET' },
    );

    // Act
    const result = await runCli(automated(pair), env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Outcome\s+failed$/m);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^atlas-restore: restore failed: createBackupRestoreJob on cluster src-\d+ .*403 CANNOT_RESTORE_TO_TARGET.*\[CANNOT_RESTORE_TO_TARGET\] \(operation cli-[^)]+\)$/,
    );
    expect(sim.state.restoreJobs(pair.groupId, pair.source)).toHaveLength(0);
  });

  it('refuses a target that is not allowed, before calling Atlas', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);
    const args = automated(pair).slice(0, -2);

    // Act
    const result = await runCli(args, env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Outcome\s+refused$/m);
    expect(result.stdout).toMatch(/^Error code\s+TARGET_NOT_ALLOWED$/m);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^atlas-restore: restore refused: target [a-f0-9]{24}\/dst-\d+ is not in ALLOWED_TARGETS \[TARGET_NOT_ALLOWED\] .*--allowTarget PROJECT_ID\/CLUSTER_NAME/,
    );
    expect(sim.requests.some((request) => request.path.includes(`/clusters/${pair.source}`))).toBe(false);
  });

  it('takes the allow-list from ALLOWED_TARGETS too', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const result = await runCli([...automated(pair).slice(0, -2), '--dry-run'], {
      ...env,
      ALLOWED_TARGETS: `0123456789abcdef01234567/other, ${pair.groupId}/${pair.target}`,
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Outcome\s+dry run$/m);
  });

  it('restores a cluster onto itself only with --allowSourceOverwrite', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);
    const ontoSource = [
      'start',
      'automated',
      '--projectId',
      pair.groupId,
      '--clusterName',
      pair.source,
      '--targetProjectId',
      pair.groupId,
      '--targetClusterName',
      pair.source,
      '--allowTarget',
      `${pair.groupId}/${pair.source}`,
      '--dry-run',
    ];

    // Act
    const refused = await runCli(ontoSource, env);
    const allowed = await runCli([...ontoSource, '--allowSourceOverwrite'], env);

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[SOURCE_OVERWRITE_NOT_ALLOWED]');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(
      /^Reason\s+would restore snapshot [a-f0-9]{24} .* onto [a-f0-9]{24}\/src-\d+ \(overwriting it\)$/m,
    );
  });

  it('says what it would do with --dry-run, and submits nothing', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const result = await runCli([...automated(pair), '--dry-run', '--json'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      outcome: 'dryRun',
      dryRun: true,
      snapshotId: pair.snapshotId,
      reason: expect.stringContaining(`would restore snapshot ${pair.snapshotId}`),
    });
    expect(posts(pair.source)).toHaveLength(0);
  });

  it('returns once the job is submitted with --no-watch, naming the job to watch', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const table = await runCli([...automated(pair), '--no-watch'], env);

    // Assess
    expect(table.code).toBe(0);
    const [job] = sim.state.restoreJobs(pair.groupId, pair.source);
    expect(table.stdout).toMatch(/^Outcome\s+submitted$/m);
    expect(table.stdout).toContain(
      `Follow it with: atlas-restore watch ${job?.id} --projectId ${pair.groupId} --clusterName ${pair.source}`,
    );
    expect(table.stderr).not.toContain('poll 1');
  });

  it('fails on one line when Atlas refuses the credentials, without echoing them', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const result = await runCli(automated(pair), { ...env, MONGODB_ATLAS_CLIENT_SECRET: 'mdb_sa_sk_not-the-secret' });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^atlas-restore: restore failed: getCluster on cluster src-\d+ .*: 401 invalid_client/,
    );
    expect(result.stdout + result.stderr).not.toContain('mdb_sa_sk_not-the-secret');
  });

  it('lists its flags, exit statuses and examples with --help', async ({ expect }) => {
    // Act
    const result = await runCli(['start', '--help'], {});

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: atlas-restore start automated\|download\|pointInTime --projectId ID/);
    expect(result.stdout).toContain('Exit status: 0 succeeded');
    expect(result.stdout).toContain('Examples:\n  atlas-restore start automated');
  });

  it('exits 2 with one line for a request the contract refuses, before calling Atlas', async ({ expect }) => {
    // Prepare: nothing listens at this base URL, so a command that reached Atlas would fail differently.
    const args = ['start', 'automated', '--projectId', '0123456789abcdef01234567', '--clusterName', 'prod'];

    // Act
    const result = await runCli(args, { ...env, MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:9' });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'atlas-restore: --targetProjectId: required for deliveryType automated; --targetClusterName: required for deliveryType automated (see atlas-restore start --help)\n',
    );
  });

  it('exits 2 naming the variable when the environment is wrong', async ({ expect }) => {
    // Act
    const result = await runCli(
      ['start', 'download', '--projectId', '0123456789abcdef01234567', '--clusterName', 'prod'],
      { ...env, ALLOWED_TARGETS: 'prod', POLL_MIN_DELAY_SECONDS: 'soon' },
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^atlas-restore: ALLOWED_TARGETS: [^;]+; POLL_MIN_DELAY_SECONDS: [^\n]+\n$/);
  });
});
