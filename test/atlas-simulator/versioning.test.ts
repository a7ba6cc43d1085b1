import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { type AtlasSimulator, startAtlasSimulator } from './index.ts';
import { TestClient, V2023, V2024 } from './test-client.ts';

describe('Atlas simulator: versioned media types', () => {
  let simulator: AtlasSimulator;
  let client: TestClient;
  let snapshots: string;
  let cluster: string;

  beforeAll(async () => {
    simulator = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }) });
    client = new TestClient(simulator);
    cluster = `/clusters/${simulator.seed.sourceClusterName}`;
    snapshots = `${cluster}/backup/snapshots`;
  });
  afterAll(() => simulator.close());

  it.each([
    ['no Accept', null, 406, 'INVALID_ACCEPT_HEADER'],
    ['application/json', 'application/json', 406, 'INVALID_ACCEPT_HEADER'],
    ['*/*', '*/*', 406, 'INVALID_ACCEPT_HEADER'],
    ['a date before the first version', 'application/vnd.atlas.2022-12-31+json', 406, 'UNSUPPORTED_VERSION'],
    ['an impossible date', 'application/vnd.atlas.2023-02-30+json', 400, 'INVALID_VERSION_DATE'],
    ['a malformed date', 'application/vnd.atlas.latest+json', 400, 'INVALID_VERSION_DATE'],
  ])('refuses %s', async (_case, accept, status, errorCode) => {
    // Act
    const answer = await client.call(snapshots, { accept });

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.json).toMatchObject({ error: status, errorCode });
    expect(answer.headers['x-error-code']).toBe(errorCode);
  });

  it('dates every answer, errors included, with its simulated clock (HTTP Date), not the machine’s', async () => {
    // Prepare: a frozen clock moved two days ahead of the machine's
    simulator.clock.advance(2 * 86_400_000);
    const now = simulator.clock.now();

    // Act
    const ok = await client.call(snapshots, { accept: V2023 });
    const refused = await client.call(snapshots, { accept: 'application/json' });

    // Assess
    expect(ok.status).toBe(200);
    expect(refused.status).toBe(406);
    for (const answer of [ok, refused]) expect(answer.headers.date).toBe(new Date(now).toUTCString());
  });

  it('resolves a later date to the newest version not after it, and says so in Content-Type', async () => {
    // Act
    const snapshotList = await client.call(snapshots, { accept: 'application/vnd.atlas.2025-06-01+json' });
    const clusterAnswer = await client.call(cluster, { accept: 'application/vnd.atlas.2025-06-01+json' });
    const amongOthers = await client.call(snapshots, { accept: `application/json, ${V2023};q=0.9` });

    // Assess
    expect(snapshotList.status).toBe(200);
    expect(snapshotList.headers['content-type']).toBe(V2023);
    expect(clusterAnswer.status).toBe(200);
    expect(clusterAnswer.headers['content-type']).toBe(V2024);
    expect(amongOthers.status).toBe(200);
  });

  it('still serves a deprecated getCluster version, with Deprecation and Sunset headers as Atlas sends them', async () => {
    // Act
    const deprecated = await client.call(cluster, { accept: V2023 });
    const current = await client.call(cluster, { accept: V2024 });

    // Assess
    expect(deprecated.status).toBe(200);
    expect(deprecated.headers['content-type']).toBe(V2023);
    expect(deprecated.headers.deprecation).toBe('Mon, 5 Aug 2024 00:00:00 GMT');
    expect(deprecated.headers.sunset).toBe('Thu, 1 Jul 2027 00:00:00 GMT');
    expect(current.headers.deprecation).toBeUndefined();
    expect(current.headers.sunset).toBeUndefined();
  });

  it('reads POST bodies sent as application/json or the versioned type, and refuses other media types', async () => {
    // Prepare
    const target = `/clusters/${simulator.seed.targetClusterName}/backup/snapshots`;

    // Act
    const versioned = await client.call(target, { body: {}, contentType: V2023 });
    simulator.clock.advance(10 * 60_000);
    const plainJson = await client.call(target, { body: {}, contentType: 'application/json; charset=utf-8' });
    const text = await client.call(target, { body: '{}', contentType: 'text/plain' });

    // Assess
    expect(versioned.status).toBe(200);
    expect(plainJson.status).toBe(200);
    expect(text.status).toBe(415);
  });
});

describe('Atlas simulator: versions past their sunset', () => {
  it('answers 410 VERSION_GONE once the simulated clock passes the sunset date, naming the version and path', async () => {
    // Prepare
    const clock = new SimulatedClock({ scale: 0, start: Date.UTC(2027, 6, 1) - 1_000 });
    const simulator = await startAtlasSimulator({ clock });
    const client = new TestClient(simulator);
    const path = `/clusters/${simulator.seed.sourceClusterName}`;
    try {
      const before = await client.call(path, { accept: V2023 });
      clock.advance(1_000);

      // Act
      const after = await client.call(path, { accept: V2023 });

      // Assess
      const resource = `api/atlas/v2/groups/${simulator.seed.groupId}/clusters/${simulator.seed.sourceClusterName}`;
      expect(before.status).toBe(200);
      expect(after.status).toBe(410);
      expect(after.json).toMatchObject({
        errorCode: 'VERSION_GONE',
        detail: `Version 2023-01-01 of ${resource} is no longer available.`,
        parameters: ['2023-01-01', resource],
      });
      expect((await client.call(path, { accept: V2024 })).status).toBe(200);
    } finally {
      await simulator.close();
    }
  });
});
