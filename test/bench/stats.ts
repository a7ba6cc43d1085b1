/** Order statistics for bench samples. Percentiles use linear interpolation between closest ranks (type 7, as in R and numpy). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (rank - lower);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function sum(samples: readonly number[]): number {
  let total = 0;
  for (const sample of samples) total += sample;
  return total;
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : sum(samples) / samples.length;
}

export interface Distribution {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export function distribution(samples: readonly number[]): Distribution {
  return { n: samples.length, p50: median(samples), p99: percentile(samples, 99), mean: mean(samples) };
}

/** `a / b`, or NaN when either side is missing or b is zero, so a missing figure never looks like a good ratio. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}
