import type { RestoreRequest } from '../contract/restore-request.ts';
import type { SourceInventory, VerificationResult } from '../contract/verification.ts';

/** What the verifier reads of an operation: the request (its `verify`), the restored instant, what is recorded. */
export interface VerifiableOperation {
  readonly operationId: string;
  readonly request: Pick<
    RestoreRequest,
    'groupId' | 'clusterName' | 'deliveryType' | 'targetGroupId' | 'targetClusterName' | 'verify'
  >;
  /** The restored data's time (epoch ms): the snapshot's, or the point in time. */
  readonly snapshotAt?: number;
  /** An ephemeral drill target (issue 15): verified instead of the request's target when present. */
  readonly ephemeralCluster?: { readonly groupId: string; readonly clusterName: string };
  readonly sourceInventory?: SourceInventory;
  /** `pending` once the restore chain asked for a verification; its `result` once one is recorded (the first wins). */
  readonly verification?: { readonly status: 'pending' | 'recorded'; readonly result?: VerificationResult };
}

/**
 * The ledger as the verifier uses it (the real Ledger and its adapters implement these methods). Both records are
 * conditional: the first one wins, and a second delivery's answer is false.
 */
export interface VerificationStore {
  get(operationId: string): Promise<VerifiableOperation | undefined>;
  recordInventory(operationId: string, inventory: SourceInventory): Promise<boolean>;
  recordVerification(operationId: string, result: VerificationResult): Promise<boolean>;
}
