import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient } from './test-client.ts';

describe('Atlas simulator: the 429 body', () => {
  let simulator: AtlasSimulator;
  let client: TestClient;
  let restoreJobs: string;

  beforeEach(async () => {
    simulator = await startAtlasSimulator({
      clock: new SimulatedClock({ scale: 0 }),
      rateLimit: { capacity: 2, refillPerMinute: 5, retryAfter: false },
    });
    client = new TestClient(simulator);
    restoreJobs = `/api/atlas/v2/groups/${simulator.seed.groupId}/clusters/${simulator.seed.sourceClusterName}/backup/restoreJobs`;
  });
  afterEach(() => simulator.close());

  it('says how long to wait in detail and parameters, as the documented sample does, without Retry-After', async () => {
    // Prepare
    await client.call(restoreJobs);
    await client.call(restoreJobs);

    // Act
    const refused = await client.call(restoreJobs);
    simulator.clock.advance(6_000);
    const later = await client.call(restoreJobs);

    // Assess
    const path = restoreJobs.slice(1);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.json).toEqual({
      error: 429,
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      reason: 'Too Many Requests',
      detail: `Rate limit exceeded for ${path}. Please retry after 12 seconds. Request capacity: 2. Refill rate: 5 per 60 seconds.`,
      parameters: [path, 12, 2, 5, 60],
    });
    expect(later.json).toMatchObject({ parameters: [path, 6, 2, 5, 60] });
  });
});
