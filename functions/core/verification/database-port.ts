/**
 * What the verifier and the heartbeat writer do on a cluster, and nothing more: listings, counts, one newest value,
 * and the heartbeat's insert. The mongodb adapter (mongodb-database.ts) implements it; tests of the logic use an
 * in-memory one. None of these takes a lock beyond what a read or one insert takes (no fsync, validate, collStats).
 */
export interface CollectionListing {
  readonly name: string;
  /** `collection`, `view` or `timeseries`, as listCollections says. */
  readonly type: string;
  readonly capped: boolean;
  readonly hasValidator: boolean;
}

export interface DatabaseReader {
  listDatabases(): Promise<string[]>;
  listCollections(database: string): Promise<CollectionListing[]>;
  /** Index names. */
  listIndexes(database: string, collection: string): Promise<string[]>;
  /** From the collection's metadata (the `count` command without a query). */
  estimatedCount(database: string, collection: string): Promise<number>;
  /** Documents matching `filter` (an aggregate `$match` + `$group`, as countDocuments sends). */
  count(database: string, collection: string, filter?: Readonly<Record<string, unknown>>): Promise<number>;
  /** The largest value of `field` among documents matching `filter` (find, sort descending, limit 1), if any. */
  newestValue(
    database: string,
    collection: string,
    field: string,
    filter?: Readonly<Record<string, unknown>>,
  ): Promise<unknown>;
}

export interface DatabaseWriter {
  /** Creates a capped collection (no error when it exists; call it only when needed: it takes a lock). */
  createCappedCollection(
    database: string,
    collection: string,
    limits: { readonly sizeBytes: number; readonly maxDocuments: number },
  ): Promise<void>;
  insert(database: string, collection: string, document: Readonly<Record<string, unknown>>): Promise<void>;
}

/** One open connection to one cluster; always closed by whoever opened it. */
export interface DatabaseSession extends DatabaseReader, DatabaseWriter {
  close(): Promise<void>;
}

export interface DatabaseLogin {
  readonly username: string;
  readonly password: string;
}

export interface ConnectRequest {
  /** Atlas's `connectionStrings.standard` (no credentials in it). */
  readonly connectionString: string;
  readonly login: DatabaseLogin;
  /** `source`: reads go to a secondary when there is one (never load a production primary); `target`: primary. */
  readonly role: 'source' | 'target' | 'heartbeat';
  /** Real epoch ms by which every call must be over (the Lambda's remaining time, less a margin). */
  readonly deadline: number;
}

export interface DatabaseConnector {
  connect(request: ConnectRequest): Promise<DatabaseSession>;
}

export type DatabaseErrorCode =
  | 'INVALID_CONNECTION_STRING'
  | 'CANNOT_CONNECT'
  | 'AUTHENTICATION_FAILED'
  | 'NOT_AUTHORIZED'
  | 'COMMAND_FAILED';

/** A database call failed. The message never holds a password or a connection string with credentials. */
export class DatabaseError extends Error {
  readonly code: DatabaseErrorCode;

  constructor(code: DatabaseErrorCode, message: string) {
    super(message);
    this.name = 'DatabaseError';
    this.code = code;
  }
}

/** What a check says when the database could not answer. */
export function databaseFailureReason(error: unknown): string {
  if (error instanceof DatabaseError) {
    const what: Record<DatabaseErrorCode, string> = {
      INVALID_CONNECTION_STRING: 'the connection string is refused',
      CANNOT_CONNECT: 'cannot connect',
      AUTHENTICATION_FAILED: 'authentication failed',
      NOT_AUTHORIZED: 'not authorized',
      COMMAND_FAILED: 'a command failed',
    };
    return `${what[error.code]}: ${error.message}`;
  }
  return `unexpected error: ${error instanceof Error ? error.name : typeof error}`;
}
