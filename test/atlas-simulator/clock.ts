/**
 * Simulated time. It runs `scale` simulated ms per real ms from `start`, and `advance` jumps it forward,
 * so a test steps hours of Atlas lifecycles in an instant and `npm start` can run a drill fast.
 */
export class SimulatedClock {
  #anchorSimulated: number;
  #anchorReal: number;
  #scale: number;

  constructor(options: { start?: number; scale?: number } = {}) {
    this.#anchorSimulated = options.start ?? Date.now();
    this.#anchorReal = performance.now();
    this.#scale = validScale(options.scale ?? 1);
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return Math.floor(this.#anchorSimulated + (performance.now() - this.#anchorReal) * this.#scale);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance needs a finite, non-negative ms, got ${ms}`);
    this.#rebase();
    this.#anchorSimulated += ms;
  }

  /** Simulated ms per real ms from now on; 0 freezes the clock (only `advance` moves it). */
  setScale(scale: number): void {
    this.#rebase();
    this.#scale = validScale(scale);
  }

  #rebase(): void {
    this.#anchorSimulated = this.now();
    this.#anchorReal = performance.now();
  }
}

function validScale(scale: number): number {
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`scale must be finite and >= 0, got ${scale}`);
  return scale;
}
