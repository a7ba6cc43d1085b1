import { describe, expect, it } from 'vitest';
import { parseRestoreRequest } from '../../../../functions/core/contract/work-message.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const request = (check: Record<string, unknown>) => ({
  requestId: 'drill-2026-11-30',
  groupId: GROUP,
  clusterName: 'prod',
  deliveryType: 'automated',
  snapshotId: 'latest',
  targetGroupId: GROUP,
  targetClusterName: 'dr-drill',
  verify: { checks: [{ database: 'shop', collection: 'orders', ...check }] },
});
const parse = (check: Record<string, unknown>) => parseRestoreRequest(request(check), { now: Date.now() });

describe('Contract: a verified request’s declared checks', () => {
  it('accepts an age check given whole, and a check with no age', () => {
    expect(parse({ newestField: 'createdAt', maxAgeMinutes: 60 })).toMatchObject({ ok: true });
    expect(parse({ minCount: 10 })).toMatchObject({ ok: true });
  });

  it.each([
    ['maxAgeMinutes without newestField', { maxAgeMinutes: 60 }, 'verify.checks.0.newestField'],
    ['newestField without maxAgeMinutes', { newestField: 'createdAt' }, 'verify.checks.0.maxAgeMinutes'],
  ])('refuses %s, naming the missing half: it would pass on the count alone', (_case, check, path) => {
    expect(parse(check)).toEqual({
      ok: false,
      code: 'INVALID_REQUEST',
      issues: [{ path, rule: 'age_check_pair', message: expect.stringContaining('newestField and maxAgeMinutes') }],
    });
  });
});
