import type { AtlasApi } from '../../functions/core/atlas/api.ts';
import type { Ledger, Queue } from '../../functions/core/workflow/ports.ts';
import type { AtlasSimulator, Fault } from '../atlas-simulator/index.ts';
import { intercept, SimulatedCrash } from '../reliability/support/faults.ts';

/** mulberry32: a small seeded PRNG, so that a soak run can be repeated from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: () => number, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  const last = weighted.at(-1);
  if (last === undefined) throw new Error('nothing to pick from');
  return last[0];
}

/** The Admin API operation each port method calls (the sharded listing is matched by path instead). */
const OPERATION_OF: Record<string, string> = {
  getCluster: 'getCluster',
  listRestoreJobs: 'listBackupRestoreJobs',
  getRestoreJob: 'getBackupRestoreJob',
  createRestoreJob: 'createBackupRestoreJob',
  cancelRestoreJob: 'cancelBackupRestoreJob',
  getSnapshot: 'getClusterBackupSnapshot',
};

/** What a faulty Atlas answers, weighted. Faults that only make sense for a write are kept for the POST. */
const READ_FAULTS: readonly (readonly [Fault, number])[] = [
  [{ kind: 'status', status: 429, errorCode: 'RATE_LIMITED_TOKEN_BUCKET', retryAfterSeconds: 10 }, 25],
  [{ kind: 'status', status: 429, errorCode: 'RATE_LIMITED_TOKEN_BUCKET' }, 10],
  [{ kind: 'status', status: 500 }, 12],
  [{ kind: 'status', status: 502 }, 5],
  [{ kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 20 }, 10],
  [{ kind: 'drop' }, 15],
  [{ kind: 'delay', ms: 30 }, 10],
  [{ kind: 'malformed' }, 2],
  [{ kind: 'huge', bytes: 6 * 1024 * 1024 }, 1],
];
const WRITE_FAULTS: readonly (readonly [Fault, number])[] = [
  ...READ_FAULTS,
  [{ kind: 'status', status: 405, errorCode: 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES' }, 10],
  [{ kind: 'dropAfterApply' }, 15],
];

export interface ChaosCounters {
  atlasFaults: number;
  crashes: number;
  readonly crashesAt: Record<string, number>;
}

/**
 * Atlas with faults on a share of its calls: before a port call, a fault is scripted in the simulator for the
 * request it is about to make (matched by operation and path), and whatever was not consumed is cleared after.
 */
export function faultyAtlas(
  atlas: AtlasApi,
  sim: AtlasSimulator,
  options: { random: () => number; rate: number; counters: ChaosCounters },
): AtlasApi {
  return intercept(atlas, async (method, args, call) => {
    const operationId = OPERATION_OF[method];
    if (options.random() >= options.rate) return call();
    const cluster = args[0] as { groupId: string; clusterName: string };
    const fault = pick(options.random, method === 'createRestoreJob' ? WRITE_FAULTS : READ_FAULTS);
    const path = `/groups/${cluster.groupId}/clusters/${cluster.clusterName}`;
    sim.faults.inject({ ...(operationId ? { operationId } : {}), pathIncludes: path }, fault);
    options.counters.atlasFaults += 1;
    try {
      return await call();
    } finally {
      sim.faults.clear();
    }
  });
}

/** Where the consumer may die: after each of these effects took place, before the next one. */
const LEDGER_CRASH_POINTS = new Set([
  'create',
  'advance',
  'claim',
  'finish',
  'markHandedOff',
  'markReported',
  'releaseClaim',
]);

/** The consumer dying at step boundaries: right after a ledger write, a queue send, or Atlas accepting the POST. */
export function crashing<T extends Ledger | Queue | AtlasApi>(
  port: T,
  points: ReadonlySet<string>,
  options: { random: () => number; rate: number; counters: ChaosCounters; name: string },
): T {
  return intercept(port, async (method, _args, call) => {
    const result = await call();
    if (points.has(method) && options.random() < options.rate) {
      const point = `${options.name}.${method}`;
      options.counters.crashes += 1;
      options.counters.crashesAt[point] = (options.counters.crashesAt[point] ?? 0) + 1;
      throw new SimulatedCrash(`after ${point}`);
    }
    return result;
  });
}

export const CRASH_POINTS = {
  ledger: LEDGER_CRASH_POINTS,
  queue: new Set(['send', 'enqueueRequest']),
  atlas: new Set(['createRestoreJob']),
} as const;
