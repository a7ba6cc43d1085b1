import { randomBytes } from 'node:crypto';

/**
 * Mints ObjectIds as Atlas does: 4 bytes of creation time in seconds (here, simulated), 5 random bytes fixed per
 * generator, a 3-byte counter. The workflow reads a restore job's creation time from its id, so the time must be right.
 */
export class ObjectIdGenerator {
  readonly #processUnique = randomBytes(5).toString('hex');
  #counter = randomBytes(3).readUIntBE(0, 3);

  next(createdAtMs: number): string {
    this.#counter = (this.#counter + 1) % 0x1000000;
    const seconds = Math.floor(createdAtMs / 1000);
    return hex(seconds, 8) + this.#processUnique + hex(this.#counter, 6);
  }
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0').slice(-digits);
}
