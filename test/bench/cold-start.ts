import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { restoreFunctionEnvironment } from '../../infra/lambda-environment.ts';
import { type BuiltBundle, type BundleKey, buildBundle } from './bundles.ts';
import { format, type SectionResult } from './report.ts';
import { median, ratio } from './stats.ts';

const PROBE = fileURLToPath(new URL('./cold-start-probe.ts', import.meta.url));

export interface ColdStartOptions {
  /** Measured starts per variant, after one warm-up each. */
  readonly runs: number;
  /** A scratch folder (bundles are written under it). */
  readonly workDir: string;
  /** Bundles already built in this run, reused instead of building again. */
  readonly bundles?: Partial<Record<BundleKey, BuiltBundle>>;
}

interface Probe {
  readonly importMs: number;
  readonly sinceProcessStartMs: number;
  readonly heapUsedBytes: number;
}

interface Variant {
  readonly label: string;
  readonly bundle: BundleKey;
  readonly env: Record<string, string>;
}

/**
 * Everything the function finds in its environment when it starts on Lambda: the stack's own variables (rendered by
 * infra/lambda-environment.ts, NODE_OPTIONS included) pointing at URLs nothing listens on, plus what Lambda sets.
 */
export function lambdaInitEnvironment(): Record<string, string> {
  const groupId = '5f1a2b3c4d5e6f7a8b9c0d1e';
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_LAMBDA_FUNCTION_NAME: 'atlas-restore-bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    ...restoreFunctionEnvironment(
      {
        atlasSecret: 'atlas-restore/credentials',
        atlasBaseUrl: 'http://127.0.0.1:9',
        allowedTargets: [`${groupId}/dr-drill`],
        sourceOverwriteAllowed: [],
        pollMinDelaySeconds: 60,
        pollMaxDelaySeconds: 900,
        deferMaxAttempts: 12,
        defaultMaxWaitMinutes: 720,
        cancelOnTimeout: false,
        ledgerRetentionDays: 400,
      },
      {
        workQueueUrl: 'http://127.0.0.1:9/000000000000/work',
        deadLetterQueueUrl: 'http://127.0.0.1:9/000000000000/dead-letters',
        ledgerTableName: 'atlas-restore-ledger',
      },
    ),
  };
}

function probe(bundleFile: string, env: Record<string, string>): Promise<Probe & { wallMs: number }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, [PROBE, bundleFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - startedAt;
      const line = stdout.trim().split('\n').at(-1);
      if (code !== 0 || line === undefined || line === '') {
        reject(new Error(`cold-start probe of ${bundleFile} exited ${code}: ${stderr.trim().slice(0, 2000)}`));
        return;
      }
      resolve({ ...(JSON.parse(line) as Probe), wallMs });
    });
  });
}

/** Section 1: asset size and cold init of the handler beside floor bundles built with the same settings. */
export async function measureColdStart(
  options: ColdStartOptions,
): Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'> & { figures: { initMs: number } }> {
  const keys: BundleKey[] = ['ours', 'floorSdk', 'floorLibraries', 'withPowertools', 'oursSdkExternal'];
  const bundles = {} as Record<BundleKey, BuiltBundle>;
  for (const key of keys) bundles[key] = options.bundles?.[key] ?? (await buildBundle(key, options.workDir));

  const deployed = lambdaInitEnvironment();
  const { NODE_OPTIONS: _sourceMaps, ...withoutSourceMaps } = deployed;
  const variants: Variant[] = [
    { label: 'restore-handler', bundle: 'ours', env: deployed },
    { label: 'floor (a): AWS SDK clients', bundle: 'floorSdk', env: deployed },
    { label: 'floor (b): SDK + undici + zod', bundle: 'floorLibraries', env: deployed },
    { label: '(b) + Powertools (diagnostic)', bundle: 'withPowertools', env: deployed },
    { label: 'restore-handler, no --enable-source-maps (diagnostic)', bundle: 'ours', env: withoutSourceMaps },
    { label: 'restore-handler, SDK external (diagnostic)', bundle: 'oursSdkExternal', env: deployed },
  ];

  const samples = new Map<string, (Probe & { wallMs: number })[]>(variants.map((variant) => [variant.label, []]));
  // Interleaved rounds: a noisy neighbour slows every variant of a round alike instead of one variant's whole series.
  for (let round = -1; round < options.runs; round += 1) {
    for (const variant of variants) {
      const result = await probe(bundles[variant.bundle].file, variant.env);
      if (round >= 0) samples.get(variant.label)?.push(result);
    }
  }

  const summary = variants.map((variant) => {
    const runs = samples.get(variant.label) ?? [];
    const bundle = bundles[variant.bundle];
    return {
      label: variant.label,
      bundle: variant.bundle,
      bytes: bundle.bytes,
      gzipBytes: bundle.gzipBytes,
      sourceMapBytes: bundle.sourceMapBytes,
      nodeOptions: variant.env.NODE_OPTIONS ?? '',
      runs: runs.length,
      importMsMedian: median(runs.map((run) => run.importMs)),
      processToHandlerMsMedian: median(runs.map((run) => run.sinceProcessStartMs)),
      wallMsMedian: median(runs.map((run) => run.wallMs)),
      heapUsedBytesMedian: median(runs.map((run) => run.heapUsedBytes)),
    };
  });
  const ours = summary[0];
  const row = (entry: (typeof summary)[number]) => [
    entry.label,
    format.kib(entry.bytes),
    format.kib(entry.gzipBytes),
    format.ms(entry.importMsMedian),
    format.ms(entry.processToHandlerMsMedian),
    format.ratio(ratio(ours?.bytes, entry.bytes)),
    format.ratio(ratio(ours?.importMsMedian, entry.importMsMedian)),
  ];

  const packageRows = bundles.ours.packages
    .slice(0, 8)
    .map((entry) => [entry.name, format.kib(entry.bytes), `${((entry.bytes / bundles.ours.bytes) * 100).toFixed(1)} %`]);

  return {
    section: '1. Cold start',
    status: 'measured',
    data: { variants: summary, packages: bundles.ours.packages },
    figures: { initMs: ours?.processToHandlerMsMedian ?? Number.NaN },
    tables: [
      {
        title: `Asset and init (median of ${options.runs} fresh ${process.version} processes after a warm-up, interleaved)`,
        columns: ['bundle', 'raw', 'gzip', 'init (import)', 'process → handler', 'ours/this size', 'ours/this init'],
        rows: summary.map(row),
      },
      {
        title: 'What the handler bundle is made of (esbuild metafile, minified bytes)',
        columns: ['package', 'bytes', 'share'],
        rows: packageRows,
      },
    ],
    notes: [
      'init (import) = `await import(bundle)` in a fresh process: module evaluation plus everything at module scope (config parse, clients, logger). process → handler adds Node bootstrap.',
      `Every bundle is built in this run with infra/handler-bundling.ts (minified ESM, source map, target node24); NODE_OPTIONS=${deployed.NODE_OPTIONS ?? '(none)'} as deployed, unless the row says otherwise.`,
      `Source map of the handler: ${format.kib(bundles.ours.sourceMapBytes)} (loaded at init when --enable-source-maps is on).`,
      'Lambda at 256 MB gets about 256/1769 of a vCPU: expect its Init Duration to be several times these local figures; the ratios are what carries over.',
    ],
  };
}
