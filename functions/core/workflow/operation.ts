import { createHash } from 'node:crypto';
import type { RestoreRequest } from '../contract/restore-request.ts';
import type { SourceInventory, VerificationResult } from '../contract/verification.ts';

/**
 * How an operation ended. `failed` covers Atlas failures, permanent errors and exhausted deferrals; `dryRun` is a
 * dry run's verdict (nothing was submitted). Rejected messages never become operations: they go to the DLQ.
 */
export type OutcomeKind = 'succeeded' | 'failed' | 'cancelled' | 'expired' | 'timedOut' | 'refused' | 'dryRun';

/** The steps a wait hop can lead to: every step kind but the wait itself (after-restore phases add theirs). */
export type DueStepKind = 'start' | 'poll' | 'verify';

/** What the next internal message will be, kept in the ledger so a lost send can be repeated exactly. */
export interface PendingMessage {
  readonly kind: DueStepKind | 'wait';
  /** Clock time (epoch ms) at which the message is due. */
  readonly dueAt: number;
  /** For waits: when the waited-for step is due, and which step it is. */
  readonly until?: number;
  readonly next?: DueStepKind;
}

/**
 * How the restore job ended, kept on the operation while phases after it run (verify, …): the outcome written by
 * the last phase is this one, with those phases' facts beside it.
 */
export interface RestoreEnd {
  readonly outcome: OutcomeKind;
  readonly errorCode?: string;
  readonly reason: string;
  readonly finishedAt: number;
  readonly rtoSeconds?: number;
}

/**
 * The verification of a restored target: `pending` once the verify phase asked the verifier, `recorded` once a
 * result is in (the verifier's, or `unknown` written by the chain when the verifier did not answer in time). The
 * first result recorded wins.
 */
export interface OperationVerification {
  readonly status: 'pending' | 'recorded';
  /** Clock time the verify phase sent its message to the verifier. */
  readonly requestedAt?: number;
  readonly result?: VerificationResult;
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

  /** Verified drills: clock time the start step asked the verifier for the source's inventory (once). */
  readonly inventoryRequestedAt?: number;
  /** The source's inventory, as the verifier recorded it before the restore. */
  readonly sourceInventory?: SourceInventory;
  readonly verification?: OperationVerification;
  /** How the restore job ended, while after-restore phases run (see after-restore.ts). */
  readonly restoreEnd?: RestoreEnd;
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
