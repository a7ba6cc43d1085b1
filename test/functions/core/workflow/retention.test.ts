import { describe, expect, it } from 'vitest';
import type { Ledger } from '../../../../functions/core/workflow/ports.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { type Fixture, fixture, requests } from './fakes.ts';
import { drain } from './harness.ts';

const DAY_MS = 86_400_000;

/** The ledger with DynamoDB's TTL at its most eager: an item past its `expiresAt` is gone before the next read. */
function expiringLedger(f: Fixture): Ledger {
  const expire = () => {
    for (const [id, item] of f.ledger.items) if (item.expiresAt * 1000 <= f.clock.now()) f.ledger.items.delete(id);
  };
  return new Proxy(f.ledger, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        expire();
        return value.apply(target, args);
      };
    },
  });
}

describe('Workflow: ledger retention', () => {
  it('pushes expiresAt forward with every step, so TTL never deletes an operation under way', async () => {
    // Prepare: retention far shorter than the restore (the validators refuse this; the workflow must hold anyway).
    const f = fixture({ config: { ledgerRetentionDays: 1 } });
    f.atlas.restoreMs = 3 * DAY_MS;
    const service = createRestoreService({ ...f.deps, ledger: expiringLedger(f) });
    f.queue.put(JSON.stringify(requests.automated({ maxWaitMinutes: 5 * 24 * 60 })));

    // Act
    const report = await drain(f, service, { maxDeliveries: 2000 });

    // Assess
    expect(report.results).not.toContain('unknown-operation');
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded' }]);
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored?.expiresAt).toBe(Math.ceil((stored?.outcomeRecordedAt ?? 0) / 1000) + 86_400);
  });

  it('dead-letters a message whose operation is unknown, with the reason, instead of dropping it', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const body = JSON.stringify({ v: 1, kind: 'poll', operationId: 'gone-1', step: 4, token: 't4' });

    // Act
    const result = await service.handleMessage(body, { messageId: 'm-9' }, { deadline: Date.now() + 60_000 });

    // Assess
    expect(result).toBe('unknown-operation');
    expect(f.queue.deadLetters).toMatchObject([
      {
        body,
        origin: 'm-9',
        code: 'UNKNOWN_OPERATION',
        issues: [{ path: 'operationId', rule: 'unknown_operation', message: expect.stringContaining('gone-1') }],
      },
    ]);
    expect(f.reporter.rejections).toHaveLength(1);
  });
});
