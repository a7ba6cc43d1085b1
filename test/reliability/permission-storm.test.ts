import { describe, expect, it } from 'vitest';
import { drillRequest, expectSettled } from './support/expectations.ts';
import { useSystems } from './support/use-systems.ts';

/**
 * Credentials that Atlas accepts but that may not act in the project (401 NOT_IN_GROUP, USER_CANNOT_ACCESS_GROUP,
 * USER_UNAUTHORIZED), through the whole function: each request fails for good at once, naming the project and the
 * code, and no refusal mints a token (each would live an hour against the account's 100).
 */
describe('Reliability: a storm of permission refusals', () => {
  const start = useSystems();

  it.each([
    ['notInOrganization', 'NOT_IN_GROUP'],
    ['noProjectAccess', 'USER_CANNOT_ACCESS_GROUP'],
    ['readOnly', 'USER_UNAUTHORIZED'],
  ] as const)('%s: twenty requests fail for good with %s, with at most two live tokens', async (access, errorCode) => {
    // Prepare
    const current = await start();
    current.sim.setProjectAccess(current.seed.groupId, access);
    const ids = Array.from({ length: 20 }, (_, index) => `storm-${access}-${index}`);

    // Act
    for (const requestId of ids) current.submit(drillRequest(current.seed, { requestId }));
    await current.run();

    // Assess
    for (const requestId of ids) {
      const operation = await expectSettled(current, { outcome: 'failed', jobs: 0 }, requestId);
      expect(operation.errorCode).toBe(errorCode);
      expect(operation.outcomeReason).toContain(current.seed.groupId);
    }
    expect(current.sim.liveTokens()).toBeLessThanOrEqual(2);
    expect(current.sim.requests.filter((request) => request.path === '/api/oauth/token').length).toBeLessThanOrEqual(2);
    expect(current.batchItemFailures).toEqual([]);
  });
});
