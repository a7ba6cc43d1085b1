import { describe, expect, it } from 'vitest';
import { parseRestoreRequest } from '../../../../functions/core/contract/work-message.ts';
import { requests } from '../workflow/fakes.ts';

const request = (check: Record<string, unknown>) =>
  requests.automated({ verify: { checks: [{ database: 'shop', collection: 'orders', ...check }] } });
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
