import type {
  ConnectRequest,
  DatabaseConnector,
  DatabaseSession,
} from '../../../../functions/core/verification/database-port.ts';
import { DatabaseError } from '../../../../functions/core/verification/database-port.ts';

/** A collection in the in-memory cluster the logic tests read (the driver's own path runs on the wire server). */
export interface MemoryCollection {
  documents: Record<string, unknown>[];
  indexes: string[];
  capped?: boolean;
  validator?: boolean;
  view?: boolean;
  /** What `count` without a query answers, when not the number of documents (a stale estimate). */
  estimatedCount?: number;
}

export type MemoryCluster = Record<string, Record<string, MemoryCollection>>;

/** Every call made, by method name: the inventory's tests assert nothing else was sent. */
export type CallLog = string[];

/** An in-memory implementation of our database port (not of the driver): equality filters only. */
export function memorySession(cluster: MemoryCluster, calls: CallLog = []): DatabaseSession {
  const collection = (database: string, name: string) => {
    const found = cluster[database]?.[name];
    if (found === undefined) throw new DatabaseError('COMMAND_FAILED', `ns ${database}.${name} not found`);
    return found;
  };
  const matching = (documents: Record<string, unknown>[], filter?: Readonly<Record<string, unknown>>) =>
    documents.filter((document) => Object.entries(filter ?? {}).every(([key, value]) => document[key] === value));
  const order = (value: unknown) =>
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : -Infinity;
  return {
    async listDatabases() {
      calls.push('listDatabases');
      return Object.keys(cluster);
    },
    async listCollections(database) {
      calls.push('listCollections');
      return Object.entries(cluster[database] ?? {}).map(([name, entry]) => ({
        name,
        type: entry.view ? 'view' : 'collection',
        capped: entry.capped === true,
        hasValidator: entry.validator === true,
      }));
    },
    async listIndexes(database, name) {
      calls.push('listIndexes');
      return [...collection(database, name).indexes];
    },
    async estimatedCount(database, name) {
      calls.push('estimatedCount');
      const found = collection(database, name);
      return found.estimatedCount ?? found.documents.length;
    },
    async count(database, name, filter) {
      calls.push('count');
      return matching(collection(database, name).documents, filter).length;
    },
    async newestValue(database, name, field, filter) {
      calls.push('newestValue');
      const values = matching(collection(database, name).documents, filter)
        .map((document) => document[field])
        .filter((value) => value !== undefined)
        .sort((a, b) => order(b) - order(a));
      return values[0];
    },
    async createCappedCollection(database, name) {
      calls.push('createCappedCollection');
      cluster[database] ??= {};
      cluster[database][name] ??= { documents: [], indexes: ['_id_'], capped: true };
    },
    async insert(database, name, document) {
      calls.push('insert');
      collection(database, name).documents.push({ ...document });
    },
    async close() {
      calls.push('close');
    },
  };
}

/** A connector over in-memory clusters by connection string; `refuse` makes connect fail as the driver's would. */
export function memoryConnector(
  clusters: Record<string, MemoryCluster>,
  refuse?: DatabaseError | ((attempt: number) => DatabaseError | undefined),
) {
  const requests: ConnectRequest[] = [];
  const calls: CallLog = [];
  const connector: DatabaseConnector = {
    async connect(request) {
      requests.push(request);
      const refusal = typeof refuse === 'function' ? refuse(requests.length) : refuse;
      if (refusal) throw refusal;
      const cluster = clusters[request.connectionString];
      if (cluster === undefined) throw new DatabaseError('CANNOT_CONNECT', 'no such cluster');
      return memorySession(cluster, calls);
    },
  };
  return { connector, requests, calls };
}
