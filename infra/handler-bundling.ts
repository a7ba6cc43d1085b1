import { fileURLToPath } from 'node:url';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How the restore handler is bundled, in one place: the stack's NodejsFunction and `npm run build` (which the bench
 * measures) render these same settings, so what is measured is what is deployed.
 */

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const HANDLER_ENTRY = fileURLToPath(new URL('../functions/restore-handler.ts', import.meta.url));
/** The drill judge: its own bundle, so its cron parser and EventBridge client never load in the restore handler. */
export const DRILL_JUDGE_ENTRY = fileURLToPath(new URL('../functions/drill-judge.ts', import.meta.url));
/** The verifier: its own bundle, so the MongoDB driver never loads in the restore handler. */
export const VERIFIER_ENTRY = fileURLToPath(new URL('../functions/verifier.ts', import.meta.url));
/** The heartbeat writer: a scheduled function with the driver, apart from the restore chain. */
export const HEARTBEAT_WRITER_ENTRY = fileURLToPath(new URL('../functions/heartbeat-writer.ts', import.meta.url));
export const DEPS_LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));
export const HANDLER_EXPORT = 'handler';

export const HANDLER_RUNTIME = Runtime.NODEJS_24_X;

export const handlerBundle = {
  /** Matches HANDLER_RUNTIME. */
  target: 'node24',
  format: 'esm',
  minify: true,
  sourceMap: true,
  /** Stack traces need the mappings only; leaving the sources out keeps the map small to load. */
  sourcesContent: false,
  /** ESM entry points of dependencies first, so esbuild can drop what the handler never imports. */
  mainFields: ['module', 'main'],
  /** CommonJS dependencies inside an ES module still call require(). */
  banner: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);",
  /**
   * Nothing external, the AWS SDK included: the function runs the SDK versions the tests ran, not whichever the
   * runtime ships, and only the clients it imports are loaded.
   */
  externalModules: [] as string[],
} as const;

/** The settings as NodejsFunction's bundling options: local esbuild, never Docker. */
export function nodejsFunctionBundling(): BundlingOptions {
  return {
    target: handlerBundle.target,
    format: OutputFormat.ESM,
    minify: handlerBundle.minify,
    sourceMap: handlerBundle.sourceMap,
    sourcesContent: handlerBundle.sourcesContent,
    mainFields: [...handlerBundle.mainFields],
    banner: handlerBundle.banner,
    externalModules: [...handlerBundle.externalModules],
    forceDockerBundling: false,
  };
}

/** A NodejsFunction of ours: this entry point, bundled as above, on the pinned runtime (arm64). */
export function bundledFunction(entry: string) {
  return {
    entry,
    handler: HANDLER_EXPORT,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: DEPS_LOCK_FILE,
    runtime: HANDLER_RUNTIME,
    architecture: Architecture.ARM_64,
    bundling: nodejsFunctionBundling(),
  } satisfies NodejsFunctionProps;
}

/**
 * The settings as esbuild build options, equal to the CLI arguments NodejsFunction passes
 * (`--bundle --platform=node --target --format --minify --sourcemap --sources-content --main-fields --banner:js`).
 */
export function esbuildBuildOptions(outfile: string, entry: string = HANDLER_ENTRY): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: handlerBundle.target,
    format: handlerBundle.format,
    minify: handlerBundle.minify,
    sourcemap: handlerBundle.sourceMap,
    sourcesContent: handlerBundle.sourcesContent,
    mainFields: [...handlerBundle.mainFields],
    banner: { js: handlerBundle.banner },
    external: [...handlerBundle.externalModules],
    outfile,
    logLevel: 'warning',
  };
}
