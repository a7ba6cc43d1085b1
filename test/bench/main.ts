/**
 * `npm run bench`: cold start, warm cost per message, polling efficiency, scale and cost per drill, in one run,
 * each beside a floor measured side by side (the machine is small and noisy: ratios and medians, not absolutes).
 *
 *   npm run bench                          everything (a few minutes)
 *   npm run bench -- --quick               fewer samples, for iterating
 *   npm run bench -- --only polling        one section (repeatable): cold-start | warm | polling | scale | cost
 *   npm run bench -- --requests 200        concurrent restore requests in the scale section (default 500)
 *   npm run bench -- --scale 20            simulated ms per real ms in the scale section (default 2)
 *   npm run bench -- --baseline <git-ref>  also the handler at that commit, side by side (cold start: init, first
 *                                          message), started with --baseline-node-options (default --enable-source-maps,
 *                                          as deployed before issue 17)
 *
 * Writes test/bench/results/latest.json and latest.md, and prints the tables.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../infra/handler-bundling.ts';
import { deployedPlatform } from '../support/lambda-platform/deployed.ts';
import { type BuiltBundle, buildBaselineBundle, buildBundle } from './bundles.ts';
import { measureColdStart } from './cold-start.ts';
import { measureCost } from './cost.ts';
import { deployedConfig } from './deployment.ts';
import { measurePolling, type PollingFigures } from './polling.ts';
import { type BenchReport, notMeasured, renderText, type SectionResult, writeReport } from './report.ts';
import { measureScale } from './scale.ts';
import { measureWarmCost, type WarmCostFigures } from './warm-cost.ts';

const SECTIONS = ['cold-start', 'warm', 'polling', 'scale', 'cost'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    requests: { type: 'string', default: '500' },
    scale: { type: 'string', default: '2' },
    baseline: { type: 'string' },
    'baseline-node-options': { type: 'string', default: '--enable-source-maps' },
  },
  strict: true,
});

const only = (values.only ?? []).flatMap((value) => value.split(','));
for (const name of only) {
  if (!(SECTIONS as readonly string[]).includes(name)) {
    throw new Error(`--only ${name}: expected one of ${SECTIONS.join(', ')}`);
  }
}
const positiveInteger = (flag: string, text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} must be a positive integer, got ${text}`);
  return value;
};
const requests = positiveInteger('requests', values.requests);
const clockScale = positiveInteger('scale', values.scale);
const quick = values.quick;
const selected = (section: Section) => only.length === 0 || only.includes(section);

type Measured = Omit<SectionResult & { status: 'measured' }, 'seconds'>;

/** Runs a section; a failure becomes "not measured: <reason>" instead of a figure. */
async function timed<T extends Measured>(
  name: string,
  run: () => Promise<T>,
): Promise<{ section: SectionResult; result?: T }> {
  const startedAt = performance.now();
  const seconds = () => (performance.now() - startedAt) / 1000;
  process.stderr.write(`bench: ${name}…\n`);
  try {
    const result = await run();
    return { section: { ...result, seconds: seconds() }, result };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`bench: ${name} failed: ${error instanceof Error ? error.stack : reason}\n`);
    return { section: notMeasured(name, reason.split('\n')[0] ?? reason, seconds()) };
  }
}

const startedAt = new Date();
const benchStarted = performance.now();
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const workDir = await mkdtemp(join(tmpdir(), 'atlas-restore-bench-'));
// Bundles with the SDK left external resolve it from the project's node_modules, as the runtime's own copy would be.
await symlink(join(PROJECT_ROOT, 'node_modules'), join(workDir, 'node_modules'), 'dir');

const sections: SectionResult[] = [];
try {
  const config = await deployedConfig();
  let handlerBundle: BuiltBundle | undefined;
  const bundle = async () => {
    handlerBundle ??= await buildBundle('ours', workDir);
    return handlerBundle;
  };
  let initMs: number | undefined;
  let warm: WarmCostFigures | undefined;
  let polling: PollingFigures | undefined;

  if (selected('cold-start')) {
    const { section, result } = await timed('1. Cold start', async () =>
      measureColdStart({
        runs: quick ? 5 : 15,
        workDir,
        config,
        bundles: { ours: await bundle() },
        ...(values.baseline
          ? {
              baseline: {
                bundle: await buildBaselineBundle(values.baseline, workDir),
                env: values['baseline-node-options'] ? { NODE_OPTIONS: values['baseline-node-options'] } : {},
              },
            }
          : {}),
      }),
    );
    sections.push(section);
    initMs = result?.figures.initMs;
  }
  if (selected('warm') || selected('cost')) {
    const { section, result } = await timed('2. Warm cost per message', async () =>
      measureWarmCost({ messages: quick ? 200 : 1000, warmup: 20, bundle: await bundle(), config }),
    );
    sections.push(section);
    warm = result?.figures;
  }
  if (selected('polling') || selected('cost')) {
    const { section, result } = await timed('3. Polling efficiency', async () => measurePolling());
    sections.push(section);
    polling = result?.figures;
  }
  if (selected('scale')) {
    const platform = deployedPlatform();
    const { section } = await timed('4. Scale', () =>
      measureScale({
        requests: quick ? Math.min(requests, 100) : requests,
        scale: clockScale,
        restoreSeconds: 60,
        // The event source mapping and function as synthesized from cdk.json.
        deployment: {
          maxConcurrency: platform.eventSource.maximumConcurrency ?? 5,
          batchSize: platform.eventSource.batchSize,
          functionTimeoutSeconds: platform.function.timeoutSeconds,
          maxReceiveCount: platform.workQueue.maxReceiveCount,
        },
        timeoutMs: quick ? 60_000 : 150_000,
      }),
    );
    sections.push(section);
  }
  if (selected('cost')) {
    if (warm && polling) {
      const inputs = { warm, polling, initMs, config };
      sections.push((await timed('5. Cost per drill', () => measureCost(inputs))).section);
    } else {
      sections.push(
        notMeasured('5. Cost per drill', 'it needs sections 2 (warm cost) and 3 (polling), and one failed'),
      );
    }
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const report: BenchReport = {
  startedAt: startedAt.toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: {
    node: process.version,
    cpus: `${availableParallelism()} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
    platform: `${process.platform}/${process.arch}`,
    mode: quick ? 'quick' : 'full',
    totalSeconds: Number(((performance.now() - benchStarted) / 1000).toFixed(1)),
  },
  sections,
};
await writeReport(report, join(resultsDir, 'latest.json'), join(resultsDir, 'latest.md'));
process.stdout.write(renderText(report));
process.stdout.write(
  `\nwritten: test/bench/results/latest.json, test/bench/results/latest.md (${report.environment.totalSeconds} s)\n`,
);
