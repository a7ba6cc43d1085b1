import { explore, formatFailure } from './explorer.ts';

export interface ExplorerSummary {
  readonly firstSeed: number;
  readonly runs: number;
  readonly operations: number;
  readonly deliveries: number;
  readonly faults: number;
  readonly crashes: number;
  /** Operations whose outcome was reported more than once (allowed). */
  readonly reportedMoreThanOnce: number;
  readonly failingRuns: number;
  /** Violations that fail a run, by kind. */
  readonly violations: Record<string, number>;
  /** The first failing runs, printed with their replay command. */
  readonly failures: readonly string[];
  readonly wallClockSeconds: number;
}

/** Runs the explorer over seeds `firstSeed`… and sums it up (`npm run soak`). */
export async function runExplorer(options: {
  readonly firstSeed: number;
  readonly runs: number;
  readonly onProgress?: (message: string) => void;
}): Promise<ExplorerSummary> {
  const startedAt = Date.now();
  let lastProgress = startedAt;
  const totals = { operations: 0, deliveries: 0, faults: 0, crashes: 0, reportedMoreThanOnce: 0, failingRuns: 0 };
  const violations: Record<string, number> = {};
  const failures: string[] = [];
  for (let seed = options.firstSeed; seed < options.firstSeed + options.runs; seed += 1) {
    const result = await explore(seed);
    totals.operations += result.stats.operations;
    totals.deliveries += result.stats.deliveries;
    totals.faults += result.stats.faults;
    totals.crashes += result.stats.crashes;
    totals.reportedMoreThanOnce += result.stats.reportedMoreThanOnce;
    const failing = result.violations;
    if (failing.length > 0) {
      totals.failingRuns += 1;
      for (const violation of failing) violations[violation.kind] = (violations[violation.kind] ?? 0) + 1;
      if (failures.length < 5) failures.push(formatFailure(result, 40));
    }
    if (Date.now() - lastProgress > 5_000) {
      lastProgress = Date.now();
      options.onProgress?.(`${seed - options.firstSeed + 1}/${options.runs} runs, ${totals.failingRuns} failing`);
    }
  }
  return {
    firstSeed: options.firstSeed,
    runs: options.runs,
    ...totals,
    violations,
    failures,
    wallClockSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
  };
}
