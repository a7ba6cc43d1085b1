import * as z from 'zod';
import type { ClusterRef } from '../atlas/api.ts';
import {
  type CheckResult,
  DEFAULT_HEARTBEATS,
  overallVerdict,
  type SourceInventory,
  type VerificationResult,
  verificationMessage,
} from '../contract/verification.ts';
import type { Clock, Log } from '../workflow/ports.ts';
import { runUserChecks } from './checks.ts';
import { type ClusterSessionDeps, withClusterSession } from './cluster-session.ts';
import { compareStructure, DEFAULT_COUNT_TOLERANCE_PERCENT, readTarget } from './compare.ts';
import { databaseFailureReason } from './database-port.ts';
import { HEARTBEAT_CHECK, heartbeatRpo, newestHeartbeatAt } from './heartbeat-rpo.ts';
import { captureInventory } from './inventory.ts';
import type { VerifiableOperation, VerificationStore } from './verification-store.ts';

export interface VerifierDeps extends ClusterSessionDeps {
  readonly store: VerificationStore;
  /** Atlas's time: capturedAt, recordedAt and the age of data are on the clock the restored instant is on. */
  readonly clock: Clock;
  readonly log: Log;
}

export type VerifierOutcome = 'recorded' | 'duplicate';

/** The message is not a verifier message: retrying cannot help (it is reported and left to the dead-letter queue). */
export class MalformedVerifierMessageError extends Error {
  readonly issues: string;

  constructor(issues: string) {
    super(`malformed verifier message: ${issues}`);
    this.name = 'MalformedVerifierMessageError';
    this.issues = issues;
  }
}

export class UnknownOperationError extends Error {
  readonly operationId: string;

  constructor(operationId: string) {
    super(`operation ${operationId} is not in the ledger`);
    this.name = 'UnknownOperationError';
    this.operationId = operationId;
  }
}

/**
 * The verifier: `inventory` reads the source (read-only) and records it on the operation; `verify` opens the
 * restored cluster, runs the structure, count, heartbeat and user checks, and records the result. Both records are
 * conditional, so a second delivery changes nothing. A cluster that cannot be reached makes the checks unknown (with
 * the reason), never passed.
 */
export function createVerifierService(deps: VerifierDeps) {
  async function handleMessage(body: string, invocation: { readonly deadline: number }): Promise<VerifierOutcome> {
    const message = parseMessage(body);
    const operation = await deps.store.get(message.operationId);
    if (operation === undefined) throw new UnknownOperationError(message.operationId);
    return message.kind === 'inventory'
      ? takeInventory(operation, invocation.deadline)
      : verify(operation, invocation.deadline);
  }

  async function takeInventory(operation: VerifiableOperation, deadline: number): Promise<VerifierOutcome> {
    if (operation.sourceInventory !== undefined) return 'duplicate';
    const source = { groupId: operation.request.groupId, clusterName: operation.request.clusterName };
    // Failures throw: SQS delivers the message again, then dead-letters it (the verify step then says why it
    // could not compare structure).
    const inventory = await withClusterSession(
      deps,
      source,
      { role: 'source', mode: operation.request.verify?.credentials ?? 'secret', deadline },
      (session) => captureInventory(session, { capturedAt: deps.clock.now() }),
    );
    const recorded = await deps.store.recordInventory(operation.operationId, inventory);
    deps.log.info('source inventory captured', {
      operationId: operation.operationId,
      collections: inventory.collections.length,
      truncated: inventory.truncated,
      recorded,
    });
    return recorded ? 'recorded' : 'duplicate';
  }

  async function verify(operation: VerifiableOperation, deadline: number): Promise<VerifierOutcome> {
    if (operation.verification?.result !== undefined) return 'duplicate';
    const result = await verification(operation, deadline);
    const recorded = await deps.store.recordVerification(operation.operationId, result);
    deps.log.info('verification recorded', {
      operationId: operation.operationId,
      verdict: result.verdict,
      achievedRpoSeconds: result.achievedRpoSeconds,
      checks: result.checks.map((check) => `${check.name}: ${check.verdict}`),
      recorded,
    });
    return recorded ? 'recorded' : 'duplicate';
  }

  async function verification(operation: VerifiableOperation, deadline: number): Promise<VerificationResult> {
    const options = operation.request.verify ?? {};
    const heartbeats = options.heartbeats === false ? undefined : (options.heartbeats ?? DEFAULT_HEARTBEATS);
    const target = targetOf(operation);
    const finished = (checks: CheckResult[], achievedRpoSeconds?: number): VerificationResult => ({
      verdict: overallVerdict(checks),
      checks,
      ...(achievedRpoSeconds === undefined ? {} : { achievedRpoSeconds }),
      recordedAt: deps.clock.now(),
    });
    if (target === undefined) {
      return finished([{ name: 'target', verdict: 'unknown', reason: 'the operation restored onto no cluster' }]);
    }
    const planned = [
      'structure',
      ...(heartbeats === undefined ? [] : [HEARTBEAT_CHECK]),
      ...(options.checks ?? []).map((_check, index) => `check:${index + 1}`),
    ];
    try {
      return await withClusterSession(
        deps,
        target,
        { role: 'target', mode: options.credentials ?? 'secret', deadline },
        async (session) => {
          const checks: CheckResult[] = [];
          const inventory = operation.sourceInventory;
          if (inventory === undefined) {
            checks.push({
              name: 'structure',
              verdict: 'unknown',
              reason: 'no source inventory was captured before the restore: nothing to compare with',
            });
          } else {
            checks.push(
              ...(await guardedChecks('structure', async () =>
                compareStructure(inventory, await readTarget(inventory, session), {
                  countTolerancePercent: options.countTolerancePercent ?? DEFAULT_COUNT_TOLERANCE_PERCENT,
                  // The writer's collection moves every minute, whether or not this drill checks the RPO.
                  heartbeats: heartbeats ?? DEFAULT_HEARTBEATS,
                }),
              )),
            );
          }
          let achievedRpoSeconds: number | undefined;
          if (heartbeats !== undefined) {
            try {
              const rpo = heartbeatRpo({
                instant: operation.snapshotAt,
                restoreKind: operation.request.deliveryType === 'pointInTime' ? 'pointInTime' : 'snapshot',
                intervalSeconds: heartbeats.intervalSeconds,
                newestAt: await newestHeartbeatAt(session, heartbeats),
                expected: sourceHadHeartbeats(inventory, heartbeats),
              });
              checks.push(rpo.check);
              achievedRpoSeconds = rpo.achievedRpoSeconds;
            } catch (error) {
              checks.push({ name: HEARTBEAT_CHECK, verdict: 'unknown', reason: databaseFailureReason(error) });
            }
          }
          checks.push(...(await runUserChecks(options.checks ?? [], session, operation.snapshotAt)));
          return finished(checks, achievedRpoSeconds);
        },
      );
    } catch (error) {
      const reason = `cannot verify ${target.groupId}/${target.clusterName}: ${unavailableReason(error)}`;
      deps.log.warn('target cluster could not be verified', { operationId: operation.operationId, reason });
      return finished(planned.map((name) => ({ name, verdict: 'unknown', reason })));
    }
  }

  return { handleMessage };
}

function parseMessage(body: string) {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedVerifierMessageError('not JSON');
  }
  const parsed = verificationMessage.safeParse(json);
  if (!parsed.success) throw new MalformedVerifierMessageError(z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' '));
  return parsed.data;
}

/** The ephemeral target when the operation made one, else the request's target; none for a download. */
function targetOf(operation: VerifiableOperation): ClusterRef | undefined {
  if (operation.ephemeralCluster !== undefined) return operation.ephemeralCluster;
  const { targetGroupId, targetClusterName } = operation.request;
  return targetGroupId === undefined || targetClusterName === undefined
    ? undefined
    : { groupId: targetGroupId, clusterName: targetClusterName };
}

function sourceHadHeartbeats(
  inventory: SourceInventory | undefined,
  heartbeats: { readonly database: string; readonly collection: string },
): boolean {
  return (
    inventory?.collections.some(
      (entry) =>
        entry.database === heartbeats.database &&
        entry.collection === heartbeats.collection &&
        entry.estimatedCount > 0,
    ) ?? false
  );
}

async function guardedChecks(name: string, run: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await run();
  } catch (error) {
    return [{ name, verdict: 'unknown', reason: databaseFailureReason(error) }];
  }
}

/** Why a cluster could not be opened: Atlas's answer, the login, or the driver's, never a credential. */
function unavailableReason(error: unknown): string {
  if (error instanceof Error && error.name !== 'DatabaseError') return `${error.name}: ${error.message}`;
  return databaseFailureReason(error);
}
