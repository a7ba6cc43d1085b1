import { afterEach, describe, expect, it, vi } from 'vitest';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';

describe('Entry points: the verifier and the heartbeat writer', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('build the verifier from its environment at cold start', async () => {
    vi.stubEnv('ATLAS_SECRET_ID', 'atlas/restore');
    vi.stubEnv('LEDGER_TABLE_NAME', 'atlas-restore-ledger');
    vi.stubEnv('VERIFIER_DATABASE_SECRET_ID', 'db/verifier');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const entry = await import('../../functions/verifier.ts');
    expect(typeof entry.handler).toBe('function');
  });

  it("fail the verifier's cold start naming the missing variable", async () => {
    vi.stubEnv('ATLAS_SECRET_ID', 'atlas/restore');
    vi.stubEnv('LEDGER_TABLE_NAME', undefined);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    await expect(import('../../functions/verifier.ts')).rejects.toThrow(/LEDGER_TABLE_NAME/);
  });

  it('refuse a heartbeat event whose sources are not groupId/clusterName, before any connection', async () => {
    vi.stubEnv('ATLAS_SECRET_ID', 'atlas/restore');
    vi.stubEnv('HEARTBEAT_DATABASE_SECRET_ID', 'db/heartbeat');
    vi.stubEnv('HEARTBEAT_SOURCES', `${GROUP}/prod`);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const entry = await import('../../functions/heartbeat-writer.ts');
    await expect(entry.handler({ sources: ['prod'] }, { getRemainingTimeInMillis: () => 30_000 })).rejects.toThrow(
      /Invalid heartbeat event/,
    );
  });
});
