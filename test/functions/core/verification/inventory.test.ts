import { describe, expect, it } from 'vitest';
import { captureInventory } from '../../../../functions/core/verification/inventory.ts';
import { type CallLog, memorySession } from './memory-database.ts';

const source = () => ({
  admin: { 'system.users': { documents: [{}], indexes: ['_id_'] }, atlascli: { documents: [{}], indexes: ['_id_'] } },
  local: { 'oplog.rs': { documents: [{}], indexes: [] } },
  config: { system: { documents: [], indexes: ['_id_'] } },
  shop: {
    orders: { documents: [{}, {}, {}], indexes: ['_id_', 'createdAt_1'], validator: true },
    'system.views': { documents: [{}], indexes: ['_id_'] },
    bigOrders: { documents: [], indexes: [], view: true },
  },
  atlas_restore: { heartbeats: { documents: [{}], indexes: ['_id_'], capped: true } },
});

describe('Function: captureInventory', () => {
  it('lists application collections with indexes, validator, capped and estimated count; skips system databases, views and system.*', async () => {
    const inventory = await captureInventory(memorySession(source()), { capturedAt: 7 });
    expect(inventory).toEqual({
      capturedAt: 7,
      truncated: false,
      collections: [
        {
          database: 'atlas_restore',
          collection: 'heartbeats',
          estimatedCount: 1,
          indexes: ['_id_'],
          hasValidator: false,
          capped: true,
        },
        {
          database: 'shop',
          collection: 'orders',
          estimatedCount: 3,
          indexes: ['_id_', 'createdAt_1'],
          hasValidator: true,
          capped: false,
        },
      ],
    });
  });

  it('stops at the bound and says it was truncated', async () => {
    const inventory = await captureInventory(memorySession(source()), { capturedAt: 7, maxCollections: 1 });
    expect(inventory.collections).toHaveLength(1);
    expect(inventory.truncated).toBe(true);
  });

  it('sends only listings and counts without a query', async () => {
    const calls: CallLog = [];
    await captureInventory(memorySession(source(), calls), { capturedAt: 7 });
    expect(new Set(calls)).toEqual(new Set(['listDatabases', 'listCollections', 'listIndexes', 'estimatedCount']));
  });
});
