import { afterAll, afterEach, beforeAll } from 'vitest';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import { type System, type SystemOptions, startSystem } from './system.ts';

/**
 * The lifecycle the fault tests share: one dynalite for the file, one system per test on the DynamoDB ledger,
 * closed after each test. Returns `start`, which replaces the test's system.
 */
export function useSystems(): (options?: SystemOptions) => Promise<System> {
  let aws: LocalAws;
  let system: System | undefined;

  beforeAll(async () => {
    aws = await startLocalAws();
  });
  afterEach(async () => {
    await system?.close();
    system = undefined;
  });
  afterAll(() => aws.stop());

  return async (options = {}) => {
    await system?.close();
    system = await startSystem({ ledger: 'dynamodb', dynamodbEndpoint: aws.dynamodbEndpoint, ...options });
    return system;
  };
}
