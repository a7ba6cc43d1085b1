import type { SourceInventory } from '../contract/verification.ts';
import type { DatabaseReader } from './database-port.ts';

/** Databases that belong to the server, not to the application: never inventoried, never compared. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(['admin', 'local', 'config']);
/** The contract's bound (the ledger item's 400 KB). */
export const MAX_INVENTORY_COLLECTIONS = 1000;
/** MongoDB allows 64 indexes per collection; more names than that would be a broken answer. */
const MAX_INDEXES = 64;

/**
 * A read-only inventory of the source: every collection of every application database, its index names, whether it
 * has a validator and is capped, and its estimated count. Only listDatabases, listCollections, listIndexes and
 * `count` without a query are sent: none of them takes more than an intent lock (no fsync, validate or collStats).
 * Views and `system.*` collections are left out (no data of their own). Past `maxCollections` it stops and says so.
 */
export async function captureInventory(
  database: DatabaseReader,
  options: { readonly capturedAt: number; readonly maxCollections?: number },
): Promise<SourceInventory> {
  const limit = options.maxCollections ?? MAX_INVENTORY_COLLECTIONS;
  const collections: SourceInventory['collections'] = [];
  const databases = (await database.listDatabases()).filter((name) => !SYSTEM_DATABASES.has(name)).sort();
  for (const databaseName of databases) {
    const listed = (await database.listCollections(databaseName))
      .filter((entry) => entry.type !== 'view' && !entry.name.startsWith('system.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of listed) {
      if (collections.length >= limit) return { capturedAt: options.capturedAt, collections, truncated: true };
      const indexes = (await database.listIndexes(databaseName, entry.name)).sort().slice(0, MAX_INDEXES);
      const estimatedCount = await database.estimatedCount(databaseName, entry.name);
      collections.push({
        database: databaseName,
        collection: entry.name,
        estimatedCount,
        indexes,
        hasValidator: entry.hasValidator,
        capped: entry.capped,
      });
    }
  }
  return { capturedAt: options.capturedAt, collections, truncated: false };
}
