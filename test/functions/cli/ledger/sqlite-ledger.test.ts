import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultLedgerPath, LocalLedgerError, SqliteLedger } from '../../../../functions/cli/ledger/sqlite-ledger.ts';
import { esbuildBuildOptions } from '../../../../infra/handler-bundling.ts';
import { ledgerContract, sampleOperation } from '../../core/ledger/ledger-contract.ts';

const directory = mkdtempSync(join(tmpdir(), 'atlas-restore-sqlite-ledger-'));
const opened: SqliteLedger[] = [];
let files = 0;

/** A ledger on a file of its own (in a directory that does not exist yet: the ledger creates it). */
function ledgerFile(path = join(directory, `state-${++files}`, 'ledger.db')): SqliteLedger {
  const ledger = new SqliteLedger(path);
  opened.push(ledger);
  return ledger;
}

afterAll(() => {
  for (const ledger of opened) ledger.close();
  rmSync(directory, { recursive: true, force: true });
});

// `atlas-restore start` keeps its operations here: the same contract as DynamoDB and memory.
ledgerContract('SQLite (node:sqlite, a file)', () => ledgerFile());

describe('SQLite ledger: a file that outlives the process', () => {
  it('answers a second connection, opened after the first closed, with what the first wrote', async () => {
    // Prepare
    const path = join(directory, 'reopened', 'ledger.db');
    const first = ledgerFile(path);
    const operation = sampleOperation();
    await first.create(operation);
    await first.advance(
      { operationId: operation.operationId, step: 0, token: 't0' },
      { token: 't1', pending: { kind: 'poll', dueAt: 1 } },
    );
    await first.ownJob('6650d1e2f3a4b5c6d7e8f9a0', operation);
    first.close();

    // Act
    const second = ledgerFile(path);
    const stored = await second.get(operation.operationId);
    const listed = await second.listOperations({ clusterKey: operation.clusterKey, limit: 10 });
    const otherOwner = await second.ownJob('6650d1e2f3a4b5c6d7e8f9a0', sampleOperation());

    // Assess
    expect(stored).toMatchObject({ step: 1, stepToken: 't1', previousToken: 't0' });
    expect(listed.map((item) => item.operationId)).toEqual([operation.operationId]);
    expect(otherOwner).toBe(false);
  });

  it('lets one of two connections to one file win each race (two terminals on one ledger)', async () => {
    // Prepare
    const path = join(directory, 'shared', 'ledger.db');
    const terminals = [ledgerFile(path), ledgerFile(path)];
    const operation = sampleOperation();
    const at = { operationId: operation.operationId, step: 0, token: 't0' };

    // Act
    const created = await Promise.all(
      terminals.map((ledger, index) => ledger.create({ ...operation, stepToken: `t${index}` })),
    );
    const stored = await terminals[0]?.get(operation.operationId);
    const claims = await Promise.all(
      terminals.map((ledger, index) =>
        ledger.claim({ ...at, token: stored?.stepToken ?? '' }, { token: `c${index}`, at: 1, priorJobIds: [] }),
      ),
    );

    // Assess
    expect(created.filter((result) => result.created)).toHaveLength(1);
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('refuses a file written by a newer layout, naming the file', () => {
    // Prepare
    const path = join(directory, 'newer.db');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();

    // Act
    const open = () => ledgerFile(path);

    // Assess
    expect(open).toThrow(LocalLedgerError);
    expect(open).toThrow(`ledger ${path}: layout version 99 is newer than this atlas-restore (1)`);
  });

  it.for([
    ['XDG_STATE_HOME', { XDG_STATE_HOME: '/state', HOME: '/home/op' }, '/state/atlas-restore/ledger.db'],
    ['HOME', { HOME: '/home/op' }, '/home/op/.local/state/atlas-restore/ledger.db'],
    [
      'HOME when XDG_STATE_HOME is relative',
      { XDG_STATE_HOME: 'state', HOME: '/home/op' },
      '/home/op/.local/state/atlas-restore/ledger.db',
    ],
  ] as const)('keeps the ledger under the state directory from %s', ([, env, expected]) => {
    expect(defaultLedgerPath(env)).toBe(expected);
  });
});

describe('SQLite ledger: CLI only', () => {
  it('never reaches the Lambda bundle, nor does anything of the CLI', async () => {
    // Act
    const result = await build({
      ...esbuildBuildOptions(join(directory, 'bundle', 'index.mjs')),
      write: false,
      metafile: true,
    });

    // Assess: (undici has a lazy require of node:sqlite for its optional cache store; no code of ours does)
    const ours = Object.entries(result.metafile.inputs).filter(([path]) => path.startsWith('functions/'));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.map(([path]) => path).filter((path) => path.startsWith('functions/cli/'))).toEqual([]);
    expect(ours.flatMap(([, input]) => input.imports.map((imported) => imported.path))).not.toContain('node:sqlite');
  });
});
