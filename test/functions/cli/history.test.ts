import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { HISTORY_COLUMNS } from '../../../functions/cli/commands/history.ts';
import { SqliteLedger } from '../../../functions/cli/ledger/sqlite-ledger.ts';
import { workflowConfig } from '../../../functions/core/config.ts';
import type { RestoreRequest } from '../../../functions/core/contract/restore-request.ts';
import { createDynamoDbLedger } from '../../../functions/core/ledger/dynamodb-ledger.ts';
import type { Operation } from '../../../functions/core/workflow/operation.ts';
import { newOperation } from '../../../functions/core/workflow/service.ts';
import { createLedgerTable, type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import { runCli, runInProcess } from './run-cli.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const OTHER_GROUP = '6a0b1c2d3e4f5a6b7c8d9e0f';
const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 28, 6, 0, 0);
const JOB = '6940a1b2c3d4e5f6a7b8c9d0';
const SNAPSHOT = '693f9a8b7c6d5e4f3a2b1c0d';

/** An operation as the workflow stores it, requested `daysAgo` before NOW, with what it recorded since. */
function operation(
  id: string,
  daysAgo: number,
  request: Omit<RestoreRequest, 'requestId'>,
  recorded: Partial<Operation>,
) {
  const requestedAt = NOW - daysAgo * DAY_MS;
  return { ...newOperation({ ...request, requestId: id }, requestedAt, workflowConfig(), `token-${id}`), ...recorded };
}

const drill = {
  groupId: GROUP,
  clusterName: 'prod',
  deliveryType: 'automated',
  targetGroupId: GROUP,
  targetClusterName: 'dr-drill',
} as const;

/** Newest first: a download under way, a failed drill, a drill that succeeded, a refusal in another project. */
const OPERATIONS = [
  operation(
    'download-1',
    1,
    { groupId: GROUP, clusterName: 'ledger', deliveryType: 'download' },
    { step: 3, restoreJobId: JOB },
  ),
  operation('drill-2026-11-26', 2, drill, {
    outcome: 'failed',
    errorCode: 'RESTORE_JOB_FAILED',
    outcomeReason: `restore job ${JOB} failed, see "Atlas", activity feed`,
    restoreJobId: JOB,
    snapshotId: SNAPSHOT,
    finishedAt: NOW - 2 * DAY_MS + 600_000,
  }),
  operation('drill-2026-11-25', 3, drill, {
    outcome: 'succeeded',
    outcomeReason: `restore job ${JOB} completed`,
    snapshotId: SNAPSHOT,
    snapshotAt: NOW - 3 * DAY_MS - 3 * 3_600_000,
    restoreJobId: JOB,
    submittedAt: NOW - 3 * DAY_MS + 60_000,
    finishedAt: NOW - 3 * DAY_MS + 300_000,
    rtoSeconds: 240,
    rpoSeconds: 10_800,
    polls: 4,
    atlasCalls: 9,
    deferAttempts: 1,
  }),
  operation(
    'other-project',
    4,
    { ...drill, groupId: OTHER_GROUP, targetGroupId: OTHER_GROUP },
    {
      outcome: 'refused',
      errorCode: 'TARGET_NOT_ALLOWED',
      outcomeReason: `target ${OTHER_GROUP}/dr-drill is not in ALLOWED_TARGETS`,
    },
  ),
];

describe.concurrent('CLI: atlas-restore history', () => {
  let aws: LocalAws;
  let env: Record<string, string>;

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'history' });
    const ledger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });
    for (const stored of OPERATIONS) await ledger.create(stored);
    env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
      LEDGER_TABLE_NAME: aws.tableName,
    };
  });
  const directory = mkdtempSync(join(tmpdir(), 'atlas-restore-history-'));
  afterAll(async () => {
    await aws.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  const operationIds = (stdout: string) =>
    (JSON.parse(stdout) as { operationId: string }[]).map((record) => record.operationId);

  it('lists operations newest first, with outcome, RTO and RPO', async ({ expect }) => {
    // Act
    const result = await runCli(['history'], env);

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^REQUESTED\s+OPERATION\s+DELIVERY\s+SOURCE\s+TARGET\s+SNAPSHOT TIME\s+OUTCOME\s+RTO\s+RPO\s+VERIFIED$/,
    );
    expect(rows.map((row) => row.split(/\s+/)[1])).toEqual([
      'download-1',
      'drill-2026-11-26',
      'drill-2026-11-25',
      'other-project',
    ]);
    expect(rows[0]).toMatch(/download-1\s+download\s+\S+\/ledger\s+-\s+-\s+running\s+-\s+-\s+-$/);
    expect(rows[2]).toMatch(
      /^2026-11-25T06:00:00\.000Z\s+drill-2026-11-25\s+automated\s+\S+\/prod\s+\S+\/dr-drill\s+2026-11-25T03:00:00\.000Z\s+succeeded\s+4m 00s\s+3h 00m\s+-$/,
    );
  });

  it('lists one source cluster through the byCluster index', async ({ expect }) => {
    // Act
    const result = await runCli(['history', '--projectId', GROUP, '--clusterName', 'prod', '--json'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(operationIds(result.stdout)).toEqual(['drill-2026-11-26', 'drill-2026-11-25']);
  });

  it('filters on the project alone or on the cluster name alone', async ({ expect }) => {
    // Act
    const byProject = await runCli(['history', '--projectId', GROUP, '--json'], env);
    const byName = await runCli(['history', '--clusterName', 'prod', '--json', '--limit', '10'], env);

    // Assess
    expect(operationIds(byProject.stdout)).toEqual(['download-1', 'drill-2026-11-26', 'drill-2026-11-25']);
    expect(operationIds(byName.stdout)).toEqual(['drill-2026-11-26', 'drill-2026-11-25', 'other-project']);
  });

  it('prints the outcome records as JSON for machines', async ({ expect }) => {
    // Act
    const result = await runCli(['history', '--limit', '3', '--json', '--tableName', aws.tableName], env);

    // Assess
    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout);
    expect(records).toHaveLength(3);
    expect(records[2]).toEqual({
      state: 'succeeded',
      outcome: 'succeeded',
      reason: `restore job ${JOB} completed`,
      operationId: 'drill-2026-11-25',
      deliveryType: 'automated',
      dryRun: false,
      source: `${GROUP}/prod`,
      target: `${GROUP}/dr-drill`,
      snapshotId: SNAPSHOT,
      snapshotAt: '2026-11-25T03:00:00.000Z',
      restoreJobId: JOB,
      requestedAt: '2026-11-25T06:00:00.000Z',
      submittedAt: '2026-11-25T06:01:00.000Z',
      finishedAt: '2026-11-25T06:05:00.000Z',
      rtoSeconds: 240,
      rpoSeconds: 10_800,
      deferrals: 1,
      polls: 4,
      atlasCalls: 9,
    });
  });

  it('writes CSV for auditors, quoting what needs it', async ({ expect }) => {
    // Act
    const result = await runCli(['history', '--csv'], env);

    // Assess
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\r\n');
    expect(lines[0]).toBe(HISTORY_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + OPERATIONS.length + 1);
    expect(lines.at(-1)).toBe('');
    expect(lines[2]).toContain(`,failed,RESTORE_JOB_FAILED,"restore job ${JOB} failed, see ""Atlas"", activity feed",`);
    expect(lines[3]?.split(',')).toEqual([
      '2026-11-25T06:00:00.000Z',
      'drill-2026-11-25',
      'succeeded',
      'succeeded',
      '',
      `restore job ${JOB} completed`,
      'automated',
      'false',
      `${GROUP}/prod`,
      `${GROUP}/dr-drill`,
      SNAPSHOT,
      '2026-11-25T03:00:00.000Z',
      JOB,
      '2026-11-25T06:01:00.000Z',
      '2026-11-25T06:05:00.000Z',
      '240',
      '10800',
      '',
      '',
      '1',
      '4',
      '9',
      '',
      '',
      '',
    ]);
  });

  it('says so when the ledger holds nothing', async ({ expect }) => {
    // Prepare
    await createLedgerTable(aws.dynamodb, 'history-empty');

    // Act
    const result = await runCli(['history', '--tableName', 'history-empty'], env);

    // Assess
    expect(result).toEqual({ code: 0, stdout: 'No restore operations recorded.\n', stderr: '' });
  });

  it('exits 1 on one line when the table does not exist', async ({ expect }) => {
    // Act
    const result = await runCli(['history', '--tableName', 'no-such-table'], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: DynamoDB table no-such-table was not found in us-east-1: [^\n]+\n$/);
  });

  it('reads the ledger file of restores started by hand, as it reads the table', async ({ expect }) => {
    // Prepare
    const path = join(directory, 'by-hand', 'ledger.db');
    const local = new SqliteLedger(path);
    for (const stored of OPERATIONS) await local.create(stored);
    local.close();
    const { LEDGER_TABLE_NAME: _table, ...withoutTable } = env;

    // Act
    const fromFile = await runCli(['history', '--ledger', path, '--json'], withoutTable);
    const fromDefault = await runCli(['history', '--json'], {
      ...withoutTable,
      XDG_STATE_HOME: join(directory, 'state'),
    });
    const fromTable = await runCli(['history', '--json'], env);

    // Assess
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual(JSON.parse(fromTable.stdout));
    expect(fromDefault).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(existsSync(join(directory, 'state'))).toBe(false);
  });

  it("shows a verified drill's verification and proven RPO, and each check with --checks", async ({ expect }) => {
    // Prepare
    const path = join(directory, 'verified', 'ledger.db');
    const local = new SqliteLedger(path);
    const checks = [
      { name: 'heartbeat-rpo', verdict: 'pass' as const, reason: 'newest heartbeat 42 s before the snapshot' },
      { name: 'collection:shop.orders', verdict: 'fail' as const, reason: 'missing on the target' },
    ];
    const verified = (id: string, daysAgo: number, verdict: 'pass' | 'fail', list: typeof checks) =>
      operation(
        id,
        daysAgo,
        { ...drill, verify: {} },
        {
          outcome: 'succeeded',
          outcomeReason: `restore job ${JOB} completed`,
          restoreJobId: JOB,
          verification: {
            status: 'recorded',
            requestedAt: NOW,
            result: { verdict, checks: list, achievedRpoSeconds: 42, recordedAt: NOW },
          },
        },
      );
    await local.create(verified('verified-ok', 1, 'pass', checks.slice(0, 1)));
    await local.create(verified('verified-broken', 2, 'fail', checks));
    local.close();
    const { LEDGER_TABLE_NAME: _table, ...withoutTable } = env;

    // Act
    const table = await runCli(['history', '--ledger', path, '--checks'], withoutTable);
    const csv = await runCli(['history', '--ledger', path, '--csv'], withoutTable);

    // Assess
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/verified-ok .*succeeded\s+-\s+-\s+passed \(RPO 42s\)$/);
    expect(lines[2]).toMatch(/verified-broken .*succeeded\s+-\s+-\s+failed \(RPO 42s\)$/);
    expect(table.stdout).toContain(
      [
        'verified-broken: verification failed: collection:shop.orders (missing on the target)',
        '  pass    heartbeat-rpo: newest heartbeat 42 s before the snapshot',
        '  fail    collection:shop.orders: missing on the target',
      ].join('\n'),
    );
    const header = csv.stdout.split('\r\n')[0]?.split(',') ?? [];
    const row = csv.stdout.split('\r\n')[2]?.split(',') ?? [];
    expect(row[header.indexOf('verification')]).toBe('failed');
    expect(row[header.indexOf('achievedRpoSeconds')]).toBe('42');
  });

  it('documents RTO, RPO, exit statuses and examples with --help', async ({ expect }) => {
    // Act
    const result = await runInProcess(['history', '--help']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('RTO');
    expect(result.stdout).toContain('Exit status: 0 listed');
    expect(result.stdout).toContain('Examples:\n  atlas-restore history');
  });

  it.for([
    [
      'both a ledger file and a table',
      ['--ledger', 'l.db', '--tableName', 'ledger'],
      {},
      /--ledger: not with --tableName/,
    ],
    ['a bad table name', ['--tableName', 'a b'], {}, /--tableName: must be a DynamoDB table name/],
    ['a bad LEDGER_TABLE_NAME', [], { LEDGER_TABLE_NAME: 'x' }, /LEDGER_TABLE_NAME: must be a DynamoDB table name/],
    ['both --json and --csv', ['--tableName', 'ledger', '--json', '--csv'], {}, /--csv: not with --json/],
    ['a limit of zero', ['--tableName', 'ledger', '--limit', '0'], {}, /--limit: /],
    ['a bad project id', ['--tableName', 'ledger', '--projectId', 'prod'], {}, /--projectId: must be 24 lowercase hex/],
  ] as const)('exits 2 with one line for %s, before calling DynamoDB', async ([, args, extra, message], { expect }) => {
    // Act
    const result = await runInProcess(['history', ...args], {
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      ...extra,
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+ \(see atlas-restore [a-z ]*--help\)\n$/);
    expect(result.stderr).toMatch(message);
  });
});

// Its own table, after the concurrent tests above: three more spawned CLIs beside them cost each seconds on a loaded
// machine.
describe('CLI: atlas-restore history, ephemeral drill targets', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'history-ephemeral' });
  });
  afterAll(async () => {
    await aws.stop();
  });

  it('shows an ephemeral drill’s cluster, cluster-hours and cost estimate as the workflow recorded them', {
    timeout: 90_000,
  }, async ({ expect }) => {
    // Prepare
    const DRILL_PROJECT = '6a1b2c3d4e5f6a7b8c9d0e1f';
    const ledger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });
    const { targetGroupId: _group, targetClusterName: _name, ...source } = drill;
    await ledger.create(
      operation(
        'ephemeral-2026-11-27',
        1,
        { ...source, ephemeralTarget: { groupId: DRILL_PROJECT } },
        {
          outcome: 'succeeded',
          outcomeReason: `restore job ${JOB} completed`,
          ephemeralCluster: {
            groupId: DRILL_PROJECT,
            clusterName: 'drill-0a1b2c3d4e',
            createdByOperation: 'ephemeral-2026-11-27',
            claimToken: 'claim-1',
            claimedAt: NOW - DAY_MS,
            instanceSize: 'M30',
            hourlyPriceUsd: 0.54,
            clusterHours: 1.25,
            estimatedCostUsd: 0.675,
          },
        },
      ),
    );
    await ledger.create(OPERATIONS[2] as Operation);
    const ephemeralEnv = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
      LEDGER_TABLE_NAME: aws.tableName,
    };

    // Act
    const listed = await runCli(['history'], ephemeralEnv);
    const json = await runCli(['history', '--json'], ephemeralEnv);
    const csv = await runCli(['history', '--csv'], ephemeralEnv);

    // Assess
    const [header, ephemeralRow, fixedRow] = listed.stdout.trimEnd().split('\n');
    expect(listed.stderr).toBe('');
    expect(header).toMatch(/\sRTO\s+RPO\s+VERIFIED\s+CLUSTER-HOURS\s+COST$/);
    expect(ephemeralRow).toMatch(
      new RegExp(
        `ephemeral-2026-11-27\\s+automated\\s+\\S+/prod\\s+${DRILL_PROJECT}/drill-0a1b2c3d4e\\s.*\\s1\\.25 h\\s+\\$0\\.68$`,
      ),
    );
    expect(fixedRow).toMatch(/drill-2026-11-25\s.*\s3h 00m\s+-\s+-\s+-$/);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({
      operationId: 'ephemeral-2026-11-27',
      ephemeralCluster: `${DRILL_PROJECT}/drill-0a1b2c3d4e`,
      clusterHours: 1.25,
      costUsd: 0.675,
    });
    expect(JSON.parse(json.stdout)[1]).not.toHaveProperty('clusterHours');
    expect(csv.stdout.split('\r\n')[1]).toMatch(new RegExp(`,${DRILL_PROJECT}/drill-0a1b2c3d4e,1\\.25,0\\.675$`));
  });
});
