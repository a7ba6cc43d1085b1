import { type Collection, Long, type MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataPlane, startDataPlane } from './index.ts';
import { DriverClients, TestHost } from './test-host.ts';

const GROUP = '6789abcdef0123456789abcd';
const CLUSTER = 'Cluster0';

interface Heartbeat {
  _id: ObjectId;
  seq: number;
  at: Date;
  writer: string;
  tags?: string[];
  meta?: { region: string };
}

describe('Wire protocol: queries, cursors and counts', () => {
  const host = new TestHost();
  const start = host.now();
  let plane: DataPlane;
  let clients: DriverClients;
  let client: MongoClient;
  let heartbeats: Collection<Heartbeat>;
  const ids = Array.from({ length: 7 }, () => new ObjectId());

  beforeAll(async () => {
    host.addCluster(GROUP, CLUSTER);
    host.addUser(GROUP, {
      username: 'writer',
      password: 'writer-secret',
      roles: [{ roleName: 'readWrite', databaseName: 'atlas_restore' }],
    });
    plane = await startDataPlane({ host });
    clients = new DriverClients(plane.caFile);
    const { connectionString } = await plane.listen(GROUP, CLUSTER);
    client = clients.connect(connectionString, { username: 'writer', password: 'writer-secret' });
    heartbeats = client.db('atlas_restore').collection<Heartbeat>('heartbeats');
    await heartbeats.insertMany(
      ids.map((_id, index) => ({
        _id,
        seq: index + 1,
        at: new Date(start + index * 60_000),
        writer: index % 2 === 0 ? 'a' : 'b',
        ...(index === 3 ? { tags: ['x', 'y'], meta: { region: 'eu' } } : {}),
      })),
    );
  });
  afterAll(async () => {
    await clients.closeAll();
    await plane.close();
  });

  it('finds the newest heartbeat with a sort on a date and a limit', async () => {
    // Act
    const newest = await heartbeats.find({}).sort({ at: -1 }).limit(1).toArray();

    // Assess
    expect(newest.map((document) => document.seq)).toEqual([7]);
  });

  it('sorts on several fields, skips and limits', async () => {
    // Act
    const page = await heartbeats.find({}, { sort: { writer: 1, seq: -1 }, skip: 1, limit: 3 }).toArray();

    // Assess
    expect(page.map((document) => [document.writer, document.seq])).toEqual([
      ['a', 5],
      ['a', 3],
      ['a', 1],
    ]);
  });

  it.each([
    ['implicit equality', { writer: 'b' }, [2, 4, 6]],
    ['$gt on a date', { at: { $gt: new Date(start + 4 * 60_000) } }, [6, 7]],
    ['$gte and $lt', { seq: { $gte: 2, $lt: 4 } }, [2, 3]],
    ['$lte', { seq: { $lte: 1 } }, [1]],
    ['$ne', { writer: { $ne: 'a' } }, [2, 4, 6]],
    ['$in', { seq: { $in: [1, 7, 99] } }, [1, 7]],
    ['$nin', { seq: { $nin: [1, 2, 3, 4, 5] } }, [6, 7]],
    ['$exists', { tags: { $exists: true } }, [4]],
    ['$exists false', { tags: { $exists: false }, seq: { $lt: 3 } }, [1, 2]],
    ['an array element', { tags: 'y' }, [4]],
    ['a dotted path', { 'meta.region': 'eu' }, [4]],
    ['$and', { $and: [{ writer: 'a' }, { seq: { $gt: 3 } }] }, [5, 7]],
    ['$or', { $or: [{ seq: 1 }, { seq: 6 }] }, [1, 6]],
    ['an ObjectId', { _id: ids[2] }, [3]],
    ['$gt on an ObjectId', { _id: { $gt: ids[5] } }, [7]],
    ['$eq null (missing field)', { meta: null, seq: { $lte: 2 } }, [1, 2]],
  ])('filters with %s', async (_name, filter, expected) => {
    // Act
    const found = await heartbeats
      .find(filter as Record<string, unknown>)
      .sort({ seq: 1 })
      .toArray();

    // Assess
    expect(found.map((document) => document.seq)).toEqual(expected);
  });

  it('compares numbers of different BSON types by value and keeps Long values', async () => {
    // Prepare
    const mixed = client.db('atlas_restore').collection('mixed');
    await mixed.insertMany([{ v: Long.fromNumber(3) }, { v: 2.5 }, { v: 1 }, { v: 'text' }, { v: null }]);

    // Act
    const sorted = await mixed
      .find({}, { projection: { _id: 0 } })
      .sort({ v: 1 })
      .toArray();
    const greater = await mixed.find({ v: { $gt: 2 } }, { projection: { _id: 0 } }).toArray();
    const raw = await mixed.findOne({ v: 3 }, { promoteLongs: false });

    // Assess
    expect(sorted.map((document) => document.v)).toEqual([null, 1, 2.5, 3, 'text']);
    expect(greater.map((document) => document.v)).toEqual([3, 2.5]);
    expect(raw?.v).toBeInstanceOf(Long);
  });

  it('projects by inclusion and by exclusion', async () => {
    // Act
    const included = await heartbeats.findOne({ seq: 4 }, { projection: { seq: 1, 'meta.region': 1 } });
    const withoutId = await heartbeats.findOne({ seq: 4 }, { projection: { _id: 0, seq: 1 } });
    const excluded = await heartbeats.findOne({ seq: 4 }, { projection: { tags: 0, meta: 0, at: 0 } });

    // Assess
    expect(included).toEqual({ _id: ids[3], seq: 4, meta: { region: 'eu' } });
    expect(withoutId).toEqual({ seq: 4 });
    expect(excluded).toEqual({ _id: ids[3], seq: 4, writer: 'b' });
  });

  it('answers in several batches through getMore, and kills a cursor closed early', async () => {
    // Act
    const all = await heartbeats.find({}, { batchSize: 2 }).toArray();
    const cursor = heartbeats.find({}, { batchSize: 2 });
    await cursor.next();
    await cursor.close();

    // Assess
    const commands = plane.commands().map((entry) => entry.command);
    expect(all).toHaveLength(7);
    expect(commands.filter((command) => command === 'getMore').length).toBeGreaterThanOrEqual(3);
    expect(commands).toContain('killCursors');
  });

  it('answers 101 documents in a first batch by default, the rest on getMore', async () => {
    // Prepare
    const many = client.db('atlas_restore').collection('many');
    await many.insertMany(Array.from({ length: 150 }, (_, seq) => ({ seq })));

    // Act
    const cursor = many.find({});
    await cursor.hasNext();
    const firstBatch = cursor.bufferedCount();
    const all = await cursor.toArray();

    // Assess
    expect(firstBatch).toBe(101);
    expect(all).toHaveLength(150);
  });

  it('counts with countDocuments (aggregate) and estimatedDocumentCount (count)', async () => {
    // Act
    const filtered = await heartbeats.countDocuments({ writer: 'a' });
    const limited = await heartbeats.countDocuments({}, { skip: 2, limit: 3 });
    const estimated = await heartbeats.estimatedDocumentCount();
    const none = await heartbeats.countDocuments({ writer: 'nobody' });

    // Assess
    expect([filtered, limited, estimated, none]).toEqual([4, 3, 7, 0]);
  });

  it('aggregates with $match, $sort, $limit, $project, $group and $count', async () => {
    // Act
    const counted = await heartbeats.aggregate([{ $match: { seq: { $gt: 2 } } }, { $count: 'n' }]).toArray();
    const grouped = await heartbeats
      .aggregate([{ $group: { _id: '$writer', n: { $sum: 1 }, newest: { $max: '$at' } } }, { $sort: { _id: 1 } }])
      .toArray();
    const projected = await heartbeats
      .aggregate([{ $sort: { seq: -1 } }, { $limit: 2 }, { $project: { _id: 0, seq: 1 } }])
      .toArray();

    // Assess
    expect(counted).toEqual([{ n: 5 }]);
    expect(grouped).toEqual([
      { _id: 'a', n: 4, newest: new Date(start + 6 * 60_000) },
      { _id: 'b', n: 3, newest: new Date(start + 5 * 60_000) },
    ]);
    expect(projected).toEqual([{ seq: 7 }, { seq: 6 }]);
  });

  it('refuses an unknown query operator or pipeline stage as MongoDB does', async () => {
    // Act
    const operator = await heartbeats
      .findOne({ seq: { $near: 1 } } as Record<string, unknown>)
      .catch((caught: unknown) => caught);
    const stage = await heartbeats
      .aggregate([{ $lookup: { from: 'x' } }])
      .toArray()
      .catch((caught: unknown) => caught);

    // Assess
    expect(operator).toMatchObject({ code: 2, message: 'unknown operator: $near' });
    expect(stage).toMatchObject({ code: 2, message: "Unrecognized pipeline stage name: '$lookup'" });
  });
});
