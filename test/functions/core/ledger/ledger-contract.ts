/**
 * The ledger's contract, run against every implementation (DynamoDB on dynalite, and the in-memory fake the
 * workflow tests use): conditional writes decide races, and exactly one contender wins each.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workflowConfig } from '../../../../functions/core/config.ts';
import type { EphemeralCluster, Operation } from '../../../../functions/core/workflow/operation.ts';
import type { Ledger } from '../../../../functions/core/workflow/ports.ts';
import { newOperation } from '../../../../functions/core/workflow/service.ts';
import { requests } from '../workflow/fakes.ts';

let sequence = 0;
const T0 = Date.UTC(2026, 10, 28, 6, 0, 0);

/** A fresh operation with a unique id, at step 0 with token `t0`. */
export function sampleOperation(overrides: Partial<Operation> = {}, requestOverrides = {}): Operation {
  sequence += 1;
  const requestId = `op-${sequence}-${Math.random().toString(36).slice(2, 8)}`;
  const request = requests.automated({ requestId, ...requestOverrides });
  return {
    ...newOperation({ ...request, requestId: request.requestId ?? requestId }, T0, workflowConfig(), 't0'),
    ...overrides,
  };
}

/** A restore job id no other test uses (the DynamoDB ledger's table is shared by the whole file). */
const newJobId = () => randomBytes(12).toString('hex');
const at = (operation: Operation, step = 0, token = 't0') => ({ operationId: operation.operationId, step, token });
const poll = { kind: 'poll' as const, dueAt: T0 + 60_000 };

export function ledgerContract(name: string, makeLedger: () => Ledger) {
  describe(`Ledger contract: ${name}`, () => {
    it('creates an operation once and answers the stored one to a second create', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();

      // Act
      const first = await ledger.create(operation);
      const second = await ledger.create({ ...operation, stepToken: 'other', fingerprint: 'other' });

      // Assess
      expect(first).toEqual({ created: true, operation });
      expect(second).toEqual({ created: false, operation });
      expect(await ledger.get(operation.operationId)).toEqual(operation);
    });

    it('lets exactly one of concurrent creates win', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();

      // Act
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, index) => ledger.create({ ...operation, stepToken: `t${index}` })),
      );

      // Assess
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const stored = await ledger.get(operation.operationId);
      for (const result of results) expect(result.operation.stepToken).toBe(stored?.stepToken);
    });

    it('round-trips every field', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation(
        {},
        {
          deliveryType: 'pointInTime',
          snapshotId: undefined,
          pointInTimeUTCSeconds: 1_764_300_000,
          dryRun: true,
          maxWaitMinutes: 30,
        },
      );
      await ledger.create(operation);

      // Act
      await ledger.claim(at(operation), {
        token: 'c1',
        at: T0 + 1000,
        snapshotAt: T0 - 5000,
        priorJobIds: ['6650d1e2f3a4b5c6d7e8f9a1', '6650d1e2f3a4b5c6d7e8f9a2'],
      });
      await ledger.advance(
        at(operation),
        { token: 't1', pending: { kind: 'wait', dueAt: T0 + 900_000, until: T0 + 3_600_000, next: 'poll' } },
        {
          restoreJobId: '6650d1e2f3a4b5c6d7e8f9a0',
          submittedAt: T0 + 2000,
          adopted: true,
          lastDeferReason: 'X: y',
          timeoutDecidedAt: T0 + 3000,
          outageSince: T0 + 2500,
          expiresAt: operation.expiresAt + 10,
        },
        { polls: 2, atlasCalls: 7, deferAttempts: 1 },
        { claimToken: 'c1' },
      );
      await ledger.finish(
        at(operation, 1, 't1'),
        {
          outcome: 'succeeded',
          outcomeReason: 'done',
          finishedAt: T0 + 9000,
          rtoSeconds: 7,
          rpoSeconds: 5,
          outcomeRecordedAt: T0 + 9500,
          expiresAt: operation.expiresAt + 20,
        },
        { polls: 1, atlasCalls: 1 },
      );
      await ledger.markReported(operation.operationId, T0 + 9600);

      // Assess
      const { pending: _pending, ...expectedBase } = operation;
      expect(await ledger.get(operation.operationId)).toEqual({
        ...expectedBase,
        step: 1,
        stepToken: 't1',
        previousToken: 't0',
        handedOff: false,
        claimToken: 'c1',
        claimedAt: T0 + 1000,
        firstClaimedAt: T0 + 1000,
        priorJobIds: ['6650d1e2f3a4b5c6d7e8f9a1', '6650d1e2f3a4b5c6d7e8f9a2'],
        snapshotAt: T0 - 5000,
        restoreJobId: '6650d1e2f3a4b5c6d7e8f9a0',
        submittedAt: T0 + 2000,
        adopted: true,
        lastDeferReason: 'X: y',
        polls: 3,
        atlasCalls: 8,
        deferAttempts: 1,
        outcome: 'succeeded',
        outcomeReason: 'done',
        finishedAt: T0 + 9000,
        rtoSeconds: 7,
        rpoSeconds: 5,
        outcomeRecordedAt: T0 + 9500,
        reportedAt: T0 + 9600,
        timeoutDecidedAt: T0 + 3000,
        outageSince: T0 + 2500,
        expiresAt: operation.expiresAt + 20,
      });
    });

    it('pushes expiresAt forward with a step, and clears outageSince when given 0', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.advance(at(operation), { token: 't1', pending: poll }, { outageSince: T0 + 5 });

      // Act
      const before = await ledger.get(operation.operationId);
      await ledger.advance(
        at(operation, 1, 't1'),
        { token: 't2', pending: poll },
        { outageSince: 0, expiresAt: operation.expiresAt + 3600 },
      );

      // Assess
      expect(before?.outageSince).toBe(T0 + 5);
      const after = await ledger.get(operation.operationId);
      expect(after?.outageSince).toBeUndefined();
      expect(after?.expiresAt).toBe(operation.expiresAt + 3600);
    });

    it('advances from the current step only, once, and keeps the token it came from', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);

      // Act
      const stale = await ledger.advance(at(operation, 0, 'wrong'), { token: 'x', pending: poll });
      const wrongStep = await ledger.advance(at(operation, 1, 't0'), { token: 'x', pending: poll });
      const results = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map((token) =>
          ledger.advance(at(operation), { token, pending: poll }, {}, { polls: 1 }),
        ),
      );

      // Assess
      expect([stale, wrongStep]).toEqual([false, false]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await ledger.get(operation.operationId);
      expect(stored).toMatchObject({ step: 1, previousToken: 't0', handedOff: false, polls: 1, pending: poll });
      expect(['a', 'b', 'c', 'd', 'e'][results.indexOf(true)]).toBe(stored?.stepToken);
    });

    it('marks a step handed off only for its current token', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.advance(at(operation), { token: 't1', pending: poll });

      // Act
      await ledger.markHandedOff(operation.operationId, 't0');
      const before = (await ledger.get(operation.operationId))?.handedOff;
      await ledger.markHandedOff(operation.operationId, 't1');

      // Assess
      expect(before).toBe(false);
      expect((await ledger.get(operation.operationId))?.handedOff).toBe(true);
    });

    it('marks the next step handed off in the advance itself when its message went out first', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.advance(at(operation), { token: 't1', pending: poll, handedOff: true });

      // Act
      const afterSentFirst = (await ledger.get(operation.operationId))?.handedOff;
      await ledger.advance(at(operation, 1, 't1'), { token: 't2', pending: poll });

      // Assess
      expect(afterSentFirst).toBe(true);
      expect((await ledger.get(operation.operationId))?.handedOff).toBe(false);
    });

    it('gives the submit claim to exactly one of concurrent claimers', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);

      // Act
      const results = await Promise.all(
        ['c1', 'c2', 'c3', 'c4', 'c5'].map((token, index) =>
          ledger.claim(at(operation), {
            token,
            at: T0 + index,
            snapshotId: '6650d1e2f3a4b5c6d7e8f9a0',
            snapshotAt: T0,
            priorJobIds: [],
          }),
        ),
      );

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await ledger.get(operation.operationId);
      expect(stored?.claimToken).toBe(['c1', 'c2', 'c3', 'c4', 'c5'][results.indexOf(true)]);
      expect(stored?.snapshotId).toBe('6650d1e2f3a4b5c6d7e8f9a0');
    });

    it('lets one of concurrent takeovers replace an expired claim, keeping the first claim time', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.claim(at(operation), { token: 'old', at: T0, priorJobIds: [] });

      // Act
      const wrongOld = await ledger.claim(
        at(operation),
        { token: 'x', at: T0 + 1, priorJobIds: [] },
        'not-the-old-one',
      );
      const fresh = await ledger.claim(at(operation), { token: 'y', at: T0 + 1, priorJobIds: [] });
      const takeovers = await Promise.all(
        ['n1', 'n2', 'n3'].map((token) =>
          ledger.claim(at(operation), { token, at: T0 + 900_000, priorJobIds: [] }, 'old'),
        ),
      );

      // Assess
      expect([wrongOld, fresh]).toEqual([false, false]);
      expect(takeovers.filter(Boolean)).toHaveLength(1);
      expect(await ledger.get(operation.operationId)).toMatchObject({ claimedAt: T0 + 900_000, firstClaimedAt: T0 });
    });

    it('guards the advance that records the job with the claim', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.claim(at(operation), { token: 'mine', at: T0, priorJobIds: [] });

      // Act
      const stolen = await ledger.advance(
        at(operation),
        { token: 't1', pending: poll },
        { restoreJobId: 'j' },
        {},
        { claimToken: 'theirs' },
      );
      const recorded = await ledger.advance(
        at(operation),
        { token: 't1', pending: poll },
        { restoreJobId: 'j' },
        {},
        { claimToken: 'mine' },
      );

      // Assess
      expect([stolen, recorded]).toEqual([false, true]);
    });

    it('releases a claim only for its token', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.claim(at(operation), { token: 'mine', at: T0, priorJobIds: ['6650d1e2f3a4b5c6d7e8f9a1'] });

      // Act
      await ledger.releaseClaim(operation.operationId, 'theirs');
      const kept = (await ledger.get(operation.operationId))?.claimToken;
      await ledger.releaseClaim(operation.operationId, 'mine');

      // Assess
      expect(kept).toBe('mine');
      const stored = await ledger.get(operation.operationId);
      expect(stored?.claimToken).toBeUndefined();
      expect(stored?.claimedAt).toBeUndefined();
      expect(stored?.priorJobIds).toBeUndefined();
      expect(stored?.firstClaimedAt).toBe(T0);
    });

    it('gives a restore job to exactly one of the operations that want it, and again to that one only', async () => {
      // Prepare
      const ledger = makeLedger();
      const operations = [sampleOperation(), sampleOperation(), sampleOperation(), sampleOperation()];
      const restoreJobId = newJobId();

      // Act
      const results = await Promise.all(operations.map((operation) => ledger.ownJob(restoreJobId, operation)));
      const owner = operations[results.indexOf(true)];
      const others = operations.filter((operation) => operation !== owner);
      const again = owner && (await ledger.ownJob(restoreJobId, owner));
      const othersAgain = await Promise.all(others.map((operation) => ledger.ownJob(restoreJobId, operation)));
      const anotherJob = await ledger.ownJob(newJobId(), others[0] ?? sampleOperation());

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(again).toBe(true);
      expect(othersAgain).toEqual([false, false, false]);
      expect(anotherJob).toBe(true);
    });

    it('tells which operation owns a restore job, and nothing for a job nobody owns', async () => {
      // Prepare
      const ledger = makeLedger();
      const [first, second] = [sampleOperation(), sampleOperation()];
      const [owned, unowned] = [newJobId(), newJobId()];
      await ledger.ownJob(owned, first);

      // Act
      const refused = await ledger.ownJob(owned, second);

      // Assess
      expect(refused).toBe(false);
      expect(await ledger.jobOwner(owned)).toBe(first.operationId);
      expect(await ledger.jobOwner(unowned)).toBeUndefined();
    });

    it('keeps restore job owners out of the operation listings', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.ownJob(newJobId(), operation);

      // Act
      const all = await ledger.listOperations({ limit: 1000 });
      const byCluster = await ledger.listOperations({ clusterKey: operation.clusterKey, limit: 1000 });

      // Assess
      expect(all.map((listed) => listed.operationId)).toContain(operation.operationId);
      expect(all.every((listed) => listed.stepToken !== undefined)).toBe(true);
      expect(byCluster.map((listed) => listed.operationId)).toContain(operation.operationId);
    });

    it('never records an outcome while another delivery holds the submit claim and no job is recorded', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.claim(at(operation), { token: 'theirs', at: T0, priorJobIds: [] });
      const finish = { outcome: 'failed' as const, outcomeReason: 'x', finishedAt: T0, outcomeRecordedAt: T0 };

      // Act
      const withoutClaim = await ledger.finish(at(operation), finish);
      const withAnother = await ledger.finish(at(operation), finish, {}, { claimToken: 'stale' });
      const byTheHolder = await ledger.finish(at(operation), finish, {}, { claimToken: 'theirs' });

      // Assess
      expect([withoutClaim, withAnother, byTheHolder]).toEqual([false, false, true]);
      expect(await ledger.get(operation.operationId)).toMatchObject({ outcome: 'failed', claimToken: 'theirs' });
    });

    it('records an outcome under a claim once its job is recorded, or once the claim is released', async () => {
      // Prepare
      const ledger = makeLedger();
      const submitted = sampleOperation();
      const released = sampleOperation();
      await Promise.all([ledger.create(submitted), ledger.create(released)]);
      await ledger.claim(at(submitted), { token: 'c1', at: T0, priorJobIds: [] });
      await ledger.advance(
        at(submitted),
        { token: 't1', pending: poll },
        { restoreJobId: 'j' },
        {},
        { claimToken: 'c1' },
      );
      await ledger.claim(at(released), { token: 'c2', at: T0, priorJobIds: [] });
      await ledger.releaseClaim(released.operationId, 'c2');
      const finish = { outcome: 'failed' as const, outcomeReason: 'x', finishedAt: T0, outcomeRecordedAt: T0 };

      // Act
      const afterJob = await ledger.finish(at(submitted, 1, 't1'), finish);
      const afterRelease = await ledger.finish(at(released), finish);

      // Assess
      expect([afterJob, afterRelease]).toEqual([true, true]);
    });

    it('records the outcome once, after which nothing advances', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      const finish = { outcome: 'failed' as const, outcomeReason: 'x', finishedAt: T0, outcomeRecordedAt: T0 };

      // Act
      const results = await Promise.all(
        Array.from({ length: 4 }, () => ledger.finish(at(operation), finish, { atlasCalls: 1 })),
      );
      const advance = await ledger.advance(at(operation), { token: 't1', pending: poll });
      const claim = await ledger.claim(at(operation), { token: 'c', at: T0, priorJobIds: [] });

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
      expect([advance, claim]).toEqual([false, false]);
      expect(await ledger.get(operation.operationId)).toMatchObject({ outcome: 'failed', atlasCalls: 1 });
    });

    it('marks an outcome reported once, and never before there is one', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);

      // Act
      const early = await ledger.markReported(operation.operationId, T0);
      await ledger.finish(at(operation), {
        outcome: 'refused',
        outcomeReason: 'x',
        finishedAt: T0,
        outcomeRecordedAt: T0,
      });
      const marks = await Promise.all([1, 2, 3].map((n) => ledger.markReported(operation.operationId, T0 + n)));

      // Assess
      expect(early).toBe(false);
      expect(marks.filter(Boolean)).toHaveLength(1);
    });

    it('adds Atlas calls, and ignores an unknown operation', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);

      // Act
      await Promise.all([
        ledger.addAtlasCalls(operation.operationId, 2),
        ledger.addAtlasCalls(operation.operationId, 3),
      ]);
      await ledger.addAtlasCalls('nobody-here', 1);

      // Assess
      expect((await ledger.get(operation.operationId))?.atlasCalls).toBe(5);
      expect(await ledger.get('nobody-here')).toBeUndefined();
    });

    it('records the source inventory once: the first wins, the step is untouched', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation({}, { verify: {} });
      await ledger.create(operation);
      const inventory = {
        capturedAt: T0,
        collections: [
          {
            database: 'shop',
            collection: 'orders',
            estimatedCount: 12,
            indexes: ['_id_'],
            hasValidator: false,
            capped: false,
          },
        ],
        truncated: false,
      };

      // Act
      const first = await ledger.recordInventory(operation.operationId, inventory);
      const second = await ledger.recordInventory(operation.operationId, { ...inventory, collections: [] });
      const unknown = await ledger.recordInventory('nobody-here', inventory);

      // Assess
      expect([first, second, unknown]).toEqual([true, false, false]);
      const stored = await ledger.get(operation.operationId);
      expect(stored?.sourceInventory).toEqual(inventory);
      expect(stored).toMatchObject({ step: 0, stepToken: 't0', request: { verify: {} } });
      expect(await ledger.get('nobody-here')).toBeUndefined();
    });

    it('records the verification once, beside its request time whichever write comes first', async () => {
      // Prepare
      const ledger = makeLedger();
      const early = sampleOperation();
      const late = sampleOperation();
      await ledger.create(early);
      await ledger.create(late);
      const verify = { kind: 'verify' as const, dueAt: T0 + 60_000 };
      const result = {
        verdict: 'fail' as const,
        checks: [
          { name: 'heartbeat-rpo', verdict: 'pass' as const, reason: 'newest heartbeat 30 s before the snapshot' },
          { name: 'collection:shop.orders', verdict: 'fail' as const, reason: 'missing on the target' },
        ],
        achievedRpoSeconds: 30,
        recordedAt: T0 + 120_000,
      };

      // Act: the verifier answers after the chain marked the request (early), or before it (late)
      await ledger.advance(at(early), { token: 't1', pending: verify }, { verificationRequestedAt: T0 + 1000 });
      const recordedEarly = await ledger.recordVerification(early.operationId, result);
      const recordedLate = await ledger.recordVerification(late.operationId, result);
      await ledger.advance(at(late), { token: 't1', pending: verify }, { verificationRequestedAt: T0 + 1000 });
      const second = await ledger.recordVerification(early.operationId, { ...result, verdict: 'unknown' });

      // Assess
      expect([recordedEarly, recordedLate, second]).toEqual([true, true, false]);
      for (const id of [early.operationId, late.operationId]) {
        expect((await ledger.get(id))?.verification).toEqual({ status: 'recorded', requestedAt: T0 + 1000, result });
      }
      expect(await ledger.recordVerification('nobody-here', result)).toBe(false);
    });

    it('marks a verification pending, and keeps restoreEnd and the step kind across reads', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      const restoreEnd = {
        outcome: 'succeeded' as const,
        reason: 'restore job x completed',
        finishedAt: T0 + 5000,
        rtoSeconds: 240,
      };

      // Act
      await ledger.advance(at(operation), { token: 't1', pending: { kind: 'verify', dueAt: T0 } }, { restoreEnd });
      await ledger.advance(
        at(operation, 1, 't1'),
        { token: 't2', pending: { kind: 'wait', dueAt: T0, until: T0 + 3_600_000, next: 'verify' } },
        { verificationRequestedAt: T0 + 2000 },
      );

      // Assess
      expect(await ledger.get(operation.operationId)).toMatchObject({
        restoreEnd,
        verification: { status: 'pending', requestedAt: T0 + 2000 },
        pending: { kind: 'wait', next: 'verify' },
      });
    });

    it('marks the inventory requested with the claim, keeping the first mark', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);

      // Act
      await ledger.claim(at(operation), { token: 'c1', at: T0, priorJobIds: [], inventoryRequestedAt: T0 + 1 });
      await ledger.claim(at(operation), { token: 'c2', at: T0, priorJobIds: [], inventoryRequestedAt: T0 + 2 }, 'c1');

      // Assess
      expect(await ledger.get(operation.operationId)).toMatchObject({ claimToken: 'c2', inventoryRequestedAt: T0 + 1 });
    });

    it('lists operations newest first, by source cluster or across all', async () => {
      // Prepare
      const ledger = makeLedger();
      const cluster = `c${Math.random().toString(36).slice(2, 8)}`;
      const ids: string[] = [];
      for (let index = 0; index < 4; index++) {
        const operation = { ...sampleOperation({}, { clusterName: cluster }), requestedAt: T0 + index * 1000 };
        ids.push(operation.operationId);
        await ledger.create(operation);
      }
      await ledger.create({ ...sampleOperation({}, { clusterName: `${cluster}x` }), requestedAt: T0 + 10_000_000 });

      // Act
      const byCluster = await ledger.listOperations({ clusterKey: `5f1a2b3c4d5e6f7a8b9c0d1e/${cluster}`, limit: 3 });
      const all = await ledger.listOperations({ limit: 1000 });

      // Assess
      expect(byCluster.map((operation) => operation.operationId)).toEqual(ids.slice(1).reverse());
      expect(all[0]?.clusterKey).toBe(`5f1a2b3c4d5e6f7a8b9c0d1e/${cluster}x`);
      expect(all.map((operation) => operation.requestedAt)).toEqual(
        [...all.map((operation) => operation.requestedAt)].sort((a, b) => b - a),
      );
    });

    it('lists no more operations across all clusters than the limit asks, the newest', async () => {
      // Prepare
      const ledger = makeLedger();
      await ledger.create({ ...sampleOperation(), requestedAt: T0 + 20_000_000 });
      await ledger.create({ ...sampleOperation(), requestedAt: T0 + 20_000_001 });
      await ledger.create({ ...sampleOperation(), requestedAt: T0 + 20_000_002 });

      // Act
      const two = await ledger.listOperations({ limit: 2 });
      const all = await ledger.listOperations({ limit: 1000 });

      // Assess
      expect(two.map((operation) => operation.operationId)).toEqual(
        all.slice(0, 2).map((operation) => operation.operationId),
      );
    });

    it('records the claim, snapshot and job an advance carries (an adoption)', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      const carried = {
        claimToken: 'c1',
        claimedAt: T0 + 1,
        firstClaimedAt: T0 + 2,
        snapshotId: '6650d1e2f3a4b5c6d7e8f9a4',
        snapshotAt: T0 - 3,
        restoreJobId: '6650d1e2f3a4b5c6d7e8f9a5',
        submittedAt: T0 + 4,
        adopted: false,
        inventoryRequestedAt: T0 + 5,
      };

      // Act
      const advanced = await ledger.advance(at(operation), { token: 't1', pending: poll }, carried);

      // Assess
      expect(advanced).toBe(true);
      expect(await ledger.get(operation.operationId)).toMatchObject(carried);
    });

    it('records the error code, the restored snapshot and the RPO with the outcome', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);

      // Act
      await ledger.finish(at(operation), {
        outcome: 'failed',
        outcomeReason: 'x',
        errorCode: 'RESTORE_JOB_FAILED',
        finishedAt: T0 + 1,
        rpoSeconds: 9,
        snapshotId: '6650d1e2f3a4b5c6d7e8f9a6',
        snapshotAt: T0 - 9000,
        outcomeRecordedAt: T0 + 2,
      });

      // Assess
      expect(await ledger.get(operation.operationId)).toMatchObject({
        outcome: 'failed',
        errorCode: 'RESTORE_JOB_FAILED',
        rpoSeconds: 9,
        snapshotId: '6650d1e2f3a4b5c6d7e8f9a6',
        snapshotAt: T0 - 9000,
      });
    });

    it('replaces the whole pending message with the next one, dropping the until and next of a wait', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.advance(at(operation), {
        token: 't1',
        pending: { kind: 'wait', dueAt: T0 + 1, until: T0 + 2, next: 'poll' },
      });

      // Act
      await ledger.advance(at(operation, 1, 't1'), { token: 't2', pending: poll });

      // Assess
      const pending = (await ledger.get(operation.operationId))?.pending;
      expect(pending).toEqual(poll);
      expect(pending?.until).toBeUndefined();
      expect(pending?.next).toBeUndefined();
    });

    it('advances without a guard whatever submit claim is held', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.claim(at(operation), { token: 'c1', at: T0, priorJobIds: [] });

      // Act
      const advanced = await ledger.advance(at(operation), { token: 't1', pending: poll });

      // Assess
      expect(advanced).toBe(true);
    });

    it('forgets the snapshot of a claim taken over by one that names none', async () => {
      // Prepare
      const ledger = makeLedger();
      const operation = sampleOperation();
      await ledger.create(operation);
      await ledger.claim(at(operation), {
        token: 'old',
        at: T0,
        snapshotId: '6650d1e2f3a4b5c6d7e8f9a7',
        priorJobIds: [],
      });

      // Act
      const takenOver = await ledger.claim(at(operation), { token: 'new', at: T0 + 1, priorJobIds: [] }, 'old');

      // Assess
      expect(takenOver).toBe(true);
      const stored = await ledger.get(operation.operationId);
      expect(stored?.claimToken).toBe('new');
      expect(stored?.snapshotId).toBeUndefined();
    });

    // Ephemeral drill targets (issue 15).
    describe('ephemeral targets', () => {
      const cluster = (operation: Operation, overrides: Partial<EphemeralCluster> = {}): EphemeralCluster => ({
        groupId: '6a1b2c3d4e5f6a7b8c9d0e1f',
        clusterName: 'drill-0123456789',
        createdByOperation: operation.operationId,
        claimToken: 'e1',
        claimedAt: T0 + 100,
        instanceSize: 'M30',
        hourlyPriceUsd: 0.54,
        ...overrides,
      });

      it('claims the creation once: only at the step, only if no cluster is recorded', async () => {
        // Prepare
        const ledger = makeLedger();
        const operation = sampleOperation();
        await ledger.create(operation);

        // Act
        const stale = await ledger.claimEphemeralCluster(at(operation, 0, 'other'), cluster(operation));
        const results = await Promise.all(
          ['e1', 'e2', 'e3'].map((token) =>
            ledger.claimEphemeralCluster(at(operation), cluster(operation, { claimToken: token })),
          ),
        );

        // Assess
        expect(stale).toBe(false);
        expect(results.filter(Boolean)).toHaveLength(1);
        const stored = await ledger.get(operation.operationId);
        expect(stored?.ephemeralCluster?.claimToken).toBe(['e1', 'e2', 'e3'][results.indexOf(true)]);
      });

      it('round-trips the cluster record and the restore end through advance and finish', async () => {
        // Prepare
        const ledger = makeLedger();
        const operation = sampleOperation();
        await ledger.create(operation);
        await ledger.claimEphemeralCluster(at(operation), cluster(operation));
        const created = cluster(operation, { createdAt: T0 + 200, idleAt: T0 + 900, adopted: true });
        const restoreEnd = {
          outcome: 'succeeded' as const,
          reason: 'restore job x completed',
          finishedAt: T0 + 5000,
          rtoSeconds: 4,
        };

        // Act
        await ledger.advance(at(operation), { token: 't1', pending: poll }, { ephemeralCluster: created });
        await ledger.advance(
          at(operation, 1, 't1'),
          { token: 't2', pending: { kind: 'teardown', dueAt: T0 + 6000 } },
          { restoreEnd },
        );
        const midway = await ledger.get(operation.operationId);
        const final = {
          ...created,
          teardownAt: T0 + 6000,
          deletedAt: T0 + 7000,
          clusterHours: 0.5,
          estimatedCostUsd: 0.27,
        };
        await ledger.finish(at(operation, 2, 't2'), {
          outcome: 'succeeded',
          outcomeReason: 'done',
          finishedAt: T0 + 5000,
          outcomeRecordedAt: T0 + 7100,
          ephemeralCluster: final,
        });

        // Assess
        expect(midway).toMatchObject({ ephemeralCluster: created, restoreEnd, pending: { kind: 'teardown' } });
        expect(await ledger.get(operation.operationId)).toMatchObject({
          ephemeralCluster: final,
          restoreEnd,
          outcome: 'succeeded',
        });
      });

      it('advances under a guard without a claim token only while no submit claim is held without a job', async () => {
        // Prepare
        const ledger = makeLedger();
        const operation = sampleOperation();
        await ledger.create(operation);
        await ledger.claim(at(operation), { token: 'c1', at: T0, priorJobIds: [] });

        // Act
        const underClaim = await ledger.advance(at(operation), { token: 't1', pending: poll }, {}, {}, {});
        await ledger.releaseClaim(operation.operationId, 'c1');
        const released = await ledger.advance(at(operation), { token: 't1', pending: poll }, {}, {}, {});

        // Assess
        expect(underClaim).toBe(false);
        expect(released).toBe(true);
      });
    });
  });
}
