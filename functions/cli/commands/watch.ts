import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { AtlasApiError } from '../../core/atlas/errors.ts';
import { atlasId, atlasIdCreatedAt, type RestoreJob, restoreJobState } from '../../core/atlas/model.ts';
import { nextPollDelay } from '../../core/workflow/cadence.ts';
import { type CliCommand, clusterFlags, clusterOptions, parseCommandLine, requiredText } from '../command.ts';
import {
  deployedLedger,
  followOnStack,
  resolveDeployedStack,
  stackFromEnvironment,
  stackName,
} from '../deployed-stack.ts';
import { describeOutcome } from '../operation-narrative.ts';
import { stepNarrator, writeOperation } from '../operation-report.ts';
import { OperationFailedError } from '../outcome-error.ts';
import { writeFields, writeJson } from '../output.ts';
import { createProgress, formatDuration } from '../progress.ts';
import { terminalWorkflowConfig } from '../workflow-settings.ts';
import { restoreTarget } from './restore-job-view.ts';

/** A poll's budget for its Atlas call, retries included. */
const POLL_BUDGET_MS = 60_000;
/** Polls in a row that may fail with a retryable error (Atlas busy, network) before the watch gives up. */
const MAX_FAILED_POLLS = 3;

export const watch: CliCommand = {
  name: 'watch',
  summary: 'Follow one restore job to its end, polling at the workflow’s own cadence',
  usage:
    'JOB_ID --projectId ID --clusterName NAME [--interval S] [--maxWaitMinutes N] [--json] | OPERATION_ID --stack NAME [--refreshSeconds S] [--json]',
  help: [
    'Polls the job as the deployed poller does (POLL_MIN_DELAY_SECONDS, default 60, plus 5 % of the time the job has',
    'run, at most POLL_MAX_DELAY_SECONDS), or every --interval seconds; shows progress on stderr (on a terminal, a',
    'countdown to the next poll) and prints the job when it ends. A download job ends when its links are ready: it',
    'then says how to get them (`jobs describe`). Its running time and RTO are on Atlas’s clock (the job id’s',
    'creation second, finishedAt, and the Date header of Atlas’s answers), not this machine’s.',
    '',
    'Exit status: 0 the job completed, 1 it failed, was cancelled or expired (or --maxWaitMinutes passed, or Atlas',
    'kept failing), 2 bad flags or id.',
    '',
    'With --stack NAME (or ATLAS_RESTORE_STACK, when no --projectId or --clusterName is given) it follows an operation',
    '(its requestId) in the deployed stack’s ledger every --refreshSeconds (default 10) until it has an outcome,',
    'printing its steps and its outcome as `start --stack` does; exit status 0 it succeeded, 1 it did not.',
    '',
    'Examples:',
    '  atlas-restore watch 6650d1e2f3a4b5c6d7e8f9a0 --projectId 5f1a2b3c4d5e6f7a8b9c0d1e --clusterName prod',
    '  atlas-restore watch 6650d1e2f3a4b5c6d7e8f9a0 --projectId 5f1a2b3c4d5e6f7a8b9c0d1e --clusterName prod --json',
    '  atlas-restore watch drill-2026-05-01 --stack AtlasRestoreOrchestrator',
  ].join('\n'),
  async run(args, context) {
    if (followsOperation(args, context.env)) return watchOperation(args, context);
    const { flags, positionals } = parseCommandLine(args, {
      options: { ...clusterOptions, maxWaitMinutes: { type: 'string' }, interval: { type: 'string' } },
      flags: clusterFlags.extend({
        maxWaitMinutes: z.coerce.number().int().min(1).max(20_160).optional(),
        interval: z.coerce.number().int('must be whole seconds').min(1).max(3_600).optional(),
      }),
      positionals: z.tuple([requiredText(atlasId)], z.never({ error: 'unexpected extra argument' })),
      positionalNames: ['JOB_ID'],
    });
    const [jobId] = positionals;
    const cluster = { groupId: flags.projectId, clusterName: flags.clusterName };
    const cadence = terminalWorkflowConfig(context.env, { allowTargets: [], stepBudgetSeconds: 60 });
    const giveUpAt =
      flags.maxWaitMinutes === undefined ? Number.POSITIVE_INFINITY : Date.now() + flags.maxWaitMinutes * 60_000;
    const progress = createProgress(context.stderr ?? process.stderr);
    const atlas = context.atlas();

    let followed: { job: RestoreJob; polls: number };
    // The spinner line counts down to the next poll (on a terminal; elsewhere status lines are dropped).
    let countdown = () => {};
    const ticking = setInterval(() => countdown(), 1_000).unref();
    try {
      followed = await follow(jobId, {
        read: (deadline) => atlas.getRestoreJob(cluster, jobId, { deadline }),
        // Atlas's clock, not this machine's: the job's age is measured between two of Atlas's timestamps.
        atlasNow: () => atlas.serverDate?.() ?? Date.now(),
        delaySeconds: (running) => flags.interval ?? nextPollDelay(running, cadence),
        giveUpAt,
        onPending(polls, running, delaySeconds) {
          progress.line(
            `poll ${polls}: restore job ${jobId} pending, running for ${formatDuration(running)}; next poll in ${formatDuration(delaySeconds)}`,
          );
          const due = Date.now() + delaySeconds * 1000;
          countdown = () =>
            progress.status(
              `poll ${polls + 1} of restore job ${jobId} in ${formatDuration(Math.max(0, (due - Date.now()) / 1000))}`,
            );
          countdown();
        },
        onFailure: (error) => progress.line(`poll failed, trying again: ${error.message}`),
      });
    } catch (error) {
      if (error instanceof WatchTimedOut) {
        throw new OperationFailedError(
          'timedOut',
          `restore job ${jobId} still running after --maxWaitMinutes ${flags.maxWaitMinutes}; it keeps running in Atlas`,
        );
      }
      throw error;
    } finally {
      clearInterval(ticking);
      progress.stop();
    }

    const { job, polls } = followed;
    const state = restoreJobState(job);
    const view = watchedJob(job, polls);
    if (flags.json) writeJson(context.stdout, view);
    else {
      writeFields(context.stdout, [
        ['ID', job.id],
        ['State', state],
        ['Delivery', job.deliveryType],
        ['Snapshot', job.snapshotId],
        ['Target', restoreTarget(job)],
        ['Submitted', view.submittedAt],
        ['Finished', job.finishedAt],
        ['RTO', formatDuration(view.rtoSeconds)],
        ['Expires', job.expiresAt],
        ['Polls', polls],
      ]);
    }
    if (state === 'completed' && job.deliveryType === 'download') {
      (context.stderr ?? process.stderr).write(
        `The download is ready${job.expiresAt ? ` until ${job.expiresAt}` : ''}; its links and how to fetch them: atlas-restore jobs describe ${job.id} --projectId ${flags.projectId} --clusterName ${flags.clusterName}\n`,
      );
    }
    if (state !== 'completed') throw new OperationFailedError(state, `restore job ${job.id} ${state}`);
  },
};

class WatchTimedOut extends Error {
  readonly code = 'WATCH_TIMED_OUT';

  constructor() {
    super('the watch reached --maxWaitMinutes');
    this.name = 'WatchTimedOut';
  }
}

/** Reads the job until it is no longer pending, sleeping the cadence's delay between reads. */
async function follow(
  jobId: string,
  loop: {
    read(deadline: number): Promise<RestoreJob>;
    /** Now on Atlas's clock (the Date of its latest answer). */
    atlasNow(): number;
    delaySeconds(runningSeconds: number): number;
    giveUpAt: number;
    onPending(polls: number, runningSeconds: number, delaySeconds: number): void;
    onFailure(error: AtlasApiError): void;
  },
): Promise<{ job: RestoreJob; polls: number }> {
  let failures = 0;
  for (let polls = 1; ; polls += 1) {
    try {
      const job = await loop.read(Date.now() + POLL_BUDGET_MS);
      failures = 0;
      if (restoreJobState(job) !== 'pending') return { job, polls };
    } catch (error) {
      // A job that cannot be read (wrong id, credentials) will not become readable: only transient errors wait.
      if (!(error instanceof AtlasApiError) || !error.retryable || ++failures >= MAX_FAILED_POLLS) throw error;
      loop.onFailure(error);
    }
    const running = Math.max(0, (loop.atlasNow() - atlasIdCreatedAt(jobId).getTime()) / 1000);
    const delaySeconds = loop.delaySeconds(running);
    if (Date.now() + delaySeconds * 1000 > loop.giveUpAt) throw new WatchTimedOut();
    loop.onPending(polls, running, delaySeconds);
    await sleep(delaySeconds * 1000);
  }
}

/** The job for scripts, without its download links: a watch often runs in CI logs, and a link is a credential. */
function watchedJob(job: RestoreJob, polls: number) {
  const { deliveryUrl: _links, components: _components, ...rest } = job;
  const submittedAt = atlasIdCreatedAt(job.id);
  const finishedAt = job.finishedAt === undefined ? Number.NaN : Date.parse(job.finishedAt);
  // Both ends on Atlas's clock (the id's creation second, finishedAt), as the workflow measures a restore's RTO.
  const rtoSeconds = Number.isFinite(finishedAt)
    ? Math.max(0, Math.round((finishedAt - submittedAt.getTime()) / 1000))
    : undefined;
  return {
    ...rest,
    state: restoreJobState(job),
    submittedAt: submittedAt.toISOString(),
    ...(rtoSeconds === undefined ? {} : { rtoSeconds }),
    polls,
  };
}

/** How often `watch --stack` reads the operation's ledger item, and how long it waits for an item not yet written. */
const DEFAULT_REFRESH_SECONDS = 10;
const APPEAR_WITHIN_MS = 60_000;

/** `--stack`, or ATLAS_RESTORE_STACK when the flags name no Atlas cluster: the id is an operation's, not a job's. */
function followsOperation(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const named = (flag: string) => args.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (named('--stack')) return true;
  return !named('--projectId') && !named('--clusterName') && stackFromEnvironment(env) !== undefined;
}

/** Follows an operation the deployed function runs, through the stack's ledger, as `start --stack` does. */
async function watchOperation(args: readonly string[], context: Parameters<CliCommand['run']>[1]): Promise<void> {
  const { flags, positionals } = parseCommandLine(args, {
    options: {
      stack: { type: 'string' },
      refreshSeconds: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    flags: z.object({
      stack: stackName.optional(),
      refreshSeconds: z.coerce.number().positive().max(3_600).optional(),
      json: z.boolean(),
    }),
    positionals: z.tuple([z.string().min(1, 'is required')], z.never({ error: 'unexpected extra argument' })),
    positionalNames: ['OPERATION_ID'],
  });
  const [operationId] = positionals;
  const stack = flags.stack ?? stackFromEnvironment(context.env);
  const deployed = await resolveDeployedStack({ stack }, context.env);
  if (deployed === undefined) throw new Error('watch: no deployed stack named');
  const ledger = deployedLedger(deployed, context.env);
  const progress = createProgress(context.stderr ?? process.stderr);
  const narrator = stepNarrator(progress.line);
  let operation: Awaited<ReturnType<typeof followOnStack>>;
  try {
    operation = await followOnStack(ledger, operationId, {
      refreshMs: (flags.refreshSeconds ?? DEFAULT_REFRESH_SECONDS) * 1000,
      appearWithinMs: APPEAR_WITHIN_MS,
      onStep: narrator.onStep,
    });
  } finally {
    progress.stop();
    ledger.close();
  }
  writeOperation(context.stdout, operation, flags.json);
  if (operation.outcome === 'succeeded' || operation.outcome === 'dryRun') return;
  throw new OperationFailedError(
    operation.outcome ?? 'pending',
    `restore ${describeOutcome(operation)} (operation ${operationId})`,
  );
}
