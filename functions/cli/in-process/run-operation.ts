import { setTimeout as sleep } from 'node:timers/promises';
import type { AtlasApi } from '../../core/atlas/api.ts';
import type { WorkflowConfig } from '../../core/config.ts';
import type { InternalMessage } from '../../core/contract/internal-messages.ts';
import { describeContractIssues } from '../../core/contract/issues.ts';
import type { RestoreRequest } from '../../core/contract/restore-request.ts';
import { parseWorkMessageBody } from '../../core/contract/work-message.ts';
import { InMemoryLedger } from '../../core/ledger/memory-ledger.ts';
import { WorkflowError } from '../../core/workflow/errors.ts';
import type { Operation } from '../../core/workflow/operation.ts';
import {
  type DeadLetter,
  type Ledger,
  type Log,
  type Queue,
  type Reporter,
  systemClock,
  type WorkflowDeps,
} from '../../core/workflow/ports.ts';
import { createRestoreService } from '../../core/workflow/service.ts';
import { resendPending } from '../../core/workflow/steps.ts';

export interface InProcessOptions {
  readonly atlas: AtlasApi;
  readonly config: WorkflowConfig;
  readonly log: Log;
  readonly reporter: Reporter;
  /**
   * Where the operation is kept: a ledger that outlives the process (the CLI's ledger file) makes a second run with
   * the same requestId the same operation. Default: in memory, for this run only.
   */
  readonly ledger?: Ledger;
  /** Real ms each message may spend, Atlas retries included (a Lambda invocation's budget). */
  readonly stepBudgetMs: number;
  /** Receives of a message before the run gives up on it (the work queue's maxReceiveCount). */
  readonly maxReceives?: number;
  /** Real ms before a message the workflow asked to retry is delivered again (the queue's visibility timeout). */
  readonly redeliveryDelayMs?: number;
  /** The ledger's state after every message. */
  readonly onStep?: (operation: Operation) => void;
  /** Told before the run sleeps until the next message is due (real epoch ms). */
  readonly onWait?: (dueAt: number, message: InternalMessage | undefined) => void;
  /** Told when a message failed and will be delivered again. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** Ends the run early, once this holds (e.g. the job was submitted and the operator does not want to watch). */
  readonly until?: (operation: Operation) => boolean;
}

/** The run stopped because a message kept failing, or was refused, before the operation reached an outcome. */
export class InProcessRunError extends Error {
  readonly code: 'MESSAGE_DEAD_LETTERED' | 'MESSAGE_FAILED' | 'NO_OUTCOME';

  constructor(code: InProcessRunError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InProcessRunError';
    this.code = code;
  }
}

interface LocalMessage {
  readonly id: string;
  readonly body: string;
  /** Real epoch ms at which it becomes visible. */
  dueAt: number;
  receives: number;
}

/**
 * Runs one restore operation in this process, on the workflow's own composition root (createRestoreService): the
 * queue and the ledger live in memory, the clock is real, and a message the workflow asks to retry (WorkflowError) is
 * delivered again after a delay, as SQS does. Resolves with the operation when it has an outcome (or when `until`
 * holds); rejects with the first other error, which the Atlas client has already retried.
 */
export async function runOperationInProcess(
  request: RestoreRequest & { readonly requestId: string },
  options: InProcessOptions,
): Promise<Operation> {
  const messages: LocalMessage[] = [];
  const deadLetters: DeadLetter[] = [];
  let ids = 0;
  const put = (body: string, delayMs: number) => {
    ids += 1;
    messages.push({ id: `local-${ids}`, body, dueAt: Date.now() + delayMs, receives: 0 });
  };
  const queue: Queue = {
    async send(message, delaySeconds) {
      put(JSON.stringify(message), delaySeconds * 1000);
    },
    async enqueueRequest(queued) {
      put(JSON.stringify(queued), 0);
    },
    async deadLetter(letter) {
      deadLetters.push(letter);
    },
  };
  const ledger = options.ledger ?? new InMemoryLedger();
  const deps: WorkflowDeps = {
    atlas: options.atlas,
    queue,
    ledger,
    clock: systemClock,
    config: options.config,
    log: options.log,
    reporter: options.reporter,
  };
  const service = createRestoreService(deps);
  /** Steps this run took up again from the ledger, and how often: a step that never moves on ends the run. */
  let resumed = { step: -1, times: 0 };
  const maxReceives = options.maxReceives ?? 5;
  const redeliveryDelayMs = options.redeliveryDelayMs ?? 30_000;

  put(JSON.stringify(request), 0);
  for (;;) {
    messages.sort((a, b) => a.dueAt - b.dueAt);
    const message = messages.shift();
    if (message === undefined) {
      // An operation an earlier run (or another terminal) left under way: its next message lived in that process's
      // queue. Take it up again from the ledger's `pending`; step tokens make a second follower harmless.
      const current = await ledger.get(request.requestId);
      if (current?.outcome !== undefined || current?.pending === undefined) break;
      resumed =
        current.step === resumed.step ? { ...resumed, times: resumed.times + 1 } : { step: current.step, times: 1 };
      if (resumed.times > maxReceives) break;
      await resendPending(deps, current);
      continue;
    }
    const waitMs = message.dueAt - Date.now();
    if (waitMs > 0) {
      options.onWait?.(message.dueAt, internalMessageOf(message.body));
      await sleep(waitMs);
    }
    message.receives += 1;
    try {
      await service.handleMessage(
        message.body,
        { messageId: message.id },
        { deadline: Date.now() + options.stepBudgetMs },
      );
    } catch (error) {
      // The workflow's own "not now" (a claim whose POST may be in flight, an unconfirmed submission) waits and
      // retries, as SQS would; anything else already had the Atlas client's retries, and an operator wants it now.
      if (!(error instanceof WorkflowError)) throw error;
      if (message.receives >= maxReceives) {
        throw new InProcessRunError(
          'MESSAGE_FAILED',
          `gave up after ${message.receives} attempts: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      options.onRetry?.(error, message.receives);
      message.dueAt = Date.now() + redeliveryDelayMs;
      messages.push(message);
    }
    // Refused (by the contract, or a requestId already used for a different request): whatever the ledger holds
    // under that id is not this request's operation.
    const letter = deadLetters[0];
    if (letter) throw deadLettered(letter);
    const operation = await ledger.get(request.requestId);
    if (operation === undefined) continue;
    options.onStep?.(operation);
    if (operation.outcome !== undefined || options.until?.(operation)) return operation;
  }
  throw new InProcessRunError('NO_OUTCOME', `operation ${request.requestId} stopped without an outcome`);
}

function deadLettered(letter: DeadLetter): InProcessRunError {
  return new InProcessRunError('MESSAGE_DEAD_LETTERED', `${letter.code}: ${describeContractIssues(letter.issues)}`);
}

function internalMessageOf(body: string): InternalMessage | undefined {
  const parsed = parseWorkMessageBody(body, { now: systemClock.now() });
  return parsed.ok && parsed.kind === 'internal' && parsed.message.kind !== 'reap' ? parsed.message : undefined;
}
