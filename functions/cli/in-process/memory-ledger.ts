import type { Operation, StepRef } from '../../core/workflow/operation.ts';
import type { Ledger, OperationCounters } from '../../core/workflow/ports.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Item = Mutable<Operation>;

/**
 * The ledger in this process's memory, for a restore run from a terminal (`atlas-restore start`): one process, one
 * operation, nothing to share. It keeps the DynamoDB ledger's conditions all the same (step, token, claim, outcome
 * once), so the workflow behaves exactly as it does in Lambda.
 */
export function createMemoryLedger(): Ledger {
  const items = new Map<string, Item>();
  const jobOwners = new Map<string, string>();

  /** The item, if it is still at `at` and unfinished: the condition every step write carries. */
  const atStep = (at: StepRef): Item | undefined => {
    const item = items.get(at.operationId);
    return item && item.step === at.step && item.stepToken === at.token && item.outcome === undefined
      ? item
      : undefined;
  };
  const add = (item: Item, counters: OperationCounters) => {
    item.polls += counters.polls ?? 0;
    item.atlasCalls += counters.atlasCalls ?? 0;
    item.deferAttempts += counters.deferAttempts ?? 0;
  };

  return {
    async create(operation) {
      const existing = items.get(operation.operationId);
      if (existing) return { created: false, operation: structuredClone(existing) };
      items.set(operation.operationId, structuredClone(operation));
      return { created: true, operation: structuredClone(operation) };
    },

    async get(operationId) {
      const item = items.get(operationId);
      return item && structuredClone(item);
    },

    async advance(at, next, update = {}, counters = {}, guard) {
      const item = atStep(at);
      if (!item || (guard && item.claimToken !== guard.claimToken)) return false;
      const defined = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined));
      Object.assign(item, defined, {
        step: at.step + 1,
        stepToken: next.token,
        previousToken: at.token,
        pending: next.pending,
        handedOff: false,
      });
      add(item, counters);
      return true;
    },

    async markHandedOff(operationId, token) {
      const item = items.get(operationId);
      if (item && item.stepToken === token) item.handedOff = true;
    },

    async claim(at, claim, takeOver) {
      const item = atStep(at);
      if (!item) return false;
      if (takeOver === undefined ? item.claimToken !== undefined : item.claimToken !== takeOver) return false;
      item.claimToken = claim.token;
      item.claimedAt = claim.at;
      item.firstClaimedAt ??= claim.at;
      item.priorJobIds = [...claim.priorJobIds];
      if (claim.snapshotAt !== undefined) item.snapshotAt = claim.snapshotAt;
      if (claim.snapshotId === undefined) delete item.snapshotId;
      else item.snapshotId = claim.snapshotId;
      return true;
    },

    async releaseClaim(operationId, claimToken) {
      const item = items.get(operationId);
      if (item && item.claimToken === claimToken) {
        delete item.claimToken;
        delete item.claimedAt;
        delete item.priorJobIds;
      }
    },

    async ownJob(restoreJobId, owner) {
      const current = jobOwners.get(restoreJobId);
      if (current !== undefined && current !== owner.operationId) return false;
      jobOwners.set(restoreJobId, owner.operationId);
      return true;
    },

    async finish(at, finish, counters = {}, holder) {
      const item = atStep(at);
      if (!item) return false;
      if (item.claimToken !== undefined && item.restoreJobId === undefined && item.claimToken !== holder?.claimToken)
        return false;
      const defined = Object.fromEntries(Object.entries(finish).filter(([, value]) => value !== undefined));
      Object.assign(item, defined);
      delete item.pending;
      add(item, counters);
      return true;
    },

    async markReported(operationId, at) {
      const item = items.get(operationId);
      if (!item || item.outcome === undefined || item.reportedAt !== undefined) return false;
      item.reportedAt = at;
      return true;
    },

    async addAtlasCalls(operationId, calls) {
      const item = items.get(operationId);
      if (item) item.atlasCalls += calls;
    },

    async listOperations({ clusterKey, limit }) {
      return [...items.values()]
        .filter((item) => clusterKey === undefined || item.clusterKey === clusterKey)
        .sort((a, b) => b.requestedAt - a.requestedAt)
        .slice(0, limit)
        .map((item) => structuredClone(item));
    },
  };
}
