import { expect } from 'vitest';
import {
  type AtlasClient,
  type AtlasClientOptions,
  createAtlasClient,
} from '../../../../functions/core/atlas/client.ts';
import type { AtlasCredentials, CredentialsSource } from '../../../../functions/core/credentials/source.ts';
import {
  type AtlasSimulator,
  SimulatedClock,
  type SimulatorOptions,
  startAtlasSimulator,
} from '../../../atlas-simulator/index.ts';
import { validateAtlasRequest } from '../../../support/openapi.ts';

export type CredentialKind = AtlasCredentials['kind'];

/** A credentials source over the simulator's current credentials, counting reads and invalidations. */
export function simulatorCredentials(sim: AtlasSimulator, kind: CredentialKind) {
  const counts = { gets: 0, invalidations: 0 };
  let override: AtlasCredentials | undefined;
  const source: CredentialsSource = {
    async get() {
      counts.gets += 1;
      const { credentials } = sim.seed;
      const current: AtlasCredentials =
        override ??
        (kind === 'serviceAccount'
          ? { kind, clientId: credentials.clientId, clientSecret: credentials.clientSecret }
          : { kind, publicKey: credentials.publicKey, privateKey: credentials.privateKey });
      return { credentials: current };
    },
    invalidate() {
      counts.invalidations += 1;
    },
  };
  return {
    source,
    counts,
    /** Serve these instead of the simulator's (for example a wrong secret). */
    override(credentials: AtlasCredentials | undefined) {
      override = credentials;
    },
  };
}

export interface LogEntry {
  readonly level: 'warn' | 'debug';
  readonly message: string;
  readonly extra: Record<string, unknown> | undefined;
}

export function capturingLogger() {
  const entries: LogEntry[] = [];
  return {
    entries,
    logger: {
      warn: (message: string, extra?: Record<string, unknown>) => entries.push({ level: 'warn', message, extra }),
      debug: (message: string, extra?: Record<string, unknown>) => entries.push({ level: 'debug', message, extra }),
    },
  };
}

/**
 * Time for retries without waiting: `sleep` records the wait and moves both the client's clock and the
 * simulator's forward, so token buckets refill and deadlines approach as they would.
 */
export function steppedTime(clock?: SimulatedClock) {
  let time = Date.now();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time += ms;
      clock?.advance(ms);
    },
  };
}

export interface Harness {
  readonly sim: AtlasSimulator;
  readonly credentials: ReturnType<typeof simulatorCredentials>;
  readonly log: ReturnType<typeof capturingLogger>;
  readonly time: ReturnType<typeof steppedTime>;
  readonly client: AtlasClient;
  readonly cluster: { readonly groupId: string; readonly clusterName: string };
  /** Another client on the same simulator and credentials (its own token and nonces). */
  newClient(options?: Partial<AtlasClientOptions>): AtlasClient;
  close(): Promise<void>;
}

/** A frozen-clock simulator and a client on it; `random` is 0.5 so the jittered waits are exact halves. */
export async function startHarness(
  kind: CredentialKind,
  options: { simulator?: SimulatorOptions; client?: Partial<AtlasClientOptions> } = {},
): Promise<Harness> {
  const clock = options.simulator?.clock ?? new SimulatedClock({ scale: 0 });
  const sim = await startAtlasSimulator({ rateLimit: false, ...options.simulator, clock });
  const credentials = simulatorCredentials(sim, kind);
  const log = capturingLogger();
  const time = steppedTime(clock);
  const clients: AtlasClient[] = [];
  const newClient = (overrides: Partial<AtlasClientOptions> = {}) => {
    const client = createAtlasClient({
      baseUrl: sim.baseUrl,
      credentials: credentials.source,
      logger: log.logger,
      sleep: time.sleep,
      now: time.now,
      random: () => 0.5,
      ...options.client,
      ...overrides,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  return {
    sim,
    credentials,
    log,
    time,
    client,
    cluster: { groupId: sim.seed.groupId, clusterName: sim.seed.sourceClusterName },
    newClient,
    async close() {
      await Promise.all(clients.map((each) => each.close()));
      await sim.close();
    },
  };
}

/** The Admin API requests the simulator saw (the token endpoint is not in the OpenAPI document). */
export function apiRequests(sim: AtlasSimulator) {
  return sim.requests.filter((request) => request.path.startsWith('/api/atlas/'));
}

export function tokenRequests(sim: AtlasSimulator) {
  return sim.requests.filter((request) => request.path === '/api/oauth/token');
}

/** Every Admin API request the client sent validates against the OpenAPI document. */
export function expectRequestsValidAgainstOpenApi(sim: AtlasSimulator): void {
  const requests = apiRequests(sim);
  expect(requests.length).toBeGreaterThan(0);
  const problems = requests.flatMap((request) =>
    validateAtlasRequest({
      method: request.method,
      path: request.path,
      query: request.query,
      headers: request.headers,
      body: request.body,
    }).map((problem) => `${request.method} ${request.path}: ${problem}`),
  );
  expect(problems).toEqual([]);
}

/** Runs `promise` and returns what it threw (fails the test when it resolves). */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
