import { once } from 'node:events';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AtlasClient, createAtlasClient } from '../../../../functions/core/atlas/client.ts';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import { capturingLogger, failure, steppedTime } from './simulator-harness.ts';

/**
 * Answers the simulator does not give (Deprecation and Sunset headers, an error code only in X-Error-Code,
 * Retry-After as a date) from a scripted server: one canned answer per Admin API request, tokens for anyone.
 */
interface Scripted {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
}

const CLUSTER = { groupId: '0123456789abcdef01234567', clusterName: 'prod' };
const CLUSTER_BODY = JSON.stringify({ name: 'prod', stateName: 'IDLE', paused: false });

async function startScriptedAtlas(answers: Scripted[]) {
  const seen: IncomingMessage[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    if (request.url === '/api/oauth/token') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: 'scripted-token', expires_in: 3600, token_type: 'Bearer' }));
      return;
    }
    seen.push(request);
    const answer = answers.shift() ?? { status: 500, body: '{}' };
    response.writeHead(answer.status, answer.headers ?? {});
    response.end(answer.body ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('Function: createAtlasClient (headers)', () => {
  let atlas: Awaited<ReturnType<typeof startScriptedAtlas>>;
  let client: AtlasClient;
  const log = capturingLogger();
  const time = steppedTime();

  async function start(answers: Scripted[]) {
    atlas = await startScriptedAtlas(answers);
    client = createAtlasClient({
      baseUrl: atlas.baseUrl,
      credentials: {
        get: async () => ({ credentials: { kind: 'serviceAccount', clientId: 'id', clientSecret: 's' } }),
        invalidate() {},
      },
      logger: log.logger,
      sleep: time.sleep,
      now: time.now,
      random: () => 0.5,
      userAgent: 'drill-tests/1.0',
    });
  }

  afterEach(async () => {
    await client.close();
    await atlas.close();
    log.entries.length = 0;
    time.sleeps.length = 0;
  });

  it('logs Deprecation and Sunset once per operation, as structured fields', async () => {
    // Prepare
    const deprecated = {
      status: 200,
      headers: {
        'content-type': 'application/vnd.atlas.2024-08-05+json',
        deprecation: 'Mon, 01 Jun 2026 00:00:00 GMT',
        sunset: 'Tue, 01 Jun 2027 00:00:00 GMT',
      },
      body: CLUSTER_BODY,
    };
    await start([deprecated, deprecated]);

    // Act
    await client.getCluster(CLUSTER);
    await client.getCluster(CLUSTER);

    // Assess
    const warnings = log.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toEqual([
      {
        level: 'warn',
        message: 'Atlas API resource version is deprecated',
        extra: {
          operation: 'getCluster',
          mediaType: 'application/vnd.atlas.2024-08-05+json',
          deprecation: 'Mon, 01 Jun 2026 00:00:00 GMT',
          sunset: 'Tue, 01 Jun 2027 00:00:00 GMT',
          deprecatedSince: '2026-06-01T00:00:00.000Z',
          sunsetAt: '2027-06-01T00:00:00.000Z',
        },
      },
    ]);
    expect(atlas.seen[0]?.headers['user-agent']).toBe('drill-tests/1.0');
  });

  it.each([
    ['as Atlas sends it (an HTTP-date, unpadded day)', 'Mon, 5 Aug 2024 00:00:00 GMT'],
    ['as RFC 9745 writes it (@epoch seconds)', '@1722816000'],
  ])('reads a Deprecation date %s and logs it once over many calls', async (_form, deprecation) => {
    // Prepare
    const deprecated = {
      status: 200,
      headers: {
        'content-type': 'application/vnd.atlas.2024-08-05+json',
        deprecation,
        sunset: 'Thu, 1 Jul 2027 00:00:00 GMT',
      },
      body: CLUSTER_BODY,
    };
    await start([deprecated, deprecated, deprecated]);

    // Act
    for (let call = 0; call < 3; call += 1) await client.getCluster(CLUSTER);

    // Assess
    const warnings = log.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.extra).toMatchObject({
      operation: 'getCluster',
      deprecatedSince: '2024-08-05T00:00:00.000Z',
      sunsetAt: '2027-07-01T00:00:00.000Z',
    });
  });

  it('takes the error code from X-Error-Code when the body has none', async () => {
    // Prepare
    await start([{ status: 403, headers: { 'x-error-code': 'IP_ADDRESS_NOT_ON_WHITELIST' }, body: '' }]);

    // Act
    const error = await failure(client.getCluster(CLUSTER));

    // Assess
    expect(error).toBeInstanceOf(AtlasApiError);
    expect(error).toMatchObject({ status: 403, errorCode: 'IP_ADDRESS_NOT_ON_WHITELIST', retryable: false });
    expect((error as Error).message).toMatch(
      /^getCluster on cluster prod \(project 0123456789abcdef01234567\): 403 IP_ADDRESS_NOT_ON_WHITELIST: this machine's public IP address is not on the API access list/,
    );
  });

  it('waits until a Retry-After date', async () => {
    // Prepare
    const retryAt = new Date(time.now() + 45_000).toUTCString();
    await start([
      {
        status: 503,
        headers: { 'retry-after': retryAt, 'content-type': 'application/json' },
        body: '{"errorCode":"SERVICE_UNAVAILABLE"}',
      },
      { status: 200, headers: { 'content-type': 'application/vnd.atlas.2024-08-05+json' }, body: CLUSTER_BODY },
    ]);

    // Act
    await client.getCluster(CLUSTER);

    // Assess
    expect(time.sleeps).toHaveLength(1);
    expect(time.sleeps[0]).toBeGreaterThanOrEqual(44_000);
    expect(time.sleeps[0]).toBeLessThanOrEqual(45_000);
  });

  it('reports a 406 for an unknown resource version as permanent, with the body detail', async () => {
    // Prepare
    await start([
      {
        status: 406,
        headers: { 'content-type': 'application/json', 'x-error-code': 'INVALID_ACCEPT_HEADER' },
        body: JSON.stringify({
          error: 406,
          errorCode: 'INVALID_ACCEPT_HEADER',
          detail: 'Accept must name a version.',
          reason: 'Not Acceptable',
        }),
      },
    ]);

    // Act
    const error = await failure(client.getCluster(CLUSTER));

    // Assess
    expect(error).toMatchObject({
      status: 406,
      errorCode: 'INVALID_ACCEPT_HEADER',
      detail: 'Accept must name a version.',
      retryable: false,
    });
    expect(time.sleeps).toEqual([]);
  });

  it('fails rather than return a partial list when a listing never ends', async () => {
    // Prepare: a server that ignores pageNum and always answers a full page.
    const fullPage = {
      status: 200,
      headers: { 'content-type': 'application/vnd.atlas.2023-01-01+json' },
      body: JSON.stringify({ results: [{ id: '0123456789abcdef01234567', deliveryType: 'download' }], totalCount: 1 }),
    };
    await start(Array.from({ length: 200 }, () => fullPage));
    const listing = createAtlasClient({
      baseUrl: atlas.baseUrl,
      credentials: {
        get: async () => ({ credentials: { kind: 'serviceAccount', clientId: 'id', clientSecret: 's' } }),
        invalidate() {},
      },
      pageSize: 1,
    });

    // Act
    const error = await failure(listing.listRestoreJobs(CLUSTER));
    await listing.close();

    // Assess
    expect(error).toMatchObject({ retryable: false, detail: 'listing did not end after 200 pages of 1' });
    expect(atlas.seen).toHaveLength(200);
  });
});
