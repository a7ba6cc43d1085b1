import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { OrchestratorConfig } from '../../infra/config.ts';
import { restoreFunctionEnvironment } from '../../infra/lambda-environment.ts';
import { SimulatedClock, startAtlasSimulator } from '../atlas-simulator/index.ts';
import { startLocalAws } from '../support/local-aws.ts';
import { type BuiltBundle, type BundleKey, buildBundle } from './bundles.ts';
import { format, type SectionResult } from './report.ts';
import { startSecretsManager } from './secrets-manager.ts';
import { median, ratio } from './stats.ts';
import { allowedTargets, drillRequest, restorePairs, seedPairs } from './world.ts';

const PROBE = fileURLToPath(new URL('./cold-start-probe.ts', import.meta.url));

export interface ColdStartOptions {
  /** Measured starts per variant, after one warm-up each. */
  readonly runs: number;
  /** A scratch folder (bundles are written under it). */
  readonly workDir: string;
  /** The deployed configuration (cdk.json): the function's environment is rendered from it. */
  readonly config: OrchestratorConfig;
  /** Bundles already built in this run, reused instead of building again. */
  readonly bundles?: Partial<Record<BundleKey, BuiltBundle>>;
  /**
   * Also time process start → first message handled: a restore request (the start step: the secret, an Atlas token,
   * five Atlas calls, the ledger, one send) against local servers. Default true.
   */
  readonly firstMessage?: boolean;
  /** The handler at an earlier commit (`--baseline`), measured beside it as it was deployed then. */
  readonly baseline?: { readonly bundle: BuiltBundle; readonly env: Record<string, string> };
}

interface Probe {
  readonly importMs: number;
  readonly sinceProcessStartMs: number;
  readonly heapUsedBytes: number;
  /** Process start → the first message's handler call resolved (first-message variants only). */
  readonly firstMessageMs?: number;
}

interface Variant {
  readonly label: string;
  readonly bundle: BundleKey;
  readonly env: Record<string, string>;
  /** The first message of each run (one per run: every run is a new operation), or none. */
  readonly firstMessages?: readonly string[];
}

const SECRET_ID = 'atlas-restore/bench-cold';
const WEEK_MS = 7 * 24 * 3_600_000;

/** Local Atlas, SQS, DynamoDB and Secrets Manager for first messages, and the environment that points at them. */
async function firstMessageWorld(config: OrchestratorConfig, messages: number) {
  const sim = await startAtlasSimulator({
    clock: new SimulatedClock(),
    rateLimit: false,
    durations: { automatedRestoreMs: WEEK_MS },
  });
  const aws = await startLocalAws({ prefix: `bench-cold-${process.pid}` });
  const { credentials, groupId } = sim.seed;
  const secrets = await startSecretsManager(
    SECRET_ID,
    JSON.stringify({ clientId: credentials.clientId, clientSecret: credentials.clientSecret }),
  );
  const pairs = restorePairs('c', messages);
  seedPairs(sim, groupId, pairs);
  const env = {
    ...lambdaInitEnvironment(config),
    ATLAS_SECRET_ID: SECRET_ID,
    ATLAS_BASE_URL: sim.baseUrl,
    WORK_QUEUE_URL: aws.workQueueUrl,
    DEAD_LETTER_QUEUE_URL: aws.deadLetterQueueUrl,
    LEDGER_TABLE_NAME: aws.tableName,
    ALLOWED_TARGETS: allowedTargets(groupId, pairs).join(','),
    ALLOWED_SOURCES: `${groupId}/*`,
    AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    BENCH_QUEUE_ARN: aws.workQueueArn,
  };
  return {
    env,
    requests: pairs.map((pair) => JSON.stringify(drillRequest(groupId, pair))),
    close: async () => {
      await secrets.close();
      await aws.stop();
      await sim.close();
    },
  };
}

/**
 * Everything the function finds in its environment when it starts on Lambda: the stack's own variables (rendered by
 * infra/lambda-environment.ts from the deployed configuration, NODE_OPTIONS included) with resource names pointing at
 * URLs nothing listens on, plus what Lambda itself sets.
 */
export function lambdaInitEnvironment(config: OrchestratorConfig): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_LAMBDA_FUNCTION_NAME: 'atlas-restore-bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    ...restoreFunctionEnvironment(config, {
      workQueueUrl: 'http://127.0.0.1:9/000000000000/work',
      deadLetterQueueUrl: 'http://127.0.0.1:9/000000000000/dead-letters',
      ledgerTableName: 'atlas-restore-ledger',
    }),
    ATLAS_BASE_URL: 'http://127.0.0.1:9',
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
  const chain: BundleKey[] = ['floorSdk', 'floorLibraries', 'withPowertools', 'ours'];
  const libraries: BundleKey[] = ['undici', 'undiciAgentOnly', 'zod', 'zodMini', 'ourSchemas'];
  const otherFunctions: BundleKey[] = ['verifier', 'heartbeatWriter'];
  const bundles = {} as Record<BundleKey, BuiltBundle>;
  for (const key of [...chain, 'oursSdkExternal' as const, ...libraries, ...otherFunctions]) {
    bundles[key] = options.bundles?.[key] ?? (await buildBundle(key, options.workDir));
  }

  const deployed = lambdaInitEnvironment(options.config);
  const { NODE_OPTIONS: _sourceMaps, ...withoutSourceMaps } = deployed;
  const firstMessageVariants = options.baseline ? 2 : 1;
  const world =
    options.firstMessage === false
      ? undefined
      : await firstMessageWorld(options.config, (options.runs + 1) * firstMessageVariants);
  try {
    return await measureWith(options, bundles, chain, libraries, otherFunctions, deployed, withoutSourceMaps, world);
  } finally {
    await world?.close();
  }
}

async function measureWith(
  options: ColdStartOptions,
  bundles: Record<BundleKey, BuiltBundle>,
  chain: BundleKey[],
  libraries: BundleKey[],
  otherFunctions: BundleKey[],
  deployed: Record<string, string>,
  withoutSourceMaps: Record<string, string>,
  world: Awaited<ReturnType<typeof firstMessageWorld>> | undefined,
): Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'> & { figures: { initMs: number } }> {
  const firstMessageLabel = `${bundles.ours.name}: first message (a restore request)`;
  const baseline = options.baseline;
  const baselineLabel = baseline ? `${baseline.bundle.name}, as deployed then` : '';
  const baselineFirstLabel = baseline ? `${baseline.bundle.name}: first message` : '';
  const files: Record<string, string> = Object.fromEntries(
    Object.entries(bundles).map(([key, bundle]) => [key, bundle.file]),
  );
  if (baseline) files.baseline = baseline.bundle.file;
  const half = world ? Math.floor(world.requests.length / (options.baseline ? 2 : 1)) : 0;
  const variants: (Omit<Variant, 'bundle'> & { bundle: BundleKey | 'baseline' })[] = [
    ...(world
      ? [
          {
            label: firstMessageLabel,
            bundle: 'ours' as const,
            env: world.env,
            firstMessages: world.requests.slice(0, half),
          },
        ]
      : []),
    ...(baseline ? [{ label: baselineLabel, bundle: 'baseline' as const, env: { ...deployed, ...baseline.env } }] : []),
    ...(baseline && world
      ? [
          {
            label: baselineFirstLabel,
            bundle: 'baseline' as const,
            env: { ...world.env, ...baseline.env },
            firstMessages: world.requests.slice(half),
          },
        ]
      : []),
    // As deployed (the function's environment, NODE_OPTIONS included): the comparison the section is about.
    ...chain.map((key) => ({ label: bundles[key].name, bundle: key, env: deployed })),
    { label: bundles.oursSdkExternal.name, bundle: 'oursSdkExternal', env: deployed },
    // Without source maps, to split the init into its parts, and single libraries.
    ...chain.map((key) => ({ label: `${bundles[key].name}, no source maps`, bundle: key, env: withoutSourceMaps })),
    ...libraries.map((key) => ({ label: bundles[key].name, bundle: key, env: withoutSourceMaps })),
  ];

  const samples = new Map<string, (Probe & { wallMs: number })[]>(variants.map((variant) => [variant.label, []]));
  // Interleaved rounds: a noisy neighbour slows every variant of a round alike instead of one variant's whole series.
  for (let round = -1; round < options.runs; round += 1) {
    for (const variant of variants) {
      const message = variant.firstMessages?.[round + 1];
      const env = message === undefined ? variant.env : { ...variant.env, BENCH_FIRST_MESSAGE: message };
      const result = await probe(files[variant.bundle] ?? '', env);
      if (round >= 0) samples.get(variant.label)?.push(result);
    }
  }

  const summary = variants.map((variant) => {
    const runs = samples.get(variant.label) ?? [];
    const bundle = variant.bundle === 'baseline' && baseline ? baseline.bundle : bundles[variant.bundle as BundleKey];
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
      firstMessageMsMedian: median(
        runs.flatMap((run) => (run.firstMessageMs === undefined ? [] : [run.firstMessageMs])),
      ),
      heapUsedBytesMedian: median(runs.map((run) => run.heapUsedBytes)),
    };
  });
  const entry = (label: string) => summary.find((candidate) => candidate.label === label);
  const ours = entry(bundles.ours.name);
  const deployedRows = [...chain.slice(-1), ...chain.slice(0, -1), 'oursSdkExternal' as const].map((key) => {
    const row = entry(bundles[key].name);
    return [
      bundles[key].name,
      format.kib(row?.bytes ?? Number.NaN),
      format.kib(row?.gzipBytes ?? Number.NaN),
      format.ms(row?.importMsMedian ?? Number.NaN),
      format.ms(row?.processToHandlerMsMedian ?? Number.NaN),
      format.ratio(ratio(ours?.bytes, row?.bytes)),
      format.ratio(ratio(ours?.importMsMedian, row?.importMsMedian)),
    ];
  });

  const bare = (key: BundleKey) => entry(`${bundles[key].name}, no source maps`)?.importMsMedian ?? Number.NaN;
  const budgetRows = [
    ['AWS SDK clients (floor a)', format.ms(bare('floorSdk'))],
    ['+ zod, Powertools Logger, Metrics, Batch ((c) − floor a)', format.ms(bare('withPowertools') - bare('floorSdk'))],
    ['+ our code (its zod schemas, config, composition)', format.ms(bare('ours') - bare('withPowertools'))],
    [
      `+ deployed NODE_OPTIONS (${deployed.NODE_OPTIONS ?? 'none'})`,
      format.ms((ours?.importMsMedian ?? Number.NaN) - bare('ours')),
    ],
    ['= restore-handler as deployed', format.ms(ours?.importMsMedian ?? Number.NaN)],
    ['(for reference: floor b − floor a, undici and zod)', format.ms(bare('floorLibraries') - bare('floorSdk'))],
  ];
  const first = entry(firstMessageLabel);
  const before = baseline ? entry(baselineLabel) : undefined;
  const beforeFirst = baseline ? entry(baselineFirstLabel) : undefined;
  const beforeAfter = (name: string, then: number | undefined, now: number | undefined) => [
    name,
    format.ms(then ?? Number.NaN),
    format.ms(now ?? Number.NaN),
    format.ratio(ratio(now, then)),
  ];
  const beforeAfterRows = before
    ? [
        [
          'bundle (raw)',
          format.kib(before.bytes),
          format.kib(ours?.bytes ?? Number.NaN),
          format.ratio(ratio(ours?.bytes, before.bytes)),
        ],
        beforeAfter('init (import)', before.importMsMedian, ours?.importMsMedian),
        beforeAfter('process → handler ready', before.processToHandlerMsMedian, ours?.processToHandlerMsMedian),
        beforeAfter('process → first message handled', beforeFirst?.firstMessageMsMedian, first?.firstMessageMsMedian),
        beforeAfter(
          'first message alone',
          (beforeFirst?.firstMessageMsMedian ?? Number.NaN) - (beforeFirst?.processToHandlerMsMedian ?? Number.NaN),
          (first?.firstMessageMsMedian ?? Number.NaN) - (first?.processToHandlerMsMedian ?? Number.NaN),
        ),
      ]
    : [];
  const floorInit = (key: BundleKey) => entry(bundles[key].name)?.processToHandlerMsMedian ?? Number.NaN;
  const firstMessageRows = first
    ? [
        [
          'process → handler ready',
          format.ms(first.processToHandlerMsMedian),
          format.ratio(ratio(first.processToHandlerMsMedian, floorInit('floorSdk'))),
          format.ratio(ratio(first.processToHandlerMsMedian, floorInit('floorLibraries'))),
        ],
        [
          'process → first message handled',
          format.ms(first.firstMessageMsMedian),
          format.ratio(ratio(first.firstMessageMsMedian, floorInit('floorSdk'))),
          format.ratio(ratio(first.firstMessageMsMedian, floorInit('floorLibraries'))),
        ],
        [
          'first message alone (the difference)',
          format.ms(first.firstMessageMsMedian - first.processToHandlerMsMedian),
          '',
          '',
        ],
      ]
    : [];
  const libraryRows = libraries.map((key) => [
    bundles[key].name,
    format.kib(bundles[key].bytes),
    format.ms(entry(bundles[key].name)?.importMsMedian ?? Number.NaN),
  ]);
  const packageRows = bundles.ours.packages
    .slice(0, 8)
    .map((item) => [item.name, format.kib(item.bytes), `${((item.bytes / bundles.ours.bytes) * 100).toFixed(1)} %`]);

  const otherFunctionRows = otherFunctions.map((key) => {
    const bundle = bundles[key];
    const driver = bundle.packages
      .filter((item) => item.name === 'mongodb' || item.name === 'bson')
      .reduce((sum, item) => sum + item.bytes, 0);
    return [
      bundle.name,
      format.kib(bundle.bytes),
      format.kib(bundle.gzipBytes),
      format.kib(bundle.sourceMapBytes),
      `${format.kib(driver)} (${((driver / bundle.bytes) * 100).toFixed(1)} %)`,
    ];
  });
  const restoreDriverBytes = bundles.ours.packages
    .filter((item) => item.name === 'mongodb' || item.name === 'bson')
    .reduce((sum, item) => sum + item.bytes, 0);

  return {
    section: '1. Cold start',
    status: 'measured',
    data: {
      variants: summary,
      packages: bundles.ours.packages,
      otherFunctions: otherFunctions.map((key) => ({
        name: bundles[key].name,
        bytes: bundles[key].bytes,
        gzipBytes: bundles[key].gzipBytes,
        sourceMapBytes: bundles[key].sourceMapBytes,
        packages: bundles[key].packages.slice(0, 8),
      })),
      restoreHandlerDriverBytes: restoreDriverBytes,
    },
    figures: { initMs: ours?.processToHandlerMsMedian ?? Number.NaN },
    tables: [
      {
        title: `Asset and init as deployed (median of ${options.runs} fresh ${process.version} processes after a warm-up, interleaved)`,
        columns: ['bundle', 'raw', 'gzip', 'init (import)', 'process → handler', 'ours/this size', 'ours/this init'],
        rows: deployedRows,
      },
      ...(before
        ? [
            {
              title: `Before and after, this run: ${baseline?.bundle.name} (NODE_OPTIONS=${baseline?.env.NODE_OPTIONS ?? '(none)'}) against today's handler as deployed`,
              columns: ['measure', 'baseline', 'now', 'now / baseline'],
              rows: beforeAfterRows,
            },
          ]
        : []),
      ...(first
        ? [
            {
              title: `Process start → first message handled (median of ${options.runs} fresh processes, each a new restore request, interleaved with the rows above)`,
              columns: [
                'restore-handler, as deployed',
                'ms',
                '/ floor (a) process → handler',
                '/ floor (b) process → handler',
              ],
              rows: firstMessageRows,
            },
          ]
        : []),
      {
        title:
          'Where the init time goes (differences of medians, each without source maps, then the deployed NODE_OPTIONS; ± a few ms)',
        columns: ['part', 'init (import)'],
        rows: budgetRows,
      },
      {
        title: 'Single libraries on their own (same settings, no source maps)',
        columns: ['module', 'raw', 'init (import)'],
        rows: libraryRows,
      },
      {
        title: 'What the handler bundle is made of (esbuild metafile, minified bytes)',
        columns: ['package', 'bytes', 'share'],
        rows: packageRows,
      },
      {
        title: `The verified-drill functions' own bundles (same settings; the restore handler carries ${format.kib(restoreDriverBytes)} of mongodb and bson)`,
        columns: ['bundle', 'raw', 'gzip', 'source map', 'mongodb + bson'],
        rows: otherFunctionRows,
      },
    ],
    notes: [
      "init (import) = `await import(bundle)` in a fresh process: module evaluation plus everything at module scope (config parse, clients, logger). process → handler adds Node bootstrap: the closest local analogue of Lambda's Init Duration.",
      `Every bundle is built in this run with infra/handler-bundling.ts (minified ESM, source map, target node24) and started with the function's environment (NODE_OPTIONS=${deployed.NODE_OPTIONS ?? '(none)'}). Source map of the handler: ${format.kib(bundles.ours.sourceMapBytes)}, shipped beside it and read on the first logged stack (functions/core/reporting/source-maps.ts).`,
      'First message: the deployed environment pointed at a local Atlas simulator, fauxqs, dynalite and a Secrets Manager stub; the handler gets one SQS record, a new restore request, and runs its start step (secret read, Atlas token, 5 Atlas calls, ledger writes, one send), so every library the first Atlas and AWS calls load on first use is counted. The floors import and construct only: the ratio is against their init.',
      'Lambda at 256 MB gets about 256/1769 of a vCPU: expect its Init Duration to be several times these local figures; the ratios are what carries over.',
    ],
  };
}
