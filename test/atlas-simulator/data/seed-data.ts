import { ObjectId } from 'bson';
import type { ClusterData } from './cluster-data.ts';

const MINUTE_MS = 60_000;
const HOURS_OF_HEARTBEATS = 36;
const ORDER_EVERY_MINUTES = 10;
const CUSTOMERS = 20;
/** Heartbeats kept by the capped collection: two weeks at one a minute. */
export const HEARTBEATS_MAX = 20_160;

const ORDER_VALIDATOR = {
  $jsonSchema: {
    bsonType: 'object',
    required: ['customerEmail', 'total', 'createdAt'],
    properties: {
      customerEmail: { bsonType: 'string' },
      total: { bsonType: 'double', minimum: 0 },
      createdAt: { bsonType: 'date' },
    },
  },
};

/**
 * A source cluster's data: `shop.customers` (unique email), `shop.orders` (a `$jsonSchema` validator, an index on
 * createdAt, one order every 10 minutes) and `atlas_restore.heartbeats` (capped), one heartbeat per minute for the
 * 36 hours before `until`, each written at its own instant, so every snapshot and point in time sees the heartbeats
 * before it and none after.
 */
export function seedShopData(data: ClusterData, until: number): void {
  const from = until - HOURS_OF_HEARTBEATS * 60 * MINUTE_MS;
  data.apply({ kind: 'createCollection', db: 'shop', collection: 'customers', options: {} }, from);
  data.apply(
    {
      kind: 'createIndexes',
      db: 'shop',
      collection: 'customers',
      indexes: [{ name: 'email_1', key: { email: 1 }, unique: true }],
    },
    from,
  );
  data.apply(
    { kind: 'createCollection', db: 'shop', collection: 'orders', options: { validator: ORDER_VALIDATOR } },
    from,
  );
  data.apply(
    {
      kind: 'createIndexes',
      db: 'shop',
      collection: 'orders',
      indexes: [{ name: 'createdAt_1', key: { createdAt: 1 } }],
    },
    from,
  );
  data.apply(
    {
      kind: 'createCollection',
      db: 'atlas_restore',
      collection: 'heartbeats',
      options: { capped: true, size: 5_000_000, max: HEARTBEATS_MAX },
    },
    from,
  );
  const emails = Array.from({ length: CUSTOMERS }, (_, index) => `customer-${index + 1}@example.com`);
  data.apply(
    {
      kind: 'insert',
      db: 'shop',
      collection: 'customers',
      documents: emails.map((email, index) => ({ _id: idAt(from), email, name: `Customer ${index + 1}` })),
    },
    from,
  );
  let seq = 0;
  for (let at = from + MINUTE_MS; at <= until; at += MINUTE_MS) {
    seq += 1;
    data.apply(
      {
        kind: 'insert',
        db: 'atlas_restore',
        collection: 'heartbeats',
        documents: [{ _id: idAt(at), seq, at: new Date(at), writer: 'seed' }],
      },
      at,
    );
    if (seq % ORDER_EVERY_MINUTES === 0) {
      data.apply(
        {
          kind: 'insert',
          db: 'shop',
          collection: 'orders',
          documents: [
            {
              _id: idAt(at),
              customerEmail: emails[seq % CUSTOMERS],
              total: 10 + (seq % 90) + 0.5,
              createdAt: new Date(at),
            },
          ],
        },
        at,
      );
    }
  }
}

function idAt(at: number): ObjectId {
  return new ObjectId(ObjectId.generate(Math.floor(at / 1000)));
}
