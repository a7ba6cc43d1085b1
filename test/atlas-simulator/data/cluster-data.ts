/**
 * The data a simulated cluster holds, as the wire-protocol server reads and writes it: databases, collections,
 * their documents, indexes and options. Every write is an entry of the cluster's oplog, stamped with the simulated
 * clock, so the data as it was at any instant can be rebuilt: a snapshot captures `stateAt(snapshot time)`, a
 * point-in-time restore `stateAt(the point in time)`, and a restore replaces a target's data with either
 * (`replaceWith`), exactly what Atlas does (the target's own oplog starts again from the restore).
 */
import { type Document, deserialize, serialize } from 'bson';

export type StoredDocument = Document;

export interface IndexSpec {
  readonly name: string;
  readonly key: Readonly<Record<string, number | string>>;
  readonly unique?: boolean;
  readonly expireAfterSeconds?: number;
}

export interface CollectionOptions {
  readonly capped?: boolean;
  /** Capped collections: size in bytes (kept, not enforced) and maximum number of documents (enforced). */
  readonly size?: number;
  readonly max?: number;
  /** A `$jsonSchema` or query validator, kept as given and listed by listCollections. */
  readonly validator?: Document;
}

export type WriteOperation =
  | {
      readonly kind: 'createCollection';
      readonly db: string;
      readonly collection: string;
      readonly options: CollectionOptions;
    }
  | {
      readonly kind: 'insert';
      readonly db: string;
      readonly collection: string;
      readonly documents: readonly StoredDocument[];
    }
  | {
      readonly kind: 'createIndexes';
      readonly db: string;
      readonly collection: string;
      readonly indexes: readonly IndexSpec[];
    }
  | { readonly kind: 'dropCollection'; readonly db: string; readonly collection: string }
  | { readonly kind: 'dropDatabase'; readonly db: string };

export interface OplogEntry {
  /** Simulated epoch ms of the write. */
  readonly at: number;
  readonly operation: WriteOperation;
}

export const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 } };

export interface CollectionData {
  readonly options: CollectionOptions;
  readonly indexes: IndexSpec[];
  readonly documents: StoredDocument[];
}

/**
 * A deep copy that keeps BSON types (ObjectId, Long, Binary, Decimal128…): structuredClone would turn them into plain
 * objects, and the wire server's readers would then get other values than were written.
 */
function cloneDocument(document: StoredDocument): StoredDocument {
  return deserialize(serialize(document), { promoteLongs: false });
}

export class ClusterData {
  readonly #oplog: OplogEntry[] = [];
  readonly #databases = new Map<string, Map<string, CollectionData>>();

  /** Applies a write at `at` (simulated ms, not before the last entry) and records it in the oplog. */
  apply(operation: WriteOperation, at: number): void {
    const last = this.#oplog.at(-1);
    if (last !== undefined && at < last.at) throw new RangeError(`oplog entries go forward: ${at} < ${last.at}`);
    this.#applyToState(operation);
    this.#oplog.push({ at, operation });
  }

  databaseNames(): string[] {
    return [...this.#databases.keys()].sort();
  }

  collectionNames(db: string): string[] {
    return [...(this.#databases.get(db)?.keys() ?? [])].sort();
  }

  collection(db: string, collection: string): CollectionData | undefined {
    return this.#databases.get(db)?.get(collection);
  }

  /** The oplog, oldest first. */
  oplog(): readonly OplogEntry[] {
    return this.#oplog;
  }

  /** The data as it was at `at` (writes at `at` included): a new ClusterData replaying the oplog up to it. */
  stateAt(at: number): ClusterData {
    const copy = new ClusterData();
    for (const entry of this.#oplog) {
      if (entry.at > at) break;
      copy.apply(entry.operation, entry.at);
    }
    return copy;
  }

  /**
   * A restore: this cluster's data becomes `source`'s, and its oplog restarts with the restored data written at `at`
   * (so a later snapshot of the target captures what was restored, and nothing from before the restore).
   */
  replaceWith(source: ClusterData, at: number): void {
    this.#databases.clear();
    this.#oplog.length = 0;
    for (const db of source.databaseNames()) {
      for (const name of source.collectionNames(db)) {
        const collection = source.collection(db, name) as CollectionData;
        this.apply({ kind: 'createCollection', db, collection: name, options: collection.options }, at);
        const indexes = collection.indexes.filter((index) => index.name !== ID_INDEX.name);
        if (indexes.length > 0) this.apply({ kind: 'createIndexes', db, collection: name, indexes }, at);
        if (collection.documents.length > 0) {
          this.apply({ kind: 'insert', db, collection: name, documents: collection.documents }, at);
        }
      }
    }
  }

  #applyToState(operation: WriteOperation): void {
    switch (operation.kind) {
      case 'createCollection':
        this.#ensureCollection(operation.db, operation.collection, operation.options);
        return;
      case 'insert': {
        const collection = this.#ensureCollection(operation.db, operation.collection, {});
        collection.documents.push(...operation.documents.map(cloneDocument));
        const max = collection.options.capped ? collection.options.max : undefined;
        // A capped collection keeps its newest `max` documents, in insertion order.
        if (max !== undefined && collection.documents.length > max) {
          collection.documents.splice(0, collection.documents.length - max);
        }
        return;
      }
      case 'createIndexes': {
        const collection = this.#ensureCollection(operation.db, operation.collection, {});
        for (const index of operation.indexes) {
          if (!collection.indexes.some((existing) => existing.name === index.name)) collection.indexes.push(index);
        }
        return;
      }
      case 'dropCollection':
        this.#databases.get(operation.db)?.delete(operation.collection);
        if (this.#databases.get(operation.db)?.size === 0) this.#databases.delete(operation.db);
        return;
      case 'dropDatabase':
        this.#databases.delete(operation.db);
        return;
    }
  }

  #ensureCollection(db: string, name: string, options: CollectionOptions): CollectionData {
    let collections = this.#databases.get(db);
    if (collections === undefined) {
      collections = new Map();
      this.#databases.set(db, collections);
    }
    let collection = collections.get(name);
    if (collection === undefined) {
      collection = { options, indexes: [ID_INDEX], documents: [] };
      collections.set(name, collection);
    }
    return collection;
  }
}
