import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import {
  esbuildBuildOptions,
  HANDLER_ENTRY,
  HEARTBEAT_WRITER_ENTRY,
  PROJECT_ROOT,
  VERIFIER_ENTRY,
} from '../../infra/handler-bundling.ts';

export interface BundleVariant {
  readonly name: string;
  /** A module to bundle, or `contents`: the source of a one-line diagnostic module. */
  readonly entry?: string;
  readonly contents?: string;
  /** Packages left out of the bundle (resolved from node_modules at run time, as the Lambda runtime's SDK copy is). */
  readonly external?: readonly string[];
}

export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** Bytes each package contributes to the output, largest first (our own code is `(ours)`). */
  readonly packages: readonly { readonly name: string; readonly bytes: number }[];
}

const FLOORS = new URL('./floors/', import.meta.url);
const HANDLER = 'export const handler = async () => 0;';

/** The handler, the floors it is compared with, and the other functions' bundles; all built with the handler's deployed esbuild settings. */
export const BUNDLE_VARIANTS = {
  ours: { name: 'restore-handler', entry: HANDLER_ENTRY },
  floorSdk: { name: 'floor (a): AWS SDK clients', entry: new URL('aws-sdk-clients.ts', FLOORS).pathname },
  floorLibraries: {
    name: 'floor (b): SDK + undici + zod',
    entry: new URL('aws-sdk-undici-zod.ts', FLOORS).pathname,
  },
  withPowertools: {
    name: '(a) + zod + Powertools (diagnostic)',
    entry: new URL('with-powertools.ts', FLOORS).pathname,
  },
  oursSdkExternal: {
    name: 'restore-handler, SDK external (diagnostic)',
    entry: HANDLER_ENTRY,
    external: ['@aws-sdk/*', '@smithy/*', '@aws-crypto/*'],
  },
  // The functions of verified drills: their own bundles (the MongoDB driver), never in the restore handler's.
  verifier: { name: 'verifier', entry: VERIFIER_ENTRY },
  heartbeatWriter: { name: 'heartbeat-writer', entry: HEARTBEAT_WRITER_ENTRY },
  // One library each, to price its import on its own (diagnostics for the handler's init).
  undici: {
    name: "undici: `import { Agent } from 'undici'`",
    contents: `import { Agent } from 'undici'; export const agent = new Agent(); ${HANDLER}`,
  },
  undiciAgentOnly: {
    name: "undici: Agent alone ('undici/lib/dispatcher/agent.js')",
    contents: `import Agent from 'undici/lib/dispatcher/agent.js'; export const agent = new Agent(); ${HANDLER}`,
  },
  zod: {
    name: "zod: `import * as z from 'zod'`",
    contents: `import * as z from 'zod'; export const parsed = z.object({ a: z.url(), b: z.string().min(3) }).safeParse(process.env); ${HANDLER}`,
  },
  ourSchemas: {
    name: 'our zod schemas alone (contract, Atlas model, config, credentials)',
    contents: [
      "import { parseWorkMessageBody } from './functions/core/contract/work-message.ts';",
      "import { loadLambdaConfig } from './functions/core/config.ts';",
      "import { clusterSchema, restoreJobSchema, snapshotSchema } from './functions/core/atlas/model.ts';",
      "import { credentialsDocument } from './functions/core/credentials/document.ts';",
      'export const schemas = [parseWorkMessageBody, loadLambdaConfig, clusterSchema, restoreJobSchema, snapshotSchema, credentialsDocument];',
      HANDLER,
    ].join('\n'),
  },
  zodMini: {
    name: 'zod/mini: the same schema',
    contents: `import * as z from 'zod/mini'; export const parsed = z.object({ a: z.url(), b: z.string().check(z.minLength(3)) }).safeParse(process.env); ${HANDLER}`,
  },
} as const satisfies Record<string, BundleVariant>;

export type BundleKey = keyof typeof BUNDLE_VARIANTS;

/** Builds one variant with the settings the stack deploys (infra/handler-bundling.ts) and measures the output. */
export async function buildBundle(key: BundleKey, outdir: string): Promise<BuiltBundle> {
  const variant: BundleVariant = BUNDLE_VARIANTS[key];
  const file = join(outdir, key, 'index.mjs');
  const options = esbuildBuildOptions(file);
  const { entryPoints: _handlerEntry, ...settings } = options;
  const result = await build({
    ...settings,
    ...(variant.contents === undefined
      ? { entryPoints: [variant.entry ?? HANDLER_ENTRY] }
      : { stdin: { contents: variant.contents, resolveDir: PROJECT_ROOT, loader: 'ts', sourcefile: `${key}.ts` } }),
    external: [...(options.external ?? []), ...(variant.external ?? [])],
    metafile: true,
  });
  const code = await readFile(file);
  const { size: sourceMapBytes } = await stat(`${file}.map`);
  return {
    name: variant.name,
    file,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    sourceMapBytes,
    packages: packageBytes(result.metafile),
  };
}

/**
 * The handler as it was at a git commit (`--baseline <ref>`), built in this run with today's esbuild settings, for a
 * before/after beside today's in the same run: its sources are taken with `git archive`, its packages are today's.
 */
export async function buildBaselineBundle(ref: string, outdir: string): Promise<BuiltBundle> {
  if (!/^[\w./^~-]+$/.test(ref)) throw new Error(`--baseline ${ref}: not a git revision`);
  const root = join(outdir, 'baseline-src');
  await mkdir(root, { recursive: true });
  const archive = spawnSync('sh', [
    '-c',
    `git -C "$0" archive "$1" functions package.json | tar -x -C "$2"`,
    PROJECT_ROOT,
    ref,
    root,
  ]);
  if (archive.status !== 0) throw new Error(`--baseline ${ref}: git archive failed: ${archive.stderr.toString()}`);
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const file = join(outdir, 'baseline', 'index.mjs');
  const result = await build({
    ...esbuildBuildOptions(file),
    entryPoints: [join(root, 'functions', 'restore-handler.ts')],
    metafile: true,
  });
  const code = await readFile(file);
  const { size: sourceMapBytes } = await stat(`${file}.map`);
  return {
    name: `restore-handler at ${ref} (baseline)`,
    file,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    sourceMapBytes,
    packages: packageBytes(result.metafile),
  };
}

/** Output bytes grouped by npm package (scoped packages keep their scope), from esbuild's metafile. */
export function packageBytes(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

export function packageOf(inputPath: string): string {
  const marker = 'node_modules/';
  const at = inputPath.lastIndexOf(marker);
  if (at === -1) return '(ours)';
  const [first, second] = inputPath.slice(at + marker.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? '(unknown)');
}
