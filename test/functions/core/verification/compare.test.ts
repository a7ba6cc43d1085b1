import { describe, expect, it } from 'vitest';
import type { SourceInventory } from '../../../../functions/core/contract/verification.ts';
import {
  compareStructure,
  MAX_LISTED_FAILURES,
  readTarget,
  type TargetCollection,
} from '../../../../functions/core/verification/compare.ts';
import { memorySession } from './memory-database.ts';

function inventory(overrides: Partial<SourceInventory> = {}): SourceInventory {
  return {
    capturedAt: 1,
    truncated: false,
    collections: [
      {
        database: 'shop',
        collection: 'orders',
        estimatedCount: 1000,
        indexes: ['_id_', 'createdAt_1'],
        hasValidator: true,
        capped: false,
      },
      {
        database: 'atlas_restore',
        collection: 'heartbeats',
        estimatedCount: 500,
        indexes: ['_id_'],
        hasValidator: false,
        capped: true,
      },
    ],
    ...overrides,
  };
}

/** shop.orders as a faithful restore has it, with `changes`. */
const orders = (changes: Partial<TargetCollection> = {}): TargetCollection => ({
  indexes: ['_id_', 'createdAt_1'],
  estimatedCount: 1000,
  hasValidator: true,
  capped: false,
  ...changes,
});
/** atlas_restore.heartbeats as a faithful restore has it, with `changes`. */
const heartbeats = (changes: Partial<TargetCollection> = {}): TargetCollection => ({
  indexes: ['_id_'],
  estimatedCount: 3,
  hasValidator: false,
  capped: true,
  ...changes,
});
const complete = (): Map<string, TargetCollection> =>
  new Map([
    ['shop.orders', orders()],
    ['atlas_restore.heartbeats', heartbeats()],
  ]);
/** `count` one-document collections db.c0, db.c1, … of a source inventory. */
const collectionsNamed = (count: number) =>
  Array.from({ length: count }, (_unused, index) => ({
    database: 'db',
    collection: `c${index}`,
    estimatedCount: 1,
    indexes: ['_id_'],
    hasValidator: false,
    capped: false,
  }));
const options = { countTolerancePercent: 5, heartbeats: { database: 'atlas_restore', collection: 'heartbeats' } };

describe('Function: compareStructure', () => {
  it("passes a complete target, never comparing the heartbeat collection's count", () => {
    const checks = compareStructure(inventory(), complete(), options);
    expect(checks.map((check) => [check.name, check.verdict])).toEqual([
      ['structure', 'pass'],
      ['counts', 'pass'],
    ]);
    expect(checks[1]?.reason).toContain('1 collections within 5 %');
  });

  it('fails a missing collection', () => {
    const target = complete();
    target.delete('shop.orders');
    const checks = compareStructure(inventory(), target, options);
    expect(checks).toContainEqual(expect.objectContaining({ name: 'collection:shop.orders', verdict: 'fail' }));
    expect(checks.some((check) => check.name === 'structure')).toBe(false);
  });

  it('fails a missing index, naming it', () => {
    const target = complete();
    target.set('shop.orders', orders({ indexes: ['_id_'] }));
    const failed = compareStructure(inventory(), target, options).find((check) => check.name === 'indexes:shop.orders');
    expect(failed).toMatchObject({ verdict: 'fail', reason: expect.stringContaining('createdAt_1') });
  });

  it('fails a missing validator', () => {
    const target = complete();
    target.set('shop.orders', orders({ hasValidator: false }));
    expect(compareStructure(inventory(), target, options)).toContainEqual(
      expect.objectContaining({ name: 'validator:shop.orders', verdict: 'fail' }),
    );
  });

  it('fails a capped collection restored uncapped, and passes an uncapped source whatever the target', () => {
    const uncapped = complete();
    uncapped.set('atlas_restore.heartbeats', heartbeats({ capped: false }));
    const cappedTarget = complete();
    cappedTarget.set('shop.orders', orders({ capped: true }));
    expect(compareStructure(inventory(), uncapped, options)).toContainEqual({
      name: 'capped:atlas_restore.heartbeats',
      verdict: 'fail',
      reason: "the source's collection is capped, the target's is not",
    });
    expect(compareStructure(inventory(), cappedTarget, options).every((check) => check.verdict === 'pass')).toBe(true);
  });

  it('passes counts within the tolerance and fails beyond it, saying expected and found', () => {
    const target = complete();
    target.set('shop.orders', orders({ estimatedCount: 950 }));
    expect(compareStructure(inventory(), target, options).every((check) => check.verdict === 'pass')).toBe(true);
    target.set('shop.orders', orders({ estimatedCount: 949 }));
    expect(compareStructure(inventory(), target, options)).toContainEqual({
      name: 'count:shop.orders',
      verdict: 'fail',
      reason: 'expected about 1000 documents (±5 %), found 949',
    });
  });

  it('sums up in the passes how many collections, indexes and counts were compared', () => {
    const checks = compareStructure(inventory(), complete(), options);
    expect(checks.find((check) => check.name === 'structure')?.reason).toMatch(/^2 collections and 3 indexes /);
    expect(checks.find((check) => check.name === 'counts')?.reason).toMatch(/^1 collections within /);
  });

  it('does not pass the counts when a count fails', () => {
    const target = complete();
    target.set('shop.orders', orders({ estimatedCount: 10 }));
    expect(compareStructure(inventory(), target, options).map((check) => [check.name, check.verdict])).toEqual([
      ['structure', 'pass'],
      ['count:shop.orders', 'fail'],
    ]);
  });

  it("compares every count but the heartbeat collection's: same name elsewhere, or its database's others", () => {
    const emptied = { estimatedCount: 1000, indexes: ['_id_'], hasValidator: false, capped: false };
    const collections = [
      { ...emptied, database: 'shop', collection: 'heartbeats' },
      { ...emptied, database: 'atlas_restore', collection: 'settings' },
    ];
    const target = new Map([
      ['shop.heartbeats', { indexes: ['_id_'], estimatedCount: 0, hasValidator: false, capped: false }],
      ['atlas_restore.settings', { indexes: ['_id_'], estimatedCount: 0, hasValidator: false, capped: false }],
    ]);
    const failed = compareStructure(inventory({ collections }), target, options)
      .filter((check) => check.verdict === 'fail')
      .map((check) => check.name);
    expect(failed).toEqual(['count:shop.heartbeats', 'count:atlas_restore.settings']);
  });

  it('compares the count of a heartbeat collection when no heartbeats are configured', () => {
    const target = complete();
    const checks = compareStructure(inventory(), target, { countTolerancePercent: 5 });
    expect(checks).toContainEqual(expect.objectContaining({ name: 'count:atlas_restore.heartbeats', verdict: 'fail' }));
  });

  it('adds an unknown check when the inventory was truncated', () => {
    const checks = compareStructure(inventory({ truncated: true }), complete(), options);
    expect(checks).toContainEqual(expect.objectContaining({ name: 'inventory', verdict: 'unknown' }));
  });

  it('lists at most MAX_LISTED_FAILURES failures and counts the rest', () => {
    const many = collectionsNamed(MAX_LISTED_FAILURES + 7);
    const checks = compareStructure(inventory({ collections: many }), new Map(), options);
    expect(checks.filter((check) => check.name.startsWith('collection:'))).toHaveLength(MAX_LISTED_FAILURES);
    expect(checks).toContainEqual({ name: 'structure:more', verdict: 'fail', reason: '7 more failures not listed' });
  });
  it('lists exactly MAX_LISTED_FAILURES failures without a line for more', () => {
    const many = collectionsNamed(MAX_LISTED_FAILURES);
    const checks = compareStructure(inventory({ collections: many }), new Map(), options);
    expect(checks.filter((check) => check.verdict === 'fail')).toHaveLength(MAX_LISTED_FAILURES);
    expect(checks.some((check) => check.name === 'structure:more')).toBe(false);
  });
});

describe('Function: readTarget', () => {
  it('reads what the inventory lists, leaving out what the target lacks', async () => {
    const session = memorySession({
      shop: { orders: { documents: [{}, {}], indexes: ['_id_'], validator: true } },
    });
    const target = await readTarget(inventory(), session);
    expect([...target.entries()]).toEqual([
      ['shop.orders', { indexes: ['_id_'], estimatedCount: 2, hasValidator: true, capped: false }],
    ]);
  });

  it('does not find a collection missing in one database through a same-named one in another', async () => {
    const session = memorySession({
      shop: { orders: { documents: [{}], indexes: ['_id_'] } },
      archive: {},
    });
    const collections = [
      {
        database: 'shop',
        collection: 'orders',
        estimatedCount: 1,
        indexes: ['_id_'],
        hasValidator: false,
        capped: false,
      },
      {
        database: 'archive',
        collection: 'orders',
        estimatedCount: 1,
        indexes: ['_id_'],
        hasValidator: false,
        capped: false,
      },
    ];
    const target = await readTarget(inventory({ collections }), session);
    expect([...target.keys()]).toEqual(['shop.orders']);
  });
});
