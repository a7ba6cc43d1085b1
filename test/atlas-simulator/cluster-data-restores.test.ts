import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import type { ClusterData } from './data/cluster-data.ts';
import { DEFAULT_DURATIONS } from './lifecycle.ts';
import { SimulatorStore } from './state.ts';

const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 30, 12, 0, 0);

function world() {
  const clock = new SimulatedClock({ start: START, scale: 0 });
  const store = new SimulatorStore(clock, DEFAULT_DURATIONS);
  const groupId = store.addProject();
  store.addCluster(groupId, { name: 'source' });
  store.addCluster(groupId, { name: 'target' });
  const data = (name: string) => store.clusterData(groupId, name) as ClusterData;
  const write = (name: string, collection: string, document: Record<string, unknown>) =>
    data(name).apply({ kind: 'insert', db: 'shop', collection, documents: [document] }, clock.now());
  const names = (name: string, collection = 'orders', db = 'shop') =>
    (data(name).collection(db, collection)?.documents ?? []).map((document) => document.name as string);
  return { clock, store, groupId, data, write, names };
}

describe('Simulated clusters: snapshots and restores carry data through time', () => {
  it('serves no connection string and refuses connections while the cluster is being created or deleted', () => {
    // Prepare
    const { store, groupId } = world();
    store.dataPlanePorts.set(`${groupId}/target`, 27_017);
    const standard = () =>
      (store.cluster(groupId, 'target')?.connectionStrings as { standard?: string } | undefined)?.standard;

    // Act
    const idle = { standard: standard(), reachable: store.dataPlaneReachable(groupId, 'target') };
    store.updateCluster(groupId, 'target', { stateName: 'CREATING' });
    const creating = { standard: standard(), reachable: store.dataPlaneReachable(groupId, 'target') };
    store.updateCluster(groupId, 'target', { stateName: 'DELETING' });
    const deleting = store.dataPlaneReachable(groupId, 'target');

    // Assess
    expect(idle).toEqual({
      standard: expect.stringMatching(/^mongodb:\/\/127\.0\.0\.1:27017\/\?tls=true/),
      reachable: true,
    });
    expect(creating).toEqual({ standard: undefined, reachable: false });
    expect(deleting).toBe(false);
  });

  it('restores what the snapshot saw at its createdAt: a later write is on the source, not on the target', () => {
    // Prepare
    const { clock, store, groupId, write, names } = world();
    write('target', 'orders', { name: 'target-own' });
    write('source', 'orders', { name: 'before' });
    clock.advance(MINUTE);
    const snapshotId = store.addSnapshot(groupId, 'source', { startedAt: clock.now() });
    clock.advance(MINUTE);
    write('source', 'orders', { name: 'after' });
    clock.advance(10 * MINUTE);

    // Act
    const jobId = store.addRestoreJob(groupId, 'source', {
      deliveryType: 'automated',
      snapshotId,
      targetGroupId: groupId,
      targetClusterName: 'target',
    });
    const whileRunning = { reachable: store.dataPlaneReachable(groupId, 'target'), names: names('target') };
    clock.advance(DEFAULT_DURATIONS.automatedRestoreMs);
    const finishedAt = Date.parse(store.restoreJob(groupId, 'source', jobId)?.finishedAt ?? '');

    // Assess
    expect(whileRunning).toEqual({ reachable: false, names: ['target-own'] });
    expect(store.dataPlaneReachable(groupId, 'target')).toBe(true);
    expect(names('target')).toEqual(['before']);
    expect(names('source')).toEqual(['before', 'after']);
    expect(store.clusterData(groupId, 'target')?.oplog()[0]?.at).toBe(finishedAt);
  });

  it('restores a point in time: the newest heartbeat at or before it, none after', () => {
    // Prepare
    const { clock, store, groupId, data, names } = world();
    const first = clock.now();
    for (let seq = 0; seq < 120; seq += 1) {
      data('source').apply(
        {
          kind: 'insert',
          db: 'atlas_restore',
          collection: 'heartbeats',
          documents: [{ _id: new ObjectId(), seq, at: new Date(clock.now()), writer: 'test', name: `hb-${seq}` }],
        },
        clock.now(),
      );
      clock.advance(MINUTE);
    }
    store.addSnapshot(groupId, 'source', { startedAt: first + 30 * MINUTE });
    const pointInTime = Math.floor((first + 90 * MINUTE + 30_000) / 1000);

    // Act
    store.addRestoreJob(groupId, 'source', {
      deliveryType: 'pointInTime',
      snapshotId: store.snapshots(groupId, 'source')[0]?.id ?? '',
      targetGroupId: groupId,
      targetClusterName: 'target',
      pointInTimeUTCSeconds: pointInTime,
    });
    clock.advance(DEFAULT_DURATIONS.pointInTimeRestoreMs);

    // Assess
    const restored = names('target', 'heartbeats', 'atlas_restore');
    expect(restored).toHaveLength(91);
    expect(restored.at(-1)).toBe('hb-90');
    expect(
      data('target')
        .collection('atlas_restore', 'heartbeats')
        ?.documents.every((hb) => hb.at <= new Date(pointInTime * 1000)),
    ).toBe(true);
  });

  it('changes nothing on the target when the restore job fails or is cancelled', () => {
    // Prepare
    const { clock, store, groupId, write, names } = world();
    write('source', 'orders', { name: 'source-doc' });
    write('target', 'orders', { name: 'target-own' });
    const snapshotId = store.addSnapshot(groupId, 'source', { startedAt: clock.now() });
    clock.advance(10 * MINUTE);
    const job = { deliveryType: 'automated', snapshotId, targetGroupId: groupId, targetClusterName: 'target' } as const;

    // Act
    const failed = store.addRestoreJob(groupId, 'source', job);
    store.setRestoreJobOutcome(failed, 'failed');
    clock.advance(DEFAULT_DURATIONS.automatedRestoreMs);
    const afterFailure = names('target');
    const cancelled = store.addRestoreJob(groupId, 'source', job);
    const record = store.findRestoreJob(groupId, 'source', cancelled);
    if (record) record.cancelledAt = clock.now();
    clock.advance(DEFAULT_DURATIONS.automatedRestoreMs);

    // Assess
    expect(afterFailure).toEqual(['target-own']);
    expect(names('target')).toEqual(['target-own']);
  });

  it('keeps what a snapshot saw when its cluster is itself restored onto later', () => {
    // Prepare
    const { clock, store, groupId, write, names } = world();
    write('source', 'orders', { name: 'source-old' });
    write('target', 'orders', { name: 'target-old' });
    const targetSnapshot = store.addSnapshot(groupId, 'target', { startedAt: clock.now() });
    const sourceSnapshot = store.addSnapshot(groupId, 'source', { startedAt: clock.now() });
    clock.advance(10 * MINUTE);

    // Act: the target is overwritten with the source, then its own earlier snapshot is restored back onto it.
    store.addRestoreJob(groupId, 'source', {
      deliveryType: 'automated',
      snapshotId: sourceSnapshot,
      targetGroupId: groupId,
      targetClusterName: 'target',
    });
    clock.advance(DEFAULT_DURATIONS.automatedRestoreMs);
    const overwritten = names('target');
    store.addRestoreJob(groupId, 'target', {
      deliveryType: 'automated',
      snapshotId: targetSnapshot,
      targetGroupId: groupId,
      targetClusterName: 'target',
    });
    clock.advance(DEFAULT_DURATIONS.automatedRestoreMs);

    // Assess
    expect(overwritten).toEqual(['source-old']);
    expect(names('target')).toEqual(['target-old']);
  });

  it('breaks restores on demand: a missing collection, only some kept, a truncated one; an unreachable cluster; a paused one', () => {
    // Prepare
    const { clock, store, groupId, data, write, names } = world();
    for (let index = 0; index < 10; index += 1) write('source', 'orders', { name: `order-${index}` });
    write('source', 'customers', { name: 'ada' });
    const snapshotId = store.addSnapshot(groupId, 'source', { startedAt: clock.now() });
    clock.advance(10 * MINUTE);
    const restore = () => {
      store.addRestoreJob(groupId, 'source', {
        deliveryType: 'automated',
        snapshotId,
        targetGroupId: groupId,
        targetClusterName: 'target',
      });
      clock.advance(DEFAULT_DURATIONS.automatedRestoreMs);
      return data('target').collectionNames('shop');
    };

    // Act
    store.dataFaults.breakRestoresOnto(groupId, 'target', { dropNamespaces: ['shop.customers'] });
    const dropped = restore();
    store.dataFaults.breakRestoresOnto(groupId, 'target', { keepOnlyNamespaces: ['shop.customers'] });
    const keptOnly = restore();
    store.dataFaults.breakRestoresOnto(groupId, 'target', { keepFraction: 0.5 });
    const truncated = restore();
    const truncatedOrders = names('target');
    store.dataFaults.setReachable(groupId, 'source', false);
    store.updateCluster(groupId, 'target', { paused: true });

    // Assess
    expect(dropped).toEqual(['orders']);
    expect(keptOnly).toEqual(['customers']);
    expect(truncated).toEqual(['customers', 'orders']);
    expect(truncatedOrders).toEqual(['order-0', 'order-1', 'order-2', 'order-3', 'order-4']);
    expect(store.dataPlaneReachable(groupId, 'source')).toBe(false);
    expect(store.dataPlaneReachable(groupId, 'target')).toBe(false);
    expect(() => store.dataFaults.breakRestoresOnto(groupId, 'target', { keepFraction: 1.5 })).toThrow(RangeError);
  });
});
