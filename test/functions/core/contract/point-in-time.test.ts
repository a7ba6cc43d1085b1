import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { restoreRequestJsonSchema } from '../../../../functions/core/contract/json-schema.ts';
import {
  MAX_POINT_IN_TIME_SECONDS,
  MIN_POINT_IN_TIME_SECONDS,
} from '../../../../functions/core/contract/restore-request.ts';
import { classifyWorkMessage, parseRestoreRequest } from '../../../../functions/core/contract/work-message.ts';

const validateWithJsonSchema = new Ajv2020({ strict: false, allErrors: true }).compile(restoreRequestJsonSchema());

/** The receiver's clock in these tests: 2026-11-30T12:00:00Z. */
const now = Date.UTC(2026, 10, 30, 12, 0, 0);
const nowSeconds = now / 1000;

const pointInTime = (when: Record<string, number>) => ({
  groupId: '5f1a2b3c4d5e6f7a8b9c0d1e',
  clusterName: 'prod',
  deliveryType: 'pointInTime',
  targetGroupId: '5f1a2b3c4d5e6f7a8b9c0d1e',
  targetClusterName: 'dr-drill',
  ...when,
});

describe('Contract: points in time', () => {
  it.each([
    ['pointInTimeUTCSeconds', { pointInTimeUTCSeconds: (nowSeconds - 3600) * 1000 }],
    ['oplogTs', { oplogTs: (nowSeconds - 3600) * 1000, oplogInc: 1 }],
  ])('refuses %s given in milliseconds, saying so, as does the JSON Schema', (field, when) => {
    // Act
    const parsed = parseRestoreRequest(pointInTime(when), { now });

    // Assess
    expect(parsed).toMatchObject({
      ok: false,
      code: 'INVALID_REQUEST',
      issues: [{ path: field, rule: 'looks_like_milliseconds' }],
    });
    if (parsed.ok) return;
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]?.message).toMatch(/^looks like milliseconds: as seconds it is the year 5\d{4};/);
    expect(parsed.issues[0]?.message).toContain(`(${nowSeconds - 3600} is 2026-11-30T11:00:00Z)`);
    expect(validateWithJsonSchema(pointInTime(when))).toBe(false);
  });

  it('asks for oplogInc when an oplog timestamp comes without it', () => {
    // Act
    const parsed = parseRestoreRequest(pointInTime({ oplogTs: nowSeconds - 60 }), { now });

    // Assess
    expect(parsed).toMatchObject({ ok: false, issues: [{ path: 'oplogInc', rule: 'required' }] });
    if (!parsed.ok) expect(parsed.issues).toHaveLength(1);
  });

  it('refuses seconds past 2038-01-19, which Atlas cannot store, without calling them milliseconds', () => {
    // Act
    const parsed = parseRestoreRequest(pointInTime({ pointInTimeUTCSeconds: 2 ** 31 }), { now: Date.UTC(2040, 0) });

    // Assess
    expect(parsed).toMatchObject({ ok: false, issues: [{ path: 'pointInTimeUTCSeconds', rule: 'too_big' }] });
  });

  it.each([
    ['the first instant Atlas takes', MIN_POINT_IN_TIME_SECONDS * 1000],
    ["the last instant Atlas's 32 bits hold", MAX_POINT_IN_TIME_SECONDS * 1000],
  ])('calls %s, given in milliseconds, milliseconds', (_case, milliseconds) => {
    // Act
    const parsed = parseRestoreRequest(pointInTime({ pointInTimeUTCSeconds: milliseconds }), { now });

    // Assess
    expect(parsed).toMatchObject({
      ok: false,
      issues: [{ path: 'pointInTimeUTCSeconds', rule: 'looks_like_milliseconds' }],
    });
  });

  it('refuses a number too large even for milliseconds as too big, not as milliseconds', () => {
    // Act
    const parsed = parseRestoreRequest(pointInTime({ pointInTimeUTCSeconds: (MAX_POINT_IN_TIME_SECONDS + 1) * 1000 }), {
      now,
    });

    // Assess
    expect(parsed).toMatchObject({ ok: false, issues: [{ path: 'pointInTimeUTCSeconds', rule: 'too_big' }] });
  });

  it.each([
    ['pointInTimeUTCSeconds', { pointInTimeUTCSeconds: nowSeconds + 1 }],
    ['oplogTs', { oplogTs: nowSeconds + 86_400, oplogInc: 1 }],
  ])('refuses %s in the future of the receiving clock, naming the instant and now', (field, when) => {
    // Act
    const parsed = parseRestoreRequest(pointInTime(when), { now });

    // Assess
    expect(parsed).toMatchObject({
      ok: false,
      code: 'INVALID_REQUEST',
      issues: [{ path: field, rule: 'in_the_future' }],
    });
    if (parsed.ok) return;
    expect(parsed.issues[0]?.message).toContain('after now (2026-11-30T12:00:00Z)');
  });

  it('accepts the present second and the past, and names the field under detail in an event', () => {
    // Act
    const present = parseRestoreRequest(pointInTime({ pointInTimeUTCSeconds: nowSeconds }), { now: now + 999 });
    const past = parseRestoreRequest(pointInTime({ oplogTs: nowSeconds - 60, oplogInc: 4 }), { now });
    const inEvent = classifyWorkMessage(
      {
        'detail-type': 'Restore',
        source: 'ops',
        id: 'e-1',
        detail: pointInTime({ oplogTs: nowSeconds + 60, oplogInc: 1 }),
      },
      { now },
    );

    // Assess
    expect(present.ok).toBe(true);
    expect(past.ok).toBe(true);
    expect(inEvent).toMatchObject({ ok: false, issues: [{ path: 'detail.oplogTs', rule: 'in_the_future' }] });
  });
});
