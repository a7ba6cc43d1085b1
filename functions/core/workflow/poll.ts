import { AtlasApiError } from '../atlas/errors.ts';
import { atlasIdCreatedAt, type RestoreJob, restoreJobState } from '../atlas/model.ts';
import type { WaitMessage } from '../contract/internal-messages.ts';
import { endRestore } from './after-restore.ts';
import { nextPollDelay, SQS_MAX_DELAY_SECONDS } from './cadence.ts';
import { WorkflowError } from './errors.ts';
import type { OutcomeKind } from './operation.ts';
import { handOff, type StepContext, secondsBetween } from './steps.ts';

const OUTCOME_OF_STATE = {
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  expired: 'expired',
} as const satisfies Record<Exclude<ReturnType<typeof restoreJobState>, 'pending'>, OutcomeKind>;

/**
 * The poll step: read the job once; ended → outcome (or, when a phase follows, that phase: see after-restore.ts),
 * past the deadline → timed out, else poll again later.
 */
export async function runPoll(context: StepContext): Promise<void> {
  const { deps, operation } = context;
  const { request, restoreJobId, submittedAt } = operation;
  if (restoreJobId === undefined || submittedAt === undefined) {
    throw new WorkflowError('OPERATION_INCONSISTENT', operation.operationId, 'poll step without a restore job');
  }
  const source = { groupId: request.groupId, clusterName: request.clusterName };
  let job: RestoreJob;
  try {
    job = await context.atlas.api.getRestoreJob(source, restoreJobId);
  } catch (error) {
    // Only a job that is gone ends the operation: any other failure (auth, network) says nothing about the restore.
    if (error instanceof AtlasApiError && error.status === 404) {
      await endRestore(
        context,
        {
          outcome: 'failed',
          errorCode: error.errorCode ?? 'RESTORE_JOB_NOT_FOUND',
          reason: `restore job ${restoreJobId} no longer exists`,
          finishedAt: deps.clock.now(),
        },
        { polls: 1 },
      );
      return;
    }
    if (error instanceof AtlasApiError && error.retryable) {
      await backOffFromOutage(context, error);
      return;
    }
    throw error;
  }

  const now = deps.clock.now();
  const state = restoreJobState(job);
  if (state === 'cancelled' && operation.timeoutDecidedAt !== undefined) {
    // Our own cancel, decided past the deadline: a crash or a concurrent copy came between it and the outcome.
    await finishTimedOut(context, job, 'the restore job was cancelled');
    return;
  }
  if (state !== 'pending') {
    const finishedAt = job.finishedAt ? Date.parse(job.finishedAt) : Number.NaN;
    const end = Number.isFinite(finishedAt) ? finishedAt : now;
    // With Atlas's finishedAt, the start is Atlas's too (the job id's creation second): both ends on one clock, so
    // neither our clock's skew nor the POST's round trip enters the RTO.
    const start = Number.isFinite(finishedAt) ? atlasIdCreatedAt(job.id).getTime() : submittedAt;
    await endRestore(
      context,
      {
        outcome: OUTCOME_OF_STATE[state],
        ...(state === 'completed' ? {} : { errorCode: `RESTORE_JOB_${state.toUpperCase()}` }),
        reason: describeEnd(job, state),
        finishedAt: end,
        rtoSeconds: secondsBetween(start, end),
      },
      { polls: 1 },
    );
    return;
  }
  if (now >= operation.deadlineAt) {
    await timeOut(context, job);
    return;
  }
  const untilDeadline = Math.ceil((operation.deadlineAt - now) / 1000);
  const delaySeconds = Math.max(
    1,
    Math.min(nextPollDelay(secondsBetween(submittedAt, now), deps.config), untilDeadline),
  );
  // Atlas answered: an outage the chain was backing off from is over.
  await handOff(context, { kind: 'poll', delaySeconds }, operation.outageSince ? { outageSince: 0 } : {}, { polls: 1 });
}

/**
 * A poll that cannot reach Atlas (5xx, 429, network, after the client's own retries) says nothing about the restore.
 * Failing the message would burn a receive per visibility timeout and send the chain to the DLQ within about
 * maxReceiveCount × 6 minutes; instead the chain moves on to a later poll, the delay doubling with the outage's
 * length from POLL_MIN_DELAY_SECONDS up to SQS's 15 minutes. It outlives any outage shorter than what is left of
 * maxWait; past the deadline, with Atlas still unreachable, the operation ends as timed out, saying so.
 */
async function backOffFromOutage(context: StepContext, error: AtlasApiError): Promise<void> {
  const { deps, operation } = context;
  const now = deps.clock.now();
  const outageSince = operation.outageSince ?? now;
  const outageSeconds = secondsBetween(outageSince, now);
  const since = new Date(outageSince).toISOString();
  if (now >= operation.deadlineAt) {
    const maxWaitMinutes = Math.round((operation.deadlineAt - operation.requestedAt) / 60_000);
    await endRestore(
      context,
      {
        outcome: 'timedOut',
        errorCode: 'MAX_WAIT_EXCEEDED',
        reason: `restore job ${operation.restoreJobId} not seen to end within ${maxWaitMinutes} minutes: Atlas unreachable since ${since} (${[error.status ?? 'network error', error.errorCode].filter(Boolean).join(' ')}); its state is unknown`,
        finishedAt: now,
      },
      { polls: 1 },
    );
    return;
  }
  const untilDeadline = Math.ceil((operation.deadlineAt - now) / 1000);
  const backoff = Math.min(SQS_MAX_DELAY_SECONDS, Math.max(deps.config.pollMinDelaySeconds, outageSeconds));
  const delaySeconds = Math.max(1, Math.min(backoff, untilDeadline));
  deps.log.warn('Atlas unreachable; polling later', {
    operationId: operation.operationId,
    restoreJobId: operation.restoreJobId,
    outageSince: since,
    delaySeconds,
    status: error.status,
    errorCode: error.errorCode,
  });
  await handOff(context, { kind: 'poll', delaySeconds }, { outageSince }, { polls: 1 });
}

/** One hop of a long wait: calls nothing, sends the next hop or, when it is near, the awaited step. */
export async function runWait(context: StepContext, message: WaitMessage): Promise<void> {
  const remainingSeconds = Math.max(0, Math.ceil((message.until - context.deps.clock.now()) / 1000));
  await handOff(context, { kind: message.next, delaySeconds: remainingSeconds });
}

/**
 * Past maxWait the operation ends as timed out. The job is left running unless CANCEL_ON_TIMEOUT; Atlas cannot
 * cancel automated restores (nor, it answers, point-in-time ones), and the outcome says so. Before cancelling, the
 * decision is recorded (`timeoutDecidedAt`, with an advance to a poll due at once) and the cancel is made by that
 * next poll: whatever happens between the cancel and the outcome, the job found cancelled is known to be ours.
 */
async function timeOut(context: StepContext, job: RestoreJob): Promise<void> {
  const { deps, operation } = context;
  const source = { groupId: operation.request.groupId, clusterName: operation.request.clusterName };
  let note: string;
  if (!deps.config.cancelOnTimeout) {
    note = 'the restore job was left running (CANCEL_ON_TIMEOUT is off)';
  } else if (job.deliveryType === 'automated') {
    note = 'the restore job was left running: Atlas cannot cancel automated restores';
  } else if (operation.timeoutDecidedAt === undefined) {
    await handOff(context, { kind: 'poll', delaySeconds: 0 }, { timeoutDecidedAt: deps.clock.now() }, { polls: 1 });
    return;
  } else {
    try {
      await context.atlas.api.cancelRestoreJob(source, job.id);
      note = 'the restore job was cancelled';
    } catch (error) {
      if (!(error instanceof AtlasApiError) || error.retryable) throw error;
      note = `the restore job was left running: Atlas refused to cancel it (${error.errorCode ?? error.status})`;
    }
  }
  await finishTimedOut(context, job, note);
}

async function finishTimedOut(context: StepContext, job: RestoreJob, note: string): Promise<void> {
  const { deps, operation } = context;
  const maxWaitMinutes = Math.round((operation.deadlineAt - operation.requestedAt) / 60_000);
  await endRestore(
    context,
    {
      outcome: 'timedOut',
      errorCode: 'MAX_WAIT_EXCEEDED',
      reason: `restore job ${job.id} still running after ${maxWaitMinutes} minutes; ${note}`,
      finishedAt: deps.clock.now(),
    },
    { polls: 1 },
  );
}

function describeEnd(job: RestoreJob, state: keyof typeof OUTCOME_OF_STATE): string {
  if (state !== 'completed') return `restore job ${job.id} ${state}`;
  if (job.deliveryType !== 'download') return `restore job ${job.id} completed`;
  // A download's URL is a bearer credential to the data: say it is ready, never what it is.
  // Stryker disable next-line StringLiteral: message text (the outcome reason)
  return `restore job ${job.id} download ready${job.expiresAt ? ` until ${job.expiresAt}` : ''}`;
}
