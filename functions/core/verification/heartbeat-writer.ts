import * as z from 'zod';
import type { ClusterRef } from '../atlas/api.ts';
import { atlasId, clusterName as clusterNameSchema } from '../atlas/model.ts';
import { DEFAULT_HEARTBEATS } from '../contract/verification.ts';
import type { Clock, Log } from '../workflow/ports.ts';
import { type ClusterSessionDeps, withClusterSession } from './cluster-session.ts';
import { databaseFailureReason } from './database-port.ts';

/** A week of heartbeats at one a minute; a restore needs only the newest, the rest shows the writer's history. */
export const HEARTBEAT_CAPPED = { sizeBytes: 2 * 1024 * 1024, maxDocuments: 7 * 24 * 60 } as const;

/** `groupId/clusterName`. */
export const heartbeatSource = z.string().transform((text, context): ClusterRef => {
  const [groupId = '', clusterName = '', ...rest] = text.trim().split('/');
  if (rest.length > 0 || !atlasId.safeParse(groupId).success || !clusterNameSchema.safeParse(clusterName).success) {
    context.addIssue({ code: 'custom', message: 'must be groupId/clusterName (a 24-hex project id, a cluster name)' });
    return z.NEVER;
  }
  return { groupId, clusterName };
});

export interface HeartbeatWriterDeps extends ClusterSessionDeps {
  /** The time written in `at`: Atlas's clock in effect (the simulator's locally), as restored instants are. */
  readonly clock: Clock;
  readonly log: Log;
}

export interface HeartbeatWriteOptions {
  readonly database?: string;
  readonly collection?: string;
  /** Who wrote it (the function's name): two writers on one cluster can be told apart. */
  readonly writer: string;
  readonly deadline: number;
}

export type HeartbeatReport =
  | { readonly source: string; readonly written: true; readonly seq: number; readonly at: string }
  | { readonly source: string; readonly written: false; readonly reason: string };

/**
 * One heartbeat on each source: `{ seq: newest seq + 1, at, writer }` in the capped heartbeat collection (made when
 * absent: no heartbeat yet), with the heartbeat user's login from the secret. A source that fails is reported and does not stop
 * the others (they run side by side).
 */
export async function writeHeartbeats(
  deps: HeartbeatWriterDeps,
  sources: readonly ClusterRef[],
  options: HeartbeatWriteOptions,
): Promise<HeartbeatReport[]> {
  const database = options.database ?? DEFAULT_HEARTBEATS.database;
  const collection = options.collection ?? DEFAULT_HEARTBEATS.collection;
  return Promise.all(
    sources.map(async (source): Promise<HeartbeatReport> => {
      const name = `${source.groupId}/${source.clusterName}`;
      try {
        const written = await withClusterSession(
          deps,
          source,
          { role: 'heartbeat', mode: 'secret', deadline: options.deadline },
          async (session) => {
            const newest = await session.newestValue(database, collection, 'seq');
            // Only while there is no heartbeat: creating takes a lock, and listing collections needs a wider role.
            if (newest === undefined) await session.createCappedCollection(database, collection, HEARTBEAT_CAPPED);
            const seq = typeof newest === 'number' && Number.isSafeInteger(newest) ? newest + 1 : 1;
            const at = new Date(deps.clock.now());
            await session.insert(database, collection, { seq, at, writer: options.writer });
            return { seq, at: at.toISOString() };
          },
        );
        deps.log.info('heartbeat written', { source: name, ...written });
        return { source: name, written: true, ...written };
      } catch (error) {
        const reason =
          error instanceof Error && error.name !== 'DatabaseError'
            ? `${error.name}: ${error.message}`
            : databaseFailureReason(error);
        deps.log.error('heartbeat not written', { source: name, reason });
        return { source: name, written: false, reason };
      }
    }),
  );
}
