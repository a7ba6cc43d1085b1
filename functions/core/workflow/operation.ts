import { createHash } from 'node:crypto';
import type { RestoreRequest } from '../contract/restore-request.ts';

/**
 * How an operation ended. `failed` covers Atlas failures, permanent errors and exhausted deferrals; `dryRun` is a
 * dry run's verdict (nothing was submitted). Rejected messages never become operations: they go to the DLQ.
 */
export type OutcomeKind =
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'expired'
  | 'timedOut'
  | 'refused'
  | 'dryRun'
  // The reaper deleted an ephemeral target whose chain had died before recording an outcome.
  | 'reaped';

/** What the next internal message will be, kept in the ledger so a lost send can be repeated exactly. */
export interface PendingMessage {
  readonly kind: 'start' | 'poll' | 'wait' | 'teardown';
  /** Clock time (epoch ms) at which the message is due. */
  readonly dueAt: number;
  /** For waits: when the waited-for step is due, and which step it is. */
  readonly until?: number;
  readonly next?: 'start' | 'poll' | 'teardown';
}

/**
 * An ephemeral drill target (issue 15), as the ledger records it. Claimed (this record written, conditionally)
 * before createCluster: the record is the ledger's word that this operation created the cluster, which the delete
 * path requires. Times are clock epoch ms.
 */
export interface EphemeralCluster {
  readonly groupId: string;
  readonly clusterName: string;
  readonly createdByOperation: string;
  /** The creation claim: a later attempt within its lease waits; after it, adopts the cluster found by name. */
  readonly claimToken: string;
  readonly claimedAt: number;
  readonly instanceSize: string;
  /** From the tier price table when the claim was taken; absent when the table has no price for the tier. */
  readonly hourlyPriceUsd?: number;
  /** Atlas accepted the create (or the cluster an earlier attempt created was adopted). */
  readonly createdAt?: number;
  readonly adopted?: boolean;
  /** Atlas answered the create with a refusal: nothing was created, nothing is deleted. */
  readonly createRefused?: string;
  readonly idleAt?: number;
  /** The teardown began (after the restore, the verification and the hold). */
  readonly teardownAt?: number;
  readonly deleteRequestedAt?: number;
  /** getCluster answered 404 after the delete. */
  readonly deletedAt?: number;
  /** The delete path refused to delete it (see delete-guard.ts): the reason. */
  readonly deleteRefused?: string;
  /** From createdAt to deletedAt (or the teardown's end), hours. */
  readonly clusterHours?: number;
  readonly estimatedCostUsd?: number;
}

/** One restore operation, as the ledger stores it. Times are epoch milliseconds of the workflow's clock. */
export interface Operation {
  /** The request's requestId: a request repeated with the same id is the same operation. */
  readonly operationId: string;
  readonly request: RestoreRequest;
  /** Hash of the request without its requestId: the same id with different content is refused. */
  readonly fingerprint: string;
  /** `groupId/clusterName` of the source. */
  readonly clusterKey: string;
  readonly requestedAt: number;
  /** requestedAt + maxWaitMinutes: past it, the operation times out. */
  readonly deadlineAt: number;
  /** TTL (epoch seconds): now + LEDGER_RETENTION_DAYS, pushed forward by every step's write and by the outcome. */
  readonly expiresAt: number;

  readonly step: number;
  readonly stepToken: string;
  readonly previousToken?: string;
  readonly pending?: PendingMessage;
  /** The message for the current step token was sent. */
  readonly handedOff: boolean;

  readonly deferAttempts: number;
  readonly lastDeferReason?: string;

  /** The submit claim: taken before POST, so a second POST is never sent while one may be in flight. */
  readonly claimToken?: string;
  readonly claimedAt?: number;
  /** The first claim's time (history and audits: adoption never compares our clock with Atlas's). */
  readonly firstClaimedAt?: number;
  /**
   * The restore jobs of the source that already restored the same thing (snapshot or point in time, delivery type,
   * target) when the current claim was taken: none of them can be this operation's, whatever their creation time.
   */
  readonly priorJobIds?: readonly string[];
  /** The snapshot the claimed submission restores (adoption matches on it). */
  readonly snapshotId?: string;
  /** The restored data's time: the snapshot's, or the point in time (RPO). */
  readonly snapshotAt?: number;

  readonly restoreJobId?: string;
  readonly submittedAt?: number;
  /** The job was found in Atlas after an uncertain submission rather than created by this invocation. */
  readonly adopted?: boolean;

  readonly polls: number;
  readonly atlasCalls: number;
  /**
   * Clock time a poll found maxWait passed and chose to cancel the job (CANCEL_ON_TIMEOUT): recorded before the
   * cancel, so a job found cancelled afterwards is this operation's timeout, not an outside cancellation.
   */
  readonly timeoutDecidedAt?: number;
  /** Clock time of the first of the latest run of polls that could not reach Atlas (cleared when a poll reaches it). */
  readonly outageSince?: number;

  readonly outcome?: OutcomeKind;
  readonly outcomeReason?: string;
  /** Atlas errorCode, or ours (`TARGET_NOT_ALLOWED`, `DEFER_LIMIT_REACHED`, …). */
  readonly errorCode?: string;
  readonly finishedAt?: number;
  /** Seconds from submission to the job's end (RTO). */
  readonly rtoSeconds?: number;
  /** Seconds from the restored data's time to the request (RPO). */
  readonly rpoSeconds?: number;
  /** Clock time the outcome was written; an outcome unreported long after it was written is reported on recovery. */
  readonly outcomeRecordedAt?: number;
  /** Clock time the outcome was reported (logged and counted). */
  readonly reportedAt?: number;

  // Ephemeral drill target (issue 15).
  /** The cluster this operation creates as its target, and its lifecycle. */
  readonly ephemeralCluster?: EphemeralCluster;
  /**
   * The restore's end (outcome, reason, times), recorded when a later phase (teardown) follows; the outcome is
   * written once, after that phase, from it.
   */
  readonly restoreEnd?: RestoreEnd;
}

/** The outcome the restore phase decided, held until the phases after it end. */
export interface RestoreEnd {
  readonly outcome: OutcomeKind;
  readonly outcomeReason: string;
  readonly errorCode?: string;
  readonly finishedAt: number;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  readonly snapshotId?: string;
  readonly snapshotAt?: number;
}

/** Identifies the step a message was sent for. */
export interface StepRef {
  readonly operationId: string;
  readonly step: number;
  readonly token: string;
}

export function stepRef(operation: Operation): StepRef {
  return { operationId: operation.operationId, step: operation.step, token: operation.stepToken };
}

/** Stable over key order and defaults, blind to requestId: two deliveries of one request hash alike. */
export function requestFingerprint(request: RestoreRequest): string {
  const { requestId: _ignored, ...rest } = request;
  const content = {
    ...rest,
    snapshotId: request.deliveryType === 'pointInTime' ? undefined : (request.snapshotId ?? 'latest'),
    dryRun: request.dryRun === true ? true : undefined,
  };
  const canonical = Object.keys(content)
    .sort()
    .map((key) => [key, content[key as keyof typeof content]] as const)
    .filter(([, value]) => value !== undefined);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}
