import type { SourceInventory, VerificationResult } from '../contract/verification.ts';
import type { Operation } from '../workflow/operation.ts';
import type { Ledger } from '../workflow/ports.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The ledger in this process's memory, with the same conditions the DynamoDB ledger writes (step, token, claim, job
 * ownership, outcome once): `atlas-restore start` runs the workflow on it, and so do the workflow's tests. The shared
 * ledger contract test runs against it and against DynamoDB.
 */
export class InMemoryLedger implements Ledger {
  readonly items = new Map<string, Mutable<Operation>>();
  /** Restore job id → the operation that owns it (the DynamoDB ledger's `job#` items). */
  readonly jobOwners = new Map<string, string>();

  async create(operation: Operation) {
    const existing = this.items.get(operation.operationId);
    if (existing) return { created: false, operation: structuredClone(existing) };
    this.items.set(operation.operationId, structuredClone(operation));
    return { created: true, operation: structuredClone(operation) };
  }

  async get(operationId: string) {
    const item = this.items.get(operationId);
    return item && structuredClone(item);
  }

  #atStep(at: { operationId: string; step: number; token: string }): Mutable<Operation> | undefined {
    const item = this.items.get(at.operationId);
    if (!item || item.step !== at.step || item.stepToken !== at.token || item.outcome !== undefined) return undefined;
    return item;
  }

  async advance(...[at, next, update = {}, counters = {}, guard]: Parameters<Ledger['advance']>) {
    const item = this.#atStep(at);
    if (!item || (guard && item.claimToken !== guard.claimToken)) return false;
    const { outageSince, verificationRequestedAt, ...rest } = update;
    // 0 clears it, as in the DynamoDB ledger: a poll reached Atlas again.
    if (outageSince === 0) delete item.outageSince;
    else if (outageSince !== undefined) item.outageSince = outageSince;
    if (verificationRequestedAt !== undefined) {
      // Beside a result the verifier may have recorded first, never over it.
      const result = item.verification?.result;
      item.verification = result
        ? { status: 'recorded', requestedAt: verificationRequestedAt, result }
        : { status: 'pending', requestedAt: verificationRequestedAt };
    }
    Object.assign(item, rest, {
      step: at.step + 1,
      stepToken: next.token,
      previousToken: at.token,
      pending: next.pending,
      handedOff: next.handedOff ?? false,
    });
    this.#add(item, counters);
    return true;
  }

  async markHandedOff(operationId: string, token: string) {
    const item = this.items.get(operationId);
    if (item && item.stepToken === token) item.handedOff = true;
  }

  async claim(...[at, claim, takeOver]: Parameters<Ledger['claim']>) {
    const item = this.#atStep(at);
    if (!item) return false;
    if (takeOver === undefined ? item.claimToken !== undefined : item.claimToken !== takeOver) return false;
    item.claimToken = claim.token;
    item.claimedAt = claim.at;
    item.firstClaimedAt ??= claim.at;
    item.priorJobIds = [...claim.priorJobIds];
    if (claim.inventoryRequestedAt !== undefined) item.inventoryRequestedAt ??= claim.inventoryRequestedAt;
    if (claim.snapshotAt !== undefined) item.snapshotAt = claim.snapshotAt;
    if (claim.snapshotId === undefined) delete item.snapshotId;
    else item.snapshotId = claim.snapshotId;
    return true;
  }

  async releaseClaim(operationId: string, claimToken: string) {
    const item = this.items.get(operationId);
    if (item && item.claimToken === claimToken) {
      delete item.claimToken;
      delete item.claimedAt;
      delete item.priorJobIds;
    }
  }

  async ownJob(...[restoreJobId, owner]: Parameters<Ledger['ownJob']>) {
    const current = this.jobOwners.get(restoreJobId);
    if (current !== undefined && current !== owner.operationId) return false;
    this.jobOwners.set(restoreJobId, owner.operationId);
    return true;
  }

  async jobOwner(restoreJobId: string) {
    return this.jobOwners.get(restoreJobId);
  }

  async finish(...[at, finish, counters = {}, holder]: Parameters<Ledger['finish']>) {
    const item = this.#atStep(at);
    if (!item) return false;
    const submitting =
      item.claimToken !== undefined && item.restoreJobId === undefined && item.claimToken !== holder?.claimToken;
    if (submitting) return false;
    Object.assign(item, finish);
    delete item.pending;
    this.#add(item, counters);
    return true;
  }

  async markReported(operationId: string, at: number) {
    const item = this.items.get(operationId);
    if (!item || item.outcome === undefined || item.reportedAt !== undefined) return false;
    item.reportedAt = at;
    return true;
  }

  async recordInventory(operationId: string, inventory: SourceInventory) {
    const item = this.items.get(operationId);
    if (!item || item.sourceInventory !== undefined) return false;
    item.sourceInventory = structuredClone(inventory);
    return true;
  }

  async recordVerification(operationId: string, result: VerificationResult) {
    const item = this.items.get(operationId);
    if (!item || item.verification?.result !== undefined) return false;
    const requestedAt = item.verification?.requestedAt;
    item.verification = {
      status: 'recorded',
      ...(requestedAt !== undefined ? { requestedAt } : {}),
      result: structuredClone(result),
    };
    return true;
  }

  async addAtlasCalls(operationId: string, calls: number) {
    const item = this.items.get(operationId);
    if (item) item.atlasCalls += calls;
  }

  async listOperations({ clusterKey, limit }: { clusterKey?: string; limit: number }) {
    return [...this.items.values()]
      .filter((item) => clusterKey === undefined || item.clusterKey === clusterKey)
      .sort((a, b) => b.requestedAt - a.requestedAt)
      .slice(0, limit)
      .map((item) => structuredClone(item));
  }

  #add(item: Mutable<Operation>, counters: { polls?: number; atlasCalls?: number; deferAttempts?: number }) {
    item.polls += counters.polls ?? 0;
    item.atlasCalls += counters.atlasCalls ?? 0;
    item.deferAttempts += counters.deferAttempts ?? 0;
  }
}
