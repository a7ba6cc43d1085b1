import * as z from 'zod';
import { clusterKey } from '../../core/contract/restore-request.ts';
import { type Operation, requestFingerprint } from '../../core/workflow/operation.ts';
import type { Log, Reporter } from '../../core/workflow/ports.ts';
import type { IdentifiedRequest } from '../../core/workflow/service.ts';
import { type CliCommand, parseCommandLine, UsageError } from '../command.ts';
import {
  type DeployedStack,
  deployedLedger,
  deployedStackFlags,
  deployedStackOptions,
  followOnStack,
  resolveDeployedStack,
  sendToStack,
  stackFromEnvironment,
} from '../deployed-stack.ts';
import { runOperationInProcess } from '../in-process/run-operation.ts';
import { describeOutcome } from '../operation-narrative.ts';
import { stepNarrator, writeOperation } from '../operation-report.ts';
import { OperationFailedError, RequestConflictError } from '../outcome-error.ts';
import { writeFields, writeJson } from '../output.ts';
import { createProgress } from '../progress.ts';
import {
  deliveryTypeArgument,
  newRequestId,
  restoreRequestFlags,
  restoreRequestFromFlags,
  restoreRequestOptions,
} from '../restore-flags.ts';
import { clusterKeyText, terminalWorkflowConfig } from '../workflow-settings.ts';

/** A step's budget for Atlas calls, retries included: what a Lambda invocation would give it. */
const STEP_BUDGET_SECONDS = 60;

export const start: CliCommand = {
  name: 'start',
  summary:
    'Run a restore from this machine with the same workflow as the Lambda (or on the deployed stack), and follow it to its outcome',
  usage:
    'automated|download|pointInTime --projectId ID --clusterName NAME [--snapshotId ID|latest] [--targetProjectId ID --targetClusterName NAME] [--pointInTimeUTCSeconds S | --oplogTs S --oplogInc N] [--allowTarget ID/NAME]... [--allowSourceOverwrite] [--dry-run] [--no-watch] [--requestId ID] [--maxWaitMinutes N] [--ledger PATH | --stack NAME | --queueUrl URL --tableName NAME [--refreshSeconds S]] [--json]',
  help: [
    'Runs the deployed workflow’s own steps in this process (snapshot check, deferral while a snapshot is being taken,',
    'guardrails, one submission, polls at the same cadence) with an in-memory queue and a ledger file: --ledger PATH,',
    'else $XDG_STATE_HOME/atlas-restore/ledger.db (~/.local/state/… without it). A requestId is one operation across',
    'runs: run again, it reports the finished outcome or takes the operation up where it stopped, and refuses a',
    'different request under the same id; `atlas-restore history` lists the file. Step lines go to',
    'stderr, the outcome to stdout. The target is OVERWRITTEN: it must be allowed with --allowTarget or ALLOWED_TARGETS',
    '(comma-separated PROJECT_ID/CLUSTER_NAME), and a restore onto the source also needs --allowSourceOverwrite.',
    'POLL_MIN_DELAY_SECONDS, POLL_MAX_DELAY_SECONDS, DEFER_MAX_ATTEMPTS and DEFAULT_MAX_WAIT_MINUTES apply as in the',
    'Lambda. Ctrl-C stops following; a submitted job keeps running in Atlas (follow it with `watch`).',
    '',
    'On the deployed stack instead: --stack NAME or ATLAS_RESTORE_STACK (its outputs WorkQueueUrl and LedgerTableName, read with',
    'CloudFormation DescribeStacks) or --queueUrl URL --tableName NAME. The request goes to the stack’s work queue',
    '(unless its requestId is already in the stack’s ledger), the deployed function runs it with its own allow-list,',
    'and this command follows the ledger item every --refreshSeconds (default 10); the restore lands in the same',
    'ledger and history as the drills. --no-watch returns once the request is sent.',
    '',
    'Exit status: 0 succeeded (or dry run, or submitted with --no-watch), 1 failed, refused, cancelled, expired or',
    'timed out, 2 bad flags or request.',
    '',
    'Examples:',
    '  atlas-restore start automated --projectId 5f1a2b3c4d5e6f7a8b9c0d1e --clusterName prod --snapshotId latest \\',
    '      --targetProjectId 5f1a2b3c4d5e6f7a8b9c0d1e --targetClusterName dr-drill \\',
    '      --allowTarget 5f1a2b3c4d5e6f7a8b9c0d1e/dr-drill',
    '  atlas-restore start pointInTime --projectId 5f1a2b3c4d5e6f7a8b9c0d1e --clusterName prod \\',
    '      --pointInTimeUTCSeconds 1764300000 --targetProjectId 5f1a2b3c4d5e6f7a8b9c0d1e --targetClusterName dr-drill \\',
    '      --allowTarget 5f1a2b3c4d5e6f7a8b9c0d1e/dr-drill --dry-run',
    '  atlas-restore start download --projectId 5f1a2b3c4d5e6f7a8b9c0d1e --clusterName prod --no-watch --json',
  ].join('\n'),
  async run(args, context) {
    const { flags, positionals } = parseCommandLine(args, {
      options: {
        ...restoreRequestOptions,
        ...deployedStackOptions,
        allowTarget: { type: 'string', multiple: true, default: [] },
        allowSourceOverwrite: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'no-watch': { type: 'boolean', default: false },
        ledger: { type: 'string' },
        refreshSeconds: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      flags: restoreRequestFlags.extend({
        ...deployedStackFlags.shape,
        allowTarget: z.array(clusterKeyText),
        allowSourceOverwrite: z.boolean(),
        'dry-run': z.boolean(),
        'no-watch': z.boolean(),
        ledger: z.string().min(1, 'must be a file path').optional(),
        refreshSeconds: z.coerce.number().min(0.1, 'must be 0.1 or more').max(3600).optional(),
        json: z.boolean(),
      }),
      positionals: z.tuple([deliveryTypeArgument], z.never({ error: 'unexpected extra argument' })),
      positionalNames: ['DELIVERY_TYPE'],
    });
    const request = restoreRequestFromFlags(positionals[0], flags, { dryRun: flags['dry-run'] });
    const requestId = request.requestId ?? newRequestId();
    const identified = { ...request, requestId };
    const onThisMachine =
      flags.queueUrl || flags.tableName || flags.ledger || flags.allowTarget.length > 0 || flags.allowSourceOverwrite;
    const stack = flags.stack ?? (onThisMachine ? undefined : stackFromEnvironment(context.env));
    const deployed = await resolveDeployedStack({ ...flags, stack }, context.env);
    if (deployed !== undefined) {
      const local =
        flags.allowTarget.length > 0
          ? 'allowTarget'
          : flags.allowSourceOverwrite
            ? 'allowSourceOverwrite'
            : flags.ledger
              ? 'ledger'
              : undefined;
      if (local) throw new UsageError(`--${local}: not with a deployed stack (its own allow-list and ledger apply)`);
    } else if (flags.refreshSeconds !== undefined) {
      throw new UsageError('--refreshSeconds: only with --stack or --queueUrl and --tableName');
    }
    const config = deployed
      ? undefined
      : terminalWorkflowConfig(context.env, {
          allowTargets: flags.allowTarget,
          ...(flags.allowSourceOverwrite ? { sourceOverwrite: clusterKey(request) } : {}),
          stepBudgetSeconds: STEP_BUDGET_SECONDS,
        });

    const ledger = deployed ? deployedLedger(deployed, context.env) : await localLedger(flags.ledger, context.env);
    const stderr = context.stderr ?? process.stderr;
    const progress = createProgress(stderr);
    const narrator = stepNarrator(progress.line);
    const onStep = narrator.onStep;
    const interrupted = () => {
      progress.stop();
      stderr.write(`atlas-restore: interrupted; ${whatIsLeft(narrator.last, deployed)}\n`);
      process.exit(130);
    };
    process.once('SIGINT', interrupted);
    let operation: Operation | undefined;
    let messageId: string | undefined;
    try {
      const earlier = await ledger.get(requestId);
      if (earlier !== undefined) announceEarlier(earlier, identified, progress.line);
      if (deployed !== undefined) {
        if (earlier === undefined) {
          messageId = await sendToStack(deployed, identified, context.env);
          progress.line(`sent to the work queue of ${deployed.origin} (message ${messageId}, operation ${requestId})`);
        }
        operation = flags['no-watch']
          ? earlier
          : await followOnStack(ledger, requestId, {
              refreshMs: (flags.refreshSeconds ?? DEFAULT_REFRESH_SECONDS) * 1000,
              appearWithinMs: APPEAR_WITHIN_MS,
              onStep,
            });
      } else {
        operation = await runOperationInProcess(identified, {
          atlas: context.atlas(),
          // Set whenever no stack is: the run is on this machine.
          config: config as NonNullable<typeof config>,
          ledger,
          log: warningsTo(progress.line),
          reporter: silentReporter,
          stepBudgetMs: STEP_BUDGET_SECONDS * 1000,
          onStep,
          onWait(dueAt, message) {
            progress.status(
              `${message?.kind === 'poll' ? 'next poll' : 'next check'} at ${new Date(dueAt).toISOString()}`,
            );
          },
          onRetry(error, attempt) {
            progress.line(`attempt ${attempt} failed, trying again: ${error instanceof Error ? error.message : error}`);
          },
          ...(flags['no-watch'] ? { until: (next: Operation) => next.restoreJobId !== undefined } : {}),
        });
      }
    } finally {
      process.off('SIGINT', interrupted);
      progress.stop();
      ledger.close();
    }

    if (operation === undefined) {
      // Sent to a deployed stack with --no-watch: the function takes it from here.
      const queued = { operationId: requestId, state: 'queued', messageId, queueUrl: deployed?.queueUrl };
      if (flags.json) return writeJson(context.stdout, queued);
      writeFields(context.stdout, [
        ['Operation', requestId],
        ['Outcome', 'queued'],
        ['Message', messageId],
      ]);
      context.stdout.write(`Follow it with: atlas-restore history --tableName ${deployed?.tableName}\n`);
      return;
    }
    writeOperation(context.stdout, operation, flags.json);
    if (operation.outcome === undefined || operation.outcome === 'succeeded' || operation.outcome === 'dryRun') return;
    const hint = operation.outcome === 'refused' ? `; ${deployed ? DEPLOYED_REFUSAL_HINT : REFUSAL_HINT}` : '';
    throw new OperationFailedError(
      operation.outcome,
      `restore ${describeOutcome(operation)} (operation ${requestId})${hint}`,
    );
  },
};

/** How often a run on a deployed stack reads the operation's ledger item. */
const DEFAULT_REFRESH_SECONDS = 10;
/** A request the function has not recorded after this long is not being read (or was refused). */
const APPEAR_WITHIN_MS = 5 * 60_000;

const DEPLOYED_REFUSAL_HINT =
  "the deployed function's ALLOWED_TARGETS (allowedTargets in cdk.json) must allow the target";

/** Loaded here, not at the CLI's start: node:sqlite is for the commands that keep operations on this machine. */
async function localLedger(path: string | undefined, env: NodeJS.ProcessEnv) {
  const { SqliteLedger, defaultLedgerPath } = await import('../ledger/sqlite-ledger.ts');
  return new SqliteLedger(path ?? defaultLedgerPath(env));
}

/**
 * A requestId already in the ledger is that operation: a different request under it is refused before anything is
 * sent or submitted; the same one is reported (finished) or taken up (under way).
 */
function announceEarlier(earlier: Operation, request: IdentifiedRequest, line: (text: string) => void): void {
  const since = new Date(earlier.requestedAt).toISOString();
  if (earlier.fingerprint !== requestFingerprint(request)) {
    throw new RequestConflictError(
      `requestId ${request.requestId} was already used for a different request (requested ${since}): choose another --requestId`,
    );
  }
  line(
    earlier.outcome === undefined
      ? `operation ${request.requestId} is under way (requested ${since}): taking it up where it stopped`
      : `operation ${request.requestId} already finished (${earlier.outcome}, requested ${since}): nothing is submitted again`,
  );
}

const REFUSAL_HINT =
  'allow the target with --allowTarget PROJECT_ID/CLUSTER_NAME (or ALLOWED_TARGETS), and a restore onto the source with --allowSourceOverwrite';

/** After Ctrl-C: what runs on in Atlas (or in the deployed stack) without us. */
function whatIsLeft(operation: Operation | undefined, deployed: DeployedStack | undefined): string {
  if (deployed !== undefined) {
    return `the deployed function goes on with it; read it with: atlas-restore history --tableName ${deployed.tableName}`;
  }
  if (operation?.restoreJobId !== undefined) {
    const { groupId, clusterName } = operation.request;
    return `restore job ${operation.restoreJobId} keeps running in Atlas; follow it with: atlas-restore watch ${operation.restoreJobId} --projectId ${groupId} --clusterName ${clusterName}`;
  }
  return 'no restore job was recorded (if a submission was in flight, `atlas-restore jobs list` shows it)';
}

/** The workflow's warnings as progress lines; its info and debug lines are what the narrative already tells. */
function warningsTo(line: (text: string) => void): Log {
  const warn = (message: string, ...attributes: Record<string, unknown>[]) => {
    const details = Object.assign({}, ...attributes) as Record<string, unknown>;
    const error = details.error instanceof Error ? details.error.message : details.error;
    line(`warning: ${message}${error ? `: ${String(error)}` : ''}`);
  };
  return { debug() {}, info() {}, warn, error: warn };
}

/** Outcomes and deferrals are read from the ledger; metrics belong to the deployed function, not to a terminal. */
const silentReporter: Reporter = { outcome() {}, deferred() {}, rejected() {} };
