/**
 * The operation ledger in a SQLite file on the operator's machine (node:sqlite, built into Node 24), for restores
 * run from a terminal: it outlives the process, so `atlas-restore start` run twice with one requestId is one
 * operation (the second run adopts the first's job, or follows it to its outcome, or refuses a different request
 * under the same id), and `atlas-restore history` reads what was done.
 *
 * - Same conditions as every ledger. Each write runs the in-memory ledger's own conditional logic on the rows it
 *   touches, inside one SQLite write transaction (BEGIN IMMEDIATE): two terminals on one file race as two Lambdas
 *   on one DynamoDB table do, and the shared ledger contract tests hold it to that.
 * - Layout. `operations`: one row per operation, the Operation as JSON (`document`), with its cluster key and
 *   request time in columns for `history`. `job_owners`: one row per restore job recorded, naming its operation
 *   (the DynamoDB ledger's `job#` items). `PRAGMA user_version` is the layout's version.
 * - Nothing is deleted: the file is the operator's evidence (DynamoDB's TTL has no equivalent here).
 * - CLI only: node:sqlite is never imported by the Lambda's code (its bundle test holds that).
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { InMemoryLedger } from '../../core/ledger/memory-ledger.ts';
import type { Operation } from '../../core/workflow/operation.ts';
import type { Ledger } from '../../core/workflow/ports.ts';

const LAYOUT_VERSION = 1;

/** Another terminal holding the write lock: wait this long before giving up (its transactions take microseconds). */
const BUSY_TIMEOUT_MS = 10_000;

/** `$XDG_STATE_HOME/atlas-restore/ledger.db`, else `~/.local/state/atlas-restore/ledger.db` (XDG base directories). */
export function defaultLedgerPath(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local/state');
  return join(state, 'atlas-restore', 'ledger.db');
}

/** The ledger file could not be opened or has a layout this version does not know. */
export class LocalLedgerError extends Error {
  readonly code = 'LOCAL_LEDGER';
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`ledger ${path}: ${message}`, options);
    this.name = 'LocalLedgerError';
    this.path = path;
  }
}

/**
 * Every transaction of this process, one after the other: a connection takes one transaction at a time, and two
 * connections of one process must not wait on each other's lock from the same thread.
 */
let transactions: Promise<unknown> = Promise.resolve();

interface OperationRow {
  readonly document: string;
}

export class SqliteLedger implements Ledger {
  readonly path: string;
  readonly #db: DatabaseSync;

  /** Opens (creating it and its directory if need be) the ledger file at `path`. */
  constructor(path: string) {
    this.path = path;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      this.#db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    } catch (error) {
      throw new LocalLedgerError(path, error instanceof Error ? error.message : String(error), { cause: error });
    }
    this.#migrate();
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #migrate(): void {
    const { user_version: version } = this.#db.prepare('PRAGMA user_version').get() as { user_version: number };
    if (version > LAYOUT_VERSION) {
      this.close();
      throw new LocalLedgerError(
        this.path,
        `layout version ${version} is newer than this atlas-restore (${LAYOUT_VERSION})`,
      );
    }
    if (version === LAYOUT_VERSION) return;
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      BEGIN IMMEDIATE;
      CREATE TABLE IF NOT EXISTS operations (
        operation_id TEXT PRIMARY KEY,
        cluster_key TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        document TEXT NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS operations_by_cluster ON operations (cluster_key, requested_at);
      CREATE INDEX IF NOT EXISTS operations_by_time ON operations (requested_at);
      CREATE TABLE IF NOT EXISTS job_owners (
        restore_job_id TEXT PRIMARY KEY,
        operation_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      PRAGMA user_version = ${LAYOUT_VERSION};
      COMMIT;
    `);
  }

  /**
   * Runs `change` on an in-memory ledger holding the named rows, inside one write transaction, and writes back the
   * rows it changed. The in-memory ledger applies its changes synchronously; the await only unwraps its answer.
   */
  #transact<T>(
    keys: {
      readonly operations?: readonly string[];
      readonly jobs?: readonly string[];
      /** TTL stored with new job owners (for a future clean-up; nothing reads it yet). */
      readonly jobExpiresAt?: number;
    },
    change: (memory: InMemoryLedger) => Promise<T>,
  ): Promise<T> {
    const run = async (): Promise<T> => {
      const db = this.#db;
      db.exec('BEGIN IMMEDIATE');
      try {
        const memory = new InMemoryLedger();
        const before = new Map<string, string>();
        for (const id of keys.operations ?? []) {
          const row = db.prepare('SELECT document FROM operations WHERE operation_id = ?').get(id) as
            | OperationRow
            | undefined;
          if (row === undefined) continue;
          before.set(id, row.document);
          memory.items.set(id, JSON.parse(row.document) as Operation);
        }
        const owners = new Map<string, string>();
        for (const jobId of keys.jobs ?? []) {
          const row = db.prepare('SELECT operation_id FROM job_owners WHERE restore_job_id = ?').get(jobId) as
            | { operation_id: string }
            | undefined;
          if (row === undefined) continue;
          owners.set(jobId, row.operation_id);
          memory.jobOwners.set(jobId, row.operation_id);
        }

        const result = await change(memory);

        const write = db.prepare(
          `INSERT INTO operations (operation_id, cluster_key, requested_at, document) VALUES (?, ?, ?, ?)
           ON CONFLICT (operation_id) DO UPDATE SET document = excluded.document`,
        );
        for (const [id, operation] of memory.items) {
          const document = JSON.stringify(operation);
          if (before.get(id) !== document) write.run(id, operation.clusterKey, operation.requestedAt, document);
        }
        const own = db.prepare(
          'INSERT INTO job_owners (restore_job_id, operation_id, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        );
        for (const [jobId, operationId] of memory.jobOwners) {
          if (owners.has(jobId)) continue;
          own.run(jobId, operationId, keys.jobExpiresAt ?? memory.items.get(operationId)?.expiresAt ?? 0);
        }
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    };
    const next = transactions.then(run, run);
    transactions = next.catch(() => undefined);
    return next;
  }

  create(operation: Operation) {
    return this.#transact({ operations: [operation.operationId] }, (memory) => memory.create(operation));
  }

  async get(operationId: string) {
    const row = this.#db.prepare('SELECT document FROM operations WHERE operation_id = ?').get(operationId) as
      | OperationRow
      | undefined;
    return row === undefined ? undefined : (JSON.parse(row.document) as Operation);
  }

  async jobOwner(restoreJobId: string) {
    const row = this.#db.prepare('SELECT operation_id FROM job_owners WHERE restore_job_id = ?').get(restoreJobId) as
      | { operation_id: string }
      | undefined;
    return row?.operation_id;
  }

  advance(...args: Parameters<Ledger['advance']>) {
    return this.#transact({ operations: [args[0].operationId] }, (memory) => memory.advance(...args));
  }

  markHandedOff(...args: Parameters<Ledger['markHandedOff']>) {
    return this.#transact({ operations: [args[0]] }, (memory) => memory.markHandedOff(...args));
  }

  claim(...args: Parameters<Ledger['claim']>) {
    return this.#transact({ operations: [args[0].operationId] }, (memory) => memory.claim(...args));
  }

  releaseClaim(...args: Parameters<Ledger['releaseClaim']>) {
    return this.#transact({ operations: [args[0]] }, (memory) => memory.releaseClaim(...args));
  }

  ownJob(...args: Parameters<Ledger['ownJob']>) {
    const [restoreJobId, owner] = args;
    return this.#transact({ jobs: [restoreJobId], jobExpiresAt: owner.expiresAt }, (memory) => memory.ownJob(...args));
  }

  finish(...args: Parameters<Ledger['finish']>) {
    return this.#transact({ operations: [args[0].operationId] }, (memory) => memory.finish(...args));
  }

  markReported(...args: Parameters<Ledger['markReported']>) {
    return this.#transact({ operations: [args[0]] }, (memory) => memory.markReported(...args));
  }

  recordInventory(...args: Parameters<Ledger['recordInventory']>) {
    return this.#transact({ operations: [args[0]] }, (memory) => memory.recordInventory(...args));
  }

  recordVerification(...args: Parameters<Ledger['recordVerification']>) {
    return this.#transact({ operations: [args[0]] }, (memory) => memory.recordVerification(...args));
  }

  addAtlasCalls(...args: Parameters<Ledger['addAtlasCalls']>) {
    return this.#transact({ operations: [args[0]] }, (memory) => memory.addAtlasCalls(...args));
  }

  async listOperations({ clusterKey, limit }: { readonly clusterKey?: string; readonly limit: number }) {
    const rows = (clusterKey === undefined
      ? this.#db
          .prepare('SELECT document FROM operations ORDER BY requested_at DESC, rowid ASC LIMIT ?')
          .all(Math.min(limit, Number.MAX_SAFE_INTEGER))
      : this.#db
          .prepare(
            'SELECT document FROM operations WHERE cluster_key = ? ORDER BY requested_at DESC, rowid ASC LIMIT ?',
          )
          .all(clusterKey, Math.min(limit, Number.MAX_SAFE_INTEGER))) as unknown as OperationRow[];
    return rows.map((row) => JSON.parse(row.document) as Operation);
  }
}
