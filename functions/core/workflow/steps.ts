import { randomUUID } from 'node:crypto';
import type { InternalMessage } from '../contract/internal-messages.ts';
import { SQS_MAX_DELAY_SECONDS } from './cadence.ts';
import { WorkflowError } from './errors.ts';
import { type MeteredAtlas, meterAtlas } from './metered-atlas.ts';
import {
  type DueStepKind,
  type Operation,
  type PendingMessage,
  type RestoreEnd,
  type StepRef,
  stepRef,
} from './operation.ts';
import type { Finish, Invocation, OperationCounters, OperationUpdate, WorkflowDeps } from './ports.ts';

/** One step being processed: the operation as read, the step it is at, and this step's metered Atlas port. */
export interface StepContext {
  readonly deps: WorkflowDeps;
  readonly operation: Operation;
  readonly at: StepRef;
  readonly atlas: MeteredAtlas;
  readonly invocation: Invocation;
  /** Atlas calls already written to the ledger by this step (shared by copies of the context). */
  readonly tally: { recordedCalls: number };
}

/** The context of a step taken on `operation` as read, at its current step, with Atlas metered to the deadline. */
export function stepContext(deps: WorkflowDeps, operation: Operation, invocation: Invocation): StepContext {
  return {
    deps,
    operation,
    at: stepRef(operation),
    atlas: meterAtlas(deps.atlas, invocation.deadline),
    invocation,
    tally: { recordedCalls: 0 },
  };
}

export function newToken(deps: WorkflowDeps): string {
  return deps.newToken?.() ?? randomUUID();
}

/** The TTL (epoch seconds) of an operation written now: retention counts from its latest write. */
export function retentionExpiry(deps: WorkflowDeps): number {
  return Math.ceil(deps.clock.now() / 1000) + deps.config.ledgerRetentionDays * 86_400;
}

export function logAttributes(operation: Operation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { operationId: operation.operationId, step: operation.step, cluster: operation.clusterKey, ...extra };
}

/** The next step: which message, after how many clock seconds. */
export interface NextStep {
  readonly kind: DueStepKind;
  readonly delaySeconds: number;
}

/** What to send for a step due in `delaySeconds`: the step itself, or a wait hop when SQS cannot delay that long. */
export function pendingFor(next: NextStep, now: number): PendingMessage {
  const delayMs = Math.max(0, Math.ceil(next.delaySeconds)) * 1000;
  if (next.delaySeconds <= SQS_MAX_DELAY_SECONDS) return { kind: next.kind, dueAt: now + delayMs };
  return { kind: 'wait', dueAt: now + SQS_MAX_DELAY_SECONDS * 1000, until: now + delayMs, next: next.kind };
}

function messageFor(operationId: string, step: number, token: string, pending: PendingMessage): InternalMessage {
  const base = { v: 1 as const, operationId, step, token };
  if (pending.kind === 'wait') {
    // Stryker disable next-line LogicalOperator,StringLiteral: equivalent, pendingFor sets both on every wait
    return { ...base, kind: 'wait', until: pending.until ?? pending.dueAt, next: pending.next ?? 'poll' };
  }
  return { ...base, kind: pending.kind };
}

function takeCalls(context: StepContext): number {
  return context.atlas.calls() - context.tally.recordedCalls;
}

/**
 * Advances the operation to the next step and sends that step's message. The write is conditional on this step's
 * token, so of two deliveries of one message only one moves on; the loser gets false and drops its work.
 *
 * A start step writes first and sends after: if the send is lost, the redelivered message finds its token as
 * `previousToken` and re-sends (see `resendPending`); a second write then marks the message sent.
 *
 * A poll or wait step sends first and writes after, the advance marking the message sent: one write per poll. A
 * send whose advance is never written (the writer died, or lost the race to another delivery) leaves a message
 * with a token the ledger never takes: held back while it is one step ahead (`STEP_NOT_RECORDED`), stale once the
 * step moved on with another token. The redelivery of a poll whose writer died polls again (a read) and writes.
 * So the lost-send rule holds unchanged: `handedOff` is true only once the next message is out.
 */
export async function handOff(
  context: StepContext,
  next: NextStep,
  update: OperationUpdate = {},
  counters: OperationCounters = {},
  guard?: { readonly claimToken?: string },
): Promise<boolean> {
  const { deps, at } = context;
  const token = newToken(deps);
  const pending = pendingFor(next, deps.clock.now());
  const calls = takeCalls(context);
  const kind = context.operation.pending?.kind;
  // After-restore phase steps read and write like polls (nothing is submitted): one write each.
  const sendFirst = kind === 'poll' || kind === 'wait' || kind === 'verify' || kind === 'teardown';
  // At least 1 s of delay, so the message is rarely seen before its advance is written (it would be held back).
  if (sendFirst) await sendMessage(deps, at.operationId, at.step + 1, token, pending, 1);
  const advanced = await deps.ledger.advance(
    at,
    { token, pending, ...(sendFirst ? { handedOff: true } : {}) },
    { ...update, expiresAt: retentionExpiry(deps) },
    { ...counters, atlasCalls: (counters.atlasCalls ?? 0) + calls },
    guard,
  );
  if (!advanced) {
    // Not acknowledged: the delivery that advanced may still fail before sending, and SQS may delete the message
    // on this copy's success. Delivered again, it finds the step done (and re-sends its follow-up if need be).
    throw new WorkflowError('STEP_CONTENDED', at.operationId, 'another delivery advanced this step first');
  }
  context.tally.recordedCalls += calls;
  if (!sendFirst) await send(deps, at.operationId, at.step + 1, token, pending);
  return true;
}

/** Re-sends the current step's message after a redelivery of the previous step found it not handed off. */
export async function resendPending(deps: WorkflowDeps, operation: Operation): Promise<void> {
  // Stryker disable next-line ConditionalExpression: equivalent, it is called for unfinished operations, all pending
  if (operation.pending === undefined) return;
  deps.log.info('re-sending the next step after a redelivery', logAttributes(operation));
  await send(deps, operation.operationId, operation.step, operation.stepToken, operation.pending);
}

async function send(
  deps: WorkflowDeps,
  operationId: string,
  step: number,
  token: string,
  pending: PendingMessage,
): Promise<void> {
  await sendMessage(deps, operationId, step, token, pending, 0);
  try {
    await deps.ledger.markHandedOff(operationId, token);
  } catch (error) {
    // The message is out; without the mark, a redelivery of the previous step sends a duplicate, which the
    // token check turns into a no-op one step later.
    deps.log.warn('could not mark the next step as sent', { operationId, step, error: String(error) });
  }
}

async function sendMessage(
  deps: WorkflowDeps,
  operationId: string,
  step: number,
  token: string,
  pending: PendingMessage,
  minDelaySeconds: number,
): Promise<void> {
  const delaySeconds = Math.min(
    SQS_MAX_DELAY_SECONDS,
    Math.max(minDelaySeconds, Math.ceil((pending.dueAt - deps.clock.now()) / 1000)),
  );
  await deps.queue.send(messageFor(operationId, step, token, pending), delaySeconds);
}

/**
 * Records the outcome, once: the write is conditional on this step, on no outcome being recorded, and on no other
 * delivery holding the submit claim without a recorded job (its POST may be creating the restore right now). Only
 * its winner reports, right after the write, then marks it reported (see `reportIfUnreported` for a crash between:
 * reports are at least once).
 */
export async function finishOperation(
  context: StepContext,
  outcome: Omit<Finish, 'outcomeRecordedAt'>,
  counters: OperationCounters = {},
): Promise<boolean> {
  if (teardownPending(context.operation, outcome)) return handOffToTeardown(context, outcome, counters);
  const { deps, at, operation } = context;
  const calls = takeCalls(context);
  const atlasCalls = (counters.atlasCalls ?? 0) + calls;
  const finish: Finish = { ...outcome, outcomeRecordedAt: deps.clock.now(), expiresAt: retentionExpiry(deps) };
  // The claim as this step read it, or took it: a claim taken since by another delivery makes the write fail.
  const holder = operation.claimToken === undefined ? undefined : { claimToken: operation.claimToken };
  const finished = await deps.ledger.finish(at, finish, { ...counters, atlasCalls }, holder);
  if (!finished) {
    // Not acknowledged, for the same reason: delivered again, it reports the outcome if its writer could not, or
    // finds the submission the other delivery made.
    throw new WorkflowError(
      'STEP_CONTENDED',
      at.operationId,
      'another delivery moved this operation on, or holds its submit claim, first',
    );
  }
  context.tally.recordedCalls += calls;
  deps.reporter.outcome({
    ...operation,
    ...finish,
    polls: operation.polls + (counters.polls ?? 0),
    atlasCalls: operation.atlasCalls + atlasCalls,
    // Stryker disable next-line ArithmeticOperator: equivalent, no step finishes with deferAttempts to add
    deferAttempts: operation.deferAttempts + (counters.deferAttempts ?? 0),
  });
  try {
    await deps.ledger.markReported(operation.operationId, deps.clock.now());
  } catch (error) {
    deps.log.warn('could not mark the outcome reported', logAttributes(operation, { error: String(error) }));
  }
  // Stryker disable next-line BooleanLiteral: equivalent, every caller awaits finishOperation for its effect only
  return true;
}

/**
 * Whether an ephemeral target may still exist: one was claimed, Atlas did not refuse it, and neither the operation nor
 * the outcome at hand records its deletion (or a refusal to delete it). Then the outcome waits for the teardown phase.
 */
export function teardownPending(operation: Operation, outcome: Pick<Finish, 'ephemeralCluster'> = {}): boolean {
  const cluster = outcome.ephemeralCluster ?? operation.ephemeralCluster;
  return (
    cluster !== undefined &&
    cluster.createRefused === undefined &&
    cluster.deletedAt === undefined &&
    cluster.deleteRefused === undefined
  );
}

/**
 * An operation that ends before its restore job did (refused, failed or timed out while its ephemeral target was
 * created or awaited) still tears the target down first: its end is recorded (`restoreEnd`, with no RTO: no restore
 * job ended) and the teardown phase follows. The advance is guarded as `finish` is: never while another delivery holds
 * the submit claim without a job.
 */
async function handOffToTeardown(
  context: StepContext,
  outcome: Omit<Finish, 'outcomeRecordedAt'>,
  counters: OperationCounters,
): Promise<boolean> {
  const { operation } = context;
  const restoreEnd: RestoreEnd = {
    outcome: outcome.outcome,
    reason: outcome.outcomeReason,
    finishedAt: outcome.finishedAt,
    // Stryker disable next-line ConditionalExpression: equivalent when false, an undefined errorCode reads as none
    ...(outcome.errorCode === undefined ? {} : { errorCode: outcome.errorCode }),
  };
  context.deps.log.info(
    'operation ended before its restore; the ephemeral target is torn down first',
    logAttributes(operation, { outcome: outcome.outcome }),
  );
  // Stryker disable next-line ConditionalExpression: equivalent when false, a guard's undefined claimToken reads as none
  const guard = operation.claimToken === undefined ? {} : { claimToken: operation.claimToken };
  return handOff(context, { kind: 'teardown', delaySeconds: 0 }, { restoreEnd }, counters, guard);
}

/** An outcome written this long ago (clock time) and still unreported was orphaned by a crash. */
export const REPORT_RECOVERY_AFTER_MS = 60_000;

/**
 * For a delivery that finds the operation finished: reports an outcome whose writer died before marking it reported.
 * Within the grace period the writer may still be reporting, so the message comes back later (throws). It reports
 * first and marks after, as the writer does: a mark taken first could be applied with its answer lost (the SDK's
 * retry then fails its condition) and the outcome would never be reported. Reports are at least once, never zero
 * times; a duplicate is harmless where it lands (see the ledger's design note).
 */
export async function reportIfUnreported(deps: WorkflowDeps, operation: Operation): Promise<void> {
  // Stryker disable next-line ConditionalExpression: equivalent, both callers call it for finished operations only
  if (operation.reportedAt !== undefined || operation.outcome === undefined) return;
  const recordedAt = operation.outcomeRecordedAt ?? operation.finishedAt ?? 0;
  if (deps.clock.now() - recordedAt < REPORT_RECOVERY_AFTER_MS) {
    throw new WorkflowError('REPORT_PENDING', operation.operationId, 'the outcome is being reported; checking later');
  }
  deps.log.info('reporting an outcome its writer did not mark reported', logAttributes(operation));
  deps.reporter.outcome(operation);
  try {
    // False only means another delivery marked it first. Unmarked, the next message for it reports it again.
    await deps.ledger.markReported(operation.operationId, deps.clock.now());
  } catch (error) {
    deps.log.warn('could not mark the outcome reported', logAttributes(operation, { error: String(error) }));
  }
}

/** Writes calls made by a step that wrote nothing (it failed, or lost a race). Best effort. */
export async function recordUnwrittenCalls(context: StepContext): Promise<void> {
  const calls = takeCalls(context);
  // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent, adding 0 calls changes no count
  if (calls <= 0) return;
  // Stryker disable next-line AssignmentOperator: equivalent, the step's last act: the tally is not read after it
  context.tally.recordedCalls += calls;
  try {
    await context.deps.ledger.addAtlasCalls(context.at.operationId, calls);
  } catch (error) {
    context.deps.log.warn('could not count Atlas calls', logAttributes(context.operation, { error: String(error) }));
  }
}

export function secondsBetween(from: number, to: number): number {
  return Math.max(0, Math.round((to - from) / 1000));
}
