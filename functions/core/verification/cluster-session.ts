import { setTimeout as delay } from 'node:timers/promises';
import type { AtlasApi, ClusterRef } from '../atlas/api.ts';
import { standardConnectionString } from './cluster-connection.ts';
import type { CredentialsMode, DatabaseLogins } from './database-logins.ts';
import { type ConnectRequest, type DatabaseConnector, DatabaseError, type DatabaseSession } from './database-port.ts';

/** A new Atlas database user takes a while to reach the cluster's nodes: its first logins may be refused. */
export const TEMPORARY_LOGIN_RETRY = { everyMs: 5_000, forMs: 90_000 } as const;

export interface ClusterSessionDeps {
  readonly atlas: Pick<AtlasApi, 'getCluster'>;
  readonly connector: DatabaseConnector;
  readonly logins: DatabaseLogins;
  /** Real time (epoch ms), for deadlines and the login retries. */
  readonly now: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Opens one cluster (getCluster → connectionStrings.standard, a login, the driver), runs `work`, and always closes
 * the connection and releases the login (a temporary user is deleted), whatever `work` did.
 */
export async function withClusterSession<T>(
  deps: ClusterSessionDeps,
  cluster: ClusterRef,
  options: { readonly role: ConnectRequest['role']; readonly mode: CredentialsMode; readonly deadline: number },
  work: (session: DatabaseSession) => Promise<T>,
): Promise<T> {
  const connectionString = await standardConnectionString(deps.atlas, cluster, { deadline: options.deadline });
  const lease = await deps.logins.acquire(cluster, options.mode, { deadline: options.deadline });
  try {
    const request: ConnectRequest = {
      connectionString,
      login: lease.login,
      role: options.role,
      deadline: options.deadline,
    };
    const session = lease.temporary ? await connectRetryingLogin(deps, request) : await deps.connector.connect(request);
    try {
      return await work(session);
    } finally {
      await session.close().catch(() => {});
    }
  } finally {
    await lease.release();
  }
}

async function connectRetryingLogin(deps: ClusterSessionDeps, request: ConnectRequest): Promise<DatabaseSession> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const giveUpAt = Math.min(deps.now() + TEMPORARY_LOGIN_RETRY.forMs, request.deadline);
  for (;;) {
    try {
      return await deps.connector.connect(request);
    } catch (error) {
      const refused = error instanceof DatabaseError && error.code === 'AUTHENTICATION_FAILED';
      if (!refused || deps.now() + TEMPORARY_LOGIN_RETRY.everyMs >= giveUpAt) throw error;
      await sleep(TEMPORARY_LOGIN_RETRY.everyMs);
    }
  }
}
