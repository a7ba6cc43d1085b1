import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createAtlasClient } from '../../../../functions/core/atlas/client.ts';
import { environmentCredentials } from '../../../../functions/core/credentials/environment.ts';
import { SimulatedClock } from '../../../atlas-simulator/index.ts';
import { type CredentialKind, type Harness, startHarness } from './simulator-harness.ts';

/** Simulator tokens are `sim_` and 43 base64url characters. */
const TOKEN_PATTERN = /sim_[A-Za-z0-9_-]{20,}/;
const SCHEME_PATTERN = /\b(Bearer|Basic) [A-Za-z0-9+/=._-]{8,}|Digest username=/;

/** Everything a failure or a log could carry: messages, stacks, causes and every own field, deeply. */
function exposed(value: unknown): string {
  return inspect(value, { depth: 20, showHidden: true, breakLength: Number.POSITIVE_INFINITY });
}

interface Scenario {
  readonly name: string;
  readonly kind: CredentialKind;
  readonly run: (harness: Harness) => Promise<void>;
  readonly simulator?: Parameters<typeof startHarness>[1];
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'service account, success',
    kind: 'serviceAccount',
    run: async (h) => void (await h.client.listSnapshots(h.cluster)),
  },
  {
    name: 'service account, token expired at Atlas',
    kind: 'serviceAccount',
    simulator: { simulator: { clock: new SimulatedClock({ scale: 0 }), tokenTtlSeconds: 60 } },
    run: async (h) => {
      await h.client.getCluster(h.cluster);
      h.sim.clock.advance(120_000);
      await h.client.getCluster(h.cluster);
    },
  },
  {
    name: 'service account, wrong secret',
    kind: 'serviceAccount',
    run: async (h) => {
      h.credentials.override({
        kind: 'serviceAccount',
        clientId: h.sim.seed.credentials.clientId,
        clientSecret: `${h.sim.seed.credentials.clientSecret}x`,
      });
      await h.client.getCluster(h.cluster);
    },
  },
  {
    name: 'service account, rotated',
    kind: 'serviceAccount',
    run: async (h) => {
      await h.client.getCluster(h.cluster);
      h.sim.rotateCredentials();
      await h.client.getCluster(h.cluster);
    },
  },
  {
    name: 'service account, token endpoint failing',
    kind: 'serviceAccount',
    run: async (h) => {
      h.sim.faults.inject({ pathIncludes: '/api/oauth/token', times: 2 }, { kind: 'status', status: 503 });
      h.sim.faults.inject({ pathIncludes: '/api/oauth/token' }, { kind: 'malformed' });
      h.sim.faults.inject({ pathIncludes: '/api/oauth/token' }, { kind: 'drop' });
      await h.client.getCluster(h.cluster);
    },
  },
  {
    name: 'service account, token cap',
    kind: 'serviceAccount',
    simulator: { simulator: { maxTokensPerServiceAccount: 1 } },
    run: async (h) => {
      await h.newClient().getCluster(h.cluster);
      await h.client.getCluster(h.cluster);
    },
  },
  { name: 'API key, success', kind: 'apiKey', run: async (h) => void (await h.client.listRestoreJobs(h.cluster)) },
  {
    name: 'API key, stale nonce',
    kind: 'apiKey',
    simulator: { simulator: { clock: new SimulatedClock({ scale: 0 }), nonceTtlMs: 1_000 } },
    run: async (h) => {
      await h.client.getCluster(h.cluster);
      h.sim.clock.advance(5_000);
      await h.client.getCluster(h.cluster);
    },
  },
  {
    name: 'API key, wrong private key',
    kind: 'apiKey',
    run: async (h) => {
      h.credentials.override({
        kind: 'apiKey',
        publicKey: h.sim.seed.credentials.publicKey,
        privateKey: 'not-the-key',
      });
      await h.client.getCluster(h.cluster);
    },
  },
  {
    name: 'API key, rotated',
    kind: 'apiKey',
    run: async (h) => {
      await h.client.getCluster(h.cluster);
      h.sim.rotateCredentials();
      await h.client.getCluster(h.cluster);
    },
  },
  {
    name: 'API key, ambiguous POST and malformed answers',
    kind: 'apiKey',
    run: async (h) => {
      await h.client.getCluster(h.cluster);
      h.sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'dropAfterApply' });
      await h.client
        .createRestoreJob(h.cluster, { deliveryType: 'download', snapshotId: h.sim.seed.completedSnapshotId })
        .catch((error: unknown) => h.log.entries.push({ level: 'warn', message: 'caught', extra: { error } }));
      h.sim.faults.inject({ operationId: 'listBackupSnapshots', times: 2 }, { kind: 'malformed' });
      await h.client.listSnapshots(h.cluster);
    },
  },
];

describe('Function: createAtlasClient (secrets)', () => {
  it('never lets a secret or token reach an error, a cause, a stack or a log line, on any auth path', async () => {
    const leaks: string[] = [];
    const secrets = new Set<string>();
    let failures = 0;
    let logLines = 0;
    for (const scenario of SCENARIOS) {
      // Prepare
      const harness = await startHarness(scenario.kind, {
        ...scenario.simulator,
        client: { retry: { maxAttempts: 2 } },
      });
      const before = harness.sim.seed.credentials;
      let outcome: unknown;

      // Act
      try {
        await scenario.run(harness);
        outcome = 'ok';
      } catch (error) {
        outcome = error;
      }
      const after = harness.sim.seed.credentials;
      await harness.close();

      // Assess (collected, so one report shows every leak)
      for (const value of [before.clientSecret, before.privateKey, after.clientSecret, after.privateKey])
        secrets.add(value);
      secrets.add(`${before.clientSecret}x`);
      const text = `${exposed(outcome)}\n${exposed(harness.log.entries)}`;
      for (const secret of secrets) if (text.includes(secret)) leaks.push(`${scenario.name}: a credential secret`);
      if (TOKEN_PATTERN.test(text)) leaks.push(`${scenario.name}: a bearer token`);
      if (SCHEME_PATTERN.test(text)) leaks.push(`${scenario.name}: an Authorization header`);
      if (outcome instanceof Error) failures += 1;
      logLines += harness.log.entries.length;
    }
    expect(leaks).toEqual([]);
    // The scan looked at real material: failures with causes and stacks, and log lines.
    expect(failures).toBeGreaterThanOrEqual(3);
    expect(logLines).toBeGreaterThan(20);
  });

  it('keeps environment secrets out of the error when the credentials are incomplete', async () => {
    // Prepare
    const client = createAtlasClient({
      credentials: environmentCredentials({ MONGODB_ATLAS_PRIVATE_API_KEY: 'env-private-key-value' }),
    });

    // Act
    const error = await client
      .getCluster({ groupId: '0123456789abcdef01234567', clusterName: 'prod' })
      .catch((e: unknown) => e);
    await client.close();

    // Assess
    expect((error as Error).message).toMatch(/MONGODB_ATLAS_PUBLIC_API_KEY is not set/);
    expect(exposed(error)).not.toContain('env-private-key-value');
  });
});
