import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { restoreRequestJsonSchema } from '../../../../functions/core/contract/json-schema.ts';
import {
  MAX_WAIT_MINUTES_LIMIT,
  restoreRequestSchema,
  restoreTarget,
} from '../../../../functions/core/contract/restore-request.ts';
import {
  classifyWorkMessage,
  parseRestoreRequest,
  parseWorkMessageBody,
} from '../../../../functions/core/contract/work-message.ts';
import { invalidRequest, RECEIVED_AT_MS, validRequest } from './arbitraries.ts';

// Draft 2020-12 validator, to check that the published JSON Schema says what zod enforces.
const ajv = new Ajv2020({ strict: false, allErrors: true });
const validateWithJsonSchema = ajv.compile(restoreRequestJsonSchema());
const receivedAt = { now: RECEIVED_AT_MS };
const GROUP_ID = '5f1a2b3c4d5e6f7a8b9c0d1e';

describe('Contract: restore request', () => {
  it('accepts every valid request unchanged, as does the published JSON Schema (4,000 generated)', () => {
    fc.assert(
      fc.property(validRequest, (request) => {
        const parsed = parseRestoreRequest(request, receivedAt);
        expect(parsed).toEqual({ ok: true, kind: 'request', request });
        expect(validateWithJsonSchema(request)).toBe(true);
      }),
      { numRuns: 4_000 },
    );
  });

  it('rejects every broken request naming the field and rule, as does the JSON Schema (5,000 generated)', () => {
    fc.assert(
      fc.property(invalidRequest, (mutation) => {
        const parsed = parseRestoreRequest(mutation.value, receivedAt);
        if (parsed.ok) throw new Error(`accepted: ${mutation.name}`);
        const named = mutation.expect.some((expected) =>
          parsed.issues.some(
            (issue) => issue.path === expected.path && (expected.rule === undefined || issue.rule === expected.rule),
          ),
        );
        if (!named) {
          throw new Error(
            `${mutation.name}: expected ${JSON.stringify(mutation.expect)}, got ${JSON.stringify(parsed.issues)}`,
          );
        }
        for (const issue of parsed.issues) expect(issue.message.length).toBeGreaterThan(0);
        expect(validateWithJsonSchema(mutation.value)).toBe(false);
      }),
      { numRuns: 5_000 },
    );
  });

  it('never throws on arbitrary bodies and values, answering a request or named issues (2,000 generated)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
        ),
        (body) => {
          const result = parseWorkMessageBody(body, receivedAt);
          if (result.ok) return;
          expect(result.issues.length).toBeGreaterThan(0);
          for (const issue of result.issues) {
            expect(typeof issue.path).toBe('string');
            expect(typeof issue.rule).toBe('string');
          }
        },
      ),
      { numRuns: 1_000 },
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(() => classifyWorkMessage(value, receivedAt)).not.toThrow();
      }),
      { numRuns: 1_000 },
    );
  });

  it('explains an unknown key that looks like a typo of a known one', () => {
    // Act
    const parsed = parseRestoreRequest(
      {
        groupId: '5f1a2b3c4d5e6f7a8b9c0d1e',
        clusterName: 'prod',
        deliveryType: 'download',
        snapshotID: 'latest',
        dryrun: true,
      },
      receivedAt,
    );

    // Assess
    expect(parsed).toMatchObject({
      ok: false,
      issues: [
        { path: 'snapshotID', rule: 'unrecognized_keys', message: 'unknown field (did you mean snapshotId?)' },
        { path: 'dryrun', rule: 'unrecognized_keys', message: 'unknown field (did you mean dryRun?)' },
      ],
    });
  });

  it('names an unknown key that is the empty string, at the top and under detail', () => {
    // Prepare
    const request = { groupId: '5f1a2b3c4d5e6f7a8b9c0d1e', clusterName: 'prod', deliveryType: 'download', '': 1 };

    // Act
    const direct = parseRestoreRequest(request, receivedAt);
    const inEvent = classifyWorkMessage(
      { 'detail-type': 'Drill', source: 'ops', id: 'e-1', detail: request },
      receivedAt,
    );

    // Assess
    expect(direct).toMatchObject({ ok: false, issues: [{ path: '""', rule: 'unrecognized_keys' }] });
    expect(inEvent).toMatchObject({ ok: false, issues: [{ path: 'detail.""', rule: 'unrecognized_keys' }] });
  });

  it('reads the request in an EventBridge event, with issue paths under detail', () => {
    // Act
    const accepted = classifyWorkMessage(
      {
        id: 'e-1',
        'detail-type': 'Restore requested',
        source: 'ops',
        detail: { groupId: '5f1a2b3c4d5e6f7a8b9c0d1e', clusterName: 'prod', deliveryType: 'download' },
      },
      receivedAt,
    );
    const rejected = classifyWorkMessage(
      {
        id: 'e-2',
        'detail-type': 'x',
        source: 'ops',
        detail: { clusterName: 'p' },
      },
      receivedAt,
    );

    // Assess
    expect(accepted).toMatchObject({ ok: true, kind: 'request', eventId: 'e-1' });
    expect(rejected).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    if (!rejected.ok) {
      expect(rejected.issues).toContainEqual({ path: 'detail.groupId', rule: 'required', message: 'required' });
    }
  });

  it('rejects an EventBridge-looking message without its envelope fields', () => {
    // Act
    const rejected = classifyWorkMessage({ detail: {} }, receivedAt);

    // Assess
    expect(rejected).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
    if (!rejected.ok) expect(rejected.issues.map((issue) => issue.path)).toEqual(['detail-type', 'source', 'id']);
  });
});

describe('Contract: cross-field rules', () => {
  const source = { groupId: GROUP_ID, clusterName: 'prod' };
  const target = { targetGroupId: GROUP_ID, targetClusterName: 'dr-drill' };
  const ephemeralTarget = { groupId: GROUP_ID };

  it('refuses a download bringing an ephemeral target and naming a target only as refused for a download', () => {
    // Act
    const parsed = parseRestoreRequest(
      { ...source, deliveryType: 'download', ephemeralTarget, targetClusterName: 'dr-drill' },
      receivedAt,
    );

    // Assess
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'ephemeralTarget', rule: 'refused_for_download' },
      { path: 'targetClusterName', rule: 'refused_for_download' },
    ]);
  });

  it("explains every cross-field refusal in its own words, not zod's generic message", () => {
    // Prepare
    const generic = z
      .unknown()
      .refine(() => false)
      .safeParse(1).error?.issues[0]?.message;
    const broken = [
      { ...source, deliveryType: 'automated' },
      { ...source, deliveryType: 'automated', ...target, ephemeralTarget },
      { ...source, deliveryType: 'download', ephemeralTarget },
      { ...source, deliveryType: 'download', ...target },
      { ...source, deliveryType: 'download', verify: {} },
      { ...source, deliveryType: 'automated', ...target, oplogInc: 1 },
      { ...source, deliveryType: 'pointInTime', ...target, snapshotId: 'latest', pointInTimeUTCSeconds: 1_764_000_000 },
      { ...source, deliveryType: 'pointInTime', ...target, pointInTimeUTCSeconds: 1_764_000_000, oplogInc: 1 },
      { ...source, deliveryType: 'pointInTime', ...target },
      { ...source, deliveryType: 'pointInTime', ...target, oplogInc: 1 },
    ];

    // Act
    const issues = broken.flatMap((request) => {
      const parsed = parseRestoreRequest(request, receivedAt);
      return parsed.ok ? [] : parsed.issues;
    });

    // Assess
    expect(generic).toBeTypeOf('string');
    expect(new Set(issues.map((issue) => issue.rule))).toEqual(
      new Set([
        'required',
        'not_with_ephemeral_target',
        'refused_for_download',
        'point_in_time_only',
        'not_with_point_in_time',
        'one_point_in_time',
      ]),
    );
    for (const issue of issues) expect(issue.message, `${issue.path} ${issue.rule}`).not.toBe(generic);
  });

  it("explains each value out of its range in its own words, not zod's default for the check", () => {
    // Prepare
    const pointInTime = { ...source, deliveryType: 'pointInTime', ...target };
    const automated = { ...source, deliveryType: 'automated', ...target };
    const broken = [
      { ...pointInTime, pointInTimeUTCSeconds: 100 },
      { ...pointInTime, pointInTimeUTCSeconds: 2 ** 31 },
      { ...pointInTime, oplogTs: 100, oplogInc: 0 },
      { ...automated, maxWaitMinutes: 0 },
      { ...automated, maxWaitMinutes: MAX_WAIT_MINUTES_LIMIT + 1 },
      { ...automated, snapshotId: 'x' },
      { ...automated, snapshotId: 5 },
    ];
    const zodDefault = z.config().localeError;

    // Act
    const issues = broken.flatMap((request) => restoreRequestSchema.safeParse(request).error?.issues ?? []);

    // Assess
    expect(zodDefault).toBeTypeOf('function');
    expect(issues.map((issue) => issue.path.join('.'))).toEqual([
      'pointInTimeUTCSeconds',
      'pointInTimeUTCSeconds',
      'oplogTs',
      'oplogInc',
      'maxWaitMinutes',
      'maxWaitMinutes',
      'snapshotId',
      'snapshotId',
    ]);
    for (const issue of issues) {
      expect(issue.message, issue.path.join('.')).not.toBe('');
      expect(issue.message, issue.path.join('.')).not.toBe(zodDefault?.({ ...issue, input: undefined }));
    }
  });
});

describe('Function: restoreTarget', () => {
  it('is the cluster overwritten, and none unless both target fields are given', () => {
    // Prepare
    const base = { groupId: GROUP_ID, clusterName: 'prod', deliveryType: 'automated' } as const;

    // Act
    const both = restoreTarget({ ...base, targetGroupId: GROUP_ID, targetClusterName: 'dr-drill' });
    const projectOnly = restoreTarget({ ...base, targetGroupId: GROUP_ID });
    const clusterOnly = restoreTarget({ ...base, targetClusterName: 'dr-drill' });
    const download = restoreTarget({ ...base, deliveryType: 'download' });

    // Assess
    expect(both).toEqual({ groupId: GROUP_ID, clusterName: 'dr-drill' });
    expect([projectOnly, clusterOnly, download]).toEqual([undefined, undefined, undefined]);
  });
});

describe('Contract: internal messages', () => {
  it('accepts the versioned start, poll and wait messages', () => {
    // Prepare
    const base = { v: 1, operationId: 'drill-1', step: 3, token: 'abc' };

    // Act
    const results = [
      { ...base, kind: 'start' },
      { ...base, kind: 'poll' },
      { ...base, kind: 'wait', until: 1_764_300_000_000, next: 'poll' },
    ].map((message) => classifyWorkMessage(message, receivedAt));

    // Assess
    for (const result of results) expect(result).toMatchObject({ ok: true, kind: 'internal' });
  });

  it.each([
    [{ v: 2, kind: 'poll', operationId: 'x', step: 1, token: 't' }, 'v'],
    [{ v: 1, kind: 'poll', operationId: 'x', step: -1, token: 't' }, 'step'],
    [{ v: 1, kind: 'poll', operationId: 'bad id', step: 1, token: 't' }, 'operationId'],
    [{ v: 1, kind: 'poll', operationId: 'x', step: 1, token: 't', extra: 1 }, 'extra'],
    [{ v: 1, kind: 'wait', operationId: 'x', step: 1, token: 't', until: 5 }, 'next'],
  ])('rejects %j naming %s', (message, path) => {
    // Act
    const result = classifyWorkMessage(message, receivedAt);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('INVALID_INTERNAL_MESSAGE');
      expect(result.issues.map((issue) => issue.path)).toContain(path);
    }
  });
});
