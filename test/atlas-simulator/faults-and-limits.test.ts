import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient, V2023 } from './test-client.ts';

/** Resolves 'dropped' when the server destroys the socket without answering. */
function outcome(promise: Promise<unknown>): Promise<'answered' | 'dropped'> {
  return promise.then(
    () => 'answered',
    () => 'dropped',
  );
}

describe('Atlas simulator: faults, rate limits and the request log', () => {
  let simulator: AtlasSimulator;
  let client: TestClient;
  let jobs: string;
  let snapshots: string;

  beforeEach(async () => {
    simulator = await startAtlasSimulator({
      clock: new SimulatedClock({ scale: 0 }),
      rateLimit: { capacity: 3, refillPerMinute: 2 },
    });
    client = new TestClient(simulator);
    jobs = `/clusters/${simulator.seed.sourceClusterName}/backup/restoreJobs`;
    snapshots = `/clusters/${simulator.seed.sourceClusterName}/backup/snapshots`;
  });
  afterEach(() => simulator.close());

  describe('rate limits', () => {
    it('counts down RateLimit-Remaining, then answers 429 with Retry-After, and refills on the clock', async () => {
      // Act
      const answers = [];
      for (let call = 0; call < 4; call += 1) answers.push(await client.call(snapshots));
      simulator.clock.advance(30_000);
      const refilled = await client.call(snapshots);

      // Assess
      expect(answers.map((answer) => answer.headers['ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
      expect(answers[0]?.headers['ratelimit-limit']).toBe('3');
      expect(answers[3]?.status).toBe(429);
      expect(answers[3]?.json).toMatchObject({ error: 429, errorCode: 'RATE_LIMITED_TOKEN_BUCKET' });
      expect(answers[3]?.headers['retry-after']).toBe('30');
      expect(refilled.status).toBe(200);
    });

    it('keeps a bucket per project and leaves getCluster out of the Cloud Backups set', async () => {
      // Prepare
      for (let call = 0; call < 3; call += 1) await client.call(snapshots);
      const otherProject = simulator.state.addProject();
      simulator.state.addCluster(otherProject, { name: 'other' });

      // Act
      const cluster = await client.call(`/clusters/${simulator.seed.sourceClusterName}`, {
        accept: 'application/vnd.atlas.2024-08-05+json',
      });
      const other = await client.call(`/api/atlas/v2/groups/${otherProject}/clusters/other/backup/snapshots`);

      // Assess
      expect(cluster.status).toBe(200);
      expect(other.status).toBe(200);
    });

    it('can leave Retry-After out, as Atlas sometimes does', async () => {
      // Prepare
      const quiet = await startAtlasSimulator({
        clock: new SimulatedClock({ scale: 0 }),
        rateLimit: { capacity: 1, refillPerMinute: 1, retryAfter: false },
      });
      const quietClient = new TestClient(quiet);
      try {
        // Act
        await quietClient.call(`/clusters/${quiet.seed.sourceClusterName}/backup/snapshots`);
        const refused = await quietClient.call(`/clusters/${quiet.seed.sourceClusterName}/backup/snapshots`);

        // Assess
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBeUndefined();
      } finally {
        await quiet.close();
      }
    });
  });

  describe('faults', () => {
    it('answers an injected status with the envelope, X-Error-Code and Retry-After, for the given number of times', async () => {
      // Prepare
      simulator.faults.inject(
        { operationId: 'listBackupSnapshots', times: 2 },
        { kind: 'status', status: 503, retryAfterSeconds: 7 },
      );

      // Act
      const first = await client.call(snapshots);
      const second = await client.call(snapshots);
      const third = await client.call(snapshots);

      // Assess
      expect(first.status).toBe(503);
      expect(first.json).toMatchObject({ error: 503, errorCode: 'SERVICE_UNAVAILABLE' });
      expect(first.headers['x-error-code']).toBe('SERVICE_UNAVAILABLE');
      expect(first.headers['retry-after']).toBe('7');
      expect(second.status).toBe(503);
      expect(third.status).toBe(200);
      expect(simulator.faults.pending).toBe(0);
    });

    it('answers 502 as a load balancer does, with an HTML page', async () => {
      // Prepare
      simulator.faults.inject({ method: 'GET', pathIncludes: '/backup/' }, { kind: 'status', status: 502 });

      // Act
      const answer = await client.call(snapshots);

      // Assess
      expect(answer.status).toBe(502);
      expect(answer.headers['content-type']).toBe('text/html');
      expect(answer.json).toBeUndefined();
    });

    it('takes a custom errorCode, and only hits matching requests', async () => {
      // Prepare
      simulator.faults.inject(
        { operationId: 'createBackupRestoreJob' },
        { kind: 'status', status: 405, errorCode: 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES' },
      );

      // Act
      const list = await client.call(jobs);
      const create = await client.call(jobs, {
        body: { deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId },
      });

      // Assess
      expect(list.status).toBe(200);
      expect(create.status).toBe(405);
      expect(create.json).toMatchObject({ errorCode: 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES' });
      expect(simulator.state.restoreJobs(simulator.seed.groupId, simulator.seed.sourceClusterName)).toHaveLength(0);
    });

    it('drops the connection without effect', async () => {
      // Prepare
      simulator.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'drop' });

      // Act
      const result = await outcome(
        client.call(jobs, { body: { deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId } }),
      );

      // Assess
      expect(result).toBe('dropped');
      expect(simulator.state.restoreJobs(simulator.seed.groupId, simulator.seed.sourceClusterName)).toHaveLength(0);
      expect(simulator.requests.at(-1)).toMatchObject({
        operationId: 'createBackupRestoreJob',
        status: null,
        fault: 'drop',
      });
    });

    it('drops the connection after the request took effect (dropAfterApply)', async () => {
      // Prepare
      simulator.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'dropAfterApply' });

      // Act
      const result = await outcome(
        client.call(jobs, { body: { deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId } }),
      );

      // Assess
      expect(result).toBe('dropped');
      expect(simulator.state.restoreJobs(simulator.seed.groupId, simulator.seed.sourceClusterName)).toHaveLength(1);
      expect(simulator.requests.at(-1)).toMatchObject({ status: null, fault: 'dropAfterApply' });
    });

    it('answers 200 with truncated JSON (malformed)', async () => {
      // Prepare
      simulator.faults.inject({ operationId: 'getBackupRestoreJob' }, { kind: 'malformed' });

      // Act
      const answer = await client.call(`${jobs}/aaaaaaaaaaaaaaaaaaaaaaaa`);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/vnd.atlas.2023-01-01+json');
      expect(() => JSON.parse(answer.text)).toThrow();
    });

    it('answers 200 with an oversized body (huge)', async () => {
      // Prepare
      simulator.faults.inject({ operationId: 'listBackupRestoreJobs' }, { kind: 'huge', bytes: 2_000_000 });

      // Act
      const answer = await client.call(jobs);

      // Assess
      expect(answer.status).toBe(200);
      expect(Number(answer.headers['content-length'])).toBe(2_000_000);
      expect(answer.json).toMatchObject({ results: [] });
    });

    it('delays the answer by real milliseconds, then handles the request', async () => {
      // Prepare
      simulator.faults.inject({ operationId: 'listBackupSnapshots' }, { kind: 'delay', ms: 150 });
      const startedAt = performance.now();

      // Act
      const answer = await client.call(snapshots);

      // Assess
      expect(answer.status).toBe(200);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
    });

    it('applies a delayed request even when the client gave up (the effect of a timed-out POST is unknown)', async () => {
      // Prepare
      simulator.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'delay', ms: 100 });
      await client.call(snapshots);
      const path = `/api/atlas/v2/groups/${simulator.seed.groupId}${jobs}`;
      const headers = { authorization: client.digestFor('POST', path), accept: V2023, 'content-type': V2023 };
      const body = JSON.stringify({ deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId });
      const countJobs = () =>
        simulator.state.restoreJobs(simulator.seed.groupId, simulator.seed.sourceClusterName).length;

      // Act
      await new Promise<void>((resolve) => {
        const request = httpRequest(`${simulator.baseUrl}${path}`, { method: 'POST', headers });
        request.setTimeout(20, () => {
          request.destroy();
          resolve();
        });
        request.on('error', () => resolve());
        request.end(body);
      });
      const whenClientGaveUp = countJobs();

      // Assess
      expect(whenClientGaveUp).toBe(0);
      await vi.waitFor(() => expect(countJobs()).toBe(1), { timeout: 2_000 });
    });

    it('clears every scripted fault', async () => {
      // Prepare
      simulator.faults.inject({}, { kind: 'drop' });
      simulator.faults.inject({ times: Number.POSITIVE_INFINITY }, { kind: 'status', status: 500 });

      // Act
      simulator.faults.clear();
      const answer = await client.call(snapshots);

      // Assess
      expect(answer.status).toBe(200);
      expect(simulator.faults.pending).toBe(0);
    });
  });

  describe('request log', () => {
    it('records every request with its operation, auth kind, body and status, and no secret', async () => {
      // Prepare
      const { credentials } = simulator.seed;

      // Act
      await client.call(jobs, { body: { deliveryType: 'download', snapshotId: simulator.seed.completedSnapshotId } });
      await client.call(`${snapshots}?itemsPerPage=2`, { auth: 'bearer' });

      // Assess
      const [probe, create, mint, list] = simulator.requests;
      const token = client.currentToken ?? 'no token';
      expect(mint).toMatchObject({
        method: 'POST',
        path: '/api/oauth/token',
        auth: 'basic',
        body: { grant_type: 'client_credentials' },
        status: 200,
      });
      expect(probe).toMatchObject({ path: '/api/atlas/v2', auth: 'none', status: 401 });
      expect(probe).not.toHaveProperty('operationId');
      expect(create).toMatchObject({
        method: 'POST',
        operationId: 'createBackupRestoreJob',
        auth: 'digest',
        body: { deliveryType: 'download' },
        status: 200,
      });
      expect(list).toMatchObject({
        operationId: 'listBackupSnapshots',
        auth: 'bearer',
        query: { itemsPerPage: '2' },
        status: 200,
      });
      expect(list?.at).toBe(simulator.clock.now());
      expect(list?.headers.accept).toBe('application/vnd.atlas.2023-01-01+json');
      const logText = JSON.stringify(simulator.requests);
      for (const secret of [credentials.privateKey, credentials.clientSecret, token])
        expect(logText).not.toContain(secret);
      expect(logText).not.toContain('authorization');
    });

    it('redacts a client secret sent in a form body', async () => {
      // Act
      await fetch(`${simulator.baseUrl}/api/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_secret=${simulator.seed.credentials.clientSecret}`,
      });

      // Assess
      expect(simulator.requests[0]?.body).toEqual({ grant_type: 'client_credentials', client_secret: '[redacted]' });
      expect(JSON.stringify(simulator.requests)).not.toContain(simulator.seed.credentials.clientSecret);
    });
  });
});
