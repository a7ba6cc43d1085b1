import { describe, expect, it } from 'vitest';
import { atlasRequests, drillRequest, expectSettled, OPERATION_ID } from './support/expectations.ts';
import type { System } from './support/system.ts';
import { useSystems } from './support/use-systems.ts';

/**
 * Credentials under stress, through the whole function: rotations (with and without lag between Atlas and the
 * secret), tokens expiring between steps, the per-account token cap, and a secret that is missing, malformed or
 * throttled. Nothing secret may reach a log line on any path.
 */
describe('Reliability: credentials and tokens', () => {
  const start = useSystems();

  async function runUntilSubmitted(current: System): Promise<void> {
    current.submit(drillRequest(current.seed));
    await current.run({ until: async () => (await current.ledger.get(OPERATION_ID))?.restoreJobId !== undefined });
  }

  const tokenRequests = (current: System) =>
    current.sim.requests.filter((request) => request.path === '/api/oauth/token');
  const refused = (current: System) => atlasRequests(current).filter((request) => request.status === 401);

  it.each(['serviceAccount', 'apiKey'] as const)(
    '%s rotated at Atlas and in the secret between steps: the 401 is answered by reading the secret again',
    async (credentialKind) => {
      // Prepare
      const current = await start({ credentialKind });
      await runUntilSubmitted(current);
      const readsBefore = current.secret.reads;

      // Act
      current.rotateCredentials({ updateSecret: true });
      await current.run();

      // Assess
      await expectSettled(current, { outcome: 'succeeded' });
      expect(refused(current).length).toBeGreaterThan(0);
      expect(current.secret.reads).toBeGreaterThan(readsBefore);
      expect(current.batchItemFailures).toEqual([]);
    },
  );

  it.each(['serviceAccount', 'apiKey'] as const)(
    '%s rotated at Atlas before the secret is updated: the poll is retried until the secret catches up',
    async (credentialKind) => {
      // Prepare
      const current = await start({ credentialKind });
      await runUntilSubmitted(current);
      const rotated = current.rotateCredentials({ updateSecret: false });

      // Act
      const [poll] = current.queue.receive(Number.POSITIVE_INFINITY, 1);
      if (poll === undefined) throw new Error('no poll queued');
      await current.deliver([poll]);
      current.secret.setDocument(
        credentialKind === 'serviceAccount'
          ? { clientId: rotated.clientId, clientSecret: rotated.clientSecret }
          : { publicKey: rotated.publicKey, privateKey: rotated.privateKey },
      );
      await current.run();

      // Assess
      expect(current.batchItemFailures).toEqual([poll.id]);
      await expectSettled(current, { outcome: 'succeeded' });
    },
  );

  it('answers a token that expired at Atlas between steps (the client did not see the hour pass) by minting once', async () => {
    // Prepare
    const current = await start();
    await runUntilSubmitted(current);
    const mintedBefore = tokenRequests(current).length;

    // Act
    current.time.passAtAtlasOnly(3_700_000);
    await current.run();

    // Assess
    await expectSettled(current, { outcome: 'succeeded' });
    expect(refused(current).map((request) => request.auth)).toEqual(['bearer']);
    expect(tokenRequests(current).length).toBe(mintedBefore + 1);
    expect(current.batchItemFailures).toEqual([]);
  });

  it('polls a 10-hour restore with at most two live tokens (the account may hold only two here)', async () => {
    // Prepare
    const current = await start({
      simulator: { maxTokensPerServiceAccount: 2, durations: { automatedRestoreMs: 10 * 3_600_000 } },
    });
    current.submit(drillRequest(current.seed));

    // Act
    await current.run({ maxInvocations: 400 });

    // Assess
    const operation = await expectSettled(current, { outcome: 'succeeded' });
    expect(operation.polls).toBeGreaterThan(50);
    const minted = tokenRequests(current);
    expect(minted.every((request) => request.status === 200)).toBe(true);
    expect(minted.length).toBeLessThanOrEqual(12);
  });

  it('fails the operation, submitting nothing, when the account already holds its maximum of tokens', async () => {
    // Prepare
    const current = await start({ simulator: { maxTokensPerServiceAccount: 1 } });
    const { clientId, clientSecret } = current.seed.credentials;
    const other = await fetch(`${current.sim.baseUrl}/api/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    await other.arrayBuffer();
    current.submit(drillRequest(current.seed));

    // Act
    await current.run();

    // Assess
    expect(other.status).toBe(200);
    const operation = await expectSettled(current, { outcome: 'failed', jobs: 0 });
    expect(operation.errorCode).toBe('access_denied');
    expect(atlasRequests(current)).toEqual([]);
  });

  it.each([
    ['missing', (current: System) => current.secret.fail('ResourceNotFoundException'), /ResourceNotFoundException/],
    ['access denied', (current: System) => current.secret.fail('AccessDeniedException'), /AccessDeniedException/],
    [
      'not JSON (and full of secret-looking text)',
      (current: System) => {
        const text = 'clientSecret=mdb_sa_sk_do-not-log-this-0123456789';
        current.secrets.add('malformed secret text', text);
        current.secrets.add('malformed secret value', 'mdb_sa_sk_do-not-log-this-0123456789');
        current.secret.setText(text);
      },
      /not a JSON object/,
    ],
    [
      'JSON without the client secret',
      (current: System) => current.secret.setDocument({ clientId: current.seed.credentials.clientId }),
      /clientSecret/,
    ],
    [
      'JSON with a secret of the wrong type',
      (current: System) =>
        current.secret.setDocument({ clientId: current.seed.credentials.clientId, clientSecret: 4_242_424_242 }),
      /clientSecret/,
    ],
  ])('fails the operation without calling Atlas when the secret is %s', async (_name, spoil, reason) => {
    // Prepare
    const current = await start();
    spoil(current);
    current.submit(drillRequest(current.seed));

    // Act
    await current.run();

    // Assess
    const operation = await expectSettled(current, { outcome: 'failed', jobs: 0 });
    expect(operation.outcomeReason).toMatch(reason);
    expect(operation.errorCode).toMatch(/^CREDENTIALS_(INVALID|UNAVAILABLE)$/);
    expect(current.sim.requests).toEqual([]);
    expect(current.logs.text()).not.toContain('4242424242');
  });

  it('retries the message while Secrets Manager throttles, then restores', async () => {
    // Prepare
    const current = await start();
    const document = {
      clientId: current.seed.credentials.clientId,
      clientSecret: current.seed.credentials.clientSecret,
    };
    current.secret.fail('ThrottlingException');
    const [request] = [current.submit(drillRequest(current.seed))];
    const [received] = current.queue.receive(current.time.workflowClock.now(), 1);

    // Act
    await current.deliver(received ? [received] : []);
    current.secret.setDocument(document);
    await current.run();

    // Assess
    expect(current.batchItemFailures).toEqual([request.id]);
    await expectSettled(current, { outcome: 'succeeded' });
  });
});
