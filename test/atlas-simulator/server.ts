import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator } from './auth.ts';
import { SimulatedClock } from './clock.ts';
import { FaultScript } from './faults.ts';
import { DEFAULT_DURATIONS } from './lifecycle.ts';
import { createPipeline } from './pipeline.ts';
import { TokenBuckets } from './rate-limit.ts';
import { seedStore } from './seed.ts';
import { SimulatorStore } from './state.ts';
import type { AtlasSimulator, RecordedRequest, SeedInfo, SimulatorOptions } from './types.ts';

const FIVE_MINUTES_MS = 300_000;

/** Starts the simulator on 127.0.0.1 (port 0 by default: the OS picks one). See index.ts. */
export async function startAtlasSimulator(options: SimulatorOptions = {}): Promise<AtlasSimulator> {
  const clock = options.clock ?? new SimulatedClock();
  const store = new SimulatorStore(clock, { ...DEFAULT_DURATIONS, ...options.durations });
  const auth = new Authenticator({
    clock,
    nonceTtlMs: options.nonceTtlMs ?? FIVE_MINUTES_MS,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    maxTokens: options.maxTokensPerServiceAccount ?? 100,
  });
  const faults = new FaultScript();
  const rateLimit = options.rateLimit ?? { capacity: 1200, refillPerMinute: 500 };
  const buckets = rateLimit === false ? undefined : new TokenBuckets(clock, rateLimit);
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const seeded = options.seed === false ? undefined : seedStore(store, options.seed ?? {}, auth.credentials);

  const pipeline = createPipeline({ clock, store, auth, faults, buckets, requests, closing: closing.signal });
  const server = createServer((request, response) => {
    pipeline(request, response).catch(() => request.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  store.baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl: store.baseUrl,
    get seed(): SeedInfo {
      return { ...(seeded ?? EMPTY_SEED), credentials: auth.credentials };
    },
    clock,
    state: store,
    faults,
    requests,
    rotateCredentials: () => auth.rotate(),
    setProjectAccess: (groupId, access) => auth.setProjectAccess(groupId, access),
    liveTokens: () => auth.liveTokens(),
    setApiAccessList: (addresses) => auth.setApiAccessList(addresses),
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** With `seed: false` there is no project: ids are empty, only the credentials are real. */
const EMPTY_SEED: Omit<SeedInfo, 'credentials'> = {
  groupId: '',
  sourceClusterName: '',
  targetClusterName: '',
  completedSnapshotId: '',
};
