import { existsSync } from 'node:fs';
import * as z from 'zod';
import { atlasId, clusterName } from '../../core/atlas/model.ts';
import { createDynamoDbLedger } from '../../core/ledger/dynamodb-ledger.ts';
import { outcomeRecord } from '../../core/reporting/reporter.ts';
import type { Operation } from '../../core/workflow/operation.ts';
import type { Ledger } from '../../core/workflow/ports.ts';
import { cliDynamoDbClient } from '../aws-clients.ts';
import { type CliCommand, noPositionals, parseCommandLine, UsageError } from '../command.ts';
import { deployedStackFlags, resolveDeployedStack, stackFromEnvironment, tableName } from '../deployed-stack.ts';
import { describeVerificationLines } from '../operation-narrative.ts';
import { writeJson, writeTable } from '../output.ts';
import { formatDuration } from '../progress.ts';

/** Columns of `--csv`, in the order auditors read them; the names are the outcome log line's keys. */
export const HISTORY_COLUMNS = [
  'requestedAt',
  'operationId',
  'state',
  'outcome',
  'errorCode',
  'reason',
  'deliveryType',
  'dryRun',
  'source',
  'target',
  'snapshotId',
  'snapshotAt',
  'restoreJobId',
  'submittedAt',
  'finishedAt',
  'rtoSeconds',
  'rpoSeconds',
  'verification',
  'achievedRpoSeconds',
  'deferrals',
  'polls',
  'atlasCalls',
] as const;

export const history: CliCommand = {
  name: 'history',
  summary: 'List recent restore operations and their outcomes from the ledger (DR drill evidence)',
  usage:
    '[--projectId ID] [--clusterName NAME] [--limit N] [--checks] [--stack NAME | --tableName NAME | --ledger PATH] [--json | --csv]',
  help: [
    'Reads the operation ledger (DynamoDB) the Lambda writes: when each restore was asked for, which snapshot it',
    'restored, how long it took (RTO, seconds from submission to the end of the job), how old the restored data was',
    '(RPO, seconds from the snapshot to the request) and how it ended. Newest first. A verified drill shows its',
    "verification (passed, failed, unknown) and the RPO its heartbeats proved; --checks prints each check's verdict",
    'and reason under the table. The table comes from',
    '--stack NAME (its LedgerTableName output), --tableName, LEDGER_TABLE_NAME or ATLAS_RESTORE_STACK; AWS_ENDPOINT_URL_DYNAMODB points at',
    'another DynamoDB endpoint. Without a',
    'table, it reads the ledger file of restores run with `atlas-restore start`: --ledger PATH, else',
    '$XDG_STATE_HOME/atlas-restore/ledger.db (~/.local/state/… without it).',
    '',
    'Exit status: 0 listed (even if empty), 2 bad flags, 1 DynamoDB refused or could not be reached.',
    '',
    'Examples:',
    '  atlas-restore history --projectId 5f1a2b3c4d5e6f7a8b9c0d1e --clusterName prod',
    '  atlas-restore history --limit 200 --csv > drills.csv',
  ].join('\n'),
  async run(args, context) {
    const { flags } = parseCommandLine(args, {
      options: {
        projectId: { type: 'string' },
        clusterName: { type: 'string' },
        limit: { type: 'string', default: '20' },
        tableName: { type: 'string' },
        stack: { type: 'string' },
        ledger: { type: 'string' },
        json: { type: 'boolean', default: false },
        csv: { type: 'boolean', default: false },
        checks: { type: 'boolean', default: false },
      },
      flags: z
        .object({
          projectId: atlasId.optional(),
          clusterName: clusterName.optional(),
          limit: z.coerce.number().int().min(1).max(1000),
          tableName: tableName.optional(),
          stack: deployedStackFlags.shape.stack,
          ledger: z.string().min(1, 'must be a file path').optional(),
          json: z.boolean(),
          csv: z.boolean(),
          checks: z.boolean(),
        })
        .refine((value) => !(value.json && value.csv), { path: ['csv'], message: 'not with --json' })
        .refine((value) => !(value.ledger && value.tableName), { path: ['ledger'], message: 'not with --tableName' })
        .refine((value) => !(value.stack && (value.tableName || value.ledger)), {
          path: ['stack'],
          message: 'not with --tableName or --ledger',
        }),
      positionals: noPositionals,
    });
    const named =
      flags.stack ??
      (flags.tableName || flags.ledger || context.env.LEDGER_TABLE_NAME
        ? undefined
        : stackFromEnvironment(context.env));
    const stack = named ? await resolveDeployedStack({ stack: named }, context.env) : undefined;
    const table =
      flags.ledger === undefined ? stack?.tableName || flags.tableName || context.env.LEDGER_TABLE_NAME : undefined;
    const operations = table
      ? await fromTable(table, flags, context.env)
      : await fromLedgerFile(flags.ledger, flags, context.env);

    const records = operations.map(historyRecord);
    if (flags.json) return writeJson(context.stdout, records);
    if (flags.csv) return writeCsv(context.stdout, records);
    if (records.length === 0) {
      context.stdout.write('No restore operations recorded.\n');
      return;
    }
    writeTable(
      context.stdout,
      ['REQUESTED', 'OPERATION', 'DELIVERY', 'SOURCE', 'TARGET', 'SNAPSHOT TIME', 'OUTCOME', 'RTO', 'RPO', 'VERIFIED'],
      records.map((record) => [
        text(record.requestedAt),
        text(record.operationId),
        record.dryRun ? `${text(record.deliveryType)} (dry run)` : text(record.deliveryType),
        text(record.source),
        text(record.target),
        text(record.snapshotAt),
        text(record.state),
        formatDuration(record.rtoSeconds as number | undefined),
        formatDuration(record.rpoSeconds as number | undefined),
        verifiedColumn(record),
      ]),
    );
    if (!flags.checks) return;
    for (const operation of operations) {
      const lines = describeVerificationLines(operation);
      if (lines.length === 0) continue;
      context.stdout.write(`\n${operation.operationId}: ${lines.join('\n')}\n`);
    }
  },
};

/** The deployed stack's operations, from its DynamoDB ledger. */
async function fromTable(
  table: string,
  filter: Parameters<typeof listOperations>[1],
  env: NodeJS.ProcessEnv,
): Promise<Operation[]> {
  const checkedTable = tableName.safeParse(table);
  if (!checkedTable.success) throw new UsageError(`LEDGER_TABLE_NAME: ${checkedTable.error.issues[0]?.message}`);
  const client = cliDynamoDbClient(env);
  try {
    return await listOperations(createDynamoDbLedger({ client, tableName: checkedTable.data }), filter);
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      const region = await client.config.region().catch(() => 'this region');
      throw new Error(
        `DynamoDB table ${checkedTable.data} was not found in ${region}: check --tableName (or LEDGER_TABLE_NAME) and AWS_REGION, or give --stack NAME to read the table from the stack's outputs`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/** Restores run with `atlas-restore start`, from its ledger file; none when there is no file (none is created). */
async function fromLedgerFile(
  path: string | undefined,
  filter: Parameters<typeof listOperations>[1],
  env: NodeJS.ProcessEnv,
): Promise<Operation[]> {
  const { SqliteLedger, defaultLedgerPath } = await import('../ledger/sqlite-ledger.ts');
  const file = path ?? defaultLedgerPath(env);
  if (!existsSync(file)) {
    if (path !== undefined) throw new UsageError(`--ledger: no ledger file at ${file}`);
    return [];
  }
  const ledger = new SqliteLedger(file);
  try {
    return await listOperations(ledger, filter);
  } finally {
    ledger.close();
  }
}

/**
 * Newest first. Source cluster given in full: the byCluster index answers. Only one of project and cluster: every
 * operation is read and filtered (the ledger holds a few a day, for its retention).
 */
async function listOperations(
  ledger: Pick<Ledger, 'listOperations'>,
  filter: { projectId?: string | undefined; clusterName?: string | undefined; limit: number },
): Promise<Operation[]> {
  const { projectId, clusterName: name, limit } = filter;
  if (projectId !== undefined && name !== undefined) {
    return ledger.listOperations({ clusterKey: `${projectId}/${name}`, limit });
  }
  if (projectId === undefined && name === undefined) return ledger.listOperations({ limit });
  const all = await ledger.listOperations({ limit: Number.MAX_SAFE_INTEGER });
  return all
    .filter((operation) => {
      const [group, cluster] = operation.clusterKey.split('/');
      return (projectId === undefined || group === projectId) && (name === undefined || cluster === name);
    })
    .slice(0, limit);
}

/** The outcome log line's record, with `state` for operations still running. */
function historyRecord(operation: Operation): Record<string, unknown> {
  const running = operation.verification?.requestedAt !== undefined ? 'verifying' : 'running';
  const state = operation.outcome ?? (operation.restoreJobId ? running : 'starting');
  return { state, ...outcomeRecord(operation) };
}

/** `passed (RPO 42s)`, `failed`, `unknown`, `pending`, or `-` for a restore that was not verified. */
function verifiedColumn(record: Record<string, unknown>): string {
  const verdict = text(record.verification);
  if (verdict === undefined) return '-';
  const rpo = record.achievedRpoSeconds as number | undefined;
  return rpo === undefined ? verdict : `${verdict} (RPO ${formatDuration(rpo)})`;
}

function text(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/** RFC 4180: quote every field that needs it, double the quotes inside. */
function writeCsv(stdout: NodeJS.WritableStream, records: readonly Record<string, unknown>[]): void {
  const field = (value: unknown) => {
    const raw = value === undefined || value === null ? '' : String(value);
    return /[",\r\n]/.test(raw) ? `"${raw.replace(/"/g, '""')}"` : raw;
  };
  const lines = [
    HISTORY_COLUMNS.join(','),
    ...records.map((record) => HISTORY_COLUMNS.map((key) => field(record[key])).join(',')),
  ];
  stdout.write(`${lines.join('\r\n')}\r\n`);
}
