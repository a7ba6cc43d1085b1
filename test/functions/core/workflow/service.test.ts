import { describe, expect, it } from 'vitest';
import type { InternalMessage } from '../../../../functions/core/contract/internal-messages.ts';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import { requestFingerprint } from '../../../../functions/core/workflow/operation.ts';
import {
  createRestoreService,
  type IdentifiedRequest,
  newOperation,
} from '../../../../functions/core/workflow/service.ts';
import { crashAfter, fixture, requests } from './fakes.ts';
import { drain } from './harness.ts';

const invocation = () => ({ deadline: Date.now() + 60_000 });

/** Runs the request until its first poll is queued; answers the operation and that message. */
async function startedOperation() {
  const f = fixture();
  const service = createRestoreService(f.deps);
  await service.handleMessage(JSON.stringify(requests.automated()), { messageId: 'm-1' }, invocation());
  const queued = f.queue.takeNext();
  if (!queued) throw new Error('no poll queued');
  const operation = await f.ledger.get('drill-2026-11-28');
  if (!operation) throw new Error('no operation');
  return { f, service, poll: JSON.parse(queued.body) as InternalMessage, operation };
}

describe('Workflow: step tokens', () => {
  it('processes the current step once and drops a stale token', async () => {
    // Prepare
    const { f, service, poll } = await startedOperation();
    const stale = JSON.stringify({ ...poll, token: 'not-the-token' });

    // Act
    const staleResult = await service.handleMessage(stale, { messageId: 'm-s' }, invocation());
    const current = await service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation());

    // Assess
    expect([staleResult, current]).toEqual(['stale', 'processed']);
    expect(f.atlas.count('getRestoreJob')).toBe(1);
  });

  it('drops a redelivery whose follow-up was sent, and re-sends one whose follow-up was lost', async () => {
    // Prepare
    const { f, service, poll } = await startedOperation();
    await service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation());
    const sentAfterPoll = f.queue.sent.length;

    // Act
    const duplicate = await service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation());
    const item = f.ledger.items.get('drill-2026-11-28');
    if (item) item.handedOff = false; // as if the send after the advance had been lost
    const resent = await service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation());

    // Assess
    expect([duplicate, resent]).toEqual(['duplicate', 'resent']);
    expect(f.atlas.count('getRestoreJob')).toBe(1);
    expect(f.queue.sent.length).toBe(sentAfterPoll + 1);
    expect(f.queue.sent.at(-1)?.message).toEqual(f.queue.sent.at(-2)?.message);
  });

  it('drops a message whose kind does not match its step', async () => {
    // Prepare
    const { f, service, poll } = await startedOperation();

    // Act
    const result = await service.handleMessage(
      JSON.stringify({ ...poll, kind: 'start' }),
      { messageId: 'x' },
      invocation(),
    );

    // Assess
    expect(result).toBe('stale');
    expect(f.atlas.count('getRestoreJob')).toBe(0);
  });

  it('drops messages for finished operations, and dead-letters those for unknown ones', async () => {
    // Prepare
    const { f, service, poll } = await startedOperation();
    f.queue.put(JSON.stringify(poll));
    await drain(f, service);

    // Act
    const finished = await service.handleMessage(JSON.stringify(poll), { messageId: 'late' }, invocation());
    const unknown = await service.handleMessage(
      JSON.stringify({ ...poll, operationId: 'nobody' }),
      { messageId: 'u' },
      invocation(),
    );

    // Assess
    expect([finished, unknown]).toEqual(['finished-already', 'unknown-operation']);
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(f.queue.deadLetters).toMatchObject([{ origin: 'u', code: 'UNKNOWN_OPERATION' }]);
  });
});

describe('Workflow: which message runs a step', () => {
  it('runs no step for a message naming the current token under another step', async () => {
    // Prepare
    const { f, service, poll } = await startedOperation();

    // Act
    const result = await service.handleMessage(
      JSON.stringify({ ...poll, step: poll.step + 2 }),
      { messageId: 'm-x' },
      invocation(),
    );

    // Assess
    expect(result).toBe('stale');
    expect(f.atlas.count('getRestoreJob')).toBe(0);
  });

  it('drops, never re-sends for, a message naming the step before with another token or its token under another step', async () => {
    // Prepare: the poll ran (the operation is one step on), and the send of its follow-up was lost.
    const { f, service, poll } = await startedOperation();
    await service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation());
    const item = f.ledger.items.get('drill-2026-11-28');
    if (item) item.handedOff = false;
    const sent = f.queue.sent.length;

    // Act
    const otherToken = await service.handleMessage(
      JSON.stringify({ ...poll, token: 'another-token' }),
      { messageId: 'm-t' },
      invocation(),
    );
    const otherStep = await service.handleMessage(
      JSON.stringify({ ...poll, step: poll.step - 1 }),
      { messageId: 'm-s' },
      invocation(),
    );

    // Assess
    expect([otherToken, otherStep]).toEqual(['stale', 'stale']);
    expect(f.queue.sent.length).toBe(sent);
    expect(f.atlas.count('getRestoreJob')).toBe(1);
  });

  it("runs the start for a start message at a new operation's step 0, as for its request, submitting once", async () => {
    // Prepare: the operation is recorded, its start not run yet.
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request: IdentifiedRequest = { ...requests.automated(), requestId: 'drill-2026-11-28' };
    await f.ledger.create(newOperation(request, f.clock.now(), f.config, 'token-0'));
    const start = { v: 1, kind: 'start', operationId: request.requestId, step: 0, token: 'token-0' };

    // Act
    const result = await service.handleMessage(JSON.stringify(start), { messageId: 'm-s' }, invocation());
    const repeated = await service.handleMessage(JSON.stringify(request), { messageId: 'm-r' }, invocation());

    // Assess
    expect([result, repeated]).toEqual(['processed', 'duplicate']);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('names the operation, step and kind in the warning for a message of an unknown operation', async () => {
    // Prepare
    const { f, service, poll } = await startedOperation();

    // Act
    await service.handleMessage(JSON.stringify({ ...poll, operationId: 'nobody' }), { messageId: 'u' }, invocation());

    // Assess: an operator finds the dead letter's operation and its restore job from the log line.
    expect(f.log.lines.filter((line) => line.level === 'warn').map((line) => line.attributes)).toContainEqual({
      operationId: 'nobody',
      step: poll.step,
      kind: 'poll',
    });
  });

  it('acknowledges a reap message that finds nothing to delete, dead-lettering nothing', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);

    // Act
    const result = await service.handleMessage(
      JSON.stringify({ v: 1, kind: 'reap', operationId: 'drill-2026-11-28' }),
      { messageId: 'm-r' },
      invocation(),
    );

    // Assess
    expect(result).toBe('processed');
    expect(f.queue.deadLetters).toEqual([]);
  });
});

describe('Workflow: one ledger write per poll (the send goes first, the advance marks it sent)', () => {
  /** Counts the ledger writes a service makes, by method. */
  function countingWrites(f: ReturnType<typeof fixture>) {
    const writes: string[] = [];
    const ledger = new Proxy(f.ledger, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (property !== 'get' && property !== 'jobOwner') writes.push(String(property));
          return value.apply(target, args);
        };
      },
    });
    return { writes, service: createRestoreService({ ...f.deps, ledger }) };
  }

  it('writes the ledger once for a poll that polls again, and marks the next poll sent in that write', async () => {
    // Prepare
    const { f, poll } = await startedOperation();
    const { writes, service } = countingWrites(f);

    // Act
    const result = await service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation());

    // Assess
    expect(result).toBe('processed');
    expect(writes).toEqual(['advance']);
    expect(f.ledger.items.get('drill-2026-11-28')).toMatchObject({ step: 2, handedOff: true });
    expect(f.queue.sent.at(-1)?.message).toMatchObject({ kind: 'poll', step: 2 });
  });

  it('retries a message one step ahead of the ledger (its advance not written yet) instead of dropping it', async () => {
    // Prepare: the poll's next message is out, its advance not yet written (or its writer died before writing).
    const { f, service, poll } = await startedOperation();
    const ahead = JSON.stringify({ ...poll, step: poll.step + 1, token: 'next-token' });

    // Act
    const early = service.handleMessage(ahead, { messageId: 'm-a' }, invocation());

    // Assess: not acknowledged, so SQS delivers it again; nothing was read from Atlas.
    await expect(early).rejects.toMatchObject({ code: 'STEP_NOT_RECORDED' });
    expect(f.atlas.count('getRestoreJob')).toBe(0);
  });

  it('drops the orphan of a poll that died between its send and its advance, once the redelivery moved on', async () => {
    // Prepare
    const { f, poll } = await startedOperation();
    const service = createRestoreService({ ...f.deps, queue: crashAfter(f.queue, 'send') });
    await expect(service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation())).rejects.toThrow(
      /simulated crash/,
    );
    const orphan = f.queue.sent.at(-1)?.message;

    // Act: the poll is delivered again and advances with a new token; then the orphan arrives.
    const again = await service.handleMessage(JSON.stringify(poll), { messageId: 'm-2' }, invocation());
    const late = await service.handleMessage(JSON.stringify(orphan), { messageId: 'm-o' }, invocation());

    // Assess
    expect([again, late]).toEqual(['processed', 'stale']);
    expect(f.ledger.items.get('drill-2026-11-28')?.stepToken).not.toBe(orphan?.token);
  });
});

describe('Workflow: rejected messages', () => {
  it.each([
    ['bad JSON', '{"groupId": ', 'MALFORMED_JSON', '(message)'],
    ['an empty body', '', 'MALFORMED_JSON', '(message)'],
    [
      'a typo in a field name',
      JSON.stringify({ ...requests.automated(), snapshotID: 'latest' }),
      'INVALID_REQUEST',
      'snapshotID',
    ],
    [
      'a target on a download',
      JSON.stringify(requests.download({ targetClusterName: 'x' })),
      'INVALID_REQUEST',
      'targetClusterName',
    ],
    [
      'an event without detail fields',
      JSON.stringify({ 'detail-type': 'x', source: 's', id: '1', detail: {} }),
      'INVALID_REQUEST',
      'detail.groupId',
    ],
    [
      'a broken internal message',
      JSON.stringify({ v: 1, kind: 'poll', operationId: 'x' }),
      'INVALID_INTERNAL_MESSAGE',
      'step',
    ],
  ])('dead-letters %s with the field and rule, never calling Atlas', async (_name, body, code, path) => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);

    // Act
    const result = await service.handleMessage(body, { messageId: 'm-bad' }, invocation());

    // Assess
    expect(result).toBe('rejected');
    expect(f.queue.deadLetters).toHaveLength(1);
    expect(f.queue.deadLetters[0]).toMatchObject({ body, code, origin: 'm-bad' });
    expect(f.queue.deadLetters[0]?.issues.map((issue) => issue.path)).toContain(path);
    expect(f.reporter.rejections).toHaveLength(1);
    expect(f.atlas.calls).toEqual([]);
    expect(f.ledger.items.size).toBe(0);
  });

  it('fails the message (to be retried) when the dead-letter queue cannot take it, counting the rejection first', async () => {
    // Prepare
    const f = fixture();
    f.queue.deadLetter = async () => {
      throw new Error('SQS unavailable');
    };
    const service = createRestoreService(f.deps);

    // Act
    const attempt = service.handleMessage('{', { messageId: 'm' }, invocation());

    // Assess: should SQS redrive it without its reason, RequestRejected still shows it.
    await expect(attempt).rejects.toThrow('SQS unavailable');
    expect(f.reporter.rejections).toMatchObject([{ code: 'MALFORMED_JSON', origin: 'm' }]);
  });
});

describe('Workflow: request identity', () => {
  // A default id taken from the carrier (SQS message id, event id, Lambda request id) changes when the producer's SDK
  // retries a send whose answer was lost: two operations, two restores onto one target. So there is no default.
  const REQUIRED = {
    code: 'INVALID_REQUEST',
    issues: [{ path: 'requestId', rule: 'required', message: expect.stringMatching(/^required: /) }],
  };

  it('rejects a request without requestId, however often it is sent, and starts nothing', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const { requestId: _none, ...request } = requests.automated();

    // Act: the producer's SDK retried a SendMessage whose answer was lost: two messages, two message ids.
    const results = [
      await service.handleMessage(JSON.stringify(request), { messageId: '0b7c-11' }, invocation()),
      await service.handleMessage(JSON.stringify(request), { messageId: '0b7c-12' }, invocation()),
    ];

    // Assess
    expect(results).toEqual(['rejected', 'rejected']);
    expect(f.ledger.items.size).toBe(0);
    expect(f.atlas.calls).toEqual([]);
    expect(f.queue.deadLetters).toMatchObject([
      { origin: '0b7c-11', ...REQUIRED },
      { origin: '0b7c-12', ...REQUIRED },
    ]);
  });

  it('rejects an EventBridge event whose detail has no requestId (a retried PutEvents gets a new event id)', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const { requestId: _none, ...detail } = requests.automated();
    const event = { version: '0', id: 'e-123', 'detail-type': 'Restore requested', source: 'ops', detail };

    // Act
    const result = await service.handleMessage(JSON.stringify(event), { messageId: 'm-1' }, invocation());

    // Assess
    expect(result).toBe('rejected');
    expect(f.ledger.items.size).toBe(0);
    expect(f.queue.deadLetters).toMatchObject([
      { ...REQUIRED, issues: [{ ...REQUIRED.issues[0], path: 'detail.requestId' }] },
    ]);
  });

  it('makes every delivery of a request with its requestId one operation, whatever the carrier', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request = requests.automated();
    const event = { version: '0', id: 'e-9', 'detail-type': 'Restore requested', source: 'ops', detail: request };

    // Act
    await service.handleMessage(JSON.stringify(request), { messageId: 'm-1' }, invocation());
    await service.handleMessage(JSON.stringify(request), { messageId: 'm-2' }, invocation());
    await service.handleMessage(JSON.stringify(event), { messageId: 'm-3' }, invocation());

    // Assess
    expect([...f.ledger.items.keys()]).toEqual([request.requestId]);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });
});

describe('Workflow: requests delivered again', () => {
  it("runs a new request's start, then logs its acceptance once, not for its repeats", async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request = JSON.stringify(requests.automated());

    // Act
    const first = await service.handleMessage(request, { messageId: 'm-1' }, invocation());
    const again = await service.handleMessage(request, { messageId: 'm-2' }, invocation());

    // Assess
    expect([first, again]).toEqual(['processed', 'duplicate']);
    expect(f.log.lines.filter((line) => line.message === 'restore request accepted')).toHaveLength(1);
  });

  it("re-sends the start's follow-up when a repeated request finds it never sent", async () => {
    // Prepare: the start advanced, and the send of its follow-up was lost.
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request = JSON.stringify(requests.automated());
    await service.handleMessage(request, { messageId: 'm-1' }, invocation());
    const item = f.ledger.items.get('drill-2026-11-28');
    if (item) item.handedOff = false;

    // Act
    const result = await service.handleMessage(request, { messageId: 'm-1' }, invocation());

    // Assess
    expect(result).toBe('resent');
    expect(f.queue.sent).toHaveLength(2);
    expect(f.queue.sent[1]?.message).toEqual(f.queue.sent[0]?.message);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('answers a request repeated after its dry run finished as a duplicate, running nothing again', async () => {
    // Prepare: a dry run finishes in its start.
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request = JSON.stringify(requests.automated({ dryRun: true }));
    await service.handleMessage(request, { messageId: 'm-1' }, invocation());
    const callsAfterDryRun = f.atlas.calls.length;

    // Act
    const result = await service.handleMessage(request, { messageId: 'm-2' }, invocation());

    // Assess
    expect(result).toBe('duplicate');
    expect(f.atlas.calls).toHaveLength(callsAfterDryRun);
    expect(f.reporter.outcomes).toMatchObject([{ outcome: 'dryRun' }]);
  });

  it('fails a request whose start could not write the ledger, to be delivered again, and keeps its operation only for the retention', async () => {
    // Prepare: the ledger takes the new operation, then fails the start's claim.
    const f = fixture();
    const ledger = new Proxy(f.ledger, {
      get(target, property, receiver) {
        if (property === 'claim') {
          return async () => {
            throw new Error('DynamoDB unavailable');
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const service = createRestoreService({ ...f.deps, ledger });
    f.clock.advance(400); // a request received within a second, not on it

    // Act
    const attempt = service.handleMessage(JSON.stringify(requests.automated()), { messageId: 'm-1' }, invocation());

    // Assess: not acknowledged, nothing submitted; the operation expires LEDGER_RETENTION_DAYS after the request.
    await expect(attempt).rejects.toThrow('DynamoDB unavailable');
    expect(f.atlas.count('createRestoreJob')).toBe(0);
    const operation = f.ledger.items.get('drill-2026-11-28');
    const retentionMs = f.config.ledgerRetentionDays * 86_400_000;
    expect((operation?.expiresAt ?? 0) * 1000 - (operation?.requestedAt ?? 0)).toBeGreaterThanOrEqual(retentionMs);
    expect((operation?.expiresAt ?? 0) * 1000 - (operation?.requestedAt ?? 0)).toBeLessThan(retentionMs + 1000);
  });
});

describe('Workflow: the same request, by its content', () => {
  async function deliver(...bodies: object[]) {
    const f = fixture();
    const service = createRestoreService(f.deps);
    const results = [];
    for (const body of bodies) {
      results.push(await service.handleMessage(JSON.stringify(body), { messageId: 'm' }, invocation()));
    }
    return { f, results };
  }

  it('refuses a requestId reused for another snapshot', async () => {
    // Act
    const { f, results } = await deliver(
      requests.automated({ snapshotId: 'latest' }),
      requests.automated({ snapshotId: '6650d1e2f3a4b5c6d7e8f9a0' }),
    );

    // Assess
    expect(results).toEqual(['processed', 'rejected']);
    expect(f.queue.deadLetters).toMatchObject([{ code: 'REQUEST_CONFLICT' }]);
  });

  it('takes an omitted snapshotId as latest: the same request', async () => {
    // Act
    const { snapshotId: _omitted, ...omitted } = requests.automated();
    const { f, results } = await deliver(omitted, requests.automated({ snapshotId: 'latest' }));

    // Assess
    expect(results).toEqual(['processed', 'duplicate']);
    expect(f.queue.deadLetters).toEqual([]);
  });

  it('refuses a requestId reused for a real restore after its dry run, restoring nothing', async () => {
    // Act
    const { f, results } = await deliver(requests.automated({ dryRun: true }), requests.automated());

    // Assess
    expect(results).toEqual(['processed', 'rejected']);
    expect(f.queue.deadLetters).toMatchObject([{ code: 'REQUEST_CONFLICT' }]);
    expect(f.atlas.count('createRestoreJob')).toBe(0);
  });

  it('takes dryRun false as no dry run: the same request', async () => {
    // Act
    const { f, results } = await deliver(requests.automated({ dryRun: false }), requests.automated());

    // Assess
    expect(results).toEqual(['processed', 'duplicate']);
    expect(f.queue.deadLetters).toEqual([]);
  });

  it('fingerprints a request alike whatever the order of its fields', () => {
    // Prepare
    const { groupId, clusterName, ...rest } = requests.automated();

    // Act
    const reordered = requestFingerprint({ ...rest, clusterName, groupId });

    // Assess
    expect(reordered).toBe(requestFingerprint(requests.automated()));
  });

  it('keeps the fingerprints ledgers hold: the CLI and the drill judge of another version compare them', () => {
    // Prepare: a changed scheme would make every request redelivered across an upgrade a REQUEST_CONFLICT.
    const source = { groupId: '5f1a2b3c4d5e6f7a8b9c0d1e', clusterName: 'prod' } as const;
    const target = { targetGroupId: '5f1a2b3c4d5e6f7a8b9c0d1e', targetClusterName: 'dr-drill' } as const;
    const stored: [RestoreRequest, string][] = [
      [{ ...source, deliveryType: 'automated', ...target, requestId: 'drill-1' }, '9a43b7c2d43091b2ba6c4e06d2af0667'],
      [
        { ...source, deliveryType: 'pointInTime', ...target, pointInTimeUTCSeconds: 1764300000, requestId: 'pit-1' },
        'abe770f9a4ba40d7948238350e7a42e1',
      ],
      [
        { ...source, deliveryType: 'download', snapshotId: '6650d1e2f3a4b5c6d7e8f9a0', dryRun: true },
        '9b36953bbcd1ff54c46de383eaa6e2af',
      ],
    ];

    // Act
    const fingerprints = stored.map(([request]) => requestFingerprint(request));

    // Assess
    expect(fingerprints).toEqual(stored.map(([, fingerprint]) => fingerprint));
  });
});

describe('Workflow: direct invocations', () => {
  it('queues a valid request instead of processing it inline', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request = requests.automated();

    // Act
    const result = await service.acceptDirect(request, { requestId: 'lambda-req-1' });

    // Assess
    expect(result).toEqual({ status: 'accepted', requestId: request.requestId });
    expect(f.queue.requests).toEqual([request]);
    expect(f.atlas.calls).toEqual([]);
  });

  it('makes an Invoke retried after a lost answer one operation, by its requestId', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request = requests.automated();

    // Act: two attempts, two Lambda request ids, one requestId.
    await service.acceptDirect(request, { requestId: 'lambda-req-1' });
    await service.acceptDirect(request, { requestId: 'lambda-req-2' });
    await drain(f, service);

    // Assess
    expect(f.queue.requests).toHaveLength(2);
    expect([...f.ledger.items.keys()]).toEqual([request.requestId]);
    expect(f.atlas.count('createRestoreJob')).toBe(1);
  });

  it('rejects an invocation without requestId: an SDK retry of Invoke would be a second operation', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const { requestId: _none, ...request } = requests.automated();

    // Act: the caller's SDK retried an Invoke whose answer was lost; each attempt has its own Lambda request id.
    const first = await service.acceptDirect(request, { requestId: 'lambda-req-1' });
    const retry = await service.acceptDirect(request, { requestId: 'lambda-req-2' });

    // Assess
    for (const result of [first, retry]) {
      expect(result).toMatchObject({
        status: 'rejected',
        code: 'INVALID_REQUEST',
        issues: [{ path: 'requestId', rule: 'required' }],
      });
    }
    expect(f.queue.requests).toEqual([]);
    expect(f.queue.deadLetters).toHaveLength(2);
  });

  it('rejects and dead-letters an invalid request, naming the field', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);

    // Act
    const result = await service.acceptDirect({ ...requests.automated(), maxWaitMinutes: 0 }, { requestId: 'r' });

    // Assess
    expect(result).toMatchObject({ status: 'rejected', code: 'INVALID_REQUEST', issues: [{ path: 'maxWaitMinutes' }] });
    expect(f.queue.deadLetters).toHaveLength(1);
    expect(f.queue.requests).toEqual([]);
  });

  it('refuses internal messages from direct invocations', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);

    // Act
    const result = await service.acceptDirect(
      { v: 1, kind: 'poll', operationId: 'x', step: 1, token: 't' },
      { requestId: 'r' },
    );

    // Assess
    expect(result).toMatchObject({ status: 'rejected', issues: [{ rule: 'internal_message' }] });
  });

  it('dead-letters an internal message sent by direct invocation as an invalid request, naming its field v', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const event = { v: 1, kind: 'poll', operationId: 'x', step: 1, token: 't' };

    // Act
    const result = await service.acceptDirect(event, { requestId: 'r' });

    // Assess
    const rejection = { code: 'INVALID_REQUEST', issues: [{ path: 'v', rule: 'internal_message' }] };
    expect(result).toMatchObject({ status: 'rejected', ...rejection });
    expect(f.queue.deadLetters).toMatchObject([{ origin: 'r', ...rejection }]);
    expect(JSON.parse(f.queue.deadLetters[0]?.body ?? '')).toEqual(event);
    expect(f.queue.requests).toEqual([]);
  });

  it('queues a point-in-time request whose instant has passed by the workflow clock', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const request = requests.pointInTime({ pointInTimeUTCSeconds: Math.floor(f.clock.now() / 1000) - 3600 });

    // Act
    const result = await service.acceptDirect(request, { requestId: 'r' });

    // Assess
    expect(result).toEqual({ status: 'accepted', requestId: request.requestId });
    expect(f.queue.requests).toEqual([request]);
  });

  it('keeps a rejected direct event in its dead letter as JSON, or as text when it is not JSON', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const event = { ...requests.automated(), maxWaitMinutes: 0 };

    // Act
    const results = [
      await service.acceptDirect(event, { requestId: 'r-1' }),
      await service.acceptDirect(undefined, { requestId: 'r-2' }),
      await service.acceptDirect({ ...event, big: 1n }, { requestId: 'r-3' }),
    ];

    // Assess: an operator reads (and can redrive) what was sent.
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(f.queue.deadLetters.map((letter) => letter.body)).toEqual([
      JSON.stringify(event),
      'undefined',
      '[object Object]',
    ]);
  });
});
