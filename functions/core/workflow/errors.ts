export type WorkflowErrorCode =
  | 'SUBMIT_IN_PROGRESS'
  | 'SUBMIT_UNCONFIRMED'
  | 'STEP_CONTENDED'
  | 'STEP_NOT_RECORDED'
  | 'REPORT_PENDING'
  | 'OPERATION_INCONSISTENT'
  // Ephemeral targets.
  | 'CLUSTER_CREATE_IN_PROGRESS'
  | 'CLUSTER_CREATE_UNCONFIRMED'
  | 'CLUSTER_DELETING';

/**
 * The workflow cannot finish this step now; the message should be delivered again later (SQS retries it after its
 * visibility timeout). Carries the operation it concerns; never a secret.
 */
export class WorkflowError extends Error {
  readonly code: WorkflowErrorCode;
  readonly operationId: string;
  readonly retryable = true;

  constructor(code: WorkflowErrorCode, operationId: string, message: string, options?: { cause?: unknown }) {
    super(`${message} (operation ${operationId})`, options);
    this.name = 'WorkflowError';
    this.code = code;
    this.operationId = operationId;
  }
}
