import { Binary, Decimal128, Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { ClusterData } from './cluster-data.ts';

describe('ClusterData: BSON values', () => {
  it('keeps the BSON types of the documents it stores (ObjectId, Long, Date, Binary, Decimal128)', () => {
    // Prepare
    const data = new ClusterData();
    const document = {
      _id: new ObjectId(),
      seq: Long.fromNumber(7),
      at: new Date(1_700_000_000_000),
      payload: new Binary(Buffer.from('abc')),
      price: Decimal128.fromString('1.10'),
    };

    // Act
    data.apply({ kind: 'insert', db: 'db', collection: 'c', documents: [document] }, 1);
    const stored = data.stateAt(1).collection('db', 'c')?.documents[0] ?? {};

    // Assess
    expect(stored._id).toBeInstanceOf(ObjectId);
    expect((stored._id as ObjectId).equals(document._id)).toBe(true);
    expect(stored.seq).toEqual(Long.fromNumber(7));
    expect(stored.seq).toBeInstanceOf(Long);
    expect(stored.at).toEqual(new Date(1_700_000_000_000));
    expect(stored.payload).toBeInstanceOf(Binary);
    expect(stored.price).toBeInstanceOf(Decimal128);
  });
});
