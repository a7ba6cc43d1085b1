/**
 * `npm run soak [-- --seed N --operations N --ledger memory|dynamodb --explorer-runs N --ci]`: the chaos soak, then a
 * large sample of the random-interleaving explorer (test/explorer). Prints a table, writes
 * test/soak/results/latest.json, and exits non-zero when a restore job was duplicated, an operation was lost or never
 * reported, an explorer run broke an invariant, or a secret reached the logs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type ExplorerSummary, runExplorer } from '../explorer/sample.ts';
import { runSoak, type SoakReport } from './soak.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    operations: { type: 'string' },
    ledger: { type: 'string' },
    'explorer-runs': { type: 'string' },
    ci: { type: 'boolean', default: false },
    out: { type: 'string', default: new URL('./results/latest.json', import.meta.url).pathname },
  },
});

const seed = values.seed === undefined ? 20_261_128 : Number.parseInt(values.seed, 10);
const operations = values.operations === undefined ? 1_000 : Number.parseInt(values.operations, 10);
const ledger = values.ledger ?? 'dynamodb';
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(operations) || operations < 1) {
  console.error('usage: npm run soak -- [--seed N] [--operations N] [--ledger memory|dynamodb] [--ci]');
  process.exit(2);
}
if (ledger !== 'memory' && ledger !== 'dynamodb') {
  console.error(`--ledger must be memory or dynamodb, got ${ledger}`);
  process.exit(2);
}

const report = await runSoak({
  seed,
  operations,
  ledger,
  atlasFaultRate: 0.1,
  crashRate: 0.02,
  duplicateRate: 0.05,
  clusters: 24,
  windowHours: Math.max(1, operations / 40),
  // CI: two cores and a two-minute budget for the whole step; stop, unfinished, well before that.
  wallClockLimitMs: values.ci ? 90_000 : 30 * 60_000,
  onProgress: (message) => console.error(`soak: ${message}`),
});

// CI: about 10 s of the two-minute budget; locally a large sample (about 2 minutes on 2 cores).
const explorerRuns = Number.parseInt(values['explorer-runs'] ?? (values.ci ? '1500' : '20000'), 10);
const explorer = await runExplorer({
  firstSeed: 1,
  runs: explorerRuns,
  onProgress: (message) => console.error(`explorer: ${message}`),
});

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(values.out, `${JSON.stringify({ ...report, explorer }, null, 2)}\n`);
console.log(table(report));
console.log(`\n${explorerTable(explorer)}`);
console.log(`\nJSON: ${values.out}`);

const failures = [
  report.duplicateRestoreJobs > 0 && `${report.duplicateRestoreJobs} duplicate restore jobs`,
  report.sharedRestoreJobs > 0 && `${report.sharedRestoreJobs} restore jobs recorded by more than one operation`,
  report.operationsLost > 0 && `${report.operationsLost} operations lost (${report.lostOperations.join(', ')})`,
  report.unrecordedRestoreJobs > 0 && `${report.unrecordedRestoreJobs} restore jobs the ledger does not record`,
  report.operationsNeverReported > 0 &&
    `${report.operationsNeverReported} operations never reported (${report.neverReportedOperations.join(', ')})`,
  report.secretLeaks.length > 0 && `secrets in the logs: ${report.secretLeaks.join(', ')}`,
  !report.finished && 'the run did not finish within its time limit',
  explorer.failingRuns > 0 &&
    `${explorer.failingRuns} explorer runs broke an invariant (first: ${explorer.failures.slice(0, 3).join('\n\n')})`,
].filter((failure): failure is string => typeof failure === 'string');
if (failures.length > 0) {
  console.error(`\nSOAK FAILED: ${failures.join('; ')}`);
  process.exit(1);
}

function explorerTable(summary: ExplorerSummary): string {
  const rows: [string, string][] = [
    ['explorer runs (seeds)', `${summary.runs} (${summary.firstSeed} to ${summary.firstSeed + summary.runs - 1})`],
    ['  operations / deliveries', `${summary.operations} / ${summary.deliveries}`],
    ['  faults / crashes injected', `${summary.faults} / ${summary.crashes}`],
    ['  operations reported more than once', String(summary.reportedMoreThanOnce)],
    ['  runs breaking an invariant', String(summary.failingRuns)],
    ...Object.entries(summary.violations).map(([kind, count]): [string, string] => [`    ${kind}`, String(count)]),
    ['  wall clock (s)', String(summary.wallClockSeconds)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

function table(result: SoakReport): string {
  const rows: [string, string][] = [
    ['seed', String(result.seed)],
    ['ledger', result.ledger],
    ['operations', String(result.operations)],
    ...Object.entries(result.outcomes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, count]): [string, string] => [`  outcome: ${kind}`, String(count)]),
    ['duplicate restore jobs', String(result.duplicateRestoreJobs)],
    ['jobs recorded by 2+ operations', String(result.sharedRestoreJobs)],
    ['unrecorded restore jobs', String(result.unrecordedRestoreJobs)],
    ['operations lost', String(result.operationsLost)],
    ['operations with more than one report', String(result.operationsReportedMoreThanOnce)],
    ['operations never reported', String(result.operationsNeverReported)],
    ['dead letters (rejected / redriven)', `${result.deadLetters.rejected} / ${result.deadLetters.redriven}`],
    ['Atlas calls (API / token)', `${result.atlasCalls.api} / ${result.atlasCalls.token}`],
    ['Atlas calls faulted', `${result.atlasCalls.faulted} (${(result.atlasCalls.faultedShare * 100).toFixed(1)} %)`],
    ['retries (client / redeliveries)', `${result.retries.client} / ${result.retries.redeliveries}`],
    ['crashes injected', String(result.chaos.crashes)],
    ['duplicate deliveries', String(result.chaos.duplicateDeliveries)],
    ['credential rotations', String(result.chaos.credentialRotations)],
    ['Lambda invocations', String(result.invocations)],
    [
      'detection latency (simulated s)',
      `max ${result.detectionLatencySeconds.max}, p95 ${result.detectionLatencySeconds.p95}, p50 ${result.detectionLatencySeconds.p50}`,
    ],
    ['simulated hours', String(result.simulatedHours)],
    ['wall clock (s)', String(result.wallClockSeconds)],
    ['secrets in logs', result.secretLeaks.length === 0 ? 'none' : result.secretLeaks.join(', ')],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}
