import { describe, expect, it } from 'vitest';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { crashAfter, type Fixture, fixture, requests } from './fakes.ts';
import { type DrainOptions, drain } from './harness.ts';
import { FakeVerifier } from './verifier-fake.ts';

function verifiedFixture(config: Parameters<typeof fixture>[0] = {}) {
  const f = fixture(config);
  const verifier = new FakeVerifier(f.clock);
  const deps = { ...f.deps, ledger: verifier.observe(f.ledger), verificationQueue: verifier };
  return { f, verifier, deps };
}

async function run(
  f: Fixture,
  deps: Fixture['deps'],
  request: unknown,
  options: DrainOptions = {},
): Promise<Awaited<ReturnType<typeof drain>>> {
  f.queue.put(JSON.stringify(request));
  return drain(f, createRestoreService(deps), options);
}

const failingChecks = [
  { name: 'heartbeat-rpo', verdict: 'pass', reason: 'newest heartbeat 42 s before the snapshot' },
  { name: 'collection:shop.orders', verdict: 'fail', reason: 'missing on the target' },
] as const;

describe('Workflow: the verify phase after the restore', () => {
  it('asks the verifier after the job completed and finishes once with the restore end and the verification', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();

    // Act
    const report = await run(f, deps, requests.automated({ verify: {} }));

    // Assess
    expect(report.failures).toEqual([]);
    expect(verifier.received.map(({ message }) => message.kind)).toEqual(['inventory', 'verify']);
    const [outcome] = f.reporter.outcomes;
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(outcome).toMatchObject({
      outcome: 'succeeded',
      outcomeReason: expect.stringMatching(/^restore job \w+ completed$/),
      verification: { status: 'recorded', result: { verdict: 'pass', achievedRpoSeconds: 42 } },
    });
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored?.restoreEnd).toMatchObject({ outcome: 'succeeded', finishedAt: stored?.finishedAt });
    // The restore's end is the job's, not the verification's: the verifier was asked after it.
    expect(verifier.received[1]?.at).toBeGreaterThanOrEqual(stored?.finishedAt ?? Number.POSITIVE_INFINITY);
    expect(stored?.verification?.requestedAt).toBe(verifier.received[1]?.at);
    expect(stored?.sourceInventory).toMatchObject({ collections: [] });
    expect(stored?.reportedAt).toBeDefined();
  });

  it('asks for the inventory before the restore is submitted, once', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();
    const order: string[] = [];
    const send = verifier.send.bind(verifier);
    verifier.send = async (message) => {
      order.push(message.kind);
      await send(message);
    };
    const create = f.atlas.createRestoreJob.bind(f.atlas);
    f.atlas.createRestoreJob = async (...args) => {
      order.push('POST');
      return create(...args);
    };

    // Act
    await run(f, deps, requests.pointInTime({ verify: { checks: [] } }));

    // Assess
    expect(order).toEqual(['inventory', 'POST', 'verify']);
    expect((await f.ledger.get('pit-1'))?.inventoryRequestedAt).toBeDefined();
  });

  it('waits for the source inventory before restoring a source onto itself, within the deferral limit', async () => {
    // Prepare
    const config = {
      sourceOverwriteAllowed: ['5f1a2b3c4d5e6f7a8b9c0d1e/prod'],
      allowedTargets: ['5f1a2b3c4d5e6f7a8b9c0d1e/prod'],
      deferMaxAttempts: 2,
    };
    const answered = verifiedFixture({ config });
    const silent = verifiedFixture({ config });
    silent.verifier.recordsInventory = false;
    const ontoItself = requests.automated({ verify: {}, targetClusterName: 'prod' });

    // Act
    await run(answered.f, answered.deps, ontoItself);
    await run(silent.f, silent.deps, ontoItself);

    // Assess
    expect(answered.f.reporter.outcomes).toMatchObject([{ outcome: 'succeeded', deferAttempts: 1 }]);
    expect(answered.f.reporter.outcomes[0]?.sourceInventory).toBeDefined();
    expect(silent.f.reporter.outcomes).toMatchObject([
      {
        outcome: 'failed',
        errorCode: 'DEFER_LIMIT_REACHED',
        outcomeReason: expect.stringContaining('SOURCE_INVENTORY_PENDING'),
      },
    ]);
    expect(silent.verifier.received.map(({ message }) => message.kind)).toEqual(['inventory']);
    expect(silent.f.atlas.calls.map((call) => call.operation)).not.toContain('createRestoreJob');
  });

  it('carries a failed verification, naming its checks', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();
    verifier.checks = failingChecks;

    // Act
    await run(f, deps, requests.automated({ verify: {} }));

    // Assess
    expect(f.reporter.outcomes).toMatchObject([
      {
        outcome: 'succeeded',
        verification: { result: { verdict: 'fail', checks: [{ verdict: 'pass' }, { verdict: 'fail' }] } },
      },
    ]);
  });

  it('records unknown when the verifier does not answer within VERIFY_MAX_MINUTES, polling the ledger meanwhile', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture({ config: { verifyMaxMinutes: 10 } });
    verifier.checks = 'never';

    // Act
    const report = await run(f, deps, requests.automated({ verify: {} }));

    // Assess
    expect(report.failures).toEqual([]);
    const [outcome] = f.reporter.outcomes;
    expect(outcome?.verification?.result).toMatchObject({
      verdict: 'unknown',
      checks: [{ verdict: 'unknown', reason: 'the verifier did not answer within 10 minutes' }],
    });
    const requestedAt = outcome?.verification?.requestedAt ?? 0;
    expect(outcome?.outcomeRecordedAt).toBeGreaterThanOrEqual(requestedAt + 10 * 60_000);
    // What the outcome carries: the verification recorded, when the verifier was asked, the check that is unknown.
    expect(outcome?.verification).toMatchObject({
      status: 'recorded',
      requestedAt: verifier.received[1]?.at,
      result: { checks: [{ name: 'verifier', verdict: 'unknown' }] },
    });
    expect(f.log.lines.filter((line) => line.message === 'verification unknown')).toHaveLength(1);
    expect(f.queue.sent.filter(({ message }) => message.kind === 'verify').length).toBeGreaterThan(3);
    expect(verifier.received.filter(({ message }) => message.kind === 'verify')).toHaveLength(1);
  });

  it('records unknown, and the outcome, at VERIFY_MAX_MINUTES itself, not at the next poll past it', async () => {
    // Prepare: 7 minutes fall between two polls of the cadence
    const { f, verifier, deps } = verifiedFixture({ config: { verifyMaxMinutes: 7 } });
    verifier.checks = 'never';

    // Act
    await run(f, deps, requests.automated({ verify: {} }));

    // Assess
    const asked = verifier.received.find(({ message }) => message.kind === 'verify')?.at ?? Number.NaN;
    const [outcome] = f.reporter.outcomes;
    expect(outcome?.verification?.result).toMatchObject({ verdict: 'unknown', recordedAt: asked + 7 * 60_000 });
    expect(outcome?.outcomeRecordedAt).toBe(asked + 7 * 60_000);
  });

  it('records unknown, naming VERIFICATION_QUEUE_URL, when the verifier queue is gone by the time the restore completed', async () => {
    // Prepare: the start ran with a verifier; the steps after it run without one (a redeploy that unset it).
    const { f, verifier, deps } = verifiedFixture();
    const { verificationQueue: _removed, ...unconfigured } = deps;
    const request = JSON.stringify(requests.automated({ verify: {} }));
    await createRestoreService(deps).handleMessage(request, { messageId: 'm-1' }, { deadline: Date.now() + 60_000 });

    // Act
    const report = await drain(f, createRestoreService(unconfigured));

    // Assess
    expect(report.failures).toEqual([]);
    expect(verifier.received.map(({ message }) => message.kind)).toEqual(['inventory']);
    expect(f.reporter.outcomes).toMatchObject([
      {
        outcome: 'succeeded',
        verification: {
          status: 'recorded',
          result: {
            verdict: 'unknown',
            checks: [
              { name: 'verifier', verdict: 'unknown', reason: expect.stringContaining('VERIFICATION_QUEUE_URL') },
            ],
          },
        },
      },
    ]);
    expect(f.reporter.outcomes[0]?.verification).not.toHaveProperty('requestedAt');
  });

  it("keeps the verifier's result when it lands after the chain's last read, just before the chain records unknown", async () => {
    // Prepare: the chain's reads never see the result; the verifier writes it right before the chain's unknown.
    const { f, verifier, deps } = verifiedFixture({ config: { verifyMaxMinutes: 5 } });
    const ledger = new Proxy(f.ledger, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (property !== 'recordVerification') return value.bind(target);
        return async (...args: unknown[]) => {
          await verifier.settle();
          return value.apply(target, args);
        };
      },
    });

    // Act
    await run(f, { ...deps, ledger }, requests.automated({ verify: {} }));

    // Assess
    expect(verifier.writes).toEqual([true]);
    expect(f.reporter.outcomes).toMatchObject([{ verification: { status: 'recorded', result: { verdict: 'pass' } } }]);
    expect(f.log.lines.filter((line) => line.message === 'verification unknown')).toEqual([]);
  });

  it('fails as OPERATION_INCONSISTENT, reporting nothing, a verify phase whose operation lost its restore end', async () => {
    // Prepare: the operation's restore end is gone from its ledger item when the verify phase begins.
    const { f, deps } = verifiedFixture();
    const service = createRestoreService(deps);
    const deliver = service.handleMessage.bind(service);
    service.handleMessage = async (body, origin, invocation) => {
      if ((JSON.parse(body) as { kind?: string }).kind === 'verify')
        delete f.ledger.items.get('drill-2026-11-28')?.restoreEnd;
      return deliver(body, origin, invocation);
    };
    f.queue.put(JSON.stringify(requests.automated({ verify: {} })));

    // Act
    const report = await drain(f, service);

    // Assess
    expect(report.failures.length).toBeGreaterThan(0);
    expect(report.failures.map(({ error }) => error)).toEqual(
      report.failures.map(() => expect.objectContaining({ code: 'OPERATION_INCONSISTENT' })),
    );
    expect(report.redriven).toHaveLength(1);
    expect(f.reporter.outcomes).toEqual([]);
  });

  it('keeps a result the verifier records after the chain recorded unknown (the first wins)', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture({ config: { verifyMaxMinutes: 5 } });
    verifier.answerAfterMs = 60 * 60_000;

    // Act
    await run(f, deps, requests.automated({ verify: {} }));
    f.clock.advance(2 * 3600_000);
    await verifier.settle();

    // Assess
    expect(verifier.writes).toEqual([false]);
    expect((await f.ledger.get('drill-2026-11-28'))?.verification?.result?.verdict).toBe('unknown');
  });

  it('keeps a result the verifier recorded before the chain marked the verification requested', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();
    verifier.answerAfterMs = 0;
    const send = verifier.send.bind(verifier);
    verifier.send = async (message) => {
      await send(message);
      await verifier.settle();
    };

    // Act
    await run(f, deps, requests.automated({ verify: {} }));

    // Assess
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored?.verification).toMatchObject({ status: 'recorded', result: { verdict: 'pass' } });
    expect(stored?.verification?.requestedAt).toBeDefined();
    expect(f.reporter.outcomes).toMatchObject([{ verification: { result: { verdict: 'pass' } } }]);
  });

  it('waits across SQS hops when the verify cadence is longer than 15 minutes', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture({
      config: { verifyMaxMinutes: 720, pollMaxDelaySeconds: 43_200 },
    });
    verifier.checks = 'never';

    // Act
    const report = await run(f, deps, requests.automated({ verify: {} }), { maxDeliveries: 2000 });

    // Assess
    expect(report.failures).toEqual([]);
    expect(f.queue.sent.some(({ message }) => message.kind === 'wait' && message.next === 'verify')).toBe(true);
    expect(f.reporter.outcomes).toMatchObject([
      { verification: { result: { checks: [{ reason: 'the verifier did not answer within 720 minutes' }] } } },
    ]);
  });

  it.each([
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
  ] as const)('does not verify a restore that %s, and records no restore end', async (outcome, jobOutcome) => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();
    f.atlas.jobOutcome = jobOutcome;

    // Act
    await run(f, deps, requests.automated({ verify: {} }));

    // Assess
    expect(verifier.received.map(({ message }) => message.kind)).toEqual(['inventory']);
    expect(f.reporter.outcomes).toMatchObject([{ outcome }]);
    expect(f.reporter.outcomes[0]?.verification).toBeUndefined();
    expect((await f.ledger.get('drill-2026-11-28'))?.restoreEnd).toBeUndefined();
  });

  it('leaves a request without verify as it was: no verifier message, no restore end', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();

    // Act
    await run(f, deps, requests.automated());

    // Assess
    expect(verifier.received).toEqual([]);
    expect(f.queue.sent.map(({ message }) => message.kind)).not.toContain('verify');
    expect((await f.ledger.get('drill-2026-11-28'))?.restoreEnd).toBeUndefined();
  });

  it('refuses a request with verify when no verifier is configured', async () => {
    // Prepare
    const f = fixture();

    // Act
    await run(f, f.deps, requests.automated({ verify: {} }));

    // Assess
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'refused', errorCode: 'VERIFICATION_NOT_CONFIGURED' }]);
    expect(f.atlas.calls.map((call) => call.operation)).not.toContain('createRestoreJob');
  });

  it('asks no inventory for a dry run', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();

    // Act
    await run(f, deps, requests.automated({ verify: {}, dryRun: true }));

    // Assess
    expect(verifier.received).toEqual([]);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'dryRun' }]);
  });

  it('dead-letters a download that asks to verify, naming the rule', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();

    // Act
    await run(f, deps, requests.download({ verify: {} }));

    // Assess
    expect(f.queue.deadLetters).toMatchObject([
      { code: 'INVALID_REQUEST', issues: [{ path: 'verify', rule: 'refused_for_download' }] },
    ]);
    expect(verifier.received).toEqual([]);
  });

  it('finishes once when every message is delivered twice at once', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();

    // Act
    const report = await run(f, deps, requests.automated({ verify: {} }), { duplicate: () => true });

    // Assess
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(f.reporter.outcomes[0]?.verification?.result?.verdict).toBe('pass');
    expect(report.redriven).toEqual([]);
    expect(verifier.writes.filter(Boolean)).toHaveLength(1);
    expect(f.atlas.calls.filter((call) => call.operation === 'createRestoreJob')).toHaveLength(1);
  });

  it.each([
    ['the advance into the verify phase', 'advance', (args: unknown[]) => hasPending(args, 'verify', 'restoreEnd')],
    [
      'the advance marking the verification requested',
      'advance',
      (args: unknown[]) => hasPending(args, 'verify', 'verificationRequestedAt'),
    ],
    ['the chain records unknown', 'recordVerification', () => true],
    ['the outcome write', 'finish', () => true],
  ] as const)('ends once, verified, after a crash right after %s', async (_point, method, when) => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture({ config: { verifyMaxMinutes: 5 } });
    if (method === 'recordVerification') verifier.checks = 'never';
    const crashing = { ...deps, ledger: crashAfter(deps.ledger, method, when) };

    // Act
    const report = await run(f, crashing, requests.automated({ verify: {} }));

    // Assess
    expect(report.failures.length).toBeGreaterThan(0);
    expect(report.redriven).toEqual([]);
    expect(f.reporter.outcomes.length).toBeGreaterThanOrEqual(1);
    const stored = await f.ledger.get('drill-2026-11-28');
    expect(stored).toMatchObject({ outcome: 'succeeded', verification: { status: 'recorded' } });
    expect(stored?.reportedAt).toBeDefined();
    expect(f.reporter.outcomes.every((outcome) => outcome.verification?.result !== undefined)).toBe(true);
  });

  it('asks the verifier again when the chain died between asking and marking it asked', async () => {
    // Prepare
    const { f, verifier, deps } = verifiedFixture();
    // Slower than the message's visibility timeout: the redelivery finds no result and asks again.
    verifier.answerAfterMs = 10 * 60_000;
    const crashing = {
      ...deps,
      verificationQueue: crashAfter(
        verifier as FakeVerifier,
        'send',
        (args) => (args[0] as { kind: string }).kind === 'verify',
      ),
    };

    // Act
    const report = await run(f, crashing, requests.automated({ verify: {} }));

    // Assess
    expect(report.failures).toHaveLength(1);
    expect(verifier.received.filter(({ message }) => message.kind === 'verify')).toHaveLength(2);
    expect(verifier.writes).toEqual([true]);
    expect(f.reporter.outcomes).toMatchObject([{ verification: { result: { verdict: 'pass' } } }]);
  });
});

function hasPending(args: unknown[], kind: string, field: string): boolean {
  const [, next, update] = args as [unknown, { pending: { kind: string } }, Record<string, unknown> | undefined];
  return next.pending.kind === kind && update?.[field] !== undefined;
}
