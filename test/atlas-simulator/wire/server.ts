/**
 * The data plane: one TLS listener on 127.0.0.1 per cluster, speaking the MongoDB wire protocol over the host's
 * ClusterData. `listen` opens a cluster's listener (port 0: the OS picks) and answers its standard connection string;
 * `commands()` is the log of every command received; `close()` ends every socket and listener at once.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { type DataPlaneTls, dataPlaneTls } from './certificates.ts';
import { type CommandLogEntry, lockTakingCommands } from './command-log.ts';
import { type ClusterEndpoint, WireConnection } from './connection.ts';
import { CursorRegistry } from './cursors.ts';
import { newServerIdentity } from './handshake.ts';
import type { DataPlaneHost } from './host.ts';

export interface DataPlaneOptions {
  readonly host: DataPlaneHost;
  /** TLS material; default: the process's generated CA and server certificate. */
  readonly tls?: DataPlaneTls;
}

export interface ListenOptions {
  /** Replica set name; default `atlas-<6 characters>-shard-0` derived from the cluster, as Atlas names them. */
  readonly setName?: string;
}

export interface ClusterListener {
  readonly port: number;
  /** `mongodb://127.0.0.1:<port>/?tls=true&authSource=admin&replicaSet=<setName>` (Atlas's `standard` form). */
  readonly connectionString: string;
  readonly setName: string;
}

export interface DataPlane {
  listen(groupId: string, clusterName: string, options?: ListenOptions): Promise<ClusterListener>;
  /** Closes one cluster's listener and its connections (a deleted cluster). */
  unlisten(groupId: string, clusterName: string): Promise<void>;
  /** The CA certificate file for the driver's `tlsCAFile`. */
  readonly caFile: string;
  /** Every command received so far, oldest first (optionally for one cluster). */
  commands(cluster?: { groupId: string; clusterName: string }): CommandLogEntry[];
  /** The lock-taking commands received (empty: none), optionally for one cluster. */
  lockTakingCommands(cluster?: { groupId: string; clusterName: string }): CommandLogEntry[];
  close(): Promise<void>;
}

interface OpenListener extends ClusterListener {
  readonly server: Server;
  readonly connections: Set<WireConnection>;
  readonly sockets: Set<Socket>;
}

function defaultSetName(groupId: string, clusterName: string): string {
  const digest = createHash('sha256').update(`${groupId}/${clusterName}`).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const slug = [...digest.subarray(0, 6)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return `atlas-${slug}-shard-0`;
}

export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const tls = options.tls ?? (await dataPlaneTls());
  const { host } = options;
  const log: CommandLogEntry[] = [];
  const listeners = new Map<string, Promise<OpenListener>>();
  let requestId = 0;
  let connectionId = 0;

  const key = (groupId: string, clusterName: string) => `${groupId}/${clusterName}`;

  async function open(groupId: string, clusterName: string, setName: string): Promise<OpenListener> {
    const connections = new Set<WireConnection>();
    const sockets = new Set<Socket>();
    const server = createServer({ key: tls.key, cert: tls.cert });
    // Raw TCP sockets too: a TLS handshake in progress must also end on close().
    server.on('connection', (socket: Socket) => {
      if (!host.reachable(groupId, clusterName)) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('tlsClientError', () => {});
    const endpoint: Omit<ClusterEndpoint, 'identity'> = {
      groupId,
      clusterName,
      host,
      cursors: new CursorRegistry(),
      record: (entry) => log.push(entry),
      nextRequestId: () => {
        requestId = (requestId + 1) % 0x7fffffff;
        return requestId;
      },
    };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const identity = newServerIdentity(`127.0.0.1:${port}`, setName);
    server.on('secureConnection', (socket: TLSSocket) => {
      connectionId += 1;
      const connection = new WireConnection(socket, { ...endpoint, identity }, connectionId);
      connections.add(connection);
      socket.on('close', () => connections.delete(connection));
    });
    const connectionString = `mongodb://127.0.0.1:${port}/?tls=true&authSource=admin&replicaSet=${setName}`;
    return { port, connectionString, setName, server, connections, sockets };
  }

  async function shut(listener: OpenListener): Promise<void> {
    const closed = new Promise<void>((resolve) => listener.server.close(() => resolve()));
    for (const connection of listener.connections) connection.destroy();
    for (const socket of listener.sockets) socket.destroy();
    await closed;
  }

  const forCluster = (cluster?: { groupId: string; clusterName: string }) =>
    cluster === undefined
      ? [...log]
      : log.filter((entry) => entry.groupId === cluster.groupId && entry.clusterName === cluster.clusterName);

  return {
    caFile: tls.caFile,
    async listen(groupId, clusterName, listenOptions = {}) {
      const id = key(groupId, clusterName);
      let listener = listeners.get(id);
      if (listener === undefined) {
        listener = open(groupId, clusterName, listenOptions.setName ?? defaultSetName(groupId, clusterName));
        listeners.set(id, listener);
      }
      const { port, connectionString, setName } = await listener;
      return { port, connectionString, setName };
    },
    async unlisten(groupId, clusterName) {
      const id = key(groupId, clusterName);
      const listener = listeners.get(id);
      listeners.delete(id);
      if (listener !== undefined) await shut(await listener);
    },
    commands: forCluster,
    lockTakingCommands: (cluster) => lockTakingCommands(forCluster(cluster)),
    async close() {
      const open = [...listeners.values()];
      listeners.clear();
      await Promise.all(open.map(async (listener) => shut(await listener)));
    },
  };
}
