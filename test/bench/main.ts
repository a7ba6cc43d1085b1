/**
 * `npm run bench`: cold start, warm cost per message, polling efficiency, scale and cost per drill, in one run,
 * each beside a floor measured side by side (the machine is small and noisy: ratios and medians, not absolutes).
 *
 *   npm run bench                          everything (a few minutes)
 *   npm run bench -- --quick               fewer samples, for iterating
 *   npm run bench -- --only polling        one section: cold-start | warm | polling | scale | cost
 *   npm run bench -- --requests 200        concurrent restore requests in the scale section (default 500)
 *
 * Writes test/bench/results/latest.json and latest.md, and prints the tables.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../infra/handler-bundling.ts';
import { type BuiltBundle, buildBundle } from './bundles.ts';
import { measureColdStart } from './cold-start.ts';
import { type BenchReport, notMeasured, renderText, type SectionResult, writeReport } from './report.ts';
import { measureWarmCost, type WarmCostFigures } from './warm-cost.ts';

const SECTIONS = ['cold-start', 'warm', 'polling', 'scale', 'cost'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    requests: { type: 'string', default: '500' },
  },
  strict: true,
});

const only = (values.only ?? []).flatMap((value) => value.split(','));
for (const name of only) {
  if (!(SECTIONS as readonly string[]).includes(name)) {
    throw new Error(`--only ${name}: expected one of ${SECTIONS.join(', ')}`);
  }
}
const requests = Number(values.requests);
if (!Number.isInteger(requests) || requests < 1) throw new Error(`--requests must be a positive integer, got ${values.requests}`);
const quick = values.quick;
const selected = (section: Section) => only.length === 0 || only.includes(section);

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const workDir = await mkdtemp(join(tmpdir(), 'atlas-restore-bench-'));
// Bundles with the SDK left external resolve it from the project's node_modules, as the runtime's own copy would be.
await symlink(join(PROJECT_ROOT, 'node_modules'), join(workDir, 'node_modules'), 'dir');

async function timed(name: string, run: () => Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'>>) {
  const startedAt = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  try {
    return { ...(await run()), seconds: (performance.now() - startedAt) / 1000 } as SectionResult;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`bench: ${name} failed: ${error instanceof Error ? error.stack : reason}\n`);
    return notMeasured(name, reason.split('\n')[0] ?? reason, (performance.now() - startedAt) / 1000);
  }
}

const startedAt = new Date();
const benchStarted = performance.now();
const sections: SectionResult[] = [];
let handlerBundle: BuiltBundle | undefined;
const bundle = async () => {
  handlerBundle ??= await buildBundle('ours', workDir);
  return handlerBundle;
};
let warm: WarmCostFigures | undefined;
try {
  if (selected('cold-start')) {
    sections.push(
      await timed('1. Cold start', async () =>
        measureColdStart({ runs: quick ? 5 : 15, workDir, bundles: { ours: await bundle() } }),
      ),
    );
  }
  if (selected('warm') || selected('cost')) {
    sections.push(
      await timed('2. Warm cost per message', async () => {
        const result = await measureWarmCost({ messages: quick ? 200 : 1000, warmup: 20, bundle: await bundle() });
        warm = result.figures;
        return result;
      }),
    );
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
process.stdout.write(`\nwritten: test/bench/results/latest.json, test/bench/results/latest.md (${report.environment.totalSeconds} s)\n`);
