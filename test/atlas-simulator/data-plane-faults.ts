import { ClusterData } from './data/cluster-data.ts';

/**
 * What a broken restore leaves on its target. Namespaces are `db.collection`.
 * - `dropNamespaces`: these collections are missing after the restore.
 * - `keepOnlyNamespaces`: every other collection is missing.
 * - `keepFraction` (0 to 1): each collection keeps only this share of its documents (the oldest, rounded down):
 *   a truncated restore.
 */
export interface RestoreFault {
  readonly dropNamespaces?: readonly string[];
  readonly keepOnlyNamespaces?: readonly string[];
  readonly keepFraction?: number;
}

/** Data-plane faults for tests and the local drill's `broken-restore` scenario. */
export class DataPlaneFaults {
  readonly #restoreFaults = new Map<string, RestoreFault>();
  readonly #unreachable = new Set<string>();

  /** Every restore that completes onto this cluster from now on is broken this way, until `clear`. */
  breakRestoresOnto(groupId: string, clusterName: string, fault: RestoreFault): void {
    const fraction = fault.keepFraction;
    if (fraction !== undefined && !(fraction >= 0 && fraction <= 1)) {
      throw new RangeError(`keepFraction must be between 0 and 1, got ${fraction}`);
    }
    this.#restoreFaults.set(key(groupId, clusterName), fault);
  }

  /** An unreachable cluster refuses and closes connections (as a cluster behind a closed network path does). */
  setReachable(groupId: string, clusterName: string, reachable: boolean): void {
    if (reachable) this.#unreachable.delete(key(groupId, clusterName));
    else this.#unreachable.add(key(groupId, clusterName));
  }

  isUnreachable(groupId: string, clusterName: string): boolean {
    return this.#unreachable.has(key(groupId, clusterName));
  }

  clear(): void {
    this.#restoreFaults.clear();
    this.#unreachable.clear();
  }

  /** The data a restore onto this cluster leaves, given what it should have restored. */
  restoredData(groupId: string, clusterName: string, restored: ClusterData, at: number): ClusterData {
    const fault = this.#restoreFaults.get(key(groupId, clusterName));
    return fault ? breakData(restored, fault, at) : restored;
  }
}

function breakData(source: ClusterData, fault: RestoreFault, at: number): ClusterData {
  const broken = new ClusterData();
  for (const db of source.databaseNames()) {
    for (const name of source.collectionNames(db)) {
      const namespace = `${db}.${name}`;
      if (fault.dropNamespaces?.includes(namespace)) continue;
      if (fault.keepOnlyNamespaces && !fault.keepOnlyNamespaces.includes(namespace)) continue;
      const collection = source.collection(db, name);
      if (!collection) continue;
      broken.apply({ kind: 'createCollection', db, collection: name, options: collection.options }, at);
      broken.apply({ kind: 'createIndexes', db, collection: name, indexes: collection.indexes }, at);
      const kept = Math.floor(collection.documents.length * (fault.keepFraction ?? 1));
      if (kept > 0) {
        broken.apply({ kind: 'insert', db, collection: name, documents: collection.documents.slice(0, kept) }, at);
      }
    }
  }
  return broken;
}

function key(groupId: string, clusterName: string): string {
  return `${groupId}/${clusterName}`;
}
