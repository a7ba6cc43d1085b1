import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { esbuildBuildOptions, HANDLER_ENTRY } from '../../infra/handler-bundling.ts';

export interface BundleVariant {
  readonly name: string;
  readonly entry: string;
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

/** The handler and the floors it is compared with; all built with the handler's deployed esbuild settings. */
export const BUNDLE_VARIANTS = {
  ours: { name: 'restore-handler', entry: HANDLER_ENTRY },
  floorSdk: { name: 'floor (a): AWS SDK clients', entry: new URL('aws-sdk-clients.ts', FLOORS).pathname },
  floorLibraries: {
    name: 'floor (b): SDK + undici + zod',
    entry: new URL('aws-sdk-undici-zod.ts', FLOORS).pathname,
  },
  withPowertools: {
    name: '(b) + Powertools (diagnostic)',
    entry: new URL('with-powertools.ts', FLOORS).pathname,
  },
  oursSdkExternal: {
    name: 'restore-handler, SDK external (diagnostic)',
    entry: HANDLER_ENTRY,
    external: ['@aws-sdk/*', '@smithy/*', '@aws-crypto/*'],
  },
} as const satisfies Record<string, BundleVariant>;

export type BundleKey = keyof typeof BUNDLE_VARIANTS;

/** Builds one variant with the settings the stack deploys (infra/handler-bundling.ts) and measures the output. */
export async function buildBundle(key: BundleKey, outdir: string): Promise<BuiltBundle> {
  const variant: BundleVariant = BUNDLE_VARIANTS[key];
  const file = join(outdir, key, 'index.mjs');
  const options = esbuildBuildOptions(file);
  const result = await build({
    ...options,
    entryPoints: [variant.entry],
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
