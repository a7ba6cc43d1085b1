import type { CheckResult, VerificationMessage } from '../../../../functions/core/contract/verification.ts';
import { overallVerdict } from '../../../../functions/core/contract/verification.ts';
import type { Clock, Ledger, VerificationQueue } from '../../../../functions/core/workflow/ports.ts';

/**
 * The verifier as the restore chain sees it: a queue that takes its messages, and results that appear in the
 * ledger (through `recordInventory` / `recordVerification`, the verifier's own calls) `answerAfterMs` after a
 * `verify` message, observed by the chain's next read (`observe` wraps the ledger so a read first lets the verifier
 * record what is due). `checks: 'never'` never answers.
 */
export class FakeVerifier implements VerificationQueue {
  readonly received: { message: VerificationMessage; at: number }[] = [];
  checks: readonly CheckResult[] | 'never' = [
    { name: 'heartbeat-rpo', verdict: 'pass', reason: 'newest heartbeat 42 s before the snapshot' },
  ];
  achievedRpoSeconds: number | undefined = 42;
  answerAfterMs = 2 * 60_000;
  /** Whether the source's inventory is recorded (at once) when asked. */
  recordsInventory = true;
  readonly #due: { operationId: string; at: number }[] = [];
  readonly #clock: Clock;
  #ledger: Ledger | undefined;
  /** Results this verifier's writes recorded (true) or found recorded already (false). */
  readonly writes: boolean[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async send(message: VerificationMessage): Promise<void> {
    this.received.push({ message, at: this.#clock.now() });
    if (message.kind === 'verify')
      this.#due.push({ operationId: message.operationId, at: this.#clock.now() + this.answerAfterMs });
    else if (this.recordsInventory)
      await this.#ledger?.recordInventory(message.operationId, {
        capturedAt: this.#clock.now(),
        collections: [],
        truncated: false,
      });
  }

  /** Records the results due by now. */
  async settle(): Promise<void> {
    const ledger = this.#ledger;
    if (ledger === undefined || this.checks === 'never') return;
    const now = this.#clock.now();
    for (const due of this.#due.filter((entry) => entry.at <= now)) {
      this.#due.splice(this.#due.indexOf(due), 1);
      const checks = [...this.checks];
      this.writes.push(
        await ledger.recordVerification(due.operationId, {
          verdict: overallVerdict(checks),
          checks,
          ...(this.achievedRpoSeconds !== undefined ? { achievedRpoSeconds: this.achievedRpoSeconds } : {}),
          recordedAt: now,
        }),
      );
    }
  }

  /** `ledger`, with the verifier's due results recorded before each read. */
  observe<T extends Ledger>(ledger: T): T {
    this.#ledger = ledger;
    return new Proxy(ledger, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'get' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return async (operationId: string) => {
          await this.settle();
          return value.call(target, operationId);
        };
      },
    });
  }
}
