import { afterEach, describe, expect, it } from 'vitest';
import type { AtlasApi } from '../../functions/core/atlas/api.ts';
import type { Ledger, Queue } from '../../functions/core/workflow/ports.ts';
import { crashAfter, SimulatedCrash } from './core/workflow/fakes.ts';
import { FakeVerifier } from './core/workflow/verifier-fake.ts';
import { type EndToEnd, type EndToEndOptions, startEndToEnd } from './end-to-end-harness.ts';

let e2e: EndToEnd | undefined;

afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

async function expectExactlyOnce(run: EndToEnd, operationId: string) {
  const operation = await run.runUntilOutcome(operationId, { timeoutMs: 25_000 });
  const jobs = run.sim.state.restoreJobs(run.sim.seed.groupId, run.sim.seed.sourceClusterName);
  expect(jobs).toHaveLength(1);
  expect(operation).toMatchObject({ outcome: 'succeeded', restoreJobId: jobs[0]?.id });
  expect(run.reporter.outcomes).toHaveLength(1);
  return operation;
}

const hasJob = (update: unknown) => typeof update === 'object' && update !== null && 'restoreJobId' in update;
const isPoll = (message: unknown) =>
  typeof message === 'object' && message !== null && 'kind' in message && message.kind === 'poll';

describe('End to end: a crash at every step boundary', () => {
  const crashes: [string, EndToEndOptions['wrap']][] = [
    ['after the claim', { ledger: (l: Ledger) => crashAfter(l, 'claim', (_args, won) => won === true) }],
    [
      'after the POST',
      {
        atlas: (a: AtlasApi) => {
          let crashed = false;
          return new Proxy(a, {
            get: (target, property) =>
              property === 'createRestoreJob'
                ? async (...args: Parameters<AtlasApi['createRestoreJob']>) => {
                    const job = await target.createRestoreJob(...args);
                    if (!crashed) {
                      crashed = true;
                      throw new SimulatedCrash('after POST');
                    }
                    return job;
                  }
                : Reflect.get(target, property),
          });
        },
      },
    ],
    ['after recording the job', { ledger: (l: Ledger) => crashAfter(l, 'advance', ([, , update]) => hasJob(update)) }],
    ['after enqueueing the first poll', { queue: (q: Queue) => crashAfter(q, 'send', ([message]) => isPoll(message)) }],
    ['after recording the outcome', { ledger: (l: Ledger) => crashAfter(l, 'finish', (_args, won) => won === true) }],
  ];

  it.each(crashes)('submits once and reports once with a crash %s', async (_point, wrap) => {
    // Prepare
    e2e = await startEndToEnd({ wrap: wrap ?? {} });
    const request = e2e.request();

    // Act
    await e2e.send(request);
    await expectExactlyOnce(e2e, request.requestId ?? '');

    // Assess
    expect(e2e.submissions()).toBe(1);
  });
});

describe('End to end: duplicates', () => {
  it('runs every message delivered twice, concurrently, into one job and one outcome', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const request = e2e.request();

    // Act
    await e2e.send(request);
    await expectExactlyOnce(e2e, request.requestId ?? '');
    await e2e.runUntilIdle({ duplicateDeliveries: true });

    // Assess
    expect(e2e.submissions()).toBe(1);
  });

  it('treats a request sent three times, and again after it finished, as one operation', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const request = e2e.request();

    // Act
    await Promise.all([e2e.send(request), e2e.send(request), e2e.send(request)]);
    const operation = await expectExactlyOnce(e2e, request.requestId ?? '');
    await e2e.send(request);
    await e2e.runUntilIdle();

    // Assess
    expect(e2e.submissions()).toBe(1);
    expect(await e2e.ledger.get(request.requestId ?? '')).toEqual(operation);
    expect(e2e.reporter.outcomes).toHaveLength(1);
  });
});

describe('End to end: a verified restore, with a crash at each step of its verify phase', () => {
  const isVerify = (pending: unknown) =>
    typeof pending === 'object' && pending !== null && 'kind' in pending && pending.kind === 'verify';
  const crashes: [string, (ledger: Ledger) => Ledger][] = [
    ['none', (l) => l],
    [
      'after the advance into the verify phase',
      (l) =>
        crashAfter(
          l,
          'advance',
          ([, next, update]) => isVerify((next as { pending: unknown }).pending) && hasField(update, 'restoreEnd'),
        ),
    ],
    [
      'after marking the verification requested',
      (l) => crashAfter(l, 'advance', ([, , update]) => hasField(update, 'verificationRequestedAt')),
    ],
    ['after recording the outcome', (l) => crashAfter(l, 'finish', (_args, won) => won === true)],
  ];

  it.each(crashes)('submits once, verifies, and reports once with a crash %s', async (_point, wrap) => {
    // Prepare: a verifier that records its result through the ledger at once
    const verifier = new FakeVerifier({ now: () => e2e?.sim.clock.now() ?? 0 });
    verifier.answerAfterMs = 0;
    e2e = await startEndToEnd({
      wrap: { ledger: (l) => verifier.observe(wrap(l)) },
      verificationQueue: verifier,
    });
    const request = e2e.request({ verify: {} });

    // Act
    await e2e.send(request);
    const operation = await expectExactlyOnce(e2e, request.requestId ?? '');

    // Assess
    expect(e2e.submissions()).toBe(1);
    expect(operation).toMatchObject({
      restoreEnd: { outcome: 'succeeded' },
      verification: { status: 'recorded', result: { verdict: 'pass' } },
    });
    expect(e2e.reporter.outcomes[0]?.verification?.result?.verdict).toBe('pass');
    expect(verifier.received.map(({ message }) => message.kind)).toContain('inventory');
  });
});

const hasField = (update: unknown, field: string) =>
  typeof update === 'object' &&
  update !== null &&
  field in update &&
  (update as Record<string, unknown>)[field] !== undefined;
