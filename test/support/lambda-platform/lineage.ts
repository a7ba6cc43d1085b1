/**
 * Lambda's recursive loop detection, modelled. In Lambda, the AWS SDK sends the invocation's X-Ray trace header with
 * every call it makes (@aws-sdk/core's recursionDetectionMiddleware); SQS keeps it on the message as the
 * AWSTraceHeader system attribute, and the header's Lineage counts the Lambda invocations the chain went through.
 * When a message would start about the 17th invocation of one chain, Lambda stops it if the function's RecursiveLoop
 * is Terminate (the default) and the message goes the way of a failed one: to the queue's dead-letter queue.
 *
 * Here each local invocation runs inside an AsyncLocalStorage scope holding the lineage of the message(s) that
 * started it, so that concurrent invocations in one process never see each other's: a message sent while an
 * invocation runs carries that lineage + 1, as the SDK's header does for the Lambda that sent it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { QueueConsumerPlatform } from './deployed.ts';

/** Invocations of one chain after which Lambda stops it ("approximately 16"; the model takes exactly 16). */
export const RECURSION_LIMIT = 16;

export interface InvocationScope {
  /** The lineage of the message(s) that started this invocation: 0 for a message no Lambda sent. */
  readonly lineage: number;
  /** Real ms (the loop's clock) at which Lambda ends the invocation; nothing it sends afterwards leaves it. */
  readonly killedAt: number;
  /** The loop's real clock. */
  readonly now: () => number;
  /** Set when the loop ended the invocation at its timeout (a timer may fire a millisecond before `killedAt`). */
  killed?: boolean;
}

const scope = new AsyncLocalStorage<InvocationScope>();

/** Runs one invocation's code with its scope (lineage, deadline). */
export function runInvocation<T>(invocation: InvocationScope, body: () => Promise<T>): Promise<T> {
  return scope.run(invocation, body);
}

/** The invocation the caller runs in, if any. */
export function currentInvocation(): InvocationScope | undefined {
  return scope.getStore();
}

/** The lineage a message sent now carries: one more than the invocation sending it; 0 outside any invocation. */
export function lineageOfSend(): number {
  const invocation = scope.getStore();
  return invocation === undefined ? 0 : invocation.lineage + 1;
}

/** Whether a send now comes from an invocation Lambda already ended at its timeout. */
export function sentAfterKill(): boolean {
  const invocation = scope.getStore();
  return invocation !== undefined && (invocation.killed === true || invocation.now() > invocation.killedAt);
}

/**
 * The lineage of an invocation of several records: the highest of theirs (no public source says how Lambda combines
 * a batch's trace headers; the highest is the stricter reading).
 */
export function invocationLineage(lineages: readonly number[]): number {
  return lineages.reduce((highest, lineage) => Math.max(highest, lineage), 0);
}

/** Whether Lambda refuses to invoke the function for a message of this lineage. */
export function stopsRecursion(platform: Pick<QueueConsumerPlatform, 'function'>, lineage: number): boolean {
  return platform.function.recursiveLoop === 'Terminate' && lineage >= RECURSION_LIMIT;
}

/** An X-Ray trace header carrying `lineage` (the Lineage field as the model writes it: `<function hash>:<count>`). */
export function traceHeader(lineage: number, root = '1-00000000-000000000000000000000000'): string {
  return `Root=${root};Sampled=0;Lineage=a87bd80c:${lineage}`;
}

/** The lineage an AWSTraceHeader carries: 0 when there is none. */
export function lineageOfHeader(header: string | undefined): number {
  const match = /(?:^|;)Lineage=(?:[^;]*:)?(\d+)(?:;|$)/.exec(header ?? '');
  return match ? Number(match[1]) : 0;
}

/** Why Lambda stopped a message, as the dead-letter reason of the model. */
export const RECURSION_STOPPED = 'Lambda stopped a recursive invocation loop (RecursiveLoop: Terminate)';
