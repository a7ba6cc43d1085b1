import * as z from 'zod';
import { requestId } from './restore-request.ts';

/**
 * Messages the workflow sends itself on the work queue. Versioned (`v`) so a deployment can read what the previous
 * one left in the queue. Each carries the step and step token it was sent for: the ledger drops stale ones.
 *
 * ```json
 * { "v": 1, "kind": "start", "operationId": "drill-2026-11-28", "step": 1, "token": "9b2f…" }
 * { "v": 1, "kind": "poll",  "operationId": "drill-2026-11-28", "step": 4, "token": "51c0…" }
 * { "v": 1, "kind": "wait",  "operationId": "drill-2026-11-28", "step": 9, "token": "e07d…",
 *   "until": 1764312345000, "next": "poll" }
 * { "v": 1, "kind": "verify", "operationId": "drill-2026-11-28", "step": 12, "token": "a41c…" }
 * ```
 * - start: check and submit (a start after a deferral is just a start at a later step).
 * - poll: read the restore job once.
 * - wait: one hop of a wait longer than SQS's 900 s delay; calls nothing, then sends `next` when `until` is near.
 * - verify (added in v1, after-restore phase): ask the verifier once, then read the ledger until its result is in.
 *   A deployment older than it dead-letters the message (INVALID_INTERNAL_MESSAGE): deploy before sending `verify`.
 */

const stepFields = {
  v: z.literal(1),
  operationId: requestId,
  step: z.int().min(0),
  token: z.string().min(1).max(64),
};

export const startMessage = z.strictObject({ ...stepFields, kind: z.literal('start') });
export const pollMessage = z.strictObject({ ...stepFields, kind: z.literal('poll') });
export const verifyMessage = z.strictObject({ ...stepFields, kind: z.literal('verify') });
export const waitMessage = z.strictObject({
  ...stepFields,
  kind: z.literal('wait'),
  /** Clock time (epoch ms) at which the waited-for step is due. */
  until: z.int().min(0),
  next: z.enum(['start', 'poll', 'verify']),
});

export const internalMessage = z.discriminatedUnion('kind', [startMessage, pollMessage, waitMessage, verifyMessage]);
export type InternalMessage = z.infer<typeof internalMessage>;
export type StartMessage = z.infer<typeof startMessage>;
export type PollMessage = z.infer<typeof pollMessage>;
export type WaitMessage = z.infer<typeof waitMessage>;
export type VerifyMessage = z.infer<typeof verifyMessage>;
export type StepKind = InternalMessage['kind'];
