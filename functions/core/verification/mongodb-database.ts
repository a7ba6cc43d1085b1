import {
  type Document,
  MongoClient,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { clientSettings, withoutCredentials } from './connection-options.ts';
import {
  type CollectionListing,
  type ConnectRequest,
  type DatabaseConnector,
  DatabaseError,
  type DatabaseErrorCode,
  type DatabaseSession,
} from './database-port.ts';

/** MongoDB server error codes (mongo src/mongo/base/error_codes.yml). */
const UNAUTHORIZED = 13;
const AUTHENTICATION_FAILED = 18;
const NAMESPACE_EXISTS = 48;
/** Longest text of a driver message kept in a reason. */
const MAX_MESSAGE = 300;

export interface MongoConnectorOptions {
  /** Sent in the handshake: the cluster's logs and currentOp show who is reading. */
  readonly appName: string;
  /** A CA bundle to trust (the simulator's, locally; ATLAS_TLS_CA_FILE); unset in AWS. */
  readonly tlsCAFile?: string;
  /** Real time (epoch ms), for the deadline. */
  readonly now?: () => number;
}

/** The database port over the official driver. Every failure becomes a DatabaseError with no secret in it. */
export function mongoConnector(options: MongoConnectorOptions): DatabaseConnector {
  const now = options.now ?? Date.now;
  return {
    async connect(request) {
      const settings = clientSettings(request, {
        appName: options.appName,
        now: now(),
        ...(options.tlsCAFile === undefined ? {} : { tlsCAFile: options.tlsCAFile }),
      });
      let client: MongoClient;
      try {
        client = new MongoClient(settings.uri, settings.options);
      } catch (error) {
        throw classified(error);
      }
      try {
        await client.connect();
        // connect() may succeed before any authenticated connection exists: a ping proves the login now.
        await client.db('admin').command({ ping: 1 });
      } catch (error) {
        await client.close().catch(() => {});
        throw classified(error);
      }
      return session(client, request, now);
    },
  };
}

function session(client: MongoClient, request: ConnectRequest, now: () => number): DatabaseSession {
  const maxTimeMS = () => Math.max(1, Math.floor(request.deadline - now()));
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw classified(error);
    }
  };
  const collection = (database: string, name: string) => client.db(database).collection(name);

  return {
    listDatabases: () =>
      guarded(async () => {
        const answer = await client.db('admin').admin().listDatabases({
          nameOnly: true,
          authorizedDatabases: true,
          maxTimeMS: maxTimeMS(),
        });
        return answer.databases.map((database) => database.name);
      }),

    listCollections: (database) =>
      guarded(async () => {
        const listed = await client
          .db(database)
          .listCollections({}, { nameOnly: false, authorizedCollections: true, maxTimeMS: maxTimeMS() })
          .toArray();
        return listed.map((entry): CollectionListing => {
          const collectionOptions: Document = 'options' in entry && entry.options ? entry.options : {};
          return {
            name: entry.name,
            type: entry.type ?? 'collection',
            capped: collectionOptions.capped === true,
            hasValidator:
              typeof collectionOptions.validator === 'object' &&
              collectionOptions.validator !== null &&
              Object.keys(collectionOptions.validator).length > 0,
          };
        });
      }),

    listIndexes: (database, name) =>
      guarded(async () => {
        const indexes = await collection(database, name).listIndexes({ maxTimeMS: maxTimeMS() }).toArray();
        return indexes.map((index) => String(index.name));
      }),

    estimatedCount: (database, name) =>
      guarded(() => collection(database, name).estimatedDocumentCount({ maxTimeMS: maxTimeMS() })),

    count: (database, name, filter) =>
      guarded(() => collection(database, name).countDocuments({ ...filter }, { maxTimeMS: maxTimeMS() })),

    newestValue: (database, name, field, filter) =>
      guarded(async () => {
        const newest = await collection(database, name).findOne(
          { ...filter },
          { sort: { [field]: -1 }, projection: { [field]: 1, _id: 0 }, maxTimeMS: maxTimeMS() },
        );
        return newest === null ? undefined : valueAt(newest, field);
      }),

    createCappedCollection: (database, name, limits) =>
      guarded(async () => {
        try {
          await client.db(database).createCollection(name, {
            capped: true,
            size: limits.sizeBytes,
            max: limits.maxDocuments,
          });
        } catch (error) {
          // It exists (made by an earlier run, or by another writer racing this one).
          if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
        }
      }),

    insert: (database, name, document) =>
      guarded(async () => {
        await collection(database, name).insertOne({ ...document }, { writeConcern: { w: 'majority' } });
      }),

    close: () => client.close(),
  };
}

/** A dotted path's value in a projected document (`a.b` reads `{ a: { b } }`). */
function valueAt(document: Document, path: string): unknown {
  let value: unknown = document;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Sorts a driver error into what a check can say, with the driver's message stripped of any credentials. */
export function classified(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : 'UnknownError';
  const serverCode = error instanceof MongoServerError ? ` ${error.codeName ?? ''}(${String(error.code)})` : '';
  const message = error instanceof Error ? withoutCredentials(error.message).slice(0, MAX_MESSAGE) : '';
  return new DatabaseError(code, `${name}${serverCode}${message ? `: ${message}` : ''}`);
}

function errorCode(error: unknown): DatabaseErrorCode {
  if (error instanceof MongoServerError) {
    if (error.code === AUTHENTICATION_FAILED) return 'AUTHENTICATION_FAILED';
    if (error.code === UNAUTHORIZED) return 'NOT_AUTHORIZED';
    return 'COMMAND_FAILED';
  }
  if (error instanceof MongoParseError || error instanceof MongoInvalidArgumentError)
    return 'INVALID_CONNECTION_STRING';
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoTopologyClosedError
  ) {
    return 'CANNOT_CONNECT';
  }
  return 'COMMAND_FAILED';
}
