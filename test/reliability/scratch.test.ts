import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillRequest, OPERATION_ID } from './support/expectations.ts';
import { startSystem } from './support/system.ts';

describe('scratch', () => {
  it('secret missing', async () => {
    const system = await startSystem({});
    try {
      system.secret.fail('ResourceNotFoundException');
      system.submit(drillRequest(system.seed));
      await system.run();
      const op = await system.ledger.get(OPERATION_ID);
      console.error(op?.outcome, op?.errorCode, op?.outcomeReason);
      system.secrets.add('x', 'restore outcome');
      console.error(system.secrets.leaksIn(system.logs.text()));
    } finally { await system.close(); }
  });
});
