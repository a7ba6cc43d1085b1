import type { SimulatedClock } from './clock.ts';
import type { DatabaseUserRecord } from './wire/host.ts';

/** A project's database user as the Admin API stores it. */
export interface StoredDatabaseUser extends DatabaseUserRecord {
  readonly groupId: string;
  /** The authentication database: `admin` for SCRAM users. */
  readonly databaseName: string;
  readonly description?: string;
  readonly labels?: readonly { readonly key?: string | undefined; readonly value?: string | undefined }[];
}

/**
 * Database users are project-level in Atlas: a user reaches every cluster of its project unless `scopes` names the
 * clusters it may use, and a user with `deleteAfterDate` is gone once that instant passes (on the simulated clock).
 */
export class DatabaseUsers {
  readonly #clock: SimulatedClock;
  readonly #users = new Map<string, StoredDatabaseUser>();

  constructor(clock: SimulatedClock) {
    this.#clock = clock;
  }

  /** Adds a user; false when the project already has one of that name in that database. */
  add(user: StoredDatabaseUser): boolean {
    const id = key(user.groupId, user.databaseName, user.username);
    if (this.find(user.groupId, user.databaseName, user.username)) return false;
    this.#users.set(id, user);
    return true;
  }

  find(groupId: string, databaseName: string, username: string): StoredDatabaseUser | undefined {
    const id = key(groupId, databaseName, username);
    const user = this.#users.get(id);
    if (user?.deleteAfterDate !== undefined && user.deleteAfterDate <= this.#clock.now()) {
      this.#users.delete(id);
      return undefined;
    }
    return user;
  }

  remove(groupId: string, databaseName: string, username: string): boolean {
    const found = this.find(groupId, databaseName, username) !== undefined;
    this.#users.delete(key(groupId, databaseName, username));
    return found;
  }

  /** The SCRAM user `username` (authentication database `admin`) as it may log in to this cluster now, if it may. */
  forCluster(groupId: string, clusterName: string, username: string): DatabaseUserRecord | undefined {
    const user = this.find(groupId, 'admin', username);
    if (!user) return undefined;
    const scopes = user.scopes ?? [];
    if (scopes.length > 0 && !scopes.some((scope) => scope.type === 'CLUSTER' && scope.name === clusterName)) {
      return undefined;
    }
    return user;
  }
}

function key(groupId: string, databaseName: string, username: string): string {
  return JSON.stringify([groupId, databaseName, username]);
}
