import type { InternalMessage } from '../../../functions/core/contract/internal-messages.ts';
import type { RestoreRequest } from '../../../functions/core/contract/restore-request.ts';
import { SQS_MAX_DELAY_SECONDS } from '../../../functions/core/workflow/cadence.ts';
import type { Clock, DeadLetter, Queue } from '../../../functions/core/workflow/ports.ts';

export interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  /** Workflow clock ms at which it becomes visible. */
  dueAt: number;
  receiveCount: number;
}

/** A message SQS moved to the dead-letter queue after maxReceiveCount failed receives, with the last error. */
export interface RedrivenMessage {
  readonly message: QueuedMessage;
  readonly reason: string;
}

/**
 * The work queue as a discrete-event simulation on the workflow's clock, implementing the workflow's Queue port:
 * delays are honoured on the simulated clock, a message is visible again after the visibility timeout unless it was
 * acknowledged, and it is redriven to the dead-letter queue after maxReceiveCount receives. Rejections the workflow
 * dead-letters itself land in `deadLetters`.
 */
export class DiscreteEventQueue implements Queue {
  readonly deadLetters: DeadLetter[] = [];
  readonly redriven: RedrivenMessage[] = [];
  /** Every internal message sent, in order. */
  readonly sent: { readonly message: InternalMessage; readonly delaySeconds: number }[] = [];
  readonly #visible: QueuedMessage[] = [];
  readonly #clock: Clock;
  #ids = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async send(message: InternalMessage, delaySeconds: number): Promise<void> {
    if (!Number.isFinite(delaySeconds) || delaySeconds < 0 || delaySeconds > SQS_MAX_DELAY_SECONDS) {
      throw new RangeError(`SQS refuses DelaySeconds ${delaySeconds}`);
    }
    this.sent.push({ message, delaySeconds });
    this.put(JSON.stringify(message), delaySeconds * 1000);
  }

  async enqueueRequest(request: RestoreRequest): Promise<void> {
    this.put(JSON.stringify(request));
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    this.deadLetters.push(letter);
  }

  /** A message on the queue, visible after `delayMs` of workflow time; `id` repeats a message SQS delivers again. */
  put(body: string, delayMs = 0, id?: string): QueuedMessage {
    this.#ids += 1;
    const message = { id: id ?? `msg-${this.#ids}`, body, dueAt: this.#clock.now() + delayMs, receiveCount: 0 };
    this.#visible.push(message);
    return message;
  }

  get size(): number {
    return this.#visible.length;
  }

  /** When the next message becomes visible, if any. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const message of this.#visible) if (next === undefined || message.dueAt < next) next = message.dueAt;
    return next;
  }

  /** Receives up to `max` messages visible at `now`, earliest first (they are in flight until settled). */
  receive(now: number, max: number): QueuedMessage[] {
    const due = this.#visible
      .filter((message) => message.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id, 'en', { numeric: true }))
      .slice(0, max);
    for (const message of due) {
      this.#visible.splice(this.#visible.indexOf(message), 1);
      message.receiveCount += 1;
    }
    return due;
  }

  /** A failed receive: visible again after the visibility timeout, or redriven once it was received too often. */
  release(message: QueuedMessage, visibleAt: number, maxReceiveCount: number, reason: string): void {
    if (message.receiveCount >= maxReceiveCount) {
      this.redriven.push({ message, reason });
      return;
    }
    message.dueAt = visibleAt;
    this.#visible.push(message);
  }
}
