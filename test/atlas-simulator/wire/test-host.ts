/** A small DataPlaneHost for the wire server's tests: clusters' data, database users, a settable clock and faults. */
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { ClusterData } from '../data/cluster-data.ts';
import type { DatabaseUserRecord, DataPlaneHost } from './host.ts';

export class TestHost implements DataPlaneHost {
  readonly #data = new Map<string, ClusterData>();
  readonly #users = new Map<string, DatabaseUserRecord>();
  readonly #unreachable = new Set<string>();
  #now: number;

  constructor(start = Date.UTC(2025, 0, 15, 12, 0, 0)) {
    this.#now = start;
  }

  addCluster(groupId: string, clusterName: string): ClusterData {
    const data = new ClusterData();
    this.#data.set(`${groupId}/${clusterName}`, data);
    return data;
  }

  /** A user of the project (Atlas database users belong to a project; scopes narrow them to clusters). */
  addUser(groupId: string, user: DatabaseUserRecord): void {
    this.#users.set(`${groupId}/${user.username}`, user);
  }

  setReachable(groupId: string, clusterName: string, reachable: boolean): void {
    if (reachable) this.#unreachable.delete(`${groupId}/${clusterName}`);
    else this.#unreachable.add(`${groupId}/${clusterName}`);
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  clusterData(groupId: string, clusterName: string): ClusterData | undefined {
    return this.#data.get(`${groupId}/${clusterName}`);
  }

  databaseUser(groupId: string, _clusterName: string, username: string): DatabaseUserRecord | undefined {
    return this.#users.get(`${groupId}/${username}`);
  }

  now(): number {
    return this.#now;
  }

  reachable(groupId: string, clusterName: string): boolean {
    return !this.#unreachable.has(`${groupId}/${clusterName}`);
  }
}

/** Official-driver clients of a data plane, closed together (tests must not leave monitors running). */
export class DriverClients {
  readonly #clients: MongoClient[] = [];
  readonly #caFile: string;

  constructor(caFile: string) {
    this.#caFile = caFile;
  }

  connect(
    connectionString: string,
    credentials?: { username: string; password: string },
    options: MongoClientOptions = {},
  ): MongoClient {
    const client = new MongoClient(connectionString, {
      ...(credentials === undefined ? {} : { auth: credentials }),
      tlsCAFile: this.#caFile,
      serverSelectionTimeoutMS: 1500,
      connectTimeoutMS: 1500,
      ...options,
    });
    this.#clients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#clients.splice(0).map((client) => client.close()));
  }
}
