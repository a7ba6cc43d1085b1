import type { CheckResult, SourceInventory } from '../contract/verification.ts';
import type { DatabaseReader } from './database-port.ts';

export const DEFAULT_COUNT_TOLERANCE_PERCENT = 5;
/** Failures listed one by one before the rest are counted in one line (the result lives in a 400 KB ledger item). */
export const MAX_LISTED_FAILURES = 50;

/** What the target has of one collection of the inventory; undefined when it does not have it. */
export interface TargetCollection {
  readonly indexes: readonly string[];
  readonly estimatedCount: number;
  readonly hasValidator: boolean;
  readonly capped: boolean;
}

export interface CompareOptions {
  readonly countTolerancePercent: number;
  /** The heartbeat collection moves every minute: its count is never compared. */
  readonly heartbeats?: { readonly database: string; readonly collection: string };
}

/** Reads, on the target, what the inventory lists: one listCollections per database, then indexes and count. */
export async function readTarget(
  inventory: SourceInventory,
  target: DatabaseReader,
): Promise<Map<string, TargetCollection>> {
  const found = new Map<string, TargetCollection>();
  const databases = [...new Set(inventory.collections.map((entry) => entry.database))];
  for (const database of databases) {
    const listed = new Map((await target.listCollections(database)).map((entry) => [entry.name, entry]));
    for (const entry of inventory.collections.filter((candidate) => candidate.database === database)) {
      const collection = listed.get(entry.collection);
      if (collection === undefined) continue;
      found.set(namespace(entry), {
        indexes: await target.listIndexes(database, entry.collection),
        estimatedCount: await target.estimatedCount(database, entry.collection),
        hasValidator: collection.hasValidator,
        capped: collection.capped,
      });
    }
  }
  return found;
}

/**
 * The target against the source's inventory: a missing collection, index or validator fails, as does a capped
 * collection restored uncapped; estimated counts must
 * be within the tolerance (a percentage of the source's count). Each failure is its own check (up to
 * MAX_LISTED_FAILURES); what passed is summed up in `structure` and `counts`. A truncated inventory adds an unknown
 * check: what it did not list was not compared.
 */
export function compareStructure(
  inventory: SourceInventory,
  target: ReadonlyMap<string, TargetCollection>,
  options: CompareOptions,
): CheckResult[] {
  const structureFailures: CheckResult[] = [];
  const countFailures: CheckResult[] = [];
  let indexCount = 0;
  let countsCompared = 0;
  for (const source of inventory.collections) {
    const name = namespace(source);
    const found = target.get(name);
    if (found === undefined) {
      structureFailures.push({
        name: `collection:${name}`,
        verdict: 'fail',
        reason: `collection ${name} is missing on the target (the source had ${source.estimatedCount} documents)`,
      });
      continue;
    }
    indexCount += source.indexes.length;
    const missingIndexes = source.indexes.filter((index) => !found.indexes.includes(index));
    if (missingIndexes.length > 0) {
      structureFailures.push({
        name: `indexes:${name}`,
        verdict: 'fail',
        reason: `missing on the target: ${missingIndexes.join(', ')} (expected ${source.indexes.length} indexes, found ${found.indexes.length})`,
      });
    }
    if (source.hasValidator && !found.hasValidator) {
      structureFailures.push({
        name: `validator:${name}`,
        verdict: 'fail',
        reason: `the source's validator is missing on the target`,
      });
    }
    // A capped collection restored uncapped grows without bound (the heartbeat collection among them).
    if (source.capped && !found.capped) {
      structureFailures.push({
        name: `capped:${name}`,
        verdict: 'fail',
        reason: `the source's collection is capped, the target's is not`,
      });
    }
    const isHeartbeats =
      options.heartbeats !== undefined &&
      source.database === options.heartbeats.database &&
      source.collection === options.heartbeats.collection;
    if (isHeartbeats) continue;
    countsCompared += 1;
    const allowed = (source.estimatedCount * options.countTolerancePercent) / 100;
    if (Math.abs(found.estimatedCount - source.estimatedCount) > allowed) {
      countFailures.push({
        name: `count:${name}`,
        verdict: 'fail',
        reason: `expected about ${source.estimatedCount} documents (±${options.countTolerancePercent} %), found ${found.estimatedCount}`,
      });
    }
  }

  const checks: CheckResult[] = [];
  if (structureFailures.length === 0) {
    checks.push({
      name: 'structure',
      verdict: 'pass',
      reason: `${inventory.collections.length} collections and ${indexCount} indexes of the source found, validators and capped collections included`,
    });
  }
  if (countFailures.length === 0) {
    checks.push({
      name: 'counts',
      verdict: 'pass',
      reason: `${countsCompared} collections within ${options.countTolerancePercent} % of the source's estimated counts`,
    });
  }
  const failures = [...structureFailures, ...countFailures];
  checks.push(...failures.slice(0, MAX_LISTED_FAILURES));
  if (failures.length > MAX_LISTED_FAILURES) {
    checks.push({
      name: 'structure:more',
      verdict: 'fail',
      reason: `${failures.length - MAX_LISTED_FAILURES} more failures not listed`,
    });
  }
  if (inventory.truncated) {
    checks.push({
      name: 'inventory',
      verdict: 'unknown',
      reason: `the source inventory was truncated at ${inventory.collections.length} collections: the rest was not compared`,
    });
  }
  return checks;
}

function namespace(entry: { readonly database: string; readonly collection: string }): string {
  return `${entry.database}.${entry.collection}`;
}
