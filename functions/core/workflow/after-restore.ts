import { WorkflowError } from './errors.ts';
import type { DueStepKind, Operation, RestoreEnd } from './operation.ts';
import type { Finish, OperationCounters } from './ports.ts';
import { finishOperation, handOff, type StepContext, secondsBetween, teardownPending } from './steps.ts';

/**
 * Phases after the restore job ends. The poll that sees the job end (completed, failed, gone, timed out) calls
 * `endRestore`: if a later phase applies, it records how the restore ended (`restoreEnd`) with the advance to that
 * phase's first step, instead of finishing; each phase's steps are ordinary steps of the chain (step, token,
 * conditional advance, no forks), and the last phase calls `completePhase`, which finishes the operation with ONE
 * outcome write: the restore's end, plus what the phases add. Without a phase that applies, the poll finishes at
 * once, exactly as before.
 *
 * To add a phase: a step kind (DueStepKind, internal-messages.ts, item.ts's pending kinds), a runner dispatched in
 * service.ts, and an entry below, in the order phases run.
 */
export interface AfterRestorePhase {
  readonly name: string;
  /** The internal message kind of the phase's steps. */
  readonly step: Exclude<DueStepKind, 'start' | 'poll'>;
  /** Whether this phase runs for `operation`, its restore having ended as `end`. */
  applies(operation: Operation, end: RestoreEnd): boolean;
}

export const AFTER_RESTORE_PHASES: readonly AfterRestorePhase[] = [
  {
    name: 'verify',
    step: 'verify',
    // Only a restore that completed left data to check (a download restores no cluster; the contract refuses it).
    applies: (operation, end) => operation.request.verify !== undefined && end.outcome === 'succeeded',
  },
  {
    // Ephemeral drill targets (issue 15): delete the cluster the operation created, whatever the restore did.
    name: 'teardown',
    step: 'teardown',
    // Stryker disable next-line ArrowFunction: equivalent, finishOperation hands an outcome with a pending teardown to this phase too
    applies: (operation) => teardownPending(operation),
  },
];

export type AfterRestoreStep = AfterRestorePhase['step'];

/** The first phase after `current` (after the restore itself when undefined) that applies, if any. */
export function nextPhase(
  operation: Operation,
  end: RestoreEnd,
  current?: AfterRestoreStep,
  phases: readonly AfterRestorePhase[] = AFTER_RESTORE_PHASES,
): AfterRestorePhase | undefined {
  // No phase's step is undefined: findIndex gives -1, and the search starts at the first phase.
  const from = phases.findIndex((phase) => phase.step === current) + 1;
  return phases.slice(from).find((phase) => phase.applies(operation, end));
}

/** Facts a phase adds to the outcome write (anything but the restore's own end and the write's bookkeeping). */
export type PhaseFacts = Partial<Omit<Finish, 'outcome' | 'outcomeReason' | 'finishedAt' | 'outcomeRecordedAt'>>;

/** The restore job ended: on to the first phase that applies (recording `restoreEnd`), else the outcome (with RPO). */
export async function endRestore(
  context: StepContext,
  end: RestoreEnd,
  counters: OperationCounters = {},
): Promise<void> {
  const phase = nextPhase(context.operation, end);
  if (phase === undefined) {
    await finishOperation(context, finishOf(context.operation, end), counters);
    return;
  }
  context.deps.log.info('restore ended; next phase', {
    operationId: context.operation.operationId,
    outcome: end.outcome,
    phase: phase.name,
  });
  await handOff(context, { kind: phase.step, delaySeconds: 0 }, { restoreEnd: end }, counters);
}

/**
 * The phase run by `current` is done: on to the next phase that applies, else the one outcome write, carrying the
 * restore's end and `facts`.
 */
export async function completePhase(
  context: StepContext,
  current: AfterRestoreStep,
  options: { readonly facts?: PhaseFacts } = {},
): Promise<void> {
  const { operation } = context;
  const end = restoreEndOf(operation);
  const phase = nextPhase(operation, end, current);
  // Stryker disable next-line ConditionalExpression: equivalent as `true` while teardown is the only later phase: finishOperation hands an outcome with a pending teardown to it
  if (phase === undefined) {
    await finishOperation(context, { ...finishOf(operation, end), ...options.facts });
    return;
  }
  await handOff(context, { kind: phase.step, delaySeconds: 0 });
}

/** The restore's end an after-restore step works from; a phase step without one is a broken operation. */
export function restoreEndOf(operation: Operation): RestoreEnd {
  if (operation.restoreEnd === undefined) {
    throw new WorkflowError(
      'OPERATION_INCONSISTENT',
      operation.operationId,
      'after-restore step without a recorded restore end',
    );
  }
  return operation.restoreEnd;
}

function finishOf(operation: Operation, end: RestoreEnd): Omit<Finish, 'outcomeRecordedAt'> {
  const { snapshotAt, requestedAt } = operation;
  // The restore's end as recorded (its error code and RTO when it has them), its reason as the outcome's.
  const { reason, ...ended } = end;
  return {
    ...ended,
    outcomeReason: reason,
    // Stryker disable next-line ConditionalExpression: equivalent, a polled operation has a snapshotAt (its claim records it)
    ...(snapshotAt === undefined ? {} : { rpoSeconds: secondsBetween(snapshotAt, requestedAt) }),
  };
}
