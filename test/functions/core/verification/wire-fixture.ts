import type { ClusterRef } from '../../../../functions/core/atlas/api.ts';
import type { ClusterData } from '../../../atlas-simulator/data/cluster-data.ts';
import { type DataPlane, startDataPlane } from '../../../atlas-simulator/wire/server.ts';
import { TestHost } from '../../../atlas-simulator/wire/test-host.ts';

export const GROUP = '6789abcdef0123456789abcd';
export const READER = { username: 'verifier', password: 'verifier-secret-0123' };
export const WRITER = { username: 'heartbeat', password: 'heartbeat-secret-0123' };
export const NARROW = { username: 'narrow', password: 'narrow-secret-0123' };

/** Seeds a source: an orders collection with a validator and an index, a capped heartbeat collection. */
export function seedSource(data: ClusterData, at: number, heartbeatsAt: readonly number[]): void {
  data.apply(
    {
      kind: 'createCollection',
      db: 'shop',
      collection: 'orders',
      options: { validator: { $jsonSchema: { required: ['status'] } } },
    },
    at,
  );
  data.apply(
    {
      kind: 'createIndexes',
      db: 'shop',
      collection: 'orders',
      indexes: [{ name: 'createdAt_1', key: { createdAt: 1 } }],
    },
    at,
  );
  data.apply(
    {
      kind: 'insert',
      db: 'shop',
      collection: 'orders',
      documents: [
        { status: 'paid', createdAt: new Date(at - 3_600_000) },
        { status: 'paid', createdAt: new Date(at - 60_000) },
        { status: 'open', createdAt: new Date(at) },
      ],
    },
    at,
  );
  data.apply(
    {
      kind: 'createCollection',
      db: 'atlas_restore',
      collection: 'heartbeats',
      options: { capped: true, size: 1 << 20, max: 100 },
    },
    at,
  );
  heartbeatsAt.forEach((time, index) => {
    data.apply(
      {
        kind: 'insert',
        db: 'atlas_restore',
        collection: 'heartbeats',
        documents: [{ seq: index + 1, at: new Date(time), writer: 'seed' }],
      },
      Math.max(at, time),
    );
  });
}

/** A wire data plane over a test host with the three users, and one listener per cluster added. */
export async function startWireFixture(clusters: readonly string[]) {
  const host = new TestHost();
  host.addUser(GROUP, { ...READER, roles: [{ roleName: 'readAnyDatabase', databaseName: 'admin' }] });
  host.addUser(GROUP, { ...WRITER, roles: [{ roleName: 'readWrite', databaseName: 'atlas_restore' }] });
  host.addUser(GROUP, { ...NARROW, roles: [{ roleName: 'read', databaseName: 'atlas_restore' }] });
  const data = new Map<string, ClusterData>();
  for (const name of clusters) data.set(name, host.addCluster(GROUP, name));
  const plane: DataPlane = await startDataPlane({ host });
  const uris = new Map<string, string>();
  for (const name of clusters) uris.set(name, (await plane.listen(GROUP, name)).connectionString);
  const uri = (name: string) => uris.get(name) ?? `mongodb://127.0.0.1:1/?tls=true&replicaSet=${name}`;
  return {
    host,
    plane,
    data: (name: string) => {
      const found = data.get(name);
      if (found === undefined) throw new Error(`no cluster ${name}`);
      return found;
    },
    uri,
    /** Our Atlas port's getCluster, answering each cluster's wire connection string as Atlas's `standard`. */
    atlas: {
      async getCluster(ref: ClusterRef) {
        return {
          name: ref.clusterName,
          stateName: 'IDLE',
          paused: false,
          pitEnabled: true,
          clusterType: 'REPLICASET',
          connectionStrings: { standard: uri(ref.clusterName) },
        };
      },
    },
  };
}
