import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator } from './auth.ts';
import { SimulatedClock } from './clock.ts';
import { FaultScript } from './faults.ts';
import { DEFAULT_DURATIONS } from './lifecycle.ts';
import { createPipeline } from './pipeline.ts';
import { TokenBuckets } from './rate-limit.ts';
import type { ClusterRecord } from './records.ts';
import { seedStore } from './seed.ts';
import { SimulatorStore } from './state.ts';
import type { AtlasSimulator, RecordedRequest, SeedInfo, SimulatorOptions } from './types.ts';
import type { DataPlaneHost } from './wire/host.ts';
import type { DataPlane } from './wire/server.ts';

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
  const dataPlane = lazyDataPlane(store);

  const pipeline = createPipeline({
    clock,
    store,
    auth,
    faults,
    buckets,
    requests,
    closing: closing.signal,
    dataPlaneListening: dataPlane.listening,
  });
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
    dataPlane: {
      ready: dataPlane.ready,
      faults: store.dataFaults,
      connectionString: async (groupId, clusterName) => {
        await dataPlane.ready();
        const cluster = store.cluster(groupId, clusterName);
        return (cluster?.connectionStrings as { standard?: string } | undefined)?.standard;
      },
      commands: (cluster) => dataPlane.started()?.commands(cluster) ?? [],
      lockTakingCommands: (cluster) => dataPlane.started()?.lockTakingCommands(cluster) ?? [],
    },
    requests,
    rotateCredentials: () => auth.rotate(),
    setProjectAccess: (groupId, access) => auth.setProjectAccess(groupId, access),
    liveTokens: () => auth.liveTokens(),
    setApiAccessList: (addresses) => auth.setApiAccessList(addresses),
    close: async () => {
      closing.abort();
      await dataPlane.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The clusters' wire-protocol listeners, started by `sim.dataPlane.ready()` (which also answers the CA file a client
 * needs to connect): generating the CA and loading the wire server cost most of a second, which the many tests that
 * never connect to a cluster do not pay, nor wait for on their first getCluster (a drill on a fast clock would see
 * its snapshot finish meanwhile). Once started, every cluster listens, clusters added later too, and getCluster
 * shows `standard`.
 */
function lazyDataPlane(store: SimulatorStore) {
  let plane: DataPlane | undefined;
  let starting: Promise<DataPlane> | undefined;
  let closed = false;
  const listening = new Set<Promise<void>>();
  const listen = (dataPlane: DataPlane, cluster: ClusterRecord) => {
    const started: Promise<void> = dataPlane
      .listen(cluster.groupId, cluster.name, { setName: cluster.replicaSetNames[0] ?? cluster.name })
      .then(({ port }) => {
        store.dataPlanePorts.set(`${cluster.groupId}/${cluster.name}`, port);
      })
      .catch(() => {})
      .finally(() => listening.delete(started));
    listening.add(started);
  };
  const start = async (): Promise<DataPlane> => {
    const { startDataPlane } = await import('./wire/server.ts');
    const dataPlane = await startDataPlane({ host: dataPlaneHost(store) });
    if (closed) {
      await dataPlane.close();
      return dataPlane;
    }
    plane = dataPlane;
    store.onClusterAdded = (cluster) => listen(dataPlane, cluster);
    for (const cluster of store.allClusters()) listen(dataPlane, cluster);
    return dataPlane;
  };
  return {
    /** Starts the listeners (once) and waits until every cluster listens; answers the CA file for `tlsCAFile`. */
    ready: async (): Promise<{ caFile: string }> => {
      starting ??= start();
      const dataPlane = await starting;
      await Promise.all(listening);
      return { caFile: dataPlane.caFile };
    },
    /** Once started, waits until every cluster listens; before, answers at once (nothing listens). */
    listening: async (): Promise<void> => {
      if (!starting) return;
      await starting;
      await Promise.all(listening);
    },
    started: () => plane,
    close: async () => {
      closed = true;
      store.onClusterAdded = undefined;
      if (starting) await (await starting).close();
    },
  };
}

/** The simulator as the wire server's host: data settled, users per project, its clock, reachability. */
function dataPlaneHost(store: SimulatorStore): DataPlaneHost {
  return {
    clusterData: (groupId, clusterName) => store.clusterData(groupId, clusterName),
    databaseUser: (groupId, clusterName, username) => store.databaseUsers.forCluster(groupId, clusterName, username),
    now: () => store.clock.now(),
    reachable: (groupId, clusterName) => store.dataPlaneReachable(groupId, clusterName),
  };
}

/** With `seed: false` there is no project: ids are empty, only the credentials are real. */
const EMPTY_SEED: Omit<SeedInfo, 'credentials'> = {
  groupId: '',
  sourceClusterName: '',
  targetClusterName: '',
  completedSnapshotId: '',
};
