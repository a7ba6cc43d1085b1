import { randomInt } from 'node:crypto';
import * as z from 'zod';
import type { AtlasDatabaseUsersApi, ClusterRef } from '../atlas/api.ts';
import { AtlasApiError } from '../atlas/errors.ts';
import type { CachedSecret } from '../credentials/secrets-manager.ts';
import type { Log } from '../workflow/ports.ts';
import type { DatabaseLogin } from './database-port.ts';

/** The verifier's (or heartbeat writer's) database user, as its Secrets Manager secret holds it. */
export const databaseLoginDocument = z.looseObject({
  username: z.string({ message: 'is required (a string)' }).min(1, 'must not be empty'),
  password: z.string({ message: 'is required (a string)' }).min(1, 'must not be empty'),
});

export type CredentialsMode = 'secret' | 'temporaryUser';

/** A temporary user lives this long at most (Atlas deletes it then, if our delete did not happen). */
export const TEMPORARY_USER_LIFETIME_MS = 2 * 60 * 60_000;
/** Least privilege for every check the verifier runs: listings, counts and finds on any database. */
export const TEMPORARY_USER_ROLE = { roleName: 'readAnyDatabase', databaseName: 'admin' } as const;
const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface LeasedLogin {
  readonly login: DatabaseLogin;
  /** A user made for this use: Atlas may need a little time before it can log in. */
  readonly temporary: boolean;
  /** Deletes a temporary user (best effort: its deleteAfterDate is the backstop); nothing for a secret's user. */
  release(): Promise<void>;
}

export class DatabaseLoginError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseLoginError';
  }
}

export interface DatabaseLogins {
  acquire(cluster: ClusterRef, mode: CredentialsMode, options: { readonly deadline: number }): Promise<LeasedLogin>;
}

/**
 * Logins for the verifier: `secret` reads the user from Secrets Manager (cached); `temporaryUser` creates one through
 * the Admin API, readAnyDatabase@admin, scoped to the one cluster, with a deleteAfterDate, and deletes it on release.
 */
export function databaseLogins(options: {
  readonly secret?: CachedSecret<DatabaseLogin>;
  readonly atlas: AtlasDatabaseUsersApi;
  /** Atlas's time (epoch ms): deleteAfterDate is judged by Atlas. */
  readonly now: () => number;
  readonly log: Log;
  readonly randomIndex?: (below: number) => number;
}): DatabaseLogins {
  const randomIndex = options.randomIndex ?? ((below: number) => randomInt(below));
  const randomText = (length: number) =>
    Array.from({ length }, () => PASSWORD_ALPHABET[randomIndex(PASSWORD_ALPHABET.length)]).join('');

  return {
    async acquire(cluster, mode, { deadline }) {
      if (mode === 'secret') {
        if (options.secret === undefined) {
          throw new DatabaseLoginError('no database user secret is configured (VERIFIER_DATABASE_SECRET_ID)');
        }
        const login = await options.secret.get();
        return {
          login: { username: login.username, password: login.password },
          temporary: false,
          release: async () => {},
        };
      }
      const username = `atlas-restore-verify-${randomText(12).toLowerCase()}`;
      const password = randomText(32);
      await options.atlas.createDatabaseUser(
        {
          groupId: cluster.groupId,
          databaseName: 'admin',
          username,
          password,
          roles: [TEMPORARY_USER_ROLE],
          scopes: [{ name: cluster.clusterName, type: 'CLUSTER' }],
          deleteAfterDate: new Date(options.now() + TEMPORARY_USER_LIFETIME_MS).toISOString(),
          description: 'atlas-restore-orchestrator verification (temporary)',
        },
        { deadline },
      );
      return {
        login: { username, password },
        temporary: true,
        async release() {
          try {
            await options.atlas.deleteDatabaseUser(
              { groupId: cluster.groupId, databaseName: 'admin', username },
              { deadline },
            );
          } catch (error) {
            if (error instanceof AtlasApiError && error.status === 404) return;
            options.log.warn('temporary database user not deleted; Atlas deletes it at its deleteAfterDate', {
              groupId: cluster.groupId,
              username,
              error: error instanceof Error ? error.message : String(error),
            });
          }
        },
      };
    },
  };
}
