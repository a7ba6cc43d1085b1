import type { AtlasApi } from '../atlas/api.ts';
import type { WorkflowConfig } from '../config.ts';
import type { InternalMessage } from '../contract/internal-messages.ts';
import type { ContractIssue } from '../contract/issues.ts';
import type { RestoreRequest } from '../contract/restore-request.ts';
import type { SourceInventory, VerificationMessage, VerificationResult } from '../contract/verification.ts';
import type { RejectionCode } from '../contract/work-message.ts';
import type { Operation, OutcomeKind, PendingMessage, StepRef } from './operation.ts';

/** Epoch milliseconds. Atlas's time in effect: the simulator's clock in local runs, the real one in Lambda. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** SQS, as the workflow uses it. Delays are clock seconds (the adapter scales them for a fast simulated clock). */
export interface Queue {
  /** Sends an internal message; `delaySeconds` is at most 900 (SQS's limit: longer waits are chained). */
  send(message: InternalMessage, delaySeconds: number): Promise<void>;
  /** Puts a validated restore request on the work queue (direct invocations join the one pipeline). */
  enqueueRequest(request: RestoreRequest): Promise<void>;
  /** Sends a refused message to the dead-letter queue, with the reason, for an operator to read. */
  deadLetter(letter: DeadLetter): Promise<void>;
}

/** The verifier's own queue (verified drills): the restore function asks, the verifier answers in the ledger. */
export interface VerificationQueue {
  send(message: VerificationMessage): Promise<void>;
}

/** Besides malformed messages: a requestId reused for another request, and a step message whose operation is gone. */
export type DeadLetterCode = RejectionCode | 'REQUEST_CONFLICT' | 'UNKNOWN_OPERATION';

export interface DeadLetter {
  /** The message exactly as received (the JSON of a direct invocation's event). */
  readonly body: string;
  readonly code: DeadLetterCode;
  readonly issues: readonly ContractIssue[];
  /** Where it came from: the SQS message id, or the Lambda request id of a direct invocation. */
  readonly origin: string;
}

/**
 * Fields the workflow changes as an operation moves on; `outageSince: 0` removes it. `verificationRequestedAt` marks
 * the verification requested (status pending) without touching a result the verifier may have recorded already.
 */
export type OperationUpdate = Partial<
  Pick<
    Operation,
    | 'restoreEnd'
    | 'inventoryRequestedAt'
    | 'pending'
    | 'expiresAt'
    | 'timeoutDecidedAt'
    | 'outageSince'
    | 'lastDeferReason'
    | 'claimToken'
    | 'claimedAt'
    | 'firstClaimedAt'
    | 'snapshotId'
    | 'snapshotAt'
    | 'restoreJobId'
    | 'submittedAt'
    | 'adopted'
  > & { readonly verificationRequestedAt: number }
>;

/** Counters added atomically with a write. */
export interface OperationCounters {
  readonly polls?: number;
  readonly atlasCalls?: number;
  readonly deferAttempts?: number;
}

export interface Finish {
  readonly outcome: OutcomeKind;
  readonly outcomeReason: string;
  readonly errorCode?: string;
  readonly finishedAt: number;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  readonly snapshotId?: string;
  readonly snapshotAt?: number;
  readonly outcomeRecordedAt: number;
  /** The TTL pushed forward: retention counts from the outcome. */
  readonly expiresAt?: number;
}

/**
 * The operation ledger. Every step write (advance, claim, finish) is conditional on the step (and token) it was
 * decided at, and answers false when another invocation got there first: the caller then drops its work.
 */
export interface Ledger {
  /** Stores a new operation unless one with its id exists; answers the stored one either way. */
  create(operation: Operation): Promise<{ readonly created: boolean; readonly operation: Operation }>;
  get(operationId: string): Promise<Operation | undefined>;
  /**
   * Moves from `at` to step + 1 with `nextToken`, applying `update` and `counters`; `claimToken` also guards it.
   * `next.handedOff`: the next step's message was sent before this write (a poll's hand-off), so the write marks it
   * sent; otherwise it is marked unsent until `markHandedOff`.
   */
  advance(
    at: StepRef,
    next: { readonly token: string; readonly pending: PendingMessage; readonly handedOff?: boolean },
    update?: OperationUpdate,
    counters?: OperationCounters,
    guard?: { readonly claimToken: string },
  ): Promise<boolean>;
  /** Marks the current step's message as sent (best effort: a redelivery re-sends it otherwise). */
  markHandedOff(operationId: string, token: string): Promise<void>;
  /**
   * Takes the submit claim at `at`: when `takeOver` is given, only if that (expired) claim still holds. The claim
   * keeps the ids of the matching jobs listed before it (`priorJobIds`): those are never adopted.
   */
  claim(
    at: StepRef,
    claim: {
      readonly token: string;
      readonly at: number;
      readonly snapshotId?: string;
      readonly snapshotAt?: number;
      readonly priorJobIds: readonly string[];
      /** Verified drills: the source's inventory was asked for (kept if an earlier claim marked it already). */
      readonly inventoryRequestedAt?: number;
    },
    takeOver?: string,
  ): Promise<boolean>;
  /** Drops a claim whose POST certainly did not take effect. */
  releaseClaim(operationId: string, claimToken: string): Promise<void>;
  /**
   * Makes `owner` the operation of a restore job, once and for good: true if it now is (or already was), false if
   * another operation is. Written before an operation records a job id, so that no two operations record one job.
   */
  ownJob(restoreJobId: string, owner: Pick<Operation, 'operationId' | 'expiresAt'>): Promise<boolean>;
  /**
   * The operation that owns a restore job, if any (a strongly consistent read). Adoption uses it to prefer the job
   * this operation already owns: an attempt may die between `ownJob` and the advance that records the job.
   */
  jobOwner(restoreJobId: string): Promise<string | undefined>;
  /**
   * Records the outcome once: only at `at`, only if the operation has none, and never under a submission in flight:
   * a submit claim without a recorded job must be the one the caller holds (`holder`, as it read it), if any.
   */
  finish(
    at: StepRef,
    finish: Finish,
    counters?: OperationCounters,
    holder?: { readonly claimToken: string },
  ): Promise<boolean>;
  /**
   * Marks the outcome as reported, once: false if it already was (or there is no outcome). Every reporter marks after
   * reporting, never before: a mark applied whose answer is lost must not stop the report (at least once, never zero).
   */
  markReported(operationId: string, at: number): Promise<boolean>;
  /**
   * The verifier records the source's inventory: true if it is now recorded by this call, false if one was already
   * (the first wins) or the operation is unknown. Never touches the step, its token or the outcome.
   */
  recordInventory(operationId: string, inventory: SourceInventory): Promise<boolean>;
  /**
   * Records the verification result (the verifier's, or `unknown` from the chain when it did not answer in time):
   * true if this call recorded it, false if a result was already recorded (the first wins) or the operation is
   * unknown. Never touches the step, its token or the outcome.
   */
  recordVerification(operationId: string, result: VerificationResult): Promise<boolean>;
  /** Counts Atlas calls made by attempts that wrote nothing else (failed or lost a race). */
  addAtlasCalls(operationId: string, calls: number): Promise<void>;
  /** Newest first; by source cluster when `clusterKey` is given (the `history` command). */
  listOperations(query: { readonly clusterKey?: string; readonly limit: number }): Promise<Operation[]>;
}

/** Structured logging; Powertools Logger fits. Never pass a secret. */
export interface Log {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** Where outcomes, deferrals and rejections are told: one log line each, and EMF metrics. */
export interface Reporter {
  outcome(operation: Operation): void;
  deferred(
    operation: Operation,
    deferral: { readonly reason: string; readonly code: string; readonly delaySeconds: number },
  ): void;
  rejected(letter: DeadLetter): void;
}

/** Everything the workflow runs on. A local consumer builds the same with fauxqs, dynalite and the simulator. */
export interface WorkflowDeps {
  readonly atlas: AtlasApi;
  readonly queue: Queue;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly config: WorkflowConfig;
  readonly log: Log;
  readonly reporter: Reporter;
  /** The verifier's queue; without it, a request with `verify` is refused (VERIFICATION_NOT_CONFIGURED). */
  readonly verificationQueue?: VerificationQueue;
  /** New step and claim tokens; random by default, fixed in some tests. */
  readonly newToken?: () => string;
}

/** Limits of one invocation: Atlas calls must end before `deadline` (real epoch ms). */
export interface Invocation {
  readonly deadline: number;
}
