import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { restoreRequestSchema } from '../contract/restore-request.ts';
import { sourceInventory, verificationResult } from '../contract/verification.ts';
import type { Operation, OperationVerification, PendingMessage } from '../workflow/operation.ts';
import { attribute, type Scalar } from './expression.ts';

/**
 * The ledger items. One per operation, key `pk = op#<requestId>`: times are ISO strings (readable in the console)
 * but `expiresAt` (TTL, epoch seconds); the request is its JSON; the GSI `byCluster` is `clusterKey` + `requestedAt`.
 * One per restore job an operation recorded, key `pk = job#<restoreJobId>`, naming its `operationId`: a job belongs
 * to one operation at most. Job items have no `clusterKey`, so the GSI never holds them.
 */
export const OPERATION_KEY_PREFIX = 'op#';
const JOB_KEY_PREFIX = 'job#';

export function operationKey(operationId: string): Record<string, AttributeValue> {
  return { pk: { S: `${OPERATION_KEY_PREFIX}${operationId}` } };
}

export function jobKey(restoreJobId: string): Record<string, AttributeValue> {
  return { pk: { S: `${JOB_KEY_PREFIX}${restoreJobId}` } };
}

/** The item saying which operation a restore job belongs to; it expires with that operation. */
export function jobOwnerItem(
  restoreJobId: string,
  owner: Pick<Operation, 'operationId' | 'expiresAt'>,
): Record<string, AttributeValue> {
  return {
    ...jobKey(restoreJobId),
    restoreJobId: attribute(restoreJobId),
    operationId: attribute(owner.operationId),
    expiresAt: attribute(owner.expiresAt),
  };
}

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();

export function toItem(operation: Operation): Record<string, AttributeValue> {
  const { request, pending } = operation;
  const fields: Record<string, Scalar | undefined> = {
    operationId: operation.operationId,
    request: JSON.stringify(request),
    fingerprint: operation.fingerprint,
    clusterKey: operation.clusterKey,
    deliveryType: request.deliveryType,
    targetKey: request.targetClusterName ? `${request.targetGroupId}/${request.targetClusterName}` : undefined,
    requestedAt: iso(operation.requestedAt),
    deadlineAt: iso(operation.deadlineAt),
    expiresAt: operation.expiresAt,
    step: operation.step,
    stepToken: operation.stepToken,
    previousToken: operation.previousToken,
    ...pendingFields(pending),
    handedOff: operation.handedOff,
    deferAttempts: operation.deferAttempts,
    lastDeferReason: operation.lastDeferReason,
    claimToken: operation.claimToken,
    claimedAt: optionalIso(operation.claimedAt),
    firstClaimedAt: optionalIso(operation.firstClaimedAt),
    priorJobIds: operation.priorJobIds && JSON.stringify(operation.priorJobIds),
    snapshotId: operation.snapshotId,
    snapshotAt: optionalIso(operation.snapshotAt),
    restoreJobId: operation.restoreJobId,
    submittedAt: optionalIso(operation.submittedAt),
    adopted: operation.adopted,
    polls: operation.polls,
    atlasCalls: operation.atlasCalls,
    timeoutDecidedAt: optionalIso(operation.timeoutDecidedAt),
    outageSince: optionalIso(operation.outageSince),
    outcome: operation.outcome,
    outcomeReason: operation.outcomeReason,
    errorCode: operation.errorCode,
    finishedAt: optionalIso(operation.finishedAt),
    rtoSeconds: operation.rtoSeconds,
    rpoSeconds: operation.rpoSeconds,
    outcomeRecordedAt: optionalIso(operation.outcomeRecordedAt),
    reportedAt: optionalIso(operation.reportedAt),
    ...verificationFields(operation),
    // Ephemeral drill target (issue 15): a JSON text attribute.
    ephemeralCluster: operation.ephemeralCluster && JSON.stringify(operation.ephemeralCluster),
  };
  const item: Record<string, AttributeValue> = { ...operationKey(operation.operationId) };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) item[name] = attribute(value);
  return item;
}

/**
 * Verified drills' attributes: the request for the inventory, the inventory and the verification result as JSON (the
 * verifier writes them, see `recordInventory` / `recordVerification`), `restoreEnd` as JSON. The verification's
 * request time and its result are two attributes, so that marking it requested never overwrites a result the
 * verifier recorded first.
 */
export function verificationFields(
  operation: Pick<Operation, 'inventoryRequestedAt' | 'sourceInventory' | 'verification' | 'restoreEnd'>,
): Record<string, Scalar | undefined> {
  return {
    inventoryRequestedAt: optionalIso(operation.inventoryRequestedAt),
    sourceInventory: operation.sourceInventory && JSON.stringify(operation.sourceInventory),
    verificationRequestedAt: optionalIso(operation.verification?.requestedAt),
    verification: operation.verification?.result && JSON.stringify(operation.verification.result),
    restoreEnd: operation.restoreEnd && JSON.stringify(operation.restoreEnd),
  };
}

/** The pending message as flat attributes; undefined ones are removed by updates. */
export function pendingFields(pending: PendingMessage | undefined): Record<string, Scalar | undefined> {
  return {
    pendingKind: pending?.kind,
    pendingDueAt: optionalIso(pending?.dueAt),
    pendingUntil: optionalIso(pending?.until),
    pendingNext: pending?.next,
  };
}

export function optionalIso(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : iso(epochMs);
}

const time = z.iso.datetime().transform((value) => Date.parse(value));
const count = z.coerce.number().int().min(0);
/** A JSON text attribute, parsed; text that is not JSON is an issue at the attribute, as any other. */
const json = z.string().transform((text, context): unknown => {
  try {
    // Stryker disable BlockStatement,CallExpression,ObjectLiteral,StringLiteral: equivalent, every JSON attribute is piped to a schema that refuses what is left, at the same attribute
    return JSON.parse(text);
  } catch {
    context.issues.push({ code: 'custom', message: 'not JSON', input: text });
    // Stryker restore BlockStatement,CallExpression,ObjectLiteral,StringLiteral
    return z.NEVER;
  }
});

const outcomeKind = z.enum(['succeeded', 'failed', 'cancelled', 'expired', 'timedOut', 'refused', 'dryRun', 'reaped']);

const restoreEnd = z.strictObject({
  outcome: outcomeKind,
  errorCode: z.string().optional(),
  reason: z.string(),
  finishedAt: z.number(),
  rtoSeconds: z.number().optional(),
});

const epochMs = z.number().int().min(0);

// Ephemeral drill target (issue 15): the records as the workflow writes them (epoch ms inside the JSON).
const ephemeralClusterRecord = z.object({
  groupId: z.string(),
  clusterName: z.string(),
  createdByOperation: z.string(),
  claimToken: z.string(),
  claimedAt: epochMs,
  instanceSize: z.string(),
  hourlyPriceUsd: z.number().optional(),
  createdAt: epochMs.optional(),
  adopted: z.boolean().optional(),
  createRefused: z.string().optional(),
  idleAt: epochMs.optional(),
  teardownAt: epochMs.optional(),
  deleteRequestedAt: epochMs.optional(),
  deletedAt: epochMs.optional(),
  deleteRefused: z.string().optional(),
  clusterHours: z.number().optional(),
  estimatedCostUsd: z.number().optional(),
});

const storedOperation = z.object({
  operationId: z.string(),
  request: json.pipe(restoreRequestSchema),
  fingerprint: z.string(),
  clusterKey: z.string(),
  requestedAt: time,
  deadlineAt: time,
  expiresAt: count,
  step: count,
  stepToken: z.string(),
  previousToken: z.string().optional(),
  pendingKind: z.enum(['start', 'poll', 'wait', 'verify', 'teardown']).optional(),
  pendingDueAt: time.optional(),
  pendingUntil: time.optional(),
  pendingNext: z.enum(['start', 'poll', 'verify', 'teardown']).optional(),
  handedOff: z.boolean().default(false),
  deferAttempts: count.default(0),
  lastDeferReason: z.string().optional(),
  claimToken: z.string().optional(),
  claimedAt: time.optional(),
  firstClaimedAt: time.optional(),
  priorJobIds: json.pipe(z.array(z.string())).optional(),
  snapshotId: z.string().optional(),
  snapshotAt: time.optional(),
  restoreJobId: z.string().optional(),
  submittedAt: time.optional(),
  adopted: z.boolean().optional(),
  polls: count.default(0),
  atlasCalls: count.default(0),
  timeoutDecidedAt: time.optional(),
  outageSince: time.optional(),
  outcome: outcomeKind.optional(),
  outcomeReason: z.string().optional(),
  errorCode: z.string().optional(),
  finishedAt: time.optional(),
  rtoSeconds: z.coerce.number().optional(),
  rpoSeconds: z.coerce.number().optional(),
  outcomeRecordedAt: time.optional(),
  reportedAt: time.optional(),
  inventoryRequestedAt: time.optional(),
  sourceInventory: json.pipe(sourceInventory).optional(),
  verificationRequestedAt: time.optional(),
  verification: json.pipe(verificationResult).optional(),
  restoreEnd: json.pipe(restoreEnd).optional(),
  // Ephemeral drill target (issue 15).
  ephemeralCluster: json.pipe(ephemeralClusterRecord).optional(),
});

export class LedgerItemError extends Error {
  readonly code = 'LEDGER_ITEM_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'LedgerItemError';
  }
}

/** Reads an item back, validated: a corrupt item is an error naming the attribute, not a surprise later. */
export function fromItem(item: Record<string, AttributeValue>): Operation {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (value.S !== undefined) plain[name] = value.S;
    else if (value.N !== undefined) plain[name] = Number(value.N);
    // The ledger writes S, N and BOOL only: any other type reads as absent (undefined), as a missing attribute does.
    else plain[name] = value.BOOL;
  }
  const parsed = storedOperation.safeParse(plain);
  if (!parsed.success) {
    throw new LedgerItemError(`ledger item ${String(plain.pk)} is invalid: ${z.prettifyError(parsed.error)}`);
  }
  const {
    pendingKind,
    pendingDueAt,
    pendingUntil,
    pendingNext,
    verificationRequestedAt,
    verification: result,
    ...rest
  } = parsed.data;
  const pending: PendingMessage | undefined =
    // Stryker disable next-line LogicalOperator: equivalent, the ledger writes pendingKind and pendingDueAt together (pendingFields), never one alone
    pendingKind &&
    // Stryker disable next-line ConditionalExpression: equivalent as `true`, the ledger writes pendingKind and pendingDueAt together
    pendingDueAt !== undefined
      ? {
          kind: pendingKind,
          dueAt: pendingDueAt,
          ...(pendingUntil !== undefined ? { until: pendingUntil } : {}),
          ...(pendingNext !== undefined ? { next: pendingNext } : {}),
        }
      : undefined;
  const verification: OperationVerification | undefined =
    result !== undefined || verificationRequestedAt !== undefined
      ? {
          status: result === undefined ? 'pending' : 'recorded',
          ...(verificationRequestedAt !== undefined ? { requestedAt: verificationRequestedAt } : {}),
          ...(result !== undefined ? { result } : {}),
        }
      : undefined;
  return dropUndefined({
    ...rest,
    ...(pending ? { pending } : {}),
    ...(verification ? { verification } : {}),
  }) as Operation;
}

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
