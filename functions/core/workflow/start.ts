import type { ClusterRef } from '../atlas/api.ts';
import { AtlasApiError } from '../atlas/errors.ts';
import { atlasIdCreatedAt, type RestoreJob, type RestoreJobRequest, type Snapshot } from '../atlas/model.ts';
import { clusterKey, restoreTarget } from '../contract/restore-request.ts';
import { deferDelay, nextPollDelay } from './cadence.ts';
import { provisionEphemeralTarget } from './ephemeral/provision.ts';
import { WorkflowError } from './errors.ts';
import { checkGuardrails } from './guardrails.ts';
import type { OperationUpdate } from './ports.ts';
import {
  chooseSnapshot,
  type Deferral,
  findSubmittedJobs,
  isSharded,
  matchingJobs,
  permanentFailureReason,
  pointInTimeOutsideWindow,
  restoreJobBody,
  restoreRunningOnto,
  type SnapshotChoice,
  snapshotInProgress,
  targetNotReady,
} from './preflight.ts';
import { finishOperation, handOff, logAttributes, newToken, type StepContext, secondsBetween } from './steps.ts';

/** Atlas answers these when the restore cannot start yet; the start is deferred, as for our own checks. */
const DEFERRING_ATLAS_ERRORS = new Set([
  'ATLAS_CLUSTER_RESTORE_IN_PROGRESS',
  'UNFINISHED_ON_DEMAND_SNAPSHOT',
  'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT',
  'CLUSTER_PAUSED_CANNOT_RESTORE',
  // Downloads: one active download per snapshot, and a project-wide cap on active downloads. Both clear by themselves.
  'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY',
  'TOO_MANY_SNAPSHOT_DOWNLOADS',
]);

/**
 * The start step: guardrails, snapshot, checks before acting, then submit exactly once (or adopt the job an
 * earlier attempt submitted), then the first poll. A dry run stops after the checks and reports its verdict.
 */
export async function runStart(context: StepContext): Promise<void> {
  const submission = { claimed: context.operation.claimToken !== undefined };
  try {
    await start(context, submission);
  } catch (error) {
    // A permanent Atlas error ends the operation, but only while nothing can have been submitted: with a claim,
    // a job may exist, so the message is retried (and dead-lettered, for an operator, if it keeps failing).
    if (isPermanent(error) && !submission.claimed) {
      // Stryker disable next-line StringLiteral: equivalent, a permanent error always has a status
      await fail(context, error.errorCode ?? `HTTP_${error.status ?? 'ERROR'}`, permanentFailureReason(error));
      return;
    }
    throw error;
  }
}

/** Whether this operation holds a submit claim (taken now or by an earlier attempt). */
interface Submission {
  claimed: boolean;
}

async function start(context: StepContext, submission: Submission): Promise<void> {
  const { deps, operation } = context;
  let { request } = operation;
  if (request.ephemeralTarget !== undefined) {
    // The provision phase: the target is created (and waited for) before anything else is decided.
    const provision = await provisionEphemeralTarget(context);
    if (provision.kind === 'handled') return;
    request = provision.request;
  }
  const atlas = context.atlas.api;
  const now = deps.clock.now();

  const source: ClusterRef = { groupId: request.groupId, clusterName: request.clusterName };
  let jobs: RestoreJob[] | undefined;
  if (operation.claimToken !== undefined) {
    // An earlier attempt claimed the submission: it may have POSTed, and may still be doing so. Its job, if any,
    // is adopted before anything else is decided (the guardrails and the deadline held when it was claimed).
    const claimAge = now - (operation.claimedAt ?? 0);
    if (claimAge < deps.config.claimLeaseSeconds * 1000) {
      throw new WorkflowError(
        'SUBMIT_IN_PROGRESS',
        operation.operationId,
        `a submission claimed ${Math.round(claimAge / 1000)} s ago may be in flight; retrying after its lease`,
      );
    }
    jobs = await atlas.listRestoreJobs(source);
    const body = restoreJobBody(request, operation.snapshotId);
    if (await adoptSubmittedJob(context, jobs, body, operation.claimToken)) return;
  }

  if (now >= operation.deadlineAt) {
    await finishOperation(context, {
      outcome: 'timedOut',
      errorCode: 'MAX_WAIT_EXCEEDED',
      outcomeReason: `not submitted within maxWait${operation.lastDeferReason ? ` (last deferral: ${operation.lastDeferReason})` : ''}`,
      finishedAt: now,
    });
    return;
  }

  const refusal =
    checkGuardrails(request, deps.config, operation) ??
    (request.verify !== undefined && deps.verificationQueue === undefined
      ? {
          code: 'VERIFICATION_NOT_CONFIGURED',
          reason: 'the request asks to verify the restore, and no verifier is configured (VERIFICATION_QUEUE_URL)',
        }
      : undefined);
  if (refusal) {
    await finishOperation(context, {
      outcome: 'refused',
      errorCode: refusal.code,
      outcomeReason: refusal.reason,
      finishedAt: now,
    });
    return;
  }

  const cluster = await atlas.getCluster(source);
  const sharded = isSharded(cluster);
  const snapshots = await atlas.listSnapshots(source, { sharded });
  const choice = chooseSnapshot(request, snapshots, cluster.clusterType ? { sharded } : {});
  if (choice.kind === 'fail') {
    await fail(context, choice.code, choice.reason);
    return;
  }
  const outside = pointInTimeOutsideWindow(request, cluster, snapshots);
  if (outside) {
    await fail(context, outside.code, outside.reason);
    return;
  }
  const target = restoreTarget(request);
  // One listing serves the checks and the claim (which keeps the matching jobs it shows: never ours to adopt).
  const listJobs = async () => {
    jobs ??= await atlas.listRestoreJobs(source);
    return jobs;
  };
  const blocker = await findBlocker(context, target, choice, snapshots, listJobs);
  if (blocker) {
    await (request.dryRun ? finishDryRun(context, `would wait: ${blocker.reason}`) : defer(context, blocker));
    return;
  }
  // Stryker disable next-line ConditionalExpression: equivalent, unreachable (a deferring choice is a blocker)
  if (choice.kind !== 'chosen') return; // unreachable: a deferring choice is a blocker

  const body = restoreJobBody(request, choice.snapshotId);
  if (request.dryRun) {
    const what = choice.snapshotId ? `snapshot ${choice.snapshotId}` : `point in time ${choice.snapshotAt / 1000}`;
    // Stryker disable next-line StringLiteral: message text
    const where = target ? `onto ${clusterKey(target)} (overwriting it)` : 'as a download';
    await finishDryRun(
      context,
      `would restore ${what} (${new Date(choice.snapshotAt).toISOString()}) ${where}`,
      choice.snapshotId,
      choice.snapshotAt,
    );
    return;
  }
  if (await awaitSourceInventory(context, target)) return;
  await submitOnce(context, submission, source, body, choice.snapshotAt, await listJobs());
}

/**
 * A verified restore onto its own source overwrites what the verifier compares the result with: the source's
 * inventory must be recorded before the submission, not merely asked for. Asks for it (once, marked with the
 * deferral) and defers until the verifier recorded it; DEFER_MAX_ATTEMPTS bounds the wait (DEFER_LIMIT_REACHED).
 * Answers whether it deferred.
 */
async function awaitSourceInventory(context: StepContext, target: ClusterRef | undefined): Promise<boolean> {
  const { operation } = context;
  const { request } = operation;
  if (
    request.verify === undefined ||
    // Stryker disable next-line ConditionalExpression: equivalent as `false`, only downloads have no target, and the contract refuses verify on them
    target === undefined ||
    clusterKey(target) !== clusterKey(request)
  )
    return false;
  if (operation.sourceInventory !== undefined) return false;
  const asked = await requestInventory(context);
  await defer(
    context,
    {
      code: 'SOURCE_INVENTORY_PENDING',
      reason: "the restore overwrites its own source: waiting for the verifier's inventory of it before submitting",
    },
    asked === undefined ? {} : { inventoryRequestedAt: asked },
  );
  return true;
}

/** Checks before acting: anything that makes Atlas refuse, or that a restore must not race with. */
async function findBlocker(
  context: StepContext,
  target: ClusterRef | undefined,
  choice: SnapshotChoice,
  snapshots: readonly Snapshot[],
  listJobs: () => Promise<readonly RestoreJob[]>,
): Promise<Deferral | undefined> {
  // Stryker disable next-line ConditionalExpression: equivalent as `true`, a chosen snapshot has no deferral
  const blocker = (choice.kind === 'defer' ? choice.deferral : undefined) ?? snapshotInProgress(snapshots);
  if (blocker || target === undefined) return blocker;
  const notReady = targetNotReady(await context.atlas.api.getCluster(target));
  if (notReady) return notReady;
  return restoreRunningOnto(await listJobs(), target);
}

/**
 * Claim, POST, record. The claim is a conditional write before the POST, so a concurrent or later attempt never
 * POSTs while this one may; it keeps the ids of the matching jobs listed before it (`jobs`), so that whatever the
 * POST's fate its job can be found again: a match that was not there (see `findSubmittedJobs`). The job id is
 * recorded, once this operation owns the job, with the step's advance.
 */
async function submitOnce(
  context: StepContext,
  submission: Submission,
  source: ClusterRef,
  body: RestoreJobRequest,
  snapshotAt: number,
  jobs: readonly RestoreJob[],
): Promise<void> {
  const { deps, operation, at } = context;
  const claimToken = newToken(deps);
  const claimedAt = deps.clock.now();
  const priorJobIds = matchingJobs(jobs, body).map((job) => job.id);
  const inventoryRequestedAt = await requestInventory(context);
  const claimed = await deps.ledger.claim(
    at,
    {
      token: claimToken,
      at: claimedAt,
      snapshotAt,
      priorJobIds,
      ...(body.snapshotId ? { snapshotId: body.snapshotId } : {}),
      // Stryker disable next-line ConditionalExpression: equivalent as `true`, both ledgers ignore an undefined inventoryRequestedAt
      ...(inventoryRequestedAt !== undefined ? { inventoryRequestedAt } : {}),
    },
    operation.claimToken,
  );
  if (!claimed) {
    // Not acknowledged: the holder of the claim may still fail, and SQS may delete the message on this copy's success.
    throw new WorkflowError('SUBMIT_IN_PROGRESS', operation.operationId, 'another delivery claimed the submission');
  }
  submission.claimed = true;
  // Adopting after this POST must skip the matches listed before this claim, not those of an earlier one.
  const claimedContext = { ...context, operation: { ...operation, priorJobIds } };

  let job: RestoreJob;
  try {
    job = await context.atlas.api.createRestoreJob(source, body);
  } catch (error) {
    if (!(error instanceof AtlasApiError)) throw error;
    if (error.ambiguous) {
      // The POST may have created the job: look for it before anything else.
      // Stryker disable next-line StringLiteral: message text
      const why = 'the POST failed in flight and no job is visible yet';
      await adoptElseRetry(claimedContext, source, body, claimToken, why, error);
      return;
    }
    // Atlas answered: the POST certainly took no effect, so the claim can go.
    await deps.ledger.releaseClaim(operation.operationId, claimToken);
    // Stryker disable next-line BooleanLiteral: equivalent, nothing after this point calls Atlas before deciding
    submission.claimed = false;
    // Stryker disable next-line ConditionalExpression: equivalent for `errorCode !== undefined`: no code is in the set
    if (error.errorCode !== undefined && DEFERRING_ATLAS_ERRORS.has(error.errorCode)) {
      await defer(context, { code: error.errorCode, reason: error.message });
      return;
    }
    // Stryker disable next-line ConditionalExpression: equivalent as `true`, runStart fails a permanent error unclaimed
    if (error.retryable) throw error;
    // Stryker disable next-line StringLiteral: equivalent, an answered error always has a status
    await fail(context, error.errorCode ?? `HTTP_${error.status ?? 'ERROR'}`, error.message);
    return;
  }
  if (!(await deps.ledger.ownJob(job.id, operation))) {
    // Another operation restoring the same thing, whose own POST failed in flight, adopted this job before it was
    // recorded here: the job is that operation's now. This one adopts another match, or submits after its lease.
    // Stryker disable next-line StringLiteral: message text
    const why = `restore job ${job.id} was adopted by another operation`;
    await adoptElseRetry(claimedContext, source, body, claimToken, why);
    return;
  }
  const submittedAt = deps.clock.now();
  deps.log.info(
    'restore job submitted',
    logAttributes(operation, { restoreJobId: job.id, snapshotId: body.snapshotId }),
  );
  await handOff(
    claimedContext,
    { kind: 'poll', delaySeconds: nextPollDelay(0, deps.config) },
    { restoreJobId: job.id, submittedAt, adopted: false },
    {},
    { claimToken },
  );
}

/**
 * Verified drills: asks the verifier for the source's inventory before the first submission, once per operation
 * (the claim marks it; an attempt that dies before its claim asks again, which the verifier's first-wins write makes
 * harmless). Answers the time to mark, or undefined when there is nothing to ask.
 */
async function requestInventory(context: StepContext): Promise<number | undefined> {
  const { deps, operation } = context;
  if (operation.request.verify === undefined || operation.inventoryRequestedAt !== undefined) return undefined;
  // Stryker disable next-line ConditionalExpression: equivalent, the start refuses `verify` without a verifier queue
  if (deps.verificationQueue === undefined) return undefined;
  await deps.verificationQueue.send({ v: 1, kind: 'inventory', operationId: operation.operationId });
  return deps.clock.now();
}

/**
 * Adopts the job an attempt of this operation submitted, if Atlas shows one: a match that was not there before the
 * claim, and that no other operation owns (two operations restoring the same thing at once see each other's jobs).
 * A match this operation already owns comes first: an attempt that died between `ownJob` and the advance created
 * it, whereas an older unowned match may be another operation's unrecorded POST, or an operator's.
 */
async function adoptSubmittedJob(
  context: StepContext,
  jobs: readonly RestoreJob[],
  body: RestoreJobRequest,
  claimToken: string,
): Promise<boolean> {
  const { deps, operation } = context;
  // Stryker disable next-line ArrayDeclaration: equivalent, an id that is no job's excludes nothing
  const candidates = findSubmittedJobs(jobs, body, operation.priorJobIds ?? []);
  // One read at a time: there is rarely more than one candidate, and a step's port calls stay in sequence.
  const owners: (string | undefined)[] = [];
  for (const job of candidates) owners.push(await deps.ledger.jobOwner(job.id));
  const ours = candidates.find((_job, index) => owners[index] === operation.operationId);
  if (ours !== undefined) {
    await adopt(context, ours, claimToken);
    return true;
  }
  for (const [index, job] of candidates.entries()) {
    // Stryker disable next-line ConditionalExpression: equivalent for `owners[index] === undefined`: ownJob refuses an owned job
    if (owners[index] === undefined && (await deps.ledger.ownJob(job.id, operation))) {
      await adopt(context, job, claimToken);
      return true;
    }
    deps.log.info(
      'not adopting a restore job another operation owns',
      logAttributes(operation, { restoreJobId: job.id }),
    );
  }
  return false;
}

/**
 * After a POST whose job this operation cannot record (unanswered, or taken): adopts the job Atlas shows, else the
 * message comes back later; the claim stays, so nothing is submitted again before its lease runs out.
 */
async function adoptElseRetry(
  context: StepContext,
  source: ClusterRef,
  body: RestoreJobRequest,
  claimToken: string,
  why: string,
  cause?: unknown,
): Promise<void> {
  const jobs = await context.atlas.api.listRestoreJobs(source);
  if (await adoptSubmittedJob(context, jobs, body, claimToken)) return;
  const options = cause === undefined ? undefined : { cause };
  throw new WorkflowError('SUBMIT_UNCONFIRMED', context.operation.operationId, why, options);
}

/** Records a job an earlier attempt submitted, instead of submitting again. */
async function adopt(context: StepContext, job: RestoreJob, claimToken: string): Promise<void> {
  const { deps, operation } = context;
  const submittedAt = atlasIdCreatedAt(job.id).getTime();
  deps.log.info(
    'adopting the restore job an earlier attempt submitted',
    logAttributes(operation, { restoreJobId: job.id }),
  );
  await handOff(
    context,
    { kind: 'poll', delaySeconds: nextPollDelay(secondsBetween(submittedAt, deps.clock.now()), deps.config) },
    { restoreJobId: job.id, submittedAt, adopted: true },
    {},
    { claimToken },
  );
}

/** Waits and starts again, with backoff; past DEFER_MAX_ATTEMPTS the operation fails with the last reason. */
async function defer(context: StepContext, deferral: Deferral, update: OperationUpdate = {}): Promise<void> {
  const { deps, operation } = context;
  const attempt = operation.deferAttempts + 1;
  if (attempt > deps.config.deferMaxAttempts) {
    await fail(
      context,
      'DEFER_LIMIT_REACHED',
      `still blocked after ${operation.deferAttempts} deferrals: ${deferral.reason} (${deferral.code})`,
    );
    return;
  }
  const delaySeconds = deferDelay(attempt, deps.config);
  const advanced = await handOff(
    context,
    { kind: 'start', delaySeconds },
    { ...update, lastDeferReason: `${deferral.code}: ${deferral.reason}` },
    { deferAttempts: 1 },
  );
  // Stryker disable next-line ConditionalExpression: equivalent, handOff answers true or throws
  if (advanced) deps.reporter.deferred({ ...operation, deferAttempts: attempt }, { ...deferral, delaySeconds });
}

async function fail(context: StepContext, code: string, reason: string): Promise<void> {
  await finishOperation(context, {
    outcome: 'failed',
    errorCode: code,
    outcomeReason: reason,
    finishedAt: context.deps.clock.now(),
  });
}

async function finishDryRun(
  context: StepContext,
  verdict: string,
  snapshotId?: string,
  snapshotAt?: number,
): Promise<void> {
  const { operation } = context;
  await finishOperation(context, {
    outcome: 'dryRun',
    outcomeReason: verdict,
    finishedAt: context.deps.clock.now(),
    ...(snapshotId ? { snapshotId } : {}),
    ...(snapshotAt !== undefined ? { snapshotAt, rpoSeconds: secondsBetween(snapshotAt, operation.requestedAt) } : {}),
  });
}

function isPermanent(error: unknown): error is AtlasApiError {
  return error instanceof AtlasApiError && !error.retryable && !error.ambiguous;
}
