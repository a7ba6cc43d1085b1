/** Databases, collections and indexes: listDatabases, listCollections, listIndexes, create, createIndexes, drop, dropDatabase. */
import { createHash } from 'node:crypto';
import { Binary, calculateObjectSize, type Document } from 'bson';
import type { CollectionOptions, IndexSpec } from '../../data/cluster-data.ts';
import { hasRoleOn, isAuthorized } from '../authorization.ts';
import { batchSizeOf, cursorDocument } from '../cursors.ts';
import { CommandError, notAuthorized } from '../errors.ts';
import { compileFilter } from '../matcher.ts';
import { numericValue } from '../values.ts';
import { authorize, type CommandContext, collectionName, namespace } from './context.ts';

/** WiredTiger's smallest file: each collection and index takes at least this on disk. */
const FILE_BYTES = 4096;
/**
 * Every Atlas cluster also holds these (users and roles, sharding metadata, the oplog); listDatabases shows them to
 * users holding the listDatabases privilege. Their sizes are illustrative: the simulator stores no data in them.
 */
const SYSTEM_DATABASES = [
  { name: 'admin', sizeOnDisk: 40_960, empty: false },
  { name: 'config', sizeOnDisk: 110_592, empty: false },
  { name: 'local', sizeOnDisk: 1_073_741_824, empty: false },
] as const;

function sizeOnDisk(context: CommandContext, db: string): number {
  return context.data.collectionNames(db).reduce((total, name) => {
    const collection = context.data.collection(db, name);
    const documents = collection?.documents.reduce((sum, document) => sum + calculateObjectSize(document), 0) ?? 0;
    return total + documents + FILE_BYTES * (1 + (collection?.indexes.length ?? 0));
  }, 0);
}

export function listDatabases(context: CommandContext): Document {
  if (context.db !== 'admin')
    throw new CommandError('Unauthorized', 'listDatabases may only be run against the admin database.');
  const mayListAll = isAuthorized(context.user, 'listDatabases', { db: 'admin' });
  if (!mayListAll && context.body.authorizedDatabases === false) {
    throw notAuthorized(context.db, context.name, context.body[context.name]);
  }
  // authorizedDatabases: true narrows even a listDatabases holder to the databases it may read.
  const listsAll = mayListAll && context.body.authorizedDatabases !== true;
  const names = context.data
    .databaseNames()
    .filter((db) => listsAll || hasRoleOn(context.user, db) || isAuthorized(context.user, 'find', { db }));
  const system = listsAll ? SYSTEM_DATABASES.filter(({ name }) => !names.includes(name)) : [];
  const databases = [
    ...names.map((name) => {
      const size = sizeOnDisk(context, name);
      return { name, sizeOnDisk: size, empty: size === 0 };
    }),
    ...system,
  ].sort((left, right) => (left.name < right.name ? -1 : 1));
  const predicate = compileFilter(context.body.filter);
  const listed = databases.filter((database) => predicate(database));
  if (context.body.nameOnly === true) return { databases: listed.map(({ name }) => ({ name })), ok: 1 };
  const totalSize = listed.reduce((sum, database) => sum + database.sizeOnDisk, 0);
  return { databases: listed, totalSize, totalSizeMb: Math.floor(totalSize / 1_048_576), ok: 1 };
}

/** A collection's UUID, stable for its namespace (real ones are random per creation; nothing here compares them). */
function collectionUuid(ns: string): Binary {
  const bytes = createHash('sha256').update(ns).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return new Binary(bytes, Binary.SUBTYPE_UUID);
}

function optionsDocument(options: CollectionOptions): Document {
  const document: Document = {};
  if (options.capped) {
    document.capped = true;
    if (options.size !== undefined) document.size = options.size;
    if (options.max !== undefined) document.max = options.max;
  }
  if (options.validator !== undefined) document.validator = options.validator;
  return document;
}

function indexDocument(index: IndexSpec): Document {
  const document: Document = { v: 2, key: index.key, name: index.name };
  if (index.unique) document.unique = true;
  if (index.expireAfterSeconds !== undefined) document.expireAfterSeconds = index.expireAfterSeconds;
  return document;
}

/** Collections a user with only collection-level privileges may see (`authorizedCollections` with `nameOnly`). */
function authorizedCollections(context: CommandContext): string[] | undefined {
  if (isAuthorized(context.user, 'listCollections', { db: context.db })) return undefined;
  if (context.body.authorizedCollections !== true || context.body.nameOnly !== true) {
    throw notAuthorized(context.db, context.name, context.body[context.name]);
  }
  return context.data
    .collectionNames(context.db)
    .filter((collection) => isAuthorized(context.user, 'find', { db: context.db, collection }));
}

export function listCollections(context: CommandContext): Document {
  const visible = authorizedCollections(context);
  const names = context.data.collectionNames(context.db).filter((name) => visible?.includes(name) ?? true);
  const entries = names.map((name) => {
    const collection = context.data.collection(context.db, name);
    return {
      name,
      type: 'collection',
      options: optionsDocument(collection?.options ?? {}),
      info: { readOnly: false, uuid: collectionUuid(namespace(context, name)) },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    };
  });
  const predicate = compileFilter(context.body.filter);
  const listed = entries.filter((entry) => predicate(entry));
  const batch = context.body.nameOnly === true ? listed.map(({ name, type }) => ({ name, type })) : listed;
  const reply = context.cursors.open(
    namespace(context, '$cmd.listCollections'),
    context.user.username,
    batch,
    batchSizeOf((context.body.cursor as Document | undefined)?.batchSize, 'cursor.batchSize'),
  );
  return cursorDocument(reply, true);
}

export function listIndexes(context: CommandContext): Document {
  const name = collectionName(context);
  authorize(context, 'listIndexes', name);
  const collection = context.data.collection(context.db, name);
  if (collection === undefined) {
    throw new CommandError('NamespaceNotFound', `ns does not exist: ${namespace(context, name)}`);
  }
  const reply = context.cursors.open(
    namespace(context, name),
    context.user.username,
    collection.indexes.map(indexDocument),
    batchSizeOf((context.body.cursor as Document | undefined)?.batchSize, 'cursor.batchSize'),
  );
  return cursorDocument(reply, true);
}

function positive(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const number = numericValue(value);
  if (number === undefined || number <= 0)
    throw new CommandError('InvalidOptions', `${field} must be a positive number`);
  return number;
}

export function create(context: CommandContext): Document {
  const name = collectionName(context);
  authorize(context, 'createCollection', name);
  if (context.data.collection(context.db, name) !== undefined) {
    throw new CommandError('NamespaceExists', `Collection ${namespace(context, name)} already exists.`);
  }
  const { body } = context;
  const capped = body.capped === true;
  const size = positive(body.size, 'size');
  const max = positive(body.max, 'max');
  if (capped && size === undefined) {
    throw new CommandError('InvalidOptions', "the 'size' field is required when 'capped' is true");
  }
  const options: CollectionOptions = {
    ...(capped ? { capped, ...(size === undefined ? {} : { size }), ...(max === undefined ? {} : { max }) } : {}),
    ...(body.validator === undefined ? {} : { validator: body.validator as Document }),
  };
  context.data.apply({ kind: 'createCollection', db: context.db, collection: name, options }, context.now());
  return { ok: 1 };
}

function indexSpec(document: unknown): IndexSpec {
  if (typeof document !== 'object' || document === null)
    throw new CommandError('TypeMismatch', 'index must be an object');
  const { key, name, unique, expireAfterSeconds } = document as Document;
  if (typeof key !== 'object' || key === null || Object.keys(key).length === 0) {
    throw new CommandError('BadValue', 'Index keys cannot be empty.');
  }
  if (typeof name !== 'string' || name.length === 0)
    throw new CommandError('BadValue', "The 'name' field is required.");
  const keyPattern = Object.fromEntries(
    Object.entries(key as Document).map(([field, direction]) => [field, numericValue(direction) ?? String(direction)]),
  );
  const ttl = numericValue(expireAfterSeconds);
  return {
    name,
    key: keyPattern,
    ...(unique === true ? { unique: true } : {}),
    ...(ttl === undefined ? {} : { expireAfterSeconds: ttl }),
  };
}

export function createIndexes(context: CommandContext): Document {
  const name = collectionName(context);
  authorize(context, 'createIndex', name);
  if (!Array.isArray(context.body.indexes) || context.body.indexes.length === 0) {
    throw new CommandError('BadValue', 'Must specify at least one index to create');
  }
  const specs = context.body.indexes.map(indexSpec);
  const existing = context.data.collection(context.db, name);
  const before = existing?.indexes.length ?? 1;
  for (const spec of specs) {
    const sameName = existing?.indexes.find((index) => index.name === spec.name);
    if (sameName !== undefined && JSON.stringify(sameName.key) !== JSON.stringify(spec.key)) {
      throw new CommandError(
        'IndexKeySpecsConflict',
        `An existing index has the same name as the requested index. Requested index: ${spec.name}`,
      );
    }
  }
  const added = specs.filter((spec) => !existing?.indexes.some((index) => index.name === spec.name));
  if (added.length > 0 || existing === undefined) {
    context.data.apply({ kind: 'createIndexes', db: context.db, collection: name, indexes: added }, context.now());
  }
  return {
    numIndexesBefore: before,
    numIndexesAfter: before + added.length,
    createdCollectionAutomatically: existing === undefined,
    ...(added.length === 0 ? { note: 'all indexes already exist' } : {}),
    ok: 1,
  };
}

export function drop(context: CommandContext): Document {
  const name = collectionName(context);
  authorize(context, 'dropCollection', name);
  const existing = context.data.collection(context.db, name);
  // mongod answers "ns not found" (SERVER-36317); the driver's collection.drop() turns it into `false`.
  if (existing === undefined) throw new CommandError('NamespaceNotFound', 'ns not found');
  context.data.apply({ kind: 'dropCollection', db: context.db, collection: name }, context.now());
  return { nIndexesWas: existing.indexes.length, ns: namespace(context, name), ok: 1 };
}

export function dropDatabase(context: CommandContext): Document {
  authorize(context, 'dropDatabase');
  if (context.data.databaseNames().includes(context.db)) {
    context.data.apply({ kind: 'dropDatabase', db: context.db }, context.now());
  }
  return { dropped: context.db, ok: 1 };
}
