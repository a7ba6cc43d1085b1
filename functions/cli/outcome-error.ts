/**
 * The command ran, but what it did ended badly: a restore failed, was refused, cancelled, expired or timed out.
 * Exit status 1, with the outcome on one line; distinct from a usage mistake (2) and from errors reaching Atlas or AWS.
 */
export class OperationFailedError extends Error {
  readonly code = 'OPERATION_FAILED';
  /** The outcome as the workflow names it (`failed`, `refused`, …) or the restore job's state. */
  readonly outcome: string;

  constructor(outcome: string, message: string) {
    super(message);
    this.name = 'OperationFailedError';
    this.outcome = outcome;
  }
}

/** A requestId already names a different request: nothing is sent or submitted. Exit status 1. */
export class RequestConflictError extends Error {
  readonly code = 'REQUEST_CONFLICT';

  constructor(message: string) {
    super(message);
    this.name = 'RequestConflictError';
  }
}
