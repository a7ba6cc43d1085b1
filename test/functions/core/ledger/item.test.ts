import { describe, expect, it } from 'vitest';
import { fromItem, toItem } from '../../../../functions/core/ledger/item.ts';
import type { Operation, OutcomeKind, PendingMessage } from '../../../../functions/core/workflow/operation.ts';
import { sampleOperation } from './ledger-contract.ts';

const T0 = Date.UTC(2026, 10, 28, 6, 0, 0);
const restoreEnd = (outcome: OutcomeKind) => ({ outcome, errorCode: 'E', reason: 'r', finishedAt: T0, rtoSeconds: 3 });

/** An operation with every field the ledger stores set, none undefined. */
function everyField(): Operation {
  const base = sampleOperation();
  return {
    ...base,
    previousToken: 't-1',
    pending: { kind: 'wait', dueAt: T0 + 1, until: T0 + 2, next: 'teardown' },
    handedOff: true,
    deferAttempts: 2,
    lastDeferReason: 'X: y',
    claimToken: 'c1',
    claimedAt: T0 + 3,
    firstClaimedAt: T0 + 4,
    priorJobIds: ['6650d1e2f3a4b5c6d7e8f9a1'],
    snapshotId: '6650d1e2f3a4b5c6d7e8f9a2',
    snapshotAt: T0 + 5,
    restoreJobId: '6650d1e2f3a4b5c6d7e8f9a3',
    submittedAt: T0 + 6,
    adopted: false,
    polls: 7,
    atlasCalls: 8,
    timeoutDecidedAt: T0 + 9,
    outageSince: T0 + 10,
    outcome: 'timedOut',
    outcomeReason: 'late',
    errorCode: 'RESTORE_TIMED_OUT',
    finishedAt: T0 + 11,
    rtoSeconds: 12,
    rpoSeconds: 13,
    outcomeRecordedAt: T0 + 14,
    reportedAt: T0 + 15,
    inventoryRequestedAt: T0 + 16,
    sourceInventory: {
      capturedAt: T0 + 17,
      collections: [
        {
          database: 'shop',
          collection: 'orders',
          estimatedCount: 1,
          indexes: ['_id_'],
          hasValidator: true,
          capped: false,
        },
      ],
      truncated: true,
    },
    verification: {
      status: 'recorded',
      requestedAt: T0 + 18,
      result: {
        verdict: 'pass',
        checks: [{ name: 'heartbeat-rpo', verdict: 'pass', reason: 'ok' }],
        recordedAt: T0 + 19,
      },
    },
    restoreEnd: restoreEnd('expired'),
    ephemeralCluster: {
      groupId: '6a1b2c3d4e5f6a7b8c9d0e1f',
      clusterName: 'drill-0123456789',
      createdByOperation: base.operationId,
      claimToken: 'e1',
      claimedAt: T0 + 20,
      instanceSize: 'M30',
      hourlyPriceUsd: 0.54,
      createdAt: T0 + 21,
      adopted: true,
      createRefused: 'no',
      idleAt: T0 + 22,
      teardownAt: T0 + 23,
      deleteRequestedAt: T0 + 24,
      deletedAt: T0 + 25,
      deleteRefused: 'guard',
      clusterHours: 0.5,
      estimatedCostUsd: 0.27,
    },
  };
}

describe('ledger items: an operation written as an item and read back', () => {
  it('reads back every field as written, with no attribute left over as undefined', () => {
    // Prepare
    const operation = everyField();

    // Act
    const read = fromItem(toItem(operation));

    // Assess
    expect(read).toStrictEqual(operation);
  });

  it('reads back a new operation, and a finished one without a pending message, as they were', () => {
    // Prepare
    const created = sampleOperation();
    const { pending: _pending, ...rest } = sampleOperation();
    const finished: Operation = { ...rest, outcome: 'failed', outcomeReason: 'x', finishedAt: T0 };

    // Act
    const read = [fromItem(toItem(created)), fromItem(toItem(finished))];

    // Assess
    expect(read).toStrictEqual([created, finished]);
  });

  it('reads back a pending message without until and next, and a verification requested but not recorded', () => {
    // Prepare
    const operation: Operation = {
      ...sampleOperation(),
      pending: { kind: 'verify', dueAt: T0 },
      verification: { status: 'pending', requestedAt: T0 + 1 },
    };

    // Act
    const read = fromItem(toItem(operation));

    // Assess
    expect(read).toStrictEqual(operation);
  });

  it('reads back a verification result recorded before its request time', () => {
    // Prepare
    const result = { verdict: 'unknown' as const, checks: [], recordedAt: T0 };
    const operation: Operation = { ...sampleOperation(), verification: { status: 'recorded', result } };

    // Act
    const read = fromItem(toItem(operation));

    // Assess
    expect(read).toStrictEqual(operation);
  });

  it.each<OutcomeKind>(['succeeded', 'failed', 'cancelled', 'expired', 'timedOut', 'refused', 'dryRun', 'reaped'])(
    'reads back the outcome %s, and a restore end of that kind',
    (outcome) => {
      // Prepare
      const operation: Operation = { ...sampleOperation(), outcome, restoreEnd: restoreEnd(outcome) };

      // Act
      const read = fromItem(toItem(operation));

      // Assess
      expect(read).toMatchObject({ outcome, restoreEnd: { outcome } });
    },
  );

  it.each<PendingMessage>([
    { kind: 'start', dueAt: T0 },
    { kind: 'poll', dueAt: T0 },
    { kind: 'verify', dueAt: T0 },
    { kind: 'teardown', dueAt: T0 },
    { kind: 'wait', dueAt: T0, until: T0 + 1, next: 'start' },
    { kind: 'wait', dueAt: T0, until: T0 + 1, next: 'poll' },
    { kind: 'wait', dueAt: T0, until: T0 + 1, next: 'verify' },
    { kind: 'wait', dueAt: T0, until: T0 + 1, next: 'teardown' },
  ])('reads back the pending message %o', (pending) => {
    // Prepare
    const operation: Operation = { ...sampleOperation(), pending };

    // Act
    const read = fromItem(toItem(operation));

    // Assess
    expect(read.pending).toStrictEqual(pending);
  });

  it('reads an item written before handedOff and the counters existed as not handed off, counts 0', () => {
    // Prepare
    const { handedOff: _h, deferAttempts: _d, polls: _p, atlasCalls: _a, ...older } = toItem(sampleOperation());

    // Act
    const read = fromItem(older);

    // Assess
    expect(read).toMatchObject({ handedOff: false, deferAttempts: 0, polls: 0, atlasCalls: 0 });
  });

  it('stores the delivery type, and the target as group/cluster only when the request names one', () => {
    // Prepare
    const toTarget = sampleOperation();
    const download = sampleOperation(
      {},
      { deliveryType: 'download', targetGroupId: undefined, targetClusterName: undefined },
    );

    // Act
    const [targetItem, downloadItem] = [toItem(toTarget), toItem(download)];

    // Assess
    expect(targetItem.deliveryType).toEqual({ S: toTarget.request.deliveryType });
    expect(targetItem.targetKey).toEqual({
      S: `${toTarget.request.targetGroupId}/${toTarget.request.targetClusterName}`,
    });
    expect(downloadItem.deliveryType).toEqual({ S: 'download' });
    expect(downloadItem.targetKey).toBeUndefined();
  });

  it.each([
    ['request', { S: '{"requestId":' }],
    ['priorJobIds', { S: 'not json' }],
    ['restoreEnd', { S: '{"outcome":"won"}' }],
    ['ephemeralCluster', { S: '{}' }],
    ['pendingKind', { S: 'sleep' }],
    ['expiresAt', { N: '-1' }],
    ['requestedAt', { S: 'yesterday' }],
  ])('refuses an item whose %s is corrupt, naming the attribute', (name, value) => {
    // Prepare
    const item = { ...toItem(sampleOperation()), [name]: value };

    // Act
    const read = () => fromItem(item);

    // Assess
    expect(read).toThrow(
      expect.objectContaining({
        name: 'LedgerItemError',
        code: 'LEDGER_ITEM_INVALID',
        message: expect.stringContaining(name),
      }),
    );
  });
});
