import type { InternalMessage } from '../../../functions/core/contract/internal-messages.ts';
import type { RestoreRequest } from '../../../functions/core/contract/restore-request.ts';
import type { Clock, DeadLetter, Queue } from '../../../functions/core/workflow/ports.ts';
import { lineageOfSend, sentAfterKill } from '../../support/lambda-platform/lineage.ts';
import { checkDelaySeconds } from '../../support/lambda-platform/sqs-rules.ts';

export interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  /** Workflow clock ms at which it becomes visible. */
  dueAt: number;
  receiveCount: number;
  /** Workflow clock ms of its latest receive: its visibility timeout runs from there. */
  receivedAt?: number;
  /** Lambda invocations in the chain that sent it (its AWSTraceHeader's Lineage): 0 if no invocation sent it. */
  readonly lineage: number;
}

/** A message SQS moved to the dead-letter queue after maxReceiveCount failed receives, with the last error. */
export interface RedrivenMessage {
  readonly message: QueuedMessage;
  readonly reason: string;
}

export interface QueueSettings {
  /** The work queue's visibility timeout, ms of workflow time. */
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
}

/** Sent by an invocation Lambda already ended at its timeout: in Lambda that code never runs. */
export class InvocationKilledError extends Error {
  readonly code = 'INVOCATION_KILLED';

  constructor() {
    super('the invocation was ended at its timeout before this send');
    this.name = 'InvocationKilledError';
  }
}

/**
 * The work queue as a discrete-event simulation on the workflow's clock, implementing the workflow's Queue port:
 * delays are honoured on the simulated clock (and refused above SQS's 900 s), a received message is invisible for
 * the visibility timeout from its receive, then visible again unless it was deleted with its latest receipt (so a
 * message can be received again while its first copy still runs), and it is redriven to the dead-letter queue after
 * maxReceiveCount receives. Each message carries the lineage of the invocation that sent it, plus one. Rejections the
 * workflow dead-letters itself land in `deadLetters`.
 */
export class DiscreteEventQueue implements Queue {
  readonly deadLetters: DeadLetter[] = [];
  readonly redriven: RedrivenMessage[] = [];
  /** Every internal message sent, in order. */
  readonly sent: { readonly message: InternalMessage; readonly delaySeconds: number; readonly lineage: number }[] = [];
  readonly #visible: QueuedMessage[] = [];
  /** Received messages, not deleted: visible again at the time each maps to. */
  readonly #inFlight = new Map<QueuedMessage, number>();
  readonly #clock: Clock;
  readonly #settings: QueueSettings;
  #ids = 0;

  constructor(clock: Clock, settings: QueueSettings) {
    this.#clock = clock;
    this.#settings = settings;
  }

  async send(message: InternalMessage, delaySeconds: number): Promise<void> {
    if (sentAfterKill()) throw new InvocationKilledError();
    // The adapter sends whole seconds (rounded up); SQS refuses anything outside 0..900.
    checkDelaySeconds(Math.ceil(delaySeconds));
    const lineage = lineageOfSend();
    this.sent.push({ message, delaySeconds, lineage });
    this.put(JSON.stringify(message), delaySeconds * 1000, undefined, lineage);
  }

  async enqueueRequest(request: RestoreRequest): Promise<void> {
    if (sentAfterKill()) throw new InvocationKilledError();
    this.put(JSON.stringify(request), 0, undefined, lineageOfSend());
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    if (sentAfterKill()) throw new InvocationKilledError();
    this.deadLetters.push(letter);
  }

  /** A message on the queue, visible after `delayMs` of workflow time; `id` repeats a message SQS delivers again. */
  put(body: string, delayMs = 0, id?: string, lineage = 0): QueuedMessage {
    this.#ids += 1;
    const message = {
      id: id ?? `msg-${this.#ids}`,
      body,
      dueAt: this.#clock.now() + delayMs,
      receiveCount: 0,
      lineage,
    };
    this.#visible.push(message);
    return message;
  }

  /** Messages waiting, visible or in flight. */
  get size(): number {
    return this.#visible.length + this.#inFlight.size;
  }

  /** When the next message becomes visible, if any. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const message of this.#visible) if (next === undefined || message.dueAt < next) next = message.dueAt;
    for (const visibleAt of this.#inFlight.values()) if (next === undefined || visibleAt < next) next = visibleAt;
    return next;
  }

  /**
   * Receives up to `max` messages visible at `now` (a test may look ahead), earliest first; they are in flight from
   * the clock's now until deleted or released.
   */
  receive(now: number, max: number): QueuedMessage[] {
    const again = [...this.#inFlight].filter(([, visibleAt]) => visibleAt <= now).map(([message]) => message);
    const due = [...this.#visible.filter((message) => message.dueAt <= now), ...again]
      .sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id, 'en', { numeric: true }))
      .slice(0, max);
    return this.take(due);
  }

  /** Receives these messages now (a test choosing what one invocation gets). */
  take(messages: readonly QueuedMessage[]): QueuedMessage[] {
    const now = this.#clock.now();
    for (const message of messages) {
      const index = this.#visible.indexOf(message);
      if (index >= 0) this.#visible.splice(index, 1);
      message.receiveCount += 1;
      message.receivedAt = now;
      this.#inFlight.set(message, now + this.#settings.visibilityTimeoutMs);
    }
    return [...messages];
  }

  /** The latest receive of `message`: deletes and releases with an older one do not take effect. */
  receipt(message: QueuedMessage): number {
    return message.receiveCount;
  }

  /** Deletes a processed message, if `receipt` is still its latest receive (SQS ignores older receipt handles). */
  delete(message: QueuedMessage, receipt: number): void {
    if (receipt === message.receiveCount) this.#inFlight.delete(message);
  }

  /**
   * A failed receive: visible again when its visibility timeout (counted from the receive) ends, or redriven once it
   * was received maxReceiveCount times. A release with an older receipt changes nothing: a newer copy is in flight.
   */
  release(message: QueuedMessage, receipt: number, reason: string): void {
    if (receipt !== message.receiveCount || !this.#inFlight.has(message)) return;
    this.#inFlight.delete(message);
    if (message.receiveCount >= this.#settings.maxReceiveCount) {
      this.redriven.push({ message, reason });
      return;
    }
    message.dueAt = (message.receivedAt ?? this.#clock.now()) + this.#settings.visibilityTimeoutMs;
    this.#visible.push(message);
  }

  /** Moves a message to the dead-letter queue now (Lambda refused to invoke the function for it). */
  redrive(message: QueuedMessage, reason: string): void {
    this.#inFlight.delete(message);
    const index = this.#visible.indexOf(message);
    if (index >= 0) this.#visible.splice(index, 1);
    this.redriven.push({ message, reason });
  }
}
