import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type AtlasSimulator, SimulatedClock, startAtlasSimulator } from '../../atlas-simulator/index.ts';

const CLI = fileURLToPath(new URL('../../../functions/cli/atlas-restore.ts', import.meta.url));
const HOUR_MS = 3_600_000;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a process under this Node (24), with only the environment given. */
function run(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.concurrent('CLI: atlas-restore', () => {
  let sim: AtlasSimulator;
  let serviceAccount: Record<string, string>;
  let apiKey: Record<string, string>;
  let cluster: string[];
  let jobIds: { automated: string; download: string };

  beforeAll(async () => {
    sim = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }), rateLimit: false });
    const { credentials, groupId, sourceClusterName, targetClusterName, completedSnapshotId } = sim.seed;
    serviceAccount = {
      MONGODB_ATLAS_CLIENT_ID: credentials.clientId,
      MONGODB_ATLAS_CLIENT_SECRET: credentials.clientSecret,
      MONGODB_ATLAS_BASE_URL: sim.baseUrl,
    };
    apiKey = {
      MONGODB_ATLAS_PUBLIC_API_KEY: credentials.publicKey,
      MONGODB_ATLAS_PRIVATE_API_KEY: credentials.privateKey,
      MONGODB_ATLAS_BASE_URL: sim.baseUrl,
    };
    cluster = ['--projectId', groupId, '--clusterName', sourceClusterName];
    const now = sim.clock.now();
    const automated = sim.state.addRestoreJob(groupId, sourceClusterName, {
      deliveryType: 'automated',
      snapshotId: completedSnapshotId,
      targetGroupId: groupId,
      targetClusterName,
      submittedAt: now - 2 * HOUR_MS,
      durationMs: HOUR_MS,
    });
    const download = sim.state.addRestoreJob(groupId, sourceClusterName, {
      deliveryType: 'download',
      snapshotId: completedSnapshotId,
      submittedAt: now - HOUR_MS / 2,
      durationMs: 10 * HOUR_MS,
    });
    jobIds = { automated, download };
  });
  afterAll(() => sim.close());

  it('lists snapshots as JSON on stdout, newest first', async ({ expect }) => {
    // Act
    const result = await run(['snapshots', 'list', ...cluster, '--json'], serviceAccount);

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const listed = JSON.parse(result.stdout) as { id: string; createdAt: string }[];
    const expected = sim.state
      .snapshots(sim.seed.groupId, sim.seed.sourceClusterName)
      .sort((a, b) => Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? ''))
      .map((snapshot) => snapshot.id);
    expect(listed.map((snapshot) => snapshot.id)).toEqual(expected);
    expect(listed[0]?.id).toBe(sim.seed.completedSnapshotId);
  });

  it('lists snapshots as a table', async ({ expect }) => {
    // Act
    const result = await run(['snapshots', 'list', ...cluster], apiKey);

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+TYPE\s+FREQUENCY\s+CREATED\s+SIZE$/);
    expect(lines).toHaveLength(1 + sim.state.snapshots(sim.seed.groupId, sim.seed.sourceClusterName).length);
    expect(lines[1]).toMatch(
      new RegExp(`^${sim.seed.completedSnapshotId}\\s+completed\\s+scheduled\\s+\\w+\\s+\\S+Z\\s+[\\d.]+ \\w?i?B$`),
    );
  });

  it('lists restore jobs with their derived state, newest first', async ({ expect }) => {
    // Act
    const json = await run(['jobs', 'list', ...cluster, '--json'], serviceAccount);
    const table = await run(['jobs', 'list', ...cluster], serviceAccount);

    // Assess
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const jobs = JSON.parse(json.stdout) as { id: string; state: string; submittedAt: string }[];
    expect(jobs.map((job) => [job.id, job.state])).toEqual([
      [jobIds.download, 'pending'],
      [jobIds.automated, 'completed'],
    ]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+DELIVERY\s+SNAPSHOT\s+TARGET\s+SUBMITTED\s+FINISHED$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${jobIds.download}\\s+pending\\s+download\\s+${sim.seed.completedSnapshotId}\\s+-`),
    );
    expect(lines[2]).toContain(`${sim.seed.groupId}/${sim.seed.targetClusterName}`);
  });

  it('describes one restore job', async ({ expect }) => {
    // Act
    const table = await run(['jobs', 'describe', jobIds.automated, ...cluster], serviceAccount);
    const json = await run(['jobs', 'describe', jobIds.automated, ...cluster, '--json'], apiKey);

    // Assess
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+${jobIds.automated}$`, 'm'));
    expect(table.stdout).toMatch(/^State\s+completed$/m);
    expect(table.stdout).toMatch(new RegExp(`^Target\\s+${sim.seed.groupId}/${sim.seed.targetClusterName}$`, 'm'));
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: jobIds.automated,
      state: 'completed',
      deliveryType: 'automated',
    });
  });

  it('prints usage with --help and exits 0', async ({ expect }) => {
    // Act
    const result = await run(['--help'], {});

    // Assess
    expect(result.code).toBe(0);
    for (const command of ['snapshots list', 'jobs list', 'jobs describe JOB_ID']) {
      expect(result.stdout).toContain(`atlas-restore ${command}`);
    }
  });

  it.for([
    [
      'an unknown flag',
      ['jobs', 'list', '--projectId', '0123456789abcdef01234567', '--clusterName', 'prod', '--force'],
      /unknown flag --force/,
    ],
    [
      'a bad job id',
      ['jobs', 'describe', 'latest', '--projectId', '0123456789abcdef01234567', '--clusterName', 'prod'],
      /JOB_ID: must be 24 lowercase hex/,
    ],
  ] as const)('exits 2 with one line on stderr for %s, before calling Atlas', async ([, args, message], { expect }) => {
    // Prepare: nothing listens at this base URL, so a call to Atlas would exit 1, not 2.
    const env = { ...serviceAccount, MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:9' };

    // Act
    const result = await run(args, env);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+\n$/);
    expect(result.stderr).toMatch(message);
  });

  it('exits 1 with the Atlas error on one line', async ({ expect }) => {
    // Act
    const result = await run(['jobs', 'describe', '0123456789abcdef01234567', ...cluster], serviceAccount);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^atlas-restore: getBackupRestoreJob on cluster orders-prod \(project [a-f0-9]{24}\): 404 RESTORE_JOB_NOT_FOUND: [^\n]+\n$/,
    );
  });

  it('exits 1 with one line when Atlas refuses the credentials, without echoing them', async ({ expect }) => {
    // Act
    const wrongSecret = await run(['jobs', 'list', ...cluster], {
      ...serviceAccount,
      MONGODB_ATLAS_CLIENT_SECRET: 'mdb_sa_sk_wrong',
    });
    const wrongKey = await run(['jobs', 'list', ...cluster], {
      ...apiKey,
      MONGODB_ATLAS_PRIVATE_API_KEY: 'wrong-private-key',
    });

    // Assess
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.stderr).toMatch(
      /^atlas-restore: listBackupRestoreJobs on cluster orders-prod .*: 401 invalid_client: [^\n]+\n$/,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(
      /^atlas-restore: listBackupRestoreJobs on cluster orders-prod .*: 401 UNEXPECTED_ERROR: [^\n]+Atlas did not accept the credentials[^\n]+\n$/,
    );
    expect(`${wrongSecret.stderr}${wrongKey.stderr}`).not.toMatch(/mdb_sa_sk_wrong|wrong-private-key/);
  });

  it('exits 1 with one line when no credentials are set', async ({ expect }) => {
    // Act
    const result = await run(['jobs', 'list', ...cluster], { MONGODB_ATLAS_BASE_URL: sim.baseUrl });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^atlas-restore: .*set MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET[^\n]+\n$/,
    );
  });
});
