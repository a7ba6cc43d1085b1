/**
 * The heartbeat writer's Lambda entry point, invoked by a schedule (every minute by default): one heartbeat
 * `{ seq, at, writer }` into the capped heartbeat collection of each source (the event's `sources`, else
 * HEARTBEAT_SOURCES). The verifier measures the RPO a restore achieved from the newest one it finds.
 */
import * as z from 'zod';
import { createLogger } from './core/reporting/logger.ts';
import { heartbeatEnvironment, heartbeatEvent } from './core/verification/config.ts';
import { driverFunction } from './core/verification/driver-function.ts';
import { type HeartbeatReport, writeHeartbeats } from './core/verification/heartbeat-writer.ts';
import { systemClock } from './core/workflow/ports.ts';

const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'atlas-restore-heartbeat-writer' });
const { env, atlas, connector, logins } = driverFunction({
  appName: 'atlas-restore-heartbeat-writer',
  environment: heartbeatEnvironment,
  logger,
  loginSecretId: (environment) => environment.HEARTBEAT_DATABASE_SECRET_ID,
});
const deps = { atlas, connector, logins, clock: systemClock, log: logger, now: Date.now };

/** Fails (so Lambda counts an error) when any source was not written; every other source still got its heartbeat. */
export async function handler(
  event: unknown,
  context: { getRemainingTimeInMillis(): number; functionName?: string },
): Promise<{ heartbeats: HeartbeatReport[] }> {
  const parsed = heartbeatEvent.safeParse(event ?? {});
  if (!parsed.success) {
    logger.error('heartbeat event is invalid', { issues: z.prettifyError(parsed.error) });
    throw new Error(`Invalid heartbeat event: ${z.prettifyError(parsed.error)}`);
  }
  const sources = parsed.data.sources ?? env.HEARTBEAT_SOURCES;
  const heartbeats = await writeHeartbeats(deps, sources, {
    ...(env.HEARTBEAT_DATABASE ? { database: env.HEARTBEAT_DATABASE } : {}),
    ...(env.HEARTBEAT_COLLECTION ? { collection: env.HEARTBEAT_COLLECTION } : {}),
    writer: context.functionName ?? 'atlas-restore-heartbeat-writer',
    deadline: Date.now() + context.getRemainingTimeInMillis() - 3_000,
  });
  const failed = heartbeats.filter((report) => !report.written).map((report) => report.source);
  if (failed.length > 0) throw new Error(`heartbeats not written on ${failed.join(', ')} (see the log for why)`);
  return { heartbeats };
}
