import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AtlasClient, createAtlasClient } from '../../functions/core/atlas/client.ts';
import { AtlasApiError } from '../../functions/core/atlas/errors.ts';
import { restoreJobState } from '../../functions/core/atlas/model.ts';
import type { CredentialsSource } from '../../functions/core/credentials/source.ts';
import { drillRequest, expectSettled } from './support/expectations.ts';
import { startSystem } from './support/system.ts';

/**
 * The boundary between us and whatever answers as Atlas: a hostile server (a compromised proxy, a DNS mistake) must
 * not make the client send a request outside its path segment, read an endless or oversized body, trust a job id that
 * is not an id, or let JSON keys such as `__proto__` change an object's meaning. Credentials never travel over plain
 * http to anything but loopback.
 */

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const JOB = '65a1b2c3d4e5f60718293a4b';
const MAX_RESPONSE_BYTES = 64 * 1024;

interface Seen {
  readonly method: string;
  readonly url: string;
}

/** A server that answers as Atlas would not. Every request it receives is recorded. */
async function startHostileAtlas(): Promise<{ server: Server; origin: string; seen: Seen[]; streamed: () => number }> {
  const seen: Seen[] = [];
  let streamed = 0;
  const json = (response: ServerResponse, body: string, headers: Record<string, string> = {}) => {
    response.writeHead(200, { 'content-type': 'application/vnd.atlas.2023-01-01+json', ...headers });
    response.end(body);
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '';
    seen.push({ method: request.method ?? '', url });
    request.resume();
    if (url === '/api/oauth/token')
      return json(response, '{"access_token":"hostile-token-0123456789","expires_in":3600}');
    if (url.endsWith(`/restoreJobs/${JOB}`)) {
      return json(
        response,
        `{"id":"${JOB}","deliveryType":"automated","__proto__":{"finishedAt":"2026-01-01T00:00:00Z","failed":true},"constructor":{"prototype":{"polluted":true}}}`,
      );
    }
    if (request.method === 'POST' && url.endsWith('/restoreJobs')) {
      return json(response, '{"id":"../../../api/oauth/token","deliveryType":"automated"}');
    }
    if (url.includes('/restoreJobs?')) {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 ** 3) });
      response.write('{"results":[');
      return;
    }
    if (url.includes('/snapshots?')) return json(response, `{"results":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    // Any other read: an endless chunked body.
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"name":"');
    const chunk = 'x'.repeat(16 * 1024);
    const pump = () => {
      while (!response.destroyed && response.write(chunk)) streamed += chunk.length;
      if (!response.destroyed) response.once('drain', pump);
    };
    response.on('close', () => undefined);
    pump();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    streamed: () => streamed,
  };
}

const serviceAccount: CredentialsSource = {
  get: async () => ({
    credentials: { kind: 'serviceAccount', clientId: 'mdb_sa_id_hostile', clientSecret: 'mdb_sa_sk_secret' },
  }),
  invalidate: () => undefined,
};

describe('Reliability: a hostile Atlas', () => {
  let hostile: Awaited<ReturnType<typeof startHostileAtlas>>;
  let client: AtlasClient;
  const cluster = { groupId: GROUP, clusterName: 'prod' };

  beforeAll(async () => {
    hostile = await startHostileAtlas();
    client = createAtlasClient({
      credentials: serviceAccount,
      baseUrl: hostile.origin,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      retry: { maxAttempts: 1 },
      timeouts: { connectMs: 1_000, headersMs: 2_000, bodyMs: 2_000 },
    });
  });
  beforeEach(() => {
    hostile.seen.length = 0;
  });
  afterAll(async () => {
    await client.close();
    hostile.server.closeAllConnections();
    hostile.server.close();
  });

  it('keeps __proto__ and constructor keys of an answer from changing what a job says or polluting objects', async () => {
    // Act
    const job = await client.getRestoreJob(cluster, JOB);

    // Assess
    expect(restoreJobState(job)).toBe('pending');
    expect(job.finishedAt).toBeUndefined();
    expect(Object.getPrototypeOf(job)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a created job whose id is not an Atlas id, as an ambiguous failure (the job may exist)', async () => {
    // Act
    const failure = await client.createRestoreJob(cluster, { deliveryType: 'download', snapshotId: JOB }).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(AtlasApiError);
    expect(failure).toMatchObject({ ambiguous: true, detail: expect.stringMatching(/id/) });
  });

  it.each([
    ['an endless body', () => client.getCluster(cluster)],
    ['a declared length of 10 GB', () => client.listRestoreJobs(cluster)],
  ])('stops reading %s at the size cap', async (_name, call) => {
    // Act
    const failure = await call().then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(AtlasApiError);
    expect(String((failure as AtlasApiError).detail)).toMatch(/exceeds/);
    expect(hostile.streamed()).toBeLessThan(MAX_RESPONSE_BYTES * 64);
  });

  it('fails cleanly on an answer nested 100,000 levels deep', async () => {
    // Act
    const failure = await client.listSnapshots(cluster).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(AtlasApiError);
  });

  it('never sends a request for a name or id that would leave its path segment', async () => {
    // Prepare
    const hostileText = fc.oneof(
      fc.constantFrom(
        '../../../api/oauth/token',
        `${JOB}/../x`,
        `${JOB}?pageNum=1`,
        `${JOB}#x`,
        '%2e%2e%2f',
        'prod%2F..',
        'prod/restoreJobs',
        'pr\u043Ed',
        'prod\u2215x',
        'prod\uFF0Fx',
        '\uFF16\uFF15a1b2c3d4e5f60718293a4b',
        '',
        ' prod',
        'prod\r\nX-Injected: 1',
      ),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );

    // Act & Assess
    await fc.assert(
      fc.asyncProperty(hostileText, fc.boolean(), async (text, asName) => {
        hostile.seen.length = 0;
        const call = asName
          ? client.getRestoreJob({ groupId: GROUP, clusterName: text }, JOB)
          : client.getRestoreJob(cluster, text);
        const failure = await call.then(
          () => undefined,
          (error: unknown) => error,
        );
        const validName = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/.test(text);
        const validId = /^[a-f0-9]{24}$/.test(text);
        if ((asName && validName) || (!asName && validId)) return;
        expect(failure).toBeInstanceOf(AtlasApiError);
        expect(failure).toMatchObject({ retryable: false });
        expect(hostile.seen).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Reliability: where credentials may travel', () => {
  it.each([
    ['plain http to a remote host', 'http://cloud.mongodb.com.attacker.example'],
    ['plain http to a private address', 'http://10.1.2.3'],
    ['an origin with a path', 'https://cloud.mongodb.com/evil'],
  ])('refuses to send anything when the credentials name %s as base URL', async (_name, baseUrl) => {
    // Prepare
    const client = createAtlasClient({
      credentials: {
        get: async () => ({
          credentials: { kind: 'serviceAccount', clientId: 'mdb_sa_id_x', clientSecret: 'mdb_sa_sk_x' },
          baseUrl,
        }),
        invalidate: () => undefined,
      },
    });

    // Act
    const failure = await client.getCluster({ groupId: GROUP, clusterName: 'prod' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await client.close();

    // Assess
    expect(failure).toBeInstanceOf(AtlasApiError);
    expect(failure).toMatchObject({ retryable: false, detail: expect.stringMatching(/https|path/) });
  });

  it('refuses a target look-alike through the whole function whatever else the request says', async () => {
    // Prepare
    const system = await startSystem();
    try {
      const { seed } = system;
      const lookAlikes = [
        seed.targetClusterName.toUpperCase(),
        `${seed.targetClusterName}-`,
        `${seed.targetClusterName}0`,
        seed.sourceClusterName,
      ];
      for (const [index, targetClusterName] of lookAlikes.entries()) {
        system.submit(
          drillRequest(seed, { targetClusterName, requestId: `look-alike-${index}`, dryRun: index % 2 === 0 }),
        );
      }

      // Act
      await system.run();

      // Assess
      for (const [index] of lookAlikes.entries()) {
        const operation = await expectSettled(system, { outcome: 'refused', jobs: 0 }, `look-alike-${index}`);
        expect(operation.errorCode).toMatch(/^(TARGET_NOT_ALLOWED|SOURCE_OVERWRITE_NOT_ALLOWED)$/);
      }
      expect(system.sim.requests).toEqual([]);
    } finally {
      await system.close();
    }
  });
});
