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
  handlerBundle,
  nodejsFunctionBundling,
} from '../../infra/handler-bundling.ts';

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
