import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { AtlasSimulator } from '../../atlas-simulator/index.ts';
import { addClusterPair, atlasEnv, runCli, startRealTimeSimulator } from './run-cli.ts';

const FAST_CADENCE = { POLL_MIN_DELAY_SECONDS: '1', POLL_MAX_DELAY_SECONDS: '2' };

/** `atlas-restore start` keeps its operations in a ledger file, so a requestId means one operation across runs. */
// Two CLI processes a test, one after the other: more time than a single run on a busy machine.
describe.concurrent('CLI: atlas-restore start, with its ledger file', { timeout: 90_000 }, () => {
  let sim: AtlasSimulator;
  let env: Record<string, string>;
  const state = mkdtempSync(join(tmpdir(), 'atlas-restore-state-'));
  let ledgers = 0;

  beforeAll(async () => {
    sim = await startRealTimeSimulator();
    env = { ...atlasEnv(sim), ...FAST_CADENCE, XDG_STATE_HOME: state };
  });
  afterAll(async () => {
    await sim.close();
    rmSync(state, { recursive: true, force: true, maxRetries: 5 });
  });

  const ledgerPath = () => join(state, `ledger-${++ledgers}.db`);

  function automated(pair: ReturnType<typeof addClusterPair>, ...extra: string[]): string[] {
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
      ...extra,
    ];
  }

  const posts = (cluster: string) =>
    sim.requests.filter(
      (request) => request.operationId === 'createBackupRestoreJob' && request.path.includes(`/clusters/${cluster}/`),
    );

  it('answers a second run with the same requestId from the ledger: the outcome of the first, nothing submitted', async ({
    expect,
  }) => {
    // Prepare
    const pair = addClusterPair(sim);
    const args = automated(pair, '--requestId', 'by-hand-1', '--ledger', ledgerPath(), '--json');

    // Act
    const first = await runCli(args, env);
    const second = await runCli(args, env);

    // Assess
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(posts(pair.source)).toHaveLength(1);
    const [job] = sim.state.restoreJobs(pair.groupId, pair.source);
    expect(JSON.parse(second.stdout)).toMatchObject({
      operationId: 'by-hand-1',
      outcome: 'succeeded',
      restoreJobId: job?.id,
    });
    expect(second.stderr).toContain('operation by-hand-1 already finished');
  });

  it('resumes an operation a first run left under way, following its job instead of submitting another', async ({
    expect,
  }) => {
    // Prepare: the first run returns as soon as the job is submitted (as after Ctrl-C).
    const pair = addClusterPair(sim);
    const ledger = ledgerPath();
    const submitted = await runCli(automated(pair, '--requestId', 'by-hand-2', '--ledger', ledger, '--no-watch'), env);

    // Act
    const resumed = await runCli(automated(pair, '--requestId', 'by-hand-2', '--ledger', ledger, '--json'), env);

    // Assess
    expect(submitted.code).toBe(0);
    expect(resumed.code).toBe(0);
    expect(posts(pair.source)).toHaveLength(1);
    const [job, ...others] = sim.state.restoreJobs(pair.groupId, pair.source);
    expect(others).toEqual([]);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ outcome: 'succeeded', restoreJobId: job?.id });
    expect(resumed.stderr).toContain('operation by-hand-2 is under way');
  });

  it('refuses a different request under a requestId already used, submitting nothing', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);
    const other = addClusterPair(sim);
    const ledger = ledgerPath();
    await runCli(automated(pair, '--requestId', 'by-hand-3', '--ledger', ledger, '--dry-run'), env);

    // Act
    const result = await runCli(automated(other, '--requestId', 'by-hand-3', '--ledger', ledger), env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/requestId by-hand-3 was already used for a different request/);
    expect(posts(other.source)).toHaveLength(0);
  });

  it('keeps the ledger under XDG_STATE_HOME by default, where history reads it', async ({ expect }) => {
    // Prepare
    const pair = addClusterPair(sim);

    // Act
    const started = await runCli(automated(pair, '--requestId', 'by-hand-4', '--dry-run'), env);
    const history = await runCli(['history', '--projectId', pair.groupId, '--clusterName', pair.source, '--json'], env);

    // Assess
    expect(started.code).toBe(0);
    expect(existsSync(join(state, 'atlas-restore', 'ledger.db'))).toBe(true);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject([{ operationId: 'by-hand-4', outcome: 'dryRun' }]);
  });
});
