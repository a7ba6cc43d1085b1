/** insert, find, getMore, killCursors and count over the cluster's data. */
import { type Document, Long, ObjectId } from 'bson';
import type { IndexSpec } from '../../data/cluster-data.ts';
import { batchSizeOf, cursorDocument } from '../cursors.ts';
import { CommandError } from '../errors.ts';
import { compileFilter, projectDocument, sortDocuments, valuesAt } from '../matcher.ts';
import { numericValue, valuesEqual } from '../values.ts';
import { authorize, type CommandContext, collectionName, namespace } from './context.ts';

const DUPLICATE_KEY = 11000;

function nonNegative(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  const number = numericValue(value);
  if (number === undefined || !Number.isInteger(number) || number < 0) {
    throw new CommandError('BadValue', `${field} must be a non-negative integer`);
  }
  return number;
}

function keyOf(document: Document, index: IndexSpec): unknown[] {
  return Object.keys(index.key).map((path) => valuesAt(document, path)[0] ?? null);
}

function renderKey(index: IndexSpec, key: readonly unknown[]): string {
  const fields = Object.keys(index.key).map((path, at) => `${path}: ${renderValue(key[at])}`);
  return `{ ${fields.join(', ')} }`;
}

function renderValue(value: unknown): string {
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

export function insert(context: CommandContext): Document {
  const collection = collectionName(context);
  authorize(context, 'insert', collection);
  const documents = context.sequences.get('documents') ?? context.body.documents;
  if (!Array.isArray(documents) || documents.length === 0) {
    throw new CommandError('InvalidLength', 'Write batch sizes must be between 1 and 100000. Got 0 operations.');
  }
  const ordered = context.body.ordered !== false;
  const existing = context.data.collection(context.db, collection);
  const unique = (existing?.indexes ?? [{ name: '_id_', key: { _id: 1 } }]).filter(
    (index) => index.name === '_id_' || index.unique === true,
  );
  const accepted: Document[] = [];
  const writeErrors: Document[] = [];
  for (const [at, candidate] of (documents as Document[]).entries()) {
    const document = '_id' in candidate ? candidate : { _id: new ObjectId(), ...candidate };
    const clash = unique.find((index) => {
      const key = keyOf(document, index);
      return [...(existing?.documents ?? []), ...accepted].some((other) => valuesEqual(keyOf(other, index), key));
    });
    if (clash !== undefined) {
      const key = keyOf(document, clash);
      writeErrors.push({
        index: at,
        code: DUPLICATE_KEY,
        errmsg: `E11000 duplicate key error collection: ${namespace(context, collection)} index: ${clash.name} dup key: ${renderKey(clash, key)}`,
        keyPattern: clash.key,
        keyValue: Object.fromEntries(Object.keys(clash.key).map((path, index) => [path, key[index]])),
      });
      if (ordered) break;
      continue;
    }
    accepted.push(document);
  }
  if (accepted.length > 0) {
    context.data.apply({ kind: 'insert', db: context.db, collection, documents: accepted }, context.now());
  }
  return writeErrors.length > 0 ? { n: accepted.length, writeErrors, ok: 1 } : { n: accepted.length, ok: 1 };
}

/** The documents a query selects: filter, sort, skip, limit (0: no limit). */
export function selectDocuments(
  context: CommandContext,
  collection: string,
  query: { filter?: Document; sort?: Document; skip?: number; limit?: number },
): Document[] {
  const stored = context.data.collection(context.db, collection)?.documents ?? [];
  const predicate = compileFilter(query.filter);
  const sorted = sortDocuments(
    stored.filter((document) => predicate(document)),
    query.sort,
  );
  const skip = query.skip ?? 0;
  return sorted.slice(skip, query.limit ? skip + query.limit : undefined);
}

export function find(context: CommandContext): Document {
  const collection = collectionName(context);
  authorize(context, 'find', collection);
  const { body } = context;
  const limit = nonNegative(body.limit, 'limit');
  const selected = selectDocuments(context, collection, {
    filter: body.filter,
    sort: body.sort,
    skip: nonNegative(body.skip, 'skip'),
    limit,
  });
  const projected = selected.map((document) => projectDocument(document, body.projection));
  const batchSize = batchSizeOf(body.batchSize);
  const reply = context.cursors.open(
    namespace(context, collection),
    context.user.username,
    projected,
    batchSize,
    body.singleBatch === true,
  );
  return cursorDocument(reply, true);
}

export function getMore(context: CommandContext): Document {
  const id = context.body.getMore;
  if (!(id instanceof Long)) throw new CommandError('TypeMismatch', 'getMore cursor id must be a long');
  const collection = context.body.collection;
  if (typeof collection !== 'string') throw new CommandError('TypeMismatch', 'getMore collection must be a string');
  const reply = context.cursors.more(
    id,
    namespace(context, collection),
    context.user.username,
    batchSizeOf(context.body.batchSize),
  );
  return cursorDocument(reply, false);
}

export function killCursors(context: CommandContext): Document {
  const collection = collectionName(context);
  authorize(context, 'killCursors', collection);
  const ids = context.body.cursors;
  if (!Array.isArray(ids) || ids.some((id) => !(id instanceof Long))) {
    throw new CommandError('TypeMismatch', 'killCursors cursors must be an array of longs');
  }
  const { killed, notFound } = context.cursors.kill(ids as Long[], namespace(context, collection));
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

export function count(context: CommandContext): Document {
  const collection = collectionName(context);
  authorize(context, 'find', collection);
  const selected = selectDocuments(context, collection, {
    filter: context.body.query,
    skip: nonNegative(context.body.skip, 'skip'),
    limit: Math.abs(numericValue(context.body.limit) ?? 0),
  });
  return { n: selected.length, ok: 1 };
}
