import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  DRILL_JUDGE_ENTRY,
  esbuildBuildOptions,
  HANDLER_ENTRY,
  HANDLER_RUNTIME,
  HEARTBEAT_WRITER_ENTRY,
  handlerBundle,
  nodejsFunctionBundling,
  VERIFIER_ENTRY,
} from '../../infra/handler-bundling.ts';

/** The inputs esbuild bundles for an entry point, with the deployed settings. */
async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({ ...esbuildBuildOptions('/tmp/out/index.mjs', entry), write: false, metafile: true });
  return Object.keys(result.metafile.inputs);
}

describe('Module: handler-bundling', () => {
  it('renders the same settings for the stack’s NodejsFunction and for esbuild (npm run build, the bench)', () => {
    // Act
    const cdk = nodejsFunctionBundling();
    const esbuild = esbuildBuildOptions('/tmp/out/index.mjs');

    // Assess
    expect(esbuild).toEqual({
      entryPoints: [HANDLER_ENTRY],
      bundle: true,
      platform: 'node',
      target: cdk.target,
      format: cdk.format,
      minify: cdk.minify,
      sourcemap: cdk.sourceMap,
      sourcesContent: cdk.sourcesContent,
      mainFields: cdk.mainFields,
      banner: { js: cdk.banner },
      external: cdk.externalModules,
      outfile: '/tmp/out/index.mjs',
      logLevel: 'warning',
    });
  });

  it('bundles ESM for the runtime, minified, with a source map and the require() shim, locally', () => {
    // Act
    const cdk = nodejsFunctionBundling();

    // Assess
    expect(cdk).toMatchObject({
      format: OutputFormat.ESM,
      minify: true,
      sourceMap: true,
      forceDockerBundling: false,
      externalModules: [],
    });
    expect(HANDLER_RUNTIME.name).toBe('nodejs24.x');
    expect(cdk.target).toBe(`node${HANDLER_RUNTIME.name.match(/nodejs(\d+)/)?.[1]}`);
    expect(handlerBundle.banner).toContain('createRequire');
    expect(handlerBundle.banner).toContain('import.meta.url');
    expect(existsSync(HANDLER_ENTRY)).toBe(true);
  });

  it('keeps the drill judge’s cron parser and EventBridge client out of the restore handler’s bundle', async () => {
    // Act
    const inputs = async (entry: string) => {
      const result = await build({ ...esbuildBuildOptions('/tmp/out/index.mjs', entry), write: false, metafile: true });
      return Object.keys(result.metafile.inputs);
    };
    const [restore, judge] = await Promise.all([inputs(HANDLER_ENTRY), inputs(DRILL_JUDGE_ENTRY)]);

    // Assess
    const heavy = (files: string[]) =>
      files.filter((file) => /node_modules\/(croner|@aws-sdk\/client-eventbridge)\//.test(file)).length;
    expect(heavy(restore)).toBe(0);
    expect(heavy(judge)).toBeGreaterThan(0);
  });

  it('keeps the MongoDB driver and bson out of the restore handler’s bundle: only the verifier and the heartbeat writer carry them', async () => {
    // Act
    const [restore, verifier, heartbeatWriter] = await Promise.all([
      bundledInputs(HANDLER_ENTRY),
      bundledInputs(VERIFIER_ENTRY),
      bundledInputs(HEARTBEAT_WRITER_ENTRY),
    ]);

    // Assess
    const driver = (files: string[]) => files.filter((file) => /node_modules\/(mongodb|bson)\//.test(file));
    expect(driver(restore)).toEqual([]);
    expect(driver(verifier).length).toBeGreaterThan(0);
    expect(driver(heartbeatWriter).length).toBeGreaterThan(0);
  });

  it('keeps the cold path lean: the Atlas transport is node:http(s), no HTTP client library is bundled', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'handler-bundle-'));

    // Act
    const result = await build({
      ...esbuildBuildOptions(join(directory, 'index.mjs')),
      write: false,
      metafile: true,
    }).finally(() => rm(directory, { recursive: true, force: true }));

    // Assess: undici alone was 56 % of the bundle and a third of the init (issue 17).
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.startsWith('functions/core/atlas/'))).toBe(true);
    expect(inputs.filter((path) => path.includes('node_modules/undici/'))).toEqual([]);
  });
});
