/**
 * The verified-drill functions, locally, as the stack deploys them: the verifier's real handler fed by the
 * verification queue (fauxqs) with the verifier's own event source settings, and the heartbeat writer run on its
 * schedule's rate in the simulated clock. Their environments are the synthesized template's, with local stand-ins for
 * what only a deployment resolves (the table name), the simulator's Atlas and ATLAS_TLS_CA_FILE pointing at the
 * simulator's CA. Database users are given directly instead of through Secrets Manager, as the drill's Atlas
 * credentials are.
 */

import type { ClusterRef } from '../../functions/core/atlas/api.ts';
import type { AtlasClient } from '../../functions/core/atlas/client.ts';
import type { CachedSecret } from '../../functions/core/credentials/secrets-manager.ts';
import { parseScheduleExpression } from '../../functions/core/drills/schedule-expression.ts';
import { parseLambdaEnvironment } from '../../functions/core/lambda-environment.ts';
import { heartbeatEnvironment, verifierEnvironment } from '../../functions/core/verification/config.ts';
import { databaseLogins } from '../../functions/core/verification/database-logins.ts';
import type { DatabaseLogin } from '../../functions/core/verification/database-port.ts';
import { type HeartbeatReport, writeHeartbeats } from '../../functions/core/verification/heartbeat-writer.ts';
import { mongoConnector } from '../../functions/core/verification/mongodb-database.ts';
import type { VerificationStore } from '../../functions/core/verification/verification-store.ts';
import { createVerifierHandler } from '../../functions/core/verification/verifier-handler.ts';
import { createVerifierService } from '../../functions/core/verification/verifier-service.ts';
import type { Clock, Log } from '../../functions/core/workflow/ports.ts';
import type { QueueConsumerPlatform } from '../support/lambda-platform/deployed.ts';
import { type LocalAws, type PollResult, pollOnce } from '../support/local-aws.ts';

export interface LocalVerificationOptions {
  readonly aws: LocalAws;
  readonly atlas: AtlasClient;
  readonly atlasBaseUrl: string;
  /** The simulator's CA certificate file (PEM): the clusters' TLS. */
  readonly caFile: string;
  readonly store: VerificationStore;
  /** The simulated clock: heartbeats, capturedAt and recordedAt are on Atlas's time. */
  readonly clock: Clock;
  readonly log: Log;
  /** The verifier's database user, as its secret would hold it. */
  readonly verifierUser: DatabaseLogin;
  /** The heartbeat writer's database user, as its secret would hold it. */
  readonly heartbeatUser: DatabaseLogin;
  /** The clusters the writer writes to (the drill's source; the template's HEARTBEAT_SOURCES name cdk.json's). */
  readonly heartbeatSources: readonly ClusterRef[];
}

export interface LocalVerification {
  /** One receive from the verification queue, through the verifier's handler (as its event source mapping does). */
  pollVerifier(): Promise<PollResult>;
  /** Runs the heartbeat writer for every scheduled time up to the simulated now; answers what it wrote. */
  writeDueHeartbeats(): Promise<HeartbeatReport[]>;
}

/** A stand-in for a Secrets Manager secret holding a database user. */
const fixedSecret = (login: DatabaseLogin): CachedSecret<DatabaseLogin> => ({
  get: async () => ({ username: login.username, password: login.password }),
  invalidate: () => undefined,
});

/** A function's environment from the template, with local values for what CloudFormation would resolve. */
function environmentOf(
  fn: QueueConsumerPlatform['function'],
  local: Record<string, string>,
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...fn.environment, ...local };
  for (const name of fn.unresolvedEnvironment) {
    if (local[name] === undefined) throw new Error(`no local value for the environment variable ${name}`);
  }
  return env;
}

export function startLocalVerification(options: LocalVerificationOptions): LocalVerification {
  const { aws, atlas, clock, log } = options;
  const verifierPlatform = aws.platform.verifier;
  const writerPlatform = aws.platform.heartbeatWriter;
  if (verifierPlatform === undefined || writerPlatform === undefined) {
    throw new Error('the synthesized template has no verifier or heartbeat writer (verification.enabled in cdk.json)');
  }
  const local = { ATLAS_BASE_URL: options.atlasBaseUrl, ATLAS_TLS_CA_FILE: options.caFile };

  const verifierEnv = parseLambdaEnvironment(
    verifierEnvironment,
    environmentOf(verifierPlatform.function, { ...local, LEDGER_TABLE_NAME: aws.tableName }),
  );
  const verifierHandler = createVerifierHandler({
    service: createVerifierService({
      store: options.store,
      atlas,
      connector: mongoConnector({
        appName: 'atlas-restore-verifier',
        ...(verifierEnv.ATLAS_TLS_CA_FILE ? { tlsCAFile: verifierEnv.ATLAS_TLS_CA_FILE } : {}),
      }),
      logins: databaseLogins({ secret: fixedSecret(options.verifierUser), atlas, now: clock.now, log }),
      clock,
      log,
      now: Date.now,
    }),
    log,
  });

  const writerEnv = parseLambdaEnvironment(heartbeatEnvironment, environmentOf(writerPlatform.function, local));
  const writerDeps = {
    atlas,
    connector: mongoConnector({
      appName: 'atlas-restore-heartbeat-writer',
      ...(writerEnv.ATLAS_TLS_CA_FILE ? { tlsCAFile: writerEnv.ATLAS_TLS_CA_FILE } : {}),
    }),
    logins: databaseLogins({ secret: fixedSecret(options.heartbeatUser), atlas, now: clock.now, log }),
    clock,
    log,
    now: Date.now,
  };
  const rate = parseScheduleExpression(writerPlatform.expression);
  if (!rate.ok || rate.expression.kind !== 'rate') {
    throw new Error(
      `the heartbeat schedule ${writerPlatform.expression} is not a rate(...): the local drill runs rates`,
    );
  }
  const intervalMs = rate.expression.intervalMs;
  // A rate schedule with its flexible window off fires every interval from its creation: here, the drill's start.
  let nextAt = clock.now();

  return {
    pollVerifier: () => pollOnce({ aws, handler: verifierHandler, waitTimeSeconds: 0, consumer: 'verifier' }),
    async writeDueHeartbeats() {
      const reports: HeartbeatReport[] = [];
      // A late run writes once, as Scheduler would not replay every missed time (it retries one invocation).
      if (clock.now() < nextAt) return reports;
      while (nextAt <= clock.now()) nextAt += intervalMs;
      reports.push(
        ...(await writeHeartbeats(writerDeps, options.heartbeatSources, {
          ...(writerEnv.HEARTBEAT_DATABASE ? { database: writerEnv.HEARTBEAT_DATABASE } : {}),
          ...(writerEnv.HEARTBEAT_COLLECTION ? { collection: writerEnv.HEARTBEAT_COLLECTION } : {}),
          writer: 'atlas-restore-heartbeat-writer (local)',
          deadline: Date.now() + writerPlatform.function.timeoutSeconds * 1000 - 3_000,
        })),
      );
      return reports;
    },
  };
}
