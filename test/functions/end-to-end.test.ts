import { afterEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_ATTRIBUTES } from '../../functions/core/queue/sqs-queue.ts';
import { peekMessages } from '../support/local-aws.ts';
import { type EndToEnd, startEndToEnd } from './end-to-end-harness.ts';

let e2e: EndToEnd | undefined;

afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

describe('End to end: request to outcome', () => {
  it('restores the newest snapshot onto the drill target (automated)', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const request = e2e.request();

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    const { groupId, sourceClusterName, completedSnapshotId } = e2e.sim.seed;
    const jobs = e2e.sim.state.restoreJobs(groupId, sourceClusterName);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ snapshotId: completedSnapshotId, targetClusterName: request.targetClusterName });
    expect(e2e.submissions()).toBe(1);
    expect(operation).toMatchObject({
      outcome: 'succeeded',
      restoreJobId: jobs[0]?.id,
      snapshotId: completedSnapshotId,
      rpoSeconds: expect.any(Number),
      rtoSeconds: expect.any(Number),
    });
    expect(operation.rpoSeconds).toBeGreaterThanOrEqual(3 * 3600);
    expect(operation.atlasCalls).toBe(e2e.sim.requests.filter((r) => r.path.startsWith('/api/atlas/')).length);
    expect(e2e.reporter.outcomes).toHaveLength(1);
  });

  it('prepares a download and never stores or reports its URL', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const request = e2e.request({ deliveryType: 'download', targetGroupId: undefined, targetClusterName: undefined });

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    const [job] = e2e.sim.state.restoreJobs(e2e.sim.seed.groupId, e2e.sim.seed.sourceClusterName);
    expect(job?.deliveryType).toBe('download');
    expect(job?.deliveryUrl?.length).toBeGreaterThan(0);
    expect(operation).toMatchObject({ outcome: 'succeeded' });
    const everything = JSON.stringify([operation, e2e.reporter.outcomes, e2e.log.lines]);
    for (const url of job?.deliveryUrl ?? []) expect(everything).not.toContain(url);
  });

  it('restores to a point in time', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const pointInTimeUTCSeconds = Math.floor((e2e.sim.clock.now() - 3600_000) / 1000);
    const request = e2e.request({ deliveryType: 'pointInTime', snapshotId: undefined, pointInTimeUTCSeconds });

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    const jobs = e2e.sim.state.restoreJobs(e2e.sim.seed.groupId, e2e.sim.seed.sourceClusterName);
    expect(jobs).toMatchObject([{ deliveryType: 'pointInTime', pointInTimeUTCSeconds }]);
    expect(operation).toMatchObject({ outcome: 'succeeded', snapshotAt: pointInTimeUTCSeconds * 1000 });
  });

  it('defers while an on-demand snapshot is in progress, then restores it', async () => {
    // Prepare: the snapshot takes 10 simulated hours; the clock jumps them once the start has deferred.
    e2e = await startEndToEnd();
    const run = e2e;
    const { groupId, sourceClusterName } = e2e.sim.seed;
    const onDemand = e2e.sim.state.addSnapshot(groupId, sourceClusterName, {
      snapshotType: 'onDemand',
      inProgressMs: 10 * 3600_000,
    });
    const request = e2e.request();
    let jumped = false;

    // Act
    await e2e.send(request);
    const operation = await e2e.runUntilOutcome(request.requestId ?? '', {
      afterPoll: () => {
        if (!jumped && run.reporter.deferrals.length > 0) {
          jumped = true;
          run.sim.clock.advance(10 * 3600_000);
        }
      },
    });

    // Assess
    expect(e2e.reporter.deferrals.map((deferral) => deferral.code)).toEqual(['SNAPSHOT_IN_PROGRESS']);
    expect(operation).toMatchObject({ outcome: 'succeeded', snapshotId: onDemand, deferAttempts: 1 });
    expect(e2e.submissions()).toBe(1);
  });

  it('accepts a request inside an EventBridge event', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const detail = e2e.request();

    // Act
    await e2e.send({ version: '0', id: 'evt-42', 'detail-type': 'Restore requested', source: 'ops.dr', detail });
    const operation = await e2e.runUntilOutcome(detail.requestId ?? '');

    // Assess
    expect(operation.outcome).toBe('succeeded');
  });

  it('queues a direct invocation on the work queue and runs it from there', async () => {
    // Prepare
    e2e = await startEndToEnd();
    const request = e2e.request();
    const { fakeLambdaContext } = await import('../support/lambda-context.ts');

    // Act
    const accepted = await e2e.handler(request, fakeLambdaContext());
    const operation = await e2e.runUntilOutcome(request.requestId ?? '');

    // Assess
    expect(accepted).toEqual({ status: 'accepted', requestId: request.requestId });
    expect(operation.outcome).toBe('succeeded');
  });
});

describe('End to end: malformed messages', () => {
  const malformed: [string, string, string, string][] = [
    ['not JSON', '{"groupId": "5f1a', 'MALFORMED_JSON', '(message)'],
    ['an array', '[1,2]', 'INVALID_REQUEST', '(message)'],
    [
      'a typo',
      '{"groupId":"5f1a2b3c4d5e6f7a8b9c0d1e","clusterName":"p","deliveryType":"download","snapshotID":"latest"}',
      'INVALID_REQUEST',
      'snapshotID',
    ],
    [
      'a missing target',
      '{"groupId":"5f1a2b3c4d5e6f7a8b9c0d1e","clusterName":"p","deliveryType":"automated"}',
      'INVALID_REQUEST',
      'targetClusterName',
    ],
    [
      'an uppercase id',
      '{"groupId":"5F1A2B3C4D5E6F7A8B9C0D1E","clusterName":"p","deliveryType":"download"}',
      'INVALID_REQUEST',
      'groupId',
    ],
    [
      'both point-in-time forms',
      '{"groupId":"5f1a2b3c4d5e6f7a8b9c0d1e","clusterName":"p","deliveryType":"pointInTime","targetGroupId":"5f1a2b3c4d5e6f7a8b9c0d1e","targetClusterName":"d","pointInTimeUTCSeconds":1764300000,"oplogTs":1764300000,"oplogInc":1}',
      'INVALID_REQUEST',
      'pointInTimeUTCSeconds',
    ],
    [
      'a bad requestId',
      '{"groupId":"5f1a2b3c4d5e6f7a8b9c0d1e","clusterName":"p","deliveryType":"download","requestId":"a b"}',
      'INVALID_REQUEST',
      'requestId',
    ],
    ['an event without detail', '{"id":"1","detail-type":"x","source":"y"}', 'INVALID_EVENT', 'detail'],
    [
      'a forged internal message',
      '{"v":1,"kind":"poll","operationId":"x","step":"1","token":"t"}',
      'INVALID_INTERNAL_MESSAGE',
      'step',
    ],
  ];

  it('dead-letters every malformed message with its reason, deletes it, and never calls Atlas', async () => {
    // Prepare
    e2e = await startEndToEnd();
    for (const [, body] of malformed) await e2e.send(body);

    // Act
    await e2e.runUntilIdle();

    // Assess
    const letters = await peekMessages(e2e.aws.sqs, e2e.aws.deadLetterQueueUrl);
    expect(letters).toHaveLength(malformed.length);
    for (const [name, body, code, path] of malformed) {
      const letter = letters.find((message) => message.Body === body);
      expect(letter, name).toBeDefined();
      expect(letter?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.code]?.StringValue, name).toBe(code);
      const issues = JSON.parse(letter?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.issues]?.StringValue ?? '[]');
      expect(
        issues.map((issue: { path: string }) => issue.path),
        name,
      ).toContain(path);
      expect(letter?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue, name).toContain(path);
    }
    expect(e2e.sim.requests).toEqual([]);
    expect(await peekMessages(e2e.aws.sqs, e2e.aws.workQueueUrl)).toEqual([]);
    expect(e2e.reporter.rejections).toHaveLength(malformed.length);
  });
});
