import type { WorkflowConfig } from '../config.ts';
import type { InternalMessage } from '../contract/internal-messages.ts';
import type { ContractIssue } from '../contract/issues.ts';
import { clusterKey, type RestoreRequest } from '../contract/restore-request.ts';
import {
  classifyWorkMessage,
  identifiedRequest,
  parseWorkMessageBody,
  type Rejection,
} from '../contract/work-message.ts';
import { runReap } from './ephemeral/reap.ts';
import { runTeardown } from './ephemeral/teardown.ts';
import { WorkflowError } from './errors.ts';
import { type Operation, requestFingerprint } from './operation.ts';
import { runPoll, runWait } from './poll.ts';
import type { DeadLetter, Invocation, WorkflowDeps } from './ports.ts';
import { runStart } from './start.ts';
import {
  logAttributes,
  newToken,
  recordUnwrittenCalls,
  reportIfUnreported,
  resendPending,
  stepContext,
} from './steps.ts';
import { runVerify } from './verify-phase.ts';

/** What became of one message: for logs, tests and the local drill. Anything thrown means "retry it". */
export type MessageResult =
  | 'rejected'
  | 'processed'
  | 'resent'
  | 'duplicate'
  | 'stale'
  | 'finished-already'
  | 'unknown-operation';

export type DirectResult =
  | { readonly status: 'accepted'; readonly requestId: string }
  | { readonly status: 'rejected'; readonly code: string; readonly issues: readonly ContractIssue[] };

export interface RestoreService {
  /**
   * Handles one message of the work queue: a restore request (or an EventBridge event carrying one) or an internal
   * step message. Resolves when the message may be deleted (including when it was rejected and dead-lettered);
   * rejects when it must be delivered again.
   */
  handleMessage(body: string, origin: { readonly messageId: string }, invocation: Invocation): Promise<MessageResult>;
  /** A direct invocation: validated, then put on the work queue (one pipeline, one DLQ); never processed inline. */
  acceptDirect(event: unknown, origin: { readonly requestId: string }): Promise<DirectResult>;
}

/** The composition root of the workflow: the Lambda handler and the local consumer both run this. */
export function createRestoreService(deps: WorkflowDeps): RestoreService {
  async function reject(letter: DeadLetter): Promise<void> {
    // Counted first: should the dead letter fail to send, SQS redrives the message without its reason, and the
    // rejection must still show in RequestRejected.
    deps.reporter.rejected(letter);
    await deps.queue.deadLetter(letter);
  }

  async function runStep(operation: Operation, message: InternalMessage, invocation: Invocation): Promise<void> {
    const context = stepContext(deps, operation, invocation);
    try {
      if (message.kind === 'start') await runStart(context);
      else if (message.kind === 'poll') await runPoll(context);
      else if (message.kind === 'verify') await runVerify(context);
      else if (message.kind === 'teardown') await runTeardown(context);
      else await runWait(context, message);
    } finally {
      await recordUnwrittenCalls(context);
    }
  }

  async function handleInternal(
    message: InternalMessage,
    body: string,
    origin: string,
    invocation: Invocation,
  ): Promise<MessageResult> {
    const operation = await deps.ledger.get(message.operationId);
    const where = { operationId: message.operationId, step: message.step, kind: message.kind };
    if (operation === undefined) {
      // Never dropped in silence: its Atlas job may run on unfollowed (a ledger item deleted early, a message
      // redriven long after). An operator reads the dead letter and the job.
      deps.log.warn('message for an unknown operation dead-lettered', where);
      await reject({
        body,
        origin,
        code: 'UNKNOWN_OPERATION',
        issues: [
          {
            path: 'operationId',
            rule: 'unknown_operation',
            message: `operation ${message.operationId} is not in the ledger (step ${message.step}, ${message.kind}): its restore job, if any, is no longer followed`,
          },
        ],
      });
      return 'unknown-operation';
    }
    if (operation.outcome !== undefined) {
      await reportIfUnreported(deps, operation);
      deps.log.debug('message for a finished operation dropped', where);
      return 'finished-already';
    }
    if (operation.step === message.step && operation.stepToken === message.token) {
      const expected = operation.pending?.kind ?? 'start';
      if (message.kind !== expected) {
        deps.log.warn('message kind does not match the step; dropped', { ...where, expected });
        return 'stale';
      }
      await runStep(operation, message, invocation);
      return 'processed';
    }
    if (operation.step === message.step + 1 && operation.previousToken === message.token) {
      // A redelivery of the step before: its work is done; its follow-up may never have been sent.
      if (operation.handedOff) return 'duplicate';
      await resendPending(deps, operation);
      return 'resent';
    }
    if (message.step === operation.step + 1) {
      // A poll's follow-up is sent before the advance that records it: this message's advance is not written yet,
      // or its writer died first (then the redelivered poll advances with another token and this one turns stale).
      throw new WorkflowError(
        'STEP_NOT_RECORDED',
        message.operationId,
        `step ${message.step} is not recorded yet (the ledger is at step ${operation.step}); checking later`,
      );
    }
    deps.log.debug('stale message dropped', { ...where, currentStep: operation.step });
    return 'stale';
  }

  async function handleRequest(
    request: IdentifiedRequest,
    body: string,
    origin: string,
    invocation: Invocation,
  ): Promise<MessageResult> {
    const candidate = newOperation(request, deps.clock.now(), deps.config, newToken(deps));
    const { created, operation } = await deps.ledger.create(candidate);
    if (!created && operation.fingerprint !== candidate.fingerprint) {
      await reject({
        body,
        origin,
        code: 'REQUEST_CONFLICT',
        issues: [
          {
            path: 'requestId',
            rule: 'conflict',
            message: `requestId ${operation.operationId} was already used for a different request`,
          },
        ],
      });
      return 'rejected';
    }
    if (created)
      deps.log.info('restore request accepted', logAttributes(operation, { deliveryType: request.deliveryType }));
    if (operation.outcome !== undefined) {
      await reportIfUnreported(deps, operation);
      deps.log.info(
        'repeated request: the operation already finished',
        logAttributes(operation, { outcome: operation.outcome }),
      );
      return 'duplicate';
    }
    // The request message itself carries step 0: a redelivery runs the start again, or, if the start advanced but its
    // follow-up was never sent, sends it, as for any step (see the ledger's scheme).
    if (operation.step === 1 && !operation.handedOff) {
      await resendPending(deps, operation);
      return 'resent';
    }
    if (operation.step !== 0) {
      deps.log.info('repeated request: the operation is under way', logAttributes(operation));
      return 'duplicate';
    }
    await runStep(
      operation,
      { v: 1, kind: 'start', operationId: operation.operationId, step: 0, token: operation.stepToken },
      invocation,
    );
    return 'processed';
  }

  return {
    async handleMessage(body, origin, invocation) {
      const parsed = parseWorkMessageBody(body, { now: deps.clock.now() });
      if (!parsed.ok) {
        await reject(deadLetterOf(body, parsed, origin.messageId));
        return 'rejected';
      }
      if (parsed.kind === 'internal') {
        const { message } = parsed;
        if (message.kind !== 'reap') return handleInternal(message, body, origin.messageId, invocation);
        await runReap(deps, message, invocation);
        return 'processed';
      }
      const identified = identifiedRequest(parsed);
      if (!identified.ok) {
        await reject(deadLetterOf(body, identified, origin.messageId));
        return 'rejected';
      }
      return handleRequest(identified.request, body, origin.messageId, invocation);
    },

    async acceptDirect(event, origin) {
      const parsed = classifyWorkMessage(event, { now: deps.clock.now() });
      const body = safeStringify(event);
      if (!parsed.ok) {
        await reject(deadLetterOf(body, parsed, origin.requestId));
        return { status: 'rejected', code: parsed.code, issues: parsed.issues };
      }
      if (parsed.kind === 'internal') {
        const issues = [
          { path: 'v', rule: 'internal_message', message: 'internal messages are only read from the work queue' },
        ];
        await reject({ body, origin: origin.requestId, code: 'INVALID_REQUEST', issues });
        return { status: 'rejected', code: 'INVALID_REQUEST', issues };
      }
      const identified = identifiedRequest(parsed);
      if (!identified.ok) {
        await reject(deadLetterOf(body, identified, origin.requestId));
        return { status: 'rejected', code: identified.code, issues: identified.issues };
      }
      const request = identified.request;
      await deps.queue.enqueueRequest(request);
      deps.log.info('restore request queued', {
        operationId: request.requestId,
        cluster: clusterKey(request),
      });
      return { status: 'accepted', requestId: request.requestId };
    },
  };
}

/** A new operation at step 0, for a request that has its requestId. */
export function newOperation(
  request: IdentifiedRequest,
  now: number,
  config: WorkflowConfig,
  token: string,
): Operation {
  const maxWaitMinutes = request.maxWaitMinutes ?? config.defaultMaxWaitMinutes;
  return {
    operationId: request.requestId,
    request,
    fingerprint: requestFingerprint(request),
    clusterKey: clusterKey(request),
    requestedAt: now,
    deadlineAt: now + maxWaitMinutes * 60_000,
    expiresAt: Math.ceil(now / 1000) + config.ledgerRetentionDays * 86_400,
    step: 0,
    stepToken: token,
    // Stryker disable next-line BooleanLiteral: equivalent, unread at step 0 (only a later step's is): every advance sets it
    handedOff: false,
    deferAttempts: 0,
    polls: 0,
    atlasCalls: 0,
  };
}

export type IdentifiedRequest = RestoreRequest & { readonly requestId: string };

function deadLetterOf(body: string, rejection: Rejection, origin: string): DeadLetter {
  return { body, origin, code: rejection.code, issues: rejection.issues };
}

function safeStringify(event: unknown): string {
  try {
    return JSON.stringify(event) ?? String(event);
  } catch {
    return String(event);
  }
}
