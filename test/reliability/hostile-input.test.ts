import type { SQSBatchResponse } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RejectionCode } from '../../functions/core/contract/work-message.ts';
import { createHandler } from '../../functions/core/workflow/lambda-handler.ts';
import { createRestoreService } from '../../functions/core/workflow/service.ts';
import { invalidRequest, validRequest } from '../functions/core/contract/arbitraries.ts';
import { fixture } from '../functions/core/workflow/fakes.ts';
import { fakeLambdaContext } from '../support/lambda-context.ts';
import { toSqsEvent } from '../support/local-aws.ts';

/**
 * Hostile message bodies through the real Lambda handler and workflow (Atlas, ledger and queues in memory, so that
 * 10,000 run in seconds): whatever arrives, the handler never throws, an invalid message is dead-lettered exactly as
 * received with the field and rule it breaks, it creates no operation, and Atlas is never called for it.
 */

type Kind = 'valid' | 'invalid' | 'junk';
interface Generated {
  readonly kind: Kind;
  readonly body: string;
  /** For invalid requests: the fields (and rules) at least one of which the rejection must name. */
  readonly expect?: readonly { readonly path: string; readonly rule?: string }[];
}

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const base = { groupId: GROUP, clusterName: 'prod', deliveryType: 'download' };

/** Nested `depth` levels deep, built as text (JSON.stringify would recurse). */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Shapes attackers and broken producers send, each with and without a valid request around it. */
const nasty = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '-1e309',
    '"a string"',
    '[]',
    '[{"groupId":"5f1a2b3c4d5e6f7a8b9c0d1e"}]',
    '{}',
    '{"__proto__":{"polluted":true}}',
    `{"__proto__":{"polluted":true},"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download"}`,
    `{"constructor":{"prototype":{"polluted":true}},"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download"}`,
    `{"detail-type":"x","source":"s","id":"e1","detail":{"__proto__":{"polluted":true},"groupId":"${GROUP}"}}`,
    '{"v":1,"kind":"poll","operationId":"x","step":1,"token":"t","__proto__":{"polluted":true}}',
    `{"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download","maxWaitMinutes":"60"}`,
    `{"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download","dryRun":"true"}`,
    `{"groupId":"${GROUP}","clusterName":"prod","deliveryType":"pointInTime","targetGroupId":"${GROUP}","targetClusterName":"dr","pointInTimeUTCSeconds":"1764300000"}`,
    `{"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download","ALLOWED_TARGETS":"${GROUP}/prod"}`,
    `{"groupId":"${GROUP}","clusterName":"prod\u0000","deliveryType":"download"}`,
    `{"groupId":"${GROUP}","clusterName":"pr\u043Ed","deliveryType":"download"}`,
    `{"groupId":"${GROUP}","clusterName":"prod\u200D","deliveryType":"download"}`,
    `{"groupId":"${GROUP}","clusterName":"\u202Edorp","deliveryType":"download"}`,
    `{"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download","requestId":"\uD800"}`,
    `{"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download","requestId":"../../etc"}`,
    `{"groupId":"${GROUP}","clusterName":"../prod","deliveryType":"download"}`,
    `{"groupId":"${GROUP}","clusterName":"prod%2F..","deliveryType":"download"}`,
    `{"groupId":"${GROUP}","clusterName":"prod?x=1#y","deliveryType":"download"}`,
    `{"groupId":"${GROUP.toUpperCase()}","clusterName":"prod","deliveryType":"download"}`,
    nestedArrays(20_000),
    nestedObjects(20_000),
    `{"detail-type":"x","source":"s","id":"e1","detail":${nestedObjects(20_000)}}`,
    `{"groupId":"${GROUP}","clusterName":"${'a'.repeat(250_000)}","deliveryType":"download"}`,
    `{"groupId":"${GROUP}","clusterName":"prod","deliveryType":"download","x":"${'\u00e9'.repeat(100_000)}"}`,
    '{"groupId": ',
    '\uFEFF{}',
    '{"groupId":"a","groupId":"b"}',
  ),
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.string({ maxLength: 200, unit: 'grapheme' }),
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 })
    .map((extra) => JSON.stringify({ ...base, ...extra })),
  fc
    .record({ detail: fc.jsonValue({ maxDepth: 3 }), 'detail-type': fc.string(), source: fc.string(), id: fc.string() })
    .map((event) => JSON.stringify(event)),
);

const generated: fc.Arbitrary<Generated> = fc.oneof(
  {
    weight: 3,
    // Valid by the contract; without requestId the work queue refuses it all the same (no default id).
    arbitrary: validRequest.map(
      (request): Generated =>
        request.requestId === undefined
          ? { kind: 'invalid', body: JSON.stringify(request), expect: [{ path: 'requestId', rule: 'required' }] }
          : { kind: 'valid', body: JSON.stringify(request) },
    ),
  },
  {
    weight: 3,
    arbitrary: invalidRequest.map((mutation) => ({
      kind: 'invalid' as const,
      body: JSON.stringify(mutation.value),
      expect: mutation.expect,
    })),
  },
  { weight: 4, arbitrary: nasty.map((body) => ({ kind: 'junk' as const, body })) },
);

const REJECTION_CODES: readonly (RejectionCode | 'REQUEST_CONFLICT')[] = [
  'MALFORMED_JSON',
  'INVALID_REQUEST',
  'INVALID_EVENT',
  'INVALID_INTERNAL_MESSAGE',
  'REQUEST_CONFLICT',
];

describe('Reliability: hostile input through the handler', () => {
  it('dead-letters every invalid message with its field and rule, never throwing or calling Atlas (10,000 generated)', async () => {
    // Prepare
    const f = fixture();
    const service = createRestoreService(f.deps);
    const handler = createHandler({ service, log: f.log });
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const seen: Record<Kind | 'rejected', number> = { valid: 0, invalid: 0, junk: 0, rejected: 0 };
    let counter = 0;

    // Act & Assess
    try {
      await fc.assert(
        fc.asyncProperty(generated, async (message) => {
          counter += 1;
          seen[message.kind] += 1;
          const messageId = `hostile-${counter}`;
          const atlasCallsBefore = f.atlas.calls.length;
          const lettersBefore = f.queue.deadLetters.length;
          const operationsBefore = f.ledger.items.size;

          const response = (await handler(
            toSqsEvent([{ MessageId: messageId, ReceiptHandle: messageId, Body: message.body }], 'arn:aws:sqs:::work'),
            fakeLambdaContext(),
          )) as SQSBatchResponse;

          expect(response.batchItemFailures).toEqual([]);
          const letters = f.queue.deadLetters.slice(lettersBefore);
          if (letters.length === 0) {
            expect(message.kind, `accepted: ${message.body.slice(0, 200)}`).not.toBe('invalid');
            expect(f.ledger.items.size).toBeGreaterThanOrEqual(operationsBefore);
            return;
          }
          seen.rejected += 1;
          expect(letters).toHaveLength(1);
          const [letter] = letters;
          if (letter === undefined) return;
          expect(letter.body).toBe(message.body);
          expect(letter.origin).toBe(messageId);
          expect(REJECTION_CODES).toContain(letter.code);
          expect(letter.issues.length).toBeGreaterThan(0);
          for (const issue of letter.issues) {
            expect(issue.path.length).toBeGreaterThan(0);
            expect(issue.rule.length).toBeGreaterThan(0);
            expect(issue.message.length).toBeGreaterThan(0);
          }
          if (letter.code !== 'REQUEST_CONFLICT') {
            expect(message.kind, `rejected: ${message.body.slice(0, 200)}`).not.toBe('valid');
            expect(f.ledger.items.size).toBe(operationsBefore);
            expect(f.atlas.calls.length).toBe(atlasCallsBefore);
          }
          if (message.expect) {
            const named = message.expect.some((expected) =>
              letter.issues.some(
                (issue) =>
                  issue.path === expected.path && (expected.rule === undefined || issue.rule === expected.rule),
              ),
            );
            expect(named, `${JSON.stringify(message.expect)} in ${JSON.stringify(letter.issues)}`).toBe(true);
          }
        }),
        { numRuns: 10_000 },
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    expect(counter).toBeGreaterThanOrEqual(10_000);
    expect(seen.valid).toBeGreaterThan(2_000);
    expect(seen.invalid).toBeGreaterThan(2_000);
    expect(seen.junk).toBeGreaterThan(3_000);
    expect(seen.rejected).toBeGreaterThan(seen.invalid);
    expect(unhandled).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(f.log.lines.filter((line) => line.message.startsWith('message failed'))).toEqual([]);
  }, 120_000);
});
