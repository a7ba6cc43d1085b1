import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AtlasSimulator, SimulatedClock, startAtlasSimulator } from '../../atlas-simulator/index.ts';
import { atlasEnv, runInProcess } from './run-cli.ts';

/**
 * The CLI mints a service-account token per command; left alone it would live an hour and count against the
 * account's 100 live tokens, so a script running the CLI in a loop could lock the account out. It revokes on exit.
 */
describe('CLI: service-account token revocation', () => {
  let sim: AtlasSimulator;
  let cluster: string[];

  beforeEach(async () => {
    sim = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }), rateLimit: false });
    cluster = ['--projectId', sim.seed.groupId, '--clusterName', sim.seed.sourceClusterName];
  });
  afterEach(() => sim.close());

  it('revokes the token it minted when a command succeeds', async () => {
    // Act
    const result = await runInProcess(['snapshots', 'list', ...cluster], atlasEnv(sim));

    // Assess
    expect(result.code).toBe(0);
    expect(sim.requests.filter((request) => request.path === '/api/oauth/token')).toHaveLength(1);
    expect(sim.requests.filter((request) => request.path === '/api/oauth/revoke').map((r) => r.status)).toEqual([200]);
    expect(sim.liveTokens()).toBe(0);
  });

  it('revokes the token it minted when a command fails', async () => {
    // Prepare
    sim.setProjectAccess(sim.seed.groupId, 'notInOrganization');

    // Act
    const result = await runInProcess(['snapshots', 'list', ...cluster], atlasEnv(sim));

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('NOT_IN_GROUP');
    expect(result.stderr).not.toContain(sim.seed.credentials.clientSecret);
    expect(sim.liveTokens()).toBe(0);
  });

  it('leaves no live token after twenty commands in a row', async () => {
    // Act
    for (let run = 0; run < 20; run += 1) await runInProcess(['jobs', 'list', ...cluster], atlasEnv(sim));

    // Assess
    expect(sim.liveTokens()).toBe(0);
  });
});
