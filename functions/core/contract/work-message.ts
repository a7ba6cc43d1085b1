import * as z from 'zod';
import { type AnyInternalMessage, internalMessage } from './internal-messages.ts';
import { type ContractIssue, contractIssues, formatPath } from './issues.ts';
import {
  pointInTimeIssues,
  RESTORE_REQUEST_KEYS,
  type RestoreRequest,
  restoreRequestSchema,
} from './restore-request.ts';

/** Why a message was refused; a stable code for the dead-letter queue's attributes and for tests. */
export type RejectionCode = 'MALFORMED_JSON' | 'INVALID_REQUEST' | 'INVALID_EVENT' | 'INVALID_INTERNAL_MESSAGE';

export type WorkMessage =
  | {
      readonly ok: true;
      readonly kind: 'request';
      readonly request: RestoreRequest;
      /** The EventBridge event id when the request came as an event's `detail`. */
      readonly eventId?: string;
    }
  | { readonly ok: true; readonly kind: 'internal'; readonly message: AnyInternalMessage };

export type Rejection = { readonly ok: false; readonly code: RejectionCode; readonly issues: readonly ContractIssue[] };

const eventBridgeEnvelope = z.looseObject({
  'detail-type': z.string(),
  source: z.string(),
  id: z.string().min(1),
  detail: z.unknown(),
});

/** What parsing a request needs besides the message: the receiver's clock (epoch ms), for points in time. */
export interface ParseContext {
  readonly now: number;
}

/** Parses an SQS message body on the work queue. Never throws: a bad body is a Rejection naming the field and rule. */
export function parseWorkMessageBody(body: string, context: ParseContext): WorkMessage | Rejection {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    // The SyntaxError names a position, never quotes enough of the body to matter; keep only its message.
    const message = error instanceof Error ? error.message : 'not JSON';
    return { ok: false, code: 'MALFORMED_JSON', issues: [{ path: '(message)', rule: 'json', message }] };
  }
  return classifyWorkMessage(value, context);
}

/**
 * A parsed message: an internal message (has `v`), an EventBridge event (has `detail-type` or `detail`: the request
 * is its `detail`), or else a restore request.
 */
export function classifyWorkMessage(value: unknown, context: ParseContext): WorkMessage | Rejection {
  if (isRecord(value) && 'v' in value) {
    const parsed = internalMessage.safeParse(value, { reportInput: true });
    return parsed.success
      ? { ok: true, kind: 'internal', message: parsed.data }
      : { ok: false, code: 'INVALID_INTERNAL_MESSAGE', issues: contractIssues(parsed.error) };
  }
  if (isRecord(value) && ('detail-type' in value || 'detail' in value)) {
    const envelope = eventBridgeEnvelope.safeParse(value, { reportInput: true });
    if (!envelope.success) return { ok: false, code: 'INVALID_EVENT', issues: contractIssues(envelope.error) };
    const request = parseRestoreRequest(envelope.data.detail, context, ['detail']);
    return request.ok ? { ...request, eventId: envelope.data.id } : request;
  }
  return parseRestoreRequest(value, context);
}

/** Validates a restore request; issue paths start with `prefix` (`detail` inside an event). */
export function parseRestoreRequest(
  value: unknown,
  context: ParseContext,
  prefix: readonly PropertyKey[] = [],
): { ok: true; kind: 'request'; request: RestoreRequest } | Rejection {
  const parsed = restoreRequestSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      code: 'INVALID_REQUEST',
      issues: contractIssues(parsed.error, { prefix, knownKeys: RESTORE_REQUEST_KEYS }),
    };
  }
  const inTheFuture = pointInTimeIssues(parsed.data, context.now);
  if (inTheFuture.length > 0) {
    const issues = inTheFuture.map((issue) => ({ ...issue, path: formatPath([...prefix, issue.path]) }));
    return { ok: false, code: 'INVALID_REQUEST', issues };
  }
  return { ok: true, kind: 'request', request: parsed.data };
}

/** Why a request without requestId is refused; the sentence a producer reads in the dead letter. */
export const REQUEST_ID_REQUIRED =
  'required: choose it once, before the first send, and reuse it on every retry (a retried send without one would start a second restore)';

/**
 * The requestId is the idempotency key, and there is no default. An id taken from the carrier (SQS message id,
 * EventBridge event id, Lambda request id) is new on every attempt when the producer's SDK retries a SendMessage,
 * PutEvents or Invoke whose answer was lost: a second operation, and later a second restore onto the target.
 */
export function identifiedRequest(
  message: Extract<WorkMessage, { kind: 'request' }>,
): { ok: true; request: RestoreRequest & { readonly requestId: string } } | Rejection {
  const { request } = message;
  if (request.requestId !== undefined) return { ok: true, request: { ...request, requestId: request.requestId } };
  const path = message.eventId === undefined ? 'requestId' : 'detail.requestId';
  return { ok: false, code: 'INVALID_REQUEST', issues: [{ path, rule: 'required', message: REQUEST_ID_REQUIRED }] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
